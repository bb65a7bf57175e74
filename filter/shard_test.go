package filter

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/winlayout"
)

// failedLogon is the event data of a Security 4625 (failed logon) in the
// first layout the filter knows for it, so that every shape, positional
// StringInserts included, can carry it.
func failedLogon(user, ip string) fixture.Map {
	var data fixture.Map
	for _, name := range winlayout.Layouts(winlayout.Security, 4625)[0] {
		switch name {
		case "TargetUserName":
			data = append(data, fixture.KV{K: name, V: user})
		case "IpAddress":
			data = append(data, fixture.KV{K: name, V: ip})
		default:
			data = append(data, fixture.KV{K: name, V: "-"})
		}
	}
	return data
}

// shardFilter is the default rule's filter with shard_key set.
func shardFilter(t testing.TB, cfg Config, key string) *Filter {
	t.Helper()
	cfg.ShardKey = splitList(key)
	return newFilter(t, cfg)
}

// shardOfOne runs a one-record chunk of body through f and returns the
// record's keys in order and the shard key's value ("" and false when the
// record has no such key).
func shardOfOne(t *testing.T, f *Filter, body any) (keys []string, value string, ok bool) {
	t.Helper()
	in := fixture.Event(nil, ts, nil, body)
	out, changed, err := f.Process(nil, in)
	if err != nil || !changed {
		t.Fatalf("Process: changed=%v err=%v", changed, err)
	}
	evs := spans(t, out)
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	ev, err := nextEvent(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range decodeOrdered(t, out, ev.body) {
		keys = append(keys, kv.K)
		if kv.K == f.shard.name {
			text, _, isStr, err := msgpack.ReadStr(kv.V.([]byte), 0)
			if err != nil || !isStr {
				t.Fatalf("%s is not a string: %x", kv.K, kv.V)
			}
			value, ok = string(text), true
		}
	}
	return keys, value, ok
}

// TestShardKeyShapes: the shard key's fields are found in every shape the
// filter reads, as rule fields are.
func TestShardKeyShapes(t *testing.T) {
	f := shardFilter(t, Config{}, "IpAddress, TargetUserName")
	rendered := 0
	for _, sh := range fixture.Shapes {
		t.Run(sh.Name, func(t *testing.T) {
			body := sh.Render(4625, "Security", winlayout.Security, failedLogon("alice", "10.0.0.5"))
			if body == nil {
				t.Skip("this shape does not carry a Security event")
			}
			rendered++
			_, got, ok := shardOfOne(t, f, body)
			if want := "10.0.0.5|alice"; !ok || got != want {
				t.Errorf("%s = %q (present %v), want %q", DefaultShardKeyName, got, ok, want)
			}
		})
	}
	if rendered < len(fixture.Shapes)-1 {
		t.Errorf("only %d of %d shapes rendered the event", rendered, len(fixture.Shapes))
	}
}

// TestShardKeyBesideMatches: a matching record gets its matches and the
// shard key; a field some rule also reads is read through the same slot.
func TestShardKeyBesideMatches(t *testing.T) {
	for _, format := range []Format{FormatSigma, FormatECS, FormatFlat} {
		f := shardFilter(t, Config{Format: format, TagKey: "sigma_match"}, "ImageLoaded,Computer")
		hit := fixture.UnsignedNodeLoad(1).With("Computer", "WKS-7")
		loaded, _ := hit.Get("ImageLoaded")
		keys, got, ok := shardOfOne(t, f, hit)
		if want := fmt.Sprint(loaded) + "|WKS-7"; !ok || got != want {
			t.Errorf("%s: shard key %q (present %v), want %q", format, got, ok, want)
		}
		for _, k := range format.Keys(DefaultAddKey) {
			if !strings.Contains(" "+strings.Join(keys, " ")+" ", " "+k+" ") {
				t.Errorf("%s: matching record lacks %s: keys %v", format, k, keys)
			}
		}
	}
}

// TestShardKeyValues: missing fields, numbers, nulls and several values.
func TestShardKeyValues(t *testing.T) {
	f := shardFilter(t, Config{}, "IpAddress,EventID,TargetUserName")
	tests := []struct {
		name string
		body fixture.Map
		want string
	}{
		{"all present, a number", fixture.Map{{K: "EventID", V: 4625}, {K: "TargetUserName", V: "bob"}, {K: "IpAddress", V: "10.1.1.1"}}, "10.1.1.1|4625|bob"},
		{"one missing", fixture.Map{{K: "EventID", V: 4625}, {K: "TargetUserName", V: "bob"}}, "|4625|bob"},
		{"all missing", fixture.Map{{K: "other", V: "x"}}, "||"},
		{"null", fixture.Map{{K: "EventID", V: 4625}, {K: "IpAddress", V: nil}}, "|4625|"},
		{"several values", fixture.Map{{K: "EventID", V: 4625}, {K: "IpAddress", V: []any{"a", "b"}}}, "|4625|"},
		{"empty map", fixture.Map{}, "||"},
	}
	for _, tc := range tests {
		if _, got, ok := shardOfOne(t, f, tc.body); !ok || got != tc.want {
			t.Errorf("%s: %q (present %v), want %q", tc.name, got, ok, tc.want)
		}
	}
	one := shardFilter(t, Config{}, "TargetUserName")
	if _, got, ok := shardOfOne(t, one, fixture.Map{{K: "x", V: 1}}); !ok || got != "" {
		t.Errorf("one missing field: %q (present %v), want the empty string", got, ok)
	}
}

// TestShardOfVector pins the shard function: FNV-1a 64 modulo N. Routing
// tiers of different versions must send a value to the same shard, so a
// change here is a breaking change, not a test to update.
func TestShardOfVector(t *testing.T) {
	for _, tc := range []struct {
		value  string
		shards uint64
		want   uint64
	}{
		// FNV-1a 64 test vectors: "" = 0xcbf29ce484222325,
		// "a" = 0xaf63dc4c8601ec8c, "foobar" = 0x85944171f73967e8.
		{"", 1 << 63, 0xcbf29ce484222325 % (1 << 63)},
		{"a", 1 << 63, 0xaf63dc4c8601ec8c % (1 << 63)},
		{"foobar", 3, 0},
		{"foobar", 16, 8},
		{"a", 7, 5},
		{"10.0.0.5|alice", 3, 2},
		{"10.0.0.5|alice", 8, 1},
	} {
		if got := shardOf([]byte(tc.value), tc.shards); got != tc.want {
			t.Errorf("shardOf(%q, %d) = %d, want %d", tc.value, tc.shards, got, tc.want)
		}
	}
	// And it is the standard library's FNV-1a 64.
	for i := 0; i < 1000; i++ {
		v := []byte(fmt.Sprintf("host-%d|user-%d", i, i*7))
		h := fnv.New64a()
		h.Write(v)
		if got, want := shardOf(v, 1000003), h.Sum64()%1000003; got != want {
			t.Fatalf("shardOf(%q) = %d, hash/fnv gives %d", v, got, want)
		}
	}
	// Through the filter: the decimal string of that number.
	f := shardFilter(t, Config{Shards: 3}, "IpAddress,TargetUserName")
	if _, got, _ := shardOfOne(t, f, fixture.Map{{K: "IpAddress", V: "10.0.0.5"}, {K: "TargetUserName", V: "alice"}}); got != "2" {
		t.Errorf("shards 3: %q, want \"2\"", got)
	}
}

// TestShardsDistribution: over 1,000 distinct values each of N shards is
// used, and no value outside 0..N-1 is written.
func TestShardsDistribution(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 16} {
		f := shardFilter(t, Config{Shards: n}, "IpAddress")
		var chunk []byte
		for i := 0; i < 1000; i++ {
			chunk = fixture.Event(chunk, ts, nil, fixture.Map{{K: "IpAddress", V: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)}})
		}
		out, _, err := f.Process(nil, chunk)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, n)
		for _, d := range decodeAll(t, out) {
			s, err := strconv.Atoi(fmt.Sprint(d.body[DefaultShardKeyName]))
			if err != nil || s < 0 || s >= n {
				t.Fatalf("shards %d: %s = %v", n, DefaultShardKeyName, d.body[DefaultShardKeyName])
			}
			counts[s]++
		}
		for s, c := range counts {
			if c == 0 {
				t.Errorf("shards %d: shard %d unused over 1,000 values (counts %v)", n, s, counts)
			}
		}
	}
}

