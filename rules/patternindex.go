package rules

// patternIndex decides a long list of anchored values with a table lookup
// instead of a comparison per value. SigmaHQ's rules list dozens of image
// names in one field (Image|endswith: ['\atbroker.exe', '\audiodg.exe',
// ...]), the DLL side-loading rules some hundreds, and the filters of
// most rules do the same with paths (Image|startswith: [...]); a
// candidate rule is decided by those lists, every time it is a candidate.
//
// Exact and suffix values go in one table keyed by their last k bytes,
// prefix values in another keyed by their first k bytes (k the shortest
// literal's length, at most 8): a value looks up its own last (first) k
// bytes and compares the few values found. Only ASCII literals without
// the cased modifier are indexed, and only where matchValue's ASCII fast
// path would decide them: when the bytes a table compares are ASCII (the
// whole value for exact values). Otherwise the list is tried in turn, as
// without the index, so the index changes no verdict (FuzzPatternIndex).
type patternIndex struct {
	suffix anchorTable // exact and suffix patterns
	prefix anchorTable // prefix patterns
	rest   []int32     // the patterns not indexed, tried in turn
}

// minIndexedPatterns is the shortest list worth an index: below it the
// comparisons cost no more than the lookups.
const minIndexedPatterns = 8

// anchorTable holds patterns by a key of k bytes at one end of their
// literal.
type anchorTable struct {
	k        int                // key length; 0: the table is empty
	longest  int                // longest literal: the bytes that must be ASCII
	hasExact bool               // exact patterns need the whole value ASCII
	buckets  map[uint64][]int32 // key -> patterns of the list
}

// newPatternIndex indexes the anchored patterns of an any-of list, or
// returns nil when too few are.
func newPatternIndex(patterns []pattern) *patternIndex {
	var ends, starts, rest []int32
	for i := range patterns {
		p := &patterns[i]
		switch {
		case p.cased || !p.asciiLit || len(p.lit) == 0:
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
		suffix: newAnchorTable(patterns, ends, true),
		prefix: newAnchorTable(patterns, starts, false),
		rest:   rest,
	}
}

func newAnchorTable(patterns []pattern, members []int32, atEnd bool) anchorTable {
	t := anchorTable{buckets: make(map[uint64][]int32, len(members))}
	for _, i := range members {
		n := len(patterns[i].lit)
		if t.k == 0 || n < t.k {
			t.k = n
		}
		t.longest = max(t.longest, n)
		t.hasExact = t.hasExact || patterns[i].kind == exactPattern
	}
	t.k = min(t.k, 8)
	for _, i := range members {
		key := anchorKey(patterns[i].lit, t.k, atEnd)
		t.buckets[key] = append(t.buckets[key], i)
	}
	return t
}

// anchorKey packs k bytes at one end of b, lower-cased, into a key; b
// holds at least k bytes.
func anchorKey(b []byte, k int, atEnd bool) uint64 {
	if atEnd {
		b = b[len(b)-k:]
	}
	var key uint64
	for _, c := range b[:k] {
		key = key<<8 | uint64(asciiLower[c])
	}
	return key
}

// decides reports whether the table's comparisons on v are the ones
// matchValue makes: the bytes compared are ASCII.
func (t *anchorTable) decides(v []byte, atEnd bool) bool {
	if t.k == 0 {
		return true
	}
	if t.hasExact || len(v) <= t.longest {
		return isASCII(v)
	}
	if atEnd {
		return isASCII(v[len(v)-t.longest:])
	}
	return isASCII(v[:t.longest])
}

// match reports whether one of the table's patterns matches v, which
// decides says it may look up.
func (t *anchorTable) match(patterns []pattern, v []byte, atEnd bool) bool {
	if t.k == 0 || len(v) < t.k {
		return false
	}
	for _, i := range t.buckets[anchorKey(v, t.k, atEnd)] {
		p := &patterns[i]
		switch {
		case p.kind == exactPattern && len(v) == len(p.lit):
			if equalASCIIFold(v, p.lit) {
				return true
			}
		case p.kind == suffixPattern && len(v) >= len(p.lit):
			if equalASCIIFold(v[len(v)-len(p.lit):], p.lit) {
				return true
			}
		case p.kind == prefixPattern && len(v) >= len(p.lit):
			if equalASCIIFold(v[:len(p.lit)], p.lit) {
				return true
			}
		}
	}
	return false
}

// anyMatch reports whether a pattern of the list matches v: ok false
// when the tables cannot decide v and the caller must try the list in
// turn.
func (x *patternIndex) anyMatch(patterns []pattern, v []byte, m *matcher) (hit, ok bool) {
	if !x.suffix.decides(v, true) || !x.prefix.decides(v, false) {
		return false, false
	}
	if x.suffix.match(patterns, v, true) || x.prefix.match(patterns, v, false) {
		return true, true
	}
	done := false
	for _, i := range x.rest {
		if patterns[i].matchValue(v, &m.folded, &done) {
			return true, true
		}
	}
	return false, true
}
