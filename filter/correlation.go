package filter

import (
	"math"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// This file feeds correlations: each record that matched a rule a
// correlation references becomes an event of that correlation's group
// (its group-by values), at the record's event time. The state lives in a
// correlate.Engine; alerts come back to be written (render.go) into the
// completing record, or into records of their own.

// correlator is the correlation half of a Filter; nil without
// correlations.
type correlator struct {
	set    *rules.Set
	engine *correlate.Engine
	// timeSlots are the slots of time_key (or, offline, of the usual time
	// fields), read in order; the first readable one is the event time.
	timeSlots []int
	// live: a running filter, not sigma-check: event time may not run
	// more than MaxFuture ahead of the clock, nor state be restored from
	// there.
	live   bool
	record bool // correlation_record: standalone alert records too
	// Fields from split on are read by correlations only: late indexes
	// them, and they are loaded only for records that matched a rule.
	split int
	late  fieldIndex
	// lastTime is the event time of the last record seen, for the next
	// record without a time of its own (across chunks).
	lastTime atomic.Int64
	// future counts records of base rules whose event time was more than
	// MaxFuture ahead of the clock (reported as late).
	future atomic.Uint64
	// untimed counts records matching a correlation's rule that had no
	// event time at all (no time field, timestamp or record before them):
	// correlations cannot count them. Only sigma-check's JSON input can
	// have such records.
	untimed atomic.Uint64
	// stateFile is the state_file the state is saved to ("" none): a
	// filter saving to another is another filter's state (AdoptState).
	stateFile string
}

// splitFields returns the set's fields an index loads: with rules, those
// rules read (the others named "", which no record fills); else those
// only correlations read. Every record is loaded for the rules; only
// records that matched one are loaded again for the correlations, so
// group-by and value fields cost the records that match nothing nothing.
func splitFields(set *rules.Set, forRules bool) []string {
	fields := set.Fields()
	split := set.RuleFields()
	if len(set.Correlations()) == 0 || split >= len(fields) {
		return fields
	}
	out := make([]string, len(fields))
	for i, name := range fields {
		if (i < split) == forRules {
			out[i] = name
		}
	}
	return out
}

// corrFields reads a record's fields for correlations: those rules read
// from the record as loaded for them, the others from late.
type corrFields struct {
	main, late *record
	split      int
}

func (c corrFields) Field(slot int) ([]byte, bool) {
	if slot >= c.split && c.late != nil {
		return c.late.Field(slot)
	}
	return c.main.Field(slot)
}

// correlationKinds maps the rules' types onto the engine's kinds.
var correlationKinds = map[rules.CorrelationType]correlate.Kind{
	rules.EventCount: correlate.EventCount, rules.ValueCount: correlate.ValueCount,
	rules.Temporal: correlate.Temporal, rules.TemporalOrdered: correlate.TemporalOrdered,
	rules.ValueSum: correlate.ValueSum, rules.ValueAvg: correlate.ValueAvg,
	rules.ValuePercentile: correlate.ValueShare,
}

var boundOps = map[string]correlate.Op{
	"gt": correlate.GT, "gte": correlate.GTE, "lt": correlate.LT, "lte": correlate.LTE,
	"eq": correlate.EQ, "neq": correlate.NEQ,
}

// specsOf turns the set's correlations into the engine's specs.
func specsOf(set *rules.Set, cfg Config) []correlate.Spec {
	var specs []correlate.Spec
	for _, c := range set.Correlations() {
		kind := correlationKinds[c.Type]
		if c.Type == rules.ValuePercentile && c.Percentile > 0 {
			kind = correlate.Percentile
		}
		spec := correlate.Spec{
			Key: c.ID + "/" + c.Digest, Kind: kind, Refs: len(c.Refs), Percentile: c.Percentile,
			Window: c.Timespan, MaxDelay: cfg.CorrelationMaxDelay, Suppress: cfg.CorrelationSuppress,
			MaxGroups: cfg.CorrelationMaxGroups,
		}
		for _, b := range c.Bounds {
			spec.Bounds = append(spec.Bounds, correlate.Bound{Op: boundOps[b.Op], Value: b.Value})
		}
		specs = append(specs, spec)
	}
	return specs
}

// correlationScratch is the per-call working state of observe.
type correlationScratch struct {
	text   []byte   // group values and field text, back to back
	group  []string // views into text
	alerts []correlate.Alert
}

// observe feeds the record's matches of rules in matched to the
// correlations that reference them, and their alerts, in turn, to the
// correlations that reference those (chains). It returns the alerts, in
// the order they fired.
func (c *correlator) observe(rec corrFields, matched []int, t int64, cs *correlationScratch) []correlate.Alert {
	cs.alerts = cs.alerts[:0]
	for _, i := range matched {
		for _, use := range c.set.RuleUsers(i) {
			c.feed(rec, use, t, cs)
		}
	}
	// Alerts appended while this loop runs are fed on too; the rules
	// package refuses cycles, so chains end.
	for n := 0; n < len(cs.alerts); n++ {
		if cs.alerts[n].Closed {
			continue // decided at a window's close: not this record's
		}
		for _, use := range c.set.CorrelationUsers(cs.alerts[n].Spec) {
			c.feed(rec, use, t, cs)
		}
	}
	return cs.alerts
}

// feed observes one event of correlation use.Correlation: the record, as
// the match of the rule at use.Position of its rules list. A record that
// lacks a group-by field is not counted, as a SIEM's "stats ... by" leaves
// it out.
func (c *correlator) feed(rec corrFields, use rules.RefUse, t int64, cs *correlationScratch) {
	corr := &c.set.Correlations()[use.Correlation]
	slots := corr.GroupSlots[use.Position]
	cs.text, cs.group = cs.text[:0], cs.group[:0]
	var ends [rules.MaxGroupBy]int
	if len(slots) > len(ends) {
		return // the rules package refuses more
	}
	for g, slot := range slots {
		v, ok := rec.Field(slot)
		if !ok {
			return
		}
		cs.text = append(cs.text, v...)
		ends[g] = len(cs.text)
	}
	ev := correlate.Event{Spec: use.Correlation, Time: t, Ref: use.Position}
	if corr.FieldSlot >= 0 {
		v, ok := rec.Field(corr.FieldSlot)
		start := len(cs.text)
		cs.text = append(cs.text, v...)
		ev.Value = cs.text[start:]
		ev.HasValue = ok
		if ok && numericKind(corr) {
			ev.Number, ev.HasValue = parseNumber(v)
		}
	}
	// Views into cs.text, which no longer grows: the engine copies what
	// it keeps.
	start := 0
	for g := range slots {
		cs.group = append(cs.group, bytesView(cs.text[start:ends[g]]))
		start = ends[g]
	}
	ev.Group = cs.group
	cs.alerts = c.engine.Observe(ev, cs.alerts)
}

func numericKind(c *rules.Correlation) bool {
	return c.Type == rules.ValueSum || c.Type == rules.ValueAvg || c.Type == rules.ValuePercentile && c.Percentile > 0
}

// parseNumber reads a field's text as a number ("1024", "-3", "2.5",
// "0x10" as Windows writes some counters).
func parseNumber(v []byte) (float64, bool) {
	s := bytesView(v)
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		n, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(n), err == nil
	}
	// "NaN" and "Inf" parse, but one would hold a sum or an average at
	// NaN or infinity for the whole window: they are no numbers here.
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil && !math.IsNaN(n) && !math.IsInf(n, 0)
}

