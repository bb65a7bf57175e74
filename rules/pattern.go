package rules

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/ahocorasick"
)

// A pattern is one compiled Sigma value, matched against case-folded event
// text. Most Sigma values reduce to one literal with a wildcard at either
// end; those get a dedicated kind so matching is a single bytes call. Values
// with wildcards inside fall back to a glob over tokens.
type pattern struct {
	kind     patternKind
	lit      []byte  // folded literal for exact, prefix, suffix and contains
	asciiLit bool    // lit is pure ASCII: the fast paths of matchValue apply
	cased    bool    // the cased modifier: compare without folding
	glob     []token // for globPattern
}

type patternKind uint8

const (
	exactPattern    patternKind = iota // 'abc'
	prefixPattern                      // 'abc*'
	suffixPattern                      // '*abc'
	containsPattern                    // '*abc*'
	anyPattern                         // '*'
	globPattern                        // anything else with * or ?
)

type tokenKind uint8

const (
	literalToken tokenKind = iota
	starToken              // '*': any run of characters, possibly empty
	oneToken               // '?': exactly one character
)

type token struct {
	kind tokenKind
	lit  []byte // for literalToken: raw from parseValue, folded once compiled
}

// parseValue splits a Sigma string value into tokens following the Sigma
// specification's escaping: '*' and '?' are wildcards; '\*', '\?' and '\\'
// stand for the literal character; a backslash before anything else (or at
// the end) is itself literal, so Windows paths need no escaping.
func parseValue(s string) []token {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: literalToken, lit: []byte(lit.String())})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit.WriteByte(s[i+1])
			i++
		case c == '*':
			flush()
			// Consecutive stars mean the same as one.
			if n := len(toks); n == 0 || toks[n-1].kind != starToken {
				toks = append(toks, token{kind: starToken})
			}
		case c == '?':
			flush()
			toks = append(toks, token{kind: oneToken})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return toks
}

// compilePattern builds the case-insensitive matcher for tokens.
func compilePattern(toks []token) pattern {
	return compilePatternCased(toks, false)
}

// compilePatternCased builds the matcher for tokens, choosing the cheapest
// kind that has the same meaning. Literals are folded unless cased.
func compilePatternCased(toks []token, cased bool) pattern {
	toks = normalizeTokens(toks)
	for i := range toks {
		if toks[i].kind == literalToken && !cased {
			toks[i].lit = foldAppend(nil, toks[i].lit)
		}
	}
	p := choosePattern(toks)
	p.cased = cased
	return p
}

// normalizeTokens returns a copy of toks with adjacent literals merged and
// runs of stars collapsed, the form choosePattern recognises.
func normalizeTokens(toks []token) []token {
	var out []token
	for _, t := range toks {
		n := len(out)
		switch {
		case t.kind == literalToken && len(t.lit) == 0:
		case t.kind == literalToken && n > 0 && out[n-1].kind == literalToken:
			out[n-1].lit = append(append([]byte(nil), out[n-1].lit...), t.lit...)
		case t.kind == starToken && n > 0 && out[n-1].kind == starToken:
		default:
			out = append(out, t)
		}
	}
	return out
}

func choosePattern(toks []token) pattern {
	isStar := func(i int) bool { return toks[i].kind == starToken }
	isLit := func(i int) bool { return toks[i].kind == literalToken }
	switch n := len(toks); {
	case n == 0:
		return newPattern(exactPattern, []byte{})
	case n == 1 && isLit(0):
		return newPattern(exactPattern, toks[0].lit)
	case n == 1 && isStar(0):
		return newPattern(anyPattern, nil)
	case n == 2 && isLit(0) && isStar(1):
		return newPattern(prefixPattern, toks[0].lit)
	case n == 2 && isStar(0) && isLit(1):
		return newPattern(suffixPattern, toks[1].lit)
	case n == 3 && isStar(0) && isLit(1) && isStar(2):
		return newPattern(containsPattern, toks[1].lit)
	}
	return pattern{kind: globPattern, glob: toks}
}