// TestShardKeyReplaced: a record that already has the key (even twice)
// comes out with one, the new value, where the last (the one Fluent Bit
// reads) stood.
func TestShardKeyReplaced(t *testing.T) {
	f := shardFilter(t, Config{ShardKeyName: "route"}, "IpAddress")
	body := fixture.Map{{K: "a", V: 1}, {K: "route", V: "old"}, {K: "IpAddress", V: "10.0.0.9"}, {K: "route", V: fixture.Map{{K: "x", V: 2}}}}
	keys, got, ok := shardOfOne(t, f, body)
	if !ok || got != "10.0.0.9" {
		t.Errorf("route = %q (present %v), want 10.0.0.9", got, ok)
	}
	if want := "a IpAddress route"; strings.Join(keys, " ") != want {
		t.Errorf("keys %v, want %s", keys, want)
	}
}

// TestShardChunk: every event is kept in order; records get the key,
// group markers and other events pass byte for byte; match_only still
// drops what matches nothing (non-map events too), and what it keeps
// has both.
func TestShardChunk(t *testing.T) {
	hit := fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1).With("IpAddress", "10.0.0.1"))
	benign := fixture.Event(nil, ts, nil, fixture.BenignImageLoad(1).With("IpAddress", "10.0.0.2"))
	legacy := fixture.LegacyEvent(nil, 1.5, fixture.Map{{K: "IpAddress", V: "10.0.0.3"}})
	group := fixture.Event(nil, -1, fixture.Map{{K: "resource", V: "x"}}, fixture.Map{{K: "IpAddress", V: "no"}})
	notMap := fixture.Event(nil, ts, nil, "a string body")
	var chunk []byte
	for _, ev := range [][]byte{group, benign, hit, notMap, legacy, benign} {
		chunk = append(chunk, ev...)
	}
	f := shardFilter(t, Config{}, "IpAddress")
	out, changed, err := f.Process(nil, chunk)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	checkShardChunk(t, f, chunk, out)
	got := spans(t, out)
	if !bytes.Equal(got[0], group) || !bytes.Equal(got[3], notMap) {
		t.Error("a group marker or a non-map event was changed")
	}
	if values, want := shardValues(t, f, out), "10.0.0.2 10.0.0.1 10.0.0.3 10.0.0.2"; strings.Join(values, " ") != want {
		t.Errorf("shard keys %v, want %s", values, want)
	}

	only := shardFilter(t, Config{MatchOnly: true}, "IpAddress")
	out, _, err = only.Process(nil, chunk)
	if err != nil {
		t.Fatal(err)
	}
	got = spans(t, out)
	if len(got) != 2 || !bytes.Equal(got[0], group) {
		t.Fatalf("match_only: got %d events, want the group marker and the match", len(got))
	}
	kept := decodeAll(t, got[1])[0].body
	if kept[DefaultShardKeyName] != "10.0.0.1" || kept[DefaultAddKey] == nil {
		t.Errorf("match_only: the match has %s=%v and %s=%v", DefaultShardKeyName, kept[DefaultShardKeyName], DefaultAddKey, kept[DefaultAddKey])
	}
}

