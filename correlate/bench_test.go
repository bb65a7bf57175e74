package correlate

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func benchGroups(n int, prefix string) [][]string {
	g := make([][]string, n)
	for i := range g {
		g[i] = []string{fmt.Sprintf("%s-host-%05d", prefix, i), "user"}
	}
	return g
}

// BenchmarkObserve is one update of an existing group of an event_count
// gte 10 correlation: the cost a base rule match adds.
func BenchmarkObserve(b *testing.B) {
	e := New([]Spec{countSpec(time.Hour, Bound{GTE, 10})})
	groups := benchGroups(1000, "g")
	t := int64(0)
	for _, g := range groups {
		t++
		e.Observe(Event{Group: g, Time: t}, nil)
	}
	out := make([]Alert, 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t++
		out = e.Observe(Event{Group: groups[i%len(groups)], Time: t}, out[:0])
	}
}

// TestObserveDoesNotAllocate pins the hot path (an existing group that does
// not fire, a value already seen) at zero allocations for every kind.
func TestObserveDoesNotAllocate(t *testing.T) {
	pct := spec(Percentile, 1, time.Hour, Bound{GTE, 1e9})
	pct.Percentile = 50
	for _, s := range []Spec{
		countSpec(time.Hour, Bound{GTE, 1000}),
		countSpec(time.Hour, Bound{LT, 5}),
		spec(ValueCount, 1, time.Hour, Bound{GTE, 1000}),
		spec(Temporal, 2, time.Hour),
		spec(TemporalOrdered, 2, time.Hour),
		spec(ValueSum, 1, time.Hour, Bound{GT, 1e18}),
		spec(ValueAvg, 1, time.Hour, Bound{LT, 0}),
		spec(ValueShare, 1, time.Hour, Bound{LTE, 1}),
		pct,
	} {
		e := New([]Spec{s})
		ev := Event{Group: []string{"host", "user"}, Time: 1, Value: []byte("v"), Number: 1, HasValue: true}
		e.Observe(ev, nil)
		allocs := testing.AllocsPerRun(500, func() {
			ev.Time++
			e.Observe(ev, nil)
		})
		if allocs != 0 {
			t.Errorf("%s: Observe on an existing group: %v allocs, want 0", s.Kind, allocs)
		}
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	e := New([]Spec{countSpec(time.Hour, Bound{GTE, 10})})
	var next atomic.Int64
	var clock atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		groups := benchGroups(1000, fmt.Sprint("w", next.Add(1)))
		out := make([]Alert, 0, 16)
		for i := 0; pb.Next(); i++ {
			out = e.Observe(Event{Group: groups[i%len(groups)], Time: clock.Add(1)}, out[:0])
		}
	})
}

// BenchmarkGroupsMemory measures the heap held by 100,000 groups, each
// fed 9 events (one short of firing gte 10: the most an unfired group of
// event_count_gte_10 keeps). Other kinds for comparison.
func BenchmarkGroupsMemory(b *testing.B) {
	const n = 100000
	groups := benchGroups(n, "m")
	cases := []struct {
		name string
		spec Spec
	}{
		{"event_count_gte_10", countSpec(time.Hour, Bound{GTE, 10})},
		{"event_count_lt_10", countSpec(time.Hour, Bound{LT, 10})},
		{"value_count_gte_10", spec(ValueCount, 1, time.Hour, Bound{GTE, 10})},
		{"temporal_3", spec(Temporal, 3, time.Hour)},
		{"value_sum_gt", spec(ValueSum, 1, time.Hour, Bound{GT, 1e9})},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.ReportMetric(groupsMemory(b, c.spec, groups), "bytes/group")
			}
		})
	}
}

func groupsMemory(b *testing.B, s Spec, groups [][]string) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e := New([]Spec{s})
	values := [][]byte{[]byte("alice"), []byte("bob"), []byte("carol")}
	for k := range 9 {
		for i, g := range groups {
			e.Observe(Event{Group: g, Time: int64(k*len(groups) + i), Ref: k % 2,
				Value: values[k%3], Number: 1, HasValue: true}, nil)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if c := e.Counters(); c.Groups != len(groups) || c.Fired != 0 {
		b.Fatalf("counters %+v", c)
	}
	runtime.KeepAlive(e)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(groups))
}
