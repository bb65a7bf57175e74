package rules

import (
	"fmt"
	"slices"
	"sync"
)

// Rule is what a match reports about the rule that matched.
type Rule struct {
	ID          string
	Title       string
	Status      string
	Level       Level
	Description string
	Author      string
	Tags        []string // in the rule's order
	References  []string
	File        string // where the rule was loaded from
	// LogsourceMapped is false when the rule's logsource could not be
	// turned into guards, so it is evaluated on its fields alone.
	LogsourceMapped bool
}

// Set is a compiled rule set. It is immutable and safe for concurrent use.
type Set struct {
	rules    []Rule
	compiled []compiledRule
	fields   []string

	// The index (see prefilter.go): rules grouped by logsource guards, and
	// per field an automaton over the literals rules require.
	groups     []ruleGroup
	guards     []guard // distinct guards; groups share them
	guardSlots []int   // the fields guards read
	scans      []slotScan
	litClauses [][]int32 // literal id -> clauses it satisfies
	clauses    [][]int32 // per rule: clauses that must all be satisfied
	owner      []int32   // per clause: its rule
	groupOf    []int32   // per rule: its group
}

type ruleGroup struct {
	guards    []int32 // indexes into Set.guards
	rules     []int32
	unclaused []int32  // its rules without clauses: evaluated whenever the group applies
	scans     []uint64 // bitset over Set.scans: the fields its rules' literals are in
}

type slotScan struct {
	slot    int
	ac      *acAutomaton
	litBase int32 // the automaton's literal i is litClauses[litBase+i]
}

// Rules returns the rules of the set; Match reports indexes into it. The
// caller must not modify the slice.
func (s *Set) Rules() []Rule { return s.rules }

// Len returns the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Fields returns the field names the set reads; slot i of Event.Field is
// Fields()[i]. The caller must not modify the slice.
func (s *Set) Fields() []string { return s.fields }

// Stats describes the index, for load-time reporting.
type Stats struct {
	Groups      int // distinct logsource guards
	Prefiltered int // rules with a literal requirement
	Literals    int // distinct (field, literal) pairs
	IndexBytes  int // memory of the automata
}

// Stats returns figures about the index.
func (s *Set) Stats() Stats {
	st := Stats{Groups: len(s.groups), Literals: len(s.litClauses)}
	for _, c := range s.clauses {
		if len(c) > 0 {
			st.Prefiltered++
		}
	}
	for _, sc := range s.scans {
		st.IndexBytes += sc.ac.bytes()
	}
	return st
}

// smallSet is the size up to which a set has no prefilter: evaluating a
// few rules directly costs less than scanning every field they read.
const smallSet = 16

