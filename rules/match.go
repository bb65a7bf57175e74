package rules

// This file holds Match and its per-call scratch: the prefilter scans that
// mark candidate rules and the evaluation of the candidates.

import (
	"bytes"
	"sync"
)

// matcher is the per-call scratch of Match: the event, a buffer for
// case-folded values, and the prefilter's marks. Pooled so Match allocates
// nothing once warm.
type matcher struct {
	ev         Event
	mv         MultiValued // ev, when some field of it holds several values
	mvKnown    bool        // mv is set for this event (see holdsSeveral)
	elemVisit  keywordVisit
	part       partTest
	scanVisit  scanVisit
	folded     []byte
	valueFold  []byte // a scanned value, folded (readable)
	hits       []int32
	epoch      uint32
	visit      keywordVisit
	scan       keywordScan
	guardState []uint8     // per distinct guard: 0 not evaluated, 1 pass, 2 fail
	ruleMarks  []ruleMarks // per rule: its clauses marked this event
	complete   []int32     // the rules whose marked clauses all are, this event
	// scannedSeveral: a field scan read a field of several values this
	// event (see checksPass).
	scannedSeveral bool
	kwScans        []*slotScan // keyword automata to run on this event
	refA           []byte      // fieldref scratch
	refB           []byte
	// What the field scans found this event (seenlits.go, vetoed and
	// checksPass): per literal and per scan, == epoch when found, when
	// run; direct: 1 + the slot whose value, as its scan read it, is being
	// tested (0: none).
	litSeen []uint32
	scanned []uint32
	direct  int
	// The folded values of the few fields guards read, fetched once per
	// event: guardSlot (the set's guardSlots) [i] holds guardText[i]
	// (guardHas[i] false: absent).
	guardSlot []int
	guardText [][]byte
	guardHas  []bool
	// The decision of the current event (see matchcache.go), for the
	// set decSet and the guard key decLast; decKey is scratch.
	dec     *groupDecision
	decSet  *Set
	decKey  []byte
	decLast []byte
}

// ruleMarks holds a rule's marked clauses: have has the bit of each
// clause marked this event when seen is the epoch. Both in one 8-byte
// record, so marking a clause (markClauses) reads one place.
type ruleMarks struct {
	seen uint32
	have int32
}

var matcherPool = sync.Pool{New: func() any { return &matcher{folded: make([]byte, 0, 512)} }}

// Match appends to dst the indexes (into Rules) of the rules that ev
// matches, in rule order, and returns the extended slice.
func (s *Set) Match(ev Event, dst []int) []int {
	m := matcherPool.Get().(*matcher)
	m.ev = ev
	m.mv, m.mvKnown = nil, false
	m.nextEpoch(s)
	s.applyGroups(m)
	s.scanFields(m)
	start := len(dst)
	dst = s.evalCandidates(m, dst)
	// Groups interleave rules; report them in rule order.
	found := dst[start:]
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && found[j] < found[j-1]; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	m.ev, m.mv, m.mvKnown = nil, nil, false
	matcherPool.Put(m)
	return dst
}

// nextEpoch starts an event: marks of earlier events (ruleMarks,
// litSeen, scanned) hold an older epoch, so nothing needs clearing.
func (m *matcher) nextEpoch(s *Set) {
	if len(m.ruleMarks) < len(s.compiled) || len(m.litSeen) < s.litTotal || len(m.scanned) < len(s.scans) {
		m.ruleMarks = make([]ruleMarks, len(s.compiled))
		m.litSeen = make([]uint32, s.litTotal)
		m.scanned = make([]uint32, len(s.scans))
		m.epoch = 0
	}
	m.epoch++
	if m.epoch == 0 { // wrapped: old marks could collide
		clear(m.ruleMarks)
		clear(m.litSeen)
		clear(m.scanned)
		m.epoch = 1
	}
	m.complete = m.complete[:0]
	m.scannedSeveral = false
}

// scanFields runs the scans the applying groups need, marking the clauses
// whose literals occur. Field scans run at once; keyword scans share one
// walk over the event's strings.
func (s *Set) scanFields(m *matcher) {
	d := m.decision()
	for _, i := range d.fieldScans {
		sc := &s.scans[i]
		if v, ok := m.ev.Field(sc.slot); ok {
			s.scanOne(sc, int(i), v, m)
		} else if m.holdsSeveral(sc.slot) {
			m.scannedSeveral = true
			m.scanVisit = scanVisit{set: s, sc: sc, m: m}
			m.mv.EachValue(sc.slot, &m.scanVisit)
		}
	}
	if len(d.kwScans) > 0 && m.keywordsMayOccur(d.kwScans) {
		m.kwScans = d.kwScans
		m.scan = keywordScan{set: s, m: m}
		m.ev.EachString(&m.scan)
	}
}

// keywordsMayOccur reports whether some literal of the keyword scans may
// occur in the event: false only when the event has its strings in one
// slice (RawStrings) and every scan's gram filter rules them out, which
// spares the walk over the event's strings.
func (m *matcher) keywordsMayOccur(scans []*slotScan) bool {
	rs, ok := m.ev.(RawStrings)
	if !ok {
		return true
	}
	raw, ok := rs.RawStrings()
	if !ok {
		return true
	}
	for _, sc := range scans {
		if sc.grams == nil || sc.grams.mayHold(raw) {
			return true
		}
	}
	return false
}

