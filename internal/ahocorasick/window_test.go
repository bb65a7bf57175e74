package ahocorasick

import (
	"slices"
	"strings"
	"testing"
)

// asciiPatterns keeps the patterns a Window takes: ASCII, non-empty.
func asciiPatterns(list []string) []string {
	var out []string
	for _, p := range list {
		if p != "" && !strings.ContainsFunc(p, func(r rune) bool { return r >= 0x80 }) {
			out = append(out, p)
		}
	}
	return out
}

// checkWindow compares Window.Scan with Automaton.Scan over the same
// patterns: the same ids, in the same order.
func checkWindow(t *testing.T, patterns []string, text []byte) {
	t.Helper()
	if len(patterns) == 0 {
		return
	}
	w, a := NewWindow(patterns, simpleFold), New(patterns, simpleFold)
	if !slices.Equal(w.Canonical(), a.Canonical()) {
		t.Fatalf("patterns %q: Window canon %v, Automaton's %v", patterns, w.Canonical(), a.Canonical())
	}
	var s1, s2 []byte
	got := w.Scan(text, []int32{-7}, &s1, simpleFold)
	want := a.Scan(text, []int32{-7}, &s2)
	if !slices.Equal(got, want) {
		t.Fatalf("Scan(%q) over %q: Window %v, Automaton %v", text, patterns, got, want)
	}
}

func TestWindowScan(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		text     string
	}{
		{[]string{"sha256=0123456789abcdef", "456789abcdef", "md5=ffee"}, "SHA1=AA,SHA256=0123456789ABCDEF0123,MD5=FFEE"},
		{[]string{"aaaa", "aaaaaa", "aaaaa"}, "aaaaaaaaa"},
		{[]string{"abcdefgh", "ABCDEFGH", "bcdefgh"}, "xxABCDEFGHabcdefgh"},
		{[]string{"system32"}, "\u017Fystem32 C:\\Windows\\SYSTEM32"},
		{[]string{"kbkbkbkb"}, "\u212Abkbkbkb"},
		{[]string{"abcdefgh"}, "abcdefg"},
		{[]string{"abcdefgh"}, "é\xffabcdefgh\xfe"},
	} {
		checkWindow(t, tc.patterns, []byte(tc.text))
	}
}

// FuzzWindow: the rolling-hash Window finds what the automaton finds, in
// its order, for any ASCII patterns (one per line) and any text.
func FuzzWindow(f *testing.F) {
	f.Add("sha256=0123\n0123456\nabc", []byte("SHA256=0123456789"))
	f.Add("aa\naaa\naaaa", []byte("aaaaaaa"))
	f.Add("kb\nsy", []byte("\u212AB\u017Fy\xff"))
	f.Fuzz(func(t *testing.T, patterns string, text []byte) {
		if len(patterns) > 4096 || len(text) > 1024 {
			return
		}
		checkWindow(t, asciiPatterns(strings.Split(patterns, "\n")), text)
	})
}
