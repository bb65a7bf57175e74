package main

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsoniter "github.com/json-iterator/go"
	"gopkg.in/yaml.v3"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

// TestConformance runs SigmaHQ's regression data through sigma-check
// itself, with every rule of the corpus: each recorded event must match the
// rule it was recorded for (match_count is a minimum). The data is
// ../shared/sigmahq beside the repository, or $SIGMAHQ; without it the
// test skips, except under CI=true, where it fails.
func TestConformance(t *testing.T) {
	dir := os.Getenv("SIGMAHQ")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "sigmahq")
	}
	if _, err := os.Stat(filepath.Join(dir, "regression_data")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("SigmaHQ data not found at %s (set SIGMAHQ): %v", dir, err)
		}
		t.Skipf("SigmaHQ data not found at %s (set SIGMAHQ to run)", dir)
	}

	type expectation struct {
		name, ruleID string
		first, count int // the events of this test in the input stream
		minMatches   int
	}
	var tests []expectation
	var input bytes.Buffer
	events := 0
	err := filepath.WalkDir(filepath.Join(dir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "info.yml" {
			return err
		}
		var info struct {
			RuleMetadata []struct{ ID string } `yaml:"rule_metadata"`
			Tests        []struct {
				MatchCount int    `yaml:"match_count"`
				Path       string `yaml:"path"`
			} `yaml:"regression_tests_info"`
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(data, &info); err != nil {
			return err
		}
		for _, tc := range info.Tests {
			jsonPath := filepath.Join(filepath.Dir(path), strings.TrimSuffix(filepath.Base(tc.Path), ".evtx")+".json")
			data, err := os.ReadFile(jsonPath)
			if err != nil {
				return err
			}
			_, n, err := textevent.ReadEvents(bytes.NewReader(data), time.Now())
			if err != nil {
				return err
			}
			for _, rm := range info.RuleMetadata {
				tests = append(tests, expectation{filepath.Base(filepath.Dir(path)), rm.ID, events, n, max(tc.MatchCount, 1)})
			}
			input.Write(data)
			input.WriteByte('\n')
			events += n
		}
		return nil
	})
	if err != nil || len(tests) == 0 {
		t.Fatalf("reading regression data: %v (%d tests)", err, len(tests))
	}

	rules := strings.Join([]string{filepath.Join(dir, "rules"), filepath.Join(dir, "rules-threat-hunting"), filepath.Join(dir, "rules-emerging-threats")}, ",")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-all", "-rules", rules, "-"}, &input, &stdout, &stderr); code != 0 {
		t.Fatalf("sigma-check exited %d: %s", code, stderr.String())
	}
	// -all prints one line per event, in input order: its rule ids.
	var matched [][]string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Sigma struct {
				Matches []struct{ ID string } `json:"matches"`
			} `json:"sigma"`
		}
		if err := jsoniter.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("output line %d: %v", len(matched)+1, err)
		}
		var ids []string
		for _, m := range ev.Sigma.Matches {
			ids = append(ids, m.ID)
		}
		matched = append(matched, ids)
	}
	if len(matched) != events {
		t.Fatalf("sigma-check printed %d events, the input has %d", len(matched), events)
	}
	passed := 0
	for _, tc := range tests {
		got := 0
		for _, ids := range matched[tc.first : tc.first+tc.count] {
			for _, id := range ids {
				if id == tc.ruleID {
					got++
					break
				}
			}
		}
		if got < tc.minMatches {
			t.Errorf("%s: rule %s matched %d of %d events, want at least %d", tc.name, tc.ruleID, got, tc.count, tc.minMatches)
			continue
		}
		passed++
	}
	t.Logf("conformance: %d of %d regression tests passed (%d events); %s", passed, len(tests), events, strings.TrimSpace(stderr.String()))
}
