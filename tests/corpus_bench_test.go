package tests

import (
	"bytes"
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
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/mixgen"
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

// mixedChunks returns chunks of 1,000 events of mixgen's stream in shape
// (seed 1), SigmaHQ's regression events mixed in at 1%: several chunks, so
// that caches keyed on what a chunk holds do not see the same one again
// at once.
func mixedChunks(tb testing.TB, dir string, shape mixgen.Shape, n int) [][]byte {
	reg, err := mixgen.ReadRegression(filepath.Join(dir, "regression_data"))
	if err != nil {
		tb.Fatal(err)
	}
	g := mixgen.New(mixgen.Options{Seed: 1, Regression: reg})
	chunks := make([][]byte, n)
	for i := range chunks {
		chunks[i] = g.AppendChunk(nil, 1000, shape)
	}
	return chunks
}

// BenchmarkCorpus runs the whole SigmaHQ corpus (rules, threat hunting,
// emerging threats) over 1,000-event chunks; one op is one chunk. mixed
// and mixed_evtx cycle through 16 chunks of internal/mixgen's realistic
// mix of Windows events, flat and in evtx JSON; the others repeat one
// chunk of one kind.
func BenchmarkCorpus(b *testing.B) {
	dir := benchSigmaHQ(b)
	f := corpusFilterB(b, dir)
	for _, kind := range []struct{ name, prefix string }{{"process_creation", "proc_creation_"}, {"image_load", "image_load_"}} {
		chunk := corpusChunk(b, dir, kind.prefix)
		b.Run(kind.name, func(b *testing.B) { benchChunks(b, f, [][]byte{chunk}) })
	}
	for _, mix := range []struct {
		name  string
		shape mixgen.Shape
	}{{"mixed", mixgen.Flat}, {"mixed_evtx", mixgen.Evtx}} {
		chunks := mixedChunks(b, dir, mix.shape, 16)
		b.Run(mix.name, func(b *testing.B) { benchChunks(b, f, chunks) })
	}
}

// benchChunks filters chunks of 1,000 events in turn, one per op.
func benchChunks(b *testing.B, f *filter.Filter, chunks [][]byte) {
	b.ReportAllocs()
	size := 0
	for _, c := range chunks {
		size += len(c)
	}
	b.SetBytes(int64(size / len(chunks)))
	out := make([]byte, 0, 2*size/len(chunks))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, _, _ = f.Process(out[:0], chunks[i%len(chunks)])
	}
	events := float64(b.N) * 1000
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
}

// TestMixedCorpusMatches measures how many of mixgen's generated events
// any SigmaHQ rule matches: benign values match almost nothing (a few
// percent at most, threat-hunting rules being noisy); more means the
// generator's values are unrealistic. The regression events mixed into
// the benchmark's stream must still match in both shapes.
func TestMixedCorpusMatches(t *testing.T) {
	dir := sigmaHQ(t)
	f := corpusFilter(t)
	g := mixgen.New(mixgen.Options{Seed: 1})
	var chunk []byte
	const n = 20000
	chunk = g.AppendChunk(chunk, n, mixgen.Flat)
	before := f.Counters()
	matched := matchedRecords(t, f, chunk)
	t.Logf("%d of %d generated events (%.2f%%) match a SigmaHQ rule", matched, n, 100*float64(matched)/n)
	for _, r := range f.Counters().Rules {
		if d := r.Count - countOf(before, r.Key()); d > 0 {
			t.Logf("  %d %s", d, r.Title)
		}
	}
	if matched > n*3/100 {
		t.Errorf("%d of %d generated events match: over 3%%, the generated values are not benign", matched, n)
	}

	reg, err := mixgen.ReadRegression(filepath.Join(dir, "regression_data"))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[mixgen.Shape]int{}
	for _, shape := range []mixgen.Shape{mixgen.Flat, mixgen.Evtx} {
		var chunk []byte
		for _, ev := range reg {
			chunk = fixture.Event(chunk, fixture.Time(ev.Time), nil, mixgen.Render(shape, ev))
		}
		counts[shape] = matchedRecords(t, f, chunk)
		t.Logf("%s: %d of %d regression events match", shape, counts[shape], len(reg))
	}
	if counts[mixgen.Flat] != counts[mixgen.Evtx] || counts[mixgen.Evtx] < len(reg)*9/10 {
		t.Errorf("regression events matched: %d flat, %d evtx, of %d; want the same, at least 90%%",
			counts[mixgen.Flat], counts[mixgen.Evtx], len(reg))
	}
}

// matchedRecords filters chunk and counts the records the filter marked.
func matchedRecords(t *testing.T, f *filter.Filter, chunk []byte) int {
	t.Helper()
	out, changed, err := f.Process(nil, chunk)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		return 0
	}
	key := msgpack.AppendStr(nil, filter.DefaultAddKey)
	matched := 0
	for off := 0; off < len(out); {
		end, err := msgpack.Skip(out, off)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out[off:end], key) {
			matched++
		}
		off = end
	}
	return matched
}

func countOf(c filter.Counters, key string) uint64 {
	for _, r := range c.Rules {
		if r.Key() == key {
			return r.Count
		}
	}
	return 0
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
