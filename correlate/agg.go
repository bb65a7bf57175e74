package correlate

import (
	"math"
	"math/bits"
	"slices"
)

// aggregator is the per-group state of one correlation kind. Sliding specs
// keep enough to measure any window ending at the group's newest event;
// window-close specs hold only the events of the one open window.
type aggregator interface {
	// add counts ev; newest is the group's newest event time after ev.
	add(ev Event, p *plan, newest int64)
	// measure returns the aggregate over the kept events with time in
	// [lo, hi] and a mask of the contributing refs (0: use the group's).
	measure(p *plan, lo, hi int64, sc *[]float64) (float64, uint64)
	reset()
	encode(w *encoder)
	decode(r *decoder, p *plan)
}

func newAggregator(p *plan) aggregator {
	switch p.Kind {
	case EventCount:
		if !p.sliding {
			return &counterAgg{}
		}
		if p.need > maxExactCount {
			return &bucketAgg{}
		}
		return newTimesAgg(p)
	case ValueCount:
		return &distinctAgg{}
	case Temporal, TemporalOrdered:
		return &temporalAgg{}
	case ValueSum, ValueAvg:
		if p.sliding {
			return &bucketAgg{}
		}
		return &scalarAgg{}
	case ValueShare:
		return &shareAgg{}
	}
	return &sampleAgg{}
}

// insertSorted inserts t keeping s ascending; equal times go after.
func insertSorted(s []int64, t int64) []int64 {
	i := len(s)
	for i > 0 && s[i-1] > t {
		i--
	}
	return slices.Insert(s, i, t)
}

// inRange counts the elements of ascending s within [lo, hi].
func inRange(s []int64, lo, hi int64) int {
	a, _ := slices.BinarySearch(s, lo)
	b, found := slices.BinarySearch(s, hi)
	for found && b < len(s) && s[b] == hi {
		b++
	}
	return max(b-a, 0)
}

// counterAgg counts the events of one open window (window-close EventCount).
type counterAgg struct{ n uint64 }

func (a *counterAgg) add(Event, *plan, int64) { a.n++ }
func (a *counterAgg) measure(*plan, int64, int64, *[]float64) (float64, uint64) {
	return float64(a.n), 0
}
func (a *counterAgg) reset() { a.n = 0 }

// bucketAgg splits time into Window/32 buckets of (sum, count) and keeps the
// 33 that one window can touch: sliding sums and averages (and very large
// event counts) in constant memory. The window's oldest bucket is counted
// whole, so events up to Window/32 older than the window may count.
type bucketAgg struct {
	b []bucket
}

type bucket struct {
	id  int64
	sum float64
	n   uint64
}

const bucketSlots = bucketsPerSpan + 1

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (a *bucketAgg) add(ev Event, p *plan, _ int64) {
	if a.b == nil {
		a.b = make([]bucket, bucketSlots)
	}
	id := floorDiv(ev.Time, p.bucketW)
	s := &a.b[int(uint64(id)%bucketSlots)]
	if s.n == 0 || s.id < id {
		*s = bucket{id: id}
	} else if s.id > id {
		return // the slot already holds a newer bucket: this one left every window
	}
	s.sum += ev.Number
	s.n++
}

func (a *bucketAgg) measure(p *plan, lo, hi int64, _ *[]float64) (float64, uint64) {
	loID, hiID := floorDiv(lo, p.bucketW), floorDiv(hi, p.bucketW)
	var sum float64
	var n uint64
	for _, s := range a.b {
		if s.n > 0 && s.id >= loID && s.id <= hiID {
			sum += s.sum
			n += s.n
		}
	}
	return aggregate(p.Kind, sum, n), 0
}

func aggregate(k Kind, sum float64, n uint64) float64 {
	switch k {
	case EventCount:
		return float64(n)
	case ValueAvg:
		if n == 0 {
			return math.NaN()
		}
		return sum / float64(n)
	}
	return sum
}

func (a *bucketAgg) reset() { clear(a.b) }

// scalarAgg sums the events of one open window (window-close sum/avg).
type scalarAgg struct {
	sum float64
	n   uint64
}

