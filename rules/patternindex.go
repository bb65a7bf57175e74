package rules

import "github.com/fluent-bit-sigma/fluent-bit-sigma/internal/ahocorasick"

// patternIndex decides a long list of anchored values with a table lookup
// instead of a comparison per value. SigmaHQ's rules list dozens of image
// names in one field (Image|endswith: ['\atbroker.exe', '\audiodg.exe',
// ...]), the DLL side-loading rules some hundreds, and the filters of
// most rules do the same with paths (Image|startswith: [...]); a
// candidate rule is decided by those lists, every time it is a candidate.
//
// Exact and suffix values of 8 bytes or more go in one gramTable by their
// last 8 bytes, prefix values in another by their first 8: a value looks
// up its own last (first) 8 bytes and compares the few values found. Only
// ASCII literals without the cased modifier are indexed, and only where
// matchValue's ASCII fast path would decide them: when the bytes a table
// compares are ASCII (the whole value for exact values). Otherwise the
// list is tried in turn, as without the index, so the index changes no
// verdict (FuzzPatternIndex). Shorter values are tried in turn after the
// lookups.
type patternIndex struct {
	ends   anchorTable // exact and suffix patterns
	starts anchorTable // prefix patterns
	rest   []int32     // the patterns not indexed, tried in turn
}

// minIndexedPatterns is the shortest list worth an index: below it the
// comparisons cost no more than the lookups.
const minIndexedPatterns = 8

// anchorTable holds patterns by their 8 bytes at one end.
type anchorTable struct {
	grams    gramTable
	longest  int  // longest literal: the bytes that must be ASCII
	hasExact bool // exact patterns need the whole value ASCII
}

// newPatternIndex indexes the anchored patterns of an any-of list, or
// returns nil when too few are.
func newPatternIndex(patterns []pattern) *patternIndex {
	var ends, starts, rest []int32
	for i := range patterns {
		p := &patterns[i]
		switch {
		case p.cased || !p.asciiLit || len(p.lit) < gramLen8:
			rest = append(rest, int32(i))
		case p.kind == exactPattern || p.kind == suffixPattern:
			ends = append(ends, int32(i))
		case p.kind == prefixPattern:
			starts = append(starts, int32(i))
		default:
			rest = append(rest, int32(i))
		}
	}
	if len(ends)+len(starts) < minIndexedPatterns {
		return nil
	}
	return &patternIndex{
		ends:   newAnchorTable(patterns, ends, endGram),
		starts: newAnchorTable(patterns, starts, startGram),
		rest:   rest,
	}
}

func newAnchorTable(patterns []pattern, members []int32, key func([]byte) uint64) anchorTable {
	var t anchorTable
	keys := make([]uint64, len(members))
	for k, i := range members {
		p := &patterns[i]
		t.longest = max(t.longest, len(p.lit))
		t.hasExact = t.hasExact || p.kind == exactPattern
		keys[k] = key(p.lit)
	}
	t.grams = newGramTable(keys, members)
	return t
}

// decides reports whether the table's comparisons on v are the ones
// matchValue makes: the bytes compared are ASCII.
func (t *anchorTable) decides(v []byte, atEnd bool) bool {
	switch {
	case t.longest == 0: // empty
		return true
	case t.hasExact || len(v) <= t.longest:
		return isASCII(v)
	case atEnd:
		return isASCII(v[len(v)-t.longest:])
	}
	return isASCII(v[:t.longest])
}

// anyMatch reports whether a pattern of the list matches v: ok false
// when the tables cannot decide v and the caller must try the list in
// turn.
func (x *patternIndex) anyMatch(t *patternTest, v []byte, m *matcher) (hit, ok bool) {
	patterns := t.patterns
	if !x.ends.decides(v, true) || !x.starts.decides(v, false) {
		return false, false
	}
	if n := len(v); n >= gramLen8 {
		for _, i := range x.ends.grams.lookup(endGram(v)) {
			p := &patterns[i]
			if k := len(p.lit); k <= n && (p.kind == suffixPattern || k == n) && ahocorasick.EqualLower(v[n-k:], p.lit) {
				return true, true
			}
		}
		for _, i := range x.starts.grams.lookup(startGram(v)) {
			p := &patterns[i]
			if k := len(p.lit); k <= n && ahocorasick.EqualLower(v[:k], p.lit) {
				return true, true
			}
		}
	}
	done := false
	for _, i := range x.rest {
		if t.matchValue(int(i), v, m, &done) {
			return true, true
		}
	}
	return false, true
}
