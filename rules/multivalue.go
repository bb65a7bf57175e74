package rules

// Value tests over a multi-valued field (see MultiValued): the field is
// present, so null and exists: false never match it and exists: true
// always does; any other test holds when it holds for some value, and
// |all over several values when each of them holds for some value.

// holdsSeveral reports whether the event's field in slot holds several
// values. It is asked only when Field gave no text; the event is asked
// whether it is MultiValued at most once per event, and only then.
func (m *matcher) holdsSeveral(slot int) bool {
	if !m.mvKnown {
		m.mvKnown = true
		if mv, ok := m.ev.(MultiValued); ok && mv.Several() {
			m.mv = mv
		}
	}
	return m.mv != nil && m.mv.HoldsSeveral(slot)
}

// evalSeveral decides f on the field's several values.
func (f *fieldMatcher) evalSeveral(m *matcher) bool {
	if f.exists {
		return !f.matchAbsent
	}
	if f.test == nil {
		return false
	}
	if _, present := f.test.(existsTest); present { // neq: null, on a field that is there
		return true
	}
	parts, ok := f.test.(allOfValues)
	if !ok || parts.parts() < 2 {
		m.elemVisit = keywordVisit{test: f.test, m: m}
		return m.mv.EachValue(f.slot, &m.elemVisit)
	}
	for i := 0; i < parts.parts(); i++ {
		m.part = partTest{t: parts, i: i}
		m.elemVisit = keywordVisit{test: &m.part, m: m}
		if !m.mv.EachValue(f.slot, &m.elemVisit) {
			return false
		}
	}
	return true
}

// allOfValues is implemented by the tests that, with |all, require every
// one of several values to match: parts is that number (0 without |all).
type allOfValues interface {
	valueTest
	parts() int
	testPart(i int, v []byte, m *matcher) bool
}

// partTest is one value of an allOfValues test; the matcher holds it, so
// handing it over as a valueTest allocates nothing.
type partTest struct {
	t allOfValues
	i int
}

func (p *partTest) test(v []byte, m *matcher) bool { return p.t.testPart(p.i, v, m) }

func (t *patternTest) parts() int {
	if !t.all {
		return 0
	}
	return len(t.patterns)
}

func (t *patternTest) testPart(i int, v []byte, m *matcher) bool {
	done := false
	return t.patterns[i].matchValue(v, &m.folded, &done)
}

func (t *regexTest) parts() int {
	if !t.all {
		return 0
	}
	return len(t.res)
}

func (t *regexTest) testPart(i int, v []byte, m *matcher) bool {
	done := false
	return t.match(i, v, m, &done)
}

func (t *variantGroupsTest) parts() int { return len(t.groups) }

func (t *variantGroupsTest) testPart(i int, v []byte, m *matcher) bool {
	return t.groups[i].test(v, m)
}
