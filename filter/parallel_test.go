package filter

import (
	"bytes"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// parallelPair returns two filters of cfg over the default rule and the
// probe rule: one filtering on the calling goroutine, one cutting chunks
// into blocks of about blockBytes for workers goroutines (not capped by
// the machine's CPUs, so that the test cuts chunks everywhere).
func parallelPair(t testing.TB, cfg Config, workers, blockBytes int) (one, many *Filter) {
	t.Helper()
	one = ruleFilter(t, cfg, defaultAndProbe)
	many = ruleFilter(t, cfg, defaultAndProbe)
	one.workers = 1
	many.workers, many.blockBytes = workers, blockBytes
	return one, many
}

// defaultAndProbe is the embedded default rule's detection and a rule on
// the probe field, as one file.
const defaultAndProbe = probeRule + `---
title: unsigned node
id: 00000000-0000-4000-8000-0000000000c2
logsource: {product: windows, category: image_load}
detection: {sel: {ImageLoaded|endswith: .node, Signed: 'false'}, condition: sel}
`

// mixedChunk is a chunk of n events of every kind a chunk carries:
// records that match and that do not, group markers, legacy events,
// events whose body is not a map, and batch records.
func mixedChunk(n int) []byte {
	var chunk []byte
	for i := range n {
		switch i % 11 {
		case 0:
			chunk = fixture.Event(chunk, ts, nil, fixture.UnsignedNodeLoad(i))
		case 3:
			chunk = fixture.Event(chunk, -1, nil, fixture.Map{{K: "group", V: i}})
		case 5:
			chunk = fixture.LegacyEvent(chunk, 1.5, fixture.Map{{K: "probe", V: "x"}, {K: "n", V: i}})
		case 7:
			chunk = fixture.Event(chunk, ts, nil, []any{"not", "a", "map"})
		case 9:
			chunk = fixture.Event(chunk, ts, fixture.Map{{K: "m", V: i}}, fixture.Map{{K: "owner", V: "1"},
				{K: "records", V: []any{fixture.Map{{K: "probe", V: "x"}}, fixture.Map{{K: "a", V: i}}}}})
		default:
			chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(i))
		}
	}
	return chunk
}

// sameProcess checks that many filters chunk as one does: the same bytes,
// the same changed and error, and the same counters.
func sameProcess(t *testing.T, one, many *Filter, chunk []byte) {
	t.Helper()
	sameOutput(t, one, many, chunk)
	if w, g := one.Counters(), many.Counters(); !reflect.DeepEqual(w, g) {
		t.Fatalf("counters %+v, on one goroutine %+v", g, w)
	}
}

// sameOutput is sameProcess without the counters.
func sameOutput(t *testing.T, one, many *Filter, chunk []byte) {
	t.Helper()
	want, wantChanged, wantErr := one.Process([]byte("dst"), chunk)
	got, gotChanged, gotErr := many.Process([]byte("dst"), chunk)
	if gotChanged != wantChanged || !bytes.Equal(got, want) {
		t.Fatalf("changed %v, %d bytes; on one goroutine changed %v, %d bytes", gotChanged, len(got), wantChanged, len(want))
	}
	var wantMe, gotMe *MalformedError
	if errors.As(wantErr, &wantMe) != errors.As(gotErr, &gotMe) || (wantMe != nil && wantMe.Offset != gotMe.Offset) {
		t.Fatalf("error %v, on one goroutine %v", gotErr, wantErr)
	}
}

// TestParallelSameOutput: a chunk cut into blocks for several goroutines
// comes out as it does from one, byte for byte, in every format and mode,
// and the counters count the same.
func TestParallelSameOutput(t *testing.T) {
	chunk := mixedChunk(300)
	for name, cfg := range map[string]Config{
		"sigma":      {},
		"ecs":        {Format: FormatECS, TagKey: "m"},
		"flat":       {Format: FormatFlat},
		"match_only": {MatchOnly: true},
		"shard_key":  {ShardKey: []string{"Image"}, Shards: 4},
		"batch_key":  {BatchKeys: []string{"records"}},
	} {
		t.Run(name, func(t *testing.T) {
			for _, size := range []int{1, 100, 1000, 5000} {
				one, many := parallelPair(t, cfg, 4, size)
				for range 3 { // the pooled blocks are reused
					sameProcess(t, one, many, chunk)
				}
			}
		})
	}
}

