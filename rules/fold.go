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
	return unicode.ToLower(unicode.ToUpper(r))
}

// foldString returns the case-folded form of s. It is used at compile time.
func foldString(s string) string {
	return string(foldAppend(nil, []byte(s)))
}

// foldAppend appends the case-folded form of v to dst. The fast path covers
// pure-ASCII input, lowered 8 bytes at a time; foldAppendSlow handles the
// rest.
func foldAppend(dst, v []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(v))[:n+len(v)]
	out := dst[n:]
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(v[i:])
		if x&0x8080808080808080 != 0 {
			break
		}
		binary.LittleEndian.PutUint64(out[i:], ahocorasick.Lower8(x))
	}
	for ; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return foldAppendSlow(dst[:n+i], v[i:])
		}
		out[i] = ahocorasick.Lower(v[i])
	}
	return dst
}

func foldAppendSlow(dst, v []byte) []byte {
	for len(v) > 0 {
		c := v[0]
		if c < utf8.RuneSelf {
			dst = append(dst, ahocorasick.Lower(c))
			v = v[1:]
			continue
		}
		r, n := utf8.DecodeRune(v)
		if r == utf8.RuneError && n <= 1 {
			// Invalid UTF-8 is compared byte for byte, never rewritten.
			dst = append(dst, c)
			v = v[1:]
			continue
		}
		dst = utf8.AppendRune(dst, foldRune(r))
		v = v[n:]
	}
	return dst
}
