package rules

// This file holds the match cache: which rule groups apply to an event, and
// which fields to scan for them, decided from the values the logsource
// guards read and reused while consecutive events repeat those values.

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
