package rules

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The examples of the Sigma correlation rules specification v2.1.0
// (sigma-correlation-rules-specification.md), as written there.

// specFailedThenSuccess is the example "Failed Logins Followed by
// Successful Login" (the filter's tests run it too).
var specFailedThenSuccess = mustRead("testdata/spec/failed-then-success.yml")

func mustRead(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// TestSpecFailedLoginsFollowedBySuccess: the specification's complete
// example loads two correlations and two rules, chained, all but the
// outer correlation silent.
func TestSpecFailedLoginsFollowedBySuccess(t *testing.T) {
	set, report, err := Compile([]Source{{Name: "mr_brute_force.yml", Data: []byte(specFailedThenSuccess)}}, Options{})
	if err != nil || len(report.Skipped) != 0 {
		t.Fatalf("err %v, skipped %v", err, report.Skipped)
	}
	if report.Loaded != 2 || report.Correlations != 2 || report.Filtered != 0 {
		t.Fatalf("loaded %d rules and %d correlations, filtered %d; want 2, 2, 0", report.Loaded, report.Correlations, report.Filtered)
	}
	outer, inner := set.Correlations()[0], set.Correlations()[1]
	failed, success := set.Rules()[0], set.Rules()[1]
	got := fmt.Sprintf("%s %s %v %v %v %v | %s %s %v %v %v | %s %s",
		outer.Type, outer.Level, outer.Refs, outer.GroupBy, outer.Timespan, outer.Bounds,
		inner.Type, inner.Name, inner.Refs, inner.Bounds, inner.Timespan, failed.Name, success.Name)
	want := "temporal_ordered high [{-1 1} {1 -1}] [User] 10m0s [] | event_count multiple_failed_login [{0 -1}] [{gte 10}] 10m0s | failed_login successful_login"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if outer.Silent || !inner.Silent || !failed.Silent || !success.Silent {
		t.Errorf("silent: outer %v inner %v failed %v success %v; want only the outer correlation to write", outer.Silent, inner.Silent, failed.Silent, success.Silent)
	}
	if outer.Author != "Florian Roth (Nextron Systems)" || outer.Status != "experimental" || len(outer.References) != 1 {
		t.Errorf("metadata %+v", outer.Rule)
	}
	if fmt.Sprint(set.CorrelationUsers(1), set.RuleUsers(0), set.RuleUsers(1)) != "[{0 0}] [{1 0}] [{0 1}]" {
		t.Errorf("users: %v %v %v", set.CorrelationUsers(1), set.RuleUsers(0), set.RuleUsers(1))
	}
}

// TestSpecExamples: each example of a type or a feature, with base rules
// of the ids and names it references.
func TestSpecExamples(t *testing.T) {
	rule := func(id, name string) string {
		return "title: base\nid: " + id + "\nname: " + name + "\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 1}\n  condition: sel\n"
	}
	fw := rule("5638f7c0-ac70-491d-8465-2a65075e0d86", "firewall_low")
	tests := []struct {
		name  string
		docs  []string
		check string // type, refs, group-by, field, bounds, timespan
	}{
		// The snippet shows rules only: type, timespan and condition added.
		{"related rules", []string{fw, rule("11111111-0000-0000-0000-000000000000", "firewall_block"), `title: login brute force
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
  type: event_count
  rules:
    - 5638f7c0-ac70-491d-8465-2a65075e0d86 # ID of the low firewall rule for action: block
    - firewall_block  # The internal tools have a lookup table to the correct rule ` + "`id` by `name`" + `
  timespan: 1h
  condition:
    gte: 100
`}, "event_count [{0 -1} {1 -1}] [] [{gte 100}] 1h0m0s"},
		{"event_count", []string{fw, `title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
`}, "event_count [{0 -1}] [ComputerName] [{gte 100}] 1h0m0s"},
		{"value_count", []string{fw, `title: Failed login
id: 0e95725d-7320-415d-80f7-004da920fc12
correlation:
    type: value_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - WorkstationName
    timespan: 1d
    condition:
        field: User
        gte: 100
`}, "value_count [{0 -1}] [ComputerName WorkstationName] User [{gte 100}] 24h0m0s"},
		{"temporal", []string{rule("r-a", "recon_cmd_a"), rule("r-b", "recon_cmd_b"), rule("r-c", "recon_cmd_c"), `correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
`}, "temporal [{0 -1} {1 -1} {2 -1}] [ComputerName User] [] 5m0s"},
		{"temporal_ordered", []string{rule("r-m", "many_failed_logins"), rule("r-s", "successful_login"), `correlation:
    type: temporal_ordered
    rules:
        - many_failed_logins
        - successful_login
    group-by:
        - User
    timespan: 1h
`}, "temporal_ordered [{0 -1} {1 -1}] [User] [] 1h0m0s"},
		{"value_sum", []string{rule("r-w", "website_access"), `title: Possible Exfiltration to Website
correlation:
    type: value_sum
    rules:
        - website_access
    group-by:
        - SourceIP
        - User
    timespan: 1h
    condition:
        field: bytes_sent
        gt: 1000000
`}, "value_sum [{0 -1}] [SourceIP User] bytes_sent [{gt 1e+06}] 1h0m0s"},
		{"value_avg", []string{rule("rule_a_id", "rule_a"), `title: Suspicious average network traffic
correlation:
    type: value_avg
    rules: 
        - rule_a_id
    group-by:
        - SourceIP
        - User
    timespan: 24h
    condition:
        field: BytesOut
        gt: 500
`}, "value_avg [{0 -1}] [SourceIP User] BytesOut [{gt 500}] 24h0m0s"},
		{"value_percentile", []string{rule("r-p", "process_creation"), `title: A computer spawned a processes name in the last 24h than 1% of all the processes.
correlation:
    type: value_percentile
    rules: 
        - process_creation
    group-by:
        - ComputerName
    timespan: 24h
    condition:
        field: image
        lte: 1
`}, "value_percentile [{0 -1}] [ComputerName] image [{lte 1}] 24h0m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, c := oneCorrelation(t, tc.docs...)
			parts := []string{string(c.Type), fmt.Sprint(c.Refs), fmt.Sprint(c.GroupBy)}
			if c.Field != "" {
				parts = append(parts, c.Field)
			}
			parts = append(parts, fmt.Sprint(c.Bounds), c.Timespan.String())
			if got := strings.Join(parts, " "); got != tc.check {
				t.Errorf("got  %s\nwant %s", got, tc.check)
			}
		})
	}
}

// TestSpecAliases: the specification's field name aliases example, with
// its two rules as written there.
func TestSpecAliases(t *testing.T) {
	docs := strings.Split(mustRead("testdata/spec/aliases.yml"), "---\n")
	corr, internalError, newConnection := docs[0], docs[1], docs[2]
	set, c := oneCorrelation(t, internalError, newConnection, corr)
	var got []string
	for _, slots := range c.GroupSlots {
		for _, s := range slots {
			got = append(got, set.Fields()[s])
		}
	}
	if want := "destination.ip source.ip source.ip destination.ip"; strings.Join(got, " ") != want {
		t.Errorf("group fields: %q, want %q", strings.Join(got, " "), want)
	}
	if c.Timespan != 10*time.Second || c.ID != "—" || !set.Rules()[0].Silent {
		t.Errorf("timespan %v id %q, first rule silent %v", c.Timespan, c.ID, set.Rules()[0].Silent)
	}
}
