package rules

import (
	"slices"
	"strings"
	"testing"
)

// anchoredSpecs reads literals, one a line, each led by where it is
// anchored: '$' at the end, '^' at the start, '=' the whole value. Lines
// the lookup cannot take (empty, too long, not ASCII, repeated) are left
// out, as requiredLiteral leaves them to the automaton.
func anchoredSpecs(spec string) []valueLit {
	var lits []valueLit
	for _, line := range strings.Split(spec, "\n") {
		if len(line) < 2 {
			continue
		}
		at := map[byte]anchor{'$': atEnd, '^': atStart, '=': whole}[line[0]]
		l := valueLit{lit: string(foldAppend(nil, []byte(line[1:]))), at: at}
		if at == anywhere || len(l.lit) > maxNeedLen || !isASCII([]byte(l.lit)) || slices.Contains(lits, l) {
			continue
		}
		lits = append(lits, l)
	}
	return lits
}

// automatonAnchored is what the automaton says of lit in input: whether
// an occurrence of it ends where lit, anchored, must end.
func automatonAnchored(l valueLit, input []byte) bool {
	ac := buildAutomaton([]string{l.lit})
	folded := foldAppend(nil, input)
	// endsAt: an occurrence ends at k when the scan of the literal's
	// length of bytes that end at k finds it.
	endsAt := func(k int) bool {
		if k < len(l.lit) || k > len(folded) {
			return false
		}
		return len(ac.scan(scanText{b: folded[k-len(l.lit) : k]}, nil)) > 0
	}
	switch l.at {
	case atEnd:
		return endsAt(len(folded))
	case atStart:
		return endsAt(len(l.lit))
	default:
		return len(folded) == len(l.lit) && endsAt(len(folded))
	}
}

func checkAnchored(t *testing.T, spec, input string) {
	lits := anchoredSpecs(spec)
	if len(lits) == 0 {
		return
	}
	a := newAnchoredLits(lits)
	var folded []byte
	got := a.find(readable([]byte(input), &folded), nil)
	slices.Sort(got)
	var want []int32
	for i, l := range lits {
		if automatonAnchored(l, []byte(input)) {
			want = append(want, int32(i))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("literals %q, input %q: lookup finds %v, the automaton %v", lits, input, got, want)
	}
}

// FuzzAnchoredLits: the anchored lookup finds exactly the literals the
// automaton finds where they are anchored, on any input.
func FuzzAnchoredLits(f *testing.F) {
	for _, s := range [][2]string{
		{"$\\cmd.exe\n$.exe\n^c:\\windows\\\n=cmd.exe", `C:\Windows\System32\CMD.EXE`},
		{"=cmd.exe\n$cmd.exe\n^cmd", `Cmd.Exe`},
		{"$k\n=k\n^k", "\u212a"},
		{"$\\x.node\n^c:\\", "c:\\Ünïcode\\X.NODE"},
		{"=abc\n$bc", "a\u212abc"},
		{"$exe\n^exe", "exé"},
		{"$a\n^a\n=a", ""},
		{"$\\system32\\cmd.exe\n$32\\cmd.exe\n^c:\\windows\\system32\\\n=c:\\windows\\cmd.exe", `C:\Windows\System32\CMD.EXE`},
		{"=abcdefghij\n$bcdefghij\n$cdefghij\n^abcdefgh", "ABCDEFGHIJ"},
		{"$system32\n^system32\n=system32", "\u017fystem32"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, spec, input string) {
		checkAnchored(t, spec, input)
	})
}

// TestAnchoredLitsLongValue: a value far longer than any literal is read
// only near its ends.
func TestAnchoredLitsLongValue(t *testing.T) {
	long := "C:\\x.EXE " + strings.Repeat("é-", 100) + " C:\\WINDOWS\\y.DLL"
	checkAnchored(t, "$y.dll\n^c:\\x.exe\n=c:\\x.exe\n$\\y.dll\n$é-", long)
	checkAnchored(t, "=ab\n$b", strings.Repeat("\u212a", 40)+"ab")
}

// TestRequiredLiteral: where each kind of value puts its literal.
func TestRequiredLiteral(t *testing.T) {
	long := strings.Repeat("abcdefghij", 3) // 30 bytes
	for _, tc := range []struct {
		value string
		want  valueLit
	}{
		{`*\CMD.exe`, valueLit{`\cmd.exe`, atEnd}},
		{`C:\Windows\\*`, valueLit{`c:\windows\`, atStart}},
		{`cmd.exe`, valueLit{`cmd.exe`, whole}},
		{`*-enc *`, valueLit{`-enc `, anywhere}},
		{long, valueLit{long[6:], atEnd}},
		{long + `*`, valueLit{long[:24], atStart}},
		{`*` + long, valueLit{long[6:], atEnd}},
		{`*` + long + `*`, valueLit{long[6:], anywhere}},
		{`C:\Users\\*\AppData\x.exe`, valueLit{`\appdata\x.exe`, atEnd}},
		{`C:\Program Files\\*\x`, valueLit{`c:\program files\`, atStart}},
		{`*\a*\bcd*`, valueLit{`\bcd`, anywhere}},
		{`*\é.exe`, valueLit{`\é.exe`, anywhere}},
		{`*`, valueLit{}},
	} {
		p := compilePattern(parseValue(tc.value))
		if got := p.requiredLiteral(); got != tc.want {
			t.Errorf("%q: requiredLiteral = %+v, want %+v", tc.value, got, tc.want)
		}
	}
}