func (a *scalarAgg) add(ev Event, _ *plan, _ int64) { a.sum += ev.Number; a.n++ }
func (a *scalarAgg) measure(p *plan, _, _ int64, _ *[]float64) (float64, uint64) {
	return aggregate(p.Kind, a.sum, a.n), 0
}
func (a *scalarAgg) reset() { *a = scalarAgg{} }

// distinctAgg maps each value to its newest time. Sliding: at most p.need
// values (the oldest goes first); window close: at most p.capN (one more
// than the largest bound), so the count is exact up to there.
type distinctAgg struct{ m map[string]int64 }

func (a *distinctAgg) limit(p *plan) int {
	if p.sliding {
		return p.need
	}
	return max(p.capN, 1)
}

func (a *distinctAgg) add(ev Event, p *plan, newest int64) {
	if a.m == nil {
		a.m = make(map[string]int64)
	}
	if t, ok := a.m[string(ev.Value)]; ok {
		a.m[string(ev.Value)] = max(t, ev.Time)
		return
	}
	if len(a.m) >= a.limit(p) {
		if !p.sliding || !a.dropOldest(satSub(newest, p.window), ev.Time) {
			return
		}
	}
	a.m[string(ev.Value)] = ev.Time
}

// dropOldest frees a slot: every value older than lo, else the oldest one
// if it is older than t. It reports whether a slot is free.
func (a *distinctAgg) dropOldest(lo, t int64) bool {
	var oldKey string
	oldT := int64(math.MaxInt64)
	freed := false
	for k, v := range a.m {
		if v < lo {
			delete(a.m, k)
			freed = true
		} else if v < oldT {
			oldKey, oldT = k, v
		}
	}
	if freed {
		return true
	}
	if oldT < t {
		delete(a.m, oldKey)
		return true
	}
	return false
}

func (a *distinctAgg) measure(p *plan, lo, hi int64, _ *[]float64) (float64, uint64) {
	if p.sliding && len(a.m) < p.need {
		// Fewer values than the least count that holds, in the window or
		// not: the count cannot hold, and counting them would make a
		// group's way up to a large condition take time in its square.
		return float64(len(a.m)), 0
	}
	n := 0
	for _, t := range a.m {
		if t >= lo && t <= hi {
			n++
		}
	}
	return float64(n), 0
}

func (a *distinctAgg) reset() { clear(a.m) }

// temporalAgg keeps temporalDepth times per referenced rule, so an event
// arriving out of order still finds its partners: the newest, but for
// temporal_ordered those an ordered sequence may still need (orderedDrop).
type temporalAgg struct{ t [][]int64 }

func (a *temporalAgg) add(ev Event, p *plan, newest int64) {
	if a.t == nil {
		a.t = make([][]int64, p.refs)
	}
	s := insertSorted(a.t[ev.Ref], ev.Time)
	if len(s) > temporalDepth {
		drop := 0 // the oldest
		// A sliding window only moves on: a time before it is of no use,
		// whatever a sequence would take it for.
		expired := p.sliding && s[0] < satSub(newest, p.window)
		if p.Kind == TemporalOrdered && ev.Ref+1 < len(a.t) && !expired {
			drop = orderedDrop(s, a.t[ev.Ref+1])
		}
		s = slices.Delete(s, drop, drop+1)
	}
	a.t[ev.Ref] = s
}

// orderedDrop returns which of the times s of one rule of a
// temporal_ordered correlation to drop, given the times next of the rule
// after it. A sequence takes, of this rule, the latest time not after its
// next rule's: so of the times with none of next between them (from one
// up to, not including, the following one), only the latest can be taken,
// and the oldest of the others is dropped. A rule seen again and again
// after its successor keeps the time before it that a sequence needs,
// which dropping the oldest lost. When every time can be taken, the
// oldest goes.
func orderedDrop(s, next []int64) int {
	for i := 0; i+1 < len(s); i++ {
		j, _ := slices.BinarySearch(next, s[i])
		if j == len(next) || next[j] >= s[i+1] {
			return i
		}
	}
	return 0
}

