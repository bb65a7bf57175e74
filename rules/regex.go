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
	clauses [][]gateLit // each: one of them occurs
	runs    []classRun  // each occurs, tried after the literals
}

// gateLit is a reLit held as bytes, so searching converts nothing.
type gateLit struct {
	text []byte
	fold bool
}

// newRegexGate derives the gate of a compiled expression.
func newRegexGate(re *regexp.Regexp) regexGate {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return regexGate{} // compiled once, so parses: nothing known otherwise
	}
	var g regexGate
	for _, c := range regexRequirement(tree) {
		lits := make([]gateLit, len(c))
		for i, l := range c {
			lits[i] = gateLit{text: []byte(l.text), fold: l.fold}
		}
		g.clauses = append(g.clauses, lits)
	}
	g.runs = requiredRuns(tree) // unsimplified: Simplify unrolls x{64}
	return g
}

// admits reports whether v holds a literal of every clause. *folded caches
// v's folded form across the gates of one value (*done says it is there).
func (g *regexGate) admits(v []byte, folded *[]byte, done *bool) bool {
	for _, c := range g.clauses {
		if !occursIn(c, v, folded, done) {
			return false
		}
	}
	for i := range g.runs {
		if !g.runs[i].occursIn(v) {
			return false
		}
	}
	return true
}

// occursIn reports whether one of a clause's literals occurs in v.
func occursIn(c []gateLit, v []byte, folded *[]byte, done *bool) bool {
	for _, l := range c {
		text := v
		if l.fold {
			if !*done {
				*folded = foldAppend((*folded)[:0], v)
				*done = true
			}
			text = *folded
		}
		if bytes.Contains(text, l.text) {
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
	if r := t.runs[i]; r != nil {
		return r.occursIn(v)
	}
	if c := t.counts[i]; c != nil {
		return c.match(v)
	}
	if s := t.splits[i]; s != nil {
		return s.match(v, t.res[i])
	}
	return t.res[i].Match(v)
}
