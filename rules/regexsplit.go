package rules

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// Splitting an expression at a literal. Go's regexp skips ahead only to a
// literal prefix; "\w+`(\w+|-|.)`" has none, so it steps its automaton
// through every byte of a 16 KB script block, tens of nanoseconds each.
// Written as A·L·B with L a literal and A of bounded width, the
// expression matches v exactly when, at some occurrence p of L, A matches
// the few bytes that end at p and L·B matches from p on: a byte search for
// L and two short anchored runs per occurrence. Whether a regexp matches
// at all (not where) is all a rule needs, which is what allows A's leading
// repetitions to shrink: "\w+`" matches somewhere exactly when "\w`" does.

// maxSplitWidth bounds A (and a bounded B) in runes: beyond it, the
// windows cost what the plain regexp costs.
const maxSplitWidth = 256

// maxSplitTries bounds the occurrences of L tried before the plain
// regexp decides: a literal that occurs everywhere is no shortcut.
const maxSplitTries = 16

// regexSplit decides one expression A·L·B by the occurrences of L.
type regexSplit struct {
	lit    []byte
	before *regexp.Regexp // `(?:A)\z`
	width  int            // the most bytes A's matches span
	after  *regexp.Regexp // `\A(?:L·B)`
	bound  int            // the most bytes L·B's matches span; 0: no bound
}

// newRegexSplit splits a compiled expression, or returns nil when it has
// no such form or a literal prefix the regexp itself skips to.
func newRegexSplit(re *regexp.Regexp) *regexSplit {
	if prefix, _ := re.LiteralPrefix(); prefix != "" {
		return nil
	}
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil || tree.Op != syntax.OpConcat {
		return nil
	}
	subs := leadingMinimum(tree.Sub)
	for k, sub := range subs {
		if k == 0 || !cleanLiteral(sub) {
			continue
		}
		head, tail := subs[:k], subs[k:]
		w, ok := maxWidth(&syntax.Regexp{Op: syntax.OpConcat, Sub: head})
		if !ok || hasAssertion(head) {
			continue
		}
		return buildSplit(head, tail, w)
	}
	return nil
}

// buildSplit compiles the two anchored halves of the split.
func buildSplit(head, tail []*syntax.Regexp, width int) *regexSplit {
	s := &regexSplit{lit: []byte(string(tail[0].Rune)), width: width * utf8.UTFMax}
	before := append(append([]*syntax.Regexp(nil), head...), &syntax.Regexp{Op: syntax.OpEndText})
	after := append([]*syntax.Regexp{{Op: syntax.OpBeginText}}, tail...)
	var err error
	if s.before, err = regexp.Compile((&syntax.Regexp{Op: syntax.OpConcat, Sub: before}).String()); err != nil {
		return nil
	}
	if s.after, err = regexp.Compile((&syntax.Regexp{Op: syntax.OpConcat, Sub: after}).String()); err != nil {
		return nil
	}
	// A bounded B without assertions needs only the bytes it can span;
	// with assertions it needs the text that follows them too.
	if w, ok := maxWidth(&syntax.Regexp{Op: syntax.OpConcat, Sub: tail}); ok && !hasAssertion(tail) {
		s.bound = w * utf8.UTFMax
	}
	return s
}

// match reports whether re (the expression split) matches v.
func (s *regexSplit) match(v []byte, re *regexp.Regexp) bool {
	off := 0
	for tries := 0; tries < maxSplitTries; tries++ {
		i := bytes.Index(v[off:], s.lit)
		if i < 0 {
			return false
		}
		p := off + i
		if s.before.Match(v[max(0, p-s.width):p]) {
			if s.after.Match(s.afterWindow(v, p)) {
				return true
			}
		}
		off = p + 1
	}
	return re.Match(v)
}

// afterWindow is the text from p that L·B's matches can span: all of it,
// or, when they are bounded, up to the first ASCII byte past the bound. An
// ASCII byte always starts a rune, so the window decodes as the text does
// and cuts no rune in two.
func (s *regexSplit) afterWindow(v []byte, p int) []byte {
	end := len(v)
	if s.bound > 0 && p+s.bound < end {
		end = p + s.bound
		for end < len(v) && v[end] >= utf8.RuneSelf {
			end++
		}
	}
	return v[p:end]
}

// leadingMinimum rewrites the leading repetitions of a concatenation to
// their fewest copies, which changes where a match starts, not whether
// there is one: dropping a match's first copies of a leading x{m,n}
// leaves a match of x{m}·rest. Captures unwrap; x* and x? disappear and
// the next element leads. Elements with assertions stop the rewrite.
func leadingMinimum(subs []*syntax.Regexp) []*syntax.Regexp {
	out := append([]*syntax.Regexp(nil), subs...)
	for len(out) > 0 && !hasAssertion(out[:1]) {
		lead := out[0]
		switch lead.Op {
		case syntax.OpCapture:
			out = append(append([]*syntax.Regexp(nil), lead.Sub[0]), out[1:]...)
			continue
		case syntax.OpStar, syntax.OpQuest:
			out = out[1:]
			continue
		case syntax.OpPlus:
			out[0] = lead.Sub[0]
		case syntax.OpRepeat:
			if lead.Min == 0 {
				out = out[1:]
				continue
			}
			out[0] = &syntax.Regexp{Op: syntax.OpRepeat, Flags: lead.Flags, Min: lead.Min, Max: lead.Min, Sub: lead.Sub}
		}
		break
	}
	return out
}

// cleanLiteral reports whether sub is a literal a byte search finds
// exactly: as written (no case folding that matters), no U+FFFD.
func cleanLiteral(sub *syntax.Regexp) bool {
	if sub.Op != syntax.OpLiteral || sub.Flags&syntax.FoldCase != 0 && hasCase(sub.Rune) {
		return false
	}
	for _, r := range sub.Rune {
		if r == utf8.RuneError {
			return false
		}
	}
	return true
}

// maxWidth returns the most runes a match of re spans, false when that is
// unbounded or over maxSplitWidth.
func maxWidth(re *syntax.Regexp) (int, bool) {
	w := 0
	switch re.Op {
	case syntax.OpLiteral:
		w = len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		w = 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxWidth(re.Sub[0])
	case syntax.OpRepeat:
		sw, ok := maxWidth(re.Sub[0])
		if !ok || re.Max < 0 {
			return 0, false
		}
		w = sw * re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		for _, sub := range re.Sub {
			sw, ok := maxWidth(sub)
			if !ok {
				return 0, false
			}
			if re.Op == syntax.OpConcat {
				w += sw
			} else {
				w = max(w, sw)
			}
		}
	case syntax.OpStar, syntax.OpPlus:
		return 0, false
	}
	return w, w <= maxSplitWidth
}

// hasAssertion reports whether some node of subs is an empty-width
// assertion (^, $, \b...), which reads the text around it.
func hasAssertion(subs []*syntax.Regexp) bool {
	for _, re := range subs {
		switch re.Op {
		case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
			syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return true
		}
		if hasAssertion(re.Sub) {
			return true
		}
	}
	return false
}
