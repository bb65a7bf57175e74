package ahocorasick

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

// classBytes is what the automaton reads of folded bytes: every byte
// >= 0x80 reads as the same byte, upper-case ASCII as lower case.
func classBytes(folded []byte) []byte {
	out := make([]byte, len(folded))
	for i, b := range folded {
		switch {
		case b >= 0x80:
			out[i] = 0x80
		case 'A' <= b && b <= 'Z':
			out[i] = b + 'a' - 'A'
		default:
			out[i] = b
		}
	}
	return out
}

// occurrences counts, overlapping ones included, where p occurs in text.
func occurrences(text, p []byte) int {
	n := 0
	for i := 0; i+len(p) <= len(text); i++ {
		if bytes.Equal(text[i:i+len(p)], p) {
			n++
		}
	}
	return n
}

// checkAgainstReference compares a.Scan(text), a.ScanFolded of the text
// folded by the caller and, for ASCII text, a.ScanFolded of the text as it
// is with the naive
// reference: each pattern is reported, under its canonical id, once per
// occurrence of its folded form in the folded text as the automaton reads
// them (bytes >= 0x80 alike), and at least wherever its folded form
// occurs exactly.
func checkAgainstReference(t *testing.T, a *Automaton, patterns []string, text []byte) {
	t.Helper()
	var scratch []byte
	folded := simpleFold(nil, text)
	checkHits(t, a, patterns, folded, "Scan", a.Scan(text, nil, &scratch))
	checkHits(t, a, patterns, folded, "ScanFolded", a.ScanFolded(folded, nil))
	if IsASCII(text) {
		checkHits(t, a, patterns, folded, "ScanFolded of ASCII", a.ScanFolded(text, nil))
	}
}

// checkHits compares what a scan of the folded text reported with the
// reference (see checkAgainstReference).
func checkHits(t *testing.T, a *Automaton, patterns []string, folded []byte, scan string, hits []int32) {
	t.Helper()
	got := map[int32]int{}
	for _, id := range hits {
		if id < 0 || int(id) >= len(patterns) || a.Canonical()[id] != id {
			t.Fatalf("%s(%q) over %q reported %d, not a canonical id", scan, folded, patterns, id)
		}
		got[id]++
	}
	classed := classBytes(folded)
	for i, p := range patterns {
		fp := simpleFold(nil, []byte(p))
		id := a.Canonical()[i]
		if id > int32(i) || !bytes.Equal(classBytes(simpleFold(nil, []byte(patterns[id]))), classBytes(fp)) {
			t.Fatalf("Canonical()[%d] = %d: %q and %q do not read alike", i, id, patterns[id], p)
		}
		want := 0
		if len(fp) > 0 {
			want = occurrences(classed, classBytes(fp))
		}
		if got[id] != want {
			t.Fatalf("%s(%q) over %q: pattern %d (%q) reported %d times, want %d", scan, folded, patterns, i, p, got[id], want)
		}
		if len(fp) > 0 && bytes.Contains(folded, fp) && got[id] == 0 {
			t.Fatalf("%s(%q) over %q: pattern %d (%q) occurs but is not reported", scan, folded, patterns, i, p)
		}
	}
}

// FuzzAutomaton checks Scan against the naive reference. patterns holds
// the patterns one per line.
func FuzzAutomaton(f *testing.F) {
	f.Add("he\nshe\nhis\nhers", []byte("ushers"))
	f.Add("a\naa\naaa\n\na", []byte("aaaa"))
	f.Add("\\rundll32.exe\n -enc \ncomsvcs.dll", []byte(`"C:\Windows\System32\RUNDLL32.EXE" C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\lsass.dmp full`))
	f.Fuzz(func(t *testing.T, patterns string, text []byte) {
		// Bounded so each run stays fast (the reference is quadratic)
		// and the fuzzer spends its time on new shapes, not long inputs.
		if len(patterns) > 4096 || len(text) > 1024 {
			return
		}
		list := strings.Split(patterns, "\n")
		a := New(list, simpleFold)
		checkAgainstReference(t, a, list, text)
		checkAgainstReference(t, withoutRarePairs(a), list, text)
	})
}

// withoutRarePairs returns a copy of a without the rare-pair skip, so
// long texts are walked in segments from their start (split.go): New
// leaves the skip out only for sets with a one-byte pattern or of
// thousands of patterns, too large for the fuzzer.
func withoutRarePairs(a *Automaton) *Automaton {
	b := *a
	b.rare = nil
	return &b
}
