package rules

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

// TestRegexRequirement checks the literals derived from common shapes of
// SigmaHQ's expressions.
func TestRegexRequirement(t *testing.T) {
	cases := []struct {
		expr string
		want reCNF // most selective first
	}{
		{`net\s+user`, reCNF{{{"user", false}}, {{"net", false}}}},
		{`(?i)Mimi[a-z]+`, reCNF{{{"mimi", true}}}},
		{`(?i)a&&b`, reCNF{{{"a&&b", true}}}},
		{`(?i)&&`, reCNF{{{"&&", false}}}}, // no case: searched as is
		// Literals split by the i flag join, folded.
		{`^[Cc]:\\[Pp]rogram[Dd]ata\\`, reCNF{{{`c:\programdata\`, true}}}},
		// The parser factors "Current" out of the branches.
		{`\\(CurrentControlSet|CurrentVersion\\Run)\\`,
			reCNF{{{`ControlSet`, false}, {`Version\Run`, false}}, {{`Current`, false}}, {{`\`, false}}, {{`\`, false}}}},
		{`x(foo|bar)+y`, reCNF{{{"foo", false}, {"bar", false}}, {{"x", false}}, {{"y", false}}}},
		// Literals and small classes expand to the strings they match.
		{`\\[a-z]{1,32}\.[a-z]{1,6}\.[ "']{1}`, reCNF{{{". ", false}, {`."`, false}, {".'", false}}, {{`\`, false}}, {{".", false}}}},
		{`-[ek]c? `, reCNF{{{"-e", false}, {"-k", false}}, {{" ", false}}}},
		{`(?i)-[ek]c? `, reCNF{{{"-", false}}, {{" ", false}}}}, // e, E, k, K and KELVIN SIGN: too many
		{`x[0-9]y`, reCNF{{{"x", false}}, {{"y", false}}}},      // 10 strings: too many
		{`(foo|b*)`, nil}, // a branch needs nothing
		{`a?b{0,3}`, nil}, // nothing required
		{`(?i)\x{212a}elvin`, reCNF{{{"kelvin", true}}}},
		{"\ufffdabc", nil}, // U+FFFD also matches invalid bytes, which stay as they are
	}
	for _, c := range cases {
		re, err := syntax.Parse(c.expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got := regexRequirement(re); !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("%s: requirement %v, want %v", c.expr, got, c.want)
		}
	}
}

// TestRegexGateRejects checks that a long value lacking a required literal
// is rejected by the gate, and one holding them is left to the regexp.
func TestRegexGateRejects(t *testing.T) {
	re, err := compilePCRE(`(Get-Item|gci).{1,64}-Path.{1,64}\\(CurrentControlSet\\Services|CurrentVersion\\Run)\\`)
	if err != nil {
		t.Fatal(err)
	}
	g := newRegexGate(re)
	var folded []byte
	script := bytes.Repeat([]byte("Get-Item -Path C:\\Temp\\x.txt | Out-Null\n"), 100)
	done := false
	if g.admits(script, &folded, &done) {
		t.Errorf("gate admits a script without CurrentControlSet or CurrentVersion")
	}
	hit := []byte(`gci -Path HKLM:\System\CurrentControlSet\Services\x`)
	done = false
	if !g.admits(hit, &folded, &done) || !re.Match(hit) {
		t.Errorf("gate or regexp rejects %s", hit)
	}
}

// TestRegexGateClassRuns checks the class runs a gate requires: only long
// runs of ASCII classes.
func TestRegexGateClassRuns(t *testing.T) {
	cases := []struct {
		expr string
		runs []int // the run lengths kept
	}{
		{`\s[a-fA-F0-9]{64}\s[a-fA-F0-9]{16}`, []int{64, 16}},
		{`(?:[0-9]{8,})+x`, []int{8}},
		{`[0-9]{7}`, nil},                // too short to be worth a scan
		{`(?i)[a-z]{10}`, nil},           // (?i) adds KELVIN SIGN and long s
		{`(?:[0-9]{10})?|[a-f]{9}`, nil}, // optional, alternatives
	}
	for _, c := range cases {
		re, err := compilePCRE(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, r := range newRegexGate(re).runs {
			got = append(got, r.n)
		}
		if !slices.Equal(got, c.runs) {
			t.Errorf("%s: runs %v, want %v", c.expr, got, c.runs)
		}
	}
	re, _ := compilePCRE(`\s[a-fA-F0-9]{64}\s[a-fA-F0-9]{16}`)
	g := newRegexGate(re)
	var folded []byte
	done := false
	cmd := []byte(`"C:\Windows\system32\svchost.exe" -k netsvcs -p -s 0123456789abcdef0123456789abcdef`)
	if g.admits(cmd, &folded, &done) {
		t.Errorf("gate admits %s, which has 32 hex digits in a row, not 64", cmd)
	}
}

// TestClassRunSkips checks the skipping search for a run against counting
// every byte, on every value of up to 12 bytes over a class member and a
// non-member, for run lengths 1 to 6.
func TestClassRunSkips(t *testing.T) {
	for n := 1; n <= 6; n++ {
		run := classRun{n: n}
		run.in['a'] = true
		for size := 0; size <= 12; size++ {
			for bits := 0; bits < 1<<size; bits++ {
				v := make([]byte, size)
				longest, k := 0, 0
				for i := range v {
					v[i] = 'b'
					if bits>>i&1 == 1 {
						v[i] = 'a'
						k++
						longest = max(longest, k)
					} else {
						k = 0
					}
				}
				if got, want := run.occursIn(v), longest >= n; got != want {
					t.Fatalf("run of %d in %q: %v, want %v", n, v, got, want)
				}
			}
		}
	}
}

// TestRuneRun checks which expressions are decided by counting a run of
// one class, and the decisions against the regexp on values where newlines,
// non-ASCII and invalid bytes break or make the run.
func TestRuneRun(t *testing.T) {
	long := strings.Repeat("x", 999)
	cases := []struct {
		expr string
		n    int // 0: not a run
	}{
		{`.{1000,}`, 1000}, {`(.){200,}`, 200}, {`.{150}`, 150}, {`(?s).{4,9}`, 4}, {`[^/]{3,}`, 3},
		{`[^/]{100,}$`, 0}, {`^.{10}`, 0}, {`a{3}`, 0}, {`.{0,5}`, 0}, {`.*`, 0}, {`x.{5}`, 0},
	}
	values := []string{"", long, long + "é", long + "\n" + long, long + "\xff", "ab/cdé/", "a\nb\nc\nd", "\xff\xfe\xfd\xfc"}
	for _, c := range cases {
		re, err := compilePCRE(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		r := newRuneRunOf(re)
		if (r == nil) != (c.n == 0) || r != nil && r.n != c.n {
			t.Errorf("%s: run %+v, want length %d", c.expr, r, c.n)
			continue
		}
		for _, v := range values {
			if r != nil && r.occursIn([]byte(v)) != re.MatchString(v) {
				t.Errorf("%s on %q: run says %v, regexp %v", c.expr, v, !re.MatchString(v), re.MatchString(v))
			}
		}
	}
}

// TestRegexSplit checks which expressions split at a literal, and that
// the split decides long values as the regexp does.
func TestRegexSplit(t *testing.T) {
	cases := []struct {
		expr, lit string // lit "": no split
	}{
		{"\\w+`(\\w+|-|.)`[\\w+|\\s]", "`"},
		{`(Get-Item|gci).{1,64}-Path`, "-Path"},
		{`.*(?i)set&&`, ""},           // the literal folds case
		{`\bnet\s+user`, ""},          // an assertion before it
		{`net\s+user`, ""},            // a prefix the regexp skips to itself
		{`[a-z]+\s+(\w+\s*)+xyz`, ""}, // before the literal, no bound
	}
	for _, c := range cases {
		re, err := compilePCRE(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		sp := newRegexSplit(re)
		if got := ""; sp != nil && string(sp.lit) != c.lit || sp == nil && c.lit != "" {
			if sp != nil {
				got = string(sp.lit)
			}
			t.Errorf("%s: split at %q, want %q", c.expr, got, c.lit)
		}
	}
	re, _ := compilePCRE("\\w+`(\\w+|-|.)`[\\w+|\\s]")
	sp := newRegexSplit(re)
	script := strings.Repeat("$lines = $content -split \"`r?`n\" | Where-Object { $_ }\r\n", 200)
	for _, v := range []string{script, script + "Write-Host a`b`c", script + "x`" + strings.Repeat("y", 300) + "`z"} {
		if got, want := sp.match([]byte(v), re), re.MatchString(v); got != want {
			t.Errorf("split decides %v on a %d-byte script, regexp %v", got, len(v), want)
		}
	}
}

// FuzzRegexGate checks that the gate never rejects a value the regexp
// matches, so a |re test decides as the plain regexp does, and that the
// prefilter's literals occur in every value the regexp matches.
func FuzzRegexGate(f *testing.F) {
	seeds := [][2]string{
		{`(?i)kelvin`, "\u212aelvin"}, {`(?i)s+x`, "\u017fx"}, {`(?i)\x{212a}`, "k"},
		{"\ufffd", "\xff"}, {`(?i)[Cc]:\\[Pp]rogram`, `C:\PROGRAM`}, {`\w+` + "`" + `(\w+|-|.)` + "`" + `[\w+|\s]`, "a`b`c"},
		{`(?i)(set).*&&\s?set.*(environment|invoke|\$\{?input).*&&.*"`, `SET x && set y invoke && "`},
		{`(?i)\$\{` + "`?e`?n`?v`?:`?p`?a`?t`?h`?" + `\}`, "${ENV:PATH}"}, {`x$`, "x\n"},
		{`\s[a-fA-F0-9]{64}\s[a-f]{2}`, " " + strings.Repeat("aB", 32) + " ab"}, {`[0-9]{8}`, "x12345678"},
		{`\w+x.{1,3}\x{FFFD}`, "ax\xff\xe2\x82"}, {`(.{2,4})+é[^a]{2}`, "xyzé\xe2\x82\xac\xe2"},
		{`\d{1,3}\.\d{1,3}\.\b\w`, "10.1.x 1.2.3"}, {`.*(a|b)?\sset$`, "x set\n"}, {`(?m)[a-z]{2}=^x`, "ab=\nx"},
		{`\\[a-zA-Z0-9]{1,32}\.[a-zA-Z0-9]{1,6}\.[ "']{1}`, `C:\x\a.b." x`}, {`(?i)-[ek]c? `, "-\u212ac "},
		{`(?i)ǅ`, "ǆ"}, {`(?i)ß`, "ẞ"}, {`(?i)σ+`, "ς"}, {`(?i)İ`, "i"}, {`a(?i:b)c`, "aBc"},
		{`.{3,}`, "ab\ncd\xffe"}, {`(.){2,}`, "\n\xff\n"}, {`(?s).{4}`, "a\nb\n"}, {`[^/]{3,5}`, "a/bé/"},
		{`(?i)[k]{2}`, "\u212ak"}, {`([^\x{FFFD}]){2}`, "a\xffb\xe2\x82"},
		{`\+.*\+.*\+`, "a+b+\n+c"}, {"`.*`.*`", "``\xff`"}, {`(?s)\^.*\^.*\^`, "^\n^\n^"}, {`aba.*aba`, "ababa"},
		{`(?i)\+.*\+`, "++"}, {`(?i)k.*k`, "\u212ak"}, {`\n.*\n`, "\n\n"}, {`a\nb.*a\nb`, "a\nba\nb"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, expr, input string) {
		re, err := compilePCRE(expr)
		if err != nil {
			return
		}
		want := re.MatchString(input)
		rt := &regexTest{res: []*regexp.Regexp{re}, gates: []regexGate{newRegexGate(re)},
			splits: []*regexSplit{newRegexSplit(re)}, runs: []*runeRun{newRuneRunOf(re)},
			counts: []*literalRepeat{newLiteralRepeatOf(re)}}
		var m matcher
		if got := rt.test([]byte(input), &m); got != want {
			t.Fatalf("expr %q input %q: gated test %v, regexp %v", expr, input, got, want)
		}
		if r := newRuneRunOf(re); r != nil {
			if got := r.occursIn([]byte(input)); got != want {
				t.Fatalf("expr %q input %q: the run of %d decides %v, regexp %v", expr, input, r.n, got, want)
			}
		}
		if c := newLiteralRepeatOf(re); c != nil {
			if got := c.match([]byte(input)); got != want {
				t.Fatalf("expr %q input %q: %d of %q decide %v, regexp %v", expr, input, c.n, c.lit, got, want)
			}
		}
		if sp := newRegexSplit(re); sp != nil {
			if got := sp.match([]byte(input), re); got != want {
				t.Fatalf("expr %q input %q: split at %q decides %v, regexp %v", expr, input, sp.lit, got, want)
			}
		}
		if !want {
			return
		}
		lits := regexLiteralAlternatives(re.String())
		if lits == nil {
			return
		}
		folded := foldString(input)
		if !slices.ContainsFunc(lits, func(l string) bool { return bytes.Contains([]byte(folded), []byte(l)) }) {
			t.Fatalf("expr %q input %q: matches, but folded holds none of %q", expr, input, lits)
		}
	})
}

// TestLiteralRepeat: "L.*L...L" is decided by counting L, per line unless
// "." crosses lines; other shapes, and a literal holding a newline where
// "." stops at one, are left to the regexp.
func TestLiteralRepeat(t *testing.T) {
	plus14 := strings.TrimSuffix(strings.Repeat(`\+.*`, 14), `.*`)
	for _, tc := range []struct {
		expr  string
		n     int
		lines bool
	}{{plus14, 14, true}, {"`.*`.*`.*`.*`", 5, true}, {`(?s)\^.*\^.*\^`, 3, false}, {`(?i)\{.*\{`, 2, true}, {`ab.*?ab`, 2, true}} {
		c := newLiteralRepeatOf(regexp.MustCompile(tc.expr))
		if c == nil || c.n != tc.n || c.lines != tc.lines {
			t.Errorf("%q: %+v, want %d per line %v", tc.expr, c, tc.n, tc.lines)
		}
	}
	for _, expr := range []string{`\+.+\+`, `(?i)a.*a`, `\+.*\-`, `^\+.*\+`, `\+.*\+.*`, `é.*é`, `\+`, `\+.*\+|x`, `(?s)\+.*\+.*\+` + `(?-s).*\+`, `\n.*\n`, `a\nb.*a\nb`} {
		if c := newLiteralRepeatOf(regexp.MustCompile(expr)); c != nil {
			t.Errorf("%q: decided as %+v", expr, c)
		}
	}
	re := regexp.MustCompile(plus14)
	c := newLiteralRepeatOf(re)
	for _, v := range []string{
		strings.Repeat("a+", 14), strings.Repeat("a+", 13), strings.Repeat("+", 7) + "\n" + strings.Repeat("+", 7),
		"$x = 'a'+'b'+'c'+'d'+'e'+'f'+'g'+\r'h'+'i'+'j'+'k'+'l'+'m'+'n'+'o'",
	} {
		if got, want := c.match([]byte(v)), re.MatchString(v); got != want {
			t.Errorf("%q: count says %v, regexp %v", v, got, want)
		}
	}
	aba := regexp.MustCompile(`aba.*aba`)
	for _, v := range []string{"ababa", "abaaba", "abababa"} {
		if got, want := newLiteralRepeatOf(aba).match([]byte(v)), aba.MatchString(v); got != want {
			t.Errorf("aba.*aba on %q: count says %v, regexp %v", v, got, want)
		}
	}
}
