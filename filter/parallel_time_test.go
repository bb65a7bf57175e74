package filter

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// timedCorrRules: the probe rule, the .node rule and correlations over the
// probe, one of them by a field only correlations read (user: the late
// index), one a value_count.
const timedCorrRules = corrRules + `---
title: probes by user
id: 00000000-0000-4000-8000-0000000000d1
correlation: {type: event_count, rules: [00000000-0000-4000-8000-0000000000c1], group-by: [user], timespan: 10m, condition: {gte: 2}}
---
title: distinct n
id: 00000000-0000-4000-8000-0000000000d2
correlation: {type: value_count, rules: [00000000-0000-4000-8000-0000000000c1], group-by: [user], field: n, timespan: 2h, condition: {gte: 2}}
`

// timeValue is the time field record i carries, if any: time_key's field
// (when) in every form, readable or not, and the fields sigma-check
// reads offline.
func timeValue(i int) (string, any, bool) {
	base := int64(1_700_000_000) + int64(i)*41
	switch i % 17 {
	case 0:
		return "when", time.Unix(base, 0).UTC().Format(time.RFC3339), true
	case 1:
		return "when", "1970-01-01T00:00:00Z", true // parses to 0
	case 2:
		return "when", "not a time", true
	case 3:
		return "when", base, true // a number
	case 4:
		return "when", float64(base) + 0.25, true
	case 5:
		return "when", fmt.Sprint(base), true
	case 6:
		return "TimeCreated", time.Unix(base, 0).UTC().Format("2006-01-02 15:04:05.000 -07:00"), true
	case 7:
		return "UtcTime", time.Unix(base-3600, 0).UTC().Format("2006-01-02 15:04:05.000"), true
	case 8:
		return "@timestamp", time.Unix(base, 0).UTC().Format(time.RFC3339Nano), true
	case 9:
		return "when", fixture.Map{{K: "x", V: 1}}, true // a map: unreadable
	case 10:
		return "when", "2099-01-01T00:00:00Z", true // ahead of the clock
	case 11:
		return "timestamp", "1969-12-31T23:59:59Z", true // before the epoch
	case 12:
		return "when", nil, true
	}
	return "", nil, false
}

// timedChunk is n events from seed on: probes, .node loads, batches and
// benign records, with time fields of every kind and header times that
// are missing, floats or legacy, group markers and bodies that are not
// maps.
func timedChunk(n, seed int) []byte {
	var chunk []byte
	for j := range n {
		i := j + seed
		var body fixture.Map
		switch {
		case i%5 == 0:
			body = fixture.Map{{K: "probe", V: "x"}, {K: "n", V: i % 4}, {K: "user", V: fmt.Sprint("u", i%3)}}
		case i%23 == 0:
			body = fixture.UnsignedNodeLoad(i)
		case i%29 == 0:
			body = fixture.Map{{K: "owner", V: "1"}, {K: "user", V: "u1"}, {K: "records", V: []any{
				fixture.Map{{K: "probe", V: "x"}, {K: "when", V: "2023-11-14T22:13:20Z"}}, fixture.Map{{K: "a", V: i}}, fixture.Map{{K: "probe", V: "x"}, {K: "n", V: 9}}}}}
		default:
			body = fixture.BenignImageLoad(i).With("user", fmt.Sprint("u", i%3))
		}
		if k, v, ok := timeValue(i); ok {
			body = body.With(k, v)
		}
		// a second time field on some, the first one unreadable
		if i%7 == 0 {
			body = body.With("UtcTime", "2023-11-14 22:00:00.000")
		}
		var hdr any = fixture.Time(time.Unix(1_700_000_000+int64(i)*13, 0))
		switch i % 11 {
		case 1:
			hdr = 0 // no header time
		case 2:
			hdr = 1.5
		case 4:
			chunk = fixture.LegacyEvent(chunk, 1_700_000_000+i, body)
			continue
		case 6:
			chunk = fixture.Event(chunk, -1, nil, fixture.Map{{K: "group", V: i}})
		case 8:
			chunk = fixture.Event(chunk, ts, nil, []any{"not", "a", "map"})
		}
		chunk = fixture.Event(chunk, hdr, nil, body)
	}
	return chunk
}

