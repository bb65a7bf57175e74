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
// not fire) at zero allocations.
func TestObserveDoesNotAllocate(t *testing.T) {
	e := New([]Spec{countSpec(time.Hour, Bound{GTE, 1000})})
	g := []string{"host", "user"}
	e.Observe(Event{Group: g, Time: 1}, nil)
	now := int64(1)
	allocs := testing.AllocsPerRun(500, func() {
		now++
		e.Observe(Event{Group: g, Time: now}, nil)
	})
	if allocs != 0 {
		t.Fatalf("Observe on an existing group: %v allocs, want 0", allocs)
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

// BenchmarkGroupsMemory measures the heap held by 100,000 groups of an
// event_count gte 10 correlation, each holding 9 events (one short of
// firing: the most an unfired group keeps).
func BenchmarkGroupsMemory(b *testing.B) {
	const n = 100000
	groups := benchGroups(n, "m")
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := New([]Spec{countSpec(time.Hour, Bound{GTE, 10})})
		for k := range 9 {
			for i, g := range groups {
				e.Observe(Event{Group: g, Time: int64(k*n + i)}, nil)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if c := e.Counters(); c.Groups != n || c.Fired != 0 {
			b.Fatalf("counters %+v", c)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/group")
		runtime.KeepAlive(e)
	}
}
