package rules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two process_creation rules and one of another logsource; the filters
// below name them.
const filterTargetRules = `title: Rar
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
name: rar_compression
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\rar.exe'
  condition: selection
---
title: Whoami
id: 11111111-2222-4333-8444-555555555555
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\whoami.exe'
  condition: selection
---
title: Linux shell
id: 22222222-2222-4333-8444-555555555555
logsource: {category: process_creation, product: linux}
detection:
  selection:
    Image|endswith: '/sh'
  condition: selection
`

func compileFilterSrcs(t *testing.T, filters string) (*Set, Report) {
	t.Helper()
	set, report, err := Compile([]Source{
		{Name: "rules.yml", Data: []byte(filterTargetRules)},
		{Name: "filters.yml", Data: []byte(filters)},
	}, Options{})
	if err != nil {
		t.Fatalf("Compile: %v (skipped: %v)", err, report.Skipped)
	}
	return set, report
}

// matchedTitles is the titles of the rules ev matches.
func matchedTitles(set *Set, fields map[string]string) string {
	var titles []string
	for _, i := range set.Match(mapEvent{set, fields}, nil) {
		titles = append(titles, set.Rules()[i].Title)
	}
	return strings.Join(titles, ",")
}

func TestFilterApplies(t *testing.T) {
	// Sigma filters specification, "Global Filter": filter.rules "refers to
	// one or multiple Sigma rules where to add the filter"; pySigma ANDs
	// the filter's condition with the rule's.
	tests := []struct {
		name, filter string
		event        map[string]string
		want         string
		applied      int
	}{
		{
			name: "by id, not selection suppresses",
			filter: `title: adm
logsource: {category: process_creation, product: windows}
filter:
  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
  selection: {User|startswith: adm_}
  condition: not selection
`,
			event: map[string]string{"Image": `C:\rar.exe`, "User": "adm_bob"}, want: "", applied: 1,
		},
		{
			name: "by id, other users still match",
			filter: `title: adm
logsource: {category: process_creation, product: windows}
filter:
  rules: [6F3E2987-DB24-4C78-A860-B4F4095A7095]
  selection: {User|startswith: adm_}
  condition: not selection
`,
			event: map[string]string{"Image": `C:\rar.exe`, "User": "bob"}, want: "Rar", applied: 1,
		},
		{
			name: "by name, a single reference",
			filter: `title: adm
logsource: {product: windows}
filter:
  rules: rar_compression
  selection: {User|startswith: adm_}
  condition: not selection
`,
			event: map[string]string{"Image": `C:\rar.exe`, "User": "adm_bob"}, want: "", applied: 1,
		},
		{
			name: "the rule not named is untouched",
			filter: `title: adm
logsource: {category: process_creation, product: windows}
filter:
  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
  selection: {User|startswith: adm_}
  condition: not selection
`,
			event: map[string]string{"Image": `C:\whoami.exe`, "User": "adm_bob"}, want: "Whoami", applied: 1,
		},
		{
			name: "rules: any covers every rule of the logsource only (pySigma)",
			filter: `title: adm
logsource: {category: process_creation, product: windows}
filter:
  rules: any
  selection: {User|startswith: adm_}
  condition: not selection
`,
			event: map[string]string{"Image": `C:\whoami.exe`, "User": "adm_bob"}, want: "", applied: 2,
		},
		{
			name: "a rule of another logsource is not filtered even when named",
			filter: `title: adm
logsource: {product: windows}
filter:
  rules: [22222222-2222-4333-8444-555555555555, 6f3e2987-db24-4c78-a860-b4f4095a7095]
  selection: {User: root}
  condition: not selection
`,
			event: map[string]string{"Image": "/bin/sh", "User": "root"}, want: "Linux shell", applied: 1,
		},
		{
			// The specification's own example ("condition: selection"), read
			// as pySigma reads it: the rule now fires only for adm_ users.
			name: "the specification's example restricts the rule",
			filter: `title: Filter Administrator account
description: The valid administrator account start with adm_
logsource: {category: process_creation, product: windows}
filter:
  rules:
    - 6f3e2987-db24-4c78-a860-b4f4095a7095
    - df0841c0-9846-4e9f-ad8a-7df91571771b
  selection:
    User|startswith: 'adm_'
  condition: selection
`,
			event: map[string]string{"Image": `C:\rar.exe`, "User": "bob"}, want: "", applied: 1,
		},
		{
			name: "several searches and a condition over them",
			filter: `title: two
logsource: {category: process_creation}
filter:
  rules: any
  admin: {User|startswith: adm_}
  backup: {ParentImage|endswith: '\backup.exe'}
  condition: not (admin and backup)
`,
			event: map[string]string{"Image": `C:\rar.exe`, "User": "adm_bob"}, want: "Rar", applied: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, report := compileFilterSrcs(t, tc.filter)
			if got := matchedTitles(set, tc.event); got != tc.want {
				t.Errorf("matched %q, want %q", got, tc.want)
			}
			if report.Filters != 1 || report.FilteredRules != tc.applied {
				t.Errorf("report: %d filter(s) applied to %d rule(s), want 1 and %d", report.Filters, report.FilteredRules, tc.applied)
			}
		})
	}
}

