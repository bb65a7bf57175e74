package correlate

import "math"

// offsetStore is where timesAgg keeps its offsets: an array sized so that
// the whole aggregator fills one allocation size class (64, 128 and 256
// bytes), or a slice for larger thresholds.
type offsetStore interface {
	~[12]uint32 | ~[28]uint32 | ~[60]uint32 | ~[]uint32
}

// timesAgg keeps the newest event times of a sliding event_count that a
// window holding a record yet to come can need: those of the last
// timespan and, for records arriving late (up to a timespan), of the one
// before (keptSpan), at most 2*p.need-1 of them (keptTimes): a window
// short of the condition holds fewer than p.need, so two hold fewer than
// 2*p.need-1, and a record older than every kept time cannot complete a
// window sooner than they did. Times are uint32 offsets from base in units
// of p.unit (Window/2^30 + 1 ns), so a count may include an event up to
// one unit older than the window (two in a window a late record
// completes, containing): about 3.4 µs a unit for a 1 h window, 29 ms for
// 365 d.
type timesAgg[S offsetStore] struct {
	base int64 // time of offset 0; at most newest-keptSpan, so every kept time fits
	n    int32
	t    S
}

// keptTimes is how many times a timesAgg keeps.
func (p *plan) keptTimes() int { return 2*p.need - 1 }

// keptSpan is how far back from the newest a timesAgg keeps times: one
// timespan, and as much more as records may come late, up to one more.
func (p *plan) keptSpan() int64 { return satAdd(p.window, min(p.maxDelay, p.window)) }

func newTimesAgg(p *plan) aggregator {
	switch n := p.keptTimes(); {
	case n <= 12:
		return &timesAgg[[12]uint32]{}
	case n <= 28:
		return &timesAgg[[28]uint32]{}
	case n <= 60:
		return &timesAgg[[60]uint32]{}
	}
	return &timesAgg[[]uint32]{t: make([]uint32, p.keptTimes())}
}

func (a *timesAgg[S]) add(ev Event, p *plan, newest int64) {
	if a.n == 0 {
		a.base = satSub(ev.Time, p.keptSpan())
	}
	if ev.Time < a.base {
		return // before newest-keptSpan: no window a record yet to come completes holds it
	}
	if (uint64(ev.Time)-uint64(a.base))/p.unit > math.MaxUint32 {
		a.rebase(p, newest)
		if ev.Time < a.base {
			return // before the new base, as above
		}
	}
	off := uint32((uint64(ev.Time) - uint64(a.base)) / p.unit)
	n := int(a.n)
	if n == p.keptTimes() {
		if off <= a.t[0] {
			return // older than every kept time: cannot complete a window sooner
		}
		for i := 1; i < n; i++ {
			a.t[i-1] = a.t[i]
		}
		n--
	}
	i := n
	for ; i > 0 && a.t[i-1] > off; i-- {
		a.t[i] = a.t[i-1]
	}
	a.t[i] = off
	a.n = int32(n + 1)
}

// rebase moves base up to newest-keptSpan (in whole units, so offsets
// only shift) and drops the times before it.
func (a *timesAgg[S]) rebase(p *plan, newest int64) {
	nb := satSub(newest, p.keptSpan())
	if nb <= a.base {
		return
	}
	shift := (uint64(nb) - uint64(a.base)) / p.unit
	n, k := int(a.n), 0
	for k < n && uint64(a.t[k]) < shift {
		k++
	}
	for i := k; i < n; i++ {
		a.t[i-k] = uint32(uint64(a.t[i]) - shift)
	}
	a.n = int32(n - k)
	a.base = int64(uint64(a.base) + shift*p.unit)
}

// offset is t's offset rounded down, clamped to [0, MaxUint32+1].
func (a *timesAgg[S]) offset(p *plan, t int64) uint64 {
	if t <= a.base {
		return 0
	}
	return min((uint64(t)-uint64(a.base))/p.unit, math.MaxUint32+1)
}

func (a *timesAgg[S]) measure(p *plan, lo, hi int64, _ *[]float64) (float64, uint64) {
	if a.n == 0 || hi < a.base {
		return 0, 0
	}
	offLo, offHi := a.offset(p, lo), a.offset(p, hi)
	c := 0
	for i := range int(a.n) {
		if o := uint64(a.t[i]); o >= offLo && o <= offHi {
			c++
		}
	}
	return float64(c), 0
}

// containing returns the most events a window of one timespan that holds
// time t (a record that came late) counts, and that window: of those
// ending at a kept time from t to t+Window (and at most newest), the one
// with the most. Every other window holding t counts no more than the one
// ending at the last event it holds. A window ending at t itself ends at
// t exactly; others at their kept time, to the offset unit.
func (a *timesAgg[S]) containing(p *plan, t, newest int64) (v float64, lo, hi int64) {
	tOff := a.offset(p, t)
	endOff := a.offset(p, min(satAdd(t, p.window), newest))
	// Rounded up: offsets are rounded down, and a count may include an
	// event up to one unit older than the window, never leave one out.
	wUnits := (uint64(p.window) + p.unit - 1) / p.unit
	best, bestEnd, first := 0, uint64(0), 0
	for k := range int(a.n) {
		end := uint64(a.t[k])
		if end < tOff {
			continue
		}
		if end > endOff {
			break
		}
		for uint64(a.t[first])+wUnits < end {
			first++
		}
		if c := k - first + 1; c > best {
			best, bestEnd = c, end
		}
	}
	if best == 0 {
		return 0, satSub(t, p.window), t
	}
	hi = a.base + int64(bestEnd*p.unit)
	if bestEnd == tOff {
		hi = t
	}
	return float64(best), satSub(hi, p.window), hi
}

func (a *timesAgg[S]) reset() { a.n = 0 }

func (a *timesAgg[S]) resetThrough(p *plan, hi int64) {
	end := a.offset(p, hi)
	k := 0
	for k < int(a.n) && uint64(a.t[k]) <= end {
		k++
	}
	for i := k; i < int(a.n); i++ {
		a.t[i-k] = a.t[i]
	}
	a.n -= int32(k)
}

func (a *timesAgg[S]) encode(w *encoder) {
	w.varint(a.base)
	w.uvarint(uint64(a.n))
	for i := range int(a.n) {
		w.uvarint(uint64(a.t[i]))
	}
}

func (a *timesAgg[S]) decode(r *decoder, p *plan) {
	a.base = r.varint()
	n := r.count("event times", min(p.keptTimes(), len(a.t)), 1)
	for i := range n {
		v := r.uvarint()
		if v > math.MaxUint32 || (i > 0 && uint32(v) < a.t[i-1]) {
			r.fail("event time offset %d out of range or order", v)
			return
		}
		a.t[i] = uint32(v)
	}
	a.n = int32(n)
}
