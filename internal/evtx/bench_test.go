package evtx_test

import (
	"bytes"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx/evtxtest"
)

// BenchmarkEvtx reads a file of 10,000 events of the sample layouts into
// events, reporting events/s.
func BenchmarkEvtx(b *testing.B) {
	const n = 10000
	file := evtxtest.Write(manyEvents(n))
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := evtx.Read(bytes.NewReader(file), func(evtx.Record) error { return nil })
		if err != nil || st.Events != n {
			b.Fatalf("%+v %v", st, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
