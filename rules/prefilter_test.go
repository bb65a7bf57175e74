package rules

import (
	"slices"
	"testing"
	"unicode/utf8"
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

// TestBuildAutomatonCanon: literals that read alike are scanned as the
// first of them, which the Set looks up through canon.
func TestBuildAutomatonCanon(t *testing.T) {
	a := buildAutomaton([]string{`\cmd.exe`, ` -enc `, `\cmd.exe`})
	if want := []int32{0, 1, 0}; !slices.Equal(a.canon, want) {
		t.Fatalf("canon = %v, want %v", a.canon, want)
	}
	var folded []byte
	hits := a.scan([]byte(`C:\Windows\System32\CMD.EXE /c powershell -enc AAAA`), nil, &folded)
	if want := []int32{0, 1}; !slices.Equal(hits, want) {
		t.Errorf("scan = %v, want %v", hits, want)
	}
}