// index builds the groups and automata once all rules are compiled.
func (s *Set) index() {
	groupOf := map[string]int{}
	guardOf := map[string]int32{}
	s.clauses = make([][]int32, len(s.compiled))
	type slotLits struct {
		ids  map[string]int32
		lits []string
	}
	perSlot := map[int]*slotLits{}
	var slotOrder []int
	type litRef struct {
		slot int
		id   int32
	}
	var clauseLits [][]litRef // clause id -> its literals
	for i := range s.compiled {
		r := &s.compiled[i]
		key := guardKey(r.guards)
		g, ok := groupOf[key]
		if !ok {
			g = len(s.groups)
			groupOf[key] = g
			s.groups = append(s.groups, ruleGroup{guards: s.guardIDs(r.guards, guardOf)})
			for _, gd := range r.guards {
				if !slices.Contains(s.guardSlots, gd.slot) {
					s.guardSlots = append(s.guardSlots, gd.slot)
				}
			}
		}
		s.groups[g].rules = append(s.groups[g].rules, int32(i))
		s.groupOf = append(s.groupOf, int32(g))

		var rc cnf
		if len(s.compiled) > smallSet {
			rc = ruleCNF(r.cond)
		}
		if len(rc) == 0 {
			s.groups[g].unclaused = append(s.groups[g].unclaused, int32(i))
		}
		for _, cl := range rc {
			clauseID := int32(len(clauseLits))
			s.clauses[i] = append(s.clauses[i], clauseID)
			s.owner = append(s.owner, int32(i))
			var refs []litRef
			for _, n := range cl {
				if n.slot == keywordSlot {
					// Keyword literals get one automaton per group, so an
					// event scans only those of the rules that apply to it.
					n.slot = keywordSlot - g
				}
				sl := perSlot[n.slot]
				if sl == nil {
					sl = &slotLits{ids: map[string]int32{}}
					perSlot[n.slot] = sl
					slotOrder = append(slotOrder, n.slot)
				}
				id, ok := sl.ids[n.lit]
				if !ok {
					id = int32(len(sl.lits))
					sl.ids[n.lit] = id
					sl.lits = append(sl.lits, n.lit)
				}
				refs = append(refs, litRef{n.slot, id})
			}
			clauseLits = append(clauseLits, refs)
		}
	}
	// Global literal ids, slot by slot; each literal lists its clauses.
	base := map[int]int32{}
	for _, slot := range slotOrder {
		sl := perSlot[slot]
		base[slot] = int32(len(s.litClauses))
		s.litClauses = append(s.litClauses, make([][]int32, len(sl.lits))...)
		s.scans = append(s.scans, slotScan{slot: slot, ac: buildAutomaton(sl.lits), litBase: base[slot]})
	}
	canon := map[int]*acAutomaton{}
	for _, sc := range s.scans {
		canon[sc.slot] = sc.ac
	}
	for c, refs := range clauseLits {
		for _, ref := range refs {
			id := base[ref.slot] + canon[ref.slot].canon[ref.id]
			if l := s.litClauses[id]; len(l) == 0 || l[len(l)-1] != int32(c) {
				s.litClauses[id] = append(l, int32(c))
			}
		}
	}
	// Each group scans only the fields its rules need.
	scanOf := map[int]int{}
	for i, sc := range s.scans {
		scanOf[sc.slot] = i
	}
	words := (len(s.scans) + 63) / 64
	for gi := range s.groups {
		g := &s.groups[gi]
		g.scans = make([]uint64, words)
		for _, r := range g.rules {
			for _, c := range s.clauses[r] {
				for _, ref := range clauseLits[c] {
					i := scanOf[ref.slot]
					g.scans[i/64] |= 1 << (i % 64)
				}
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

func guardKey(gs []guard) string {
	var b []byte
	for _, g := range gs {
		b = fmt.Appendf(b, "%d:%t:", g.slot, g.negate)
		for _, v := range g.values {
			b = fmt.Appendf(b, "%d:%q,", v.kind, v.lit)
		}
		b = append(b, ';')
	}
	return string(b)
}

// matcher is the per-call scratch of Match: the event, a buffer for
// case-folded values, and the prefilter's marks. Pooled so Match allocates
// nothing once warm.
type matcher struct {
	ev         Event
	folded     []byte
	hits       []int32
	mark       []uint32 // per clause: == epoch when one of its literals occurred
	epoch      uint32
	visit      keywordVisit
	scan       keywordScan
	groups     []bool      // per group: its guards pass
	guardState []uint8     // per distinct guard: 0 not evaluated, 1 pass, 2 fail
	scanSet    []uint64    // bitset over Set.scans to run
	marked     []int32     // clauses marked this event
	ruleSeen   []uint32    // per rule: == epoch once considered
	kwScans    []*slotScan // keyword automata to run on this event
	refA       []byte      // fieldref scratch
	refB       []byte
	// The folded values of the few fields guards read, fetched once per
	// event: guardSlot (the set's guardSlots) [i] holds guardText[i]
	// (guardHas[i] false: absent).
	guardSlot []int
	guardText [][]byte
	guardHas  []bool
	// The guard values of the event whose group decision m.groups and
	// m.scanSet hold, for the set keySet.
	prevText [][]byte
	prevHas  []bool
	keySet   *Set
}

var matcherPool = sync.Pool{New: func() any { return &matcher{folded: make([]byte, 0, 512)} }}

// Match appends to dst the indexes (into Rules) of the rules that ev
// matches, in rule order, and returns the extended slice.
func (s *Set) Match(ev Event, dst []int) []int {
	m := matcherPool.Get().(*matcher)
	m.ev = ev
	if len(m.mark) < len(s.owner) || len(m.ruleSeen) < len(s.compiled) {
		m.mark = make([]uint32, len(s.owner))
		m.ruleSeen = make([]uint32, len(s.compiled))
		m.epoch = 0
	}
	m.epoch++
	if m.epoch == 0 { // wrapped: old marks could collide
		clear(m.mark)
		clear(m.ruleSeen)
		m.epoch = 1
	}
	m.marked = m.marked[:0]
	s.applyGroups(m)
	// Field scans run at once; keyword scans share one walk over the
	// event's strings.
	m.kwScans = m.kwScans[:0]
	for i := range s.scans {
		if m.scanSet[i/64]&(1<<(i%64)) == 0 {
			continue
		}
		sc := &s.scans[i]
		if sc.slot <= keywordSlot {
			m.kwScans = append(m.kwScans, sc)
			continue
		}
		if v, ok := ev.Field(sc.slot); ok {
			s.scanValue(sc, v, m)
		}
	}
	if len(m.kwScans) > 0 {
		m.scan = keywordScan{set: s, m: m}
		ev.EachString(&m.scan)
	}
	// Candidates: rules of applying groups that have no clauses, and rules
	// one of whose clauses was marked; each is evaluated once, when all
	// its clauses are marked.
	start := len(dst)
	for gi := range s.groups {
		if !m.groups[gi] {
			continue
		}
		for _, r := range s.groups[gi].unclaused {
			if s.compiled[r].cond.eval(m) {
				dst = append(dst, int(r))
			}
		}
	}
candidates:
	for _, c := range m.marked {
		r := s.owner[c]
		if m.ruleSeen[r] == m.epoch || !m.groups[s.groupOf[r]] {
			continue
		}
		m.ruleSeen[r] = m.epoch
		for _, rc := range s.clauses[r] {
			if m.mark[rc] != m.epoch {
				continue candidates
			}
		}
		if s.compiled[r].cond.eval(m) {
			dst = append(dst, int(r))
		}
	}
	// Groups interleave rules; report them in rule order.
	found := dst[start:]
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && found[j] < found[j-1]; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	m.ev = nil
	matcherPool.Put(m)
	return dst
}

// scanValue marks the rules whose required literals occur in v.
func (s *Set) scanValue(sc *slotScan, v []byte, m *matcher) {
	m.hits = sc.ac.scan(v, m.hits[:0], &m.folded)
	for _, id := range m.hits {
		for _, c := range s.litClauses[sc.litBase+id] {
			if m.mark[c] != m.epoch {
				m.mark[c] = m.epoch
				m.marked = append(m.marked, c)
			}
		}
	}
}

// keywordScan runs the keyword automata that apply over every string of
// the event.
type keywordScan struct {
	set *Set
	m   *matcher
}

func (k *keywordScan) Visit(v []byte) bool {
	for _, sc := range k.m.kwScans {
		k.set.scanValue(sc, v, k.m)
	}
	return false
}

// applyGroups decides which groups apply to the event (m.groups) and which
// fields they need scanned (m.scanSet). Events of a stream mostly repeat a
// few kinds, so the decision is cached against the values the guards read:
// an event with the same ones reuses it.
func (s *Set) applyGroups(m *matcher) {
	s.loadGuardValues(m)
	if m.keySet == s && m.sameGuardValues() {
		return
	}
	m.keySet = s
	m.prevHas = append(m.prevHas[:0], m.guardHas[:len(s.guardSlots)]...)
	for len(m.prevText) < len(s.guardSlots) {
		m.prevText = append(m.prevText, nil)
	}
	for i := range s.guardSlots {
		m.prevText[i] = append(m.prevText[i][:0], m.guardText[i]...)
	}

	if cap(m.guardState) < len(s.guards) {
		m.guardState = make([]uint8, len(s.guards))
	}
	m.guardState = m.guardState[:len(s.guards)]
	clear(m.guardState)
	if cap(m.groups) < len(s.groups) {
		m.groups = make([]bool, len(s.groups))
	}
	m.groups = m.groups[:len(s.groups)]
	words := (len(s.scans) + 63) / 64
	if cap(m.scanSet) < words {
		m.scanSet = make([]uint64, words)
	}
	m.scanSet = m.scanSet[:words]
	clear(m.scanSet)
	for gi := range s.groups {
		g := &s.groups[gi]
		m.groups[gi] = s.guardsPass(g.guards, m)
		if m.groups[gi] {
			for w := range g.scans {
				m.scanSet[w] |= g.scans[w]
			}
		}
	}
}

// sameGuardValues reports whether the event's guard values equal those
// the cached group decision was made for.
func (m *matcher) sameGuardValues() bool {
	for i := range m.guardSlot {
		if m.guardHas[i] != m.prevHas[i] || string(m.guardText[i]) != string(m.prevText[i]) {
			return false
		}
	}
	return true
}

// loadGuardValues fetches and folds, once per event, the fields guards
// read: m.guardText[i] and m.guardHas[i] for s.guardSlots[i].
func (s *Set) loadGuardValues(m *matcher) {
	m.guardSlot = s.guardSlots
	for len(m.guardText) < len(s.guardSlots) {
		m.guardText = append(m.guardText, nil)
		m.guardHas = append(m.guardHas, false)
	}
	for i, slot := range s.guardSlots {
		v, ok := m.ev.Field(slot)
		m.guardText[i] = foldAppend(m.guardText[i][:0], v)
		m.guardHas[i] = ok
	}
}

// guardValue returns the folded value of slot, loaded by loadGuardValues.
func (m *matcher) guardValue(slot int) ([]byte, bool) {
	for i, s := range m.guardSlot {
		if s == slot {
			return m.guardText[i], m.guardHas[i]
		}
	}
	return nil, false
}

// guardsPass reports whether all the guards pass, evaluating each distinct
// guard at most once per event (m.guardState: 0 unknown, 1 pass, 2 fail).
func (s *Set) guardsPass(ids []int32, m *matcher) bool {
	for _, id := range ids {
		switch m.guardState[id] {
		case 0:
			if s.guards[id].pass(m) {
				m.guardState[id] = 1
			} else {
				m.guardState[id] = 2
				return false
			}
		case 2:
			return false
		}
	}
	return true
}
