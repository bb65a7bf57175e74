package ahocorasick

import (
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"
)

// simpleFold is the folding the rules package gives New: simple Unicode
// case folding, each rune mapped to lower(upper(r)), invalid UTF-8 kept
// byte for byte.
func simpleFold(dst, src []byte) []byte {
	for len(src) > 0 {
		r, n := utf8.DecodeRune(src)
		if r == utf8.RuneError && n <= 1 {
			dst = append(dst, src[0])
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(unicode.ToUpper(r)))
		}
		src = src[n:]
	}
	return dst
}

func scan(a *Automaton, text string) []int32 {
	var scratch []byte
	return a.Scan([]byte(text), nil, &scratch)
}

func TestScan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patterns []string
		text     string
		want     []int32
	}{
		{"no patterns", nil, "anything", nil},
		{"empty input", []string{"a", "ab"}, "", nil},
		{"empty pattern never reported", []string{"", "b"}, "abc", []int32{1}},
		{"only the empty pattern", []string{""}, "abc", nil},
		{"overlapping and nested", []string{"he", "she", "his", "hers"}, "ushers", []int32{1, 0, 3}},
		{"nested, longest first", []string{"a", "aa", "aaa"}, "aaaa", []int32{0, 1, 0, 2, 1, 0, 2, 1, 0}},
		{"once per occurrence", []string{"ab"}, "abxab ab", []int32{0, 0, 0}},
		{"duplicates report the first", []string{"x", "abc", "abc"}, "abc", []int32{1}},
		{"pattern longer than input", []string{"powershell"}, "power", nil},
		{"pattern is the input", []string{"cmd.exe"}, "cmd.exe", []int32{0}},
		{"at start and end", []string{"ab", "yz"}, "abcxyz", []int32{0, 1}},
		{"one byte at the end", []string{"z"}, "abz", []int32{0}},
		{"one byte alone", []string{"z"}, "z", []int32{0}},
		{"prefix of the input only", []string{"abd"}, "abc", nil},
		{"through a failure link deep in the trie", []string{"abcdefgh", "cdefx"}, "abcdefx", []int32{1}},
		{"upper-case text", []string{"\\rundll32.exe"}, `C:\WINDOWS\System32\RunDll32.EXE`, []int32{0}},
		{"upper-case pattern is folded", []string{"-EncodedCommand"}, "powershell -encodedcommand", []int32{0}},
		{"non-ASCII text and pattern", []string{"ärger"}, "viel ÄRGER", []int32{0}},
		{"hits before a non-ASCII byte counted once", []string{"abc"}, "abc é abc", []int32{0, 0}},
		{"invalid UTF-8 kept", []string{"abc"}, "\xffabc\xfe", []int32{0}},
		{"kelvin sign folds to k", []string{"kb"}, "\u212AB", []int32{0}},
		{"long s folds to s", []string{"system32"}, "\u017Fystem32", []int32{0}},
		{"non-ASCII bytes read alike", []string{"é"}, "ü", []int32{0}},
		{"non-ASCII count matters", []string{"aéb"}, "a€b", nil},
		{"UTF-8 pattern in ASCII text", []string{"é"}, "e", nil},
		{"a byte >= 0x80 after the last rare pair", []string{"ab", "xy"}, "ab ab \xe9", []int32{0, 0}},
		{"long text without a rare pair", []string{"sekurlsa::"}, "sekurlsa sekurlsa sekurlsa", nil},
		{"long text from shortly before its first rare pair", []string{"sekurlsa::"}, strings.Repeat("sekurlsa ", 8) + "sekurlsa::", []int32{0}},
		{"rare pairs far apart", []string{"sekurlsa::", "kerberos::"}, "x sekurlsa x " + strings.Repeat("-", 100) + " KERBEROS::", []int32{1}},
		{"a rare pair late in the pattern", []string{"sekurlsa::"}, "sekurlsa sekurlsa::", []int32{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scan(New(tc.patterns, simpleFold), tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Scan(%q) over %q = %v, want %v", tc.text, tc.patterns, got, tc.want)
			}
		})
	}
}

