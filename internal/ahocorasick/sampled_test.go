package ahocorasick

import (
	"slices"
	"strings"
	"testing"
)

// asciiPatterns keeps the patterns a Sampled may take: ASCII, non-empty.
func asciiPatterns(list []string) []string {
	var out []string
	for _, p := range list {
		if p != "" && !strings.ContainsFunc(p, func(r rune) bool { return r >= 0x80 }) {
			out = append(out, p)
		}
	}
	return out
}

// checkSampled compares Sampled.Scan with Automaton.Scan over the same
// patterns (those of MinSampled bytes or more): the same ids, as many
// times each, whatever the order.
func checkSampled(t *testing.T, patterns []string, text []byte) {
	t.Helper()
	var long []string
	for _, p := range asciiPatterns(patterns) {
		if len(p) >= MinSampled {
			long = append(long, p)
		}
	}
	if len(long) == 0 {
		return
	}
	x, a := NewSampled(long, simpleFold), New(long, simpleFold)
	if !slices.Equal(x.Canonical(), a.Canonical()) {
		t.Fatalf("patterns %q: Sampled canon %v, Automaton's %v", long, x.Canonical(), a.Canonical())
	}
	var s1, s2 []byte
	got := x.Scan(text, []int32{-7}, &s1, simpleFold)
	want := a.Scan(text, []int32{-7}, &s2)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Scan(%q) over %q: Sampled %v, Automaton %v", text, long, got, want)
	}
	// Text the caller folded: ScanFolded finds what the automaton does.
	folded := simpleFold(nil, text)
	again, ref := x.ScanFolded(folded, []int32{-7}), a.ScanFolded(folded, []int32{-7})
	slices.Sort(again)
	if slices.Sort(ref); !slices.Equal(again, ref) {
		t.Fatalf("ScanFolded(%q) over %q: Sampled %v, Automaton %v", folded, long, again, ref)
	}
}

func TestSampledScan(t *testing.T) {
	sha := "sha256=0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		patterns []string
		text     string
	}{
		{[]string{sha, "0123456789abcdef0123", "md5=ffeeddccbbaa99887766"}, "SHA1=AA,SHA256=0123456789ABCDEF0123456789ABCDEF,MD5=FFEEDDCCBBAA99887766"},
		{[]string{strings.Repeat("a", 16), strings.Repeat("a", 20)}, strings.Repeat("a", 40)},
		{[]string{"abcdefghijklmnop", "ABCDEFGHIJKLMNOP", "bcdefghijklmnopq"}, "xxABCDEFGHIJKLMNOPQabcdefghijklmnop"},
		{[]string{"c:\\windows\\system32\\"}, "\u017Fystem C:\\Windows\\\u017FYSTEM32\\ c:\\windows\\system32\\"},
		{[]string{"kbkbkbkbkbkbkbkb"}, "\u212Abkbkbkbkbkbkbkb"},
		{[]string{"abcdefghijklmnop"}, "abcdefghijklmno"},
		{[]string{"abcdefghijklmnop"}, "é\xffabcdefghijklmnop\xfe"},
		{[]string{"@[\\]^_`{|}~!\"#$%&'()*+,-./", "AZaz@[`{azAZAZaz"}, "@[\\]^_`{|}~!\"#$%&'()*+,-./ azAZaz@[`{azAZAZaz"},
	} {
		checkSampled(t, tc.patterns, []byte(tc.text))
	}
}

// TestLower8 checks the 8-byte lowering against asciiLower on every byte.
func TestLower8(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			x := uint64(0x4142435a5b606162) // ABCZ[`ab
			x &^= 0xff << (8 * pos)
			x |= uint64(b) << (8 * pos)
			got := Lower8(x)
			for i := range 8 {
				in, out := byte(x>>(8*i)), byte(got>>(8*i))
				if out != asciiLower[in] {
					t.Fatalf("Lower8(%#x) = %#x: byte %d %#x became %#x", x, got, i, in, out)
				}
			}
		}
	}
}

// TestEqualLower: EqualLower, on strings and byte slices, agrees with
// lowering byte by byte, at every length of its text and with the one byte
// that differs at every position (capitals, their neighbours '@' and '[',
// bytes >= 0x80).
func TestEqualLower(t *testing.T) {
	const text = "C:\\WINDOWS\\@[Temp]\xc4\x81.EXE"
	for n := range len(text) + 1 {
		v := []byte(text[:n])
		lower := make([]byte, n)
		for i, c := range v {
			lower[i] = asciiLower[c]
		}
		if !EqualLower(v, string(lower)) || !EqualLower(v, lower) {
			t.Fatalf("%q is not equal to its lowering %q", v, lower)
		}
		if n > 0 && EqualLower(v, string(lower[:n-1])) {
			t.Fatalf("%q equals a shorter %q", v, lower[:n-1])
		}
		for i := range n {
			for _, c := range []byte{'@', 'A', 'a', '[', 0x80, 0xc4} {
				other := append([]byte(nil), lower...)
				other[i] = c
				want := string(other) == string(lower)
				if EqualLower(v, string(other)) != want || EqualLower(v, other) != want {
					t.Fatalf("%q against %q: want %v", v, other, want)
				}
			}
		}
	}
}

// FuzzSampled: the sampling finds what the automaton finds, for any ASCII
// patterns of MinSampled bytes or more (one per line) and any text.
func FuzzSampled(f *testing.F) {
	f.Add("sha256=0123456789abcdef\n0123456789abcdef0\nabc", []byte("SHA256=0123456789ABCDEF0123"))
	f.Add("aaaaaaaaaaaaaaaa\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", []byte(strings.Repeat("a", 70)))
	f.Add("kbkbkbkbkbkbkbkb\nsysystemsysystem", []byte("\u212AB\u017Fy\xffkbkbkbkbkbkbkbkb"))
	f.Fuzz(func(t *testing.T, patterns string, text []byte) {
		if len(patterns) > 4096 || len(text) > 1024 {
			return
		}
		checkSampled(t, strings.Split(patterns, "\n"), text)
	})
}

// TestIsASCII puts one byte >= 0x80 at every position of texts of 0 to 20
// bytes, across the 8-byte words IsASCII reads.
func TestIsASCII(t *testing.T) {
	for n := range 21 {
		text := []byte(strings.Repeat("a", n))
		if !IsASCII(text) {
			t.Fatalf("%q: not ASCII", text)
		}
		for i := range n {
			for _, b := range []byte{0x80, 0xc3, 0xff} {
				text[i] = b
				if IsASCII(text) {
					t.Fatalf("%q: ASCII", text)
				}
				text[i] = 0x7f
				if !IsASCII(text) {
					t.Fatalf("%q: not ASCII", text)
				}
				text[i] = 'a'
			}
		}
	}
}
