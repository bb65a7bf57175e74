package rules

// This file holds the group decisions: which rule groups apply to an
// event, and which scans they need, decided from the values the logsource
// guards read (EventID, Channel, Provider_Name, the record's logsource).
// A stream interleaves a few dozen kinds of event at most, so the Set
// keeps the decision of every combination of guard values met, not only
// the last one: a mixed stream decides each kind once, in any matcher.

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// groupDecision is what applies to events with one combination of guard
// values.
type groupDecision struct {
	groups     []uint64 // bitset over Set.groups: the guards pass
	unclaused  []int32  // the applying groups that have rules without clauses
	fieldScans []int32  // indexes into Set.scans: the field scans to run
	// kwScans: the keyword scans, merged into one when several apply.
	kwScans []*slotScan
}

// decisions is the Set's cache of decisions by guard key (see guardKey):
// an immutable map, replaced by a copy with one more decision each time a
// new combination comes, so that matchers read it without locking.
type decisions struct {
	byKey atomic.Pointer[map[string]*groupDecision]
	mu    sync.Mutex // serializes the replacements
}

// maxDecisions bounds the decisions a Set keeps (a stream interleaves a
// few dozen kinds of event): once full, a new combination of guard values
// is decided for each event that has it, as it was before the cache, and
// not kept. Adding copies the map, so the cap also bounds that work.
const maxDecisions = 256

// maxDecisionKey bounds the guard text a kept decision's key may hold:
// real event IDs, channels and providers are short, and a stream of long
// made-up ones must not fill memory with them.
const maxDecisionKey = 512

// applyGroups decides which groups apply to the event and what they need
// scanned (m.dec), reusing the decision of an earlier event with the same
// guard values.
func (s *Set) applyGroups(m *matcher) {
	s.loadGuardValues(m)
	m.decKey = m.guardKey(m.decKey[:0])
	if m.decSet == s && string(m.decKey) == string(m.decLast) {
		return
	}
	m.decSet = s
	m.decLast = append(m.decLast[:0], m.decKey...)
	if len(m.decKey) > maxDecisionKey {
		m.dec = s.decide(m)
		return
	}
	if p := s.decisions.byKey.Load(); p != nil {
		if d, ok := (*p)[string(m.decKey)]; ok {
			m.dec = d
			return
		}
	}
	m.dec = s.decide(m)
	s.decisions.add(string(m.decKey), m.dec)
}

// add stores d as the decision of key.
func (c *decisions) add(key string, d *groupDecision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string]*groupDecision{}
	if p := c.byKey.Load(); p != nil {
		if len(*p) >= maxDecisions {
			return
		}
		for k, v := range *p {
			next[k] = v
		}
	}
	next[key] = d
	c.byKey.Store(&next)
}

// decision returns the current event's decision.
func (m *matcher) decision() *groupDecision { return m.dec }

// groupApplies reports whether group g applies to the current event.
func (m *matcher) groupApplies(g int32) bool {
	return m.decision().groups[g/64]&(1<<(g%64)) != 0
}

// guardKey appends the identity of the event's guard values: per guard
// field, absent, or present with its length and folded text.
func (m *matcher) guardKey(key []byte) []byte {
	for i := range m.guardSlot {
		if !m.guardHas[i] {
			key = append(key, 0)
			continue
		}
		n := len(m.guardText[i])
		key = append(key, 1, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		key = append(key, m.guardText[i]...)
	}
	return key
}

// decide evaluates the guards of every group for the current event.
func (s *Set) decide(m *matcher) *groupDecision {
	if cap(m.guardState) < len(s.guards) {
		m.guardState = make([]uint8, len(s.guards))
	}
	m.guardState = m.guardState[:len(s.guards)]
	clear(m.guardState)
	d := &groupDecision{groups: make([]uint64, (len(s.groups)+63)/64)}
	scanSet := make([]uint64, (len(s.scans)+63)/64)
	for gi := range s.groups {
		g := &s.groups[gi]
		if !s.guardsPass(g.guards, m) {
			continue
		}
		d.groups[gi/64] |= 1 << (gi % 64)
		if len(g.unclaused) > 0 {
			d.unclaused = append(d.unclaused, int32(gi))
		}
		for w := range g.scans {
			scanSet[w] |= g.scans[w]
		}
	}
	var kw []int32
	for i := range s.scans {
		switch {
		case scanSet[i/64]&(1<<(i%64)) == 0:
		case s.scans[i].slot <= keywordSlot:
			kw = append(kw, int32(i))
		default:
			d.fieldScans = append(d.fieldScans, int32(i))
		}
	}
	d.kwScans = s.keywordScans(kw)
	return d
}

// maxMerged bounds the merged keyword scans a Set keeps; combinations
// beyond are scanned one by one.
const maxMerged = 256

// keywordScans returns the scans of the keyword scan indexes ids: one
// merged scan for several, so each string of an event is walked once, not
// once per group with keywords. Merged scans are built when first needed
// and shared by all matchers.
func (s *Set) keywordScans(ids []int32) []*slotScan {
	if len(ids) == 1 || len(ids) > 1 && s.kwMergedCount.Load() >= maxMerged {
		var scans []*slotScan
		for _, i := range ids {
			scans = append(scans, &s.scans[i])
		}
		return scans
	}
	if len(ids) == 0 {
		return nil
	}
	key := fmt.Sprint(ids)
	if v, ok := s.kwMerged.Load(key); ok {
		return []*slotScan{v.(*slotScan)}
	}
	v, loaded := s.kwMerged.LoadOrStore(key, s.mergeScans(ids))
	if !loaded {
		s.kwMergedCount.Add(1)
	}
	return []*slotScan{v.(*slotScan)}
}

// mergeScans builds one scan over the literals of the scans ids, each
// literal satisfying the clauses it does in any of them.
func (s *Set) mergeScans(ids []int32) *slotScan {
	index := map[valueLit]int{}
	var lits []valueLit
	var clauses [][]int32
	for _, i := range ids {
		sc := &s.scans[i]
		for k, l := range sc.lits {
			j, ok := index[l]
			if !ok {
				j = len(lits)
				index[l] = j
				lits = append(lits, l)
				clauses = append(clauses, nil)
			}
			clauses[j] = append(clauses[j], sc.clauses[sc.local[k]]...)
		}
	}
	m := newSlotScan(keywordSlot, lits)
	for j := range lits {
		m.clauses[m.local[j]] = append(m.clauses[m.local[j]], clauses[j]...)
	}
	for i, cl := range m.clauses {
		slices.Sort(cl)
		m.clauses[i] = slices.Compact(cl)
	}
	m.lits, m.local = nil, nil
	return m
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
