package filter

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// FuzzProcess feeds arbitrary chunks to the filter: it must not panic, and
// whatever it returns must hold every event it was given, in order, each
// byte for byte unless it matched (then only the added key differs), with
// any unparsable tail passed through as it came.
func FuzzProcess(f *testing.F) {
	f.Add(fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1)))
	f.Add(fixture.Event(fixture.Event(nil, ts, nil, fixture.BenignImageLoad(1)), -1, nil, fixture.Map{}))
	f.Add(fixture.Event(fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(4)), ts, nil, fixture.Map{{K: "Signed", V: "false"}}))
	f.Add(fixture.LegacyEvent(nil, 1.5, fixture.UnsignedNodeLoad(2).With("sigma", 1)))
	f.Add([]byte{0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x81, 0xa1, 'a', 0xc1})
	f.Add(fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(3).With("rule", fixture.Map{{K: "name", V: "x"}}).With("tags", "t")))
	// A record an EventBridge envelope carries (loadDetail).
	f.Add(fixture.Event(nil, ts, nil, fixture.Map{{K: "detail-type", V: "AWS API Call via CloudTrail"}, {K: "detail", V: fixture.UnsignedNodeLoad(5)}}))
	filters := []*Filter{newFilter(f, Config{}), newFilter(f, Config{Format: FormatECS, TagKey: "m"}), newFilter(f, Config{Format: FormatFlat})}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		for _, filt := range filters {
			checkProcess(t, filt, chunk)
		}
	})
}

// checkProcess runs chunk through filt and checks FuzzProcess's
// invariants; every record out must also decode, and come out as it does
// from a chunk of its own (nothing of a record carries over to the next).
func checkProcess(t *testing.T, filt *Filter, chunk []byte) {
	out, changed, err := filt.Process(nil, chunk)
	if !changed {
		out = chunk
	}
	in, tail := splitEvents(chunk)
	got, gotTail := splitEvents(out)
	checkAlone(t, filt, in, got)
	if !changed {
		return
	}
	if err == nil && len(tail) > 0 {
		t.Fatalf("input had an unparsable tail but no error")
	}
	if !bytes.Equal(tail, gotTail) {
		t.Fatalf("tail changed: %x -> %x", tail, gotTail)
	}
	if len(got) != len(in) {
		t.Fatalf("got %d events, want %d", len(got), len(in))
	}
	for i := range in {
		if bytes.Equal(in[i].raw, got[i].raw) {
			continue
		}
		if in[i].kind != recordEvent || !bytes.Equal(in[i].header, got[i].header) {
			t.Fatalf("event %d changed but was not a record, or its header changed", i)
		}
		if _, err := msgpack.Skip(got[i].raw, 0); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		// The same record plus the format's keys: every other pair as it
		// was, in its order.
		written := filt.writtenKeys()
		before := pairsExcept(t, in[i].raw[len(in[i].header):], written)
		after := pairsExcept(t, got[i].raw[len(got[i].header):], written)
		if !bytes.Equal(before, after) {
			t.Fatalf("event %d: pairs other than %v changed", i, written)
		}
	}
}

// checkAlone checks that each record of in, filtered in a chunk of its
// own, comes out as got (the chunk's output) has it. The records go in
// reverse order, so a record follows another one than in the chunk: the
// filter's scratch outlives a call, and whatever a record left in it
// would otherwise be the same in both runs.
func checkAlone(t *testing.T, filt *Filter, in, got []rawEvent) {
	if len(got) != len(in) {
		return // checkProcess reports it
	}
	for i := len(in) - 1; i >= 0; i-- {
		if in[i].kind != recordEvent {
			continue
		}
		alone, changed, _ := filt.Process(nil, in[i].raw)
		if !changed {
			alone = in[i].raw
		}
		if !bytes.Equal(alone, got[i].raw) {
			t.Fatalf("event %d comes out of its chunk as %x, alone as %x", i, got[i].raw, alone)
		}
	}
}

// writtenKeys are the top-level keys the filter's format writes.
func (f *Filter) writtenKeys() map[string]bool {
	keys := map[string]bool{}
	switch f.format {
	case FormatSigma:
		keys[f.addKey] = true
	case FormatFlat:
		for _, k := range []string{FlatRuleIDs, FlatTitles, FlatLevel, FlatTags} {
			keys[k] = true
		}
	case FormatECS:
		for _, k := range []string{"event", "rule", "threat", "tags"} {
			keys[k] = true
		}
	}
	if f.tagKey != "" {
		keys[f.tagKey] = true
	}
	return keys
}