// bytesView is b as a string without copying; the string is valid while b
// is unchanged.
func bytesView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// eventTime is the record's event time: the first readable time slot,
// else its Fluent Bit timestamp (sigma-check stamps an .evtx record's
// time there, and JSON events 0: none), else prev (the previous
// record's), so that a stream never runs backwards to zero.
func (c *correlator) eventTime(rec *record, chunk []byte, ev event, prev int64) int64 {
	own, ok := c.slotTime(rec)
	return timeOf(own, ok, chunk, ev, prev)
}

// slotTime is the record's first readable time slot, if any.
func (c *correlator) slotTime(rec *record) (int64, bool) {
	for _, slot := range c.timeSlots {
		if v, ok := rec.Field(slot); ok {
			if t, ok := parseTimeText(v); ok {
				return t, true
			}
		}
	}
	return 0, false
}

// timeOf is eventTime from the record's time slot (own, when ok).
func timeOf(own int64, ok bool, chunk []byte, ev event, prev int64) int64 {
	if ok {
		return own
	}
	if t := headerTime(chunk, ev); t > 0 {
		return t
	}
	return prev
}

// timeFields are the fields event time is read from, the first readable
// one counting: time_key, then offline (sigma-check) the usual time
// fields; none without correlations.
func timeFields(cfg Config, set *rules.Set) []string {
	if len(set.Correlations()) == 0 {
		return nil
	}
	var fields []string
	if cfg.TimeKey != "" {
		fields = append(fields, cfg.TimeKey)
	}
	if cfg.Offline {
		fields = append(fields, OfflineTimeFields...)
	}
	return fields
}

