package filter

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// netEvent is a flat network event (ECS-like keys, as a firewall or
// proxy log carries them).
func netEvent(src, dst, user string, bytesOut int) fixture.Map {
	return fixture.Map{{K: "source.ip", V: src}, {K: "destination.ip", V: dst}, {K: "user", V: user},
		{K: "bytes_out", V: bytesOut}, {K: "event.action", V: "connect"}}
}

const netRule = `title: connection
id: conn
name: connection
detection:
  sel: {event.action: connect}
  condition: sel
`

// corrTypeCase is a correlation over netRule, events fed one second
// apart, and the events (1-based) whose record must carry the alert,
// with the alert's value.
type corrTypeCase struct {
	name        string
	correlation string
	events      []fixture.Map
	want        string // "event:value ..."
}

func TestCorrelationTypes(t *testing.T) {
	ev := netEvent
	for _, tc := range []corrTypeCase{
		{"value_count: distinct destinations per source", `type: value_count
  group-by: [source.ip]
  timespan: 1m
  condition: {field: destination.ip, gte: 3}`,
			[]fixture.Map{ev("a", "x", "u", 1), ev("a", "x", "u", 1), ev("a", "y", "u", 1), ev("b", "z", "u", 1), ev("a", "z", "u", 1)},
			"5:3"},
		{"value_sum: bytes out per user", `type: value_sum
  group-by: [user]
  timespan: 1h
  condition: {field: bytes_out, gt: 1000}`,
			[]fixture.Map{ev("a", "x", "u", 400), ev("a", "x", "v", 900), ev("a", "x", "u", 500), ev("a", "x", "u", 200)},
			"4:1100"},
		{"value_avg: average bytes per source", `type: value_avg
  group-by: [source.ip]
  timespan: 1h
  condition: {field: bytes_out, gte: 500}`,
			[]fixture.Map{ev("a", "x", "u", 100), ev("a", "x", "u", 800), ev("a", "x", "u", 900)},
			"3:600"},
		{"value_percentile (rarity): a destination in at most 20% of the source's events", `type: value_percentile
  group-by: [source.ip]
  timespan: 1h
  condition: {field: destination.ip, lte: 20}`,
			[]fixture.Map{ev("a", "x", "u", 1), ev("a", "x", "u", 1), ev("a", "x", "u", 1), ev("a", "x", "u", 1),
				ev("a", "x", "u", 1), ev("a", "rare", "u", 1)},
			"6:16.666666666666668"},
		{"value_percentile with pySigma's percentile: the 90th percentile of bytes", `type: value_percentile
  group-by: [source.ip]
  timespan: 1h
  condition: {field: bytes_out, percentile: 90, gt: 1000}`,
			[]fixture.Map{ev("a", "x", "u", 10), ev("a", "x", "u", 20), ev("a", "x", "u", 5000), ev("a", "x", "u", 30)},
			"3:5000"},
		{"event_count without group-by: one group", `type: event_count
  timespan: 1m
  condition: {eq: 2}`,
			[]fixture.Map{ev("a", "x", "u", 1), ev("b", "y", "v", 1)},
			"end:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "title: c\nid: c\ncorrelation:\n  rules: [connection]\n  " + tc.correlation + "\n---\n" + netRule
			f := correlationFilter(t, Config{}, src)
			var got []string
			for i, e := range tc.events {
				recs := run(t, f, at(time.Duration(i)*time.Second, e))[0]
				for _, m := range matchesOf(recs[0]) {
					got = append(got, fmt.Sprintf("%d:%v", i+1, m["value"]))
				}
			}
			out := decodeChunk(t, f.Flush(nil))
			for _, rec := range out {
				for _, m := range matchesOf(rec) {
					got = append(got, fmt.Sprintf("end:%v", m["value"]))
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("alerts %v, want %s", got, tc.want)
			}
		})
	}
}