// TestParallelNothingMatched: a chunk in which nothing matches is handed
// back unchanged, as on one goroutine.
func TestParallelNothingMatched(t *testing.T) {
	var chunk []byte
	for i := range 200 {
		chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(i))
	}
	_, many := parallelPair(t, Config{}, 3, 500)
	out, changed, err := many.Process([]byte("dst"), chunk)
	if changed || err != nil || string(out) != "dst" {
		t.Fatalf("changed %v, err %v, %q", changed, err, out)
	}
}

// TestParallelMalformed: a malformed tail is reported at its offset in the
// chunk and passed through (the cutting stops there: it is in the last
// block), and the records before it are filtered.
func TestParallelMalformed(t *testing.T) {
	chunk := mixedChunk(120)
	for _, cut := range []int{len(chunk) / 3, len(chunk) / 2, len(chunk) - 5} {
		bad := append(append([]byte(nil), chunk[:cut]...), 0xc1, 0x92, 0x01)
		for _, size := range []int{1, 700, 4000} {
			one, many := parallelPair(t, Config{}, 4, size)
			sameProcess(t, one, many, bad)
			_, _, err := one.Process(nil, bad)
			var me *MalformedError
			if !errors.As(err, &me) || me.Offset > cut {
				t.Fatalf("cut at %d, block size %d: error %v", cut, size, err)
			}
		}
	}
	one, many := parallelPair(t, Config{}, 4, 1)
	sameProcess(t, one, many, []byte{0xc1, 0xc1, 0xc1})
}

// corrRules is the probe rule, the unsigned .node rule and a correlation
// counting probes per value of n within an hour.
const corrRules = defaultAndProbe + `---
title: probes
id: 00000000-0000-4000-8000-0000000000c3
correlation: {type: event_count, rules: [00000000-0000-4000-8000-0000000000c1], group-by: [probe], timespan: 1h, condition: {gte: 3}}
`

// TestParallelCorrelations: with correlations the workers find the
// matches and one pass in order counts them: the alerts, the records and
// the correlation counters are those of one goroutine, however the chunk
// is cut, alert records included.
func TestParallelCorrelations(t *testing.T) {
	var chunk []byte
	for i := range 400 {
		body := fixture.BenignImageLoad(i)
		switch {
		case i%7 == 0:
			body = fixture.Map{{K: "probe", V: "x"}, {K: "n", V: i}}
		case i%13 == 0:
			body = fixture.UnsignedNodeLoad(i)
		case i%17 == 0:
			chunk = fixture.Event(chunk, -1, nil, fixture.Map{{K: "group", V: i}})
		case i%19 == 0:
			body = fixture.Map{{K: "owner", V: "1"}, {K: "records", V: []any{
				fixture.Map{{K: "probe", V: "x"}}, fixture.Map{{K: "a", V: i}}, fixture.Map{{K: "probe", V: "x"}}}}}
		}
		// time_key's field on some records, one of them far ahead of
		// the clock (counted late); the others take the header's time
		// or the record's before.
		switch {
		case i == 200:
			body = body.With("when", "2099-01-01T00:00:00Z")
		case i%3 == 0:
			body = body.With("when", time.Unix(1_700_000_000+int64(i)*60, 0).UTC().Format(time.RFC3339))
		}
		chunk = fixture.Event(chunk, fixture.Time(time.Unix(1_700_000_000+int64(i)*30, 0)), nil, body)
	}
	for _, cfg := range []Config{{}, {CorrelationRecord: true}, {BatchKeys: []string{"records"}, MatchOnly: true},
		{TimeKey: "when"}, {TimeKey: "when", ShardKey: []string{"Image"}, BatchKeys: []string{"records"}}} {
		for _, size := range []int{1, 300, 4000} {
			one := ruleFilter(t, cfg, corrRules)
			many := ruleFilter(t, cfg, corrRules)
			one.workers, many.workers, many.blockBytes = 1, 3, size
			if !many.parallel(chunk) {
				t.Fatal("a chunk of many blocks is not cut")
			}
			for _, c := range [][]byte{chunk, chunk[:len(chunk)/3], append(chunk[:len(chunk)/2:len(chunk)/2], 0xc1)} {
				sameProcess(t, one, many, c)
			}
			if w, g := one.CorrelationCounters(), many.CorrelationCounters(); !reflect.DeepEqual(w, g) {
				t.Fatalf("%+v: correlation counters %+v, on one goroutine %+v", cfg, g, w)
			}
			if n := countOf(t, many.Counters(), "00000000-0000-4000-8000-0000000000c3"); n == 0 {
				t.Fatal("the correlation never fired: the test tests nothing")
			}
			if n := many.counts.unnoted.Load(); n > 0 {
				t.Fatalf("%+v: the rules ran again on %d record(s) the first pass had not noted", cfg, n)
			}
		}
	}
}

