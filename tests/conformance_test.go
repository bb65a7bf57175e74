package tests

// The conformance suite: cases written from the Sigma specification's text
// (../shared/sigma-specification/specification/*.md, v2.1.0), each run
// through the engine sigma-check uses (filter.New and Process) and through
// the plugin loaded by the C host.
//
// # Case files
//
// tests/testdata/conformance/*.yml, one topic per file. A file is a YAML
// stream: each document ("---" between them) is one case with these keys:
//
//	spec: sigma-appendix-modifiers.md#generic-modifiers  # required: the spec
//	      # file and section (GitHub anchor) the verdicts come from; where
//	      # the specification is silent, "pySigma: <what decides>"
//	name: contains is case-insensitive  # optional, for messages
//	placeholders: {name: [a, b]}        # optional: values for |expand
//	rule: |                             # required: one Sigma rule, without
//	  title: ...                        #   an id (the runner adds one)
//	  logsource: {product: test}
//	  detection: ...
//	events:                             # required: JSON objects and verdicts
//	  - {match: true, event: {CommandLine: "a b"}}
//	  - {match: false, event: {CommandLine: "c"}}
//
// Any other key fails the test: a new kind of case (filters, properties)
// extends conformanceCase and the runner, so that no key is silently
// ignored. Every case's rule must load (a skipped rule fails). All rules
// are loaded together and all events run in one chunk; an event's verdict
// is whether the case's own rule is among its matches, so cases cannot
// disturb one another. Placeholders of all cases share one file: a name
// may only be defined once.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

// conformanceCase is one document of a case file.
type conformanceCase struct {
	Spec         string              `yaml:"spec"`
	Name         string              `yaml:"name"`
	Placeholders map[string][]string `yaml:"placeholders"`
	Rule         string              `yaml:"rule"`
	Events       []struct {
		Match *bool          `yaml:"match"`
		Event map[string]any `yaml:"event"`
	} `yaml:"events"`

	where string // file:document, for messages
	id    string // the rule id the runner gave it
}

// conformanceSuite is every case, ready to run: the rules written to one
// directory, the events in one chunk, and per event its case and verdict.
type conformanceSuite struct {
	cases        []*conformanceCase
	rulesDir     string
	placeholders string // file, "" when no case has any
	chunk        []byte
	eventCase    []int // per event of chunk: index into cases
	want         []bool
}

func loadConformance(t *testing.T) *conformanceSuite {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance cases: %v", err)
	}
	s := &conformanceSuite{rulesDir: t.TempDir()}
	placeholders := map[string][]string{}
	var events bytes.Buffer
	for _, file := range files {
		for _, c := range readCases(t, file) {
			i := len(s.cases)
			c.id = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			writeFile(t, filepath.Join(s.rulesDir, fmt.Sprintf("case%04d.yml", i)), c.Rule+"\nid: "+c.id+"\n")
			for name, values := range c.Placeholders {
				if _, dup := placeholders[name]; dup {
					t.Fatalf("%s: placeholder %q is defined by another case", c.where, name)
				}
				placeholders[name] = values
			}
			for _, e := range c.Events {
				line, err := json.Marshal(e.Event)
				if err != nil {
					t.Fatalf("%s: event %v: %v", c.where, e.Event, err)
				}
				events.Write(append(line, '\n'))
				s.eventCase = append(s.eventCase, i)
				s.want = append(s.want, *e.Match)
			}
			s.cases = append(s.cases, c)
		}
	}
	if len(placeholders) > 0 {
		data, err := yaml.Marshal(placeholders)
		if err != nil {
			t.Fatal(err)
		}
		s.placeholders = filepath.Join(t.TempDir(), "placeholders.yml")
		writeFile(t, s.placeholders, string(data))
	}
	chunk, n, err := textevent.ReadEvents(&events, time.Unix(1700000000, 0))
	if err != nil || n != len(s.want) {
		t.Fatalf("building the chunk: %d events of %d, %v", n, len(s.want), err)
	}
	s.chunk = chunk
	return s
}

// readCases reads and checks the documents of one case file.
func readCases(t *testing.T, file string) []*conformanceCase {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true) // a key this runner does not know fails, never ignored
	var cases []*conformanceCase
	for doc := 1; ; doc++ {
		c := &conformanceCase{}
		if err := dec.Decode(c); err != nil {
			if errors.Is(err, io.EOF) {
				return cases
			}
			t.Fatalf("%s: document %d: %v", file, doc, err)
		}
		c.where = fmt.Sprintf("%s#%d", filepath.Base(file), doc)
		if c.Name != "" {
			c.where += " (" + c.Name + ")"
		}
		var head struct {
			ID string `yaml:"id"`
		}
		switch {
		case c.Spec == "" || c.Rule == "" || len(c.Events) == 0:
			t.Fatalf("%s: a case needs spec, rule and events", c.where)
		case yaml.Unmarshal([]byte(c.Rule), &head) != nil || head.ID != "":
			t.Fatalf("%s: the rule must be YAML without an id (the runner adds one)", c.where)
		}
		for i, e := range c.Events {
			if e.Match == nil || e.Event == nil {
				t.Fatalf("%s: event %d needs match and event", c.where, i+1)
			}
		}
		cases = append(cases, c)
	}
}

