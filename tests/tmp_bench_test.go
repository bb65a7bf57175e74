package tests

import (
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

func BenchmarkTmpBenign(b *testing.B) {
	f := corpusFilterB(b, benchSigmaHQ(b))
	var chunk []byte
	for i := 0; i < 1000; i++ {
		chunk = fixture.Event(chunk, fixture.Time(fixture.Epoch), nil, fixture.BenignImageLoad(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Process(nil, chunk)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
}
