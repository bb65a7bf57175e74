//go:build sigmatest

package main

import (
	"runtime/cgo"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// BenchmarkFilterCallback measures a 1,000-record chunk through the C
// callback, C->Go transition and handle lookup included, beside the same
// chunk through filter.Process directly: the difference is the boundary.
func BenchmarkFilterCallback(b *testing.B) {
	inst, err := newInstance(&recorder{}, "", props(nil))
	if err != nil {
		b.Fatal(err)
	}
	h := cgo.NewHandle(inst)
	defer h.Delete()
	for _, bc := range []struct {
		name       string
		matchEvery int
	}{{"nomatch", 0}, {"match1pct", 100}} {
		var chunk []byte
		for i := 0; i < 1000; i++ {
			body := fixture.BenignImageLoad(i)
			if bc.matchEvery > 0 && i%bc.matchEvery == 0 {
				body = fixture.UnsignedNodeLoad(i)
			}
			chunk = fixture.Event(chunk, fixture.Time(fixture.Epoch), nil, body)
		}
		b.Run(bc.name+"/cgo", func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				callFilter(uintptr(h), chunk)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/record")
		})
		b.Run(bc.name+"/direct", func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out, changed := inst.process(chunk)
				if changed {
					inst.release(out)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/record")
		})
	}
}
