package filter

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// twoRules matches the default rule and a second, high-level rule on the
// same event.
func twoRules(t *testing.T, cfg Config) *Filter {
	t.Helper()
	defaults, err := filepath.Glob("../rules/default/*.yml")
	if err != nil || len(defaults) != 1 {
		t.Fatalf("default rule file: %v %v", defaults, err)
	}
	def, err := os.ReadFile(defaults[0])
	if err != nil {
		t.Fatal(err)
	}
	second := `title: Slack Loads A Module
id: 11111111-2222-3333-4444-555555555555
status: test
description: Slack loaded a native module.
author: Test Author
references: [https://example.com/a]
tags: [attack.defense-impairment, attack.t1562.001, attack.t1129, custom.tag]
level: high
logsource: {product: windows, category: image_load}
detection:
  sel: {Image|endswith: '\slack.exe'}
  condition: sel
`
	src := []rules.Source{{Name: "default.yml", Data: def}, {Name: "second.yml", Data: []byte(second)}}
	set, report, err := rules.Compile(src, rules.Options{})
	if err != nil || len(set.Rules()) != 2 {
		t.Fatalf("compile: %v, %d rules", err, len(set.Rules()))
	}
	return NewWithRules(cfg, set, report)
}

func enrichOne(t *testing.T, f *Filter, body fixture.Map) map[string]any {
	t.Helper()
	out, changed, err := f.Process(nil, fixture.Event(nil, ts, nil, body))
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	return decodeAll(t, out)[0].body
}

func TestFormatSigmaSeveralMatches(t *testing.T) {
	got := enrichOne(t, twoRules(t, Config{}), fixture.UnsignedNodeLoad(1))["sigma"].(map[string]any)
	if got["level"] != "high" || got["count"] != int64(2) || len(got["matches"].([]any)) != 2 {
		t.Errorf("level %v count %v matches %d", got["level"], got["count"], len(got["matches"].([]any)))
	}
	second := got["matches"].([]any)[1].(map[string]any)["attack"]
	if fmt.Sprint(second) != "map[tactics:[map[id:TA0112 name:Defense Impairment]] technique_ids:[T1562.001 T1129]]" {
		t.Errorf("attack: %v", second)
	}
}

func TestFormatFlat(t *testing.T) {
	f := twoRules(t, Config{Format: FormatFlat, TagKey: "sigma_match"})
	got := enrichOne(t, f, fixture.UnsignedNodeLoad(1).With(FlatLevel, "stale"))
	for key, want := range map[string]string{
		FlatRuleIDs:   "[e5f5c693-52d7-4de5-88ae-afbfbce85595 11111111-2222-3333-4444-555555555555]",
		FlatTitles:    "[Unsigned .node File Loaded Slack Loads A Module]",
		FlatLevel:     "high",
		FlatTags:      "[attack.execution attack.privilege-escalation attack.persistence attack.stealth attack.t1129 attack.t1574.001 attack.t1036.005 attack.defense-impairment attack.t1562.001 custom.tag]",
		"sigma_match": "true",
	} {
		if fmt.Sprint(got[key]) != want {
			t.Errorf("%s: %v, want %s", key, got[key], want)
		}
	}
	if _, ok := got["sigma"]; ok {
		t.Error("flat format wrote the sigma key")
	}
	if _, isStr := got["sigma_match"].(string); !isStr {
		t.Errorf("tag_key: %T, want the string \"true\": routing regexes test only strings", got["sigma_match"])
	}
}

