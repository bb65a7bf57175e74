package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// bruteForceRules: ten failed logons from one address within an hour.
const bruteForceRules = `title: Brute force
id: bf000000-0000-0000-0000-000000000001
level: high
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 1h
  condition: {gte: 10}
---
title: Failed logon
id: fl000000-0000-0000-0000-000000000002
name: failed_logon
level: low
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
`

// failedLogons is a chunk of n failed logons from one address, a second
// apart.
func failedLogonChunk(n int) []byte {
	var chunk []byte
	start := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	for i := range n {
		body := fixture.Evtx(4625, "Security", "Microsoft-Windows-Security-Auditing",
			fixture.Map{{K: "TargetUserName", V: "admin"}, {K: "IpAddress", V: "10.1.2.3"}})
		chunk = fixture.Event(chunk, fixture.Time(start.Add(time.Duration(i)*time.Second)), nil, body)
	}
	return chunk
}

// firedAt lists the events of a chunk that carry the correlation.
func firedAt(t *testing.T, chunk []byte) []int {
	var at []int
	for i, ids := range decode(t, chunk, "sigma") {
		if fmt.Sprint(ids) == "[bf000000-0000-0000-0000-000000000001]" {
			at = append(at, i)
		}
	}
	return at
}

// TestCorrelationStateAcrossHotReload: six failed logons before a hot
// reload and six after fire on the fourth after: the new instance carries
// the old one's state (same alias, same correlation). A changed
// correlation starts over.
func TestCorrelationStateAcrossHotReload(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "bf.yml")
	writeFile(t, rulesFile, bruteForceRules)
	chunk := failedLogonChunk(6)
	for _, tc := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"same rules", nil, "[3]"},
		{"same rules and a state file", []string{"-p", "state_file=" + filepath.Join(dir, "state")}, "[3]"},
		{"threshold changed", []string{"-R", "rules=" + changedRules(t, dir)}, "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-a", "security", "-p", "rules=" + rulesFile, "-r"}, tc.extra...)
			r := runHost(t, "v5.0.3", chunk, args...)
			if r.exit != 0 {
				t.Fatalf("exit %d:\n%s", r.exit, r.stdout)
			}
			if got := fmt.Sprint(firedAt(t, r.out)); got != "[]" {
				t.Errorf("fired before the reload at %s", got)
			}
			if got := fmt.Sprint(firedAt(t, r.reloaded)); got != tc.want {
				t.Errorf("after the reload fired at %s, want %s:\n%s", got, tc.want, r.stdout)
			}
		})
	}
}

func changedRules(t *testing.T, dir string) string {
	path := filepath.Join(dir, "changed.yml")
	writeFile(t, path, strings.Replace(bruteForceRules, "gte: 10", "gte: 11", 1))
	return path
}

// TestCorrelationStateFileAcrossRestart: two processes, one after the
// other, on one state file: the second completes what the first began.
// A damaged state file is reported and the instance starts empty; another
// file at the path fails the start.
func TestCorrelationStateFileAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	rulesFile, state := filepath.Join(dir, "bf.yml"), filepath.Join(dir, "state")
	writeFile(t, rulesFile, bruteForceRules)
	chunk := failedLogonChunk(6)
	args := []string{"-p", "rules=" + rulesFile, "-p", "state_file=" + state}
	first := runHost(t, "v5.0.3", chunk, args...)
	if first.exit != 0 || len(firedAt(t, first.out)) != 0 {
		t.Fatalf("first run: exit %d, fired %v", first.exit, firedAt(t, first.out))
	}
	if info, err := os.Stat(state); err != nil || info.Size() == 0 {
		t.Fatalf("no state file after exit: %v", err)
	}
	second := runHost(t, "v5.0.3", chunk, args...)
	if got := fmt.Sprint(firedAt(t, second.out)); second.exit != 0 || got != "[3]" {
		t.Errorf("second run: exit %d, fired at %s, want [3]:\n%s", second.exit, got, second.stdout)
	}

	writeFile(t, state, "SIGMACORRSTATE\x01garbage")
	third := runHost(t, "v5.0.3", chunk, args...)
	if third.exit != 0 || len(firedAt(t, third.out)) != 0 {
		t.Errorf("with a corrupt state file: exit %d, fired %v", third.exit, firedAt(t, third.out))
	}
	if !strings.Contains(third.stdout, "could not be restored") {
		t.Errorf("the corrupt state file was not reported:\n%s", third.stdout)
	}

	// Another file at the path fails the init (the host exits 4) and is
	// not written over.
	writeFile(t, state, "garbage")
	fourth := runHost(t, "v5.0.3", chunk, args...)
	if fourth.exit != 4 || !strings.Contains(fourth.stdout, "refusing to write over it") {
		t.Errorf("with another file as state_file: exit %d, want 4 and the refusal:\n%s", fourth.exit, fourth.stdout)
	}
	if got, _ := os.ReadFile(state); string(got) != "garbage" {
		t.Errorf("the other file was changed to %q", got)
	}
}

// TestCorrelationMetrics: a correlation's alerts count in the rule-match
// series under its id, a silent base rule's matches too, and the
// correlation gauges and counters are registered.
func TestCorrelationMetrics(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bf.yml"), bruteForceRules)
	r := runHost(t, "v5.0.3", failedLogonChunk(12), "-a", "security", "-p", "rules="+dir)
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stdout)
	}
	l := `name="security"`
	wantSeries(t, "security", series(t, r, 0), map[string]float64{
		"fluentbit_filter_sigma_rule_matches_total{" + l + `,rule_id="bf000000-0000-0000-0000-000000000001",rule_title="Brute force",level="high"}`: 1,
		"fluentbit_filter_sigma_rule_matches_total{" + l + `,rule_id="fl000000-0000-0000-0000-000000000002",rule_title="Failed logon",level="low"}`: 12,
		"fluentbit_filter_sigma_correlation_groups{" + l + "}":                  1,
		"fluentbit_filter_sigma_correlation_late_records_total{" + l + "}":      0,
		"fluentbit_filter_sigma_correlation_evicted_groups_total{" + l + "}":    0,
		"fluentbit_filter_sigma_correlation_suppressed_alerts_total{" + l + "}": 0,
		"fluentbit_filter_sigma_matched_records_total{" + l + "}":               1,
	})
}
