package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const checkCorrelations = `title: Brute force
id: bf-check
level: high
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition: {gte: 3}
---
title: Quiet account
id: quiet-check
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {lt: 2}
---
title: Failed logon
id: fl-check
name: failed_logon
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
`

// failedLogonJSON is a Windows failed logon in the flat shape, its time
// in a field of its own (sigma-check never reads the wall clock).
func failedLogonJSON(ip, user string, at time.Time) string {
	return fmt.Sprintf(`{"EventID": 4625, "Channel": "Security", "IpAddress": %q, "TargetUserName": %q, "@timestamp": %q}`,
		ip, user, at.Format(time.RFC3339))
}

func TestCorrelationsOffline(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "c.yml")
	writeTestFile(t, rulesFile, checkCorrelations)
	code, out, errOut := runCheck(t, threeFailuresThenOne(), "-rules", rulesFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// The third failure carries the brute force; bob's and carol's windows
	// close when dave's event passes them (carol's had one failure: quiet),
	// and dave's is decided at the end of the input.
	if len(lines) != 3 {
		t.Fatalf("%d lines, want the completing record and two window-close alerts:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], `"id":"bf-check"`) || !strings.Contains(lines[0], `"group":{"IpAddress":"10.0.0.1"}`) ||
		!strings.Contains(lines[0], `"value":3`) {
		t.Errorf("completing record: %s", lines[0])
	}
	for i, user := range []string{"carol", "dave"} {
		l := lines[1+i]
		if !strings.Contains(l, `"TargetUserName":"`+user+`"`) || !strings.Contains(l, `"id":"quiet-check"`) || !strings.Contains(l, `"value":1`) {
			t.Errorf("alert %d: %s", i+1, l)
		}
	}
}

// TestFailOnCorrelationAlertsAlone: -fail-on-match exits 1 when the only
// detections are correlation alerts, decided when a window closes or at
// the end of the input, which no record carries.
func TestFailOnCorrelationAlertsAlone(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "q.yml")
	// Only the quiet-account correlation, whose base rule writes nothing.
	quiet := strings.Replace(checkCorrelations[strings.Index(checkCorrelations, "title: Quiet account"):], "name: failed_logon\n", "name: failed_logon\ngenerate: false\n", 1)
	writeTestFile(t, rulesFile, quiet)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := failedLogonJSON("10.0.0.1", "carol", start) + "\n" + failedLogonJSON("10.0.0.2", "dave", start.Add(10*time.Minute)) + "\n"
	code, out, errOut := runCheck(t, in, "-rules", rulesFile, "-fail-on-match")
	if strings.Count(out, `"id":"quiet-check"`) != 2 || code != 1 || !strings.Contains(errOut, "2 correlation alert(s)") {
		t.Errorf("exit %d, stderr %q, want 1 and two alerts:\n%s", code, errOut, out)
	}
}

// threeFailuresThenOne is three failed logons from one address within a
// minute (bob twice, carol once), then one from elsewhere ten minutes
// later (dave).
func threeFailuresThenOne() string {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var in strings.Builder
	for i, user := range []string{"bob", "bob", "carol"} {
		in.WriteString(failedLogonJSON("10.0.0.1", user, start.Add(time.Duration(i)*20*time.Second)) + "\n")
	}
	in.WriteString(failedLogonJSON("10.0.0.2", "dave", start.Add(10*time.Minute)) + "\n")
	return in.String()
}

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorrelationTimeFromEvtxJSON: evtx JSON (as evtx_dump writes it)
// carries its time in Event.System.TimeCreated's SystemTime attribute.
func TestCorrelationTimeFromEvtxJSON(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "c.yml")
	writeTestFile(t, rulesFile, strings.Replace(checkCorrelations, "{gte: 3}", "{gte: 2}", 1))
	event := func(at string) string {
		return `{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4625,` +
			`"Channel":"Security","TimeCreated":{"#attributes":{"SystemTime":"` + at + `"}}},` +
			`"EventData":{"IpAddress":"10.0.0.1","TargetUserName":"a"}}}` + "\n"
	}
	// An hour apart, then a second apart: only the third completes two
	// within five minutes.
	in := event("2026-01-01T00:00:00.000Z") + event("2026-01-01T01:00:00.000Z") + event("2026-01-01T01:00:01.000Z")
	code, out, errOut := runCheck(t, in, "-rules", rulesFile)
	var completing []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(l, `"id":"bf-check"`) {
			completing = append(completing, l)
		}
	}
	if code != 0 || len(completing) != 1 || !strings.Contains(completing[0], `"SystemTime":"2026-01-01T01:00:01.000Z"`) {
		t.Errorf("exit %d, want the third event alone to carry the brute force: %s\n%s", code, out, errOut)
	}
}

