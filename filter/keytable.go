package filter

import "encoding/binary"

// keyTable finds the edges of a node's crowded key lengths (a large rule
// set reads hundreds of fields) by a hash of a key's length and its first
// and last 8 bytes, open-addressed. A Go map hashes every byte of the key
// and costs about as much again per lookup; records have dozens of keys.
// Keys alike at both ends share a probe chain, and are told apart by a
// comparison of the whole key.
type keyTable struct {
	slots []*keyEdge // nil: empty
	shift uint       // 64 - log2(len(slots))
}

// newKeyTable holds edges, whose names are distinct; none gives the
// empty table.
func newKeyTable(edges []*keyEdge) keyTable {
	if len(edges) == 0 {
		return keyTable{}
	}
	size, shift := 8, uint(61)
	for size < 2*len(edges) {
		size *= 2
		shift--
	}
	t := keyTable{slots: make([]*keyEdge, size), shift: shift}
	for _, e := range edges {
		j := t.slotOf([]byte(e.name))
		for t.slots[j] != nil {
			j = (j + 1) & (len(t.slots) - 1)
		}
		t.slots[j] = e
	}
	return t
}

func (t *keyTable) slotOf(key []byte) int {
	var head, tail uint64
	if n := len(key); n >= 8 {
		head, tail = binary.LittleEndian.Uint64(key), binary.LittleEndian.Uint64(key[n-8:])
	} else {
		for i, c := range key {
			head |= uint64(c) << (8 * i)
		}
	}
	h := (head ^ (tail<<29 | tail>>35) ^ uint64(len(key))) * 0x9e3779b97f4a7c15
	return int(h >> t.shift)
}

// lookup returns the edge named key, or nil.
func (t *keyTable) lookup(key []byte) *keyEdge {
	if t.slots == nil {
		return nil
	}
	for j := t.slotOf(key); ; j = (j + 1) & (len(t.slots) - 1) {
		e := t.slots[j]
		if e == nil || e.name == string(key) {
			return e
		}
	}
}
