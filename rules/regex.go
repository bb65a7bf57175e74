package rules

import (
	"bytes"
	"regexp"
	"regexp/syntax"
)

// regexGate is what a value must contain for a regular expression to match
// it (see regexRequirement), checked by byte searches before the regexp
// runs: a value that fails the gate cannot match, one that passes is
// decided by the regexp.
type regexGate struct {
	clauses reCNF
}

// newRegexGate derives the gate of a compiled expression.
func newRegexGate(re *regexp.Regexp) regexGate {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return regexGate{} // compiled once, so parses: nothing known otherwise
	}
	return regexGate{clauses: regexRequirement(tree)}
}

// admits reports whether v holds a literal of every clause. *folded caches
// v's folded form across the gates of one value (*done says it is there).
func (g *regexGate) admits(v []byte, folded *[]byte, done *bool) bool {
	for _, c := range g.clauses {
		if !c.occursIn(v, folded, done) {
			return false
		}
	}
	return true
}

// occursIn reports whether one of the clause's literals occurs in v.
func (c reClause) occursIn(v []byte, folded *[]byte, done *bool) bool {
	for _, l := range c {
		text := v
		if l.fold {
			if !*done {
				*folded = foldAppend((*folded)[:0], v)
				*done = true
			}
			text = *folded
		}
		if bytes.Contains(text, []byte(l.text)) {
			return true
		}
	}
	return false
}

// match runs the i-th expression of t on v, gate first.
func (t *regexTest) match(i int, v []byte, m *matcher, done *bool) bool {
	if !t.gates[i].admits(v, &m.folded, done) {
		return false
	}
	return t.res[i].Match(v)
}
