package filter

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

var ts = fixture.Time(time.Unix(1764067327, 118000000))

const defaultRuleID = "e5f5c693-52d7-4de5-88ae-afbfbce85595"

func newFilter(t testing.TB, cfg Config) *Filter {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

// decoded is one event as fluent-bit-go's decoder, the independent
// reference, sees it.
type decoded struct {
	ts   any
	body map[string]any
}

func decodeAll(t *testing.T, chunk []byte) []decoded {
	t.Helper()
	if len(chunk) == 0 {
		return nil
	}
	dec := output.NewDecoder(unsafe.Pointer(&chunk[0]), len(chunk))
	var out []decoded
	for {
		ret, ts, rec := output.GetRecord(dec)
		if ret == -1 {
			return out
		}
		if ret != 0 {
			t.Fatalf("fluent-bit-go GetRecord: %d after %d events", ret, len(out))
		}
		out = append(out, decoded{ts: ts, body: normalize(rec).(map[string]any)})
	}
}

// normalize turns the decoder's map[interface{}]interface{} and []byte
// strings into plain Go values so they compare with fixtures.
func normalize(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(normalize(k))] = normalize(e)
		}
		return m
	case []any:
		for i := range v {
			v[i] = normalize(v[i])
		}
		return v
	case []byte:
		return string(v)
	default:
		return v
	}
}

// spans splits a chunk into its events' raw bytes.
func spans(t *testing.T, chunk []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for off := 0; off < len(chunk); {
		ev, err := nextEvent(chunk, off)
		if err != nil {
			t.Fatalf("event at %d: %v", off, err)
		}
		out = append(out, chunk[ev.start:ev.end])
		off = ev.end
	}
	return out
}

func matchIDs(t *testing.T, body map[string]any, key string) []string {
	t.Helper()
	v, ok := body[key]
	if !ok {
		return nil
	}
	m := v.(map[string]any)
	var ids []string
	for _, e := range m["matches"].([]any) {
		ids = append(ids, e.(map[string]any)["id"].(string))
	}
	return ids
}

func TestNoMatchIsNotouch(t *testing.T) {
	f := newFilter(t, Config{})
	var chunk []byte
	for i := 0; i < 10; i++ {
		chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(i))
	}
	dst := make([]byte, 0, 16)
	out, changed, err := f.Process(dst, chunk)
	if err != nil || changed || len(out) != 0 {
		t.Errorf("got changed=%v len=%d err=%v; want unchanged, nothing written", changed, len(out), err)
	}
}

func TestMatchEnrichesOnlyMatchingRecords(t *testing.T) {
	f := newFilter(t, Config{})
	var chunk []byte
	var want []bool
	for i := 0; i < 50; i++ {
		body := fixture.BenignImageLoad(i)
		if i%7 == 3 {
			body = fixture.UnsignedNodeLoad(i)
		}
		chunk = fixture.Event(chunk, ts, fixture.Map{{K: "seq", V: i}}, body)
		want = append(want, i%7 == 3)
	}
	out, changed, err := f.Process(nil, chunk)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v; want changed", changed, err)
	}
	in, got := decodeAll(t, chunk), decodeAll(t, out)
	if len(got) != len(in) {
		t.Fatalf("got %d events, want %d", len(got), len(in))
	}
	inSpans, outSpans := spans(t, chunk), spans(t, out)
	for i := range in {
		ids := matchIDs(t, got[i].body, "sigma")
		if want[i] != (len(ids) == 1 && ids[0] == defaultRuleID) {
			t.Errorf("event %d: matches %v, want match=%v", i, ids, want[i])
		}
		if !want[i] && !bytes.Equal(inSpans[i], outSpans[i]) {
			t.Errorf("event %d: unmatched event not copied byte for byte", i)
		}
		if got[i].ts != in[i].ts {
			t.Errorf("event %d: timestamp %v, want %v", i, got[i].ts, in[i].ts)
		}
		// Every original key and value is still there.
		for k, v := range in[i].body {
			if fmt.Sprint(got[i].body[k]) != fmt.Sprint(v) {
				t.Errorf("event %d: %s = %v, want %v", i, k, got[i].body[k], v)
			}
		}
		if want[i] && len(got[i].body) != len(in[i].body)+1 {
			t.Errorf("event %d: %d keys, want %d", i, len(got[i].body), len(in[i].body)+1)
		}
	}
}