func TestScanAppends(t *testing.T) {
	a := New([]string{"abc"}, simpleFold)
	var scratch []byte
	for _, text := range []string{"abc", "abc\xff"} {
		got := a.Scan([]byte(text), []int32{7}, &scratch)
		if want := []int32{7, 0}; !slices.Equal(got, want) {
			t.Errorf("Scan(%q) after [7] = %v, want %v", text, got, want)
		}
	}
}

func TestCanonical(t *testing.T) {
	a := New([]string{"abc", "ABC", "é", "x", "ü", "abc", "", ""}, simpleFold)
	if got, want := a.Canonical(), []int32{0, 0, 2, 3, 2, 0, 6, 6}; !slices.Equal(got, want) {
		t.Errorf("Canonical() = %v, want %v", got, want)
	}
}

// TestAgainstReference checks random pattern sets, large enough for deep
// sparse states, against the naive reference.
func TestAgainstReference(t *testing.T) {
	rng := newRand(1)
	alphabet := []string{"a", "b", "c", "A", "\\", ".", " ", "é", "\xff", "K", "\u212A"}
	word := func(max int) string {
		var s string
		for n := rng.Intn(max); n > 0; n-- {
			s += alphabet[rng.Intn(len(alphabet))]
		}
		return s
	}
	for round := 0; round < 200; round++ {
		patterns := make([]string, 1+rng.Intn(300))
		for i := range patterns {
			patterns[i] = word(12)
		}
		a := New(patterns, simpleFold)
		for k := 0; k < 20; k++ {
			text := []byte(word(200))
			checkAgainstReference(t, a, patterns, text)
			checkAgainstReference(t, withoutRarePairs(a), patterns, text)
		}
	}
}

// TestScanSplit: texts of minSplit bytes and more are walked in segments
// (split.go); the walks find what the reference finds at every length up
// to and past where segments begin, in particular occurrences across the
// segments' ends (where a walk must read on) and at both ends of the
// text. Thousands of patterns whose rarest pairs are common text leave
// New no rare-pair skip, so those texts are walked from their start; a
// set with rare pairs is walked from shortly before its first one.
func TestScanSplit(t *testing.T) {
	rng := newRand(3)
	const letters = "etaoinshr \\.-"
	patterns := make([]string, 3000)
	for i := range patterns {
		p := make([]byte, 2+rng.Intn(9))
		for j := range p {
			p[j] = letters[rng.Intn(len(letters))]
		}
		patterns[i] = string(p)
	}
	patterns = append(patterns, strings.Repeat("e", 10))
	a := New(patterns, simpleFold)
	if a.rare != nil {
		t.Fatal("rare pairs kept: want no rare-pair skip")
	}
	for n := 0; n <= 6*minSplit; n++ {
		text := make([]byte, n)
		for j := range text {
			text[j] = letters[rng.Intn(len(letters))]
		}
		checkAgainstReference(t, a, patterns, text)
	}
	checkSegmentEnds(t, rng, a, patterns, letters)

	// A set whose rarest pairs are rare text keeps the skip.
	mimikatz := []string{"sekurlsa::", "kerberos::", "lsadump::", "::", "a::b", "sa:"}
	m := New(mimikatz, simpleFold)
	if m.rare == nil {
		t.Fatal("Mimikatz keywords: no rare pairs: want the rare-pair skip")
	}
	checkSegmentEnds(t, rng, m, mimikatz, "sekurlsa:: ")
	checkSegmentEnds(t, rng, withoutRarePairs(m), mimikatz, "sekurlsa:: ")
}

