package ahocorasick

import (
	"encoding/binary"
	"math/bits"
)

// Sampled finds long ASCII patterns while reading the text only every few
// bytes. Each pattern holds at least minLen bytes, so every occurrence of
// one starts 8-byte grams of itself at minLen-7 consecutive text
// positions, and so at one position of every stride-th (stride =
// minLen-7, at most 16). A table of those grams (each pattern's at
// offsets 0..stride-1) tells, at each sampled position, which patterns may
// occur and where they would start; they are checked in full there. A
// field's thousands of hashes (the prefilter keeps up to 24 bytes of a
// literal) cost a table test every 9 to 16 bytes of text instead of a
// step per byte.
type Sampled struct {
	minLen int
	stride int
	pats   []string // folded
	canon  []int32
	// seen has a bit per hash of a gram some pattern holds.
	seen      []uint64
	seenShift uint
	// table is open-addressed by the gram's hash; id -1 marks an empty slot.
	table      []sampledSlot
	tableShift uint
}

type sampledSlot struct {
	gram uint64 // 8 folded bytes, little-endian
	id   int32  // pattern
	off  int32  // where the gram begins in the pattern
}

// MinSampled is the shortest pattern NewSampled takes; maxStride bounds
// the offsets indexed per pattern (and so the table's size).
const (
	MinSampled = 16
	gramLen    = 8
	maxStride  = 16
)

// NewSampled builds a Sampled over patterns, each folded with fold first;
// all must be ASCII once folded and at least MinSampled bytes long.
// Pattern i is reported as Canonical()[i], the first pattern with the
// same folded text.
func NewSampled(patterns []string, fold Fold) *Sampled {
	x := &Sampled{minLen: -1}
	first := map[string]int32{}
	for i, p := range patterns {
		f := string(fold(nil, []byte(p)))
		x.pats = append(x.pats, f)
		c, ok := first[f]
		if !ok {
			c = int32(i)
			first[f] = c
		}
		x.canon = append(x.canon, c)
		if x.minLen < 0 || len(f) < x.minLen {
			x.minLen = len(f)
		}
	}
	x.stride = min(x.minLen-gramLen+1, maxStride)
	entries := len(first) * x.stride
	size := 8
	for size < 2*entries {
		size *= 2
	}
	x.table = make([]sampledSlot, size)
	for i := range x.table {
		x.table[i].id = -1
	}
	x.seen = make([]uint64, size/4) // 16 bits a slot, 32 or more an entry
	x.tableShift = uint(64 - bits.TrailingZeros(uint(size)))
	x.seenShift = uint(64 - bits.TrailingZeros(uint(len(x.seen)*64)))
	for id, p := range x.pats {
		if x.canon[id] != int32(id) {
			continue
		}
		for off := range x.stride {
			g := gramAt([]byte(p), off)
			k := (g * seenMul) >> x.seenShift
			x.seen[k/64] |= 1 << (k % 64)
			j := int((g * tableMul) >> x.tableShift)
			for x.table[j].id >= 0 {
				j = (j + 1) & (len(x.table) - 1)
			}
			x.table[j] = sampledSlot{gram: g, id: int32(id), off: int32(off)}
		}
	}
	return x
}

// gramAt returns the 8 bytes of b at i, ASCII letters lowered.
func gramAt(b []byte, i int) uint64 {
	return Lower8(binary.LittleEndian.Uint64(b[i:]))
}

// Lower8 lowers the ASCII capital letters among 8 bytes, as asciiLower
// does each, and leaves the other bytes as they are.
func Lower8(x uint64) uint64 {
	const ones = 0x0101010101010101
	low := x & (0x7f * ones)
	atLeastA := low + (0x80-'A')*ones
	pastZ := low + (0x80-'Z'-1)*ones
	upper := atLeastA &^ pastZ &^ x & (0x80 * ones)
	return x | upper>>2
}

