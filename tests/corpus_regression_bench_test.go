package tests

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
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

// BenchmarkCorpusWorkers is the mixed and the regression stream through
// filters with workers 2: each 1,000-event chunk is cut into runs of
// records that two goroutines filter (the other benchmarks filter on
// one). Its events/s are of elapsed time with two CPUs busy; with
// GOMAXPROCS=1 the filter works on one. With a correlation loaded the
// workers only find the matches, and one pass in order counts them and
// writes the records: regression_correlation runs it with one worker and
// with two.
func BenchmarkCorpusWorkers(b *testing.B) {
	dir := benchSigmaHQ(b)
	one := corpusFilterB(b, dir)
	f := filter.NewWithRules(filter.Config{Workers: 2}, one.Rules(), one.Report())
	b.Logf("workers: %d", f.Workers())
	mixed := mixedChunks(b, dir, mixgen.Flat, 16)
	b.Run("mixed_workers2", func(b *testing.B) { benchChunks(b, f, mixed) })
	regression := regressionChunks(b, dir, 16)
	b.Run("regression_workers2", func(b *testing.B) { benchChunks(b, f, regression) })
	for _, workers := range []int{1, 2} {
		corr := corpusWithCorrelation(b, dir, workers)
		b.Run(fmt.Sprintf("regression_correlation_workers%d", workers), func(b *testing.B) { benchChunks(b, corr, regression) })
	}
}

// corpusWithCorrelation is the whole SigmaHQ corpus and an event_count
// correlation over one of its rules that the regression events match
// often (curl.exe runs, per host).
func corpusWithCorrelation(b *testing.B, dir string, workers int) *filter.Filter {
	extra := b.TempDir()
	rule := `title: curl on one host
id: 7b0d3f64-3b7e-4c52-9b1e-6a0c2f1d9e01
correlation:
    type: event_count
    rules: [bbeaed61-1990-4773-bf57-b81dbad7db2d]
    group-by: [Computer]
    timespan: 1h
    condition: {gte: 5}
`
	if err := os.WriteFile(filepath.Join(extra, "corr.yml"), []byte(rule), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := filter.New(filter.Config{Workers: workers, RulePaths: []string{
		filepath.Join(dir, "rules"), filepath.Join(dir, "rules-threat-hunting"), filepath.Join(dir, "rules-emerging-threats"), extra,
	}})
	if err != nil {
		b.Fatal(err)
	}
	if len(f.Rules().Correlations()) != 1 || len(f.Rules().RuleUsers(ruleIndex(f, "bbeaed61-1990-4773-bf57-b81dbad7db2d"))) != 1 {
		b.Fatal("the correlation or the rule it counts did not load")
	}
	return f
}

// ruleIndex is the index of the rule id in f's set; -1 when not loaded.
func ruleIndex(f *filter.Filter, id string) int {
	for i, r := range f.Rules().Rules() {
		if r.ID == id {
			return i
		}
	}
	return -1
}
