package rules

import (
	"encoding/binary"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/ahocorasick"
)

// Sigma compares values case-insensitively. Both sides are brought to one
// case-folded form before comparison: patterns once, at compile time, and
// event values once per comparison. The form is simple Unicode case folding
// (every rune mapped to lower(upper(r)), so 'K' KELVIN SIGN and 'k' meet),
// with an ASCII fast path because nearly all Windows event data is ASCII.

// foldRune returns the case-folded form of r.
func foldRune(r rune) rune {
	if r >= 0 && r < rune(len(latin1Fold)) {
		return latin1Fold[r]
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

// latin1Fold holds foldRune of the runes below U+0100 (the ® of Windows'
// product names, Western European letters), which would otherwise cost
// two searches of the case tables each.
var latin1Fold = func() (t [0x100]rune) {
	for r := range t {
		t[r] = unicode.ToLower(unicode.ToUpper(rune(r)))
	}
	return t
}()

// foldString returns the case-folded form of s. It is used at compile time.
func foldString(s string) string {
	return string(foldAppend(nil, []byte(s)))
}

// foldAppend appends the case-folded form of v to dst: runs of ASCII
// lowered 8 bytes at a time, each other rune folded on its own, so a value
// with a few such runes ("Microsoft® Windows® Operating System") stays
// mostly on the fast path.
func foldAppend(dst, v []byte) []byte {
	for len(v) > 0 {
		if k := asciiPrefix(v); k > 0 {
			dst = lowerAppend(dst, v[:k])
			if v = v[k:]; len(v) == 0 {
				break
			}
		}
		r, n := utf8.DecodeRune(v)
		if r == utf8.RuneError && n <= 1 {
			// Invalid UTF-8 is compared byte for byte, never rewritten.
			dst = append(dst, v[0])
			v = v[1:]
			continue
		}
		dst = utf8.AppendRune(dst, foldRune(r))
		v = v[n:]
	}
	return dst
}

// asciiPrefix returns how many bytes v begins with that are ASCII.
func asciiPrefix(v []byte) int {
	i := 0
	for ; i+8 <= len(v); i += 8 {
		if binary.LittleEndian.Uint64(v[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for i < len(v) && v[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// lowerAppend appends ASCII v to dst with its letters lowered, 8 bytes at
// a time.
func lowerAppend(dst, v []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(v))[:n+len(v)]
	out := dst[n:]
	i := 0
	for ; i+8 <= len(v); i += 8 {
		binary.LittleEndian.PutUint64(out[i:], ahocorasick.Lower8(binary.LittleEndian.Uint64(v[i:])))
	}
	for ; i < len(v); i++ {
		out[i] = ahocorasick.Lower(v[i])
	}
	return dst
}
