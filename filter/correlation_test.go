package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// bruteForce is the README's worked example: ten failed logons from one
// address within five minutes.
const bruteForce = `title: Brute force from one address
id: 7f1b0d57-2a48-4c8e-9a3f-1f0e3c5d8a11
status: experimental
level: high
correlation:
  type: event_count
  rules:
    - failed_logon
  group-by:
    - IpAddress
  timespan: 5m
  condition:
    gte: 10
---
title: Failed logon
id: 5c8f0a36-1d3e-4b7c-8e2a-9b6d4f1c2e70
name: failed_logon
status: experimental
level: low
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
`

var t0 = time.Date(2026, 11, 30, 2, 10, 0, 0, time.UTC)

// logon is a Security event in the evtx JSON shape.
func logon(id int, ip, user string) fixture.Map {
	return fixture.Evtx(id, "Security", "Microsoft-Windows-Security-Auditing",
		fixture.Map{{K: "TargetUserName", V: user}, {K: "IpAddress", V: ip}})
}

func correlationFilter(t *testing.T, cfg Config, src string) *Filter {
	t.Helper()
	set, report, err := rules.Compile([]rules.Source{{Name: "c.yml", Data: []byte(src)}}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Skipped) > 0 {
		t.Fatalf("skipped: %v", report.Skipped)
	}
	return NewWithRules(cfg, set, report)
}

// at is a chunk event stamped t0+d.
func at(d time.Duration, body fixture.Map) []byte {
	return fixture.Event(nil, fixture.Time(t0.Add(d)), nil, body)
}

// decodeChunk returns the bodies of a chunk's events as JSON values.
func decodeChunk(t *testing.T, chunk []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for off := 0; off < len(chunk); {
		end, err := msgpack.Skip(chunk, off)
		if err != nil {
			t.Fatal(err)
		}
		_, p, _ := msgpack.ReadArrayHeader(chunk, off)
		body, _ := msgpack.Skip(chunk, p)
		var buf bytes.Buffer
		stream := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 1024)
		if _, err := textevent.WriteMsgpack(stream, chunk, body); err != nil {
			t.Fatal(err)
		}
		stream.Flush()
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%v: %s", err, buf.Bytes())
		}
		out = append(out, m)
		off = end
	}
	return out
}

