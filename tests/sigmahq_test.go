package tests

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// sigmaHQ returns the SigmaHQ checkout the corpus tests use: $SIGMAHQ, or
// ../shared/sigmahq beside the repository. A user's checkout may lack it
// and the tests skip; in CI (CI=true) a missing folder fails them.
func sigmaHQ(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SIGMAHQ")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "sigmahq")
	}
	if _, err := os.Stat(filepath.Join(dir, "regression_data")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("SigmaHQ data not found at %s (set SIGMAHQ): %v", dir, err)
		}
		t.Skipf("SigmaHQ data not found at %s (set SIGMAHQ to run)", dir)
	}
	return dir
}

var corpus struct {
	once   sync.Once
	filter *filter.Filter
	err    error
	took   time.Duration
}

// corpusFilter loads every SigmaHQ rule once, with the filter's own loader.
func corpusFilter(t *testing.T) *filter.Filter {
	return corpusFilterB(t, sigmaHQ(t))
}

func corpusFilterB(t testing.TB, dir string) *filter.Filter {
	corpus.once.Do(func() {
		start := time.Now()
		corpus.filter, corpus.err = filter.New(filter.Config{RulePaths: []string{
			filepath.Join(dir, "rules"), filepath.Join(dir, "rules-threat-hunting"), filepath.Join(dir, "rules-emerging-threats"),
		}})
		corpus.took = time.Since(start)
	})
	if corpus.err != nil {
		t.Fatal(corpus.err)
	}
	return corpus.filter
}

func TestCorpusLoads(t *testing.T) {
	f := corpusFilter(t)
	report := f.Report()
	for _, s := range report.Skipped {
		if !errors.Is(s.Err, rules.ErrUnsupported) {
			t.Errorf("skipped for a reason other than an unsupported feature: %v", s)
		}
	}
	t.Logf("%d files, %d rules loaded, %d skipped, %d without a mapped logsource, in %s",
		report.Files, report.Loaded, len(report.Skipped), report.Unmapped, corpus.took.Round(time.Millisecond))
	for _, r := range report.Reasons() {
		t.Logf("skipped %d: %s", r.Count, r.Text)
	}
	st := f.Rules().Stats()
	t.Logf("index: %d logsource groups, %d rules prefiltered on %d literals, automata %.1f MiB",
		st.Groups, st.Prefiltered, st.Literals, float64(st.IndexBytes)/(1<<20))
	if corpus.took > 2*time.Second {
		t.Logf("loading took %s, over the 2 s goal", corpus.took)
	}
	if report.Loaded < 3700 {
		t.Errorf("only %d rules loaded; want nearly all of the corpus", report.Loaded)
	}
}

type regressionInfo struct {
	RuleMetadata []struct {
		ID    string `yaml:"id"`
		Title string `yaml:"title"`
	} `yaml:"rule_metadata"`
	Tests []struct {
		Name       string `yaml:"name"`
		MatchCount int    `yaml:"match_count"`
		Path       string `yaml:"path"`
	} `yaml:"regression_tests_info"`
}

// TestRegressionData requires every event SigmaHQ recorded for a rule to
// match that rule, through the filter's engine and record handling, with
// every rule of the corpus loaded.
func TestRegressionData(t *testing.T) {
	f := corpusFilter(t)
	dir := sigmaHQ(t)
	loaded := map[string]bool{}
	for _, r := range f.Rules().Rules() {
		loaded[r.ID] = true
	}
	var infos []string
	err := filepath.WalkDir(filepath.Join(dir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "info.yml" {
			infos = append(infos, path)
		}
		return err
	})
	if err != nil || len(infos) == 0 {
		t.Fatalf("no info.yml found: %v", err)
	}
	passed, total := 0, 0
	for _, infoPath := range infos {
		data, err := os.ReadFile(infoPath)
		if err != nil {
			t.Fatal(err)
		}
		var info regressionInfo
		if err := yaml.Unmarshal(data, &info); err != nil {
			t.Fatalf("%s: %v", infoPath, err)
		}
		for _, rm := range info.RuleMetadata {
			for _, tc := range info.Tests {
				total++
				name := filepath.Base(filepath.Dir(infoPath))
				if !loaded[rm.ID] {
					t.Errorf("%s: rule %s (%s) is not loaded", name, rm.ID, rm.Title)
					continue
				}
				jsonPath := filepath.Join(dir, strings.TrimSuffix(strings.TrimPrefix(tc.Path, "regression_data/"), ".evtx")+".json")
				jsonPath = filepath.Join(filepath.Dir(infoPath), filepath.Base(jsonPath))
				got, events, err := countMatches(f, jsonPath, rm.ID)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if got < max(tc.MatchCount, 1) {
					t.Errorf("%s: rule %s (%s) matched %d of %d events, want at least %d", name, rm.ID, rm.Title, got, events, max(tc.MatchCount, 1))
					continue
				}
				passed++
			}
		}
	}
	t.Logf("regression data: %d of %d passed", passed, total)
}

func countMatches(f *filter.Filter, path, ruleID string) (matched, events int, err error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer file.Close()
	chunk, events, err := textevent.ReadEvents(file, time.Now())
	if err != nil {
		return 0, 0, err
	}
	out, changed, err := f.Process(nil, chunk)
	if err != nil {
		return 0, events, err
	}
	if !changed {
		return 0, events, nil
	}
	needle := msgpack.AppendStr(nil, ruleID)
	for off := 0; off < len(out); {
		end, err := msgpack.Skip(out, off)
		if err != nil {
			return 0, events, err
		}
		if strings.Contains(string(out[off:end]), string(needle)) {
			matched++
		}
		off = end
	}
	return matched, events, nil
}
