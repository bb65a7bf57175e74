package rules

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/ahocorasick"
)

// TestFoldIdempotent: literals are folded when rules compile, and
// ahocorasick.New folds them again; the automaton finds what the literals
// say only if folding a folded text changes nothing.
func TestFoldIdempotent(t *testing.T) {
	var once, twice []byte
	// Cased letters end at U+1E943 (Adlam); beyond are only caseless.
	for r := rune(0); r < 0x20000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		once = foldAppend(once[:0], utf8.AppendRune(nil, r))
		twice = foldAppend(twice[:0], once)
		if string(once) != string(twice) {
			t.Errorf("%U folds to %q, which folds to %q", r, once, twice)
		}
	}
	for _, s := range []string{"\xff\xfeabc", "\xc3", "a\xe2\x84"} {
		once = foldAppend(once[:0], []byte(s))
		if twice = foldAppend(twice[:0], once); string(once) != string(twice) {
			t.Errorf("%q folds to %q, which folds to %q", s, once, twice)
		}
	}
}

// TestFoldAppendFast: the 8-bytes-at-a-time path appends what folding rune
// by rune (foldByRune) does, after what dst held, wherever in the value a
// byte >= 0x80 is (or none is), and with several of them.
func TestFoldAppendFast(t *testing.T) {
	const ascii = "C:\\Windows\\System32\\CMD.EXE /C @[`{~Z} \x00\x7f-ENC"
	for n := 0; n <= len(ascii); n++ {
		for _, odd := range []string{"", "\u212a", "\xff", "\xc3\x84", "\u00ae", "\u2122\u00ae", "\u00ae\xc3", "\ufffd\xff"} {
			for at := 0; at <= n; at++ {
				v := ascii[:at] + odd + ascii[at:n]
				// dst as callers pass it: reused, its spare capacity
				// holding old bytes the fold must overwrite.
				dst := append(bytes.Repeat([]byte{0xaa}, 128)[:0], "Pre"...)
				got := foldAppend(dst, []byte(v))
				want := foldByRune([]byte("Pre"), []byte(v))
				if string(got) != string(want) {
					t.Fatalf("%q: %q, want %q", v, got, want)
				}
				if odd == "" {
					break
				}
			}
		}
	}
}

// TestBuildAutomatonCanon: literals that read alike are scanned as the
// first of them, which the Set looks up through canon.
func TestBuildAutomatonCanon(t *testing.T) {
	a := buildAutomaton([]string{`\cmd.exe`, ` -enc `, `\cmd.exe`})
	if want := []int32{0, 1, 0}; !slices.Equal(a.canon, want) {
		t.Fatalf("canon = %v, want %v", a.canon, want)
	}
	hits := scanReadable(a, `C:\Windows\System32\CMD.EXE /c powershell -enc AAAA`)
	if want := []int32{0, 1}; !slices.Equal(hits, want) {
		t.Errorf("scan = %v, want %v", hits, want)
	}
}

// TestBuildAutomatonLong: with many long literals, buildAutomaton finds
// those of 16 bytes and more by sampling, the rest with the automaton and
// the byte table; together they report what one automaton over all of
// them reports, as literal ids.
func TestBuildAutomatonLong(t *testing.T) {
	var lits []string
	for i := range 2 * minLongLits {
		if i%2 == 0 {
			lits = append(lits, fmt.Sprintf("imphash=%08x", i*7919))
		} else {
			lits = append(lits, fmt.Sprintf("md5=%06x", i*7919))
		}
	}
	lits = append(lits, `\cmd.exe`, ` -e`, "/", `IMPHASH=00000000`, `\É.exe`, "ärger über alles")
	a := buildAutomaton(lits)
	if a.long == nil || a.ac == nil || a.single == nil {
		t.Fatalf("want every part: sampled %v, automaton %v, byte table %v", a.long != nil, a.ac != nil, a.single != nil)
	}
	if a.canon[2*minLongLits+3] != 0 {
		t.Errorf("IMPHASH=00000000 scans as %d, want 0 (imphash=00000000)", a.canon[2*minLongLits+3])
	}
	one := ahocorasick.New(lits, foldAppend)
	var folded []byte
	for _, text := range []string{
		`C:\Windows\CMD.EXE -e /c IMPHASH=0000F77F,IMPHASH=00000000`,
		"SHA1=AB,IMPHASH=0001EEFE Ärger über alles \\é.exe",
		"imphash=0000f77",
		"MD5=001EEF,IMPHASH=0000F77E md5=003dde md5=003dd imphash=00013bc2/",
	} {
		got := scanReadable(a, text)
		var want []int32
		for _, id := range one.Scan([]byte(text), nil, &folded) {
			want = append(want, int32(id))
		}
		if want = literalSet(want); !slices.Equal(got, want) {
			t.Errorf("scan(%q) = %v, one automaton: %v", text, got, want)
		}
	}
}

