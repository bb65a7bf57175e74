package ahocorasick

// Window finds long ASCII patterns by a rolling hash of the text's last w
// bytes (w the shortest pattern's length), Rabin-Karp style: one multiply
// and a bit test in a small bitmap per byte, where an automaton over
// thousands of long patterns (hashes, long arguments) steps through
// megabytes of tables, one cache miss a byte. Patterns whose last w bytes
// hash alike are checked in full at each position the bitmap lets by.
type Window struct {
	w     int
	pats  []string // folded
	canon []int32
	// seen has a bit per hash of some pattern's last w bytes.
	seen      []uint64
	seenShift uint
	// table is open-addressed by hash; id -1 marks an empty slot.
	table      []windowSlot
	tableShift uint
	topPow     uint64 // windowBase^(w-1): the weight of the byte leaving the window
}

type windowSlot struct {
	hash uint64
	id   int32
}

const (
	windowBase = 0x100000001b3 // odd, so the rolling hash loses no bits
	seenMul    = 0x9e3779b97f4a7c15
	tableMul   = 0xc2b2ae3d27d4eb4f
)

// NewWindow builds a Window over patterns, each folded with fold first;
// all must be ASCII once folded and at least minWindow bytes long. Pattern
// i is reported as Canonical()[i], the first pattern with the same folded
// text.
func NewWindow(patterns []string, fold Fold) *Window {
	x := &Window{w: -1}
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
		if x.w < 0 || len(f) < x.w {
			x.w = len(f)
		}
	}
	size := 8
	for size < 2*len(first) {
		size *= 2
	}
	x.table = make([]windowSlot, size)
	for i := range x.table {
		x.table[i].id = -1
	}
	x.seen = make([]uint64, size/4) // 16 bits a pattern
	x.tableShift, x.seenShift = 64-log2(size), 64-log2(len(x.seen)*64)
	x.topPow = 1
	for range x.w - 1 {
		x.topPow *= windowBase
	}
	// Longest first: patterns of one hash sit along one probe chain in
	// the order they went in, and those ending at one position are
	// reported longest first.
	order := make([]int32, 0, len(first))
	for i := range x.pats {
		if x.canon[i] == int32(i) {
			order = append(order, int32(i))
		}
	}
	for l := 0; l < len(order); l++ { // stable, by decreasing length
		for j := l; j > 0 && len(x.pats[order[j]]) > len(x.pats[order[j-1]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, id := range order {
		p := x.pats[id]
		h := x.hash(p[len(p)-x.w:])
		x.seen[(h*seenMul)>>x.seenShift/64] |= 1 << ((h * seenMul) >> x.seenShift % 64)
		j := int((h * tableMul) >> x.tableShift)
		for x.table[j].id >= 0 {
			j = (j + 1) & (len(x.table) - 1)
		}
		x.table[j] = windowSlot{hash: h, id: id}
	}
	return x
}

// MinWindow is the shortest pattern NewWindow takes: shorter windows let
// too many positions through the bitmap.
const MinWindow = 8

func log2(n int) uint {
	k := uint(0)
	for n > 1 {
		n /= 2
		k++
	}
	return k
}

func (x *Window) hash(s string) uint64 {
	h := uint64(0)
	for i := 0; i < len(s); i++ {
		h = h*windowBase + uint64(s[i])
	}
	return h
}

// Canonical returns, for each pattern i, the id Scan reports for it. The
// slice is the Window's own; the caller must not modify it.
func (x *Window) Canonical() []int32 { return x.canon }

// Bytes returns the memory the Window's tables take, for reporting.
func (x *Window) Bytes() int {
	n := 16*len(x.table) + 8*len(x.seen) + 4*len(x.canon)
	for _, p := range x.pats {
		n += 16 + len(p)
	}
	return n
}

// Scan appends to hits the id of every pattern that occurs in the
// case-folded text, once per occurrence, in the order the occurrences end
// (patterns ending at one position: the longest first), as
// Automaton.Scan does. Text with a byte >= 0x80 is folded into *scratch
// first.
func (x *Window) Scan(text []byte, hits []int32, scratch *[]byte, fold Fold) []int32 {
	if len(text) < x.w {
		return hits
	}
	seen, seenShift := x.seen, x.seenShift
	start := len(hits)
	h := uint64(0)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 0x80 {
			*scratch = fold((*scratch)[:0], text)
			return x.scanFolded(*scratch, hits[:start])
		}
		if i >= x.w {
			h -= uint64(asciiLower[text[i-x.w]]) * x.topPow
		}
		h = h*windowBase + uint64(asciiLower[c])
		if i+1 < x.w {
			continue
		}
		if k := (h * seenMul) >> seenShift; seen[k/64]&(1<<(k%64)) != 0 {
			hits = x.probe(h, text, i+1, hits)
		}
	}
	return hits
}

// scanFolded scans folded text, whose bytes >= 0x80 no pattern has.
func (x *Window) scanFolded(text []byte, hits []int32) []int32 {
	h := uint64(0)
	for i := 0; i < len(text); i++ {
		if i >= x.w {
			h -= uint64(text[i-x.w]) * x.topPow
		}
		h = h*windowBase + uint64(text[i])
		if k := (h * seenMul) >> x.seenShift; i+1 >= x.w && x.seen[k/64]&(1<<(k%64)) != 0 {
			hits = x.probe(h, text, i+1, hits)
		}
	}
	return hits
}

// probe appends the patterns whose last w bytes hash to h and that end
// at text[end-1], lowered.
func (x *Window) probe(h uint64, text []byte, end int, hits []int32) []int32 {
	mask := len(x.table) - 1
	for j := int((h * tableMul) >> x.tableShift); ; j = (j + 1) & mask {
		e := x.table[j]
		if e.id < 0 {
			return hits
		}
		if e.hash == h {
			if p := x.pats[e.id]; len(p) <= end && equalLower(text[end-len(p):end], p) {
				hits = append(hits, e.id)
			}
		}
	}
}

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

func equalLower(text []byte, p string) bool {
	for i, c := range text {
		if asciiLower[c] != p[i] {
			return false
		}
	}
	return true
}