// TestFirstPassNotes: process takes each record's matches from the first
// pass's notes, matching them by where the event starts; a record with no
// note has the rules run on it.
func TestFirstPassNotes(t *testing.T) {
	f := ruleFilter(t, Config{}, corrRules)
	var chunk []byte
	var starts []int
	for i := range 3 {
		starts = append(starts, len(chunk))
		chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(i))
	}
	node := slices.IndexFunc(f.metas, func(r rules.Rule) bool { return r.Title == "unsigned node" })
	// The first pass says the second record matched the .node rule, and
	// has no note of the third.
	b := block{notes: []note{{start: starts[0], end: starts[1]}, {start: starts[1], end: starts[2], hi: 1}}, matches: []int{node}}
	out, changed, err := f.process(nil, chunk, false, &matchedBefore{blocks: []block{b}})
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	got := decodeAll(t, out)
	if len(got) != 3 || got[0].body["sigma"] != nil || got[1].body["sigma"] == nil || got[2].body["sigma"] != nil {
		t.Fatalf("want only the second record marked: %+v", got)
	}
	if n := f.counts.unnoted.Load(); n != 1 {
		t.Fatalf("%d record(s) without a note, want 1", n)
	}
}

// TestParallelSmallChunks: chunks under two blocks are filtered on the
// calling goroutine, as is every chunk with one worker.
func TestParallelSmallChunks(t *testing.T) {
	chunk := mixedChunk(300)
	_, many := parallelPair(t, Config{}, 4, 100)
	if !many.parallel(chunk) || many.parallel(chunk[:199]) {
		t.Error("parallel: want chunks of two blocks or more cut, smaller ones not")
	}
	one, _ := parallelPair(t, Config{}, 4, 100)
	if one.parallel(chunk) {
		t.Error("one worker cuts chunks")
	}
}

// TestWorkersProperty: workers takes a positive count; the filter uses no
// more goroutines than Go has CPUs for.
func TestWorkersProperty(t *testing.T) {
	workers := func(v string) func(string) (string, bool) {
		return func(name string) (string, bool) { return v, name == "workers" }
	}
	for _, bad := range []string{"0", "-1", "two"} {
		if _, err := ParseConfig(workers(bad)); !errors.Is(err, ErrBadProperty) {
			t.Errorf("workers %q: %v", bad, err)
		}
	}
	cfg, err := ParseConfig(workers(" 3 "))
	if err != nil || cfg.Workers != 3 {
		t.Fatalf("workers 3: %+v, %v", cfg.Workers, err)
	}
	if cfg, _ := ParseConfig(func(string) (string, bool) { return "", false }); cfg.Workers != 2 {
		t.Errorf("workers defaults to %d, want 2", cfg.Workers)
	}
	cfg.Workers = 1 << 20
	if f := newFilter(t, cfg); f.Workers() != runtime.GOMAXPROCS(0) {
		t.Errorf("workers %d with GOMAXPROCS %d", f.Workers(), runtime.GOMAXPROCS(0))
	}
}