func newPattern(kind patternKind, lit []byte) pattern {
	return pattern{kind: kind, lit: lit, asciiLit: isASCII(lit)}
}

// matchValue reports whether the raw event value v matches. Most values
// are decided without folding all of v: the bytes compared are ASCII, which
// fold one to one, and only then is the fast path taken. *folded caches
// the folded value for the other patterns of the same field.
func (p *pattern) matchValue(v []byte, folded *[]byte, done *bool) bool {
	if p.cased {
		return p.match(v)
	}
	if p.asciiLit {
		switch p.kind {
		case exactPattern:
			if len(v) == len(p.lit) && isASCII(v) {
				return ahocorasick.EqualLower(v, p.lit)
			}
			if len(v) != len(p.lit) && isASCII(v) {
				return false
			}
		case prefixPattern:
			if len(v) >= len(p.lit) && isASCII(v[:len(p.lit)]) {
				return ahocorasick.EqualLower(v[:len(p.lit)], p.lit)
			}
			if isASCII(v) {
				return false
			}
		case suffixPattern:
			if tail := len(v) - len(p.lit); tail >= 0 && isASCII(v[tail:]) {
				return ahocorasick.EqualLower(v[tail:], p.lit)
			}
			if isASCII(v) {
				return false
			}
		case anyPattern:
			return true
		}
	}
	if !*done {
		*folded = foldAppend((*folded)[:0], v)
		*done = true
	}
	return p.match(*folded)
}

func isASCII(b []byte) bool { return ahocorasick.IsASCII(b) }

// match reports whether folded (an event value already case-folded) matches.
func (p *pattern) match(folded []byte) bool {
	switch p.kind {
	case exactPattern:
		return bytes.Equal(folded, p.lit)
	case prefixPattern:
		return bytes.HasPrefix(folded, p.lit)
	case suffixPattern:
		return bytes.HasSuffix(folded, p.lit)
	case containsPattern:
		return bytes.Contains(folded, p.lit)
	case anyPattern:
		return true
	default:
		return globMatch(p.glob, folded)
	}
}

// globMatch matches tokens against s with the classic single-backtrack
// algorithm: on a mismatch it retries from the most recent star, one
// character further on. Time is O(len(toks) * len(s)); no recursion.
func globMatch(toks []token, s []byte) bool {
	ti, si := 0, 0
	starTok, starPos := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case starToken:
				starTok, starPos = ti, si
				ti++
				continue
			case oneToken:
				if si < len(s) {
					_, n := utf8.DecodeRune(s[si:])
					si += n
					ti++
					continue
				}
			case literalToken:
				if bytes.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last star swallow one more character.
		if starTok < 0 || starPos >= len(s) {
			return false
		}
		_, n := utf8.DecodeRune(s[starPos:])
		starPos += n
		if next, ok := skipToLiteral(toks, starTok+1, s, starPos); ok {
			if next < 0 {
				return false
			}
			starPos = next
		}
		ti, si = starTok+1, starPos
	}
}

// skipToLiteral finds, when the token after the last star is a literal
// beginning with a rune's first byte, where the star's retries would next
// get past it: its next occurrence at or after from (-1: none, so no retry
// can). The retries step by runes, and every byte that is not a UTF-8
// continuation byte starts one of their steps, so the occurrence found is
// the first they would reach. A search for "|" in "*net*|*find*" then
// costs one bytes.Index instead of a comparison per byte of a 2 KB
// command line. ok is false when the retries must step.
func skipToLiteral(toks []token, ti int, s []byte, from int) (next int, ok bool) {
	if ti >= len(toks) || toks[ti].kind != literalToken || !utf8.RuneStart(toks[ti].lit[0]) {
		return 0, false
	}
	j := bytes.Index(s[from:], toks[ti].lit)
	if j < 0 {
		return -1, true
	}
	return from + j, true
}
