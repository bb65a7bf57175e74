package rules

// This file holds the index builder: once all rules are compiled, it groups
// them by logsource guards, derives the literals each rule requires (see
// prefilter.go) and builds one automaton per scanned field.

import (
	"fmt"
	"math/bits"
	"slices"
)

// smallSet is the size up to which a set has no prefilter: evaluating a
// few rules directly costs less than scanning every field they read.
const smallSet = 16

// indexBuilder holds what index needs only while it builds.
type indexBuilder struct {
	s          *Set
	groupOf    map[string]int   // guard key -> index in s.groups
	guardOf    map[string]int32 // single-guard key -> index in s.guards
	perSlot    map[int]*slotLits
	slotOrder  []int              // slots in the order their first literal came
	clauseLits [][]litRef         // clause id -> its literals
	vetoLits   map[int32][]litRef // rule -> its vetoes (veto.go)
	scanOf     map[int]int        // slot -> index in s.scans
	base       map[int]int32
	// checked: per rule, a bit per clause that is checked, not marked
	// (chooseChecks).
	checked []uint8
}

// slotLits are the distinct literals required of one slot, numbered in the
// order they came.
type slotLits struct {
	ids  map[valueLit]int32
	lits []valueLit
}

// litRef is one literal of a clause: its slot and its id in that slot.
type litRef struct {
	slot int
	id   int32
}

// index builds the groups and automata once all rules are compiled.
func (s *Set) index() {
	b := &indexBuilder{
		s:        s,
		groupOf:  map[string]int{},
		guardOf:  map[string]int32{},
		perSlot:  map[int]*slotLits{},
		base:     map[int]int32{},
		vetoLits: map[int32][]litRef{},
	}
	s.clauses = make([][]int32, len(s.compiled))
	for i := range s.compiled {
		g := b.addToGroup(i)
		b.addClauses(i, g)
	}
	b.buildScans()
	b.linkPatterns()
	b.chooseChecks()
	b.linkLiterals()
	b.groupScans()
	b.addFreeVetoes()
	b.linkVetoes()
	for i := range s.scans {
		if s.scans[i].slot > keywordSlot {
			// Only keyword scans are merged (matchcache.go), which reads
			// their literals; the index is built.
			s.scans[i].lits, s.scans[i].local = nil, nil
		}
	}
}

// addToGroup puts rule i in the group of its guards, creating the group
// the first time those guards come, and returns the group.
func (b *indexBuilder) addToGroup(i int) int {
	s := b.s
	r := &s.compiled[i]
	key := guardKey(r.guards)
	g, ok := b.groupOf[key]
	if !ok {
		g = len(s.groups)
		b.groupOf[key] = g
		s.groups = append(s.groups, ruleGroup{guards: s.guardIDs(r.guards, b.guardOf)})
		for _, gd := range r.guards {
			if !slices.Contains(s.guardSlots, gd.slot) {
				s.guardSlots = append(s.guardSlots, gd.slot)
			}
		}
	}
	s.groups[g].rules = append(s.groups[g].rules, int32(i))
	s.groupOf = append(s.groupOf, int32(g))
	return g
}

// addClauses records the clauses of rule i (in group g): the literal
// requirements one of which each must meet. A rule without any, or any
// rule of a small set, is evaluated whenever its group applies, unless a
// veto of it (veto.go) was found; a rule of a set too large for a clause
// mark to name (see clauseMark) gets none. Rules with clauses get their
// vetoes later, in addFreeVetoes.
func (b *indexBuilder) addClauses(i, g int) {
	s := b.s
	var rc cnf
	if len(s.compiled) > smallSet && i < maxMarkedRules {
		rc = ruleCNF(s.compiled[i].cond)
	}
	if len(rc) == 0 {
		s.groups[g].unclaused = append(s.groups[g].unclaused, int32(i))
		if len(s.compiled) > smallSet {
			vetoes := ruleVetoes(s.compiled[i].cond)
			if bv := byteVetoes(vetoes); len(bv) > 0 {
				if s.byteVetoes == nil {
					s.byteVetoes = make([][]byteVeto, len(s.compiled))
				}
				s.byteVetoes[i] = bv
			}
			for _, n := range scannedVetoes(vetoes) {
				b.vetoLits[int32(i)] = append(b.vetoLits[int32(i)], b.literal(n.slot, valueLit{n.lit, n.at}))
			}
		}
	}
	for _, cl := range rc {
		clauseID := int32(len(b.clauseLits))
		s.clauses[i] = append(s.clauses[i], clauseID)
		var refs []litRef
		for _, n := range cl {
			if n.slot == keywordSlot {
				// Keyword literals get one automaton per group, so an
				// event scans only those of the rules that apply to it.
				n.slot = keywordSlot - g
			}
			refs = append(refs, b.literal(n.slot, valueLit{n.lit, n.at}))
		}
		b.clauseLits = append(b.clauseLits, refs)
	}
}