// TestBuildAutomatonSingles: one-byte literals, found by the byte table,
// are reported as one automaton over all the literals reports them, in
// either case and where folding makes them (KELVIN SIGN folds to k).
func TestBuildAutomatonSingles(t *testing.T) {
	lits := []string{`\`, "`", "K", `\cmd.exe`, "k", "-e", "é", "s"}
	a := buildAutomaton(lits)
	if a.single == nil || a.ac == nil {
		t.Fatalf("want both parts: table %v, automaton %v", a.single != nil, a.ac != nil)
	}
	if a.canon[4] != 2 {
		t.Errorf("k scans as %d, want 2 (K)", a.canon[4])
	}
	one := ahocorasick.New(lits, foldAppend)
	var folded []byte
	for _, text := range []string{
		`C:\Windows\CMD.EXE -e ` + "`k`",
		"\u212a\u017f \\É.exe",
		"plain text",
		"",
	} {
		got := scanReadable(a, text)
		for i, id := range got {
			got[i] = a.canon[id]
		}
		var want []int32
		for _, id := range one.Scan([]byte(text), nil, &folded) {
			want = append(want, a.canon[id])
		}
		if got, want = literalSet(got), literalSet(want); !slices.Equal(got, want) {
			t.Errorf("scan(%q) = %v, one automaton: %v", text, got, want)
		}
	}
}

// TestRuleCNFSelection: every field of a selection map is required, so
// each gives a clause; with several maps (any of them), one clause per
// choice of a clause from each; a rule with a clause of a longer literal
// drops those of one or two bytes, which nearly every value holds.
func TestRuleCNFSelection(t *testing.T) {
	set := compileOne(t, "title: t\nid: t\nlogsource: {category: process_creation, product: windows}\ndetection:\n"+
		"  sel:\n    ParentImage|endswith: '\\explorer.exe'\n    Image|endswith: ['\\cmd.exe', '\\pwsh.exe']\n"+
		"    CommandLine|contains: '\\DavWWWRoot\\'\n    CurrentDirectory|contains: '-'\n"+
		"  any:\n    - User: a\n    - LogonId: bb\n  condition: sel and not any\n")
	got := ruleCNF(set.compiled[0].cond)
	var strengths []int
	for _, cl := range got {
		strengths = append(strengths, cl.strength())
	}
	if want := []int{13, 8, 12}; !slices.Equal(strengths, want) {
		t.Errorf("clause strengths %v, want %v", strengths, want)
	}
	orSet := compileOne(t, "title: t\nid: t\nlogsource: {product: windows}\ndetection:\n"+
		"  sel:\n    - {Image|endswith: '\\cmd.exe', CommandLine|contains: 'whoami'}\n    - {Image|endswith: '\\pwsh.exe'}\n  condition: sel\n")
	if got, want := clauseTexts(ruleCNF(orSet.compiled[0].cond)), []string{`\cmd.exe \pwsh.exe`, `whoami \pwsh.exe`}; !slices.Equal(got, want) {
		t.Errorf("two maps: clauses %q, want %q", got, want)
	}
}

// TestRuleCNFProducts: of "1 of selection_*", where one selection needs a
// common literal and a rare one, both products are clauses, so an event
// holding only the common literal ("\windows\" in Image) leaves the rule
// out, as SigmaHQ's path traversal rule needs, and one with the rare
// literal too makes it a candidate that matches.
func TestRuleCNFProducts(t *testing.T) {
	set := paddedSet(t, "detection:\n"+
		"  selection_1:\n    Image|contains: '\\Windows\\'\n    CommandLine|contains: ['\\..\\Windows\\', '\\..\\..\\']\n"+
		"  selection_2:\n    CommandLine|contains: '.exe\\..\\'\n  condition: 1 of selection_*")
	got := clauseTexts(ruleCNF(set.compiled[0].cond))
	slices.Sort(got)
	want := []string{`\..\windows\ \..\..\ .exe\..\`, `\windows\ .exe\..\`}
	if !slices.Equal(got, want) {
		t.Errorf("clauses %q, want %q", got, want)
	}
	for _, tc := range []struct {
		commandLine      string
		candidate, match bool
	}{{`cmd /c dir`, false, false}, {`cmd /c ..\..\x`, false, false}, {`cmd /c a\..\..\x`, true, true}} {
		event := mapEvent{set, map[string]string{"Image": `C:\Windows\System32\cmd.exe`, "CommandLine": tc.commandLine}}
		m := scanned(set, event)
		if candidate := isCandidate(set, m, 0); candidate != tc.candidate {
			t.Errorf("%q: candidate %v, want %v", tc.commandLine, candidate, tc.candidate)
		}
		if match := slices.Contains(set.Match(event, nil), 0); match != tc.match {
			t.Errorf("%q: match %v, want %v", tc.commandLine, match, tc.match)
		}
	}
}

// TestCNFLightest: clauses are ranked by the estimated chance that one
// of their literals occurs, so of two clauses whose shortest literal is
// as long, the one whose other literals are rare comes first; a product
// lists a literal once; a clause that holds all of another's literals
// (or equals an earlier one) adds nothing and is dropped.
func TestCNFLightest(t *testing.T) {
	n := func(lit string) need { return need{slot: 1, lit: lit} }
	common := clause{n(`:\users\`), n(`\wsl.exe`)}
	rare := clause{n(`local\packages\kalilinux`), n(`\wsl.exe`), n(`\wslhost.exe`)}
	if got := clauseTexts(cnf{common, rare}.lightest(1)); !slices.Equal(got, clauseTexts(cnf{rare})) {
		t.Errorf("lightest of common and rare: %q", got)
	}
	if got := clauseTexts(cnf{union(common, clause{n(`:\users\`), n(`x`)})}); !slices.Equal(got, []string{`:\users\ \wsl.exe x`}) {
		t.Errorf("union: %q", got)
	}
	super := union(rare, clause{n(`x`)})
	if got := clauseTexts(minimal(cnf{super, common, rare, slices.Clone(rare)})); !slices.Equal(got, clauseTexts(cnf{common, rare})) {
		t.Errorf("minimal: %q", got)
	}
}

// clauseTexts renders clauses as their literals, space-separated.
func clauseTexts(c cnf) []string {
	var out []string
	for _, cl := range c {
		var lits []string
		for _, n := range cl {
			lits = append(lits, n.lit)
		}
		out = append(out, strings.Join(lits, " "))
	}
	return out
}

// TestRegexReplacementCharIsNoLiteral: Go's regexp matches U+FFFD against
// any invalid byte, so a regex holding it requires no literal of the
// value (the index is in use: more than 16 rules).
func TestRegexReplacementCharIsNoLiteral(t *testing.T) {
	srcs := []Source{{Name: "re.yml", Data: []byte("title: re\nid: re\ndetection:\n  sel: {CommandLine|re: '\\x{FFFD}zzzz'}\n  condition: sel\n")}}
	for i := range 20 {
		srcs = append(srcs, Source{Name: fmt.Sprintf("f%d.yml", i), Data: []byte(fmt.Sprintf(
			"title: f%d\nid: f%d\ndetection:\n  sel: {CommandLine|contains: filler%d}\n  condition: sel\n", i, i, i))})
	}
	set, _, err := Compile(srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Match(mapEvent{set, map[string]string{"CommandLine": "a\xffzzzz"}}, nil); len(got) != 1 || set.Rules()[got[0]].ID != "re" {
		t.Errorf("matched %v, want the rule re (its regexp matches the invalid byte)", got)
	}
}

// scanReadable scans text as the Set does (matcher.readable: a value that
// is not ASCII is folded once first) and returns the literals found.
func scanReadable(a *acAutomaton, text string) []int32 {
	var buf []byte
	return literalSet(a.scan(readable([]byte(text), &buf), nil))
}

// literalSet sorts ids and drops repeats: a one-byte literal is reported
// once per byte found that reads as it (a letter's two cases: up to
// twice), the automaton's once per occurrence.
func literalSet(ids []int32) []int32 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// foldByRune is foldAppend written rune by rune, the reference its fast
// paths must agree with. Ranging over a string yields U+FFFD for each
// byte of invalid UTF-8, which folding keeps as it is.
func foldByRune(dst, v []byte) []byte {
	for i, r := range string(v) {
		if r == utf8.RuneError && !strings.HasPrefix(string(v[i:]), "\uFFFD") {
			dst = append(dst, v[i])
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(unicode.ToUpper(r)))
	}
	return dst
}

// TestFoldRune: the Latin-1 table gives what the case tables give, for
// every rune.
func TestFoldRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := foldRune(r), unicode.ToLower(unicode.ToUpper(r)); got != want {
			t.Fatalf("foldRune(%U) = %U, want %U", r, got, want)
		}
	}
}

// TestRegexClauses: an expression's clause is its most selective set of
// alternatives (a class of a few characters makes one literal each), so a
// value holding only a common piece of it leaves the rule out, one holding
// an alternative makes it a candidate; with |all each expression gives
// its own clause.
func TestRegexClauses(t *testing.T) {
	set := paddedSet(t,
		"detection:\n  sel:\n    CommandLine|re: '\\\\[a-zA-Z0-9]{1,32}\\.[a-zA-Z0-9]{1,6}\\.[ \"'']{1}'\n  condition: sel",
		"detection:\n  sel:\n    CommandLine|re|all: ['abc[xy]', 'q+rst']\n  condition: sel")
	for i, want := range [][]string{{`.  ." .'`}, {`abcx abcy`, `rst`}} {
		got := clauseTexts(ruleCNF(set.compiled[i].cond))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("rule %d: clauses %q, want %q", i, got, want)
		}
	}
	for _, tc := range []struct {
		commandLine      string
		candidate, match bool
	}{{`C:\x\a.exe /c`, false, false}, {`C:\x y. z`, true, false}, {`run \a.b. x`, true, true}} {
		event := mapEvent{set, map[string]string{"CommandLine": tc.commandLine}}
		m := scanned(set, event)
		if candidate := isCandidate(set, m, 0); candidate != tc.candidate {
			t.Errorf("%q: candidate %v, want %v", tc.commandLine, candidate, tc.candidate)
		}
		if match := slices.Contains(set.Match(event, nil), 0); match != tc.match {
			t.Errorf("%q: match %v, want %v", tc.commandLine, match, tc.match)
		}
	}
}