func TestEnrichmentValue(t *testing.T) {
	f := newFilter(t, Config{})
	out, _, _ := f.Process(nil, fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1)))
	got := decodeAll(t, out)[0].body["sigma"]
	want := map[string]any{
		"level": "medium",
		"count": int64(1),
		"matches": []any{map[string]any{
			"id": defaultRuleID, "title": "Unsigned .node File Loaded", "level": "medium", "status": "experimental",
			"author": "Jonathan Beierle (@hullabrian)",
			"tags": []any{"attack.execution", "attack.privilege-escalation", "attack.persistence", "attack.stealth",
				"attack.t1129", "attack.t1574.001", "attack.t1036.005"},
			"references": []any{"https://www.coreycburton.com/blog/driploader-case-study", "https://github.com/CoreyCBurton/DripLoaderNG",
				"https://www.electronjs.org/docs/latest/tutorial/native-code-and-electron"},
			"attack": map[string]any{
				"technique_ids": []any{"T1129", "T1574.001", "T1036.005"},
				"tactics": []any{map[string]any{"id": "TA0002", "name": "Execution"}, map[string]any{"id": "TA0004", "name": "Privilege Escalation"},
					map[string]any{"id": "TA0003", "name": "Persistence"}, map[string]any{"id": "TA0005", "name": "Stealth"}},
			},
		}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// TestKeyOrderAndMetadata checks the matched event byte for byte against
// the event the fixture encoder builds with the key added at the end.
func TestKeyOrderAndMetadata(t *testing.T) {
	f := newFilter(t, Config{AddKey: "detections"})
	meta := fixture.Map{{K: "host", V: "wks-1"}, {K: "n", V: []any{1, 2.5, nil}}}
	body := fixture.UnsignedNodeLoad(1)
	out, _, _ := f.Process(nil, fixture.Event(nil, ts, meta, body))
	value := decodeAll(t, out)[0].body["detections"]
	if value == nil {
		t.Fatal("no detections key")
	}
	// Rebuild the expected bytes from the decoded value's own encoding in
	// the output: everything before it must equal the original event with
	// the map count raised by one.
	orig := fixture.Event(nil, ts, meta, body)
	withKey := fixture.Event(nil, ts, meta, body.With("detections", "x"))
	prefixLen := len(withKey) - len(fixture.Encode(nil, "x"))
	if !bytes.Equal(out[:prefixLen], withKey[:prefixLen]) {
		t.Errorf("output differs from the original event before the added value")
	}
	if len(out) <= len(orig) {
		t.Errorf("output not longer than input")
	}
}

func TestExistingKeyReplacedInPlace(t *testing.T) {
	f := newFilter(t, Config{})
	body := fixture.UnsignedNodeLoad(1)
	// "sigma" present twice, as a string, between other keys.
	body = append(fixture.Map{{K: "first", V: 1}, {K: "sigma", V: "forged"}}, body...)
	body = append(body, fixture.KV{K: "sigma", V: "again"}, fixture.KV{K: "last", V: true})
	out, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, body))
	if !changed {
		t.Fatal("want changed")
	}
	// Walk the output body's keys in order.
	ev, _ := nextEvent(out, 0)
	keys := bodyKeys(t, out, ev.body)
	// The last copy, the one Fluent Bit reads, is replaced where it stands.
	if keys[0] != "first" || keys[1] == "sigma" || keys[len(keys)-2] != "sigma" || keys[len(keys)-1] != "last" {
		t.Errorf("key order: got %v", keys)
	}
	count := 0
	for _, k := range keys {
		if k == "sigma" {
			count++
		}
	}
	if count != 1 || len(keys) != len(body)-1 {
		t.Errorf("got %d sigma keys and %d keys, want 1 and %d", count, len(keys), len(body)-1)
	}
	if ids := matchIDs(t, decodeAll(t, out)[0].body, "sigma"); len(ids) != 1 {
		t.Errorf("sigma value not replaced: %v", decodeAll(t, out)[0].body["sigma"])
	}
}

