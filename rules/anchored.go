package rules

// This file holds the anchored-literal lookup: the prefilter's literals
// that must end, begin or be a field's value (endswith, startswith and
// exact values, about a third of SigmaHQ's) need no automaton. A value
// can end with a literal of length L only in its last L bytes, so a hash
// of those bytes, for each length some literal has, is a handful of table
// lookups however long the value is, where an automaton walks every byte
// of it through tables of megabytes. Literals of 8 bytes or more that end
// or are the value are found by their last 8 bytes instead (one lookup
// for all their lengths, then a comparison of the few that share those
// bytes), so the hashing from the end stops at 7 bytes. Literals that
// begin the value share their first bytes too often ("c:\windows\") for
// that, and are hashed at every length.

import "github.com/fluent-bit-sigma/fluent-bit-sigma/internal/ahocorasick"

// anchoredLits finds which of one field's anchored literals a value
// holds where they are anchored. Literals are pure ASCII, folded, at most
// maxNeedLen bytes (see requiredLiteral). Immutable once built.
type anchoredLits struct {
	// Per anchor, bit L is set when some literal of that anchor of length
	// L is hashed: all start literals, the others shorter than
	// gramLen8.
	endLens, startLens, wholeLens uint32
	// The longest start literal: the bytes hashed from the start.
	maxStart int
	// The end and whole literals of gramLen8 bytes or more, by their
	// last 8 bytes.
	grams gramTable
	// table is open-addressed by hash, len a power of two, id -1 empty.
	table []anchoredSlot
	shift uint // 64 - log2(len(table))
	lits  []valueLit
	// seen has a bit per hash of a literal (the hash's low bits): most
	// lengths a value is looked up at have no literal of its text, and
	// this small bitmap, unlike the table, stays in cache.
	seen     []uint64
	seenMask uint64
}

type anchoredSlot struct {
	hash uint64
	id   int32 // index into lits, or -1
}

// Hashing is FNV-1a over the folded bytes, read outwards from the anchor
// (backwards for atEnd), from a seed per direction. A whole value hashes
// as a prefix of its own length does: the entries tell them apart.
const (
	fnvPrime  = 1099511628211
	seedEnd   = 14695981039346656037
	seedStart = seedEnd ^ 0x5bd1e9955bd1e995
)

// anchoredHash hashes lit as the lookup reads it.
func anchoredHash(lit string, at anchor) uint64 {
	h := uint64(seedStart)
	if at == atEnd {
		h = seedEnd
	}
	for i := range len(lit) {
		c := lit[i]
		if at == atEnd {
			c = lit[len(lit)-1-i]
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// newAnchoredLits builds the lookup over lits (each anchored, ASCII,
// folded, 1 to maxNeedLen bytes, all distinct); lit i is reported as i.
func newAnchoredLits(lits []valueLit) *anchoredLits {
	size := 8
	for size < 2*len(lits) {
		size *= 2
	}
	a := &anchoredLits{table: make([]anchoredSlot, size), lits: lits, shift: 64}
	// 16 bits per literal: a text without a literal passes for one about
	// one time in 16.
	a.seen = make([]uint64, size/4)
	a.seenMask = uint64(len(a.seen)*64 - 1)
	for size > 1 {
		size /= 2
		a.shift--
	}
	for i := range a.table {
		a.table[i].id = -1
	}
	var long []int32
	for i, l := range lits {
		n := len(l.lit)
		if l.at == atStart {
			a.maxStart = max(a.maxStart, n)
		}
		if n >= gramLen8 && l.at != atStart {
			long = append(long, int32(i))
			continue
		}
		switch l.at {
		case atEnd:
			a.endLens |= 1 << n
		case atStart:
			a.startLens |= 1 << n
		case whole:
			a.wholeLens |= 1 << n
		}
		h := anchoredHash(l.lit, l.at)
		a.seen[h&a.seenMask/64] |= 1 << (h & 63)
		j := a.slotOf(h)
		for a.table[j].id >= 0 {
			j = (j + 1) & (len(a.table) - 1)
		}
		a.table[j] = anchoredSlot{hash: h, id: int32(i)}
	}
	keys := make([]uint64, len(long))
	for i, id := range long {
		keys[i] = endGram([]byte(lits[id].lit))
	}
	a.grams = newGramTable(keys, long)
	return a
}

func (a *anchoredLits) slotOf(h uint64) int {
	return int((h * 0x9e3779b97f4a7c15) >> a.shift)
}

// find appends to hits the id of every literal that the value, case-folded,
// holds where the literal is anchored. The value is as the scans read it
// (readable): ASCII, whose bytes lowered are the folded value's, or folded
// already, since folding may change the length of what is not ASCII, and
// so where the value ends.
func (a *anchoredLits) find(t scanText, hits []int32) []int32 {
	v := t.b
	n := len(v)
	if a.endLens != 0 {
		h := uint64(seedEnd)
		for l := 1; l <= min(n, gramLen8-1); l++ {
			h = (h ^ uint64(ahocorasick.Lower(v[n-l]))) * fnvPrime
			if a.endLens&(1<<l) != 0 && a.maySee(h) {
				hits = a.lookup(h, atEnd, v[n-l:], hits)
			}
		}
	}
	isWhole := n < gramLen8 && a.wholeLens&(1<<n) != 0
	if a.startLens != 0 || isWhole {
		h := uint64(seedStart)
		last := min(n, a.maxStart)
		if isWhole {
			last = max(last, n)
		}
		for l := 1; l <= last; l++ {
			h = (h ^ uint64(ahocorasick.Lower(v[l-1]))) * fnvPrime
			if a.startLens&(1<<l) != 0 && a.maySee(h) {
				hits = a.lookup(h, atStart, v[:l], hits)
			}
		}
		if isWhole && a.maySee(h) {
			hits = a.lookup(h, whole, v, hits)
		}
	}
	if n >= gramLen8 {
		for _, id := range a.grams.lookup(endGram(v)) {
			l := a.lits[id]
			if k := len(l.lit); k <= n && (l.at == atEnd || k == n) && ahocorasick.EqualLower(v[n-k:], l.lit) {
				hits = append(hits, id)
			}
		}
	}
	return hits
}

// maySee reports whether some literal may hash to h.
func (a *anchoredLits) maySee(h uint64) bool {
	return a.seen[h&a.seenMask/64]&(1<<(h&63)) != 0
}

// lookup appends the id of the literal anchored at whose hash is h and
// whose text is text, lowered, if there is one (maySee(h) being true).
func (a *anchoredLits) lookup(h uint64, at anchor, text []byte, hits []int32) []int32 {
	mask := len(a.table) - 1
	for j := a.slotOf(h); ; j = (j + 1) & mask {
		e := a.table[j]
		if e.id < 0 {
			return hits
		}
		if e.hash == h {
			if l := a.lits[e.id]; l.at == at && ahocorasick.EqualLower(text, l.lit) {
				return append(hits, e.id)
			}
		}
	}
}

// bytes is the memory of the lookup's tables.
func (a *anchoredLits) bytes() int {
	n := 16*len(a.table) + a.grams.bytes() + 8*len(a.seen)
	for _, l := range a.lits {
		n += 24 + len(l.lit)
	}
	return n
}