func TestFormatECS(t *testing.T) {
	f := twoRules(t, Config{Format: FormatECS})
	got := enrichOne(t, f, fixture.UnsignedNodeLoad(1))
	want := map[string]string{
		"event":  "map[kind:alert severity:73]",
		"rule":   "map[author:[Jonathan Beierle (@hullabrian) Test Author] description:[Detects the loading of unsigned .node files.",
		"threat": "map[framework:MITRE ATT&CK tactic:map[id:[TA0002 TA0004 TA0003 TA0005 TA0112] name:[Execution Privilege Escalation Persistence Stealth Defense Impairment]] technique:map[id:[T1129 T1574 T1036 T1562] name:[Shared Modules Hijack Execution Flow Masquerading Impair Defenses] subtechnique:map[id:[T1574.001 T1036.005 T1562.001] name:[DLL Match Legitimate Resource Name or Location Disable or Modify Tools]]]]",
		"tags":   "[attack.execution attack.privilege-escalation attack.persistence attack.stealth attack.t1129 attack.t1574.001 attack.t1036.005 attack.defense-impairment attack.t1562.001 custom.tag]",
	}
	for key, w := range want {
		if s := fmt.Sprint(got[key]); len(s) < len(w) || s[:len(w)] != w {
			t.Errorf("%s:\n got %s\nwant %s", key, s, w)
		}
	}
	rule := got["rule"].(map[string]any)
	// The default rule's description is a YAML "|" block, which ends in a
	// newline; ECS gets the text without it.
	if d := f.set.Rules()[0].Description; !strings.HasSuffix(d, "\n") {
		t.Fatalf("the default rule's description no longer ends in a newline: %q", d)
	}
	for i, d := range rule["description"].([]any) {
		if s := d.(string); s == "" || strings.TrimRightFunc(s, unicode.IsSpace) != s {
			t.Errorf("rule.description[%d] = %q: empty or ends in white space", i, s)
		}
	}
	if fmt.Sprintln(rule["id"], rule["name"], rule["ruleset"]) != "[e5f5c693-52d7-4de5-88ae-afbfbce85595 11111111-2222-3333-4444-555555555555] [Unsigned .node File Loaded Slack Loads A Module] sigma\n" {
		t.Errorf("rule: %v", rule)
	}
}

// TestFormatECSGroupsSoftware: ATT&CK group and software tags are
// ECS's threat.group.id and threat.software.id, once each; rules with no
// other ATT&CK tag still write threat.
func TestFormatECSGroupsSoftware(t *testing.T) {
	for _, c := range []struct {
		tags []string
		want string
	}{
		{[]string{"[attack.g0032, attack.s0002, attack.t1003.001]", "[attack.s0002, attack.s0029]"},
			"map[id:[G0032]] map[id:[S0002 S0029]] [T1003]"},
		{[]string{"[attack.s0002]"}, "<nil> map[id:[S0002]] []"},
	} {
		var src []rules.Source
		for i, tags := range c.tags {
			src = append(src, rules.Source{Name: fmt.Sprint(i, ".yml"), Data: []byte(fmt.Sprintf(
				"title: rule %d\ntags: %s\nlogsource: {product: windows, category: image_load}\n"+
					"detection:\n  sel: {ImageLoaded|endswith: '.node'}\n  condition: sel\n", i, tags))})
		}
		set, report, err := rules.Compile(src, rules.Options{})
		if err != nil || len(set.Rules()) != len(c.tags) {
			t.Fatalf("compile: %v, %d rules", err, len(set.Rules()))
		}
		threat, _ := enrichOne(t, NewWithRules(Config{Format: FormatECS}, set, report), fixture.UnsignedNodeLoad(1))["threat"].(map[string]any)
		technique, _ := threat["technique"].(map[string]any)
		if got := fmt.Sprint(threat["group"], threat["software"], technique["id"]); got != c.want {
			t.Errorf("%v: threat %v, want group, software, technique ids %s", c.tags, threat, c.want)
		}
	}
}

// TestFormatECSMerge: a record that already has ECS objects (Elastic's
// pipeline puts Sysmon's RuleName in rule.name) keeps every value.
func TestFormatECSMerge(t *testing.T) {
	f := newFilter(t, Config{Format: FormatECS})
	data := fixture.EventData(7, fixture.UnsignedNodeLoad(1)).With("RuleName", "technique_id=T1129,technique_name=Shared Modules")
	rec := fixture.ECS(7, sysmon.Channel, sysmon.Provider, data).
		With("event", fixture.Map{{K: "code", V: "7"}, {K: "kind", V: "event"}, {K: "module", V: "sysmon"}}).
		With("tags", []any{"forwarded", "attack.t1129"}).
		With("threat", fixture.Map{{K: "framework", V: "MITRE ATT&CK"}, {K: "indicator", V: fixture.Map{{K: "type", V: "file"}}}})
	got := enrichOne(t, f, rec)
	for key, want := range map[string]string{
		"event":  "map[code:7 kind:alert module:sysmon severity:47]",
		"tags":   "[forwarded attack.t1129 attack.execution attack.privilege-escalation attack.persistence attack.stealth attack.t1574.001 attack.t1036.005]",
		"threat": "map[framework:MITRE ATT&CK indicator:map[type:file] tactic:",
	} {
		if s := fmt.Sprint(got[key]); len(s) < len(want) || s[:len(want)] != want {
			t.Errorf("%s:\n got %s\nwant %s", key, s, want)
		}
	}
	rule := got["rule"].(map[string]any)
	if fmt.Sprint(rule["name"]) != "[technique_id=T1129,technique_name=Shared Modules Unsigned .node File Loaded]" {
		t.Errorf("rule.name: %v", rule["name"])
	}
	if fmt.Sprint(rule["id"]) != "[e5f5c693-52d7-4de5-88ae-afbfbce85595]" || rule["ruleset"] != "sigma" {
		t.Errorf("rule: %v", rule)
	}
	// Still one key of each name.
	out, _, _ := f.Process(nil, fixture.Event(nil, ts, nil, rec))
	ev, _ := nextEvent(out, 0)
	seen := map[string]bool{}
	for _, kv := range decodeOrdered(t, out, ev.body) {
		if seen[kv.K] {
			t.Errorf("key %s twice", kv.K)
		}
		seen[kv.K] = true
	}
}