func TestMapHeaderGrows(t *testing.T) {
	f := newFilter(t, Config{})
	// 15 keys: fixmap; with the added key 16: map16.
	body := fixture.Map{{K: "EventID", V: 7}, {K: "ImageLoaded", V: `C:\a.node`}, {K: "Signed", V: "false"}}
	for i := len(body); i < 15; i++ {
		body = append(body, fixture.KV{K: fmt.Sprintf("k%02d", i), V: i})
	}
	out, _, _ := f.Process(nil, fixture.Event(nil, ts, nil, body))
	got := decodeAll(t, out)
	if len(got) != 1 || len(got[0].body) != 16 {
		t.Fatalf("got %v", got)
	}
}

func TestEventShapesAndTimestamps(t *testing.T) {
	f := newFilter(t, Config{})
	body := fixture.UnsignedNodeLoad(1)
	ext8 := fixture.Ext{Type: 0, Data: ts.Data}
	tests := []struct {
		name  string
		event []byte
	}{
		// fluent-bit-go's decoder reads legacy timestamps only as EventTime
		// or uint64; the other legacy cases are checked without it.
		{"current shape, EventTime", fixture.Event(nil, ts, nil, body)},
		{"current shape, metadata", fixture.Event(nil, ts, fixture.Map{{K: "otlp", V: fixture.Map{{K: "trace_id", V: "ab"}}}}, body)},
		{"current shape, integer time", fixture.Event(nil, 1764067327, nil, body)},
		{"current shape, float time", fixture.Event(nil, 1764067327.118, nil, body)},
		{"legacy shape, EventTime", fixture.LegacyEvent(nil, ts, body)},
		{"legacy shape, integer time", fixture.LegacyEvent(nil, 1764067327, body)},
		{"legacy shape, float time", fixture.LegacyEvent(nil, 1764067327.5, body)},
		{"legacy shape, uint64 time", fixture.LegacyEvent(nil, uint64(1764067327), body)},
		{"EventTime as ext8", append([]byte{0x92, 0x92, 0xc7, 8, 0}, append(append(ext8.Data, 0x80), fixture.Encode(nil, body)...)...)},
		// Fluent Bit's decoder checks only the ext type and size.
		{"EventTime as ext16", append([]byte{0x92, 0x92, 0xc8, 0, 8, 0}, append(append(ext8.Data, 0x80), fixture.Encode(nil, body)...)...)},
		{"EventTime as ext32", append([]byte{0x92, 0x92, 0xc9, 0, 0, 0, 8, 0}, append(append(ext8.Data, 0x80), fixture.Encode(nil, body)...)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := f.Process(nil, tc.event)
			if err != nil || !changed {
				t.Fatalf("changed=%v err=%v; want a match", changed, err)
			}
			// The header (timestamp and metadata) is copied byte for byte.
			ev, _ := nextEvent(tc.event, 0)
			if !bytes.HasPrefix(out, tc.event[:ev.body]) {
				t.Errorf("event header not preserved")
			}
			if tc.event[1] == 0x92 || tc.event[1] == 0xd7 || tc.event[1] == 0xcf {
				if got := decodeAll(t, out); len(got) != 1 || len(matchIDs(t, got[0].body, "sigma")) != 1 {
					t.Errorf("decoded %v", got)
				}
			}
			outEv, err := nextEvent(out, 0)
			if err != nil || outEv.end != len(out) {
				t.Fatalf("output is not one event: %v", err)
			}
			if keys := bodyKeys(t, out, outEv.body); keys[len(keys)-1] != "sigma" {
				t.Errorf("sigma key not added: %v", keys)
			}
		})
	}
}

func TestEventIDTypes(t *testing.T) {
	f := newFilter(t, Config{})
	for _, id := range []any{7, "7", int64(7), uint64(7), 7.0} {
		out, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1).With("EventID", id)))
		if !changed || len(matchIDs(t, decodeAll(t, out)[0].body, "sigma")) != 1 {
			t.Errorf("EventID %#v: no match", id)
		}
	}
	for _, id := range []any{1, "1", 70, "seven"} {
		_, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1).With("EventID", id)))
		if changed {
			t.Errorf("EventID %#v: matched, want no match", id)
		}
	}
	// Booleans compare as their string form.
	boolean := fixture.UnsignedNodeLoad(1).With("Signed", false).With("SignatureStatus", "Valid")
	if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, boolean)); !changed {
		t.Error("Signed as boolean false did not match 'false'")
	}
	// Splunk-style EventCode and NXLog SourceName are read as event ID and provider.
	splunk := fixture.UnsignedNodeLoad(1).Without("EventID").With("EventCode", "1")
	if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, splunk)); changed {
		t.Error("EventCode 1 matched an image_load rule")
	}
	other := fixture.UnsignedNodeLoad(1).With("SourceName", "Microsoft-Windows-Security-Auditing")
	if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, other)); changed {
		t.Error("a non-Sysmon provider matched")
	}
}

