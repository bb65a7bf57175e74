package rules

import (
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// Runs of one character class that every match of an expression holds:
// "\s[a-fA-F0-9]{64}\s" has no literal to search for, but a value without
// 64 hex digits in a row cannot match, and a table scan tells that at a
// fraction of the regexp's cost per byte.

// minClassRun is the shortest run worth a scan of its own: shorter runs of
// a class occur in most values.
const minClassRun = 8

// classRun is a run of n bytes of an ASCII class that a match contains.
type classRun struct {
	in [256]bool
	n  int
}

// requiredRuns returns the class runs every match of the (simplified)
// expression contains.
func requiredRuns(re *syntax.Regexp) []classRun {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return requiredRuns(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil
		}
		if re.Min >= minClassRun && re.Sub[0].Op == syntax.OpCharClass {
			if run, ok := asciiClassRun(re.Sub[0].Rune, re.Min); ok {
				return []classRun{run}
			}
		}
		return requiredRuns(re.Sub[0])
	case syntax.OpConcat:
		var all []classRun
		for _, sub := range re.Sub {
			all = append(all, requiredRuns(sub)...)
		}
		return all
	}
	return nil
}

// asciiClassRun is the run of n characters of a class given as rune
// ranges (lo, hi pairs), when the class holds only ASCII: only then is a
// character of it one byte of the value.
func asciiClassRun(ranges []rune, n int) (classRun, bool) {
	run := classRun{n: n}
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i+1] >= utf8.RuneSelf {
			return classRun{}, false
		}
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			run.in[r] = true
		}
	}
	return run, true
}

// occursIn reports whether v holds n bytes of the class in a row. It looks
// at every n-th byte, as a Boyer-Moore search does: a run of n covers one
// of them, and a byte outside the class rules out every run through it.
// Back from a byte in the class it counts how far the run goes; a run
// shorter than n moves the next look to where a run starting after its
// start would end. Most values (a command line without a 64-digit hash) are
// dismissed in len(v)/n steps.
func (c *classRun) occursIn(v []byte) bool {
	n := c.n
	for i := n - 1; i < len(v); {
		if !c.in[v[i]] {
			i += n
			continue
		}
		start := i
		for start > i-n+1 && c.in[v[start-1]] {
			start--
		}
		if start == i-n+1 {
			return true
		}
		i = start + n - 1 // v[start-1] is outside: a run begins at start or later
	}
	return false
}

// An expression that is nothing but a repeated class, ".{1000,}" ("an
// unusually long command line"), "(.){200,}", ".{150}", is decided by
// counting: it matches exactly where some n characters of the class stand
// in a row. Go's regexp compiles the repetition into n states and steps
// them all through every byte, hundreds of microseconds on a long value.

// runeRun decides an expression that matches exactly the values holding n
// characters of a class in a row.
type runeRun struct {
	n     int
	ascii [utf8.RuneSelf]bool
	class *syntax.Regexp // the class; nil: any character but newline, or any with all
	all   bool           // (?s). : any character at all
}

// newRuneRun returns the run an expression is, or nil. The expression is
// the parsed one, unanchored: C{n}, C{n,} or C{n,m} (m >= n), captures
// around C or the whole allowed, C a class or '.'.
func newRuneRun(tree *syntax.Regexp) *runeRun {
	for tree.Op == syntax.OpCapture {
		tree = tree.Sub[0]
	}
	if tree.Op != syntax.OpRepeat || tree.Min < 1 {
		return nil
	}
	sub := tree.Sub[0]
	for sub.Op == syntax.OpCapture {
		sub = sub.Sub[0]
	}
	r := &runeRun{n: tree.Min}
	switch sub.Op {
	case syntax.OpAnyChar:
		r.all = true
	case syntax.OpAnyCharNotNL:
	case syntax.OpCharClass:
		r.class = sub
	default:
		return nil
	}
	for c := range rune(utf8.RuneSelf) {
		r.ascii[c] = r.holds(c)
	}
	return r
}

// holds reports whether the class holds c.
func (r *runeRun) holds(c rune) bool {
	switch {
	case r.class != nil:
		for i := 0; i+1 < len(r.class.Rune); i += 2 {
			if r.class.Rune[i] <= c && c <= r.class.Rune[i+1] {
				return true
			}
		}
		return false
	case r.all:
		return true
	}
	return c != '\n'
}

// occursIn reports whether v holds n characters of the class in a row,
// reading v as the regexp does: each invalid UTF-8 byte is one U+FFFD.
func (r *runeRun) occursIn(v []byte) bool {
	if len(v) < r.n { // n characters take n bytes at least
		return false
	}
	k := 0
	for i := 0; i < len(v); {
		c, size := rune(v[i]), 1
		in := false
		if c < utf8.RuneSelf {
			in = r.ascii[c]
		} else {
			c, size = utf8.DecodeRune(v[i:])
			in = r.holds(c)
		}
		i += size
		if !in {
			k = 0
			continue
		}
		if k++; k >= r.n {
			return true
		}
	}
	return false
}

// newRuneRunOf returns the run a compiled expression is, or nil.
func newRuneRunOf(re *regexp.Regexp) *runeRun {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	return newRuneRun(tree)
}
