package correlate

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
)

// ev is a shorthand for an event of spec 0, group "g".
type ev struct {
	t   int64
	ref int
	val string
	num float64
}

func run(e *Engine, evs ...ev) []Alert {
	var out []Alert
	for _, x := range evs {
		out = e.Observe(Event{Group: []string{"g"}, Time: x.t, Ref: x.ref, Value: []byte(x.val),
			Number: x.num, HasValue: true}, out)
	}
	return out
}

func one(t *testing.T, got []Alert, value float64, closed bool) Alert {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("got %d alerts %+v, want 1", len(got), got)
	}
	if math.Abs(got[0].Value-value) > 1e-9 || got[0].Closed != closed {
		t.Fatalf("got %+v, want value %v closed %v", got[0], value, closed)
	}
	return got[0]
}

func none(t *testing.T, got []Alert) {
	t.Helper()
	if len(got) != 0 {
		t.Fatalf("got %+v, want no alert", got)
	}
}

func spec(k Kind, refs int, w time.Duration, bounds ...Bound) Spec {
	return Spec{Key: k.String(), Kind: k, Refs: refs, Bounds: bounds, Window: w}
}

func TestEventCountRefs(t *testing.T) {
	e := New([]Spec{spec(EventCount, 2, time.Minute, Bound{GTE, 3})})
	a := one(t, run(e, ev{t: 1, ref: 1}, ev{t: 2, ref: 1}, ev{t: 3, ref: 0}), 3, false)
	if !reflect.DeepEqual(a.Refs, []int{0, 1}) {
		t.Fatalf("refs %v, want [0 1]", a.Refs)
	}
}

func TestValueCount(t *testing.T) {
	t.Run("gte", func(t *testing.T) {
		e := New([]Spec{spec(ValueCount, 1, time.Minute, Bound{GTE, 3})})
		none(t, run(e, ev{t: 1, val: "u1"}, ev{t: 2, val: "u1"}, ev{t: 3, val: "u2"}))
		e.Observe(Event{Group: []string{"g"}, Time: 4}, nil) // no value: not counted
		one(t, run(e, ev{t: 5, val: "u3"}), 3, false)
	})
	t.Run("sliding", func(t *testing.T) {
		e := New([]Spec{spec(ValueCount, 1, 10*time.Second, Bound{GTE, 3})})
		none(t, run(e, ev{t: 0, val: "u1"}, ev{t: 5 * sec, val: "u2"}, ev{t: 11 * sec, val: "u3"}))
		a := one(t, run(e, ev{t: 12 * sec, val: "u4"}), 3, false)
		if a.Start != 2*sec {
			t.Fatalf("start %d, want 2s", a.Start)
		}
	})
	t.Run("sliding keeps the newest distinct values", func(t *testing.T) {
		e := New([]Spec{spec(ValueCount, 1, 10*time.Second, Bound{GTE, 3})})
		none(t, run(e, ev{t: 0, val: "a"}, ev{t: 1 * sec, val: "b"}, ev{t: 20 * sec, val: "c"}, ev{t: 21 * sec, val: "d"}))
		one(t, run(e, ev{t: 22 * sec, val: "e"}), 3, false)
	})
	t.Run("lt at close", func(t *testing.T) {
		e := New([]Spec{spec(ValueCount, 1, time.Minute, Bound{LT, 3})})
		none(t, run(e, ev{t: 1, val: "u1"}, ev{t: 2, val: "u2"}, ev{t: 3, val: "u2"}))
		none(t, e.Advance(int64(time.Minute)+1, nil))
		one(t, e.Advance(int64(time.Minute)+2, nil), 2, true)
	})
	t.Run("lte capped", func(t *testing.T) {
		e := New([]Spec{spec(ValueCount, 1, time.Minute, Bound{LTE, 2})})
		for i := range 10 {
			run(e, ev{t: int64(i), val: fmt.Sprint(i)})
		}
		none(t, e.Advance(2*int64(time.Minute), nil))
	})
}

func TestDistinctCap(t *testing.T) {
	p := newPlan(spec(ValueCount, 1, time.Minute, Bound{LTE, 2}))
	a := &distinctAgg{}
	for i := range 10 {
		a.add(Event{Time: int64(i), Value: []byte(fmt.Sprint(i))}, &p, int64(i))
	}
	if len(a.m) != 3 {
		t.Fatalf("kept %d distinct values for lte 2, want 3", len(a.m))
	}
}