// TestTemporal: all referenced rules within the timespan, in any order
// (temporal) or in the listed order (temporal_ordered).
func TestTemporal(t *testing.T) {
	const rulesSrc = `---
title: recon
id: recon
name: recon
detection:
  sel: {action: whoami}
  condition: sel
---
title: dump
id: dump
name: dump
detection:
  sel: {action: lsass_read}
  condition: sel
`
	step := func(host, action string) fixture.Map {
		return fixture.Map{{K: "host", V: host}, {K: "action", V: action}}
	}
	for _, tc := range []struct {
		kind   string
		events []fixture.Map
		want   string
	}{
		{"temporal", []fixture.Map{step("h1", "lsass_read"), step("h2", "whoami"), step("h1", "whoami")}, "[3]"},
		{"temporal_ordered", []fixture.Map{step("h1", "lsass_read"), step("h1", "whoami")}, "[]"},
		{"temporal_ordered", []fixture.Map{step("h1", "whoami"), step("h2", "lsass_read"), step("h1", "lsass_read")}, "[3]"},
	} {
		src := "title: c\nid: c\ncorrelation:\n  type: " + tc.kind + "\n  rules: [recon, dump]\n  group-by: [host]\n  timespan: 5m\n" + rulesSrc
		f := correlationFilter(t, Config{}, src)
		var fired []int
		for i, e := range tc.events {
			if len(matchesOf(run(t, f, at(time.Duration(i)*time.Second, e))[0][0])) > 0 {
				fired = append(fired, i+1)
			}
		}
		if fmt.Sprint(fired) != tc.want {
			t.Errorf("%s %v: fired at %v, want %s", tc.kind, tc.events, fired, tc.want)
		}
	}
}

// TestAliases is the specification's "Field Name Aliases Example": an
// internal error and a new connection between the same two addresses,
// seen from either side.
func TestAliases(t *testing.T) {
	src := specExample(t, "aliases.yml")
	f := correlationFilter(t, Config{}, src)
	httpErr := fixture.Map{{K: "http", V: fixture.Map{{K: "response", V: fixture.Map{{K: "status_code", V: 500}}}}},
		{K: "source", V: fixture.Map{{K: "ip", V: "198.51.100.7"}}}, {K: "destination", V: fixture.Map{{K: "ip", V: "10.0.0.5"}}}}
	conn := func(src, dst string) fixture.Map {
		return fixture.Map{{K: "event", V: fixture.Map{{K: "category", V: "network"}, {K: "type", V: "connection"}, {K: "outcome", V: "success"}}},
			{K: "source", V: fixture.Map{{K: "ip", V: src}}}, {K: "destination", V: fixture.Map{{K: "ip", V: dst}}}}
	}
	run(t, f, at(0, httpErr))
	if recs := run(t, f, at(time.Second, conn("10.0.0.6", "198.51.100.7")))[0]; len(matchesOf(recs[0])) > 0 {
		t.Fatalf("another internal address completed it: %v", recs[0])
	}
	recs := run(t, f, at(2*time.Second, conn("10.0.0.5", "198.51.100.7")))[0]
	ms := matchesOf(recs[0])
	if len(ms) != 1 || fmt.Sprint(ms[0]["group"]) != "map[internal_ip:10.0.0.5 remote_ip:198.51.100.7]" {
		t.Errorf("the connection back to the erring address: %v", recs[0])
	}
}

// TestCorrelationsConcurrently: one instance on several threads (a
// processor on a threaded input) counts every event once; run under
// -race by make test.
func TestCorrelationsConcurrently(t *testing.T) {
	f := correlationFilter(t, Config{}, strings.Replace(bruteForce, "gte: 10", "gte: 1000000", 1))
	const workers, chunks, perChunk = 4, 50, 20
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for c := range chunks {
				var chunk []byte
				for i := range perChunk {
					ip := fmt.Sprintf("10.0.%d.%d", w, i%5)
					chunk = append(chunk, at(time.Duration(c)*time.Second, logon(4625, ip, "a"))...)
				}
				f.Process(nil, chunk)
			}
		}()
	}
	for range workers {
		<-done
	}
	if got := f.CorrelationCounters().Groups; got != workers*5 {
		t.Errorf("%d groups, want %d", got, workers*5)
	}
	if got := f.Counters().Records; got != workers*chunks*perChunk {
		t.Errorf("%d records, want %d", got, workers*chunks*perChunk)
	}
}

