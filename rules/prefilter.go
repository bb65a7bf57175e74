package rules

// The prefilter. Most rules cannot match an event unless some field of it
// contains some literal of the rule: "CommandLine|contains: ' -enc '" needs
// " -enc " in CommandLine. For each rule, compile derives such a necessary
// condition (a requirement: a list of (field, literal), one of which must
// occur), and the Set builds one Aho-Corasick automaton per field over all
// the literals of all rules. Matching an event then scans each field value
// once, marks the rules whose literals occur, and evaluates fully only those
// (and the rules without a requirement). Requirements are necessary, never
// sufficient: the full evaluation decides.

// need is one literal that must occur (case-folded) in a field's value;
// slot keywordSlot means in any string value of the event.
type need struct {
	slot int
	lit  string // folded
}

const keywordSlot = -1

// requirement is a disjunction of needs; nil means "none known".
type requirement []need

// minLen is the length of the shortest literal: how selective it is.
func (r requirement) minLen() int {
	m := -1
	for _, n := range r {
		if m < 0 || len(n.lit) < m {
			m = len(n.lit)
		}
	}
	return m
}

// better picks the more selective of two requirements for an AND: longer
// shortest literal, then fewer alternatives.
func better(a, b requirement) requirement {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.minLen() != b.minLen():
		if a.minLen() > b.minLen() {
			return a
		}
		return b
	case len(a) <= len(b):
		return a
	default:
		return b
	}
}

// requirementOf derives a node's necessary literals.
func requirementOf(n node) requirement {
	switch n := n.(type) {
	case andNode:
		var best requirement
		for _, c := range n {
			best = better(best, requirementOf(c))
		}
		return best
	case orNode:
		var all requirement
		for _, c := range n {
			r := requirementOf(c)
			if r == nil {
				return nil
			}
			all = append(all, r...)
		}
		return all
	case *searchNode:
		var all requirement
		for _, alt := range n.alternatives {
			var best requirement
			for i := range alt {
				best = better(best, alt[i].requirement())
			}
			if best == nil {
				return nil
			}
			all = append(all, best...)
		}
		return all
	default: // notNode and anything else: nothing is required
		return nil
	}
}

// requirement of one field matcher: every pattern (any of which may match)
// must contribute its longest literal; with |all, the best single pattern.
func (f *fieldMatcher) requirement() requirement {
	t, ok := f.test.(*patternTest)
	if !ok || f.matchAbsent {
		return nil
	}
	var req requirement
	for i := range t.patterns {
		lit := t.patterns[i].longestLiteral()
		if lit == "" {
			if t.all {
				continue
			}
			return nil
		}
		n := requirement{{slot: f.slot, lit: lit}}
		if t.all {
			req = better(req, n)
		} else {
			req = append(req, n...)
		}
	}
	return req
}

// longestLiteral returns the pattern's longest literal, case-folded.
func (p *pattern) longestLiteral() string {
	var lit []byte
	switch p.kind {
	case anyPattern:
		return ""
	case globPattern:
		for _, t := range p.glob {
			if t.kind == literalToken && len(t.lit) > len(lit) {
				lit = t.lit
			}
		}
	default:
		lit = p.lit
	}
	if p.cased {
		return string(foldAppend(nil, lit))
	}
	return string(lit)
}

// acAutomaton is an Aho-Corasick automaton over case-folded bytes. Bytes
// are mapped to classes (only bytes that occur in some literal get their
// own; all others share class 0). States near the root, which the scan
// visits most, get dense rows with every transition resolved; deeper
// states, nearly all with one child, keep only their children and fall
// back along failure links. That keeps the full SigmaHQ set's automata at a
// few MiB where dense rows for every state would take tens.
type acAutomaton struct {
	class    [256]uint8
	nclass   int
	row      []int32 // state -> dense row index, or -1
	dense    []int32 // row*nclass + class -> state
	edgeAt   []int32 // state -> first edge; edges of s are edgeAt[s]:edgeAt[s+1]
	edgeCls  []uint8
	edgeTo   []int32
	fail     []int32
	term     []int32 // state -> literal id ending here, or -1
	dictLink []int32 // state -> nearest state on the failure chain with term >= 0, or -1
}

// denseDepth: states at this depth or less get dense rows.
const denseDepth = 2