// TestShapes: the default rule matches the same event in every shipped
// shape, and a benign one in none.
func TestShapes(t *testing.T) {
	f := newFilter(t, Config{})
	for _, sh := range fixture.Shapes {
		t.Run(sh.Name, func(t *testing.T) {
			hit := sh.Render(7, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", fixture.EventData(7, fixture.UnsignedNodeLoad(1)))
			if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, hit)); !changed {
				t.Error("unsigned .node load not matched")
			}
			benign := sh.Render(7, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", fixture.EventData(7, fixture.BenignImageLoad(1)))
			if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, benign)); changed {
				t.Error("benign load matched")
			}
			other := sh.Render(1, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", fixture.EventData(7, fixture.UnsignedNodeLoad(1)))
			if other == nil { // positional: event ID 1 has another layout
				return
			}
			if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, other)); changed {
				t.Error("event ID 1 matched an image_load rule")
			}
		})
	}
}

// TestSpacedKeys: a record key with spaces answers to the field name
// without them ("strip all spaces", as the specification has field
// names), in every shape, the top level of flat records included, and
// whether or not the spaces fall where CamelCase splits.
func TestSpacedKeys(t *testing.T) {
	channel := "Microsoft-Windows-Windows Defender/Operational"
	for _, c := range []struct{ field, key string }{
		{"ThreatName", "Threat Name"},
		{"SAMUserAccount", "SAM User Account"},
		{"Newvalue", "New value"},
		{"Param1", "Param 1"},
	} {
		src := []byte("title: t\nid: t\nlogsource: {product: windows, service: windefend}\ndetection:\n  s: {" +
			c.field + "|endswith: EICAR_Test_File}\n  condition: s\n")
		set, report, err := rules.Compile([]rules.Source{{Name: "t", Data: src}}, rules.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := NewWithRules(Config{}, set, report)
		for _, sh := range fixture.Shapes {
			ev := sh.Render(1116, channel, "Microsoft-Windows-Windows Defender", fixture.Map{{K: c.key, V: "Virus:DOS/EICAR_Test_File"}})
			if ev == nil {
				continue // not carried by this shape: Defender's inserts are positional
			}
			if _, changed, _ := f.Process(nil, fixture.Event(nil, ts, nil, ev)); !changed {
				t.Errorf("%s: %q did not answer to %s", sh.Name, c.key, c.field)
			}
		}
	}
}

func TestPassThrough(t *testing.T) {
	f := newFilter(t, Config{})
	match := fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1))
	groupStart := fixture.Event(nil, -1, fixture.Map{{K: "resource", V: "x"}}, fixture.UnsignedNodeLoad(2))
	groupEndExt := fixture.Event(nil, fixture.Ext{Type: 0, Data: []byte{0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0}}, nil, fixture.Map{})
	tests := []struct {
		name  string
		event []byte
	}{
		{"group start marker", groupStart},
		{"group end marker as EventTime", groupEndExt},
		{"body is a string", fixture.Event(nil, ts, nil, "EventID 7 .node")},
		{"body is an array", fixture.Event(nil, ts, nil, []any{"a"})},
		{"not an event array", fixture.Encode(nil, fixture.Map{{K: "EventID", V: 7}})},
		{"array of three", fixture.Encode(nil, []any{ts, fixture.Map{}, fixture.Map{}})},
		{"bad timestamp", fixture.LegacyEvent(nil, "yesterday", fixture.UnsignedNodeLoad(1))},
		{"non-string keys", fixture.Encode(nil, []any{[]any{ts, fixture.Map{}}, fixture.Map{}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chunk := append(append(append([]byte{}, match...), tc.event...), match...)
			out, changed, err := f.Process(nil, chunk)
			if err != nil || !changed {
				t.Fatalf("changed=%v err=%v", changed, err)
			}
			outSpans := spans(t, out)
			if len(outSpans) != 3 || !bytes.Equal(outSpans[1], tc.event) {
				t.Errorf("the event was not passed through byte for byte")
			}
		})
	}
}

