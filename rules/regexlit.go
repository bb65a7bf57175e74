package rules

import (
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Literals every match of a regular expression contains. A regular
// expression over a long value (a PowerShell script block) costs tens of
// nanoseconds a byte in Go's regexp; searching for a literal costs a
// fraction of one. regexRequirement derives, from the parsed expression,
// a conjunction of clauses, each a list of literals one of which every
// match contains: a value that lacks all literals of one clause cannot
// match, and the regexp need not run (see regexGate). The prefilter's
// clause for an expression is its most selective clause
// (regexLiteralAlternatives, prefilter.go's regexClauses).

// reLit is a literal a match contains: as written (fold false), or up to
// simple case folding (the expression's i flag), compared then as both
// sides' foldAppend forms.
type reLit struct {
	text string // fold: case-folded
	fold bool
}

// reClause is a disjunction: a match contains one of its literals.
type reClause []reLit

// reCNF is a conjunction of clauses; empty means nothing is known.
type reCNF []reClause

// Bounds on what a requirement keeps: searching costs a pass over the
// value per literal, so clauses with many alternatives are not worth it.
const (
	maxReClauses      = 4
	maxReAlternatives = 8
)

// strength is how selective a clause is: its shortest literal.
func (c reClause) strength() int {
	m := -1
	for _, l := range c {
		if m < 0 || len(l.text) < m {
			m = len(l.text)
		}
	}
	return m
}

// regexRequirement returns the clauses every match of the parsed
// expression satisfies, the most selective first, at most maxReClauses.
func regexRequirement(re *syntax.Regexp) reCNF {
	c := required(re.Simplify())
	slices.SortStableFunc(c, func(a, b reClause) int { return b.strength() - a.strength() })
	if len(c) > maxReClauses {
		c = c[:maxReClauses]
	}
	return c
}

// required derives the clauses of one node.
func required(re *syntax.Regexp) reCNF {
	switch re.Op {
	case syntax.OpLiteral:
		if l, ok := reLiteral(re); ok {
			return reCNF{{l}}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		return concatRequired(re.Sub)
	case syntax.OpAlternate:
		return alternativesRequired(re.Sub)
	}
	return nil
}

// concatRequired: a match of a concatenation contains what each part's
// matches contain. Adjacent literals and small classes make longer
// literals: "\\.[ \"']" requires one of `. `, `."` and `.'`, far more
// selective than ".", and literals split by the i flag (the parser splits
// "(?i:c):\\" in two) join into one case-insensitive literal.
func concatRequired(subs []*syntax.Regexp) reCNF {
	var all reCNF
	var run []*syntax.Regexp
	for _, sub := range subs {
		if sub.Op == syntax.OpLiteral || smallClass(sub) {
			run = append(run, sub)
			continue
		}
		all = append(all, runRequired(run)...)
		run = run[:0]
		all = append(all, required(sub)...)
	}
	return append(all, runRequired(run)...)
}

// maxSmallClass is the most characters a class may hold to be taken as
// alternatives of single-character literals.
const maxSmallClass = 4

// smallClass reports whether re is a class of a few characters.
func smallClass(re *syntax.Regexp) bool {
	if re.Op != syntax.OpCharClass {
		return false
	}
	n := 0
	for i := 0; i+1 < len(re.Rune); i += 2 {
		n += int(re.Rune[i+1]-re.Rune[i]) + 1
		if n > maxSmallClass {
			return false
		}
	}
	return n > 0
}

// runRequired is what a run of adjacent literals and small classes
// requires: one clause of all the strings it matches when they are few
// enough, else a clause per stretch of literals.
func runRequired(run []*syntax.Regexp) reCNF {
	if len(run) == 0 {
		return nil
	}
	if c, ok := expandRun(run); ok {
		return reCNF{c}
	}
	var all reCNF
	var lits []*syntax.Regexp
	for i, sub := range run {
		if sub.Op == syntax.OpLiteral {
			lits = append(lits, sub)
		}
		if (sub.Op != syntax.OpLiteral || i == len(run)-1) && len(lits) > 0 {
			if l, ok := joinLiterals(lits); ok {
				all = append(all, reClause{l})
			}
			lits = lits[:0]
		}
	}
	return all
}

// expandRun lists the strings a run holding both literals and classes
// matches, as a clause of at most maxReAlternatives literals.
func expandRun(run []*syntax.Regexp) (reClause, bool) {
	hasLit, hasClass := false, false
	words := [][]*syntax.Regexp{nil}
	for _, sub := range run {
		var opts []*syntax.Regexp
		if sub.Op == syntax.OpLiteral {
			hasLit = true
			opts = []*syntax.Regexp{sub}
		} else {
			hasClass = true
			for i := 0; i+1 < len(sub.Rune); i += 2 {
				for r := sub.Rune[i]; r <= sub.Rune[i+1]; r++ {
					opts = append(opts, &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{r}})
				}
			}
		}
		if len(words)*len(opts) > maxReAlternatives {
			return nil, false
		}
		var next [][]*syntax.Regexp
		for _, w := range words {
			for _, o := range opts {
				next = append(next, append(append([]*syntax.Regexp(nil), w...), o))
			}
		}
		words = next
	}
	if !hasLit || !hasClass {
		return nil, false
	}
	var c reClause
	for _, w := range words {
		l, ok := joinLiterals(w)
		if !ok {
			return nil, false
		}
		c = append(c, l)
	}
	return c, true
}

// joinLiterals is the literal of adjacent literal nodes: case-sensitive if
// all are, else case-insensitive over all of them (which takes in more
// values, so stays necessary). When some rune forbids that, the longest
// node's own literal.
func joinLiterals(run []*syntax.Regexp) (reLit, bool) {
	if len(run) == 1 {
		return reLiteral(run[0])
	}
	joined := &syntax.Regexp{Op: syntax.OpLiteral}
	for _, sub := range run {
		joined.Rune = append(joined.Rune, sub.Rune...)
		joined.Flags |= sub.Flags & syntax.FoldCase
	}
	if l, ok := reLiteral(joined); ok {
		return l, true
	}
	var best reLit
	found := false
	for _, sub := range run {
		if l, ok := reLiteral(sub); ok && len(l.text) > len(best.text) {
			best, found = l, true
		}
	}
	return best, found
}

// alternativesRequired: a match of an alternation matches one of its
// branches, so the union of one clause from each branch is required.
func alternativesRequired(subs []*syntax.Regexp) reCNF {
	var c reClause
	for _, sub := range subs {
		best := bestClause(required(sub))
		if best == nil {
			return nil
		}
		c = append(c, best...)
	}
	if len(c) == 0 || len(c) > maxReAlternatives {
		return nil
	}
	return reCNF{c}
}

// bestClause is the most selective clause of c, the one with fewer
// literals among equals (nil when c is empty).
func bestClause(c reCNF) reClause {
	var b reClause
	for _, cl := range c {
		if b == nil || cl.strength() > b.strength() || cl.strength() == b.strength() && len(cl) < len(b) {
			b = cl
		}
	}
	return b
}

// reLiteral turns a literal node into a reLit, unless a byte search could
// miss one of its matches: U+FFFD also matches any invalid byte, which
// the value holds as itself; and a case-insensitive rune whose fold orbit
// (the runes the regexp takes for it) does not fold to one rune under
// foldRune would not be found in the folded value.
func reLiteral(re *syntax.Regexp) (reLit, bool) {
	fold := re.Flags&syntax.FoldCase != 0
	buf := make([]byte, 0, len(re.Rune))
	for _, r := range re.Rune {
		if r == utf8.RuneError {
			return reLit{}, false
		}
		if !fold {
			buf = utf8.AppendRune(buf, r)
			continue
		}
		if !orbitFoldsAlike(r) {
			return reLit{}, false
		}
		buf = utf8.AppendRune(buf, foldRune(r))
	}
	if fold && !hasCase(re.Rune) {
		fold = false // the same either way: search without folding the value
	}
	return reLit{text: string(buf), fold: fold}, true
}

// hasCase reports whether some rune has other runes in its fold orbit.
func hasCase(runes []rune) bool {
	for _, r := range runes {
		if unicode.SimpleFold(r) != r {
			return true
		}
	}
	return false
}

// orbitFoldsAlike reports whether every rune of r's simple folding orbit
// has the same foldRune form as r.
func orbitFoldsAlike(r rune) bool {
	f := foldRune(r)
	for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
		if foldRune(o) != f {
			return false
		}
	}
	return true
}

// regexLiteralAlternatives returns, case-folded as foldAppend folds event
// values, the most selective set of literals one of which every match of
// the expression (RE2 syntax, as compiled) contains; nil when none is
// known. Case-sensitive literals are folded too: a value that contains
// one contains its folded form once folded.
func regexLiteralAlternatives(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	best := bestClause(regexRequirement(re))
	lits := make([]string, 0, len(best))
	for _, l := range best {
		if l.fold {
			lits = append(lits, l.text)
		} else {
			lits = append(lits, foldString(l.text))
		}
	}
	if len(lits) == 0 {
		return nil
	}
	return lits
}
