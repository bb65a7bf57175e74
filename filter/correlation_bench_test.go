package filter

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// benchCorrelations are ten correlations of every type over the default
// rule, generating its matches, so that a record's output is the same
// with them as without and the difference is the correlation work.
var benchCorrelations = []string{
	"type: event_count\n  group-by: [Hostname]\n  timespan: 1h\n  condition: {gte: 100000}",
	"type: event_count\n  group-by: [Image]\n  timespan: 10m\n  condition: {lt: 3}",
	"type: value_count\n  group-by: [Hostname]\n  timespan: 1h\n  condition: {field: ImageLoaded, gte: 50}",
	"type: value_count\n  group-by: [Image, Hostname]\n  timespan: 1h\n  condition: {field: UserID, gt: 5}",
	"type: temporal\n  group-by: [Hostname]\n  timespan: 5m\n  condition: {gte: 2}",
	"type: temporal_ordered\n  group-by: [ProcessGuid]\n  timespan: 5m\n  condition: {gte: 2}",
	"type: value_sum\n  group-by: [Hostname]\n  timespan: 1h\n  condition: {field: ProcessId, gt: 1000000000000}",
	"type: value_avg\n  group-by: [Image]\n  timespan: 1h\n  condition: {field: ProcessId, lt: 0}",
	"type: value_percentile\n  group-by: [Hostname]\n  timespan: 24h\n  condition: {field: Image, lte: 0.001}",
	"type: event_count\n  group-by: [ProcessGuid]\n  timespan: 1m\n  condition: {gte: 1000}",
}

func correlationBenchSet(b *testing.B, with bool) *Filter {
	base, err := os.ReadFile("../rules/default/image_load_dll_unsigned_node_load.yml")
	if err != nil {
		b.Fatal(err)
	}
	src := string(base)
	if with {
		src = strings.Replace(src, "title:", "name: node_load\ntitle:", 1)
		for i, c := range benchCorrelations {
			src += fmt.Sprintf("---\ntitle: c%d\nid: c%d\ncorrelation:\n  rules: [node_load]\n  generate: true\n  %s\n", i, i, c)
		}
	}
	set, report, err := rules.Compile([]rules.Source{{Name: "bench.yml", Data: []byte(src)}}, rules.Options{})
	if err != nil || len(report.Skipped) > 0 {
		b.Fatalf("%v %v", err, report.Skipped)
	}
	if with && len(set.Correlations()) != len(benchCorrelations) {
		b.Fatalf("%d correlations loaded", len(set.Correlations()))
	}
	return NewWithRules(Config{}, set, report)
}

// BenchmarkCorrelations: the image-load stream with 1% matches, without
// correlations and with ten of every type over the matching rule.
func BenchmarkCorrelations(b *testing.B) {
	chunk := benchChunk(100)
	for _, with := range []bool{false, true} {
		name := "without"
		if with {
			name = "with10"
		}
		f := correlationBenchSet(b, with)
		b.Run(name, func(b *testing.B) { benchProcess(b, f, chunk) })
	}
}