// OfflineTimeFields are the fields sigma-check reads event time from when
// time_key is unset: where the shapes it reads keep the event's own time.
var OfflineTimeFields = []string{"Event.System.TimeCreated.#attributes.SystemTime", "Event.System.TimeCreated.SystemTime",
	"TimeCreated", "UtcTime", "@timestamp", "timestamp", "eventTime"}

// unixTime formats event time for the output (RFC 3339, UTC).
func unixTime(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339Nano) }

// clock is event time over one Process call: the last record's (a record
// without a time of its own takes it), the newest seen, and, in a running
// filter, the latest event time taken for true.
type clock struct{ last, newest, limit int64 }

// MaxFuture is how far ahead of the wall clock an event time may be in a
// running filter. One record from a host with a wrong clock (or a
// time_key holding a date in 2099) would otherwise move event time so far
// on that every window closes and every later record counts as late; such
// records are counted as late instead. sigma-check has no limit: files
// are read long after their events.
const MaxFuture = 10 * time.Minute

func (f *Filter) startClock() clock {
	if f.corr == nil {
		return clock{}
	}
	ck := clock{last: f.corr.lastTime.Load()}
	if f.corr.live {
		ck.limit = time.Now().Add(MaxFuture).UnixNano()
	}
	return ck
}

// correlate feeds the record's matches to the correlations and returns
// what the record shows: its matches of rules that are not silent, then
// the correlations it completed (also left in s.shown). Alerts decided at
// a window's close are kept in s.closed for records of their own.
func (f *Filter) correlate(s *scratch, chunk []byte, ev event, ck *clock, first *firstPass) []int {
	c := f.corr
	s.shown, s.visible = s.shown[:0], s.visible[:0]
	for _, i := range s.matched {
		if !f.metas[i].Silent {
			s.visible = append(s.visible, i)
		}
	}
	var t int64
	if first.unread { // s.rec holds another record: the first pass read its time
		t = timeOf(first.slotTime, first.hasSlot, chunk, ev, ck.last)
	} else {
		t = c.eventTime(s.rec, chunk, ev, ck.last)
	}
	if ck.limit > 0 && t > ck.limit {
		if len(s.matched) > 0 {
			c.future.Add(1)
		}
		return s.visible
	}
	ck.last, ck.newest = t, max(ck.newest, t)
	if len(s.matched) == 0 {
		return s.visible
	}
	if t == 0 {
		// A record without any event time is not counted; noted when a
		// correlation would have counted it.
		if slices.ContainsFunc(s.matched, func(i int) bool { return len(c.set.RuleUsers(i)) > 0 }) {
			c.untimed.Add(1)
		}
		return s.visible
	}
	fields := corrFields{main: s.rec, split: c.split}
	if c.split < len(c.set.Fields()) {
		// record.load has walked this body: it cannot fail here.
		if _, err := s.lateRec.load(&c.late, chunk, ev.body); err == nil {
			fields.late = s.lateRec
			if s.rec.isAzure(&f.index) {
				s.lateRec.fillAzure(&c.late) // the late index has no logsource to tell
			}
		}
	}
	for _, a := range c.observe(fields, s.matched, t, &s.corr) {
		meta := f.ruleCount + a.Spec
		f.counts.rules[meta].Add(1)
		switch {
		case a.Closed:
			s.closed = append(s.closed, a)
		case !f.metas[meta].Silent:
			s.shown = append(s.shown, a)
			s.visible = append(s.visible, meta)
		}
	}
	return s.visible
}

// decideWindows closes the windows event time has passed, appending their
// alerts to closed, and keeps the clock for the next call. It returns the
// alerts to write: those of correlations that are not silent.
func (f *Filter) decideWindows(ck *clock, closed []correlate.Alert) []correlate.Alert {
	c := f.corr
	c.lastTime.Store(ck.last)
	if ck.newest > 0 {
		n := len(closed)
		closed = c.engine.Advance(ck.newest, closed)
		for _, a := range closed[n:] {
			f.counts.rules[f.ruleCount+a.Spec].Add(1)
		}
	}
	kept := closed[:0]
	for _, a := range closed {
		if !f.metas[f.ruleCount+a.Spec].Silent {
			kept = append(kept, a)
		}
	}
	return kept
}