func TestFiltersCombine(t *testing.T) {
	set, report := compileFilterSrcs(t, `title: adm
id: f1
logsource: {product: windows}
filter:
  rules: any
  selection: {User|startswith: adm_}
  condition: not selection
---
title: svc
id: f2
logsource: {product: windows}
filter:
  rules: [rar_compression]
  selection: {User: svc}
  condition: not selection
`)
	for user, want := range map[string]string{"adm_x": "", "svc": "", "bob": "Rar"} {
		if got := matchedTitles(set, map[string]string{"Image": `C:\rar.exe`, "User": user}); got != want {
			t.Errorf("User %s: matched %q, want %q", user, got, want)
		}
	}
	if report.Filters != 2 || report.FilteredRules != 2 {
		t.Errorf("%d filter(s) on %d rule(s), want 2 on 2", report.Filters, report.FilteredRules)
	}
}

func TestFilterUnused(t *testing.T) {
	_, report := compileFilterSrcs(t, `title: nothing
id: unused-filter
logsource: {product: windows}
filter:
  rules: [no-such-rule]
  selection: {User: x}
  condition: not selection
`)
	if len(report.UnusedFilters) != 1 || len(report.Skipped) != 0 {
		t.Fatalf("unused %v, skipped %v; want one unused filter and no skip", report.UnusedFilters, report.Skipped)
	}
	msg := report.UnusedFilters[0].Error()
	for _, want := range []string{"filters.yml", "unused-filter", "applies to no loaded rule", "no-such-rule", "product=windows"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// TestFilterOnACorrelation: a filter naming a correlation applies to
// nothing (filters tune rules, as pySigma's do), and says so.
func TestFilterOnACorrelation(t *testing.T) {
	corr := "title: many\nid: corr-1\ncorrelation: {type: event_count, rules: [6f3e2987-db24-4c78-a860-b4f4095a7095], timespan: 1h, condition: {gte: 5}}\n"
	filter := "title: f\nid: f-on-corr\nlogsource: {product: windows}\nfilter:\n  rules: [corr-1]\n  selection: {User: x}\n  condition: not selection\n"
	_, report, err := Compile([]Source{{Name: "rules.yml", Data: []byte(filterTargetRules + "---\n" + corr)}, {Name: "filters.yml", Data: []byte(filter)}}, Options{})
	if err != nil || len(report.UnusedFilters) != 1 || !strings.Contains(report.UnusedFilters[0].Error(), "corr-1 is a correlation, which filters do not apply to") {
		t.Errorf("err %v, unused %v; want the filter unused, saying corr-1 is a correlation", err, report.UnusedFilters)
	}
}

func TestFilterBroken(t *testing.T) {
	base := "title: broken\nid: broken-filter\n"
	tests := []struct {
		name, src string
		kind      ErrorKind
	}{
		{"no logsource", base + "filter: {rules: any, selection: {A: 1}, condition: not selection}\n", KindParse},
		{"no rules", base + "logsource: {product: windows}\nfilter: {selection: {A: 1}, condition: not selection}\n", KindParse},
		{"rules not a list", base + "logsource: {product: windows}\nfilter: {rules: {a: b}, selection: {A: 1}, condition: not selection}\n", KindParse},
		{"no condition", base + "logsource: {product: windows}\nfilter: {rules: any, selection: {A: 1}}\n", KindBadCondition},
		{"a condition list", base + "logsource: {product: windows}\nfilter: {rules: any, selection: {A: 1}, condition: [selection]}\n", KindBadCondition},
		{"no search", base + "logsource: {product: windows}\nfilter: {rules: any, condition: not selection}\n", KindBadSearch},
		{"unknown search", base + "logsource: {product: windows}\nfilter: {rules: any, selection: {A: 1}, condition: not other}\n", KindBadCondition},
		{"unknown modifier", base + "logsource: {product: windows}\nfilter: {rules: any, selection: {A|nope: 1}, condition: not selection}\n", KindUnsupportedModifier},
		{"filter not a map", base + "logsource: {product: windows}\nfilter: [a]\n", KindParse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, report := compileFilterSrcs(t, tc.src)
			if len(report.Skipped) != 1 || report.Filters != 0 {
				t.Fatalf("skipped %v, %d filter(s); want the filter skipped", report.Skipped, report.Filters)
			}
			s := report.Skipped[0]
			if got := kindOf(s.Err); got != tc.kind {
				t.Errorf("kind %v, want %v (%v)", got, tc.kind, s)
			}
			if s.ID != "broken-filter" || !strings.Contains(s.Error(), "filter broken-filter") {
				t.Errorf("skip %q (id %q) does not name the filter", s.Error(), s.ID)
			}
			if reasons := report.Reasons(); len(reasons) != 1 || strings.Contains(reasons[0].Text, "broken-filter") {
				t.Errorf("reasons %v: want one, without the filter's id", reasons)
			}
			// The rules load and match without it.
			if got := matchedTitles(set, map[string]string{"Image": `C:\rar.exe`, "A": "1"}); got != "Rar" {
				t.Errorf("matched %q, want Rar", got)
			}
			for _, f := range set.Fields() {
				if f == "A" {
					t.Errorf("the skipped filter left its field in the set: %v", set.Fields())
				}
			}
		})
	}
}

func TestFilterDuplicateID(t *testing.T) {
	f := "title: a\nid: dup\nlogsource: {product: windows}\nfilter: {rules: any, selection: {User: x}, condition: not selection}\n"
	_, report := compileFilterSrcs(t, f+"---\n"+f)
	if report.Filters != 1 || len(report.Skipped) != 1 || kindOf(report.Skipped[0].Err) != KindDuplicate {
		t.Errorf("%d filter(s), skipped %v; want 1 and one duplicate", report.Filters, report.Skipped)
	}
}

func TestFilterPaths(t *testing.T) {
	dir := t.TempDir()
	rulesDir, filtersDir := filepath.Join(dir, "rules"), filepath.Join(dir, "filters")
	for _, d := range []string{rulesDir, filtersDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(rulesDir, "rules.yml"), filterTargetRules)
	write(filepath.Join(filtersDir, "mf_adm.yml"), `title: adm
logsource: {product: windows}
filter:
  rules: any
  selection: {User|startswith: adm_}
  condition: not selection
`)
	// A rule in the filters path is not loaded: the property holds filters.
	write(filepath.Join(filtersDir, "stray_rule.yml"), `title: stray
id: 33333333-2222-4333-8444-555555555555
logsource: {product: windows}
detection: {selection: {User: x}, condition: selection}
`)
	without, _, err := Load([]string{rulesDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	set, report, err := Load([]string{rulesDir}, Options{FilterPaths: []string{filtersDir}})
	if err != nil {
		t.Fatal(err)
	}
	if report.Loaded != 3 || report.Filters != 1 || report.FilteredRules != 2 || report.Files != 3 {
		t.Errorf("loaded %d, %d filter(s) on %d rule(s), %d file(s); want 3, 1 on 2, 3", report.Loaded, report.Filters, report.FilteredRules, report.Files)
	}
	if len(report.Skipped) != 1 || kindOf(report.Skipped[0].Err) != KindNotARule || !strings.Contains(report.Skipped[0].Error(), "not a Sigma filter") {
		t.Errorf("skipped %v, want the stray rule as not a filter", report.Skipped)
	}
	if got := matchedTitles(set, map[string]string{"Image": `C:\rar.exe`, "User": "adm_x"}); got != "" {
		t.Errorf("matched %q, want nothing", got)
	}
	if without.Len() != 3 || report.Digest == "" || report.Digest == digestOf(t, rulesDir) {
		t.Errorf("digest %q does not change with the filter", report.Digest)
	}
	// Filters in the rule paths load too.
	set, report, err = Load([]string{rulesDir, filepath.Join(filtersDir, "mf_adm.yml")}, Options{})
	if err != nil || report.Filters != 1 || matchedTitles(set, map[string]string{"Image": `C:\rar.exe`, "User": "adm_x"}) != "" {
		t.Errorf("filter in the rules path: err %v, %d filter(s)", err, report.Filters)
	}
	// A filter the rules paths hold and the filters property names too
	// loads once: not skipped as a duplicate (which strict would refuse).
	mf := filepath.Join(filtersDir, "mf_adm.yml")
	_, report, err = Load([]string{rulesDir, mf}, Options{FilterPaths: []string{filtersDir}})
	if err != nil || report.Filters != 1 || len(report.Walk.RepeatedFiles) != 1 || !strings.Contains(report.Walk.String(), "read once: "+mf+" = "+mf) {
		t.Errorf("filter in both: err %v, %d filter(s), walk %s", err, report.Filters, report.Walk)
	}
	for _, sk := range report.Skipped {
		if kindOf(sk.Err) == KindDuplicate {
			t.Errorf("filter in both: skipped as a duplicate: %v", sk)
		}
	}
	// So is one a link of another name reaches.
	link := filepath.Join(dir, "link-to-adm.yml")
	if err := os.Symlink(mf, link); err != nil {
		t.Fatal(err)
	}
	_, report, err = Load([]string{rulesDir, mf}, Options{FilterPaths: []string{link}})
	if err != nil || report.Filters != 1 || len(report.Walk.RepeatedFiles) != 1 {
		t.Errorf("filter through a link: err %v, %d filter(s), walk %s", err, report.Filters, report.Walk)
	}
	// The filters property applies to the embedded default too, and a
	// missing filters path is an error, as a missing rules path is.
	if _, report, err := Default(Options{FilterPaths: []string{filtersDir}}); err != nil || report.Filters != 1 {
		t.Errorf("Default with filters: err %v, %d filter(s)", err, report.Filters)
	}
	if _, _, err := Load([]string{rulesDir}, Options{FilterPaths: []string{filepath.Join(dir, "missing")}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing filters path: err %v, want not exist", err)
	}
}

func digestOf(t *testing.T, path string) string {
	t.Helper()
	_, report, err := Load([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return report.Digest
}

// TestFilterPrefiltered: with more rules than the direct-evaluation
// threshold, rules are reached through their literals; a filter's
// condition, negated or not, still decides.
func TestFilterPrefiltered(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "title: r%d\nid: r%d\nlogsource: {product: windows}\ndetection:\n  sel: {CommandLine|contains: 'tool%02d.exe'}\n  condition: sel\n---\n", i, i, i)
	}
	rulesSrc := b.String()
	for _, tc := range []struct {
		cond, user, want string
	}{
		{"not sel", "adm_x", ""},
		{"not sel", "bob", "r7"},
		{"sel", "adm_x", "r7"},
		{"sel", "bob", ""},
	} {
		filter := "title: f\nlogsource: {product: windows}\nfilter:\n  rules: any\n  sel: {User|startswith: adm_}\n  condition: " + tc.cond + "\n"
		set, report, err := Compile([]Source{{Name: "r.yml", Data: []byte(rulesSrc)}, {Name: "f.yml", Data: []byte(filter)}}, Options{})
		if err != nil || report.FilteredRules != 40 || set.Stats().Prefiltered != 40 {
			t.Fatalf("err %v, filtered %d, prefiltered %d", err, report.FilteredRules, set.Stats().Prefiltered)
		}
		var ids []string
		for _, i := range set.Match(mapEvent{set, map[string]string{"CommandLine": "run tool07.exe", "User": tc.user}}, nil) {
			ids = append(ids, set.Rules()[i].ID)
		}
		if got := strings.Join(ids, ","); got != tc.want {
			t.Errorf("condition %s, user %s: matched %q, want %q", tc.cond, tc.user, got, tc.want)
		}
	}
}