// measure: temporal counts the rules seen in [lo, hi]; temporal_ordered the
// longest prefix of the rules list seen in order there (ties count as in
// order), taking each rule's earliest time after the previous one.
func (a *temporalAgg) measure(p *plan, lo, hi int64, _ *[]float64) (float64, uint64) {
	var mask uint64
	if p.Kind == Temporal {
		for r, s := range a.t {
			if inRange(s, lo, hi) > 0 {
				mask |= 1 << uint(r)
			}
		}
		return float64(bits.OnesCount64(mask)), mask
	}
	prev := lo
	for r, s := range a.t {
		i, _ := slices.BinarySearch(s, prev)
		if i == len(s) || s[i] > hi {
			break
		}
		prev = s[i]
		mask |= 1 << uint(r)
	}
	return float64(bits.OnesCount64(mask)), mask
}

func (a *temporalAgg) reset() {
	for i := range a.t {
		a.t[i] = a.t[i][:0]
	}
}

// shareAgg is the rarity sample: the newest sampleSize events of the window
// (time, value hash), with a count per hash.
type shareAgg struct {
	e []shareEntry
	n map[uint64]uint32
}

type shareEntry struct {
	t int64
	h uint64
}

func (a *shareAgg) add(ev Event, p *plan, newest int64) {
	if a.n == nil {
		a.n = make(map[uint64]uint32)
	}
	a.insert(shareEntry{t: ev.Time, h: hashBytes(ev.Value)})
	a.prune(satSub(newest, p.window), sampleSize)
}

func (a *shareAgg) insert(x shareEntry) {
	i := len(a.e)
	for i > 0 && a.e[i-1].t > x.t {
		i--
	}
	a.e = slices.Insert(a.e, i, x)
	a.n[x.h]++
}

// prune drops entries older than lo and the oldest beyond limit.
func (a *shareAgg) prune(lo int64, limit int) {
	k := 0
	for k < len(a.e) && (a.e[k].t < lo || len(a.e)-k > limit) {
		if c := a.n[a.e[k].h]; c <= 1 {
			delete(a.n, a.e[k].h)
		} else {
			a.n[a.e[k].h] = c - 1
		}
		k++
	}
	if k > 0 {
		a.e = append(a.e[:0], a.e[k:]...)
	}
}

// shareOf is the percentage of the sample whose value hashes to h.
func (a *shareAgg) shareOf(h uint64) float64 {
	if len(a.e) == 0 {
		return math.NaN()
	}
	return float64(a.n[h]) * 100 / float64(len(a.e))
}

func (a *shareAgg) measure(*plan, int64, int64, *[]float64) (float64, uint64) {
	return math.NaN(), 0 // judged per event through shareOf
}

func (a *shareAgg) reset() { a.e = a.e[:0]; clear(a.n) }

// sampleAgg keeps the newest sampleSize (time, number) pairs for the
// nearest-rank percentile.
type sampleAgg struct{ e []sampleEntry }

type sampleEntry struct {
	t int64
	x float64
}

func (a *sampleAgg) add(ev Event, p *plan, newest int64) {
	i := len(a.e)
	for i > 0 && a.e[i-1].t > ev.Time {
		i--
	}
	a.e = slices.Insert(a.e, i, sampleEntry{t: ev.Time, x: ev.Number})
	k := 0
	for k < len(a.e) && ((p.sliding && a.e[k].t < satSub(newest, p.window)) || len(a.e)-k > sampleSize) {
		k++
	}
	if k > 0 {
		a.e = append(a.e[:0], a.e[k:]...)
	}
}

// measure is the nearest-rank percentile: the smallest x with at least
// Percentile% of the sample at or below it.
func (a *sampleAgg) measure(p *plan, lo, hi int64, sc *[]float64) (float64, uint64) {
	xs := (*sc)[:0]
	for _, e := range a.e {
		if e.t >= lo && e.t <= hi {
			xs = append(xs, e.x)
		}
	}
	*sc = xs
	if len(xs) == 0 {
		return math.NaN(), 0
	}
	slices.Sort(xs)
	rank := int(math.Ceil(p.Percentile / 100 * float64(len(xs))))
	return xs[min(max(rank, 1), len(xs))-1], 0
}

func (a *sampleAgg) reset() { a.e = a.e[:0] }

// hashBytes is 64-bit FNV-1a: stable across runs, so saved samples keep
// their meaning after a restart.
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