// TestFormatECSMergeDropsEarlierCopies: where the record's event object
// holds kind twice, the last copy takes "alert" and the earlier one goes,
// as at the top level: Fluent Bit's record accessor (and so the rules)
// reads a key's last copy, and $event['kind'] in rewrite_tag must read
// "alert".
func TestFormatECSMergeDropsEarlierCopies(t *testing.T) {
	f := newFilter(t, Config{Format: FormatECS})
	twice := fixture.Map{{K: "kind", V: "event"}, {K: "code", V: "7"}, {K: "kind", V: "pipeline"}}
	out, _, _ := f.Process(nil, fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1).With("event", twice)))
	ev, _ := nextEvent(out, 0)
	for _, kv := range decodeOrdered(t, out, ev.body) {
		if kv.K != "event" {
			continue
		}
		var keys []string
		for _, e := range decodeOrdered(t, kv.V.([]byte), 0) {
			v, _ := msgpack.ScalarText(e.V.([]byte), 0, nil)
			keys = append(keys, e.K+"="+string(v))
		}
		if fmt.Sprint(keys) != "[code=7 kind=alert severity=47]" {
			t.Errorf("event: %v", keys)
		}
	}
	// At the top level: the rule matched the last event object's code,
	// and that object is the one the alert keeps.
	f = ruleFilter(t, Config{Format: FormatECS}, "title: t\nid: t\ndetection:\n  sel: {event.code: '4625'}\n  condition: sel\n")
	body := fixture.Map{{K: "event", V: fixture.Map{{K: "code", V: "4624"}}}, {K: "user", V: "bob"},
		{K: "event", V: fixture.Map{{K: "code", V: "4625"}}}}
	got := enrichOne(t, f, body)
	if event := fmt.Sprint(got["event"]); event != "map[code:4625 kind:alert severity:0]" {
		t.Errorf("event: %s, want the last copy's code, which matched", event)
	}
	// Rules read the fields of every copy of a map: what an earlier copy
	// alone holds, and matched, stays in the alert.
	f = ruleFilter(t, Config{Format: FormatECS}, "title: t\nid: t\ndetection:\n  sel: {event.action: evil}\n  condition: sel\n")
	body = fixture.Map{{K: "event", V: fixture.Map{{K: "action", V: "evil"}}}, {K: "host", V: "h"},
		{K: "event", V: fixture.Map{{K: "dataset", V: "auditd"}}}}
	if event := fmt.Sprint(enrichOne(t, f, body)["event"]); event != "map[action:evil dataset:auditd kind:alert severity:0]" {
		t.Errorf("event: %s, want the matched action kept beside the last copy's dataset", event)
	}
}

// manyTagsRule compiles one rule matching UnsignedNodeLoad with tags
// custom.t0 ... custom.t<n-1>, authors and references alike.
func manyTagsRule(t *testing.T, cfg Config, n int) *Filter {
	t.Helper()
	var tags, refs []string
	for i := range n {
		tags = append(tags, fmt.Sprintf("custom.t%d", i))
		refs = append(refs, fmt.Sprintf("https://example.com/%d", i))
	}
	yaml := fmt.Sprintf(`title: Many Tags
id: 22222222-3333-4444-5555-666666666666
author: Many Authors
references: [%s]
tags: [%s]
level: low
logsource: {product: windows, category: image_load}
detection:
  sel: {ImageLoaded|endswith: '.node'}
  condition: sel
`, strings.Join(refs, ", "), strings.Join(tags, ", "))
	set, report, err := rules.Compile([]rules.Source{{Name: "many.yml", Data: []byte(yaml)}}, rules.Options{})
	if err != nil || len(set.Rules()) != 1 {
		t.Fatalf("compile: %v, %d rules", err, len(set.Rules()))
	}
	return NewWithRules(cfg, set, report)
}

