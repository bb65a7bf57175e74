package rules

import "sync"

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
	groups      []ruleGroup
	scans       []slotScan
	litRules    [][]int32 // literal id -> rules requiring it
	prefiltered []bool    // per rule: it has a requirement
}

type ruleGroup struct {
	guards []guard
	rules  []int32
}

type slotScan struct {
	slot    int
	ac      *acAutomaton
	litBase int32 // the automaton's literal i is litRules[litBase+i]
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
	st := Stats{Groups: len(s.groups), Literals: len(s.litRules)}
	for _, p := range s.prefiltered {
		if p {
			st.Prefiltered++
		}
	}
	for _, sc := range s.scans {
		st.IndexBytes += sc.ac.bytes()
	}
	return st
}

// index builds the groups and automata once all rules are compiled.
func (s *Set) index() {
	groupOf := map[string]int{}
	s.prefiltered = make([]bool, len(s.compiled))
	type slotLits struct {
		ids  map[string]int32
		lits []string
	}
	perSlot := map[int]*slotLits{}
	var slotOrder []int
	var litRules [][]int32
	for i := range s.compiled {
		r := &s.compiled[i]
		key := guardKey(r.guards)
		g, ok := groupOf[key]
		if !ok {
			g = len(s.groups)
			groupOf[key] = g
			s.groups = append(s.groups, ruleGroup{guards: r.guards})
		}
		s.groups[g].rules = append(s.groups[g].rules, int32(i))

		req := requirementOf(r.cond)
		if req == nil {
			continue
		}
		s.prefiltered[i] = true
		for _, n := range req {
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
				litRules = append(litRules, nil)
			}
			_ = id
		}
	}
	// Assign global literal ids slot by slot, then the rules of each.
	base := map[int]int32{}
	s.litRules = nil
	for _, slot := range slotOrder {
		sl := perSlot[slot]
		base[slot] = int32(len(s.litRules))
		s.litRules = append(s.litRules, make([][]int32, len(sl.lits))...)
		s.scans = append(s.scans, slotScan{slot: slot, ac: buildAutomaton(sl.lits), litBase: base[slot]})
	}
	for i := range s.compiled {
		if !s.prefiltered[i] {
			continue
		}
		for _, n := range requirementOf(s.compiled[i].cond) {
			id := base[n.slot] + perSlot[n.slot].ids[n.lit]
			if l := s.litRules[id]; len(l) == 0 || l[len(l)-1] != int32(i) {
				s.litRules[id] = append(l, int32(i))
			}
		}
	}
	_ = litRules
}

func guardKey(gs []guard) string {
	var b []byte
	for _, g := range gs {
		b = append(b, byte(g.slot), byte(g.slot>>8), byte(g.slot>>16), ':')
		for _, v := range g.values {
			b = append(b, v.lit...)
			b = append(b, 0)
		}
		b = append(b, ';')
	}
	return string(b)
}

// matcher is the per-call scratch of Match: the event, a buffer for
// case-folded values, and the prefilter's marks. Pooled so Match allocates
// nothing once warm.
type matcher struct {
	ev     Event
	folded []byte
	hits   []int32
	mark   []uint32 // per rule: == epoch when a required literal occurred
	epoch  uint32
	visit  keywordVisit
	scan   keywordScan
}

var matcherPool = sync.Pool{New: func() any { return &matcher{folded: make([]byte, 0, 512)} }}

// Match appends to dst the indexes (into Rules) of the rules that ev
// matches, in rule order, and returns the extended slice.
func (s *Set) Match(ev Event, dst []int) []int {
	m := matcherPool.Get().(*matcher)
	m.ev = ev
	if len(m.mark) < len(s.compiled) {
		m.mark = make([]uint32, len(s.compiled))
		m.epoch = 0
	}
	m.epoch++
	if m.epoch == 0 { // wrapped: old marks could collide
		clear(m.mark)
		m.epoch = 1
	}
	for i := range s.scans {
		sc := &s.scans[i]
		if sc.slot == keywordSlot {
			m.scan = keywordScan{set: s, sc: sc, m: m}
			ev.EachString(&m.scan)
			continue
		}
		v, ok := ev.Field(sc.slot)
		if !ok {
			continue
		}
		s.scanValue(sc, v, m)
	}
	start := len(dst)
	for gi := range s.groups {
		g := &s.groups[gi]
		if !guardsPass(g.guards, m) {
			continue
		}
		for _, r := range g.rules {
			if s.prefiltered[r] && m.mark[r] != m.epoch {
				continue
			}
			if s.compiled[r].cond.eval(m) {
				dst = append(dst, int(r))
			}
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
	m.folded = foldAppend(m.folded[:0], v)
	m.hits = sc.ac.scan(m.folded, m.hits[:0])
	for _, id := range m.hits {
		for _, r := range s.litRules[sc.litBase+id] {
			m.mark[r] = m.epoch
		}
	}
}

// keywordScan runs the keyword automaton over every string of the event.
type keywordScan struct {
	set *Set
	sc  *slotScan
	m   *matcher
}

func (k *keywordScan) Visit(v []byte) bool {
	k.set.scanValue(k.sc, v, k.m)
	return false
}

func guardsPass(gs []guard, m *matcher) bool {
	for i := range gs {
		if !gs[i].pass(m) {
			return false
		}
	}
	return true
}