func TestMalformedChunk(t *testing.T) {
	f := newFilter(t, Config{})
	match := fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1))
	benign := fixture.Event(nil, ts, nil, fixture.BenignImageLoad(1))
	tests := []struct {
		name    string
		chunk   []byte
		changed bool
		offset  int
	}{
		{"truncated last event after a match", append(append([]byte{}, match...), match[:len(match)-3]...), true, len(match)},
		{"truncated last event, nothing matched", append(append([]byte{}, benign...), match[:100]...), false, len(benign)},
		{"garbage byte", append(append([]byte{}, match...), 0xc1, 0x01, 0x02), true, len(match)},
		{"garbage first", append([]byte{0xc1}, match...), false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := f.Process(nil, tc.chunk)
			var me *MalformedError
			if !errors.As(err, &me) || me.Offset != tc.offset {
				t.Fatalf("err = %v, want MalformedError at %d", err, tc.offset)
			}
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			if !changed {
				return
			}
			// The unparsable tail is passed on as it came.
			if !bytes.HasSuffix(out, tc.chunk[tc.offset:]) {
				t.Errorf("malformed tail not passed through")
			}
		})
	}
}

func TestMatchOnly(t *testing.T) {
	f := newFilter(t, Config{MatchOnly: true})
	group := fixture.Event(nil, -1, nil, fixture.Map{})
	var chunk []byte
	chunk = append(chunk, group...)
	chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(1))
	chunk = fixture.Event(chunk, ts, nil, fixture.UnsignedNodeLoad(2))
	chunk = fixture.Event(chunk, ts, nil, "not a map")
	chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(3))
	out, changed, err := f.Process(nil, chunk)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	got := spans(t, out)
	if len(got) != 2 || !bytes.Equal(got[0], group) {
		t.Fatalf("got %d events; want the group marker and the match", len(got))
	}
	// Nothing matches: everything dropped, an empty chunk.
	out, changed, _ = f.Process(nil, fixture.Event(nil, ts, nil, fixture.BenignImageLoad(1)))
	if !changed || len(out) != 0 {
		t.Errorf("got changed=%v len=%d; want an empty chunk", changed, len(out))
	}
}

func TestNoAllocationsWithoutMatches(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	f := newFilter(t, Config{})
	var chunk []byte
	for i := 0; i < 100; i++ {
		chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(i))
	}
	f.Process(nil, chunk) // warm the pools
	allocs := testing.AllocsPerRun(100, func() {
		if _, changed, _ := f.Process(nil, chunk); changed {
			t.Fatal("unexpected match")
		}
	})
	if allocs != 0 {
		t.Errorf("got %.1f allocations per 100-record chunk, want 0", allocs)
	}
}