// TestFormatECSManyTags: a rule with more tags than any fixed table would
// hold, meeting a record whose tags array already has the last of them,
// gives one well-formed event whose tags are the union (issue 10: a
// 64-entry table counted fewer elements than were written, and the array
// header disagreed with its contents).
func TestFormatECSManyTags(t *testing.T) {
	for _, n := range []int{63, 64, 65, 70, 200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := manyTagsRule(t, Config{Format: FormatECS}, n)
			last := fmt.Sprintf("custom.t%d", n-1)
			rec := fixture.UnsignedNodeLoad(1).With("tags", []any{"forwarded", last})
			out, changed, err := f.Process(nil, fixture.Event(nil, ts, nil, rec))
			if err != nil || !changed {
				t.Fatalf("changed=%v err=%v", changed, err)
			}
			if end, err := msgpack.Skip(out, 0); err != nil || end != len(out) {
				t.Fatalf("event ends at %d of %d bytes (%v): %d bytes trail", end, len(out), err, len(out)-end)
			}
			events := decodeAll(t, out)
			if len(events) != 1 {
				t.Fatalf("decoded %d events, want 1", len(events))
			}
			want := []any{"forwarded", last}
			for i := range n - 1 {
				want = append(want, fmt.Sprintf("custom.t%d", i))
			}
			if got := events[0].body["tags"]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("tags:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestFormatKeysAreWhatIsWritten: Format.Keys, which tag_key is checked
// against, lists exactly the top-level keys each format adds.
// TestCorrelationKeysAreWhatIsWritten: a record completing a correlation
// gets Keys and CorrelationKeys, and nothing else.
func TestCorrelationKeysAreWhatIsWritten(t *testing.T) {
	for _, format := range []Format{FormatSigma, FormatECS, FormatFlat} {
		f := correlationFilter(t, Config{Format: format, AddKey: "detections", TagKey: "marker"},
			strings.NewReplacer("gte: 10", "gte: 1", "level: high\n", "level: high\ntags: [attack.credential-access, attack.t1110]\n").Replace(bruteForce))
		body := logon(4625, "10.1.2.3", "a")
		recs := run(t, f, at(0, body))[0]
		got := recs[0]
		for _, kv := range body {
			delete(got, kv.K)
		}
		want := append(format.WrittenKeys("detections"), "marker")
		if len(got) != len(slices.Compact(slices.Sorted(slices.Values(want)))) {
			t.Errorf("%s: added %d keys %v, WrittenKeys says %v", format, len(got), got, want)
		}
		for _, k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: WrittenKeys lists %q, which the format did not write", format, k)
			}
		}
	}
}

func TestFormatKeysAreWhatIsWritten(t *testing.T) {
	body := fixture.UnsignedNodeLoad(1)
	for _, format := range []Format{FormatSigma, FormatECS, FormatFlat} {
		got := enrichOne(t, twoRules(t, Config{Format: format, AddKey: "detections", TagKey: "marker"}), body)
		for _, kv := range body {
			delete(got, kv.K)
		}
		want := append(format.Keys("detections"), "marker")
		if len(got) != len(want) {
			t.Errorf("%s: added %d keys %v, Keys says %v", format, len(got), got, want)
		}
		for _, k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: Keys lists %q, which the format did not write", format, k)
			}
		}
	}
}

