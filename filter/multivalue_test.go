package filter

import (
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

const multiRule = `title: multi
id: 6a1f3c52-0000-4000-8000-000000000001
logsource: {product: test}
detection:
  sel:
    resources.ARN: 'arn:hit'
  tag:
    tags: hit
  condition: sel or tag
`

// elements returns n maps {key: "arn:other"} with the last one's value hit.
func elements(n int, key string, hit any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fixture.Map{{K: key, V: "arn:other"}}
	}
	out[n-1] = fixture.Map{{K: key, V: hit}}
	return out
}

// The bounds of multi-valued fields: an array's first maxArrayElements
// elements are seen, the rest are not.
func TestArrayBounds(t *testing.T) {
	f := ruleFilter(t, Config{}, multiRule)
	for _, tc := range []struct {
		name string
		body fixture.Map
		want bool
	}{
		{"last map within the bound", fixture.Map{{K: "resources", V: elements(maxArrayElements, "ARN", "arn:hit")}}, true},
		{"map past the bound", fixture.Map{{K: "resources", V: elements(maxArrayElements+1, "ARN", "arn:hit")}}, false},
		{"array inside an array of maps", fixture.Map{{K: "resources", V: []any{fixture.Map{{K: "ARN", V: []any{"x", "arn:hit"}}}}}}, true},
		{"array of arrays is not entered", fixture.Map{{K: "resources", V: []any{[]any{fixture.Map{{K: "ARN", V: "arn:hit"}}}}}}, false},
		{"scalar past the bound", fixture.Map{{K: "tags", V: append(make([]any, maxArrayElements), "hit")}}, false},
		{"scalar within the bound", fixture.Map{{K: "tags", V: append(make([]any, maxArrayElements-1), "hit")}}, true},
		{"value outside and inside an array", fixture.Map{{K: "resources", V: fixture.Map{{K: "ARN", V: "arn:hit"}}}}, true},
	} {
		if got := matches(t, f, tc.body); got != tc.want {
			t.Errorf("%s: matched %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestEmptyListsAndNull: an empty unnamed Data list is an absent Data, in
// every form; an array is present for neq: null, even empty or of nulls.
func TestEmptyListsAndNull(t *testing.T) {
	rule := func(sel string) *Filter {
		return ruleFilter(t, Config{}, "title: t\nid: t\nlogsource: {product: windows}\ndetection:\n  sel: {"+sel+"}\n  condition: sel\n")
	}
	isNull, notNull := rule("Data: null"), rule("tags|neq: null")
	for name, tc := range map[string]struct {
		f    *Filter
		body fixture.Map
		want bool
	}{
		"Data: []":            {isNull, fixture.Map{{K: "Channel", V: "Application"}, {K: "EventID", V: 1}, {K: "Data", V: []any{}}}, true},
		"Data: {#text: []}":   {isNull, fixture.Map{{K: "Channel", V: "Application"}, {K: "EventID", V: 1}, {K: "Data", V: fixture.Map{{K: "#text", V: []any{}}}}}, true},
		"Data: [x]":           {isNull, fixture.Map{{K: "Channel", V: "Application"}, {K: "EventID", V: 1}, {K: "Data", V: []any{"x"}}}, false},
		"tags: [] neq null":   {notNull, fixture.Map{{K: "tags", V: []any{}}}, true},
		"tags: [nil]":         {notNull, fixture.Map{{K: "tags", V: []any{nil}}}, true},
		"no tags, neq null":   {notNull, fixture.Map{{K: "other", V: 1}}, false},
		"tags: null neq null": {notNull, fixture.Map{{K: "tags", V: nil}}, false},
	} {
		if got := matches(t, tc.f, tc.body); got != tc.want {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
}