// pairsExcept returns the raw pairs of the map at b[0:] whose key is not
// in skip, concatenated.
func pairsExcept(t *testing.T, b []byte, skip map[string]bool) []byte {
	n, p, err := msgpack.ReadMapHeader(b, 0)
	if err != nil {
		t.Fatalf("not a map: %v", err)
	}
	var out []byte
	for j := 0; j < n; j++ {
		key, isStr, _, end := pairAt(b, p)
		if !isStr || !skip[string(key)] {
			out = append(out, b[p:end]...)
		}
		p = end
	}
	return out
}

type rawEvent struct {
	raw, header []byte
	kind        eventKind
}

func splitEvents(chunk []byte) (events []rawEvent, tail []byte) {
	for off := 0; off < len(chunk); {
		ev, err := nextEvent(chunk, off)
		if err != nil {
			return events, chunk[off:]
		}
		e := rawEvent{raw: chunk[ev.start:ev.end], kind: ev.kind}
		if ev.kind == recordEvent {
			e.header = chunk[ev.start:ev.body]
		}
		events = append(events, e)
		off = ev.end
	}
	return events, nil
}

// FuzzTextRecord feeds arbitrary text to the JSON and XML record decoders
// and to the filter as a tail line, an in_winevtlog XML record and
// positional StringInserts: no panic, and whatever a decoder accepts is
// one well-formed msgpack map.
func FuzzTextRecord(f *testing.F) {
	data := fixture.EventData(7, fixture.UnsignedNodeLoad(1))
	f.Add(fixture.JSON(fixture.UnsignedNodeLoad(1)))
	f.Add(fixture.JSON(fixture.Evtx(7, sysmon.Channel, sysmon.Provider, data)))
	f.Add(fixture.XML(7, sysmon.Channel, sysmon.Provider, data))
	f.Add(`<?xml version="1.0"?><Event><System a='&#x41;'><![CDATA[x]]></System><EventData><Data Name="A">&lt;</Data></EventData></Event>`)
	f.Add("Image loaded:\r\nImageLoaded: C:\\x.node\r\nSigned: false")
	f.Add("-1")
	f.Add("7")
	filt := newFilter(f, Config{})
	f.Fuzz(func(t *testing.T, text string) {
		var conv textevent.Converter
		jsonRecord := func(dst, text []byte) ([]byte, error) { return appendJSONRecord(&conv, dst, text) }
		for _, decode := range []func([]byte, []byte) ([]byte, error){jsonRecord, textevent.AppendXMLEvent} {
			out, err := decode(nil, []byte(text))
			if err != nil {
				continue
			}
			if end, err := msgpack.Skip(out, 0); err != nil || end != len(out) || !msgpack.IsMap(out[0]) {
				t.Fatalf("decoded %q to malformed msgpack %x", text, out)
			}
		}
		parts := strings.Split(text, "\n")
		var inserts []any
		for _, p := range parts {
			inserts = append(inserts, p)
		}
		var chunk []byte
		for _, body := range []fixture.Map{
			{{K: "log", V: text}},
			{{K: "System", V: text}, {K: "Message", V: text}},
			{{K: "ProviderName", V: sysmon.Provider}, {K: "EventID", V: len(parts)}, {K: "Message", V: text}, {K: "StringInserts", V: inserts}},
			{{K: "ProviderName", V: sysmon.Provider}, {K: "EventID", V: text}, {K: "Message", V: text}, {K: "StringInserts", V: inserts},
				{K: "event", V: fixture.Map{{K: "code", V: text}}}, {K: "process", V: fixture.Map{{K: "executable", V: text}}}},
		} {
			chunk = fixture.Event(chunk, ts, nil, body)
		}
		out, changed, err := filt.Process(nil, chunk)
		if err != nil {
			t.Fatal(err)
		}
		if changed {
			if got, _ := splitEvents(out); len(got) != 4 {
				t.Fatalf("%d events out of 4", len(got))
			}
		}
	})
}

