package ahocorasick

// New builds an automaton over patterns, each folded with fold first.
// Pattern i is reported as Canonical()[i]. fold must not be nil.
func New(patterns []string, fold Fold) *Automaton {
	lits := make([]string, len(patterns))
	var src, buf []byte
	for i, p := range patterns {
		// Patterns usually come folded already: those are kept as they
		// are, without allocating.
		src = append(src[:0], p...)
		if buf = fold(buf[:0], src); string(buf) == p {
			lits[i] = p
		} else {
			lits[i] = string(buf)
		}
	}
	b := &builder{}
	b.assignClasses(lits)
	b.buildTrie(lits)
	b.buildEdges()
	order := b.layout(b.link())
	a := b.pack(order)
	a.fold = fold
	for c := 0; c < 0x80; c++ {
		a.rootStay[c] = a.dense[a.class[c]] == 0
	}
	a.buildPairs(lits)
	a.buildRare(lits)
	return a
}

// builder holds the automaton while New builds it: a trie with its
// children in maps, then sparse edges, failure links and dense rows,
// indexed by trie state, before pack renumbers them into an Automaton.
type builder struct {
	class    [256]uint8
	nclass   int
	children []map[uint8]int32
	depth    []int
	term     []int32 // state -> pattern id ending here, or -1
	canon    []int32
	edgeAt   []int32 // state -> first edge; edges of s are edgeAt[s]:edgeAt[s+1]
	edgeCls  []uint8
	edgeTo   []int32
	fail     []int32
	dictLink []int32 // state -> nearest state on the failure chain with term >= 0, or -1
	row      []int32 // state -> dense row index, or -1
	dense    []int32 // row*nclass + class -> state
}

// assignClasses gives each ASCII byte of the patterns a class of its own
// and all bytes >= 0x80 one class together: the table stays narrow, so the
// scan stays in cache, and patterns then match a superset of their texts,
// which a prefilter may (it must never find fewer). Upper-case ASCII
// shares its lower-case letter's class, so ASCII text is scanned as it is,
// without folding it first.
func (b *builder) assignClasses(lits []string) {
	high := uint8(0)
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			c := l[i]
			if b.class[c] != 0 {
				continue
			}
			if c >= 0x80 {
				if high == 0 {
					b.nclass++
					high = uint8(b.nclass)
				}
				continue
			}
			b.nclass++
			b.class[c] = uint8(b.nclass)
		}
	}
	if high != 0 {
		for c := 0x80; c <= 0xff; c++ {
			b.class[c] = high
		}
	}
	b.nclass++
	for c := 'A'; c <= 'Z'; c++ {
		b.class[c] = b.class[c+'a'-'A']
	}
}

// buildTrie inserts the patterns, in classes. Patterns that read alike
// end in one state: the first one's id stands for all (canon).
func (b *builder) buildTrie(lits []string) {
	b.children = []map[uint8]int32{{}}
	b.depth = []int{0}
	b.term = []int32{-1}
	for id, l := range lits {
		s := int32(0)
		for i := 0; i < len(l); i++ {
			c := b.class[l[i]]
			next, ok := b.children[s][c]
			if !ok {
				next = int32(len(b.term))
				b.term = append(b.term, -1)
				b.children = append(b.children, map[uint8]int32{})
				b.depth = append(b.depth, b.depth[s]+1)
				b.children[s][c] = next
			}
			s = next
		}
		if b.term[s] < 0 {
			b.term[s] = int32(id)
		}
		b.canon = append(b.canon, b.term[s])
	}
}

// buildEdges lists each state's children, sorted by class for a
// deterministic layout.
func (b *builder) buildEdges() {
	states := len(b.term)
	b.edgeAt = make([]int32, states+1)
	for s := 0; s < states; s++ {
		b.edgeAt[s] = int32(len(b.edgeTo))
		for c := 0; c < b.nclass; c++ {
			if next, ok := b.children[s][uint8(c)]; ok {
				b.edgeCls = append(b.edgeCls, uint8(c))
				b.edgeTo = append(b.edgeTo, next)
			}
		}
	}
	b.edgeAt[states] = int32(len(b.edgeTo))
}

// link walks the trie breadth-first, setting failure and dictionary links
// and filling the dense rows, and returns the states in that order. A
// state's failure link is set when its parent is visited, so it is known
// by the time the state itself is.
func (b *builder) link() []int32 {
	states := len(b.term)
	b.fail = make([]int32, states)
	b.dictLink = make([]int32, states)
	b.row = make([]int32, states)
	for i := range b.row {
		b.row[i], b.dictLink[i] = -1, -1
	}
	queue := []int32{0}
	var order []int32
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		if s != 0 {
			f := b.fail[s]
			if b.term[f] >= 0 {
				b.dictLink[s] = f
			} else {
				b.dictLink[s] = b.dictLink[f]
			}
		}
		if b.depth[s] <= denseDepth {
			b.row[s] = int32(len(b.dense) / b.nclass)
			b.dense = append(b.dense, make([]int32, b.nclass)...)
		}
		for i := b.edgeAt[s]; i < b.edgeAt[s+1]; i++ {
			c, next := b.edgeCls[i], b.edgeTo[i]
			if s == 0 {
				b.fail[next] = 0
			} else {
				b.fail[next] = b.step(b.fail[s], c)
			}
			queue = append(queue, next)
		}
		if b.row[s] >= 0 {
			b.fillRow(s)
		}
	}
	return order
}

