package rules

import (
	"regexp/syntax"
)

// The prefilter. Most rules cannot match an event unless some fields of it
// contain some literals of the rule: "CommandLine|contains: ' -enc '" needs
// " -enc " in CommandLine. For each rule, compile derives such a necessary
// condition in conjunctive form (clauses, each a list of (field, literal)
// of which one must occur), and the Set builds one Aho-Corasick automaton
// per field over all the literals of all rules. Matching an event scans
// each field value once, marks the clauses whose literals occur, and fully
// evaluates only the rules whose clauses are all marked (and the rules
// without clauses). Clauses are necessary, never sufficient: the full
// evaluation decides.

// need is one literal that must occur (case-folded) in a field's value;
// slot keywordSlot means in any string value of the event (the index gives
// each group's keywords a slot of their own below it).
type need struct {
	slot int
	lit  string // folded
}

const keywordSlot = -1

// clause is a disjunction of needs.
type clause []need

// cnf is a conjunction of clauses; empty means nothing is known.
type cnf []clause

// maxClauses bounds the clauses kept per rule (the most selective ones).
const maxClauses = 4

// strength is how selective a clause is: its shortest literal.
func (c clause) strength() int {
	m := -1
	for _, n := range c {
		if m < 0 || len(n.lit) < m {
			m = len(n.lit)
		}
	}
	return m
}

// best returns the most selective clause of c (nil when c is empty).
func (c cnf) best() clause {
	var b clause
	for _, cl := range c {
		if b == nil || cl.strength() > b.strength() || cl.strength() == b.strength() && len(cl) < len(b) {
			b = cl
		}
	}
	return b
}

// or combines alternatives: one of them holds, so the disjunction of one
// clause from each is necessary. Empty if any alternative knows nothing.
func or(alts []cnf) cnf {
	var c clause
	for _, a := range alts {
		b := a.best()
		if b == nil {
			return nil
		}
		c = append(c, b...)
	}
	if c == nil {
		return nil
	}
	return cnf{c}
}

// cnfOf derives a node's necessary literals.
func cnfOf(n node) cnf {
	switch n := n.(type) {
	case andNode:
		var all cnf
		for _, c := range n {
			all = append(all, cnfOf(c)...)
		}
		return all
	case orNode:
		alts := make([]cnf, len(n))
		for i, c := range n {
			alts[i] = cnfOf(c)
		}
		return or(alts)
	case *searchNode:
		alts := make([]cnf, len(n.alternatives))
		for i, alt := range n.alternatives {
			for j := range alt {
				alts[i] = append(alts[i], alt[j].clauses()...)
			}
		}
		return or(alts)
	default: // notNode and anything else: nothing is required
		return nil
	}
}

// ruleCNF is the rule's requirement, limited to its strongest clauses.
func ruleCNF(n node) cnf {
	c := cnfOf(n)
	for len(c) > maxClauses {
		weakest := 0
		for i := range c {
			if c[i].strength() < c[weakest].strength() {
				weakest = i
			}
		}
		c = append(c[:weakest], c[weakest+1:]...)
	}
	return c
}

// clauses of one field matcher: with patterns, one of the patterns' longest
// literals must occur (with |all, each pattern's own); with a regular
// expression, a literal every match contains.
func (f *fieldMatcher) clauses() cnf {
	if f.matchAbsent {
		return nil
	}
	var lits []string
	var all bool
	switch t := f.test.(type) {
	case *patternTest:
		for i := range t.patterns {
			lits = append(lits, t.patterns[i].longestLiteral())
		}
		all = t.all
	case *regexTest:
		if f.slot < 0 {
			return nil
		}
		for _, re := range t.res {
			lits = append(lits, regexLiteral(re.String()))
		}
		all = t.all
	default:
		return nil
	}
	return valueClauses(f.slot, lits, all)
}

// valueClauses turns the literals of a field's values ("" where a value has
// none) into clauses: one clause of all of them when any value may match;
// with |all, one clause per literal, since every value must match.
func valueClauses(slot int, lits []string, all bool) cnf {
	var c clause
	var each cnf
	for _, lit := range lits {
		switch {
		case lit == "" && all:
			continue
		case lit == "":
			return nil
		case all:
			each = append(each, clause{{slot: slot, lit: lit}})
		default:
			c = append(c, need{slot: slot, lit: lit})
		}
	}
	if all {
		return each
	}
	if c == nil {
		return nil
	}
	return cnf{c}
}

// regexLiteral returns, case-folded, the longest literal that every match
// of the expression contains, or "" when there is none it can tell.
func regexLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	return window(string(foldAppend(nil, []byte(mustLiteral(re.Simplify())))))
}

func mustLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCapture:
		return mustLiteral(re.Sub[0])
	case syntax.OpPlus:
		return mustLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return mustLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if l := mustLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

