package tests

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	sigma "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

func benchSigmaHQ(b *testing.B) string {
	dir := os.Getenv("SIGMAHQ")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "sigmahq")
	}
	if _, err := os.Stat(filepath.Join(dir, "rules")); err != nil {
		b.Skipf("SigmaHQ data not found at %s (set SIGMAHQ)", dir)
	}
	return dir
}

// regressionEvents returns SigmaHQ's regression events whose directory
// name starts with prefix (proc_creation_, image_load_, ...), each as one
// chunk event, and their evtx JSON.
func regressionEvents(b *testing.B, dir, prefix string) (events [][]byte, raw [][]byte) {
	filepath.WalkDir(filepath.Join(dir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".json") || !strings.HasPrefix(filepath.Base(filepath.Dir(path)), prefix) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		chunk, _, err := textevent.ReadEvents(strings.NewReader(string(data)), time.Unix(1764067327, 0))
		if err != nil {
			return err
		}
		for off := 0; off < len(chunk); {
			end, err := msgpack.Skip(chunk, off)
			if err != nil {
				return err
			}
			events = append(events, chunk[off:end])
			off = end
		}
		raw = append(raw, data)
		return nil
	})
	if len(events) == 0 {
		b.Fatalf("no regression events for %s", prefix)
	}
	return events, raw
}

// corpusChunk is 1,000 events: the regression events of prefix, and
// generated benign flat Sysmon events of the same kind for the rest (what
// a pipeline mostly carries).
func corpusChunk(b *testing.B, dir, prefix string) []byte {
	events, _ := regressionEvents(b, dir, prefix)
	var chunk []byte
	for _, e := range events {
		chunk = append(chunk, e...)
	}
	ts := fixture.Time(fixture.Epoch)
	for i := len(events); i < 1000; i++ {
		body := fixture.BenignImageLoad(i)
		if prefix == "proc_creation_" {
			body = fixture.BenignProcessCreation(i)
		}
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	return chunk
}

// BenchmarkCorpus runs the whole SigmaHQ corpus (rules, threat hunting,
// emerging threats) over 1,000-event chunks; one op is one chunk.
func BenchmarkCorpus(b *testing.B) {
	dir := benchSigmaHQ(b)
	f := corpusFilterB(b, dir)
	for _, kind := range []struct{ name, prefix string }{{"process_creation", "proc_creation_"}, {"image_load", "image_load_"}} {
		chunk := corpusChunk(b, dir, kind.prefix)
		b.Run(kind.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(chunk)))
			out := make([]byte, 0, 2*len(chunk))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, _, _ = f.Process(out[:0], chunk)
			}
			events := float64(b.N) * 1000
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
		})
	}
}

// BenchmarkCorpusReference evaluates every rule sigma-go parses with its
// own evaluator, over the same regression events (flattened to maps): the
// approach the filter replaces. One op is one event.
func BenchmarkCorpusReference(b *testing.B) {
	dir := benchSigmaHQ(b)
	var evals []*evaluator.RuleEvaluator
	eachRuleFile(dir, func(path string, data []byte) {
		if r, err := sigma.ParseRule(data); err == nil && len(r.Detection.Conditions) > 0 {
			evals = append(evals, evaluator.ForRule(r))
		}
	})
	_, raw := regressionEvents(b, dir, "proc_creation_")
	var events []map[string]interface{}
	for _, data := range raw {
		if flat, err := flattenEvtx(data); err == nil {
			ev := map[string]interface{}{}
			for k, v := range flat {
				ev[k] = v
			}
			events = append(events, ev)
		}
	}
	ctx := context.Background()
	b.Logf("%d sigma-go rules, %d events", len(evals), len(events))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := events[i%len(events)]
		for _, e := range evals {
			func() {
				defer func() { recover() }() // sigma-go panics on some rules
				e.Matches(ctx, ev)
			}()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCorpusLoad loads the whole corpus; reports the heap it keeps.
func BenchmarkCorpusLoad(b *testing.B) {
	dir := benchSigmaHQ(b)
	paths := []string{filepath.Join(dir, "rules"), filepath.Join(dir, "rules-threat-hunting"), filepath.Join(dir, "rules-emerging-threats")}
	var keep *filter.Filter
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := filter.New(filter.Config{RulePaths: paths})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		keep = f
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-heap")
	}
	b.ReportMetric(float64(keep.Rules().Len()), "rules")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
}
