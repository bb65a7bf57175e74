package rules

import (
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