// maxNeedLen bounds the literals of needs: any piece of a literal that must
// occur must occur too, and the last bytes of a literal are its most
// selective ("\\rundll32.exe" rather than "c:\\windows\\"). Shorter
// literals keep the automata small and the scan in shallow states.
const maxNeedLen = 24

func window(lit string) string {
	if len(lit) > maxNeedLen {
		return lit[len(lit)-maxNeedLen:]
	}
	return lit
}

// longestLiteral returns the pattern's longest literal, case-folded and
// cut to its last maxNeedLen bytes.
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
		return window(string(foldAppend(nil, lit)))
	}
	return window(string(lit))
}

// acAutomaton is an Aho-Corasick automaton over case-folded bytes. Bytes
// are mapped to classes (only bytes that occur in some literal get their
// own; all others share class 0). States near the root, which the scan
// visits most, get dense rows with every transition resolved; deeper
// states, nearly all with one child, keep only their children and fall
// back along failure links. That keeps the full SigmaHQ set's automata at a
// few MiB where dense rows for every state would take tens.
type acAutomaton struct {
	class  [256]uint8
	nclass int
	ndense int32 // states 0..ndense-1 have dense rows (after pack)
	// rootStay: ASCII bytes on which the root goes back to the root.
	rootStay [256]bool
	// pairs: a bit per byte pair (b0<<8 | b1) with which some literal may
	// begin; pairs with a byte >= 0x80 are always set, so the scan stops
	// there and folds.
	pairs [1024]uint64
	// canon maps each literal to the id the scan reports for it: its own,
	// or that of an earlier literal with the same class string.
	canon []int32
	// st packs what a scan reads of each state into one record, so a step
	// touches one cache line rather than one per array.
	st []acState
	// Build-time arrays; row, dense, edges are kept for the scan through st.
	row      []int32 // state -> dense row index, or -1
	dense    []int32 // row*nclass + class -> state
	edgeAt   []int32 // state -> first edge; edges of s are edgeAt[s]:edgeAt[s+1]
	edgeCls  []uint8
	edgeTo   []int32
	fail     []int32
	term     []int32 // state -> literal id ending here, or -1
	dictLink []int32 // state -> nearest state on the failure chain with term >= 0, or -1
}

type acState struct {
	edgeLo, edgeHi int32 // sparse children: edgeCls/edgeTo[edgeLo:edgeHi]
	fail           int32
	term           int32 // literal id ending here, or -1
	dict           int32 // nearest state on the failure chain with term >= 0, or -1
}

// denseDepth: states at this depth or less get dense rows.
const denseDepth = 3

func buildAutomaton(lits []string) *acAutomaton {
	a := &acAutomaton{}
	// All bytes of multi-byte UTF-8 share one class: literals then match
	// a superset of their texts, which a prefilter may (it must never find
	// fewer), and the table stays narrow, so the scan stays in cache.
	high := uint8(0)
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			c := l[i]
			if a.class[c] != 0 {
				continue
			}
			if c >= 0x80 {
				if high == 0 {
					a.nclass++
					high = uint8(a.nclass)
				}
				continue
			}
			a.nclass++
			a.class[c] = uint8(a.nclass)
		}
	}
	if high != 0 {
		for c := 0x80; c <= 0xff; c++ {
			a.class[c] = high
		}
	}
	a.nclass++
	// Literals are folded: upper-case ASCII reads as lower case, so ASCII
	// text is scanned as it is, without folding it first.
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}

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
		if a.term[s] < 0 {
			a.term[s] = int32(id)
		}
		// Literals that read alike in classes end in one state: the
		// first one's id stands for all (see canon).
		a.canon = append(a.canon, a.term[s])
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
	var order []int32 // states in breadth-first order
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
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
	a.pack(order)
	for b := 0; b < 0x80; b++ {
		a.rootStay[b] = a.dense[a.class[b]] == 0
	}
	a.buildPairs(lits)
	return a
}

func (a *acAutomaton) setPair(b0, b1 int) { a.pairs[(b0<<8|b1)/64] |= 1 << ((b0<<8 | b1) % 64) }

func (a *acAutomaton) startPair(b0, b1 byte) bool {
	p := int(b0)<<8 | int(b1)
	return a.pairs[p/64]&(1<<(p%64)) != 0
}

// buildPairs marks every byte pair that reads, in classes, like the first
// two bytes of a literal (any second byte for one-byte literals), and every
// pair with a byte of multi-byte UTF-8.
func (a *acAutomaton) buildPairs(lits []string) {
	var bytesOf [256][]int // class -> bytes
	for b := 0; b < 256; b++ {
		bytesOf[a.class[b]] = append(bytesOf[a.class[b]], b)
	}
	for b := 0; b < 256; b++ {
		for high := 0x80; high < 256; high++ {
			a.setPair(b, high)
			a.setPair(high, b)
		}
	}
	for _, l := range lits {
		switch {
		case len(l) == 1:
			for _, b0 := range bytesOf[a.class[l[0]]] {
				for b1 := 0; b1 < 256; b1++ {
					a.setPair(b0, b1)
				}
			}
		case len(l) > 1:
			for _, b0 := range bytesOf[a.class[l[0]]] {
				for _, b1 := range bytesOf[a.class[l[1]]] {
					a.setPair(b0, b1)
				}
			}
		}
	}
}