// evalCandidates evaluates, and appends to dst if they match, the rules of
// applying groups that have no clauses, and the rules all of whose marked
// clauses were marked (markClauses lists them) and whose checks pass, each
// once, unless a veto of the rule was found.
func (s *Set) evalCandidates(m *matcher, dst []int) []int {
	for _, gi := range m.decision().unclaused {
		for _, r := range s.groups[gi].unclaused {
			if !s.vetoed(m, r) && s.compiled[r].cond.eval(m) {
				dst = append(dst, int(r))
			}
		}
	}
	for _, r := range m.complete {
		if m.groupApplies(s.groupOf[r]) && s.checksPass(m, r) && !s.vetoed(m, r) && s.compiled[r].cond.eval(m) {
			dst = append(dst, int(r))
		}
	}
	return dst
}

// checksPass reports whether each check of rule r (the clauses that the
// scans do not mark, index.go's chooseChecks) holds a literal the scans
// noted as found this event. Values of a field that holds several are
// scanned without noting what they hold (scanValue), so in such an event
// every check passes, and evaluation decides.
func (s *Set) checksPass(m *matcher, r int32) bool {
	if m.scannedSeveral {
		return true
	}
	for _, c := range s.checks[r] {
		if !m.seenAny(c) {
			return false
		}
	}
	return true
}

// seenAny reports whether a literal of c (litSeen indexes) was found.
func (m *matcher) seenAny(c []int32) bool {
	for _, l := range c {
		if m.litSeen[l] == m.epoch {
			return true
		}
	}
	return false
}

// scanValue marks the rules whose required literals occur in v.
func (s *Set) scanValue(sc *slotScan, v []byte, m *matcher) {
	t := readable(v, &m.valueFold)
	if sc.anchored != nil {
		m.hits = sc.anchored.find(t, m.hits[:0])
		m.markHits(sc.clauses[sc.nAc:])
	}
	if sc.ac != nil {
		m.hits = sc.ac.scan(t, m.hits[:0])
		m.markHits(sc.clauses)
	}
}

// scanText is a value as the scans read it (readable): the value itself
// when it is ASCII, whose letters they lower as they read, or else its
// case-folded form. Either way every lookup reads it as it is.
type scanText struct {
	b []byte
}

// readable returns v as the scans read it. A value that is not ASCII is
// folded into *buf, once for both of a field's lookups and all their
// parts.
func readable(v []byte, buf *[]byte) scanText {
	if isASCII(v) {
		return scanText{b: v}
	}
	*buf = foldAppend((*buf)[:0], v)
	return scanText{b: *buf}
}

// scanOne is scanValue for the one value of field scan i. Its literals
// are noted as found (litSeen, read by seenlits.go, vetoed and
// checksPass) as they are marked, and a literal the value holds more than
// once is marked once.
func (s *Set) scanOne(sc *slotScan, i int, v []byte, m *matcher) {
	seen := m.litSeen[s.litBase[i]:]
	t := readable(v, &m.valueFold)
	m.scanned[i] = m.epoch
	if sc.anchored != nil {
		m.hits = sc.anchored.find(t, m.hits[:0])
		anchored, marks := seen[sc.nAc:], sc.clauses[sc.nAc:]
		for _, id := range m.hits {
			anchored[id] = m.epoch
			m.markClauses(marks[id])
		}
	}
	if sc.ac == nil {
		return
	}
	m.hits = sc.ac.scan(t, m.hits[:0])
	for _, id := range m.hits {
		if seen[id] != m.epoch {
			seen[id] = m.epoch
			m.markClauses(sc.clauses[id])
		}
	}
}

// vetoed reports whether a veto of rule r (veto.go) was found this event:
// noted by the scans, or a byteVeto in its field's one value.
func (s *Set) vetoed(m *matcher, r int32) bool {
	for _, l := range s.vetoes[r] {
		if m.litSeen[l] == m.epoch {
			return true
		}
	}
	if s.byteVetoes == nil {
		return false
	}
	for _, bv := range s.byteVetoes[r] {
		if v, ok := m.ev.Field(bv.slot); ok && bytes.IndexByte(v, bv.b) >= 0 {
			return true
		}
	}
	return false
}

// markHits marks the clauses of the literals in m.hits, per literal in
// clauses.
func (m *matcher) markHits(clauses [][]int32) {
	for _, id := range m.hits {
		m.markClauses(clauses[id])
	}
}

// markClauses marks clauses, given by their marks (index.go's
// clauseMark): a rule all of whose marked clauses (those that are not
// checks) are marked is complete, a candidate, once. The mark carries the
// rule and the clause's bit, so marking reads only the rule's record.
func (m *matcher) markClauses(marks []int32) {
	for _, c := range marks {
		rc := &m.ruleMarks[c>>markShift]
		if rc.seen != m.epoch {
			rc.seen, rc.have = m.epoch, 0
		}
		bit := int32(1) << (c & (1<<markAll - 1))
		if rc.have&bit != 0 {
			continue
		}
		if rc.have |= bit; rc.have == c>>markAll&(1<<maxClauses-1) {
			m.complete = append(m.complete, c>>markShift)
		}
	}
}

// keywordScan runs the keyword automata that apply over every value of
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

// scanVisit runs a field scan on each value of a multi-valued field.
type scanVisit struct {
	set *Set
	sc  *slotScan
	m   *matcher
}

func (v *scanVisit) Visit(text []byte) bool {
	v.set.scanValue(v.sc, text, v.m)
	return false
}