// FuzzEnrich builds rule sets and records from its inputs so that the
// merge code meets what a chunk alone cannot reach (FuzzProcess only has
// the few rules of New): rules with up to 255 tags, several authors and
// many references, and records that already hold the keys each format
// writes, as arrays, scalars or maps, with values the rules write too.
// Every output must be one well-formed event that keeps FuzzProcess's
// invariants, and the ECS tags must be the record's then the rules' others.
func FuzzEnrich(f *testing.F) {
	// The first: issue 10, the last of 70 tags (pool[77]) already in the
	// record's tags.
	f.Add(uint8(70), uint8(0), uint8(2), []byte{0, 77})
	f.Add(uint8(200), uint8(3), uint8(40), []byte{0, 7, 0, 150, 1, 0, 2, 3, 5, 1, 6, 2, 7, 0, 8, 1, 9, 2, 10, 0})
	f.Add(uint8(3), uint8(1), uint8(0), []byte{0x80, 1, 0x81, 2, 0x45, 9, 18, 3, 19, 4})
	cache := map[[3]uint8][]*Filter{}
	f.Fuzz(func(t *testing.T, ntags, nrules, nrefs uint8, ops []byte) {
		key := [3]uint8{ntags, nrules % 4, nrefs}
		filters, ok := cache[key]
		if !ok {
			if len(cache) >= 64 { // a long run meets many shapes; keep memory flat
				clear(cache)
			}
			set := fuzzRuleSet(t, int(ntags), 1+int(key[1]), int(nrefs))
			for _, cfg := range []Config{{TagKey: "m"}, {Format: FormatECS, TagKey: "m"}, {Format: FormatFlat, TagKey: "m"}} {
				filters = append(filters, NewWithRules(cfg, set, rules.Report{}))
			}
			cache[key] = filters
		}
		rec := fuzzRecord(filters[0].set.Rules(), ops)
		chunk := fixture.Event(nil, ts, nil, rec)
		for _, filt := range filters {
			out, changed, err := filt.Process(nil, chunk)
			if err != nil || !changed {
				t.Fatalf("%v: changed=%v err=%v", filt.format, changed, err)
			}
			if events, tail := splitEvents(out); len(events) != 1 || len(tail) > 0 {
				t.Fatalf("%v: %d events and %d bytes after them, want one event and nothing after", filt.format, len(events), len(tail))
			}
			checkProcess(t, filt, chunk)
			if filt.format == FormatECS {
				// Read with our own reader: fluent-bit-go's fails on a
				// record with a key twice, which records may have.
				ev, _ := nextEvent(out, 0)
				got, _ := decodeOrdered(t, out, ev.body).Get("tags")
				checkTagUnion(t, rec, got, filt.set.Rules())
			}
		}
	})
}

// fuzzTag is the i-th tag of FuzzEnrich's rules: ATT&CK tags first, so
// threat.* is written, then custom ones.
func fuzzTag(i int) string {
	known := []string{"attack.execution", "attack.t1129", "attack.persistence", "attack.t1574.001",
		"attack.stealth", "attack.t1036.005", "attack.g0032", "attack.s0002"}
	if i < len(known) {
		return known[i]
	}
	return fmt.Sprintf("custom.t%d", i)
}

// fuzzRuleSet compiles nrules rules matching UnsignedNodeLoad. Rule r has
// the even tags below ntags and those equal to r modulo nrules, so the
// rules share some; every other rule shares one author; each has nrefs
// references, half shared with the next rule.
func fuzzRuleSet(t *testing.T, ntags, nrules, nrefs int) *rules.Set {
	var src []rules.Source
	for r := range nrules {
		var tags, refs []string
		for i := range ntags {
			if i%2 == 0 || i%nrules == r {
				tags = append(tags, fuzzTag(i))
			}
		}
		for k := range nrefs {
			refs = append(refs, fmt.Sprintf("https://example.com/%d", k+r*nrefs/2))
		}
		author := "Shared Author"
		if r%2 == 1 {
			author = fmt.Sprintf("Author %d", r)
		}
		yaml := fmt.Sprintf(`title: Rule %d
id: 00000000-0000-0000-0000-%012d
description: |
  Rule %d.
author: %s
references: [%s]
tags: [%s]
level: %s
logsource: {product: windows, category: image_load}
detection:
  sel: {ImageLoaded|endswith: '.node'}
  condition: sel
`, r, r, r, author, strings.Join(refs, ", "), strings.Join(tags, ", "), []string{"low", "high", "medium", "critical"}[r])
		src = append(src, rules.Source{Name: fmt.Sprintf("r%d.yml", r), Data: []byte(yaml)})
	}
	set, _, err := rules.Compile(src, rules.Options{})
	if err != nil || len(set.Rules()) != nrules {
		t.Fatalf("compile: %v", err)
	}
	return set
}