// fillRow resolves every transition of dense state s: to its child, or
// where its failure link leads (the root stays at the root).
func (b *builder) fillRow(s int32) {
	r := int(b.row[s])
	for c := 0; c < b.nclass; c++ {
		var next int32
		if s == 0 {
			next = b.children[0][uint8(c)]
		} else if child, ok := b.children[s][uint8(c)]; ok {
			next = child
		} else {
			next = b.step(b.fail[s], uint8(c))
		}
		b.dense[r*b.nclass+c] = next
	}
}

// step returns the state after reading class c in state s. The root has a
// dense row, so following failure links always ends.
func (b *builder) step(s int32, c uint8) int32 {
	for {
		if r := b.row[s]; r >= 0 {
			return b.dense[int(r)*b.nclass+int(c)]
		}
		for i := b.edgeAt[s]; i < b.edgeAt[s+1]; i++ {
			if b.edgeCls[i] == c {
				return b.edgeTo[i]
			}
		}
		s = b.fail[s]
	}
}

// layout returns the order pack numbers the states in: the dense ones
// first, breadth-first as link visited them, then the sparse ones depth
// first. A scan that walks a long literal through sparse states then
// reads states (and their edges) that lie next to each other in memory,
// not one cache line each.
func (b *builder) layout(bfs []int32) []int32 {
	order := make([]int32, 0, len(bfs))
	var stack []int32
	for _, s := range bfs {
		if b.row[s] < 0 {
			continue
		}
		order = append(order, s)
		for i := b.edgeAt[s+1] - 1; i >= b.edgeAt[s]; i-- {
			if next := b.edgeTo[i]; b.row[next] < 0 {
				stack = append(stack, next)
			}
		}
	}
	var sparse []int32
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		sparse = append(sparse, s)
		for i := b.edgeAt[s+1] - 1; i >= b.edgeAt[s]; i-- {
			stack = append(stack, b.edgeTo[i])
		}
	}
	return append(order, sparse...)
}

// pack renumbers the states in order (layout's), so the dense states
// (the shallow ones, which come first) are 0..ndense-1 with row == id, and
// flags every transition target that has output. A step through a dense
// state then reads one table entry, and an output check reads nothing.
func (b *builder) pack(order []int32) *Automaton {
	newID := make([]int32, len(order))
	for i, old := range order {
		newID[old] = int32(i)
	}
	target := func(old int32) int32 {
		id := newID[old]
		if b.term[old] >= 0 || b.dictLink[old] >= 0 {
			id |= outFlag
		}
		return id
	}
	a := &Automaton{class: b.class, nclass: b.nclass, canon: b.canon}
	a.dense = make([]int32, 0, len(b.dense))
	a.st = make([]state, len(order))
	a.depth = make([]int32, len(order))
	for i, old := range order {
		if r := b.row[old]; r >= 0 {
			a.ndense = int32(i + 1)
			for _, t := range b.dense[int(r)*b.nclass : int(r+1)*b.nclass] {
				a.dense = append(a.dense, target(t))
			}
		}
		lo := int32(len(a.edgeTo))
		for e := b.edgeAt[old]; e < b.edgeAt[old+1]; e++ {
			a.edgeCls = append(a.edgeCls, b.edgeCls[e])
			a.edgeTo = append(a.edgeTo, target(b.edgeTo[e]))
		}
		dict := int32(-1)
		if d := b.dictLink[old]; d >= 0 {
			dict = newID[d]
		}
		a.depth[i] = int32(b.depth[old])
		a.st[i] = state{edgeLo: lo, edgeHi: int32(len(a.edgeTo)), fail: newID[b.fail[old]], term: b.term[old], dict: dict}
	}
	return a
}

// buildPairs marks every pair of classes that reads like the first two
// bytes of a pattern (any second class for one-byte patterns). Bytes
// >= 0x80 share one class, so a pattern that begins with one marks them
// all.
func (a *Automaton) buildPairs(lits []string) {
	a.pairs = newClassPairs(a.nclass)
	for _, l := range lits {
		switch {
		case len(l) == 1:
			for c1 := range a.nclass {
				a.pairs.set(a.class[l[0]], uint8(c1))
			}
		case len(l) > 1:
			a.pairs.set(a.class[l[0]], a.class[l[1]])
		}
	}
}
