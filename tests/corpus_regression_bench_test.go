package tests

import (
	"math/rand"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/mixgen"
)

// BenchmarkCorpusRegression runs the whole SigmaHQ corpus over a
// match-heavy stream: 1,000-event chunks cycling through all of
// SigmaHQ's regression events (every kind, in evtx JSON as
// regressionEvents reads them), shuffled once so that kinds interleave as
// in a real pipeline. Nearly every event matches, so this measures the
// full evaluation of candidate rules and the writing of matches into
// records, which the benign-heavy benchmarks barely exercise. It runs as
// BenchmarkCorpusRegression/regression, picked up by -bench 'BenchmarkCorpus/'.
func BenchmarkCorpusRegression(b *testing.B) {
	dir := benchSigmaHQ(b)
	f := corpusFilterB(b, dir)
	chunks := regressionChunks(b, dir, 16)
	b.Run("regression", func(b *testing.B) { benchChunks(b, f, chunks) })
}

// regressionChunks returns n chunks of 1,000 events taken in turn from
// the shuffled regression events, each chunk going on where the last
// stopped, so consecutive chunks differ.
func regressionChunks(b *testing.B, dir string, n int) [][]byte {
	events, _ := regressionEvents(b, dir, "")
	order := rand.New(rand.NewSource(1)).Perm(len(events))
	chunks := make([][]byte, n)
	next := 0
	for i := range chunks {
		for j := 0; j < 1000; j++ {
			chunks[i] = append(chunks[i], events[order[next%len(order)]]...)
			next++
		}
	}
	return chunks
}

// BenchmarkCorpusWorkers2 is the mixed and the regression stream through a
// filter with workers 2: each 1,000-event chunk is cut into runs of
// records that two goroutines filter (the other benchmarks filter on one).
// Its events/s are of elapsed time with two CPUs busy; with GOMAXPROCS=1
// the filter works on one and this measures the same as the others.
func BenchmarkCorpusWorkers2(b *testing.B) {
	dir := benchSigmaHQ(b)
	one := corpusFilterB(b, dir)
	f := filter.NewWithRules(filter.Config{Workers: 2}, one.Rules(), one.Report())
	b.Logf("workers: %d", f.Workers())
	mixed := mixedChunks(b, dir, mixgen.Flat, 16)
	b.Run("mixed", func(b *testing.B) { benchChunks(b, f, mixed) })
	regression := regressionChunks(b, dir, 16)
	b.Run("regression", func(b *testing.B) { benchChunks(b, f, regression) })
}