// Canonical returns, for each pattern i, the id Scan reports for it. The
// slice is the Sampled's own; the caller must not modify it.
func (x *Sampled) Canonical() []int32 { return x.canon }

// Bytes returns the memory the tables take, for reporting.
func (x *Sampled) Bytes() int {
	n := 16*len(x.table) + 8*len(x.seen) + 4*len(x.canon)
	for _, p := range x.pats {
		n += 16 + len(p)
	}
	return n
}

// Scan appends to hits the id of every pattern that occurs in the
// case-folded text, once per occurrence, in no particular order. Text
// with a byte >= 0x80 is folded into *scratch first.
func (x *Sampled) Scan(text []byte, hits []int32, scratch *[]byte, fold Fold) []int32 {
	if len(text) < x.minLen {
		return hits
	}
	if !IsASCII(text) {
		*scratch = fold((*scratch)[:0], text)
		text = *scratch
	}
	return x.ScanFolded(text, hits)
}

// ScanFolded is Scan for a text that is ASCII, or folded already with the
// fold the patterns were: either way lowering its bytes as it reads them
// gives the folded text's, so it is not folded again.
func (x *Sampled) ScanFolded(text []byte, hits []int32) []int32 {
	if len(text) < x.minLen {
		return hits
	}
	seen, seenShift := x.seen, x.seenShift
	for at := 0; at+gramLen <= len(text); at += x.stride {
		g := gramAt(text, at)
		if k := (g * seenMul) >> seenShift; seen[k/64]&(1<<(k%64)) != 0 {
			hits = x.probe(g, text, at, hits)
		}
	}
	return hits
}

// probe appends the patterns holding gram g at some offset that occur in
// text where that puts them, the gram being text[at:at+8].
func (x *Sampled) probe(g uint64, text []byte, at int, hits []int32) []int32 {
	mask := len(x.table) - 1
	for j := int((g * tableMul) >> x.tableShift); ; j = (j + 1) & mask {
		e := x.table[j]
		if e.id < 0 {
			return hits
		}
		if e.gram != g {
			continue
		}
		start, p := at-int(e.off), x.pats[e.id]
		if start >= 0 && start+len(p) <= len(text) && EqualLower(text[start:start+len(p)], p) {
			hits = append(hits, e.id)
		}
	}
}

// IsASCII reports whether text has no byte >= 0x80, reading 8 bytes at a
// time: it runs on most field values of every event.
func IsASCII(text []byte) bool {
	i := 0
	var acc uint64
	for ; i+8 <= len(text); i += 8 {
		acc |= binary.LittleEndian.Uint64(text[i:])
	}
	for ; i < len(text); i++ {
		acc |= uint64(text[i])
	}
	return acc&0x8080808080808080 == 0
}

const (
	seenMul  = 0x9e3779b97f4a7c15
	tableMul = 0xc2b2ae3d27d4eb4f
)

// Lower returns c lowered as ASCII: 'A'-'Z' become 'a'-'z', every other
// byte (those >= 0x80 included) stays as it is. The one table of it the
// rules package folds with too.
func Lower(c byte) byte { return asciiLower[c] }

// asciiLower maps 'A'-'Z' to 'a'-'z' and every other byte to itself.
var asciiLower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

// EqualLower reports whether text, its ASCII capital letters lowered, is
// lower, which is compared as it is (folded already), 8 bytes at a time.
func EqualLower[T string | []byte](text []byte, lower T) bool {
	if len(text) != len(lower) {
		return false
	}
	i := 0
	for ; i+8 <= len(text); i += 8 {
		if Lower8(binary.LittleEndian.Uint64(text[i:])) != load64(lower[i:]) {
			return false
		}
	}
	for ; i < len(text); i++ {
		if asciiLower[text[i]] != lower[i] {
			return false
		}
	}
	return true
}

// load64 reads the first 8 bytes of b, little-endian.
func load64[T string | []byte](b T) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
