package tests

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const (
	filterRuleA = "aaaaaaaa-0000-4000-8000-000000000001"
	filterRuleB = "bbbbbbbb-0000-4000-8000-000000000002"
)

// slackFilter names rule A and suppresses its matches on Slack's modules
// (every match of mixedChunk).
const slackFilter = `title: Slack's own modules
id: ffffffff-0000-4000-8000-00000000000f
logsource: {product: windows, category: image_load}
filter:
  rules: [` + filterRuleA + `]
  slack:
    Image|endswith: '\slack.exe'
  condition: not slack
`

// TestFiltersProperty: a Sigma filter from the filters property, through
// the host: the rule it names stops matching, the other still does, and
// the load is summed up in the log, with a filter that names no loaded
// rule at warn.
func TestFiltersProperty(t *testing.T) {
	dir := t.TempDir()
	rulesDir, filtersDir := filepath.Join(dir, "rules"), filepath.Join(dir, "filters")
	writeFile(t, filepath.Join(rulesDir, "a.yml"), nodeRule(filterRuleA))
	writeFile(t, filepath.Join(rulesDir, "b.yml"), nodeRule(filterRuleB))
	writeFile(t, filepath.Join(filtersDir, "mf_slack.yml"), slackFilter)
	writeFile(t, filepath.Join(filtersDir, "mf_unused.yml"), `title: For a rule not loaded
id: eeeeeeee-0000-4000-8000-00000000000e
logsource: {product: windows}
filter:
  rules: [00000000-0000-4000-8000-000000000000]
  selection: {User: x}
  condition: not selection
`)
	chunk, want := mixedChunk(30)
	r := runHost(t, "v5.0.3", chunk, "-p", "rules="+rulesDir, "-p", "filters="+filtersDir)
	requireMatches(t, r, matchesOf(want, filterRuleB))
	for _, line := range []string{
		"[info] [filter:sigma:sigma.0] 2 Sigma filter(s) loaded, applied to 1 rule(s)",
		"[warn] [filter:sigma:sigma.0] rules: " + filepath.Join(filtersDir, "mf_unused.yml") + ": filter eeeeeeee-0000-4000-8000-00000000000e applies to no loaded rule",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("the log lacks %q:\n%s", line, r.stdout)
		}
	}
}

// TestFiltersStrictAndRefresh: a broken filter fails the start with
// strict on; a filter file added while running is picked up by
// refresh_interval like a rule file.
func TestFiltersStrictAndRefresh(t *testing.T) {
	dir := t.TempDir()
	rulesDir, filtersDir := filepath.Join(dir, "rules"), filepath.Join(dir, "filters")
	writeFile(t, filepath.Join(rulesDir, "a.yml"), nodeRule(filterRuleA))
	writeFile(t, filepath.Join(rulesDir, "b.yml"), nodeRule(filterRuleB))
	writeFile(t, filepath.Join(filtersDir, "mf_broken.yml"), "title: broken\nlogsource: {product: windows}\nfilter: {rules: any, condition: not selection}\n")
	r := runHost(t, "v5.0.3", []byte{0x90}, "-p", "rules="+rulesDir, "-p", "filters="+filtersDir, "-p", "strict=on")
	if r.exit != 4 || !strings.Contains(r.stdout, "mf_broken.yml") || !strings.Contains(r.stdout, "filter has no search") {
		t.Errorf("exit %d; want init to fail naming the broken filter:\n%s", r.exit, r.stdout)
	}

	filtersDir = filepath.Join(t.TempDir(), "filters")
	writeFile(t, filepath.Join(filtersDir, "README.yml"), "") // an empty file: no document, no filter
	chunk, want := mixedChunk(30)
	r, second := runHostRefresh(t, chunk, 10, func() {
		writeFile(t, filepath.Join(filtersDir, "mf_slack.yml"), slackFilter)
	}, "-p", "rules="+rulesDir, "-p", "filters="+filtersDir, "-p", "refresh_interval=1", "-p", "strict=on")
	if r.exit != 0 || r.field("refresh_changed_output") != "yes" {
		t.Fatalf("exit %d, changed %q:\n%s", r.exit, r.field("refresh_changed_output"), r.stdout)
	}
	for i, ids := range decode(t, second, "sigma") {
		if want[i] != (fmt.Sprint(ids) == "["+filterRuleB+"]") {
			t.Errorf("after refresh, event %d: %v", i, ids)
		}
	}
	if !strings.Contains(r.stdout, "rules refreshed: 2 rule(s) loaded") || !strings.Contains(r.stdout, "1 Sigma filter(s) applied to 1 rule(s)") {
		t.Errorf("want the refresh logged with its filter:\n%s", r.stdout)
	}
}
