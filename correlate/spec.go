package correlate

import (
	"math"
	"time"
)

// Kind is the correlation type a Spec evaluates.
type Kind uint8

// The correlation types. ValueShare is value_percentile read as rarity (the
// specification's example); Percentile is pySigma's `percentile` key.
const (
	EventCount Kind = iota
	ValueCount
	Temporal
	TemporalOrdered
	ValueSum
	ValueAvg
	ValueShare
	Percentile
	kindCount
)

var kindNames = [...]string{"event_count", "value_count", "temporal", "temporal_ordered",
	"value_sum", "value_avg", "value_share", "percentile"}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "unknown"
}

// Op is a condition operator.
type Op uint8

// The condition operators of the specification.
const (
	GT Op = iota
	GTE
	LT
	LTE
	EQ
	NEQ
)

// Bound is one condition key: the aggregate Op Value. Several Bounds form a
// conjunction (a range).
type Bound struct {
	Op    Op
	Value float64
}

func (b Bound) holds(v float64) bool {
	switch b.Op {
	case GT:
		return v > b.Value
	case GTE:
		return v >= b.Value
	case LT:
		return v < b.Value
	case LTE:
		return v <= b.Value
	case EQ:
		return v == b.Value
	case NEQ:
		return v != b.Value && !math.IsNaN(v)
	}
	return false
}

// DefaultMaxGroups is the per-spec group limit when Spec.MaxGroups is 0.
const DefaultMaxGroups = 100000

// Spec describes one correlation to the engine.
type Spec struct {
	Key        string        // ID + "/" + Digest: state moves only between specs with equal Key
	Kind       Kind          // correlation type
	Refs       int           // number of referenced rules (temporal kinds: which must match)
	Bounds     []Bound       // empty for temporal kinds = all Refs
	Percentile float64       // for Kind Percentile
	Window     time.Duration // the correlation's timespan
	MaxDelay   time.Duration // how late an event may be; 0 = Window
	Suppress   time.Duration // after firing, mute same spec+group this long (event time); 0 = off
	MaxGroups  int           // 0 = DefaultMaxGroups
}

// Event is one match of a referenced rule, fed to Observe.
type Event struct {
	Spec     int      // index into the specs given to New
	Group    []string // group-by values in order (copied by the engine if retained)
	Time     int64    // event time, nanoseconds since the Unix epoch
	Ref      int      // position in the correlation's rules list of the rule that matched
	Value    []byte   // field text for ValueCount/ValueShare (copied if retained)
	Number   float64  // field as a number for ValueSum/ValueAvg/Percentile
	HasValue bool     // the field was present (and numeric for numeric kinds); events without are not counted
}

// Alert is a correlation that met its condition.
type Alert struct {
	Spec       int
	Group      []string
	Value      float64 // count, distinct count, sum, average, share in percent, or percentile that met the condition
	Start, End int64   // the window that met it
	Refs       []int   // positions of referenced rules that contributed
	Closed     bool    // decided at window close (no record completed it)
}

// Counters are cumulative engine figures (Groups is the current number).
type Counters struct {
	Late       uint64 // events older than their group's newest minus MaxDelay, or than a decided window
	Evicted    uint64 // groups dropped because a spec reached MaxGroups
	Fired      uint64 // alerts emitted
	Suppressed uint64 // alerts muted by Suppress
	Groups     int    // groups currently held
}

// MaxDistinct is the most distinct values a value_count group tells
// apart: a condition may name at most one less (rules.MaxValueCount, which
// filter's tests hold to it), so that "more than it" stays known.
const MaxDistinct = 1 << 16

// Sizes that bound per-group memory whatever the condition says.
const (
	maxExactCount  = 4096 // EventCount above this threshold counts in buckets
	maxDistinct    = MaxDistinct
	sampleSize     = 1024 // ValueShare and Percentile sample
	temporalDepth  = 8    // times kept per referenced rule
	bucketsPerSpan = 32
)

// MaxRefs is how many rules a correlation may reference: a group tells
// them apart by the bits of a 64-bit mask (rules.MaxCorrelationRefs, which
// filter's tests hold to it).
const MaxRefs = 64

