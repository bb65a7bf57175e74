package rules

// What the prefilter's field scans found, reused by the evaluation. A scan
// of a field reports every literal some rule requires of it that occurs
// in the value; a wildcard pattern whose own required literal (see
// requiredLiteral) is one of those cannot match a value in which the scan
// did not find it. The evaluation of a candidate rule then skips the
// byte search (and the folding of the value) for the values of its lists
// that the scan already ruled out: a rule listing ten command-line
// fragments, of which the value holds one, searches for one.
//
// Only a value the scan read is decided so: a field with one value,
// evaluated by fieldMatcher.eval (m.direct names its slot, which must be
// the one the patterns were linked for), in an event whose scan of that
// field ran (m.scanned). Everything else is decided as before.

// linkPatterns gives the patterns of every rule's fields the literals the
// field's scan reports for them. It runs while the scans still know
// their literals (before linkLiterals).
func (b *indexBuilder) linkPatterns() {
	s := b.s
	scanOf := map[int]int{}
	s.litBase = make([]int32, len(s.scans))
	for i := range s.scans {
		sc := &s.scans[i]
		scanOf[sc.slot] = i
		s.litBase[i] = int32(s.litTotal)
		if sc.slot > keywordSlot {
			s.litTotal += int(sc.nAc)
		}
	}
	for i := range s.compiled {
		forEachField(s.compiled[i].cond, func(f *fieldMatcher) {
			t, ok := f.test.(*patternTest)
			if !ok || f.slot < 0 || t.lits != nil {
				return // a keyword, another test, or met before (shared): as before
			}
			i, ok := scanOf[f.slot]
			if !ok || s.scans[i].ac == nil {
				return
			}
			t.slot, t.scan, t.lits = f.slot, i, b.patternLiterals(i, t.patterns)
		})
	}
}

// patternLiterals returns, per pattern, the index in the matcher's
// litSeen of its required literal as field scan i reports it, or -1; nil
// when no pattern has one.
func (b *indexBuilder) patternLiterals(i int, patterns []pattern) []int32 {
	sc := &b.s.scans[i]
	lits := make([]int32, len(patterns))
	linked := false
	ids := b.perSlot[sc.slot].ids
	base := b.s.litBase[i]
	for k := range patterns {
		lits[k] = -1
		l := patterns[k].requiredLiteral()
		if l.at != anywhere || l.lit == "" {
			continue
		}
		if id, ok := ids[l]; ok {
			lits[k] = base + sc.local[id]
			linked = true
		}
	}
	if !linked {
		return nil // nothing to rule out: test as before, without the checks
	}
	return lits
}

// forEachField calls fn with every field matcher of a condition.
func forEachField(n node, fn func(*fieldMatcher)) {
	switch n := n.(type) {
	case andNode:
		for _, c := range n {
			forEachField(c, fn)
		}
	case orNode:
		for _, c := range n {
			forEachField(c, fn)
		}
	case notNode:
		forEachField(n.n, fn)
	case *searchNode:
		for _, all := range n.alternatives {
			for i := range all {
				fn(&all[i])
			}
		}
	case *fieldMatcher:
		fn(n)
	}
}

// noteLiterals records the literals the automaton of field scan i found
// in the value it just read (m.hits).
func (m *matcher) noteLiterals(s *Set, i int) {
	m.scanned[i] = m.epoch
	base := s.litBase[i]
	for _, id := range m.hits {
		m.litSeen[base+id] = m.epoch
	}
}

// ruledOut reports whether the scan of this event showed that pattern i
// of t cannot match the value being tested.
func (t *patternTest) ruledOut(i int, m *matcher) bool {
	if t.lits == nil || m.direct != t.slot+1 || t.scan >= len(m.scanned) || m.scanned[t.scan] != m.epoch {
		return false
	}
	l := t.lits[i]
	return l >= 0 && int(l) < len(m.litSeen) && m.litSeen[l] != m.epoch
}