// shardValues returns the shard key's value of each record of chunk.
func shardValues(t *testing.T, f *Filter, chunk []byte) []string {
	t.Helper()
	var values []string
	for off := 0; off < len(chunk); {
		ev, err := nextEvent(chunk, off)
		if err != nil {
			t.Fatal(err)
		}
		off = ev.end
		if ev.kind != recordEvent {
			continue
		}
		for _, kv := range decodeOrdered(t, chunk, ev.body) {
			if kv.K == f.shard.name {
				text, _, _, _ := msgpack.ReadStr(kv.V.([]byte), 0)
				values = append(values, string(text))
			}
		}
	}
	return values
}

// checkShardChunk checks what FuzzProcess checks, with every record
// changed: out holds the same events in order, each record well-formed
// with its other pairs as they were, and the tail as it came.
func checkShardChunk(t *testing.T, f *Filter, in, out []byte) {
	t.Helper()
	inEvents, inTail := splitEvents(in)
	outEvents, outTail := splitEvents(out)
	if len(inEvents) != len(outEvents) || !bytes.Equal(inTail, outTail) {
		t.Fatalf("got %d events and tail %x, want %d and %x", len(outEvents), outTail, len(inEvents), inTail)
	}
	written := f.writtenKeys()
	written[f.shard.name] = true
	for i, ev := range inEvents {
		got := outEvents[i]
		if ev.kind != recordEvent {
			if !bytes.Equal(ev.raw, got.raw) {
				t.Fatalf("event %d is not a record but changed", i)
			}
			continue
		}
		if !bytes.Equal(ev.header, got.header) {
			t.Fatalf("event %d: header changed", i)
		}
		body := got.raw[len(got.header):]
		if _, err := msgpack.Skip(body, 0); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !hasStringKey(body, f.shard.name) {
			t.Fatalf("event %d: no string %s", i, f.shard.name)
		}
		if !bytes.Equal(pairsExcept(t, ev.raw[len(ev.header):], written), pairsExcept(t, body, written)) {
			t.Fatalf("event %d: pairs other than %v changed", i, written)
		}
	}
}