// plan is a Spec with everything the hot path needs precomputed.
type plan struct {
	Spec
	valid    bool
	sliding  bool  // lower-bound-only: fire as soon as it holds, else decide at window close
	perEvent bool  // ValueShare: judged on each event, never restarts
	need     int   // sliding: the smallest count/distinct count that can satisfy
	capN     int   // window close: distinct values kept (max bound + 1)
	window   int64 // nanoseconds
	maxDelay int64
	suppress int64
	bucketW  int64
	unit     uint64 // timesAgg offset unit: Window/2^30 + 1 ns
	refs     int
}

// lateBefore is the event time before which a record is late at watermark
// wm, whatever its group: Window and MaxDelay behind.
func (p *plan) lateBefore(wm int64) int64 { return satSub(satSub(wm, p.window), p.maxDelay) }

// expiry is the event time a group's newest event must be older than for
// the group to be freed at watermark wm: a record yet to come is no older
// than wm-Window-MaxDelay (else late), and a window that slides (to its
// time) reaches one timespan further back than that.
func (p *plan) expiry(wm int64) int64 {
	h := p.lateBefore(wm)
	if p.sliding || p.perEvent {
		h = satSub(h, p.window)
	}
	return h
}

func newPlan(s Spec) plan {
	p := plan{Spec: s, window: int64(s.Window), maxDelay: int64(s.MaxDelay), suppress: int64(s.Suppress)}
	p.valid = s.Kind < kindCount && s.Window > 0
	if p.maxDelay <= 0 {
		p.maxDelay = p.window
	}
	if p.MaxGroups <= 0 {
		p.MaxGroups = DefaultMaxGroups
	}
	p.refs = min(max(s.Refs, 1), MaxRefs)
	if len(p.Bounds) == 0 && (s.Kind == Temporal || s.Kind == TemporalOrdered) {
		p.Bounds = []Bound{{Op: GTE, Value: float64(p.refs)}}
	}
	p.Bounds = append([]Bound(nil), p.Bounds...)
	p.perEvent = s.Kind == ValueShare
	p.sliding = len(p.Bounds) > 0 && !p.perEvent
	for _, b := range p.Bounds {
		if b.Op != GT && b.Op != GTE {
			p.sliding = false
		}
	}
	p.need = countNeeded(p.Bounds)
	p.capN = countCap(p.Bounds)
	p.bucketW = max(p.window/bucketsPerSpan, 1)
	p.unit = uint64(max(p.window, 0))>>30 + 1
	return p
}

// countNeeded is the smallest integer count meeting every lower bound
// (at least 1: a group exists only once it counted an event).
func countNeeded(bounds []Bound) int {
	need := 1.0
	for _, b := range bounds {
		switch b.Op {
		case GTE:
			need = max(need, math.Ceil(b.Value))
		case GT:
			need = max(need, math.Floor(b.Value)+1)
		}
	}
	return int(min(need, maxDistinct+1))
}

// countCap is how many distinct values a window-close count must tell
// apart: one more than the largest bound, so "more than any bound" is known.
func countCap(bounds []Bound) int {
	top := 0.0
	for _, b := range bounds {
		if !math.IsNaN(b.Value) {
			top = max(top, b.Value)
		}
	}
	return int(min(math.Floor(top)+1, maxDistinct))
}

func (p *plan) holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	for _, b := range p.Bounds {
		if !b.holds(v) {
			return false
		}
	}
	return true
}

// needsExt reports whether groups of this spec need a groupExt: windows to
// decide, suppression, or several refs to tell apart.
func (p *plan) needsExt() bool {
	return !p.sliding || p.suppress > 0 || p.refs > 1
}

// counts reports whether the engine counts ev for this plan at all.
func (p *plan) counts(ev *Event) bool {
	if !p.valid || ev.Ref < 0 || ev.Ref >= p.refs {
		return false
	}
	switch p.Kind {
	case EventCount, Temporal, TemporalOrdered:
		return true
	case ValueSum, ValueAvg, Percentile:
		return ev.HasValue && !math.IsNaN(ev.Number) && !math.IsInf(ev.Number, 0)
	}
	return ev.HasValue
}

// sameShape reports whether state built under q can be used under p:
// everything the aggregators depend on is equal.
func (p *plan) sameShape(q *plan) bool {
	if p.Key != q.Key || p.Kind != q.Kind || p.refs != q.refs || p.window != q.window ||
		p.Percentile != q.Percentile || len(p.Bounds) != len(q.Bounds) || p.valid != q.valid {
		return false
	}
	for i := range p.Bounds {
		if p.Bounds[i] != q.Bounds[i] {
			return false
		}
	}
	return true
}