// TestConformanceCitations checks that every case cites a section that
// exists: "file.md#anchor" against the specification's headings (GitHub's
// anchors), from ../shared/sigma-specification beside the repository or
// $SIGMA_SPEC; without it the test skips, except under CI=true.
func TestConformanceCitations(t *testing.T) {
	dir := os.Getenv("SIGMA_SPEC")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "sigma-specification")
	}
	if _, err := os.Stat(filepath.Join(dir, "specification")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Sigma specification not found at %s (set SIGMA_SPEC): %v", dir, err)
		}
		t.Skipf("Sigma specification not found at %s (set SIGMA_SPEC to run)", dir)
	}
	anchors := map[string]map[string]bool{} // file -> anchors
	for _, c := range loadConformance(t).cases {
		if strings.HasPrefix(c.Spec, "pySigma: ") {
			continue
		}
		file, anchor, ok := strings.Cut(c.Spec, "#")
		if !ok {
			t.Errorf("%s: spec %q is not file.md#section", c.where, c.Spec)
			continue
		}
		if anchors[file] == nil {
			data, err := os.ReadFile(filepath.Join(dir, "specification", file))
			if err != nil {
				t.Errorf("%s: %v", c.where, err)
				continue
			}
			anchors[file] = headingAnchors(string(data))
		}
		if !anchors[file][anchor] {
			t.Errorf("%s: %s has no section #%s", c.where, file, anchor)
		}
	}
}

// headingAnchors returns the anchors GitHub gives the Markdown headings of
// text: lower case, spaces to '-', other punctuation dropped.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		anchors[b.String()] = true
	}
	return anchors
}

// props are the filter properties both runs use.
func (s *conformanceSuite) props() map[string]string {
	p := map[string]string{"rules": s.rulesDir}
	if s.placeholders != "" {
		p["placeholders"] = s.placeholders
	}
	return p
}

// check compares the matches decoded from the output chunk (per event, the
// rule ids under "sigma"; nil for an untouched chunk) with the verdicts.
func (s *conformanceSuite) check(t *testing.T, got [][]string) {
	t.Helper()
	if got == nil {
		got = make([][]string, len(s.want))
	}
	if len(got) != len(s.want) {
		t.Fatalf("got %d events downstream, want %d", len(got), len(s.want))
	}
	failed := map[int]bool{}
	for i, want := range s.want {
		c := s.cases[s.eventCase[i]]
		matched := false
		for _, id := range got[i] {
			matched = matched || id == c.id
		}
		if matched != want {
			ev, _ := json.Marshal(c.Events[eventIndex(s.eventCase, i)].Event)
			t.Errorf("%s [%s]: event %s: got match %v, want %v", c.where, c.Spec, ev, matched, want)
			failed[s.eventCase[i]] = true
		}
	}
	t.Logf("%d cases, %d events, %d cases failed", len(s.cases), len(s.want), len(failed))
}

// eventIndex returns the position of event i among its case's events.
func eventIndex(eventCase []int, i int) int {
	n := 0
	for j := i - 1; j >= 0 && eventCase[j] == eventCase[i]; j-- {
		n++
	}
	return n
}

// TestConformanceEngine runs the suite through filter.New and Process, as
// sigma-check does.
func TestConformanceEngine(t *testing.T) {
	s := loadConformance(t)
	props := s.props()
	cfg, err := filter.ParseConfig(func(name string) (string, bool) { v, ok := props[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	report := f.Report()
	for _, sk := range report.Skipped {
		t.Errorf("rule not loaded: %s: %v", sk.File, sk.Err)
	}
	if report.Loaded != len(s.cases) {
		t.Errorf("loaded %d rules, want %d", report.Loaded, len(s.cases))
	}
	out, changed, err := f.Process(nil, s.chunk)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		out = s.chunk
	}
	s.check(t, decode(t, out, "sigma"))
}

// TestConformanceHost runs the suite through the plugin in the C host.
func TestConformanceHost(t *testing.T) {
	s := loadConformance(t)
	var args []string
	for k, v := range s.props() {
		args = append(args, "-p", k+"="+v)
	}
	r := runHost(t, "v5.0.3", s.chunk, args...)
	if r.exit != 0 {
		t.Fatalf("host exited %d:\n%s", r.exit, r.stdout)
	}
	if strings.Contains(r.stdout, "log: [warn]") {
		t.Errorf("the host warned (a rule skipped?):\n%s", r.stdout)
	}
	s.check(t, decode(t, r.out, "sigma"))
}