// run processes each chunk and returns the output of each (the input when
// unchanged).
func run(t *testing.T, f *Filter, chunks ...[]byte) [][]map[string]any {
	t.Helper()
	var outs [][]map[string]any
	for _, c := range chunks {
		out, changed, err := f.Process(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		if !changed {
			out = c
		}
		outs = append(outs, decodeChunk(t, out))
	}
	return outs
}

func matchesOf(rec map[string]any) []map[string]any {
	s, _ := rec["sigma"].(map[string]any)
	list, _ := s["matches"].([]any)
	var out []map[string]any
	for _, m := range list {
		out = append(out, m.(map[string]any))
	}
	return out
}

func TestEventCountFiresOnTheTenthAndRestarts(t *testing.T) {
	f := correlationFilter(t, Config{}, bruteForce)
	var fired []int
	for i := range 25 {
		recs := run(t, f, at(time.Duration(i)*time.Second, logon(4625, "10.1.2.3", "admin")))[0]
		if len(recs) != 1 {
			t.Fatalf("event %d: %d records out, want 1", i+1, len(recs))
		}
		ms := matchesOf(recs[0])
		if len(ms) == 0 {
			continue
		}
		fired = append(fired, i+1)
		m := ms[0]
		if len(ms) != 1 || m["id"] != "7f1b0d57-2a48-4c8e-9a3f-1f0e3c5d8a11" || m["type"] != "event_count" {
			t.Fatalf("event %d: matches %v, want the correlation alone (the base rule is silent)", i+1, ms)
		}
		if g := m["group"].(map[string]any); g["IpAddress"] != "10.1.2.3" {
			t.Errorf("group = %v", g)
		}
		if m["value"] != float64(10) {
			t.Errorf("value = %v, want 10", m["value"])
		}
		w := m["window"].(map[string]any)
		// The sliding window that met the condition ends at the completing
		// event and spans the timespan.
		end := t0.Add(time.Duration(i) * time.Second)
		if w["start"] != end.Add(-5*time.Minute).Format(time.RFC3339Nano) || w["end"] != end.Format(time.RFC3339Nano) {
			t.Errorf("window = %v, want 5 minutes up to %v", w, end)
		}
		if rs := m["rules"].([]any); len(rs) != 1 || rs[0] != "5c8f0a36-1d3e-4b7c-8e2a-9b6d4f1c2e70" {
			t.Errorf("rules = %v", rs)
		}
		if recs[0]["sigma"].(map[string]any)["level"] != "high" {
			t.Errorf("level = %v", recs[0]["sigma"])
		}
	}
	if fmt.Sprint(fired) != "[10 20]" {
		t.Errorf("fired at events %v, want [10 20]: the group restarts after firing", fired)
	}
}

func TestGroupsAreSeparateAndMissingGroupFieldIsNotCounted(t *testing.T) {
	f := correlationFilter(t, Config{}, bruteForce)
	var chunk []byte
	for i := range 9 {
		chunk = append(chunk, at(time.Duration(i)*time.Second, logon(4625, "10.0.0.1", "a"))...)
		chunk = append(chunk, at(time.Duration(i)*time.Second, logon(4625, "10.0.0.2", "a"))...)
		chunk = append(chunk, at(time.Duration(i)*time.Second,
			fixture.Evtx(4625, "Security", "Microsoft-Windows-Security-Auditing", fixture.Map{{K: "TargetUserName", V: "a"}}))...)
	}
	for _, rec := range run(t, f, chunk)[0] {
		if len(matchesOf(rec)) > 0 {
			t.Fatalf("fired on 9 events per address: %v", rec)
		}
	}
	recs := run(t, f, at(10*time.Second, logon(4625, "10.0.0.2", "a")))[0]
	if ms := matchesOf(recs[0]); len(ms) != 1 || ms[0]["group"].(map[string]any)["IpAddress"] != "10.0.0.2" {
		t.Errorf("tenth event of 10.0.0.2: %v", recs[0])
	}
}

func TestWindowSlidesAndOldEventsExpire(t *testing.T) {
	f := correlationFilter(t, Config{}, bruteForce)
	// Nine events, then the tenth six minutes after the first: the first
	// has left the 5-minute window.
	for i := range 9 {
		run(t, f, at(time.Duration(i)*time.Second, logon(4625, "10.0.0.9", "a")))
	}
	if recs := run(t, f, at(6*time.Minute, logon(4625, "10.0.0.9", "a")))[0]; len(matchesOf(recs[0])) > 0 {
		t.Fatalf("fired with events outside the window: %v", recs[0])
	}
}

func TestCorrelationRecord(t *testing.T) {
	f := correlationFilter(t, Config{CorrelationRecord: true}, bruteForce)
	var chunk []byte
	for i := range 10 {
		chunk = append(chunk, at(time.Duration(i)*time.Second, logon(4625, "10.1.2.3", "admin"))...)
	}
	chunk = append(chunk, at(11*time.Second, logon(4624, "10.1.2.3", "admin"))...)
	recs := run(t, f, chunk)[0]
	if len(recs) != 12 {
		t.Fatalf("%d records out, want 11 and an alert record", len(recs))
	}
	alert := recs[10]
	if alert["IpAddress"] != "10.1.2.3" || len(matchesOf(alert)) != 1 || alert["Event"] != nil {
		t.Errorf("alert record = %v, want the group value and the correlation only", alert)
	}
	if len(matchesOf(recs[9])) != 1 {
		t.Errorf("the completing record lacks the correlation: %v", recs[9])
	}
	// In format ecs a group-by name may be an ECS object's (host): the
	// values stay in the correlations' group only.
	ecs := correlationFilter(t, Config{CorrelationRecord: true, Format: FormatECS}, bruteForce)
	alert = run(t, ecs, chunk)[0][10]
	corrs, _ := alert["sigma"].(map[string]any)["correlations"].([]any)
	if _, top := alert["IpAddress"]; top || len(corrs) != 1 || corrs[0].(map[string]any)["group"].(map[string]any)["IpAddress"] != "10.1.2.3" {
		t.Errorf("ecs alert record = %v, want the group under sigma.correlations only", alert)
	}
}

const fewLogons = `title: Fewer than three logons
id: few
correlation:
  type: event_count
  rules: [logon]
  group-by: [TargetUserName]
  timespan: 1m
  condition:
    lt: 3
---
title: Logon
id: logon-rule
name: logon
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4624
  condition: selection
`

func TestUpperBoundIsDecidedWhenTheWindowCloses(t *testing.T) {
	f := correlationFilter(t, Config{}, fewLogons)
	first := run(t, f, at(0, logon(4624, "", "alice")), at(time.Second, logon(4624, "", "bob")),
		at(2*time.Second, logon(4624, "", "bob")), at(3*time.Second, logon(4624, "", "bob")))
	for _, recs := range first {
		for _, r := range recs {
			if len(matchesOf(r)) > 0 {
				t.Fatalf("an upper-bound condition fired before its window closed: %v", r)
			}
		}
	}
	// Event time passes alice's window end (t0+1m): the next call, on
	// any record, decides it. bob had three: no alert.
	recs := run(t, f, at(2*time.Minute, logon(4688, "", "carol")))[0]
	if len(recs) != 2 {
		t.Fatalf("%d records out, want the record and one alert record", len(recs))
	}
	alert := recs[1]
	ms := matchesOf(alert)
	if alert["TargetUserName"] != "alice" || len(ms) != 1 || ms[0]["value"] != float64(1) {
		t.Errorf("alert record = %v, want alice's window with 1 event", alert)
	}
}

func TestCorrelationFormats(t *testing.T) {
	chunk := func() []byte {
		var c []byte
		for i := range 10 {
			c = append(c, at(time.Duration(i)*time.Second, logon(4625, "10.1.2.3", "admin"))...)
		}
		return c
	}
	f := correlationFilter(t, Config{Format: FormatECS}, bruteForce)
	last := run(t, f, chunk())[0][9]
	rule, _ := last["rule"].(map[string]any)
	if ids, _ := rule["id"].([]any); len(ids) != 1 || ids[0] != "7f1b0d57-2a48-4c8e-9a3f-1f0e3c5d8a11" {
		t.Errorf("ecs rule = %v", rule)
	}
	corr, _ := last["sigma"].(map[string]any)["correlations"].([]any)
	if len(corr) != 1 || corr[0].(map[string]any)["type"] != "event_count" {
		t.Errorf("ecs sigma.correlations = %v", last["sigma"])
	}
	f = correlationFilter(t, Config{Format: FormatFlat}, bruteForce)
	last = run(t, f, chunk())[0][9]
	for key, want := range map[string]string{
		FlatCorrelationTypes: "[event_count]", FlatCorrelationGroups: "[IpAddress=10.1.2.3]", FlatCorrelationValues: "[10]",
		FlatCorrelationStarts: "[" + t0.Add(9*time.Second-5*time.Minute).Format(time.RFC3339Nano) + "]", FlatRuleIDs: "[7f1b0d57-2a48-4c8e-9a3f-1f0e3c5d8a11]",
	} {
		if got := fmt.Sprint(last[key]); got != want {
			t.Errorf("flat %s = %s, want %s", key, got, want)
		}
	}
}

func TestGenerateWritesTheBaseRule(t *testing.T) {
	src := strings.Replace(bruteForce, "    gte: 10\n", "    gte: 10\n  generate: true\n", 1)
	f := correlationFilter(t, Config{}, src)
	recs := run(t, f, at(0, logon(4625, "10.1.2.3", "admin")))[0]
	if ms := matchesOf(recs[0]); len(ms) != 1 || ms[0]["id"] != "5c8f0a36-1d3e-4b7c-8e2a-9b6d4f1c2e70" {
		t.Errorf("with generate: true the base rule's match is written: %v", recs[0])
	}
}

func TestOutOfOrderWithinDelayCountsAndLateDoesNot(t *testing.T) {
	f := correlationFilter(t, Config{CorrelationMaxDelay: time.Minute}, bruteForce)
	// Eight events at +2m.., then one at +1m30 (late by 38 s: counts),
	// one at 0 (late by over a minute: ignored), then the tenth.
	for i := range 8 {
		run(t, f, at(2*time.Minute+time.Duration(i)*time.Second, logon(4625, "10.7.7.7", "a")))
	}
	run(t, f, at(90*time.Second, logon(4625, "10.7.7.7", "a")))
	run(t, f, at(0, logon(4625, "10.7.7.7", "a")))
	if got := f.CorrelationCounters().Late; got != 1 {
		t.Errorf("late = %d, want 1", got)
	}
	recs := run(t, f, at(2*time.Minute+10*time.Second, logon(4625, "10.7.7.7", "a")))[0]
	if ms := matchesOf(recs[0]); len(ms) != 1 || ms[0]["value"] != float64(10) {
		t.Errorf("tenth counted event = %v", recs[0])
	}
}

func TestTimeKeyIsTheEventTime(t *testing.T) {
	// The records' Fluent Bit timestamps are all equal (the consume time
	// of in_kafka); their own field spreads them over ten minutes, more
	// than the timespan.
	f := correlationFilter(t, Config{TimeKey: "EventTime"}, bruteForce)
	var chunk []byte
	for i := range 10 {
		rec := logon(4625, "10.3.3.3", "a").With("EventTime", t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		chunk = append(chunk, at(0, rec)...)
	}
	for _, rec := range run(t, f, chunk)[0] {
		if len(matchesOf(rec)) > 0 {
			t.Fatalf("fired though the events span ten minutes of event time")
		}
	}
}

// specExample reads one of the specification's examples, kept as written
// there in rules/testdata/spec.
func specExample(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "rules", "testdata", "spec", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// userLogon is a Security logon with the specification's User field.
func userLogon(id int, user string) fixture.Map {
	return fixture.Evtx(id, "Security", "Microsoft-Windows-Security-Auditing", fixture.Map{{K: "User", V: user}})
}

func TestChainedCorrelations(t *testing.T) {
	f := correlationFilter(t, Config{}, specExample(t, "failed-then-success.yml"))
	// A success before the failures does not complete the ordered pair.
	run(t, f, at(0, userLogon(4624, "bob")))
	for i := range 10 {
		recs := run(t, f, at(time.Duration(i+1)*time.Second, userLogon(4625, "bob")))[0]
		if ms := matchesOf(recs[0]); len(ms) > 0 {
			t.Fatalf("failure %d shows %v: the inner correlation is referenced, so silent", i+1, ms)
		}
	}
	recs := run(t, f, at(time.Minute, userLogon(4624, "bob")))[0]
	ms := matchesOf(recs[0])
	if len(ms) != 1 || ms[0]["id"] != "b180ead8-d58f-40b2-ae54-c8940995b9b6" || ms[0]["type"] != "temporal_ordered" {
		t.Fatalf("success after ten failures: %v", recs[0])
	}
	if rs := fmt.Sprint(ms[0]["rules"]); rs != "[a8418a5a-5fc4-46b5-b23b-6c73beb19d41 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8]" {
		t.Errorf("rules = %s", rs)
	}
}

func TestStateFileSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "bf.yml")
	if err := os.WriteFile(rulesPath, []byte(bruteForce), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{RulePaths: []string{rulesPath}, StateFile: filepath.Join(dir, "state"), StateCheckpoint: time.Hour,
		Rules: rules.Options{Statuses: rules.DefaultStatuses}}
	l, err := NewLive(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 9 {
		run(t, l.Filter(), at(time.Duration(i)*time.Second, logon(4625, "10.9.9.9", "a")))
	}
	if _, err := NewLive(cfg, nil); err == nil || !strings.Contains(err.Error(), "state") {
		t.Errorf("a second instance on the same state file: %v, want an error", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := NewLive(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if _, loadErr, ok := l2.StateLoad(); !ok || loadErr != nil {
		t.Fatalf("state load: %v %v", ok, loadErr)
	}
	recs := run(t, l2.Filter(), at(10*time.Second, logon(4625, "10.9.9.9", "a")))[0]
	if len(matchesOf(recs[0])) != 1 {
		t.Errorf("the tenth event after a restart did not fire: %v", recs[0])
	}
}

// TestCorruptStateFileIsReportedNotFatal: a damaged state file is
// reported and the state starts empty (the next checkpoint replaces it);
// a file that is not a state file, or a directory, fails the start and is
// left as it is.
func TestCorruptStateFileIsReportedNotFatal(t *testing.T) {
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "bf.yml")
	os.WriteFile(rulesPath, []byte(bruteForce), 0o644)
	state := filepath.Join(dir, "state")
	os.WriteFile(state, []byte("SIGMACORRSTATE\x01 damaged past its header"), 0o644)
	cfg := Config{RulePaths: []string{rulesPath}, StateFile: state, StateCheckpoint: time.Hour,
		Rules: rules.Options{Statuses: rules.DefaultStatuses}}
	l, err := NewLive(cfg, nil)
	if err != nil {
		t.Fatalf("a damaged state file failed the start: %v", err)
	}
	if _, loadErr, _ := l.StateLoad(); !errors.Is(loadErr, correlate.ErrCorruptState) {
		t.Errorf("a damaged state file was reported as %v, want ErrCorruptState", loadErr)
	}
	l.Close()

	other := []byte("not a state file at all")
	os.WriteFile(state, other, 0o644)
	if _, err := NewLive(cfg, nil); err == nil || !strings.Contains(err.Error(), "refusing to write over it") {
		t.Errorf("a file that is not a state file: start error %v, want a refusal", err)
	}
	if got, _ := os.ReadFile(state); string(got) != string(other) {
		t.Errorf("the other file was changed to %q", got)
	}
	cfg.StateFile = dir
	if _, err := NewLive(cfg, nil); err == nil {
		t.Error("a directory as state_file started")
	}
}

func TestRefreshCarriesStateOfUnchangedCorrelations(t *testing.T) {
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "bf.yml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(rulesPath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(bruteForce)
	cfg := Config{RulePaths: []string{rulesPath}, Rules: rules.Options{Statuses: rules.DefaultStatuses}}
	for _, tc := range []struct {
		name, src string
		fires     bool
	}{
		{"title changed", strings.Replace(bruteForce, "Brute force from one address", "Brute force (renamed)", 1), true},
		{"threshold changed", strings.Replace(bruteForce, "gte: 10", "gte: 11", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(bruteForce)
			l, err := NewLive(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for i := range 9 {
				run(t, l.Filter(), at(time.Duration(i)*time.Second, logon(4625, "10.5.5.5", "a")))
			}
			write(tc.src)
			if changed, err := l.Refresh(); !changed || err != nil {
				t.Fatalf("refresh: %v %v", changed, err)
			}
			recs := run(t, l.Filter(), at(10*time.Second, logon(4625, "10.5.5.5", "a")))[0]
			if fired := len(matchesOf(recs[0])) == 1; fired != tc.fires {
				t.Errorf("fired = %v, want %v", fired, tc.fires)
			}
		})
	}
}

// TestRefreshKeepsTheLateCount: records counted as late for being too far
// in the future stay counted after a refresh (the metric only grows).
func TestRefreshKeepsTheLateCount(t *testing.T) {
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "bf.yml")
	if err := os.WriteFile(rulesPath, []byte(bruteForce), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := NewLive(Config{RulePaths: []string{rulesPath}, Rules: rules.Options{Statuses: rules.DefaultStatuses}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ahead := fixture.Time(time.Now().Add(time.Hour))
	run(t, l.Filter(), at(0, logon(4625, "10.6.6.6", "a")), fixture.Event(nil, ahead, nil, logon(4625, "10.6.6.6", "a")))
	if late := l.Filter().CorrelationCounters().Late; late != 1 {
		t.Fatalf("late %d before the refresh, want 1 (the record an hour ahead)", late)
	}
	if err := os.WriteFile(rulesPath, []byte(strings.Replace(bruteForce, "Brute force from one address", "Renamed", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, err := l.Refresh(); !changed || err != nil {
		t.Fatalf("refresh: %v %v", changed, err)
	}
	if late := l.Filter().CorrelationCounters().Late; late != 1 {
		t.Errorf("late %d after the refresh, want 1", late)
	}
}

// TestAlertWithMoreGroupValuesThanFields: an alert restored from a state
// file that gives a group more values than the correlation has group-by
// fields (crafted: its checksum held) renders the values the fields name,
// as a well-formed record, instead of indexing past the fields.
func TestAlertWithMoreGroupValuesThanFields(t *testing.T) {
	alert := correlate.Alert{Spec: 0, Group: []string{"10.1.2.3", "extra", "more"}, Value: 10, Start: 1, End: 2, Refs: []int{0}}
	for _, format := range []Format{FormatSigma, FormatECS, FormatFlat} {
		f := correlationFilter(t, Config{Format: format}, bruteForce)
		s := f.scratch.Get().(*scratch)
		recs := decodeChunk(t, f.appendAlertRecord(nil, 2, alert, s))
		f.scratch.Put(s)
		// The group value is a top-level key, but in format ecs (where a
		// group-by name may be an ECS object's).
		if top, ok := recs[0]["IpAddress"]; len(recs) != 1 || (format == FormatECS) == ok || ok && top != "10.1.2.3" {
			t.Fatalf("%s: alert record %v", format, recs)
		}
		var group any
		switch format {
		case FormatSigma:
			group = matchesOf(recs[0])[0]["group"]
		case FormatECS:
			group = recs[0]["sigma"].(map[string]any)["correlations"].([]any)[0].(map[string]any)["group"]
		case FormatFlat:
			group = recs[0][FlatCorrelationGroups].([]any)[0]
		}
		if got := fmt.Sprint(group); got != "map[IpAddress:10.1.2.3]" && got != "IpAddress=10.1.2.3" {
			t.Errorf("%s: group %v, want the one group-by field", format, group)
		}
	}
}

// TestStateFromAClockThatRanAhead: a state saved while the clock ran two
// hours ahead (since set back) does not make records late after the
// restart: what in it is later than a record may be now is not restored.
func TestStateFromAClockThatRanAhead(t *testing.T) {
	dir := t.TempDir()
	rulesPath, state := filepath.Join(dir, "bf.yml"), filepath.Join(dir, "state")
	if err := os.WriteFile(rulesPath, []byte(bruteForce), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{RulePaths: []string{rulesPath}, StateFile: state, StateCheckpoint: time.Hour,
		Rules: rules.Options{Statuses: rules.DefaultStatuses}}
	set, _, err := rules.Load(cfg.RulePaths, cfg.Rules)
	if err != nil {
		t.Fatal(err)
	}
	ahead := correlate.New(specsOf(set, cfg))
	ahead.Observe(correlate.Event{Spec: 0, Group: []string{"10.7.7.7"}, Time: time.Now().Add(2 * time.Hour).UnixNano(), HasValue: true}, nil)
	if err := ahead.Save(state); err != nil {
		t.Fatal(err)
	}
	l, err := NewLive(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	now := time.Now().Add(time.Minute)
	var chunk []byte
	for i := range 10 {
		chunk = fixture.Event(chunk, fixture.Time(now.Add(time.Duration(i)*time.Second)), nil, logon(4625, "10.8.8.8", "a"))
	}
	recs := run(t, l.Filter(), chunk)[0]
	if len(matchesOf(recs[9])) != 1 || l.Filter().CorrelationCounters().Late != 0 {
		t.Errorf("ten failed logons now: the tenth has %v, late %d; want the alert and none late", matchesOf(recs[9]), l.Filter().CorrelationCounters().Late)
	}
	// The group the state held, from two hours ahead, is not restored:
	// its records count too.
	if report, _, _ := l.StateLoad(); report.FutureGroups != 1 || report.Groups != 0 {
		t.Errorf("state load %+v, want the one group not restored", report)
	}
	chunk = nil
	for i := range 10 {
		chunk = fixture.Event(chunk, fixture.Time(now.Add(time.Duration(20+i)*time.Second)), nil, logon(4625, "10.7.7.7", "a"))
	}
	if recs := run(t, l.Filter(), chunk)[0]; len(matchesOf(recs[9])) != 1 {
		t.Errorf("ten failed logons now from the saved group's address: the tenth has %v, want the alert", matchesOf(recs[9]))
	}
}

// TestValueCountLimitAgrees: the largest value_count condition the rules
// accept is one less than the distinct values the engine tells apart, and
// the rules a correlation may reference are those the engine tells apart.
func TestValueCountLimitAgrees(t *testing.T) {
	if rules.MaxValueCount+1 != correlate.MaxDistinct {
		t.Fatalf("rules accept value_count up to %d, the engine tells apart %d values", rules.MaxValueCount, correlate.MaxDistinct)
	}
	if rules.MaxCorrelationRefs != correlate.MaxRefs {
		t.Fatalf("rules accept %d references, the engine tells apart %d", rules.MaxCorrelationRefs, correlate.MaxRefs)
	}
}

// TestAdoptOnlyFromTheSameStateFile: a filter takes over the state of its
// predecessor when both save to the same state_file (or neither saves);
// one saving to another file is another filter, whose state stays there.
func TestAdoptOnlyFromTheSameStateFile(t *testing.T) {
	for _, tc := range []struct {
		old, new string
		adopts   bool
	}{{"", "", true}, {"a.state", "a.state", true}, {"a.state", "b.state", false}, {"", "b.state", false}} {
		old := correlationFilter(t, Config{StateFile: tc.old}, bruteForce)
		run(t, old, at(0, logon(4625, "10.4.4.4", "a")))
		f := correlationFilter(t, Config{StateFile: tc.new}, bruteForce)
		f.AdoptState(old)
		if got := f.CorrelationCounters().Groups == 1; got != tc.adopts {
			t.Errorf("state_file %q then %q: adopted %v, want %v", tc.old, tc.new, got, tc.adopts)
		}
	}
}

// TestTimeKeyThroughTheFieldMap: time_key names a Sigma field, found
// through field_map as a rule's field is.
func TestTimeKeyThroughTheFieldMap(t *testing.T) {
	// The README's brute force, made two failures within ten seconds.
	twice := strings.NewReplacer("timespan: 5m", "timespan: 10s", "gte: 10", "gte: 2").Replace(bruteForce)
	f := correlationFilter(t, Config{TimeKey: "EvTime", FieldMap: map[string][][]string{"EvTime": {{"evt", "time"}}}}, twice)
	var chunk []byte
	for _, at := range []string{"2026-01-02T03:00:00Z", "2026-01-02T04:00:00Z"} { // an hour apart, stamped alike
		chunk = append(chunk, fixture.Event(nil, fixture.Time(t0), nil, append(logon(4625, "10.3.3.3", "a"), fixture.KV{K: "evt", V: fixture.Map{{K: "time", V: at}}}))...)
	}
	for _, rec := range run(t, f, chunk)[0] {
		if len(matchesOf(rec)) > 0 { // the base rule is silent: only the correlation shows
			t.Fatalf("events an hour apart by time_key fired a 10 s correlation: %v", rec["sigma"])
		}
	}
	// And the other way: five seconds apart by time_key, stamped an hour
	// apart.
	f = correlationFilter(t, Config{TimeKey: "EvTime", FieldMap: map[string][][]string{"EvTime": {{"evt", "time"}}}}, twice)
	chunk = nil
	for i, at := range []string{"2026-01-02T05:00:00Z", "2026-01-02T05:00:05Z"} {
		stamp := fixture.Time(t0.Add(time.Duration(i) * time.Hour))
		chunk = append(chunk, fixture.Event(nil, stamp, nil, append(logon(4625, "10.3.3.4", "a"), fixture.KV{K: "evt", V: fixture.Map{{K: "time", V: at}}}))...)
	}
	if recs := run(t, f, chunk)[0]; len(matchesOf(recs[1])) != 1 {
		t.Errorf("events five seconds apart by time_key did not fire: %v", recs[1]["sigma"])
	}
}

// TestRefreshThroughNoCorrelationsKeepsTheCounts: a refresh to a set
// without correlations, and back, keeps the correlation counts the metrics
// push (totals that must never go back), and counts on after.
func TestRefreshThroughNoCorrelationsKeepsTheCounts(t *testing.T) {
	rulesPath := filepath.Join(t.TempDir(), "bf.yml")
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(rulesPath, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		// A new modification time whatever the file system's resolution.
		later := time.Now().Add(time.Duration(len(src)) * time.Second)
		if err := os.Chtimes(rulesPath, later, later); err != nil {
			t.Fatal(err)
		}
	}
	write(bruteForce)
	l, err := NewLive(Config{RulePaths: []string{rulesPath}, Rules: rules.Options{Statuses: rules.DefaultStatuses}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ahead := fixture.Event(nil, fixture.Time(time.Now().Add(time.Hour)), nil, logon(4625, "10.6.6.6", "a"))
	run(t, l.Filter(), at(0, logon(4625, "10.6.6.6", "a")), ahead)
	failedOnly := bruteForce[strings.Index(bruteForce, "---\n")+4:]
	for i, src := range []string{failedOnly, bruteForce} {
		write(src)
		if changed, err := l.Refresh(); !changed || err != nil {
			t.Fatalf("refresh %d: %v %v", i, changed, err)
		}
		if late := l.CorrelationCounters().Late; late != 1 {
			t.Errorf("after refresh %d: late %d, want the 1 counted before", i, late)
		}
	}
	run(t, l.Filter(), ahead)
	if late := l.CorrelationCounters().Late; late != 2 {
		t.Errorf("late %d, want 2: counting goes on from the total", late)
	}
}

// TestCorrelationValueIsAFloat: a correlation's value is written as a
// msgpack float even when whole (a count), so that an index mapping the
// field from its first value maps a float and never truncates a later
// average.
func TestCorrelationValueIsAFloat(t *testing.T) {
	f := correlationFilter(t, Config{}, bruteForce)
	var out []byte
	for i := range 10 {
		ev := fixture.Event(nil, fixture.Time(t0.Add(time.Duration(i)*time.Second)), nil, logon(4625, "10.1.2.3", "admin"))
		o, _, err := f.Process(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		out = o
	}
	key := msgpack.AppendStr(nil, "value")
	i := bytes.Index(out, key)
	if i < 0 || i+len(key) >= len(out) || out[i+len(key)] != 0xcb {
		t.Fatalf("the tenth record's value is not a float64: % x", out[i+len(key):min(len(out), i+len(key)+9)])
	}
}