// TestSummaryCountsCorrelations: -summary and -output csv count every
// alert where it was written, and leave out the base rules no record shows.
func TestSummaryCountsCorrelations(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "c.yml")
	writeTestFile(t, rulesFile, checkCorrelations)
	in := threeFailuresThenOne()
	_, out, errOut := runCheck(t, in, "-rules", rulesFile, "-summary")
	if !strings.Contains(out, `"rule_id":"bf-check","title":"Brute force","level":"high","hits":1,`) ||
		!strings.Contains(out, `"rule_id":"quiet-check","title":"Quiet account","level":"","hits":2,`) || strings.Contains(out, "fl-check") {
		t.Errorf("summary, want bf-check once and quiet-check twice, no fl-check:\n%s%s", out, errOut)
	}
	_, out, _ = runCheck(t, in, "-rules", rulesFile, "-output", "csv")
	if strings.Count(out, "quiet-check") != 2 || strings.Count(out, "bf-check") != 1 || strings.Contains(out, "fl-check") {
		t.Errorf("csv, want one row per alert and no base rule:\n%s", out)
	}
}

// TestCorrelationTimeFallbacks: a -time-key the events lack (or cannot
// read) falls back to the events' own time fields, then to an .evtx
// record's time, as without it; events without any time are not counted,
// and the total says so.
func TestCorrelationTimeFallbacks(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "c.yml")
	writeTestFile(t, rulesFile, checkCorrelations)
	for _, args := range [][]string{{"-rules", rulesFile}, {"-rules", rulesFile, "-time-key", "NoSuchField"}} {
		code, out, errOut := runCheck(t, threeFailuresThenOne(), args...)
		if code != 0 || strings.Count(out, `"id":"bf-check"`) != 1 || strings.Count(out, `"id":"quiet-check"`) != 2 {
			t.Errorf("%v: exit %d, want the brute force and two quiet accounts:\n%s%s", args, code, out, errOut)
		}
		// The total counts every alert: the one a record carries too.
		if !strings.Contains(errOut, "4 event(s), 1 matched, 3 correlation alert(s)") {
			t.Errorf("%v: total %q", args, errOut)
		}
	}
	// .evtx records: the record's time, whatever -time-key names.
	imageLoads := filepath.Join(dir, "il.yml")
	writeTestFile(t, imageLoads, `title: Two loads
id: two-loads
correlation: {type: event_count, rules: [load], group-by: [Computer], timespan: 1h, condition: {gte: 2}}
---
title: Load
name: load
logsource: {product: windows, category: image_load}
detection: {s: {EventID: 7}, condition: s}
`)
	evtxFile := writeEvtx(t, dir, "a.evtx")
	for _, args := range [][]string{{"-rules", imageLoads, evtxFile}, {"-rules", imageLoads, "-time-key", "TimeCreated", evtxFile}} {
		if code, out, errOut := runCheck(t, "", args...); code != 0 || strings.Count(out, `"id":"two-loads"`) != 1 ||
			!strings.Contains(out, `"EventRecordID":101`) {
			t.Errorf("%v: exit %d, want the second load to alert:\n%s%s", args, code, out, errOut)
		}
	}
	// JSON events without any time: not counted, and reported.
	var untimed strings.Builder
	for range 4 {
		untimed.WriteString(`{"EventID": 4625, "Channel": "Security", "IpAddress": "10.0.0.1", "TargetUserName": "x"}` + "\n")
	}
	code, out, errOut := runCheck(t, untimed.String(), "-rules", rulesFile)
	if code != 0 || strings.Contains(out, "bf-check") || !strings.Contains(errOut, "4 event(s) matching a correlation's rule had no event time") {
		t.Errorf("untimed: exit %d\n%s%s", code, out, errOut)
	}
	// Matches of a rule no correlation reads are not such events.
	other := filepath.Join(dir, "o.yml")
	writeTestFile(t, other, checkCorrelations+"---\ntitle: Any logon\nid: any-check\nlogsource: {product: windows}\ndetection: {s: {TargetUserName: y}, condition: s}\n")
	if _, _, errOut := runCheck(t, `{"EventID": 1, "TargetUserName": "y"}`+"\n", "-rules", other); strings.Contains(errOut, "no event time") {
		t.Errorf("a rule no correlation reads: %s", errOut)
	}
}
