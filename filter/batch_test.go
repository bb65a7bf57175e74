package filter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

const probeRule = `title: probe
id: 00000000-0000-4000-8000-0000000000c1
detection: {sel: {probe: x}, condition: sel}
`

// recordsOf returns the events of chunk: each one's header bytes (the
// event's array and [timestamp, metadata]) and its body's pairs, in order.
func recordsOf(t *testing.T, chunk []byte) (headers [][]byte, bodies []fixture.Map) {
	t.Helper()
	for off := 0; off < len(chunk); {
		ev, err := nextEvent(chunk, off)
		if err != nil {
			t.Fatalf("output not well-formed at %d: %v", off, err)
		}
		headers = append(headers, chunk[ev.start:ev.body])
		bodies = append(bodies, decodeOrdered(t, chunk, ev.body))
		off = ev.end
	}
	return headers, bodies
}

// keysOf lists the keys of m in order, joined with commas.
func keysOf(m fixture.Map) string {
	var k []string
	for _, kv := range m {
		k = append(k, kv.K)
	}
	return strings.Join(k, ",")
}

// TestBatchSplit: a record whose batch_key holds an array of maps becomes
// a record per element, in order, each with the batch record's header,
// the element's pairs, then the batch record's other pairs the element
// lacks; the rules run on each, and records around it pass as they were.
func TestBatchSplit(t *testing.T) {
	f := ruleFilter(t, Config{BatchKeys: []string{"records", "Records"}}, probeRule)
	meta := fixture.Map{{K: "tag", V: "hub"}}
	text := strings.Repeat("event text ", 5)
	batch := fixture.Map{
		{K: "logGroup", V: "/aws/x"},
		{K: "records", V: []any{
			fixture.Map{{K: "a", V: 1}, {K: "m", V: text}},
			fixture.Map{{K: "probe", V: "x"}, {K: "logGroup", V: "own"}, {K: "m", V: text}},
			fixture.Map{{K: "b", V: "y"}, {K: "m", V: text}},
		}},
		{K: "owner", V: "123"},
	}
	before := fixture.Map{{K: "msg", V: "before"}}
	in := fixture.Event(nil, ts, nil, before)
	in = fixture.Event(in, ts, meta, batch)
	in = fixture.Event(in, ts, nil, fixture.Map{{K: "msg", V: "after"}})

	out, changed, err := f.Process(nil, in)
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	headers, bodies := recordsOf(t, out)
	if len(bodies) != 5 {
		t.Fatalf("%d records out, want 5 (before, the 3 elements, after)", len(bodies))
	}
	inHeaders, _ := recordsOf(t, in)
	for i := 1; i <= 3; i++ {
		if !bytes.Equal(headers[i], inHeaders[1]) {
			t.Errorf("element %d: header %x, want the batch record's %x", i, headers[i], inHeaders[1])
		}
	}
	for i, want := range []string{"msg", "a,m,logGroup,owner", "probe,logGroup,m,owner,sigma", "b,m,logGroup,owner", "msg"} {
		if got := keysOf(bodies[i]); got != want {
			t.Errorf("record %d: keys %s, want %s", i, got, want)
		}
	}
	if v, _ := bodies[2].Get("logGroup"); !bytes.Equal(v.([]byte), msgpack.AppendStr(nil, "own")) {
		t.Errorf("the element's own logGroup was replaced: %x", v)
	}
	if v, _ := bodies[1].Get("logGroup"); !bytes.Equal(v.([]byte), msgpack.AppendStr(nil, "/aws/x")) {
		t.Errorf("logGroup of the batch record: %x", v)
	}
	first := fixture.Event(nil, ts, nil, before)
	last := fixture.Event(nil, ts, nil, fixture.Map{{K: "msg", V: "after"}})
	if !bytes.HasPrefix(out, first) || !bytes.HasSuffix(out, last) {
		t.Error("the records around the batch changed")
	}
}

// TestBatchSplitBound: a batch splits while its records take at most
// twice its bytes plus splitSlack, its header and other pairs repeated
// for every element; past that (a large envelope around small elements)
// it stays whole.
func TestBatchSplitBound(t *testing.T) {
	f := ruleFilter(t, Config{BatchKeys: []string{"logEvents"}}, probeRule)
	elements := func(n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = fixture.Map{{K: "a", V: i}}
		}
		return l
	}
	small := fixture.Event(nil, ts, nil, fixture.Map{{K: "context", V: strings.Repeat("c", 200)}, {K: "logEvents", V: elements(2)}})
	out, changed, err := f.Process(nil, small)
	if _, bodies := recordsOf(t, out); err != nil || !changed || len(bodies) != 2 || keysOf(bodies[1]) != "a,context" {
		t.Errorf("a small envelope: changed %v, err %v, %v; want 2 records, each with the context", changed, err, bodies)
	}
	large := fixture.Event(nil, ts, nil, fixture.Map{{K: "context", V: strings.Repeat("c", 8<<10)}, {K: "logEvents", V: elements(100)}})
	if out, changed, err := f.Process(nil, large); err != nil || changed {
		t.Errorf("8 KiB of context around 100 small elements: changed %v (%d bytes out of %d), err %v; want the record whole",
			changed, len(out), len(large), err)
	}
	meta := fixture.Map{{K: "m", V: strings.Repeat("x", 4<<10)}}
	if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, meta, fixture.Map{{K: "logEvents", V: elements(100)}})); changed {
		t.Error("4 KiB of metadata repeated for 100 small elements: split")
	}
}