// hasStringKey reports whether the map at b holds key exactly once, with
// a string value.
func hasStringKey(b []byte, key string) bool {
	n, p, err := msgpack.ReadMapHeader(b, 0)
	if err != nil {
		return false
	}
	found := 0
	for i := 0; i < n; i++ {
		k, isStr, value, end := pairAt(b, p)
		if isStr && string(k) == key {
			if _, _, isStr, err := msgpack.ReadStr(b, value); err != nil || !isStr {
				return false
			}
			found++
		}
		p = end
	}
	return found == 1
}

// FuzzShard: with shard_key set, any chunk comes out with every event, in
// order, each record carrying the key once.
func FuzzShard(f *testing.F) {
	f.Add(fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1).With(DefaultShardKeyName, 1)))
	f.Add(fixture.Event(fixture.Event(nil, ts, nil, fixture.BenignImageLoad(1)), -1, nil, fixture.Map{}))
	f.Add(fixture.LegacyEvent(nil, 1.5, fixture.Map{{K: "IpAddress", V: 7}, {K: "sigma_shard", V: "x"}, {K: "sigma_shard", V: "y"}}))
	f.Add([]byte{0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x81, 0xa1, 'a', 0xc1})
	filters := []*Filter{
		shardFilter(f, Config{}, "IpAddress,Image"),
		shardFilter(f, Config{Format: FormatECS, TagKey: "m", Shards: 5}, "Computer"),
		shardFilter(f, Config{Format: FormatFlat, ShardKeyName: "k"}, "ImageLoaded"),
	}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		for _, filt := range filters {
			out, changed, _ := filt.Process(nil, chunk)
			if in, _ := splitEvents(chunk); !changed {
				for _, ev := range in {
					if ev.kind == recordEvent {
						t.Fatal("a chunk with a record came back unchanged")
					}
				}
				continue
			}
			checkShardChunk(t, filt, chunk, out)
		}
	})
}

