//go:build !race

package filter

import (
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// Records with arrays of maps are read without allocating once warm.
func TestArraysNoAllocations(t *testing.T) {
	f := ruleFilter(t, Config{}, multiRule)
	in := fixture.Event(nil, ts, nil, fixture.Map{{K: "resources", V: elements(8, "ARN", "arn:nope")}, {K: "tags", V: []any{"a", "b"}}})
	out := make([]byte, 0, 4*len(in))
	allocs := testing.AllocsPerRun(100, func() {
		out, _, _ = f.Process(out[:0], in)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per record", allocs)
	}
}