// TestBatchKeysByText: an element's key counts as the batch record's
// however each encodes it (str8 or fixstr), so the element's value is
// kept and the key is not written twice.
func TestBatchKeysByText(t *testing.T) {
	f := ruleFilter(t, Config{BatchKeys: []string{"records"}}, probeRule)
	body := msgpack.AppendMapHeader(nil, 2)
	body = append(body, msgpack.Str8, 5)
	body = append(body, "probe"...)
	body = msgpack.AppendStr(body, "envelope")
	body = msgpack.AppendStr(body, "records")
	body = fixture.Encode(body, []any{fixture.Map{{K: "probe", V: "x"}, {K: "pad", V: strings.Repeat("p", 40)}}})
	in := msgpack.AppendArrayHeader(nil, 2)
	in = fixture.Encode(in, []any{ts, fixture.Map{}})
	in = append(in, body...)
	out, changed, err := f.Process(nil, in)
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v: want the element split and matched", changed, err)
	}
	if _, bodies := recordsOf(t, out); len(bodies) != 1 || keysOf(bodies[0]) != "probe,pad,sigma" {
		t.Errorf("got %v, want the element's probe alone, then sigma", bodies)
	}
}

// TestBatchNotSplit: a batch key whose value is not an array of 1 to
// maxBatch maps leaves the record whole, as does a record without one,
// or a filter without batch_key; an element's own batch stays whole.
func TestBatchNotSplit(t *testing.T) {
	f := ruleFilter(t, Config{BatchKeys: []string{"records"}}, probeRule)
	long := make([]any, maxBatch+1)
	for i := range long {
		long[i] = fixture.Map{}
	}
	for name, body := range map[string]fixture.Map{
		"not an array":       {{K: "records", V: "x"}, {K: "probe", V: "y"}},
		"an empty array":     {{K: "records", V: []any{}}},
		"an element no map":  {{K: "records", V: []any{fixture.Map{{K: "a", V: 1}}, "x"}}},
		"another key":        {{K: "Records", V: []any{fixture.Map{{K: "a", V: 1}}}}},
		"more than maxBatch": {{K: "records", V: long}},
	} {
		in := fixture.Event(nil, ts, nil, body)
		out, changed, err := f.Process(nil, in)
		if err != nil || changed {
			t.Errorf("%s: changed %v (%d bytes), err %v; want the record passed as it is", name, changed, len(out), err)
		}
	}
	nested := fixture.Event(nil, ts, nil, fixture.Map{{K: "records", V: []any{
		fixture.Map{{K: "records", V: []any{fixture.Map{{K: "a", V: 1}}, fixture.Map{{K: "a", V: 2}}}}}}}})
	out, _, _ := f.Process(nil, nested)
	if _, bodies := recordsOf(t, out); len(bodies) != 1 || keysOf(bodies[0]) != "records" {
		t.Errorf("an element's batch: %v, want one record holding it", bodies)
	}
	plain := ruleFilter(t, Config{}, probeRule)
	in := fixture.Event(nil, ts, nil, fixture.Map{{K: "records", V: []any{fixture.Map{{K: "probe", V: "x"}}}}})
	if _, changed, _ := plain.Process(nil, in); changed {
		t.Error("split without batch_key")
	}
}

