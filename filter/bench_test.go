package filter

import (
	"context"
	"fmt"
	"os"
	"testing"
	"unsafe"

	sigma "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/fluent/fluent-bit-go/output"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
)

const benchRecords = 1000

// benchChunk returns 1,000 flat Sysmon Event ID 7 records of which every
// matchEvery-th matches the default rule (none when matchEvery is 0).
func benchChunk(matchEvery int) []byte {
	var chunk []byte
	for i := 0; i < benchRecords; i++ {
		body := fixture.BenignImageLoad(i)
		if matchEvery > 0 && i%matchEvery == 0 {
			body = fixture.UnsignedNodeLoad(i)
		}
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	return chunk
}

func reportPerRecord(b *testing.B) {
	records := float64(b.N) * benchRecords
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
}

// benchProcess runs f over chunk b.N times on one goroutine.
func benchProcess(b *testing.B, f *Filter, chunk []byte) {
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	out := make([]byte, 0, 2*len(chunk))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, _, _ = f.Process(out[:0], chunk)
	}
	reportPerRecord(b)
}

// BenchmarkProcess measures the filter on one 1,000-record chunk per op.
func BenchmarkProcess(b *testing.B) {
	for _, bc := range []struct {
		name       string
		matchEvery int
	}{{"nomatch", 0}, {"match1pct", 100}} {
		chunk := benchChunk(bc.matchEvery)
		f := newFilter(b, Config{})
		b.Run(bc.name, func(b *testing.B) { benchProcess(b, f, chunk) })
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				out := make([]byte, 0, 2*len(chunk))
				for pb.Next() {
					out, _, _ = f.Process(out[:0], chunk)
				}
			})
			reportPerRecord(b)
		})
	}
}

// BenchmarkReference runs the approach the filter replaces on the same
// chunks: fluent-bit-go's decoder into maps, then sigma-go's evaluator.
func BenchmarkReference(b *testing.B) {
	rule := defaultSigmaGoRule(b)
	for _, bc := range []struct {
		name       string
		matchEvery int
	}{{"nomatch", 0}, {"match1pct", 100}} {
		chunk := benchChunk(bc.matchEvery)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			ctx := context.Background()
			matched := 0
			for i := 0; i < b.N; i++ {
				dec := output.NewDecoder(unsafe.Pointer(&chunk[0]), len(chunk))
				for {
					ret, _, rec := output.GetRecord(dec)
					if ret != 0 {
						break
					}
					event := make(map[string]any, len(rec))
					for k, v := range rec {
						if s, ok := v.([]byte); ok {
							v = string(s)
						}
						event[fmt.Sprint(k)] = v
					}
					if res, _ := rule.Matches(ctx, event); res.Match {
						matched++
					}
				}
			}
			if bc.matchEvery > 0 && matched == 0 {
				b.Fatal("the reference matched nothing")
			}
			reportPerRecord(b)
		})
	}
}

func defaultSigmaGoRule(b *testing.B) *evaluator.RuleEvaluator {
	b.Helper()
	data, err := os.ReadFile("../rules/default/image_load_dll_unsigned_node_load.yml")
	if err != nil {
		b.Fatal(err)
	}
	r, err := sigma.ParseRule(data)
	if err != nil {
		b.Fatal(err)
	}
	return evaluator.ForRule(r)
}

// BenchmarkShapes measures the filter per record shape: the same 1,000
// Sysmon Event ID 7 records (1% matching) rendered as each transport ships
// them.
func BenchmarkShapes(b *testing.B) {
	f := newFilter(b, Config{})
	for _, sh := range fixture.Shapes {
		var chunk []byte
		for i := 0; i < benchRecords; i++ {
			rec := fixture.BenignImageLoad(i)
			if i%100 == 0 {
				rec = fixture.UnsignedNodeLoad(i)
			}
			chunk = fixture.Event(chunk, ts, nil, sh.Render(7, sysmon.Channel, sysmon.Provider, fixture.EventData(7, rec)))
		}
		b.Run(sh.Name, func(b *testing.B) { benchProcess(b, f, chunk) })
	}
}

// BenchmarkProcessWorkers: the default rule and a probe rule, with and
// without a correlation over the probe, over 1,000 flat Event ID 7
// records (1% matching), on one goroutine and cut for two. With rules
// this cheap the record walk is much of the work: with a correlation the
// first pass loads every record, and process only those that matched.
func BenchmarkProcessWorkers(b *testing.B) {
	chunk := benchChunk(100)
	for _, set := range []struct{ name, src string }{{"rules", defaultAndProbe}, {"correlation", corrRules}} {
		for _, workers := range []int{1, 2} {
			f := ruleFilter(b, Config{}, set.src)
			f.workers = workers // unlike the property, not capped at GOMAXPROCS
			b.Run(fmt.Sprintf("%s_workers%d", set.name, workers), func(b *testing.B) {
				b.ReportAllocs()
				out := make([]byte, 0, 2*len(chunk))
				for range b.N {
					out, _, _ = f.Process(out[:0], chunk)
				}
				reportPerRecord(b)
			})
		}
	}
}
