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
// A pattern the scan's finding decides (see decisive) is decided the
// other way too: the scan found its literal, so it matches.
//
// Only a value the scan read is decided so: a field with one value,
// evaluated by fieldMatcher.eval (m.direct names its slot, which must be
// the one the patterns were linked for), in an event whose scan of that
// field ran (m.scanned). Everything else is decided as before.

// linkPatterns gives the patterns of every rule's fields the literals the
// field's scan reports for them. It runs while the scans still know
// their literals (see index).
func (b *indexBuilder) linkPatterns() {
	s := b.s
	s.litBase = make([]int32, len(s.scans))
	for i := range s.scans {
		sc := &s.scans[i]
		s.litBase[i] = int32(s.litTotal)
		if sc.slot > keywordSlot {
			// The automaton's literals, then the anchored ones (which
			// vetoes and checks read, see veto.go and checksPass).
			s.litTotal += len(sc.clauses)
		}
	}
	for i := range s.compiled {
		forEachField(s.compiled[i].cond, func(f *fieldMatcher) {
			t, ok := f.test.(*patternTest)
			if !ok || f.slot < 0 || t.lits != nil {
				return // a keyword, another test, or met before (shared): as before
			}
			i, ok := b.scanOf[f.slot]
			if !ok {
				return
			}
			t.lits, t.whole = b.patternLiterals(i, t.patterns)
			t.slot, t.scan = f.slot, i
		})
	}
}

// patternLiterals returns, per pattern, the index in the matcher's
// litSeen of its required literal as field scan i reports it, or -1, and
// which patterns the literal decides whole (see decisive); nil when no
// pattern has one.
func (b *indexBuilder) patternLiterals(i int, patterns []pattern) ([]int32, []bool) {
	sc := &b.s.scans[i]
	lits := make([]int32, len(patterns))
	whole := make([]bool, len(patterns))
	linked := false
	ids := b.perSlot[sc.slot].ids
	base := b.s.litBase[i]
	for k := range patterns {
		lits[k] = -1
		l := patterns[k].requiredLiteral()
		if l.lit == "" {
			continue
		}
		if id, ok := ids[l]; ok {
			lits[k] = base + sc.local[id]
			whole[k] = patterns[k].decisive(l)
			linked = true
		}
	}
	if !linked {
		return nil, nil // nothing to rule out: test as before, without the checks
	}
	return lits, whole
}

// decisive reports whether finding the required literal l in a value
// decides that p matches it: p is a contains, endswith, startswith or
// exact pattern of that literal, anchored alike (see decisiveNeed: whole,
// ASCII, not cased). The scan reports ASCII literals exactly; bytes >=
// 0x80 it reads alike.
func (p *pattern) decisive(l valueLit) bool {
	n, ok := p.decisiveNeed(0)
	return ok && n.at == l.at && n.lit == l.lit
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

// decided reports what the scan of this event tells of pattern i of t on
// the value being tested: not there (hit false), there and so matching
// (hit true, for a decisive pattern), or nothing (ok false).
func (t *patternTest) decided(i int, m *matcher) (hit, ok bool) {
	if t.lits == nil || m.direct != t.slot+1 || t.scan >= len(m.scanned) || m.scanned[t.scan] != m.epoch {
		return false, false
	}
	l := t.lits[i]
	if l < 0 || int(l) >= len(m.litSeen) {
		return false, false
	}
	if m.litSeen[l] != m.epoch {
		return false, true
	}
	return true, t.whole[i]
}

// matchValue decides pattern i of t on v: by the scan when it can, else
// by comparing.
func (t *patternTest) matchValue(i int, v []byte, m *matcher, done *bool) bool {
	if hit, ok := t.decided(i, m); ok {
		return hit
	}
	return t.patterns[i].matchValue(v, &m.folded, done)
}