// TestEnrichedKeepsContainers: a matching record's maps and arrays are
// copied where they stand, byte for byte, however many it has, when the
// chunk's records before it had more or fewer (record.load notes where
// each ends, and appendEnriched copies up to there).
func TestEnrichedKeepsContainers(t *testing.T) {
	f := newFilter(t, Config{})
	// The evtx JSON record (one "Event" map the index descends into) among
	// n other arrays and maps, and a flat record with as many.
	withContainers := func(n int, evtx bool) fixture.Map {
		rec := fixture.Map{{K: "first", V: fixture.Map{{K: "a", V: []any{"x", fixture.Map{{K: "b", V: "y"}}}}}}}
		body := fixture.UnsignedNodeLoad(1)
		if evtx {
			body = fixture.Evtx(7, sysmon.Channel, sysmon.Provider, fixture.EventData(7, body))
		}
		for _, kv := range body {
			rec = append(rec, kv)
			for i := 0; i < n; i++ {
				rec = append(rec, fixture.KV{K: fmt.Sprintf("c%d", len(rec)), V: []any{int64(i), fixture.Map{}}})
			}
			n = 0
		}
		return rec
	}
	var chunk []byte
	var bodies []fixture.Map
	for i, n := range []int{5, 1, 3, 0, 2, 0} {
		body := withContainers(n, i%3 != 2)
		bodies = append(bodies, body)
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	out, changed, err := f.Process(nil, chunk)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	for i, off := 0, 0; i < len(bodies); i++ {
		in, _ := nextEvent(fixture.Event(nil, ts, nil, bodies[i]), 0)
		want := decodeOrdered(t, fixture.Event(nil, ts, nil, bodies[i]), in.body)
		ev, err := nextEvent(out, off)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeOrdered(t, out, ev.body)
		if len(got) != len(want)+1 || got[len(got)-1].K != "sigma" {
			t.Fatalf("record %d: %d keys, want the %d it had and sigma", i, len(got), len(want))
		}
		for k := range want {
			if got[k].K != want[k].K || !bytes.Equal(got[k].V.([]byte), want[k].V.([]byte)) {
				t.Errorf("record %d, pair %d: %s=%x, want %s=%x", i, k, got[k].K, got[k].V, want[k].K, want[k].V)
			}
		}
		off = ev.end
	}
}

// TestFormatECSMergeKeepsTypesAndStep: where a record holds a value that
// is no map (rule: "allow-all", event: "logon"), the ECS map takes its
// place and keeps it as "original", and where it holds a map the filter
// writes values for (tags: {env: prod}), the map keeps them under "sigma"
// (a value and an object in one array would be refused by
// Elasticsearch); arrays that run in step (ids and names) stay in step
// when they meet a record's own.
func TestFormatECSMergeKeepsTypesAndStep(t *testing.T) {
	f := newFilter(t, Config{Format: FormatECS})
	data := fixture.EventData(7, fixture.UnsignedNodeLoad(1))
	rec := fixture.ECS(7, sysmon.Channel, sysmon.Provider, data).
		With("rule", "allow-all").With("event", "logon").With("tags", fixture.Map{{K: "env", V: "prod"}}).
		With("threat", fixture.Map{{K: "technique", V: fixture.Map{{K: "subtechnique", V: fixture.Map{
			{K: "id", V: []any{"T1001.002", "T1036.005"}}, {K: "name", V: []any{"Steganography", "Match Legitimate Resource Name or Location"}}}}}}})
	got := enrichOne(t, f, rec)
	rule, ok := got["rule"].(map[string]any)
	if !ok || rule["original"] != "allow-all" || fmt.Sprint(rule["id"]) != "[e5f5c693-52d7-4de5-88ae-afbfbce85595]" {
		t.Errorf("rule: %v", got["rule"])
	}
	event, ok := got["event"].(map[string]any)
	if !ok || event["original"] != "logon" || event["kind"] != "alert" {
		t.Errorf("event: %v", got["event"])
	}
	// The reverse, an object where the filter writes values: the object
	// stays, the values inside it.
	if tags, ok := got["tags"].(map[string]any); !ok || tags["env"] != "prod" || len(tags["sigma"].([]any)) == 0 {
		t.Errorf("tags: %v", got["tags"])
	}
	// An object that has a "sigma" key of its own takes them there, after
	// its own value.
	mine := enrichOne(t, f, rec.With("tags", fixture.Map{{K: "sigma", V: "mine"}}))
	if tags, ok := mine["tags"].(map[string]any); !ok || fmt.Sprint(tags["sigma"]) != "[mine attack.execution attack.privilege-escalation attack.persistence attack.stealth attack.t1129 attack.t1574.001 attack.t1036.005]" {
		t.Errorf("tags with a sigma key: %v", mine["tags"])
	}
	sub := got["threat"].(map[string]any)["technique"].(map[string]any)["subtechnique"].(map[string]any)
	ids, names := sub["id"].([]any), sub["name"].([]any)
	if len(ids) != len(names) || fmt.Sprint(ids[len(ids)-1], " ", names[len(names)-1]) != "T1036.005 Match Legitimate Resource Name or Location" {
		t.Errorf("subtechnique ids %v and names %v out of step", ids, names)
	}
}
