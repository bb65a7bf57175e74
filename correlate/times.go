package correlate

import "math"

// offsetStore is where timesAgg keeps its offsets: an array sized so that
// the whole aggregator fills one allocation size class (64, 128 and 256
// bytes), or a slice for larger thresholds.
type offsetStore interface {
	~[12]uint32 | ~[28]uint32 | ~[60]uint32 | ~[]uint32
}

// timesAgg keeps the newest p.need event times of a sliding event_count:
// the condition can only hold once that many fall in one window, so older
// times never matter. Times are uint32 offsets from base in units of
// p.unit (Window/2^30 + 1 ns), so a count may include an event up to one
// unit older than the window: about 3.4 µs for a 1 h window, 29 ms for
// 365 d.
type timesAgg[S offsetStore] struct {
	base int64 // time of offset 0; at most newest-Window, so every counted time fits
	n    int32
	t    S
}

func newTimesAgg(p *plan) aggregator {
	switch {
	case p.need <= 12:
		return &timesAgg[[12]uint32]{}
	case p.need <= 28:
		return &timesAgg[[28]uint32]{}
	case p.need <= 60:
		return &timesAgg[[60]uint32]{}
	}
	return &timesAgg[[]uint32]{t: make([]uint32, p.need)}
}

func (a *timesAgg[S]) add(ev Event, p *plan, newest int64) {
	if a.n == 0 {
		a.base = satSub(ev.Time, p.window)
	}
	if ev.Time < a.base {
		return // before newest-Window: no window ending at newest holds it
	}
	if (uint64(ev.Time)-uint64(a.base))/p.unit > math.MaxUint32 {
		a.rebase(p, newest)
		if ev.Time < a.base {
			return // before the new base: no window ending at newest holds it
		}
	}
	off := uint32((uint64(ev.Time) - uint64(a.base)) / p.unit)
	n := int(a.n)
	if n == p.need {
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

// rebase moves base up to newest-Window (in whole units, so offsets only
// shift) and drops the times before it.
func (a *timesAgg[S]) rebase(p *plan, newest int64) {
	nb := satSub(newest, p.window)
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

func (a *timesAgg[S]) reset() { a.n = 0 }

func (a *timesAgg[S]) encode(w *encoder) {
	w.varint(a.base)
	w.uvarint(uint64(a.n))
	for i := range int(a.n) {
		w.uvarint(uint64(a.t[i]))
	}
}

func (a *timesAgg[S]) decode(r *decoder, p *plan) {
	a.base = r.varint()
	n := r.count("event times", min(p.need, len(a.t)), 1)
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