// literal returns the reference of lit in slot, numbering it if new.
func (b *indexBuilder) literal(slot int, lit valueLit) litRef {
	sl := b.perSlot[slot]
	if sl == nil {
		sl = &slotLits{ids: map[valueLit]int32{}}
		b.perSlot[slot] = sl
		b.slotOrder = append(b.slotOrder, slot)
	}
	id, ok := sl.ids[lit]
	if !ok {
		id = int32(len(sl.lits))
		sl.ids[lit] = id
		sl.lits = append(sl.lits, lit)
	}
	return litRef{slot, id}
}

// buildScans builds each slot's scan (see newSlotScan).
func (b *indexBuilder) buildScans() {
	s := b.s
	b.scanOf = map[int]int{}
	for _, slot := range b.slotOrder {
		b.scanOf[slot] = len(s.scans)
		s.scans = append(s.scans, *newSlotScan(slot, b.perSlot[slot].lits))
	}
}

// chooseChecks picks, of each rule's clauses, those checked when the
// rule becomes a candidate instead of marked by the scans: clauses whose
// literals other clauses of the set name often (`\powershell.exe`,
// `\cmd.exe`, common in events too), when the rule has a rarer clause to
// be marked, all the rule's literals are fields' (only field scans note
// what they found, in litSeen) and the clause has few literals (a check
// reads each). A literal that hundreds of rules name marked every one of
// them at every event that held it, most for rules whose command-line
// fragment never came; now it marks those that need it alone, and the
// others check it once their rare clause was met (Set.checksPass).
func (b *indexBuilder) chooseChecks() {
	s := b.s
	named := map[litRef]int{}
	for _, refs := range b.clauseLits {
		for _, ref := range refs {
			named[ref]++
		}
	}
	b.checked = make([]uint8, len(s.compiled))
	for r, cls := range s.clauses {
		if len(cls) < 2 || !b.fieldsOnly(cls) {
			continue
		}
		costs := make([]int, len(cls))
		rarest := 0
		for k, c := range cls {
			for _, ref := range b.clauseLits[c] {
				costs[k] += named[ref] - 1 // the other clauses that name it
			}
			if costs[k] < costs[rarest] {
				rarest = k
			}
		}
		for k, c := range cls {
			if costs[k] > costs[rarest] && costs[k] >= minNamedToCheck && len(b.clauseLits[c]) <= maxCheckLits {
				b.checked[r] |= 1 << k
			}
		}
	}
}

// A clause is checked rather than marked when the other clauses of the
// set name its literals at least minNamedToCheck times together, and it
// has at most maxCheckLits of them.
const (
	minNamedToCheck = 8
	maxCheckLits    = 16
)

// fieldsOnly reports whether every literal of the clauses is a field's:
// only field scans note what they found in litSeen.
func (b *indexBuilder) fieldsOnly(cls []int32) bool {
	for _, c := range cls {
		for _, ref := range b.clauseLits[c] {
			if ref.slot <= keywordSlot {
				return false
			}
		}
	}
	return true
}

// linkLiterals lists, for each literal, the marks of the clauses it
// satisfies (clauseMark), in its scan's table; the clauses chooseChecks
// picked get no marks and become their rule's checks instead.
func (b *indexBuilder) linkLiterals() {
	s := b.s
	s.checks = make([][][]int32, len(s.compiled))
	for r, cls := range s.clauses {
		checked := b.checked[r]
		marked := len(cls) - bits.OnesCount8(checked)
		k := 0 // the clause's position among the rule's marked ones
		for i, c := range cls {
			refs := b.clauseLits[c]
			if checked&(1<<i) != 0 {
				s.checks[r] = append(s.checks[r], b.seenIndexes(refs))
				continue
			}
			mark := clauseMark(r, marked, k)
			k++
			for _, ref := range refs {
				sc := &s.scans[b.scanOf[ref.slot]]
				sc.clauses[sc.local[ref.id]] = appendClause(sc.clauses[sc.local[ref.id]], mark)
			}
		}
	}
}

// seenIndexes returns the indexes in a matcher's litSeen of literals.
func (b *indexBuilder) seenIndexes(refs []litRef) []int32 {
	s := b.s
	out := make([]int32, len(refs))
	for k, ref := range refs {
		i := b.scanOf[ref.slot]
		out[k] = s.litBase[i] + s.scans[i].local[ref.id]
	}
	return out
}

// addFreeVetoes gives the rules with clauses the vetoes that cost no
// scan: literals that the fields their group's scans read (groupScans)
// already look for. A candidate such as "selection and not filter" is
// then not evaluated when the value its filter names was found (Image
// ending with the very binary a rename rule lists), while the scans stay
// as they are.
func (b *indexBuilder) addFreeVetoes() {
	s := b.s
	for r, cls := range s.clauses {
		if len(cls) == 0 {
			continue
		}
		scans := s.groups[s.groupOf[r]].scans
		for _, n := range ruleVetoes(s.compiled[r].cond) {
			i, ok := b.scanOf[n.slot]
			if !ok || scans[i/64]&(1<<(i%64)) == 0 {
				continue
			}
			if id, ok := b.perSlot[n.slot].ids[valueLit{n.lit, n.at}]; ok {
				b.vetoLits[int32(r)] = append(b.vetoLits[int32(r)], litRef{n.slot, id})
			}
		}
	}
}

