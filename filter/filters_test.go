package filter

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// slackFilter suppresses the node rules for Slack's own modules.
const slackFilter = `title: Slack modules
id: 0f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f
logsource: {product: windows, category: image_load}
filter:
  rules: any
  slack: {Image|endswith: '\slack.exe'}
  condition: not slack
`

func TestFiltersProperty(t *testing.T) {
	cfg, err := ParseConfig(func(name string) (string, bool) {
		if name == "filters" {
			return " a.yml, dir ,", true
		}
		return "", false
	})
	if err != nil || len(cfg.Rules.FilterPaths) != 2 || cfg.Rules.FilterPaths[1] != "dir" {
		t.Errorf("filters: got %q, %v; want [a.yml dir]", cfg.Rules.FilterPaths, err)
	}
	if _, err := ParseConfig(func(name string) (string, bool) { return " , ", name == "filters" }); !errors.Is(err, ErrBadProperty) {
		t.Errorf("empty filters: err %v, want ErrBadProperty", err)
	}
}

func TestFiltersLiveAndStrict(t *testing.T) {
	dir := t.TempDir()
	rulesDir, filtersDir := filepath.Join(dir, "rules"), filepath.Join(dir, "filters")
	for _, d := range []string{rulesDir, filtersDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(rulesDir, "a.yml"), nodeRule("a"))
	hit := fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1)) // loaded by slack.exe
	cfg := Config{RulePaths: []string{rulesDir}, RefreshInterval: 24 * time.Hour}
	cfg.Rules.FilterPaths = []string{filtersDir}
	l, err := NewLive(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, changed, _ := l.Filter().Process(nil, hit); !changed {
		t.Fatal("without a filter the rule should match")
	}

	// A new filter file is a change: the refreshed set no longer matches.
	write(filepath.Join(filtersDir, "mf_slack.yml"), slackFilter)
	if changed, err := l.Refresh(); !changed || err != nil {
		t.Fatalf("filter added: changed=%v err=%v", changed, err)
	}
	if r := l.Filter().Report(); r.Filters != 1 || r.FilteredRules != 1 {
		t.Errorf("report: %d filter(s) on %d rule(s), want 1 on 1", r.Filters, r.FilteredRules)
	}
	if _, changed, _ := l.Filter().Process(nil, hit); changed {
		t.Error("the filter should suppress the match")
	}

	// A broken filter is skipped like a broken rule, and refused with strict.
	write(filepath.Join(filtersDir, "mf_broken.yml"), "title: broken\nlogsource: {product: windows}\nfilter: {rules: any, condition: not x}\n")
	f, err := New(cfg)
	if err != nil || len(f.Report().Skipped) != 1 || f.Report().Filters != 1 {
		t.Fatalf("broken filter: err %v, report %+v", err, f.Report())
	}
	strict := cfg
	strict.Strict = true
	if _, err := New(strict); !errors.Is(err, ErrStrict) {
		t.Errorf("strict with a broken filter: err %v, want ErrStrict", err)
	}
}