// checkSegmentEnds checks random texts of letters with patterns laid
// across a segment's end, and the longest pattern ending just before it
// or at it: the last a walk reports inside its segment, the first it must
// report reading on.
func checkSegmentEnds(t *testing.T, rng *rand.Rand, a *Automaton, patterns []string, letters string) {
	t.Helper()
	longest := slices.MaxFunc(patterns, func(x, y string) int { return len(x) - len(y) })
	for k := 0; k < 300; k++ {
		n := minSplit + rng.Intn(200)
		text := make([]byte, n)
		for j := range text {
			text[j] = letters[rng.Intn(len(letters))]
		}
		end := segmentSize(n) * (1 + rng.Intn(3))
		p := patterns[rng.Intn(len(patterns))]
		copy(text[max(0, end-len(p)/2):], p)
		if end >= len(longest) {
			copy(text[end-len(longest)+k%2:], longest)
		}
		checkAgainstReference(t, a, patterns, text)
	}
}

// TestSegmentEnds: an occurrence that begins in the first segment and
// ends with the text, across every other segment, and occurrences that
// end exactly at a segment's end or begin exactly at one.
func TestSegmentEnds(t *testing.T) {
	patterns := []string{"bcdefghijklmnop", "efgh", "mnop", "dabc", "cd", "op"}
	a := New(patterns, simpleFold)
	for _, text := range []string{
		"abcdefghijklmnop",                   // 16 bytes, segments of 4
		"abcdefghijklmnopabcdefghijklmnop",   // 32 bytes, segments of 8
		"abcdefghijklmnopq",                  // the last segment takes the remainder
		"abcdabcdabcdabcdabcdabcdabcdabcdab", // dabc across every end
	} {
		checkAgainstReference(t, a, patterns, []byte(text))
		checkAgainstReference(t, withoutRarePairs(a), patterns, []byte(text))
	}
}

// TestLayout: the order pack numbers states in holds every state once,
// the dense ones first, and each sparse state right after its parent or
// after the subtree of its previous sibling (depth first).
func TestLayout(t *testing.T) {
	rng := newRand(4)
	lits := make([]string, 500)
	for i := range lits {
		p := make([]byte, 1+rng.Intn(12))
		for j := range p {
			p[j] = "abcde\\."[rng.Intn(7)]
		}
		lits[i] = string(p)
	}
	b := &builder{}
	b.assignClasses(lits)
	b.buildTrie(lits)
	b.buildEdges()
	order := b.layout(b.link())
	if len(order) != len(b.term) {
		t.Fatalf("%d states in the order, %d in the trie", len(order), len(b.term))
	}
	at := make([]int, len(order))
	for i := range at {
		at[i] = -1
	}
	for i, s := range order {
		if at[s] >= 0 {
			t.Fatalf("state %d twice", s)
		}
		at[s] = i
		if i > 0 && b.row[s] >= 0 && b.row[order[i-1]] < 0 {
			t.Fatalf("dense state %d after a sparse one", s)
		}
	}
	sparse := 0
	for s := range b.term {
		if b.row[s] >= 0 {
			continue
		}
		sparse++
		// A sparse state's first child comes right after it.
		if lo, hi := b.edgeAt[s], b.edgeAt[s+1]; lo < hi && at[b.edgeTo[lo]] != at[s]+1 {
			t.Fatalf("state %d at %d, its first child at %d", s, at[s], at[b.edgeTo[lo]])
		}
	}
	if sparse == 0 {
		t.Fatal("no sparse states: the test needs longer patterns")
	}
}

// TestConcurrentScan scans from several goroutines at once; run with
// -race.
func TestConcurrentScan(t *testing.T) {
	a := New([]string{"he", "she", "his", "hers", "ärger"}, simpleFold)
	texts := []string{"ushers", "SHE HIS", "ÄRGER und hers"}
	var want [][]int32
	for _, text := range texts {
		want = append(want, scan(a, text))
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []byte
			var hits []int32
			for n := 0; n < 1000; n++ {
				i := n % len(texts)
				hits = a.Scan([]byte(texts[i]), hits[:0], &scratch)
				if !slices.Equal(hits, want[i]) {
					t.Errorf("concurrent Scan(%q) = %v, want %v", texts[i], hits, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}