func TestTemporal(t *testing.T) {
	t.Run("all in any order", func(t *testing.T) {
		e := New([]Spec{spec(Temporal, 3, 5*time.Minute)})
		none(t, run(e, ev{t: 0, ref: 2}, ev{t: 1, ref: 0}))
		a := one(t, run(e, ev{t: 2, ref: 1}), 3, false)
		if !reflect.DeepEqual(a.Refs, []int{0, 1, 2}) {
			t.Fatalf("refs %v", a.Refs)
		}
	})
	t.Run("outside the window", func(t *testing.T) {
		e := New([]Spec{spec(Temporal, 3, 5*time.Minute)})
		none(t, run(e, ev{t: 0, ref: 0}, ev{t: 1, ref: 1}, ev{t: 400 * sec, ref: 2}))
	})
	t.Run("gte 2 of 3", func(t *testing.T) {
		e := New([]Spec{spec(Temporal, 3, 5*time.Minute, Bound{GTE, 2})})
		none(t, run(e, ev{t: 0, ref: 0}, ev{t: 1, ref: 0}))
		a := one(t, run(e, ev{t: 2, ref: 2}), 2, false)
		if !reflect.DeepEqual(a.Refs, []int{0, 2}) {
			t.Fatalf("refs %v, want [0 2]", a.Refs)
		}
	})
	t.Run("lt 2 at close", func(t *testing.T) {
		e := New([]Spec{spec(Temporal, 3, time.Minute, Bound{LT, 2})})
		none(t, run(e, ev{t: 0, ref: 1}, ev{t: 1, ref: 1}))
		a := one(t, e.Advance(int64(time.Minute)+1, nil), 1, true)
		if !reflect.DeepEqual(a.Refs, []int{1}) {
			t.Fatalf("refs %v, want [1]", a.Refs)
		}
	})
}

func TestTemporalOrdered(t *testing.T) {
	t.Run("order matters", func(t *testing.T) {
		e := New([]Spec{spec(TemporalOrdered, 2, time.Minute)})
		none(t, run(e, ev{t: 0, ref: 1}, ev{t: 1, ref: 0}))
		one(t, run(e, ev{t: 2, ref: 1}), 2, false)
	})
	t.Run("late arrival in order by time", func(t *testing.T) {
		e := New([]Spec{spec(TemporalOrdered, 2, time.Minute)})
		none(t, run(e, ev{t: 10 * sec, ref: 1}))
		one(t, run(e, ev{t: 5 * sec, ref: 0}), 2, false)
	})
	t.Run("three in order, with noise", func(t *testing.T) {
		e := New([]Spec{spec(TemporalOrdered, 3, time.Minute)})
		none(t, run(e, ev{t: 1, ref: 2}, ev{t: 2, ref: 0}, ev{t: 3, ref: 2}, ev{t: 4, ref: 1}))
		a := one(t, run(e, ev{t: 5, ref: 2}), 3, false)
		if !reflect.DeepEqual(a.Refs, []int{0, 1, 2}) {
			t.Fatalf("refs %v", a.Refs)
		}
	})
	// The first rule seen many more times than a group keeps after the
	// second: the time before the second is kept, and the third completes
	// the sequence a, b, c.
	t.Run("first rule repeated past what a group keeps", func(t *testing.T) {
		e := New([]Spec{spec(TemporalOrdered, 3, 5*time.Minute)})
		none(t, run(e, ev{t: 0, ref: 0}, ev{t: sec, ref: 1}))
		for i := 2; i <= 2+2*temporalDepth; i++ {
			none(t, run(e, ev{t: int64(i) * sec, ref: 0}))
		}
		one(t, run(e, ev{t: 30 * sec, ref: 2}), 3, false)
	})
	// A time before the window is dropped first: kept, it would take the
	// place of one a late record's sequence needs.
	t.Run("a time before the window goes first", func(t *testing.T) {
		sp := spec(TemporalOrdered, 3, 20*time.Second)
		sp.MaxDelay = 20 * time.Second
		e := New([]Spec{sp})
		none(t, run(e, ev{t: 0, ref: 0}, ev{t: sec, ref: 1}))
		for i := 5; i <= 24; i++ {
			none(t, run(e, ev{t: int64(i) * sec, ref: 0}))
		}
		none(t, run(e, ev{t: 17*sec + sec/2, ref: 1})) // late, within the delay
		one(t, run(e, ev{t: 25 * sec, ref: 2}), 3, false)
	})
	t.Run("prefix length at close", func(t *testing.T) {
		e := New([]Spec{spec(TemporalOrdered, 3, time.Minute, Bound{LT, 3})})
		none(t, run(e, ev{t: 1, ref: 1}, ev{t: 2, ref: 0}, ev{t: 3, ref: 1}))
		one(t, e.Advance(int64(time.Minute)+2, nil), 2, true)
	})
}