func TestCorrelationSuppress(t *testing.T) {
	src := strings.Replace(bruteForce, "gte: 10", "gte: 2", 1)
	f := correlationFilter(t, Config{CorrelationSuppress: time.Minute}, src)
	var fired []int
	for i := range 12 { // every 10 s: pairs complete at 2, 4, 6, ...
		if len(matchesOf(run(t, f, at(time.Duration(i)*10*time.Second, logon(4625, "10.1.1.1", "a")))[0][0])) > 0 {
			fired = append(fired, i+1)
		}
	}
	// Fired at 2 (t=10s); muted until a minute later: 4 (30s), 6 (50s)
	// muted; 8 (70s) fires; 10, 12 muted.
	if fmt.Sprint(fired) != "[2 8]" {
		t.Errorf("fired at %v, want [2 8]", fired)
	}
	if got := f.CorrelationCounters().Suppressed; got != 4 {
		t.Errorf("suppressed = %d, want 4", got)
	}
}

// TestFutureEventTimeIsLate: one record from a host whose clock is years
// ahead does not close every window and make every later record late.
func TestFutureEventTimeIsLate(t *testing.T) {
	f := correlationFilter(t, Config{TimeKey: "EventTime"}, strings.Replace(bruteForce, "gte: 10", "gte: 3", 1))
	now := time.Now().UTC()
	rec := func(at time.Time) []byte {
		return fixture.Event(nil, fixture.Time(now), nil, logon(4625, "10.9.9.9", "a").With("EventTime", at.Format(time.RFC3339)))
	}
	run(t, f, rec(now.AddDate(73, 0, 0)))
	var fired []int
	for i := range 3 {
		if len(matchesOf(run(t, f, rec(now.Add(time.Duration(i)*time.Second)))[0][0])) > 0 {
			fired = append(fired, i+1)
		}
	}
	if fmt.Sprint(fired) != "[3]" || f.CorrelationCounters().Late != 1 {
		t.Errorf("fired at %v, late %d; want [3] and the one record from the future", fired, f.CorrelationCounters().Late)
	}
}

// TestAlertRecordsAreNotRepeated: an event that is not a record, after a
// record that fired, writes no alert record again (nor does the next
// call).
func TestAlertRecordsAreNotRepeated(t *testing.T) {
	f := correlationFilter(t, Config{CorrelationRecord: true}, strings.Replace(bruteForce, "gte: 10", "gte: 1", 1))
	notARecord := fixture.Event(nil, fixture.Time(t0), nil, "plain text body")
	chunk := append(at(0, logon(4625, "10.1.2.3", "a")), notARecord...)
	if recs, _, _ := f.Process(nil, chunk); len(chunkEventsOf(t, recs)) != 3 {
		t.Errorf("%d events out, want the record, its alert record and the text event", len(chunkEventsOf(t, recs)))
	}
	if _, changed, _ := f.Process(nil, notARecord); changed {
		t.Error("a chunk of one non-record event came back changed")
	}
}

func chunkEventsOf(t *testing.T, chunk []byte) [][]byte {
	t.Helper()
	var evs [][]byte
	for off := 0; off < len(chunk); {
		end, err := msgpack.Skip(chunk, off)
		if err != nil {
			t.Fatal(err)
		}
		evs, off = append(evs, chunk[off:end]), end
	}
	return evs
}

// TestParseNumber: what value_sum, value_avg and a percentile read as a
// number; NaN and infinities are not, or one would hold a window's sum at
// NaN.
func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1024", 1024, true}, {"-3", -3, true}, {"2.5", 2.5, true}, {"0x10", 16, true}, {"1e3", 1000, true},
		{"abc", 0, false}, {"", 0, false}, {"NaN", 0, false}, {"Inf", 0, false}, {"-Infinity", 0, false}, {"1e400", 0, false},
	} {
		got, ok := parseNumber([]byte(tc.in))
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