// TestConcurrentProcess runs one filter from many goroutines, as Fluent
// Bit does when the filter is a processor on several threads; make test
// runs it under the race detector.
func TestConcurrentProcess(t *testing.T) {
	f := newFilter(t, Config{})
	var chunk []byte
	for i := 0; i < 200; i++ {
		body := fixture.BenignImageLoad(i)
		if i%9 == 0 {
			body = fixture.UnsignedNodeLoad(i)
		}
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	want, _, _ := f.Process(nil, chunk)
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var out []byte
			for i := 0; i < 50; i++ {
				out, _, _ = f.Process(out[:0], chunk)
				if !bytes.Equal(out, want) {
					errs <- fmt.Errorf("round %d: output differs", i)
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestSelectionStrictAndPlaceholders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rule := func(id, level, status, tags string) string {
		return fmt.Sprintf("title: %s\nid: %s\nlevel: %s\nstatus: %s\ntags: [%s]\nlogsource: {product: windows, category: process_creation}\n"+
			"detection:\n  sel: {User|expand: '%%admins%%'}\n  condition: sel\n", id, id, level, status, tags)
	}
	write("low.yml", rule("low", "low", "stable", "attack.t1"))
	write("high.yml", rule("high", "high", "test", "attack.t2"))
	write("old.yml", rule("old", "critical", "deprecated", "attack.t2"))
	ph := write("placeholders.yaml", "admins: ['*\\\\admin', 'root']\n")
	rulesDir := []string{dir}
	load := func(cfg Config) (*Filter, error) {
		cfg.RulePaths = rulesDir
		return New(cfg)
	}
	// Without placeholders the expand rules are skipped: strict refuses that.
	if _, err := load(Config{}); !errors.Is(err, rules.ErrNoRules) {
		t.Errorf("no placeholders: got %v, want ErrNoRules", err)
	}
	f, err := load(Config{PlaceholdersFile: ph})
	if err != nil {
		t.Fatal(err)
	}
	if ids := ruleIDs(f); ids != "high,low" {
		t.Errorf("default statuses: got %s, want high,low (deprecated left out)", ids)
	}
	for _, tc := range []struct {
		opts rules.Options
		want string
	}{
		{rules.Options{MinLevel: rules.LevelHigh}, "high"},
		{rules.Options{Statuses: []string{"deprecated"}}, "old"},
		{rules.Options{IncludeTags: []string{"ATTACK.T2"}}, "high"},
		{rules.Options{ExcludeTags: []string{"attack.t2"}}, "low"},
		{rules.Options{RuleIDs: []string{"low"}}, "low"},
	} {
		f, err := load(Config{PlaceholdersFile: ph, Rules: tc.opts})
		if err != nil {
			t.Fatal(err)
		}
		if ids := ruleIDs(f); ids != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.opts, ids, tc.want)
		}
	}
	// The placeholder values are Sigma values: wildcards and escapes count.
	event := fixture.Event(nil, ts, nil, fixture.Map{{K: "EventID", V: 1}, {K: "User", V: `CORP\Admin`}})
	if _, changed, _ := f.Process(nil, event); !changed {
		t.Error(`User CORP\Admin should match '*\\admin'`)
	}
	write("broken.yml", "title: [")
	if _, err := load(Config{PlaceholdersFile: ph, Strict: true}); !errors.Is(err, ErrStrict) {
		t.Errorf("strict with a broken file: got %v, want ErrStrict", err)
	}
	if _, err := load(Config{PlaceholdersFile: filepath.Join(dir, "missing.yml")}); err == nil {
		t.Error("a missing placeholders file must fail")
	}
}

func ruleIDs(f *Filter) string {
	var ids []string
	for _, r := range f.Rules().Rules() {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, ",")
}

func TestNewFailsWithoutRules(t *testing.T) {
	if _, err := New(Config{RulePaths: []string{t.TempDir()}}); err == nil {
		t.Error("New over an empty directory should fail")
	}
}

func bodyKeys(t *testing.T, b []byte, off int) []string {
	t.Helper()
	var keys []string
	m := decodeOrdered(t, b, off)
	for _, kv := range m {
		keys = append(keys, kv.K)
	}
	return keys
}

// TestFieldrefNumbers: a fieldref naming several fields compares the
// field's own value with each of them, also when the values are numbers
// (whose text the record renders into one scratch buffer, which reading
// the referenced field overwrites).
func TestFieldrefNumbers(t *testing.T) {
	for _, c := range []struct {
		modifiers string
		a, b      any
		want      bool
	}{
		{"fieldref", 7, 7, false},
		{"fieldref", 7, 5, true},
		{"fieldref", 5, 7, true},
		{"fieldref", "5", 7, true},
		{"fieldref|all", 5, 7, false},
		{"fieldref|all", 5, 5, true},
		{"fieldref|all", 7, 7, false},
	} {
		src := "title: t\nid: t\nlogsource: {product: windows}\ndetection:\n  s: {X|" + c.modifiers + ": [A, B]}\n  condition: s\n"
		set, report, err := rules.Compile([]rules.Source{{Name: "t.yml", Data: []byte(src)}}, rules.Options{})
		if err != nil || len(report.Skipped) > 0 {
			t.Fatal(err, report.Skipped)
		}
		f := NewWithRules(Config{}, set, report)
		body := fixture.Map{{K: "EventID", V: 1}, {K: "X", V: 5}, {K: "A", V: c.a}, {K: "B", V: c.b}}
		if _, got, _ := f.Process(nil, fixture.Event(nil, ts, nil, body)); got != c.want {
			t.Errorf("X: 5, A: %#v, B: %#v, X|%s: [A, B]: matched %v, want %v", c.a, c.b, c.modifiers, got, c.want)
		}
	}
}