// TestParallelEventTime: with correlations, the two passes reach the
// same event times as one goroutine, whatever the time fields hold and
// whichever records the ordered pass leaves unread: the same output,
// counters, clock (lastTime), untimed records and open windows, over
// four chunks in a row, in every format and mode.
func TestParallelEventTime(t *testing.T) {
	cfgs := map[string]Config{
		"offline":           {Offline: true},
		"offline time_key":  {Offline: true, TimeKey: "when", CorrelationRecord: true},
		"live time_key":     {TimeKey: "when"},
		"ecs tag record":    {TimeKey: "when", Format: FormatECS, TagKey: "tagged", CorrelationRecord: true},
		"flat match_only":   {TimeKey: "when", Format: FormatFlat, MatchOnly: true, CorrelationRecord: true},
		"batch offline":     {Offline: true, BatchKeys: []string{"records"}, CorrelationRecord: true},
		"batch live":        {TimeKey: "when", BatchKeys: []string{"records"}, MatchOnly: true},
		"shard":             {TimeKey: "when", ShardKey: []string{"user"}, Shards: 3, BatchKeys: []string{"records"}},
		"ecs offline shard": {Offline: true, Format: FormatECS, TagKey: "t", ShardKey: []string{"user"}, Shards: 2},
		"no time":           {CorrelationRecord: true},
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			for _, size := range []int{1, 37, 300, 3000} {
				one := ruleFilter(t, cfg, timedCorrRules)
				many := ruleFilter(t, cfg, timedCorrRules)
				one.workers, many.workers, many.blockBytes = 1, 3, size
				for k := range 4 {
					c := timedChunk(400, k*400)
					if k == 3 {
						c = append(c[:len(c)*2/3:len(c)*2/3], 0xc1, 0x00)
					}
					if !many.parallel(c) {
						t.Fatal("a chunk of many blocks is not cut")
					}
					sameProcess(t, one, many, c)
					if w, g := one.CorrelationCounters(), many.CorrelationCounters(); !reflect.DeepEqual(w, g) {
						t.Fatalf("size %d chunk %d: correlation counters %+v, on one goroutine %+v", size, k, g, w)
					}
					if w, g := one.UntimedRecords(), many.UntimedRecords(); w != g {
						t.Fatalf("untimed %d, on one goroutine %d", g, w)
					}
					if w, g := one.corr.lastTime.Load(), many.corr.lastTime.Load(); w != g {
						t.Fatalf("lastTime %d, on one goroutine %d", g, w)
					}
				}
				if n := many.counts.unnoted.Load(); n > 0 {
					t.Fatalf("the rules ran again on %d record(s) the first pass had not noted", n)
				}
				if w, g := one.Flush(nil), many.Flush(nil); !bytes.Equal(w, g) {
					t.Fatalf("open windows: %d bytes flushed, on one goroutine %d", len(g), len(w))
				}
				fired := 0
				for _, id := range []string{"00000000-0000-4000-8000-0000000000c3", "00000000-0000-4000-8000-0000000000d1", "00000000-0000-4000-8000-0000000000d2"} {
					fired += int(countOf(t, many.Counters(), id))
				}
				if fired == 0 {
					t.Fatalf("%s: no correlation fired: the test tests nothing", name)
				}
			}
		})
	}
}

// TestParallelUnreadTime: the event time of records that match nothing
// (the ordered pass does not load them) comes from the first pass's note:
// a run of such records with time_key times and no header time moves the
// clock (lastTime) and closes windows as on one goroutine.
func TestParallelUnreadTime(t *testing.T) {
	var chunk []byte
	for i := range 300 {
		body := fixture.BenignImageLoad(i)
		if i < 3 {
			body = fixture.Map{{K: "probe", V: "x"}, {K: "n", V: 1}}
		}
		body = body.With("when", time.Unix(1_700_000_000+int64(i)*60, 0).UTC().Format(time.RFC3339))
		chunk = fixture.Event(chunk, 0, nil, body) // no header time
	}
	for _, cfg := range []Config{{TimeKey: "when", CorrelationRecord: true}, {Offline: true, TimeKey: "when"}} {
		one, many := ruleFilter(t, cfg, corrRules), ruleFilter(t, cfg, corrRules)
		one.workers, many.workers, many.blockBytes = 1, 3, 500
		sameProcess(t, one, many, chunk)
		if w, g := one.corr.lastTime.Load(), many.corr.lastTime.Load(); w != g {
			t.Fatalf("%+v: lastTime %d, one goroutine %d", cfg, g, w)
		}
		if w, g := one.Flush(nil), many.Flush(nil); !bytes.Equal(w, g) {
			t.Fatalf("%+v: open windows differ", cfg)
		}
	}
}