// linkVetoes gives each rule the indexes in a matcher's litSeen of its
// vetoes (veto.go).
func (b *indexBuilder) linkVetoes() {
	s := b.s
	s.vetoes = make([][]int32, len(s.compiled))
	for r := range s.compiled {
		s.vetoes[r] = b.seenIndexes(b.vetoLits[int32(r)])
	}
}

// clauseMark returns the mark of the k-th marked clause of rule r, which
// has marked of them (at most maxClauses; checks are not marked), as
// markClauses reads it: the rule, shifted left by markShift, the bits of
// all those clauses at markAll, and the clause's own bit's position.
func clauseMark(r, marked, k int) int32 {
	return int32(r)<<markShift | int32(1<<marked-1)<<markAll | int32(k)
}

// The layout of a clause mark: 2 bits of clause index, maxClauses bits of
// the rule's clauses, the rule.
const (
	markAll   = 2
	markShift = markAll + maxClauses
	// markAll bits must number maxClauses clauses: a negative constant
	// fails to compile.
	_ uint = 1<<markAll - maxClauses
	// indexBuilder.checked holds a bit per clause of a rule in a uint8.
	_ uint = 8 - maxClauses
	// maxMarkedRules: a mark is an int32, so rules from this index on
	// get no clauses.
	maxMarkedRules = 1 << (31 - markShift)
)

// appendClause appends clause mark c to l unless l ends with it: clauses
// come in order, so a repeat is the last one.
func appendClause(l []int32, c int32) []int32 {
	if len(l) > 0 && l[len(l)-1] == c {
		return l
	}
	return append(l, c)
}

// newSlotScan builds the scan of one slot's distinct literals: an
// automaton over those that may occur anywhere, a lookup over the
// anchored ones, and an empty clause table the caller fills through
// local.
func newSlotScan(slot int, lits []valueLit) *slotScan {
	sc := &slotScan{slot: slot, lits: lits, local: make([]int32, len(lits))}
	if slot <= keywordSlot {
		sc.grams = newGramFilter(lits)
	}
	var anywhereLits []string
	var anchored []valueLit
	for i, l := range lits {
		if l.at == anywhere {
			sc.local[i] = int32(len(anywhereLits))
			anywhereLits = append(anywhereLits, l.lit)
		} else {
			sc.local[i] = int32(len(anchored))
			anchored = append(anchored, l)
		}
	}
	sc.nAc = int32(len(anywhereLits))
	if len(anywhereLits) > 0 {
		sc.ac = buildAutomaton(anywhereLits)
	}
	if len(anchored) > 0 {
		sc.anchored = newAnchoredLits(anchored)
	}
	for i, l := range lits {
		if l.at == anywhere {
			// Literals that read alike are reported as the first.
			sc.local[i] = sc.ac.canon[sc.local[i]]
		} else {
			sc.local[i] += sc.nAc
		}
	}
	sc.clauses = make([][]int32, len(lits))
	return sc
}

// groupScans gives each group the set of scans its rules' literals are
// in, so an event scans only the fields the applying groups need.
func (b *indexBuilder) groupScans() {
	s := b.s
	words := (len(s.scans) + 63) / 64
	for gi := range s.groups {
		g := &s.groups[gi]
		g.scans = make([]uint64, words)
		add := func(refs []litRef) {
			for _, ref := range refs {
				i := b.scanOf[ref.slot]
				g.scans[i/64] |= 1 << (i % 64)
			}
		}
		for _, r := range g.rules {
			add(b.vetoLits[r])
			for _, c := range s.clauses[r] {
				add(b.clauseLits[c])
			}
		}
	}
}

// guardIDs returns the indexes of gs in s.guards, adding new ones.
func (s *Set) guardIDs(gs []guard, guardOf map[string]int32) []int32 {
	var ids []int32
	for _, g := range gs {
		key := guardKey([]guard{g})
		id, ok := guardOf[key]
		if !ok {
			id = int32(len(s.guards))
			guardOf[key] = id
			s.guards = append(s.guards, g)
		}
		ids = append(ids, id)
	}
	return ids
}

// guardKey is the identity of a list of guards: equal keys, equal guards.
func guardKey(gs []guard) string {
	var b []byte
	for _, g := range gs {
		b = fmt.Appendf(b, "%d:%t:", g.slot, g.negate)
		if g.kind != nil {
			b = fmt.Appendf(b, "kind:%q:%q:%q:", g.kind.product, g.kind.category, g.kind.service)
		}
		for _, v := range g.values {
			b = fmt.Appendf(b, "%d:%q,", v.kind, v.lit)
		}
		b = append(b, ';')
	}
	return string(b)
}
