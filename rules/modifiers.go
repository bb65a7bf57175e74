package rules

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// valueTest decides a field's value (present and not null).
type valueTest interface {
	test(v []byte, m *matcher) bool
}

// patternTest: wildcard patterns, any (or, with |all, every) must match.
type patternTest struct {
	patterns []pattern
	all      bool
}

func (t *patternTest) test(v []byte, m *matcher) bool {
	done := false
	for i := range t.patterns {
		if hit := t.patterns[i].matchValue(v, &m.folded, &done); hit != t.all {
			return hit
		}
	}
	return t.all
}

// regexTest: the re modifier. RE2 syntax, linear time.
type regexTest struct {
	res []*regexp.Regexp
	all bool
}

func (t *regexTest) test(v []byte, _ *matcher) bool {
	for _, re := range t.res {
		if hit := re.Match(v); hit != t.all {
			return hit
		}
	}
	return t.all
}

// cidrTest: the cidr modifier, IPv4 and IPv6.
type cidrTest struct {
	prefixes []netip.Prefix
}

func (t *cidrTest) test(v []byte, _ *matcher) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(string(v)))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// numberTest: lt, lte, gt, gte. A value that is not a number never matches.
type numberTest struct {
	op     string
	limits []float64
}

func (t *numberTest) test(v []byte, _ *matcher) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
	if err != nil {
		return false
	}
	for _, lim := range t.limits {
		var hit bool
		switch t.op {
		case "lt":
			hit = f < lim
		case "lte":
			hit = f <= lim
		case "gt":
			hit = f > lim
		default:
			hit = f >= lim
		}
		if hit {
			return true
		}
	}
	return false
}

// fieldrefTest: the fieldref modifier; the value names another field of the
// same event, compared case-insensitively (or as the position modifier says).
type fieldrefTest struct {
	slots    []int
	position string // "", "contains", "startswith", "endswith"
	all      bool
}

func (t *fieldrefTest) test(v []byte, m *matcher) bool {
	for _, slot := range t.slots {
		other, ok := m.ev.Field(slot)
		hit := false
		if ok {
			m.refA = foldAppend(m.refA[:0], v)
			m.refB = foldAppend(m.refB[:0], other)
			a, b := m.refA, m.refB
			switch t.position {
			case "contains":
				hit = strings.Contains(string(a), string(b))
			case "startswith":
				hit = strings.HasPrefix(string(a), string(b))
			case "endswith":
				hit = strings.HasSuffix(string(a), string(b))
			default:
				hit = string(a) == string(b)
			}
		}
		if hit != t.all {
			return hit
		}
	}
	return t.all
}

// notTest: the neq modifier, true when the value equals none of the values.
type notTest struct{ inner valueTest }

func (t *notTest) test(v []byte, m *matcher) bool { return !t.inner.test(v, m) }

// Value transformations. Each turns one value (as tokens, wildcards and
// all) into the values the field is compared with.

var errWildcardInEncoded = errors.New("a value with wildcards cannot be encoded")

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

// utf16Encode encodes the literal as UTF-16 (wide is UTF-16LE; utf16 adds a
// little-endian byte order mark).
func utf16Encode(mod string, toks []token) ([][]token, error) {
	lit, err := literalOf(toks)
	if err != nil {
		return nil, err
	}
	var out []byte
	if mod == "utf16" {
		out = append(out, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(string(lit))) {
		if mod == "utf16be" {
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

// windashVariants expands every '-' or '/' that starts an option (after a
// non-word character, before a word character) into the dashes Windows
// command lines accept: '-', '/', en dash, em dash and horizontal bar.
func windashVariants(toks []token) ([][]token, error) {
	dashes := []string{"-", "/", "\u2013", "\u2014", "\u2015"}
	out := [][]token{nil}
	for ti, t := range toks {
		if t.kind != literalToken {
			for i := range out {
				out[i] = append(out[i], t)
			}
			continue
		}
		// Split the literal at option dashes.
		var pieces []string
		last := 0
		s := string(t.lit)
		for i := 0; i < len(s); i++ {
			if s[i] != '-' && s[i] != '/' {
				continue
			}
			before := i == 0 && ti == 0 || i > 0 && !isWordByte(s[i-1]) || i == 0 && ti > 0
			after := i+1 < len(s) && isWordByte(s[i+1])
			if before && after {
				pieces = append(pieces, s[last:i])
				last = i + 1
			}
		}
		pieces = append(pieces, s[last:])
		variants := []string{pieces[0]}
		for _, piece := range pieces[1:] {
			var next []string
			for _, v := range variants {
				for _, d := range dashes {
					next = append(next, v+d+piece)
				}
			}
			variants = next
			if len(variants)*len(out) > 4096 {
				return nil, errors.New("windash: too many option dashes")
			}
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

func isWordByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

// expandPlaceholders replaces %name% placeholders with each of their
// values. Placeholder values are Sigma values: their wildcards count.
func expandPlaceholders(toks []token, placeholders map[string][]string) ([][]token, error) {
	out := [][]token{nil}
	appendAlternatives := func(alts [][]token) {
		var next [][]token
		for _, prefix := range out {
			for _, a := range alts {
				next = append(next, append(append([]token(nil), prefix...), a...))
			}
		}
		out = next
	}
	for _, t := range toks {
		if t.kind != literalToken {
			appendAlternatives([][]token{{t}})
			continue
		}
		s := string(t.lit)
		for {
			i := strings.IndexByte(s, '%')
			j := -1
			if i >= 0 {
				j = strings.IndexByte(s[i+1:], '%')
			}
			if i < 0 || j < 0 {
				appendAlternatives([][]token{literalTokens([]byte(s))})
				break
			}
			name := s[i+1 : i+1+j]
			values, ok := placeholders[name]
			if !ok {
				return nil, fmt.Errorf("%w: placeholder %%%s%% is not defined (see the placeholders property)", ErrUnsupported, name)
			}
			appendAlternatives([][]token{literalTokens([]byte(s[:i]))})
			var alts [][]token
			for _, v := range values {
				alts = append(alts, parseValue(v))
			}
			appendAlternatives(alts)
			if len(out) > 4096 {
				return nil, errors.New("expand: too many combinations")
			}
			s = s[i+2+j:]
		}
	}
	return out, nil
}
