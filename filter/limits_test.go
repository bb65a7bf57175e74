package filter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// deepArray returns n nested msgpack arrays around a string.
func deepArray(n int) []byte {
	b := bytes.Repeat([]byte{0x91}, n)
	return msgpack.AppendStr(b, "bottom")
}

// deepMap returns n nested {"x": ...} maps around a string.
func deepMap(n int) []byte {
	b := bytes.Repeat([]byte{0x81, 0xa1, 'x'}, n)
	return msgpack.AppendStr(b, "bottom")
}

// rawMap encodes a map whose values are given as raw msgpack.
func rawMap(pairs ...any) []byte {
	b := msgpack.AppendMapHeader(nil, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		b = msgpack.AppendStr(b, pairs[i].(string))
		switch v := pairs[i+1].(type) {
		case []byte:
			b = append(b, v...)
		default:
			b = fixture.Encode(b, v)
		}
	}
	return b
}

func eventOf(body []byte) []byte {
	b := msgpack.AppendArrayHeader(nil, 2)
	b = fixture.Encode(b, []any{ts, fixture.Map{}})
	return append(b, body...)
}

// TestDeepNesting: records nested 100,000 levels deep pass through, the
// matching ones enriched with the deep value byte for byte, and neither
// the field walk, the keyword search, the text decoders nor enrichment
// recurse with the depth.
func TestDeepNesting(t *testing.T) {
	const depth = 100000
	kw := ruleFilter(t, Config{}, "title: k\nid: k\nlogsource: {product: windows}\ndetection:\n  keywords: ['bottom', 'keymapping.node']\n  condition: keywords\n")
	filters := map[string]*Filter{
		"default": newFilter(t, Config{}), "keywords": kw,
		"ecs": newFilter(t, Config{Format: FormatECS}),
	}
	hit := fixture.UnsignedNodeLoad(1)
	var hitPairs []any
	for _, kv := range hit {
		hitPairs = append(hitPairs, kv.K, kv.V)
	}
	cases := map[string]struct {
		body  []byte
		match map[string]bool
	}{
		"deep array beside the fields": {rawMap(append(hitPairs, "deep", deepArray(depth))...), map[string]bool{"default": true, "keywords": true, "ecs": true}},
		"deep map beside the fields":   {rawMap(append(hitPairs, "deep", deepMap(depth))...), map[string]bool{"default": true, "keywords": true, "ecs": true}},
		"deep map under EventData":     {rawMap("EventID", 7, "EventData", deepMap(depth)), map[string]bool{}},
		"deep map as rule":             {rawMap(append(hitPairs, "rule", deepMap(depth), "tags", deepArray(depth))...), map[string]bool{"default": true, "keywords": true, "ecs": true}},
		"deep JSON text":               {rawMap("log", strings.Repeat("[", depth)+strings.Repeat("]", depth)), map[string]bool{}},
		"deep JSON object text":        {rawMap("log", strings.Repeat(`{"a":`, depth)+"1"+strings.Repeat("}", depth)), map[string]bool{}},
		"deep XML text":                {rawMap("message", "<Event>"+strings.Repeat("<a>", depth)+strings.Repeat("</a>", depth)+"</Event>"), map[string]bool{}},
	}
	for name, tc := range cases {
		for fname, f := range filters {
			in := eventOf(tc.body)
			out, changed, err := f.Process(nil, in)
			if err != nil {
				t.Errorf("%s, %s: %v", name, fname, err)
				continue
			}
			if changed != tc.match[fname] {
				t.Errorf("%s, %s: matched=%v, want %v", name, fname, changed, tc.match[fname])
			}
			if !changed {
				continue
			}
			// The deep value is copied as it was.
			if !bytes.Contains(out, deepArray(1000)) && !bytes.Contains(out, deepMap(1000)) {
				t.Errorf("%s, %s: the deep value is not in the output", name, fname)
			}
			if end, err := msgpack.Skip(out, 0); err != nil || end != len(out) {
				t.Errorf("%s, %s: output is not one event: %v", name, fname, err)
			}
		}
	}
}

// TestLargeValues: a 64 MiB string passes through without being copied
// into the record's derived buffer, and text over the 1 MiB limit is left as text.
func TestLargeValues(t *testing.T) {
	f := newFilter(t, Config{})
	big := strings.Repeat("A", 64<<20)
	in := eventOf(rawMap("EventID", 7, "Message", big, "log", "{"+big))
	out, changed, err := f.Process(nil, in)
	if err != nil || changed || len(out) != 0 {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	hit := fixture.JSON(fixture.UnsignedNodeLoad(1))
	padded := hit[:len(hit)-1] + `,"pad":"` + strings.Repeat("x", maxText) + `"}`
	if _, changed, _ := f.Process(nil, eventOf(rawMap("log", padded))); changed {
		t.Error("a JSON text over the limit was decoded")
	}
	if _, changed, _ := f.Process(nil, eventOf(rawMap("log", hit))); !changed {
		t.Error("the same record under the limit did not match")
	}
}