func TestValueSum(t *testing.T) {
	t.Run("gt", func(t *testing.T) {
		e := New([]Spec{spec(ValueSum, 1, time.Hour, Bound{GT, 100})})
		none(t, run(e, ev{t: 1, num: 50}, ev{t: 2, num: 40}))
		one(t, run(e, ev{t: 3, num: 20}), 110, false)
	})
	t.Run("sliding", func(t *testing.T) {
		e := New([]Spec{spec(ValueSum, 1, 32*time.Second, Bound{GT, 100})})
		none(t, run(e, ev{t: 0, num: 60}, ev{t: 40 * sec, num: 60}))
		one(t, run(e, ev{t: 41 * sec, num: 60}), 120, false)
	})
	t.Run("lte at close", func(t *testing.T) {
		e := New([]Spec{spec(ValueSum, 1, time.Minute, Bound{LTE, 100})})
		none(t, run(e, ev{t: 1, num: 50}, ev{t: 2, num: 50}))
		one(t, e.Advance(int64(time.Minute)+2, nil), 100, true)
	})
}

func TestValueAvg(t *testing.T) {
	t.Run("gt", func(t *testing.T) {
		e := New([]Spec{spec(ValueAvg, 1, 24*time.Hour, Bound{GT, 500})})
		none(t, run(e, ev{t: 1, num: 400}))
		one(t, run(e, ev{t: 2, num: 700}), 550, false)
	})
	t.Run("eq at close", func(t *testing.T) {
		e := New([]Spec{spec(ValueAvg, 1, time.Minute, Bound{EQ, 10})})
		none(t, run(e, ev{t: 1, num: 5}, ev{t: 2, num: 15}))
		one(t, e.Advance(int64(time.Minute)+2, nil), 10, true)
	})
}

// The specification's value_percentile example read as rarity: a process
// name seen in at most 1% of a computer's processes.
func TestValueShare(t *testing.T) {
	e := New([]Spec{spec(ValueShare, 1, 24*time.Hour, Bound{LTE, 1})})
	for i := range 100 {
		none(t, run(e, ev{t: int64(i), val: "svchost.exe"}))
	}
	a := one(t, run(e, ev{t: 100, val: "evil.exe"}), 100.0/101, false)
	if a.End != 100 {
		t.Fatalf("end %d, want the event's time", a.End)
	}
	// The sample does not restart: a second rare value is still rare.
	one(t, run(e, ev{t: 101, val: "other.exe"}), 100.0/102, false)
}

func TestValueShareSampleBounded(t *testing.T) {
	e := New([]Spec{spec(ValueShare, 1, 24*time.Hour, Bound{LTE, 0.05})})
	for i := range 3000 {
		run(e, ev{t: int64(i), val: fmt.Sprint(i % 7)})
	}
	for _, g := range groupsOf(e, 0) {
		if n := len(g.agg.(*shareAgg).e); n != sampleSize {
			t.Fatalf("sample holds %d events, want %d", n, sampleSize)
		}
	}
	// 1 of 1024: 0.098% > 0.05%, so not rare enough.
	none(t, run(e, ev{t: 3000, val: "x"}))
}

func TestPercentile(t *testing.T) {
	t.Run("median gte", func(t *testing.T) {
		s := spec(Percentile, 1, time.Hour, Bound{GTE, 10})
		s.Percentile = 50
		e := New([]Spec{s})
		none(t, run(e, ev{t: 1, num: 1}, ev{t: 2, num: 20}))
		one(t, run(e, ev{t: 3, num: 30}), 20, false)
	})
	t.Run("p90 lt at close", func(t *testing.T) {
		s := spec(Percentile, 1, time.Minute, Bound{LT, 50})
		s.Percentile = 90
		e := New([]Spec{s})
		for i := range 10 {
			run(e, ev{t: int64(i), num: float64(10 * (i + 1))}) // 10..100
		}
		none(t, e.Advance(2*int64(time.Minute), nil)) // p90 = 90
		for i := range 10 {
			run(e, ev{t: 3*int64(time.Minute) + int64(i), num: float64(i)})
		}
		one(t, e.Advance(5*int64(time.Minute), nil), 8, true) // nearest rank: ceil(0.9*10) = 9th of 0..9
	})
}

func TestLargeCountUsesBuckets(t *testing.T) {
	e := New([]Spec{spec(EventCount, 1, time.Hour, Bound{GTE, 10000})})
	var out []Alert
	for i := range 10000 {
		out = append(out, run(e, ev{t: int64(i) * int64(time.Millisecond)})...)
	}
	one(t, out, 10000, false)
	for _, g := range groupsOf(e, 0) {
		if _, ok := g.agg.(*bucketAgg); !ok {
			t.Fatalf("aggregator %T, want buckets", g.agg)
		}
	}
}

func groupsOf(e *Engine, spec int) []*group {
	var out []*group
	for i := range e.specs[spec].shards {
		for _, g := range e.specs[spec].shards[i].groups {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		panic("groupsOf: no groups")
	}
	return out
}