func buildAutomaton(lits []string) *acAutomaton {
	a := &acAutomaton{}
	// Past 255 classes, further bytes share class 0 with the bytes no
	// literal has: the automaton then finds a superset of the literals,
	// which a prefilter may (it must never find fewer).
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			if a.class[l[i]] == 0 && a.nclass < 255 {
				a.nclass++
				a.class[l[i]] = uint8(a.nclass)
			}
		}
	}
	a.nclass++

	// The trie, with children in maps while building.
	children := []map[uint8]int32{{}}
	depth := []int{0}
	a.term = []int32{-1}
	for id, l := range lits {
		s := int32(0)
		for i := 0; i < len(l); i++ {
			c := a.class[l[i]]
			next, ok := children[s][c]
			if !ok {
				next = int32(len(a.term))
				a.term = append(a.term, -1)
				children = append(children, map[uint8]int32{})
				depth = append(depth, depth[s]+1)
				children[s][c] = next
			}
			s = next
		}
		a.term[s] = int32(id)
	}
	states := len(a.term)

	// Sparse edges, sorted by class for a deterministic layout.
	a.edgeAt = make([]int32, states+1)
	for s := 0; s < states; s++ {
		a.edgeAt[s] = int32(len(a.edgeTo))
		for c := 0; c < a.nclass; c++ {
			if next, ok := children[s][uint8(c)]; ok {
				a.edgeCls = append(a.edgeCls, uint8(c))
				a.edgeTo = append(a.edgeTo, next)
			}
		}
	}
	a.edgeAt[states] = int32(len(a.edgeTo))

	// Breadth-first: failure links, dictionary links, dense rows.
	a.fail = make([]int32, states)
	a.dictLink = make([]int32, states)
	a.row = make([]int32, states)
	for i := range a.row {
		a.row[i], a.dictLink[i] = -1, -1
	}
	queue := []int32{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if s != 0 {
			f := a.fail[s]
			if a.term[f] >= 0 {
				a.dictLink[s] = f
			} else {
				a.dictLink[s] = a.dictLink[f]
			}
		}
		if depth[s] <= denseDepth {
			a.row[s] = int32(len(a.dense) / a.nclass)
			a.dense = append(a.dense, make([]int32, a.nclass)...)
		}
		for i := a.edgeAt[s]; i < a.edgeAt[s+1]; i++ {
			c, next := a.edgeCls[i], a.edgeTo[i]
			if s == 0 {
				a.fail[next] = 0
			} else {
				a.fail[next] = a.step(a.fail[s], c)
			}
			queue = append(queue, next)
		}
		if r := a.row[s]; r >= 0 {
			for c := 0; c < a.nclass; c++ {
				var next int32
				if s == 0 {
					next = children[0][uint8(c)]
				} else if child, ok := children[s][uint8(c)]; ok {
					next = child
				} else {
					next = a.step(a.fail[s], uint8(c))
				}
				a.dense[int(r)*a.nclass+c] = next
			}
		}
	}
	return a
}

// step returns the state after reading class c in state s. The root has a
// dense row, so following failure links always ends.
func (a *acAutomaton) step(s int32, c uint8) int32 {
	for {
		if r := a.row[s]; r >= 0 {
			return a.dense[int(r)*a.nclass+int(c)]
		}
		for i := a.edgeAt[s]; i < a.edgeAt[s+1]; i++ {
			if a.edgeCls[i] == c {
				return a.edgeTo[i]
			}
		}
		s = a.fail[s]
	}
}

// scan appends to hits the id of every literal that occurs in text (an id
// once per occurrence).
func (a *acAutomaton) scan(text []byte, hits []int32) []int32 {
	s := int32(0)
	for _, b := range text {
		s = a.step(s, a.class[b])
		for t := s; t > 0; t = a.dictLink[t] {
			if a.term[t] >= 0 {
				hits = append(hits, a.term[t])
			}
			if a.dictLink[t] < 0 {
				break
			}
		}
	}
	return hits
}

func (a *acAutomaton) bytes() int {
	return 4*(len(a.row)+len(a.dense)+len(a.edgeAt)+len(a.edgeTo)+len(a.fail)+len(a.term)+len(a.dictLink)) + len(a.edgeCls)
}