// FuzzParallel: any chunk, cut into blocks of any size, comes out as it
// does from one goroutine, and is counted the same, with and without
// correlations.
func FuzzParallel(f *testing.F) {
	f.Add(mixedChunk(12), uint16(1))
	f.Add(mixedChunk(30), uint16(200))
	f.Add(append(mixedChunk(8), 0xc1), uint16(50))
	f.Add([]byte{0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x81, 0xa1, 'a', 0xc1}, uint16(1))
	f.Add(timedChunk(20, 0), uint16(1))
	f.Add(append(timedChunk(30, 7), 0xc1), uint16(90))
	type setup struct {
		cfg Config
		set *rules.Set
	}
	var setups []setup
	for _, c := range []struct {
		src string
		cfg Config
	}{
		{defaultAndProbe, Config{}},
		{defaultAndProbe, Config{MatchOnly: true, BatchKeys: []string{"records"}}},
		{corrRules, Config{CorrelationRecord: true, BatchKeys: []string{"records"}}},
		{corrRules, Config{TimeKey: "when", MatchOnly: true}},
		{timedCorrRules, Config{Offline: true, CorrelationRecord: true, BatchKeys: []string{"records"}}},
		{timedCorrRules, Config{TimeKey: "when", Format: FormatECS, TagKey: "t", MatchOnly: true}},
	} {
		set, _, err := rules.Compile([]rules.Source{{Name: "t.yml", Data: []byte(c.src)}}, rules.Options{})
		if err != nil {
			f.Fatal(err)
		}
		setups = append(setups, setup{c.cfg, set})
	}
	f.Fuzz(func(t *testing.T, chunk []byte, size uint16) {
		for _, su := range setups {
			// New filters for each input, and the blocks taken in turn
			// on the calling goroutine: the fuzzer keeps an input for
			// the coverage it gives, which must not depend on what
			// earlier inputs left in the pools or on which goroutine
			// took which block (the tests above run blocks on several).
			one, many := NewWithRules(su.cfg, su.set, rules.Report{}), NewWithRules(su.cfg, su.set, rules.Report{})
			one.workers = 1
			many.workers, many.blockBytes, many.inline = 3, int(size)+1, true
			sameProcess(t, one, many, chunk)
			if w, g := one.CorrelationCounters(), many.CorrelationCounters(); !reflect.DeepEqual(w, g) {
				t.Fatalf("correlation counters %+v, on one goroutine %+v", g, w)
			}
			if one.corr == nil {
				continue
			}
			if w, g := one.corr.lastTime.Load(), many.corr.lastTime.Load(); w != g {
				t.Fatalf("lastTime %d, on one goroutine %d", g, w)
			}
			if w, g := one.Flush(nil), many.Flush(nil); !bytes.Equal(w, g) {
				t.Fatalf("open windows: %d bytes flushed, on one goroutine %d", len(g), len(w))
			}
			if n := many.counts.unnoted.Load(); n > 0 {
				t.Fatalf("the rules ran again on %d record(s) the first pass had not noted", n)
			}
		}
	})
}

// countOf returns how many records the rule id matched.
func countOf(t *testing.T, c Counters, id string) uint64 {
	t.Helper()
	for _, r := range c.Rules {
		if r.ID == id {
			return r.Count
		}
	}
	return 0
}

// TestParallelPanic: a panic while filtering (a filter's counters or its
// correlations' time slots taken away stand for any bug) comes out of
// Process on the calling goroutine, where the plugin's C boundary
// recovers it, whichever worker hit it, and only once every worker has
// stopped reading the chunk. A panic on another goroutine would end the
// test binary, as it would Fluent Bit.
func TestParallelPanic(t *testing.T) {
	var chunk []byte
	for i := 0; len(chunk) < 400<<10; i++ {
		body := fixture.BenignImageLoad(i)
		if i%50 == 0 {
			body = fixture.UnsignedNodeLoad(i)
		}
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	_, plain := parallelPair(t, Config{}, 4, defaultBlockBytes)
	plain.counts.rules = nil
	corr := ruleFilter(t, Config{TimeKey: "UtcTime"}, corrRules)
	corr.workers = 4
	corr.corr.timeSlots = []int{1 << 30}
	before := runtime.NumGoroutine()
	for _, f := range []*Filter{plain, corr} {
		for range 20 {
			func() {
				defer func() {
					if recover() == nil {
						t.Fatal("no panic came out of Process")
					}
				}()
				f.Process(nil, chunk)
			}()
			// A worker still reading the chunk races with this write
			// (go test -race).
			for i := range chunk {
				chunk[i] ^= 0
			}
			// Workers call wg.Done just before they end.
			deadline := time.Now().Add(time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Fatalf("Process returned with %d goroutine(s) still running", n-before)
			}
		}
	}
}
