package correlate

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// refCount is the obvious sliding event_count: keep every time since the
// last firing, fire when N fall within [newest-W, newest].
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
	n := 0
	for _, x := range r.times {
		if x >= r.newest-w {
			n++
		}
	}
	if n >= need {
		r.times = r.times[:0]
		return false, true
	}
	return false, false
}

// TestTimesAggMatchesReference runs every offset store (arrays of 12, 28,
// 60 and a slice) against refCount over streams with out-of-order events
// and gaps far longer than the window (which force rebases).
func TestTimesAggMatchesReference(t *testing.T) {
	for _, need := range []int{1, 3, 12, 20, 50, 100} {
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, uint64(need)))
			const w = 1000
			e := New([]Spec{countSpec(w*time.Second, Bound{GTE, float64(need)})})
			var ref refCount
			fires, lates := 0, 0
			now := int64(1 << 40)
			for i := range 3000 {
				switch r := rng.IntN(100); {
				case r < 2:
					now += rng.Int64N(10 * w) // a long gap
				case r < 80:
					now += rng.Int64N(w/int64(need) + 1)
				}
				tm := now - rng.Int64N(3*w/2)*int64(rng.IntN(2)) // half out of order, some too late
				late, fired := ref.observe(tm, w, need)
				fires, lates = fires+boolInt(fired), lates+boolInt(late)
				before := e.Counters()
				got := e.Observe(Event{Group: []string{"g"}, Time: tm * sec}, nil)
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
			if n != c.need {
				t.Fatalf("slice store of %d for need %d", n, c.need)
			}
			continue
		}
		if !slices.Contains([]int{12, 28, 60}, n) || n < c.need {
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
