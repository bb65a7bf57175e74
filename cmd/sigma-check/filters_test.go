package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFiltersFlag: -filters applies Sigma filters to the rules, here to the
// embedded default over the samples, and names a filter that applies to
// no loaded rule.
func TestFiltersFlag(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Keeps the default rule's matches for Slack only (condition: slack, the
	// specification's example's form).
	write("mf_not_slack.yml", `title: Only Slack
logsource: {category: image_load, product: windows}
filter:
  rules: [e5f5c693-52d7-4de5-88ae-afbfbce85595]
  slack: {Image|contains: slack}
  condition: slack
`)
	write("mf_unused.yml", `title: Unused
id: 9b1d0c2e-0000-4000-8000-000000000001
logsource: {product: linux}
filter:
  rules: any
  sel: {User: root}
  condition: not sel
`)
	code, out, errOut := runCheck(t, "", "-filters", dir, samples)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// TestSamples: without the filter, 2 of the 5 events match.
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, `slack.exe`) {
		t.Errorf("with the filter, want the Slack match alone:\n%s", out)
	}
	if !strings.Contains(errOut, "filter 9b1d0c2e-0000-4000-8000-000000000001 applies to no loaded rule") {
		t.Errorf("stderr does not name the unused filter: %q", errOut)
	}
}