// TestBatchMatchOnlyAndCounts: with match_only only the matching elements
// come out, and each element counts as a record.
func TestBatchMatchOnlyAndCounts(t *testing.T) {
	f := ruleFilter(t, Config{BatchKeys: []string{"records"}, MatchOnly: true}, probeRule)
	in := fixture.Event(nil, ts, nil, fixture.Map{{K: "records", V: []any{
		fixture.Map{{K: "probe", V: "no"}}, fixture.Map{{K: "probe", V: "x"}}, fixture.Map{{K: "probe", V: "X"}}}}})
	out, _, err := f.Process(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, bodies := recordsOf(t, out); len(bodies) != 2 {
		t.Errorf("%d records out, want the 2 matching elements", len(bodies))
	}
	if c := f.Counters(); c.Records != 3 || c.Matched != 2 || c.Dropped != 1 {
		t.Errorf("counts %+v, want 3 records, 2 matched, 1 dropped", c)
	}
}

// expectedSplit reads the batch record body b as the test understands
// batch_key: the first pair under key whose value is an array of 1 to
// maxBatch maps. It returns, per element, the pairs its record must hold
// as a map: the element's pairs, then the record's other pairs whose keys,
// as text, the element lacks.
func expectedSplit(t *testing.T, b []byte, key string) [][]byte {
	n, p, err := msgpack.ReadMapHeader(b, 0)
	if err != nil {
		t.Fatalf("batch body: %v", err)
	}
	type pair struct {
		id  string
		raw []byte
	}
	var others []pair
	var elems [][]byte
	found := false
	for range n {
		id, value, end := pairID(b, p)
		if !found && id == "s"+key {
			if l, ok := mapsOf(b, value); ok {
				elems, found = l, true
				p = end
				continue
			}
		}
		others = append(others, pair{id, b[p:end]})
		p = end
	}
	var want [][]byte
	for _, el := range elems {
		m, q, _ := msgpack.ReadMapHeader(el, 0)
		has := map[string]bool{}
		var out []byte
		count := m
		for range m {
			id, _, end := pairID(el, q)
			has[id] = true
			out = append(out, el[q:end]...)
			q = end
		}
		for _, o := range others {
			if !has[o.id] {
				out = append(out, o.raw...)
				count++
			}
		}
		want = append(want, append(msgpack.AppendMapHeader(nil, count), out...))
	}
	return want
}

// pairID returns the identity of the key of the pair at b[p:] (a
// string's text, another key's bytes), where its value begins and where
// the pair ends.
func pairID(b []byte, p int) (id string, value, end int) {
	k, isStr, value, end := pairAt(b, p)
	if isStr {
		return "s" + string(k), value, end
	}
	return "r" + string(b[p:value]), value, end
}

// mapsOf returns the elements of the array at b[p:] when it holds 1 to
// maxBatch maps.
func mapsOf(b []byte, p int) ([][]byte, bool) {
	n, q, err := msgpack.ReadArrayHeader(b, p)
	if err != nil || n < 1 || n > maxBatch {
		return nil, false
	}
	var out [][]byte
	for range n {
		end, err := msgpack.Skip(b, q)
		if err != nil || !msgpack.IsMap(b[q]) {
			return nil, false
		}
		out = append(out, b[q:end])
		q = end
	}
	return out, true
}

// FuzzBatch feeds arbitrary chunks to a filter that splits batches: no
// panic, the unparsable tail passed through as it came, and exactly the
// events expected: each event of the input as one, or, for a batch, as
// many records as Split makes of it, each with the batch's header and a
// body that is one whole map.
func FuzzBatch(f *testing.F) {
	f.Add(fixture.Event(nil, ts, fixture.Map{{K: "m", V: 1}}, fixture.Map{{K: "owner", V: "1"}, {K: "records", V: []any{
		fixture.UnsignedNodeLoad(1), fixture.Map{{K: "probe", V: "x"}, {K: "owner", V: "2"}}}}}))
	f.Add(fixture.Event(nil, ts, nil, fixture.Map{{K: "records", V: []any{fixture.Map{{K: "records", V: []any{fixture.Map{}}}}}}}))
	f.Add(fixture.LegacyEvent(nil, 1.5, fixture.Map{{K: "records", V: []any{fixture.Map{{K: "a", V: 1}}}}, {K: "x", V: []any{1}}}))
	filt := ruleFilter(f, Config{BatchKeys: []string{"records"}}, probeRule)
	f.Fuzz(func(t *testing.T, chunk []byte) {
		out, changed, _ := filt.Process(nil, chunk)
		if !changed {
			out = chunk
		}
		in, tail := splitEvents(chunk)
		got, gotTail := splitEvents(out)
		if !bytes.Equal(tail, gotTail) {
			t.Fatalf("tail changed: %x -> %x", tail, gotTail)
		}
		k := 0
		for i, e := range in {
			split, ok := filt.Split(nil, e.raw)
			if !ok {
				k++
				continue
			}
			parts, rest := splitEvents(split)
			if len(rest) > 0 {
				t.Fatalf("event %d: Split made bytes that are no event: %x", i, rest)
			}
			want := expectedSplit(t, e.raw[len(e.header):], "records")
			if len(want) != len(parts) {
				t.Fatalf("event %d: Split made %d records, the input's batch holds %d elements", i, len(parts), len(want))
			}
			written := filt.writtenKeys()
			for j := range parts {
				if k+j >= len(got) {
					t.Fatalf("event %d: %d records out, want %d", i, len(got)-k, len(parts))
				}
				g := got[k+j]
				if g.kind != recordEvent || !bytes.Equal(g.header, e.header) {
					t.Fatalf("event %d, element %d: kind %d, header %x; want a record with the batch's header %x", i, j, g.kind, g.header, e.header)
				}
				body, wantBody := pairsExcept(t, g.raw[len(g.header):], written), pairsExcept(t, want[j], written)
				if !bytes.Equal(body, wantBody) {
					t.Fatalf("event %d, element %d: pairs %x, want %x (the format's keys aside)", i, j, body, wantBody)
				}
			}
			k += len(parts)
		}
		if k != len(got) {
			t.Fatalf("%d events out, want %d", len(got), k)
		}
	})
}
