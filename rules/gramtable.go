package rules

import (
	"encoding/binary"
	"math/bits"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/ahocorasick"
)

// gramTable holds literals of 8 bytes or more by the 8 bytes at one of
// their ends (lowered): one open-addressed slot per distinct 8 bytes,
// naming the run of literals that have them. A value looks up its own 8
// bytes at that end and compares the few literals found; the anchored
// lookup (anchored.go) and the long lists of anchored values
// (patternindex.go) find literals of any length that way with one lookup.
type gramTable struct {
	slots []gramSlot // hi == 0: empty
	shift uint       // 64 - log2(len(slots))
	ids   []int32
}

type gramSlot struct {
	gram   uint64
	lo, hi int32 // the literals: ids[lo:hi]
}

// gramLen8 is how many bytes a gramTable keys on: literals shorter than
// that are found otherwise.
const gramLen8 = 8

// endGram and startGram are the keys of b (at least 8 bytes): its last or
// first 8 bytes, ASCII letters lowered.
func endGram(b []byte) uint64 {
	return ahocorasick.Lower8(binary.LittleEndian.Uint64(b[len(b)-gramLen8:]))
}

func startGram(b []byte) uint64 { return ahocorasick.Lower8(binary.LittleEndian.Uint64(b)) }

// newGramTable holds each ids[i] under keys[i]; nil ids give the empty
// table, whose lookups find nothing.
func newGramTable(keys []uint64, ids []int32) gramTable {
	if len(ids) == 0 {
		return gramTable{}
	}
	byGram := map[uint64][]int32{}
	var order []uint64
	for i, g := range keys {
		if byGram[g] == nil {
			order = append(order, g)
		}
		byGram[g] = append(byGram[g], ids[i])
	}
	size := 8
	for size < 2*len(order) {
		size *= 2
	}
	t := gramTable{slots: make([]gramSlot, size), shift: uint(64 - bits.TrailingZeros(uint(size)))}
	for _, g := range order {
		j := t.slotOf(g)
		for t.slots[j].hi != 0 {
			j = (j + 1) & (len(t.slots) - 1)
		}
		lo := len(t.ids)
		t.ids = append(t.ids, byGram[g]...)
		t.slots[j] = gramSlot{gram: g, lo: int32(lo), hi: int32(len(t.ids))}
	}
	return t
}

func (t *gramTable) slotOf(g uint64) int {
	return int((g * 0x9e3779b97f4a7c15) >> t.shift)
}

// lookup returns the literals held under g.
func (t *gramTable) lookup(g uint64) []int32 {
	if t.slots == nil {
		return nil
	}
	for j := t.slotOf(g); ; j = (j + 1) & (len(t.slots) - 1) {
		switch e := t.slots[j]; {
		case e.hi == 0:
			return nil
		case e.gram == g:
			return t.ids[e.lo:e.hi]
		}
	}
}

// bytes is the memory of the table.
func (t *gramTable) bytes() int { return 16*len(t.slots) + 4*len(t.ids) }