// fuzzTargets are where FuzzEnrich's record holds a value before the filter
// writes: every key a format writes, nested where ECS nests.
var fuzzTargets = [][]string{
	{"tags"}, {"rule", "author"}, {"rule", "reference"}, {"rule", "name"}, {"rule", "id"},
	{"threat", "tactic", "name"}, {"threat", "technique", "id"}, {"event", "kind"}, {"event", "severity"},
	{DefaultAddKey}, {DefaultAddKey, "matches"}, {FlatTags}, {FlatRuleIDs}, {FlatLevel}, {"m"},
}

// fuzzRecord reads ops as pairs (op, pick): op selects a target, pick a
// value the rules write (a tag, author, reference, title, id, ATT&CK name)
// or, with bit 6 of op, the number pick. Values gather into an array
// unless bit 7 makes the target a scalar; every eleventh target is added
// as a second copy of its top-level key instead.
func fuzzRecord(rs []rules.Rule, ops []byte) fixture.Map {
	pool := []string{"alert", "Execution", "T1129", "Stealth", "T1574"}
	for _, r := range rs {
		pool = append(append(pool, r.ID, r.Title, r.Author), r.Tags...)
		pool = append(pool, r.References...)
	}
	rec := fixture.UnsignedNodeLoad(1)
	values := map[string][]any{}
	for i := 0; i+1 < len(ops); i += 2 {
		op, pick := ops[i], ops[i+1]
		path := fuzzTargets[int(op&0x3f)%len(fuzzTargets)]
		var v any = pool[int(pick)%len(pool)]
		if op&0x40 != 0 {
			v = int(pick)
		}
		if (i/2)%11 == 10 {
			rec = append(rec, fixture.KV{K: path[0], V: v}) // a duplicate top-level key
			continue
		}
		id := strings.Join(path, ".")
		if op&0x80 != 0 {
			values[id] = nil
			rec = setPath(rec, path, v)
			continue
		}
		values[id] = append(values[id], v)
		rec = setPath(rec, path, values[id])
	}
	return rec
}

// setPath sets m's value at path, making maps on the way (replacing any
// value there that is not one).
func setPath(m fixture.Map, path []string, v any) fixture.Map {
	if len(path) == 1 {
		return m.With(path[0], v)
	}
	sub, _ := m.Get(path[0])
	inner, _ := sub.(fixture.Map)
	return m.With(path[0], setPath(inner, path[1:], v))
}

// checkTagUnion: the ECS tags (got, raw msgpack) are the record's first
// tags value (its elements, or itself) then each rule tag it lacks, once;
// a scalar already holding the only tag stays as it is.
func checkTagUnion(t *testing.T, rec fixture.Map, got any, rs []rules.Rule) {
	t.Helper()
	if !slices.ContainsFunc(rs, func(r rules.Rule) bool { return len(r.Tags) > 0 }) {
		return // no tags written: the record's stay as they were
	}
	var want []any
	var old any
	had := false
	for _, kv := range rec {
		if kv.K == "tags" {
			old, had = kv.V, true // the last copy takes the merge
		}
	}
	if list, ok := old.([]any); ok {
		want = append(want, list...)
	} else if had {
		want = append(want, old)
	}
	added := false
	for _, r := range rs {
		for _, tag := range r.Tags {
			if !slices.Contains(want, any(tag)) {
				want, added = append(want, tag), true
			}
		}
	}
	wantRaw := fixture.Encode(nil, want)
	if _, isList := old.([]any); had && !isList && !added {
		wantRaw = fixture.Encode(nil, old)
	}
	if raw, _ := got.([]byte); !bytes.Equal(raw, wantRaw) {
		t.Fatalf("tags:\n got %x\nwant %x (%v)", raw, wantRaw, want)
	}
}
