package rules

import (
	"strings"
	"testing"
)

// anyLinear is what patternTest decides without an index.
func anyLinear(patterns []pattern, v []byte) bool {
	var folded []byte
	done := false
	for i := range patterns {
		if patterns[i].matchValue(v, &folded, &done) {
			return true
		}
	}
	return false
}

// indexedList compiles each value of list as written, as a prefix and as
// a suffix, and indexes them.
func indexedList(list []string) (*patternTest, bool) {
	t := &patternTest{}
	for _, s := range list {
		for _, v := range []string{s, s + "*", "*" + s} {
			t.patterns = append(t.patterns, compilePattern(parseValue(v)))
		}
	}
	t.index = newPatternIndex(t.patterns)
	return t, t.index != nil
}

// TestPatternIndex checks the lookups on the shapes SigmaHQ's lists take,
// including values that only fold to a match (KELVIN SIGN is k) and
// values shorter than every key.
func TestPatternIndex(t *testing.T) {
	pt, ok := indexedList([]string{`\atbroker.exe`, `\audiodg.exe`, `\lsass.exe`, `C:\Program Files`, `x`, `kb`, `Olk.exe`, `ü.exe`, `a*b`})
	if !ok {
		t.Fatal("no index for 27 patterns")
	}
	m := &matcher{}
	for _, c := range []struct {
		v    string
		want bool
	}{
		{`C:\Windows\System32\LSASS.EXE`, true},
		{`C:\Windows\System32\lsass.exe.bak`, false},
		{`c:\program files\x.exe`, true},
		{`OLK.EXE`, true},
		{`X`, true},
		{`C:\Temp\x`, true},
		{"\u212Ab", true}, // KELVIN SIGN b folds to kb: decided in turn
		{`C:\lsass.e`, false},
		{``, false},
		{`y`, false},
		{`aXXb`, true},  // the glob, not indexed
		{`Ü.EXE`, true}, // a non-ASCII literal, not indexed
		{`C:\Windows\notepad.exe`, false},
	} {
		got, linear := pt.test([]byte(c.v), m), anyLinear(pt.patterns, []byte(c.v))
		if got != c.want || linear != c.want {
			t.Errorf("%q: index says %v, the list in turn %v, want %v", c.v, got, linear, c.want)
		}
	}
}

// FuzzPatternIndex checks that a list decided by the index agrees with
// the list tried in turn, on any list and value.
func FuzzPatternIndex(f *testing.F) {
	f.Add("\\lsass.exe\n\\svchost.exe\nC:\\Program Files\\", `C:\Windows\LSASS.exe`)
	f.Add("kb\nx\ny*z", "\u212Ab")
	f.Add("ab\ncd\nef", "AB")
	f.Add("\\kernel32.dll\n\\ntdll.dll\nc:\\windows\\system32", "C:\\Windows\\System32\\\u212Aernel32.dll")
	f.Fuzz(func(t *testing.T, list, value string) {
		pt, ok := indexedList(strings.Split(list, "\n"))
		if !ok {
			return
		}
		if got, want := pt.test([]byte(value), &matcher{}), anyLinear(pt.patterns, []byte(value)); got != want {
			t.Fatalf("list %q value %q: index says %v, the list in turn %v", list, value, got, want)
		}
	})
}
