package filter

import (
	"fmt"
	"testing"
)

// TestKeyTable looks up every key of a table, where many keys share
// their length and both ends (told apart only in the middle) or are
// shorter than 8 bytes, and keys that are not there.
func TestKeyTable(t *testing.T) {
	var edges []*keyEdge
	for i := range 300 {
		edges = append(edges, &keyEdge{name: fmt.Sprintf("ParentProcess%03dGuid", i)})
	}
	for _, name := range []string{"", "a", "Image", "User", "Hashes", "ProcessId"} {
		edges = append(edges, &keyEdge{name: name})
	}
	table := newKeyTable(edges)
	for _, e := range edges {
		if got := table.lookup([]byte(e.name)); got != e {
			t.Errorf("lookup(%q) = %v, want its edge", e.name, got)
		}
	}
	for _, key := range []string{"ParentProcess300Guid", "ParentProcess01Guid", "image", "Use", "b", "ProcessID"} {
		if got := table.lookup([]byte(key)); got != nil {
			t.Errorf("lookup(%q) = edge %q, want none", key, got.name)
		}
	}
	var empty keyTable
	if empty.lookup([]byte("Image")) != nil {
		t.Error("an empty table finds a key")
	}
}
