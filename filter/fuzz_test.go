package filter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

// FuzzProcess feeds arbitrary chunks to the filter: it must not panic, and
// whatever it returns must hold every event it was given, in order, each
// byte for byte unless it matched (then only the added key differs), with
// any unparsable tail passed through as it came.
func FuzzProcess(f *testing.F) {
	f.Add(fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1)))
	f.Add(fixture.Event(fixture.Event(nil, ts, nil, fixture.BenignImageLoad(1)), -1, nil, fixture.Map{}))
	f.Add(fixture.LegacyEvent(nil, 1.5, fixture.UnsignedNodeLoad(2).With("sigma", 1)))
	f.Add([]byte{0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x81, 0xa1, 'a', 0xc1})
	f.Add(fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(3).With("rule", fixture.Map{{"name", "x"}}).With("tags", "t")))
	filters := []*Filter{newFilter(f, Config{}), newFilter(f, Config{Format: FormatECS, TagKey: "m"}), newFilter(f, Config{Format: FormatFlat})}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		for _, filt := range filters {
			checkProcess(t, filt, chunk)
		}
	})
}

// checkProcess runs chunk through filt and checks FuzzProcess's
// invariants; every record out must also decode.
func checkProcess(t *testing.T, filt *Filter, chunk []byte) {
	out, changed, err := filt.Process(nil, chunk)
	if !changed {
		return
	}
	in, tail := splitEvents(chunk)
	got, gotTail := splitEvents(out)
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
			{{"log", text}},
			{{"System", text}, {"Message", text}},
			{{"ProviderName", sysmon.Provider}, {"EventID", len(parts)}, {"Message", text}, {"StringInserts", inserts}},
			{{"ProviderName", sysmon.Provider}, {"EventID", text}, {"Message", text}, {"StringInserts", inserts},
				{"event", fixture.Map{{"code", text}}}, {"process", fixture.Map{{"executable", text}}}},
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
