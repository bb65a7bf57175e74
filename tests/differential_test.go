package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	sigma "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"gopkg.in/yaml.v3"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// flatEvent is a rules.Event over a map of field name to text.
type flatEvent struct {
	fields []string
	values map[string]string
}

func (e flatEvent) Field(slot int) ([]byte, bool) {
	v, ok := e.values[e.fields[slot]]
	return []byte(v), ok
}

func (e flatEvent) EachString(v rules.Visitor) bool {
	for _, s := range e.values {
		if v.Visit([]byte(s)) {
			return true
		}
	}
	return false
}

// eachRuleFile calls fn with every *.yml file of the SigmaHQ rule folders.
func eachRuleFile(dir string, fn func(path string, data []byte)) {
	for _, sub := range []string{"rules", "rules-threat-hunting", "rules-emerging-threats"} {
		filepath.WalkDir(filepath.Join(dir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !strings.HasSuffix(path, ".yml") {
				return err
			}
			data, err := os.ReadFile(path)
			if err == nil {
				fn(path, data)
			}
			return err
		})
	}
}

// sigmaGoCorrect reports whether sigma-go's evaluator is known to be right
// about r: plain field values without wildcards or escapes, only the
// contains/startswith/endswith/all modifiers, no keywords, no null, no
// search names starting with '_' (sigma-go counts them in "them").
func sigmaGoCorrect(r sigma.Rule) bool {
	if len(r.Detection.Conditions) == 0 {
		return false
	}
	for _, c := range r.Detection.Conditions {
		if c.Aggregation != nil {
			return false
		}
	}
	for name, s := range r.Detection.Searches {
		if strings.HasPrefix(name, "_") || len(s.Keywords) > 0 || len(s.EventMatchers) == 0 {
			return false
		}
		for _, em := range s.EventMatchers {
			for _, fm := range em {
				if fm.Field == "" {
					return false
				}
				for _, m := range fm.Modifiers {
					if m != "contains" && m != "startswith" && m != "endswith" && m != "all" {
						return false
					}
				}
				for _, v := range fm.Values {
					s, ok := v.(string)
					if !ok || strings.ContainsAny(s, `*?\`) {
						return false
					}
				}
			}
		}
	}
	return true
}

// withoutLogsource returns the rule's YAML without its logsource: sigma-go
// does not apply logsources, so both engines judge the detection alone.
func withoutLogsource(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil, fmt.Errorf("yaml: %v", err)
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "logsource" {
			root.Content = append(root.Content[:i:i], root.Content[i+2:]...)
			break
		}
	}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "logsource"},
		&yaml.Node{Kind: yaml.MappingNode})
	return yaml.Marshal(&doc)
}

// eachFlatRegressionEvent calls fn with every SigmaHQ regression event
// that is one evtx JSON object, flattened, and the name of its test.
func eachFlatRegressionEvent(dir string, fn func(test string, ev map[string]string)) {
	filepath.WalkDir(filepath.Join(dir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if ev, err := flattenEvtx(data); err == nil {
			fn(filepath.Base(filepath.Dir(path)), ev)
		}
		return nil
	})
}

// flattenEvtx turns an evtx JSON event into field -> text, as a flat shipper
// would: EventData fields plus System's EventID, Channel, Computer and the
// provider name.
func flattenEvtx(data []byte) (map[string]string, error) {
	var ev struct {
		Event struct {
			System    map[string]any `json:"System"`
			EventData map[string]any `json:"EventData"`
		} `json:"Event"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range ev.Event.EventData {
		if v != nil {
			out[k] = fmt.Sprint(v)
		}
	}
	for _, k := range []string{"EventID", "Channel", "Computer"} {
		if v, ok := ev.Event.System[k]; ok && v != nil {
			out[k] = fmt.Sprint(v)
		}
	}
	if p, ok := ev.Event.System["Provider"].(map[string]any); ok {
		if a, ok := p["#attributes"].(map[string]any); ok {
			out["Provider_Name"] = fmt.Sprint(a["Name"])
		}
	}
	return out, nil
}

// synthetic builds, from a rule's own values, an event that tends to match
// it and a near miss (each value's last character changed).
func synthetic(r sigma.Rule) (hit, miss map[string]string) {
	hit, miss = map[string]string{}, map[string]string{}
	names := make([]string, 0, len(r.Detection.Searches))
	for name := range r.Detection.Searches {
		names = append(names, name)
	}
	sort.Strings(names) // the same events every run
	for _, name := range names {
		fm := r.Detection.Searches[name].EventMatchers[0]
		for _, m := range fm {
			v := fmt.Sprint(m.Values[0])
			pre, post := "", ""
			for _, mod := range m.Modifiers {
				switch mod {
				case "contains":
					pre, post = "pre ", " post"
				case "startswith":
					post = " post"
				case "endswith":
					pre = "pre "
				}
			}
			hit[m.Field] = pre + v + post
			near := v
			if n := len(near); n > 0 {
				c := near[n-1] + 1
				if c == '*' || c == '?' || c == '\\' || c >= 0x80 {
					c = 'q'
				}
				near = near[:n-1] + string(c)
			}
			miss[m.Field] = pre + near + post
		}
	}
	return hit, miss
}

// TestDifferentialSigmaGo compares verdicts with sigma-go's evaluator on
// the SigmaHQ rules where that evaluator is correct, over every regression
// event and a generated hit and near miss per rule.
func TestDifferentialSigmaGo(t *testing.T) {
	dir := sigmaHQ(t)
	var events []map[string]string
	eachFlatRegressionEvent(dir, func(_ string, ev map[string]string) { events = append(events, ev) })
	if len(events) < 150 {
		t.Fatalf("only %d regression events", len(events))
	}
	// Every comparable rule goes into one set, so the index and prefilter
	// are exercised as in production.
	type candidate struct {
		path      string
		reference *evaluator.RuleEvaluator
		hit, miss map[string]string
	}
	var cands []candidate
	var srcs []rules.Source
	eachRuleFile(dir, func(path string, data []byte) {
		sr, err := sigma.ParseRule(data)
		if err != nil || !sigmaGoCorrect(sr) {
			return
		}
		stripped, err := withoutLogsource(data)
		if err != nil {
			return
		}
		hit, miss := synthetic(sr)
		cands = append(cands, candidate{path, evaluator.ForRule(sr), hit, miss})
		srcs = append(srcs, rules.Source{Name: path, Data: stripped})
	})
	all := append(slices.Clone(rules.Statuses), "")
	set, report, err := rules.Compile(srcs, rules.Options{Statuses: all})
	if err != nil || len(report.Skipped) > 0 || set.Len() != len(cands) {
		t.Fatalf("compile: %v; %d skipped (%v), %d of %d loaded", err, len(report.Skipped), report.Reasons(), set.Len(), len(cands))
	}
	ctx := context.Background()
	compared, agreeMatches := 0, 0
	check := func(i int, values map[string]string, matched map[int]bool) {
		event := map[string]interface{}{}
		for k, v := range values {
			event[k] = v
		}
		want, err := cands[i].reference.Matches(ctx, event)
		if err != nil {
			return
		}
		compared++
		if matched[i] != want.Match {
			t.Errorf("%s: got %v, sigma-go %v on %v", filepath.Base(cands[i].path), matched[i], want.Match, values)
		} else if want.Match {
			agreeMatches++
		}
	}
	matchSet := func(values map[string]string) map[int]bool {
		out := map[int]bool{}
		for _, i := range set.Match(flatEvent{set.Fields(), values}, nil) {
			out[i] = true
		}
		return out
	}
	for _, values := range events {
		matched := matchSet(values)
		for i := range cands {
			check(i, values, matched)
		}
	}
	for i, c := range cands {
		check(i, c.hit, matchSet(c.hit))
		check(i, c.miss, matchSet(c.miss))
	}
	rulesCompared := len(cands)
	t.Logf("%d rules, %d verdicts compared, %d of them matches, all equal", rulesCompared, compared, agreeMatches)
	if rulesCompared < 500 {
		t.Errorf("only %d rules compared", rulesCompared)
	}
}