// pack renumbers the states in breadth-first order, so the dense states
// (the shallow ones, which come first) are 0..ndense-1 with row == id, and
// flags every transition target that has output. A step through a dense
// state then reads one table entry, and an output check reads nothing.
func (a *acAutomaton) pack(order []int32) {
	newID := make([]int32, len(order))
	for i, old := range order {
		newID[old] = int32(i)
	}
	target := func(old int32) int32 {
		id := newID[old]
		if a.term[old] >= 0 || a.dictLink[old] >= 0 {
			id |= outFlag
		}
		return id
	}
	dense := make([]int32, 0, len(a.dense))
	st := make([]acState, len(order))
	var edgeCls []uint8
	var edgeTo []int32
	for i, old := range order {
		if r := a.row[old]; r >= 0 {
			a.ndense = int32(i + 1)
			for _, t := range a.dense[int(r)*a.nclass : int(r+1)*a.nclass] {
				dense = append(dense, target(t))
			}
		}
		lo := int32(len(edgeTo))
		for e := a.edgeAt[old]; e < a.edgeAt[old+1]; e++ {
			edgeCls = append(edgeCls, a.edgeCls[e])
			edgeTo = append(edgeTo, target(a.edgeTo[e]))
		}
		dict := int32(-1)
		if d := a.dictLink[old]; d >= 0 {
			dict = newID[d]
		}
		st[i] = acState{edgeLo: lo, edgeHi: int32(len(edgeTo)), fail: newID[a.fail[old]], term: a.term[old], dict: dict}
	}
	a.dense, a.edgeCls, a.edgeTo, a.st = dense, edgeCls, edgeTo, st
	a.row, a.edgeAt, a.fail, a.term, a.dictLink = nil, nil, nil, nil, nil
}

// outFlag marks, in a transition target, a state where literals end.
const outFlag = 1 << 30

// next returns the state after reading class c in state s, flagged with
// outFlag when literals end there.
func (a *acAutomaton) next(s int32, c uint8) int32 {
	for {
		if s < a.ndense {
			return a.dense[int(s)*a.nclass+int(c)]
		}
		st := &a.st[s]
		for i := st.edgeLo; i < st.edgeHi; i++ {
			if a.edgeCls[i] == c {
				return a.edgeTo[i]
			}
		}
		s = st.fail
	}
}

// emit appends the literals that end in state s.
func (a *acAutomaton) emit(s int32, hits []int32) []int32 {
	for s > 0 {
		st := &a.st[s]
		if st.term >= 0 {
			hits = append(hits, st.term)
		}
		s = st.dict
	}
	return hits
}

// step returns the state after reading class c in state s, while building. The root has a
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

// scan appends to hits the id of every literal that occurs in the
// case-folded text (an id once per occurrence). ASCII text is scanned as
// it is; text with other bytes is folded into *folded first.
func (a *acAutomaton) scan(text []byte, hits []int32, folded *[]byte) []int32 {
	// The automaton's fields are read into locals once: the loop runs per
	// byte, and appends to hits would otherwise make the compiler reload
	// them.
	dense, ndense, nclass, class, stay := a.dense, a.ndense, int32(a.nclass), &a.class, &a.rootStay
	start := len(hits)
	s := int32(0)
	for i := 0; i < len(text); i++ {
		if s == 0 {
			// At the root, skip the positions where no literal can start:
			// by the next two bytes while there are two, then by one.
			for i+1 < len(text) && !a.startPair(text[i], text[i+1]) {
				i++
			}
			for i < len(text) && stay[text[i]] {
				i++
			}
			if i == len(text) {
				break
			}
		}
		b := text[i]
		if b >= 0x80 {
			// Folding may change bytes (and lengths): start over on the
			// folded text.
			*folded = foldAppend((*folded)[:0], text)
			return a.scanFolded(*folded, hits[:start])
		}
		c := int32(class[b])
		if s < ndense {
			s = dense[s*nclass+c]
		} else {
			s = a.next(s, uint8(c))
		}
		if s&outFlag != 0 {
			s &^= outFlag
			hits = a.emit(s, hits)
		}
	}
	return hits
}

func (a *acAutomaton) scanFolded(text []byte, hits []int32) []int32 {
	s := int32(0)
	for _, b := range text {
		s = a.next(s, a.class[b])
		if s&outFlag != 0 {
			s &^= outFlag
			hits = a.emit(s, hits)
		}
	}
	return hits
}

func (a *acAutomaton) bytes() int {
	return 20*len(a.st) + 4*(len(a.dense)+len(a.edgeTo)) + len(a.edgeCls) + 8*len(a.pairs)
}
