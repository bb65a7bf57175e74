package rules

import (
	"bytes"
	"regexp"
	"regexp/syntax"
)

// An expression that is one literal n times with anything between
// ("\+.*\+.*\+", "`.*`.*`.*`": SigmaHQ's obfuscation rules count a
// character) matches exactly when the value holds n occurrences of the
// literal that do not overlap, all on one line unless "." crosses lines
// (the s flag); a literal holding a newline is counted only then. Go's
// regexp backtracks through the ways of placing them: 5 µs on a long
// PowerShell command line for fourteen '+'; counting is a byte search.

// literalRepeat decides an expression L.*L.*...L (n times L).
type literalRepeat struct {
	lit []byte
	n   int
	// lines: "." stops at a newline, so the occurrences must share a line.
	lines bool
}

// newLiteralRepeatOf returns the repeat a compiled expression is, or nil.
func newLiteralRepeatOf(re *regexp.Regexp) *literalRepeat {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil || tree.Op != syntax.OpConcat || len(tree.Sub) < 3 || len(tree.Sub)%2 == 0 {
		return nil
	}
	lit := repeatedLiteral(tree.Sub[0])
	if lit == nil {
		return nil
	}
	r := &literalRepeat{lit: lit, n: (len(tree.Sub) + 1) / 2}
	for i, sub := range tree.Sub {
		if i%2 == 0 {
			if !bytes.Equal(repeatedLiteral(sub), lit) {
				return nil
			}
			continue
		}
		if sub.Op != syntax.OpStar || sub.Sub[0].Op != syntax.OpAnyCharNotNL && sub.Sub[0].Op != syntax.OpAnyChar {
			return nil
		}
		lines := sub.Sub[0].Op == syntax.OpAnyCharNotNL
		if i > 1 && lines != r.lines {
			return nil
		}
		r.lines = lines
	}
	if r.lines && bytes.IndexByte(lit, '\n') >= 0 {
		return nil // such a literal spans lines: it is no count per line
	}
	return r
}

// repeatedLiteral returns the bytes of a literal a repeat may count: ASCII
// and matched as it is, or with case folding when it has no letter.
func repeatedLiteral(re *syntax.Regexp) []byte {
	if re.Op != syntax.OpLiteral || len(re.Rune) == 0 {
		return nil
	}
	b := make([]byte, 0, len(re.Rune))
	for _, r := range re.Rune {
		if r >= 0x80 || re.Flags&syntax.FoldCase != 0 && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return nil
		}
		b = append(b, byte(r))
	}
	return b
}

// match reports whether v holds n occurrences of the literal that do not
// overlap (on one line, with lines): bytes.Count counts the most there
// are, from the left.
func (r *literalRepeat) match(v []byte) bool {
	if !r.lines {
		return bytes.Count(v, r.lit) >= r.n
	}
	for line := range bytes.SplitSeq(v, []byte{'\n'}) {
		if bytes.Count(line, r.lit) >= r.n {
			return true
		}
	}
	return false
}
