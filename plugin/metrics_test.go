package main

import (
	"testing"
	"time"
)

// BenchmarkMetricsNotDue is what metrics cost a filter call between two
// pushes: the check housekeeping makes after each chunk.
func BenchmarkMetricsNotDue(b *testing.B) {
	m := &metrics{}
	m.due.Store(time.Now().Add(time.Hour).UnixNano())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.maybePush(nil)
	}
}
