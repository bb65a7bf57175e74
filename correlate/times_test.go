package correlate

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// refCount is the obvious sliding event_count: keep every time since the
// last firing, fire when N fall within one window [x-W, x] that holds the
// new time t (x up to the newest time: for a record in order, the window
// ending at it; for one that came late, any window it completes, the one
// with the most), and forget the times up to that window's end.
type refCount struct {
	times  []int64
	newest int64
	seen   bool
}

func (r *refCount) observe(t, w int64, need int) (late, fired bool) {
	if r.seen && t < r.newest-w {
		return true, false
	}
	if !r.seen || t > r.newest {
		r.newest, r.seen = t, true
	}
	r.times = append(r.times, t)
	slices.Sort(r.times)
	// The window holding t with the most events, the earliest of equals.
	best, bestEnd := 0, int64(0)
	for _, end := range r.times {
		if end < t || end > t+w || end > r.newest {
			continue
		}
		n := 0
		for _, x := range r.times {
			if x >= end-w && x <= end {
				n++
			}
		}
		if n > best {
			best, bestEnd = n, end
		}
	}
	if best >= need {
		// The count restarts after the window: later events count on.
		r.times = slices.DeleteFunc(r.times, func(x int64) bool { return x <= bestEnd })
		return false, true
	}
	return false, false
}

// TestTimesAggMatchesReference runs every offset store (arrays of 12, 28,
// 60 and a slice) against refCount over streams with out-of-order events
// sparse stretches long enough to move the offsets' base, and gaps far
// longer than the window.
func TestTimesAggMatchesReference(t *testing.T) {
	// scale 1: a 1000 ns window, whose offset unit is 1 ns, so an
	// off-by-one unit shows; scale sec: units far below the event spacing.
	for _, scale := range []int64{1, sec} {
		for _, need := range []int{1, 3, 12, 20, 50, 100} {
			timesAggAgainstReference(t, scale, need)
		}
	}
}

func timesAggAgainstReference(t *testing.T, scale int64, need int) {
	{
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, uint64(need)))
			const w = 1000
			e := New([]Spec{countSpec(time.Duration(w*scale), Bound{GTE, float64(need)})})
			var ref refCount
			fires, lates := 0, 0
			now := int64(1 << 30)
			for i := range 3000 {
				switch r := rng.IntN(100); {
				case i%700 == 0:
					now += rng.Int64N(10 * w) // a long gap
				case r < 80 && i/500%2 == 0: // dense: fires
					now += rng.Int64N(w/int64(need) + 1)
				case r < 80: // sparse: long stretches without firing, so base must move
					now += rng.Int64N(4*w/int64(need) + 1)
				}
				tm := now - rng.Int64N(3*w/2)*int64(rng.IntN(2)) // half out of order, some too late
				late, fired := ref.observe(tm, w, need)
				fires, lates = fires+boolInt(fired), lates+boolInt(late)
				before := e.Counters()
				got := e.Observe(Event{Group: []string{"g"}, Time: tm * scale}, nil)
				if gotLate := e.Counters().Late > before.Late; gotLate != late || (len(got) == 1) != fired {
					t.Fatalf("need %d seed %d event %d at %d: late %v fired %v, reference late %v fired %v",
						need, seed, i, tm, gotLate, len(got) == 1, late, fired)
				}
			}
			if fires == 0 || lates == 0 {
				t.Fatalf("need %d seed %d: %d fires, %d late: the stream does not exercise both", need, seed, fires, lates)
			}
		}
	}
}

func TestTimesAggStores(t *testing.T) {
	for _, c := range []struct{ need int }{{10}, {20}, {60}, {61}} {
		p := newPlan(countSpec(time.Minute, Bound{GTE, float64(c.need)}))
		a := newTimesAgg(&p)
		var n int
		switch x := a.(type) {
		case *timesAgg[[12]uint32]:
			n = len(x.t)
		case *timesAgg[[28]uint32]:
			n = len(x.t)
		case *timesAgg[[60]uint32]:
			n = len(x.t)
		case *timesAgg[[]uint32]:
			n = len(x.t)
			if n != p.keptTimes() {
				t.Fatalf("slice store of %d for need %d", n, c.need)
			}
			continue
		}
		if !slices.Contains([]int{12, 28, 60}, n) || n < p.keptTimes() {
			t.Fatalf("need %d: store of %d", c.need, n)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTimesAggRebase checks that moving the base keeps every remaining
// time exactly and drops exactly those before newest-keptSpan.
func TestTimesAggRebase(t *testing.T) {
	p := newPlan(countSpec(2*time.Second, Bound{GTE, 12}))
	if p.unit != 2 {
		t.Fatalf("unit %d, want 2", p.unit)
	}
	a := &timesAgg[[12]uint32]{}
	t0 := int64(1 << 40)
	times := []int64{t0, t0 + 1000, t0 + 2000, t0 + 3000, t0 + 3498, t0 + 3500, t0 + 4000, t0 + 9000}
	for _, tm := range times {
		a.add(Event{Time: tm}, &p, tm)
	}
	recon := func() []int64 {
		var out []int64
		for i := range int(a.n) {
			out = append(out, a.base+int64(a.t[i])*int64(p.unit))
		}
		return out
	}
	before := recon()
	a.rebase(&p, t0+int64(4*time.Second)+3500) // newest-keptSpan (two windows) = t0+3500
	if want := before[5:]; !slices.Equal(recon(), want) {
		t.Fatalf("after rebase %v, want %v (from %v)", recon(), want, before)
	}
}
