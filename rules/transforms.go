package rules

// This file holds the value transforms: the modifiers (base64, base64offset,
// utf16 and wide, windash, expand) that rewrite a rule's value into the
// values compared, once, at compile time.

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
)

// Value transformations. Each turns one value (as tokens, wildcards and
// all) into the values the field is compared with.

var errWildcardInEncoded = errorf(KindBadValue, "a value with wildcards cannot be encoded")

func literalOf(toks []token) ([]byte, error) {
	var b []byte
	for _, t := range toks {
		if t.kind != literalToken {
			return nil, errWildcardInEncoded
		}
		b = append(b, t.lit...)
	}
	return b, nil
}

func literalTokens(b []byte) []token {
	if len(b) == 0 {
		return nil
	}
	return []token{{kind: literalToken, lit: b}}
}

// utf16Encoder returns the transform that encodes the literal as UTF-16,
// big- or little-endian, after a little-endian byte order mark if bom (wide
// and utf16le are little-endian; utf16 adds the mark).
func utf16Encoder(bigEndian, bom bool) func([]token) ([][]token, error) {
	return func(toks []token) ([][]token, error) { return utf16Encode(toks, bigEndian, bom) }
}

func utf16Encode(toks []token, bigEndian, bom bool) ([][]token, error) {
	lit, err := literalOf(toks)
	if err != nil {
		return nil, err
	}
	var out []byte
	if bom {
		out = append(out, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(string(lit))) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return [][]token{literalTokens(out)}, nil
}

func base64Encode(toks []token) ([][]token, error) {
	lit, err := literalOf(toks)
	if err != nil {
		return nil, err
	}
	return [][]token{literalTokens([]byte(base64.StdEncoding.EncodeToString(lit)))}, nil
}

// base64Offsets returns the three base64 forms of the literal as it may
// appear inside a longer encoded text, at each offset modulo 3: the
// characters that depend on unknown neighbouring bytes are cut off.
func base64Offsets(toks []token) ([][]token, error) {
	lit, err := literalOf(toks)
	if err != nil {
		return nil, err
	}
	start := [3]int{0, 2, 3}
	var out [][]token
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, i), lit...))
		end := len(enc) - [3]int{0, 3, 2}[(len(lit)+i)%3]
		if start[i] >= end {
			continue
		}
		out = append(out, literalTokens([]byte(enc[start[i]:end])))
	}
	return out, nil
}

// windashVariants expands every dash of the value's text into each of
// the dashes Windows command lines accept, as the specification defines
// the modifier: "all possible permutations of the -, /, – (en dash), —
// (em dash), and ― (horizontal bar) characters", each one of them wherever
// it stands. (pySigma changes only a '-' or '/' that starts an option; the
// specification's wider set is what a rule author who wrote windash
// expects: "start/b" also as "start-b".)
func windashVariants(toks []token) ([][]token, error) {
	out := [][]token{nil}
	for _, t := range toks {
		if t.kind != literalToken {
			for i := range out {
				out[i] = append(out[i], t)
			}
			continue
		}
		variants := []string{""}
		for rest := string(t.lit); rest != ""; {
			piece, dash := cutAtDash(rest)
			rest = rest[len(piece)+len(dash):]
			for i := range variants {
				variants[i] += piece
			}
			if dash == "" {
				break
			}
			if len(variants)*len(windashes)*len(out) > maxVariants {
				return nil, tooManyVariants(string(t.lit))
			}
			next := make([]string, 0, len(variants)*len(windashes))
			for _, v := range variants {
				for _, d := range windashes {
					next = append(next, v+d)
				}
			}
			variants = next
		}
		var expanded [][]token
		for _, prefix := range out {
			for _, v := range variants {
				expanded = append(expanded, append(append([]token(nil), prefix...), literalTokens([]byte(v))...))
			}
		}
		out = expanded
	}
	return out, nil
}

// windashes are the characters windash makes of each other.
var windashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// cutAtDash returns the text of s before its first windash character, and
// that character ("" when there is none).
func cutAtDash(s string) (before, dash string) {
	for i := 0; i < len(s); i++ {
		for _, d := range windashes {
			if strings.HasPrefix(s[i:], d) {
				return s[:i], d
			}
		}
	}
	return s, ""
}

// maxVariants bounds the values windash and expand make of one value.
const maxVariants = 4096

func tooManyVariants(v string) error {
	return errorf(KindBadValue, "too many combinations: %q makes more than %d values", v, maxVariants)
}

// expandPlaceholders parses the value v as written, its %name%
// placeholders replaced with each of their values. Placeholder values are
// Sigma values: their wildcards count. A percent sign after a backslash is
// plain text (the specification's example: '\%plain%name%' reads
// "%plain", then placeholder %name%); after an escaped backslash (\\%) it
// opens a placeholder.
func expandPlaceholders(v string, placeholders map[string][]string) ([][]token, error) {
	out := [][]token{nil}
	appendAlternatives := func(alts [][]token) error {
		// Checked before building: placeholders of thousands of values
		// each would otherwise take gigabytes to find out.
		if len(out)*len(alts) > maxVariants {
			return tooManyVariants(v)
		}
		var next [][]token
		for _, prefix := range out {
			for _, a := range alts {
				next = append(next, append(append([]token(nil), prefix...), a...))
			}
		}
		out = next
		return nil
	}
	s := v
	for {
		i := placeholderPercent(s, 0)
		j := -1
		if i >= 0 {
			j = placeholderPercent(s, i+1)
		}
		if i < 0 || j < 0 {
			return out, appendAlternatives([][]token{parseValue(unescapePercent(s))})
		}
		name := s[i+1 : j]
		values, ok := placeholders[name]
		if !ok {
			return nil, errorf(KindUnknownPlaceholder, "%w: placeholder %%%s%% is not defined (see the placeholders property)", ErrUnsupported, name)
		}
		if err := appendAlternatives([][]token{parseValue(unescapePercent(s[:i]))}); err != nil {
			return nil, err
		}
		if len(out)*len(values) > maxVariants { // before parsing the values
			return nil, tooManyVariants(v)
		}
		var alts [][]token
		for _, v := range values {
			alts = append(alts, parseValue(v))
		}
		if err := appendAlternatives(alts); err != nil {
			return nil, err
		}
		s = s[j+1:]
	}
}

// placeholderPercent returns the index of the first '%' in s from 'from'
// on that no backslash escapes, or -1.
func placeholderPercent(s string, from int) int {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '%' || s[i+1] == '\\') {
				i++ // \% is a plain percent; \\ one backslash, whatever follows
			}
		case '%':
			return i
		}
	}
	return -1
}

// unescapePercent turns each escaped '\%' of a value as written into '%',
// leaving escaped backslashes ('\\') for parseValue.
func unescapePercent(s string) string {
	if !strings.Contains(s, `\%`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '%' || s[i+1] == '\\') {
			i++
			if s[i] == '\\' {
				b.WriteByte('\\') // kept escaped: parseValue reads it
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