// TestShardConfig: the properties' values and the names shard_key_name
// must not take.
func TestShardConfig(t *testing.T) {
	cfg, err := parseProps(map[string]string{"shard_key": "IpAddress , TargetUserName", "shards": " 4 "})
	if err != nil || strings.Join(cfg.ShardKey, ",") != "IpAddress,TargetUserName" || cfg.Shards != 4 || cfg.ShardKeyName != DefaultShardKeyName {
		t.Errorf("got %q %d %q, %v", cfg.ShardKey, cfg.Shards, cfg.ShardKeyName, err)
	}
	for _, props := range []map[string]string{
		{"shard_key": " , "},
		{"shard_key": "IpAddress", "shard_key_name": " "},
		{"shard_key": "IpAddress", "shard_key_name": "sigma"},
		{"shard_key": "IpAddress", "shard_key_name": "alerts", "add_key": "alerts"},
		{"shard_key": "IpAddress", "shard_key_name": "rule", "format": "ecs"},
		{"shard_key": "IpAddress", "shard_key_name": "sigma_level", "format": "flat"},
		{"shard_key": "IpAddress", "shard_key_name": "sigma_match", "tag_key": "sigma_match"},
		// The key would replace a value it is computed from: the field, the
		// map a dotted field is in, a shape's map of event fields.
		{"shard_key": "Computer,IpAddress", "shard_key_name": "IpAddress", "shards": "8"},
		{"shard_key": "source.ip", "shard_key_name": "source"},
		{"shard_key": "IpAddress", "shard_key_name": "winlog"},
		{"shard_key": "IpAddress", "shard_key_name": "log"},
		{"shard_key": "IpAddress", "shard_key_name": "payload", "text_key": "payload"},
		{"shards": "-1"},
		{"shards": "1.5"},
		{"shards": "three"},
	} {
		if _, err := parseProps(props); !errors.Is(err, ErrBadProperty) {
			t.Errorf("%v: got %v, want ErrBadProperty", props, err)
		}
	}
	// Without shard_key the name is not written, so it may be anything.
	if _, err := parseProps(map[string]string{"shard_key_name": "sigma"}); err != nil {
		t.Errorf("shard_key_name sigma without shard_key: %v", err)
	}
	// A Config built in code is checked by New.
	for _, cfg := range []Config{{ShardKey: []string{"IpAddress"}, Shards: -1}, {ShardKey: []string{"IpAddress"}, ShardKeyName: "sigma"},
		{ShardKey: []string{"User"}, ShardKeyName: "usr", FieldMap: map[string][][]string{"User": {{"usr", "name"}}}}} {
		if _, err := New(cfg); !errors.Is(err, ErrBadProperty) {
			t.Errorf("New(%+v): %v, want ErrBadProperty", cfg, err)
		}
	}
}

// TestShardNoAllocations: writing the key costs no allocation per record
// once the filter is warm.
func TestShardNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var chunk []byte
	for i := 0; i < 16; i++ {
		chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(i).With("IpAddress", fmt.Sprintf("10.0.0.%d", i)))
	}
	for _, shards := range []int{0, 3} {
		f := shardFilter(t, Config{Shards: shards}, "IpAddress,Image")
		out := make([]byte, 0, 2*len(chunk))
		if allocs := testing.AllocsPerRun(100, func() { out, _, _ = f.Process(out[:0], chunk) }); allocs != 0 {
			t.Errorf("shards %d: %v allocations per chunk", shards, allocs)
		}
	}
}

// BenchmarkShard: the cost of the shard key on records no rule matches,
// beside the same stream without it.
func BenchmarkShard(b *testing.B) {
	var chunk []byte
	for i := 0; i < 100; i++ {
		chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(i).With("IpAddress", fmt.Sprintf("10.0.%d.%d", i/256, i%256)))
	}
	for _, bc := range []struct {
		name string
		cfg  Config
	}{{"off", Config{}}, {"values", Config{ShardKey: []string{"IpAddress"}}}, {"shards=3", Config{ShardKey: []string{"IpAddress"}, Shards: 3}}} {
		b.Run(bc.name, func(b *testing.B) {
			f := newFilter(b, bc.cfg)
			out := make([]byte, 0, 2*len(chunk))
			b.ReportAllocs()
			b.SetBytes(int64(len(chunk)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, _, _ = f.Process(out[:0], chunk)
			}
		})
	}
}
