package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// baseRule is a rule document with the given id, name and level.
func baseRule(id, name, level string) string {
	s := "title: rule " + id + "\nid: " + id + "\n"
	if name != "" {
		s += "name: " + name + "\n"
	}
	if level != "" {
		s += "level: " + level + "\n"
	}
	return s + "logsource: {product: windows}\ndetection:\n  sel: {EventID: 4625, Marker: " + id + "}\n  condition: sel\n"
}

// compileDocs compiles documents given as one multi-document file.
func compileDocs(t *testing.T, opts Options, docs ...string) (*Set, Report, error) {
	t.Helper()
	return Compile([]Source{{Name: "corr.yml", Data: []byte(strings.Join(docs, "---\n"))}}, opts)
}

// oneCorrelation compiles docs and returns the set's only correlation.
func oneCorrelation(t *testing.T, docs ...string) (*Set, Correlation) {
	t.Helper()
	set, report, err := compileDocs(t, Options{}, docs...)
	if err != nil || len(report.Skipped) > 0 || len(set.Correlations()) != 1 {
		t.Fatalf("compile: err %v, skipped %v, want one correlation", err, report.Skipped)
	}
	return set, set.Correlations()[0]
}

func TestCorrelationTypes(t *testing.T) {
	tests := []struct {
		typ       CorrelationType
		condition string
		field     string
		bounds    string
	}{
		{EventCount, "{gte: 10}", "", "[{gte 10}]"},
		{ValueCount, "{field: TargetUserName, gt: 5}", "TargetUserName", "[{gt 5}]"},
		{Temporal, "", "", "[]"},
		{Temporal, "{gte: 1}", "", "[{gte 1}]"},
		{TemporalOrdered, "", "", "[]"},
		{ValueSum, "{field: bytes_sent, gt: 1000000}", "bytes_sent", "[{gt 1e+06}]"},
		{ValueAvg, "{field: BytesOut, gt: 500.5}", "BytesOut", "[{gt 500.5}]"},
		{ValuePercentile, "{field: Image, lte: 1}", "Image", "[{lte 1}]"},
	}
	for _, tc := range tests {
		t.Run(string(tc.typ)+" "+tc.condition, func(t *testing.T) {
			def := fmt.Sprintf("title: c\nid: c1\ncorrelation:\n  type: %s\n  rules: r1\n  group-by: Computer\n  timespan: 5m\n", tc.typ)
			if tc.condition != "" {
				def += "  condition: " + tc.condition + "\n"
			}
			set, c := oneCorrelation(t, baseRule("r1", "", ""), def)
			if c.Type != tc.typ || c.Field != tc.field || fmt.Sprint(c.Bounds) != tc.bounds || c.Timespan != 5*time.Minute {
				t.Errorf("got type %s field %q bounds %v timespan %v; want %s %q %s 5m", c.Type, c.Field, c.Bounds, c.Timespan, tc.typ, tc.field, tc.bounds)
			}
			if tc.field == "" && c.FieldSlot != -1 || tc.field != "" && set.Fields()[c.FieldSlot] != tc.field {
				t.Errorf("FieldSlot %d: want the slot of %q (-1 for none)", c.FieldSlot, tc.field)
			}
			if fmt.Sprint(c.RefNames, c.Refs, c.GroupBy) != "[r1] [{0 -1}] [Computer]" {
				t.Errorf("refs %v %v group-by %v: want [r1] [{0 -1}] [Computer]", c.RefNames, c.Refs, c.GroupBy)
			}
		})
	}
}

func TestCorrelationCondition(t *testing.T) {
	tests := []struct {
		typ, condition string
		bounds         string  // want, when valid
		percentile     float64 // want, when valid
		err            string  // a part of the error, when invalid
	}{
		{typ: "event_count", condition: "{gt: 1}", bounds: "[{gt 1}]"},
		{typ: "event_count", condition: "{gte: 2}", bounds: "[{gte 2}]"},
		{typ: "event_count", condition: "{lt: 3}", bounds: "[{lt 3}]"},
		{typ: "event_count", condition: "{lte: 4}", bounds: "[{lte 4}]"},
		{typ: "event_count", condition: "{eq: 5}", bounds: "[{eq 5}]"},
		{typ: "event_count", condition: "{neq: 6}", bounds: "[{neq 6}]"},
		{typ: "event_count", condition: "{lte: 200, gt: 100}", bounds: "[{gt 100} {lte 200}]"},
		{typ: "event_count", condition: "{neq: 7, eq: 3, lte: 9, lt: 8, gte: 1, gt: 0}", bounds: "[{gt 0} {gte 1} {lt 8} {lte 9} {eq 3} {neq 7}]"},
		{typ: "event_count", condition: "{gte: '10'}", bounds: "[{gte 10}]"},
		{typ: "event_count", condition: "{gte: 0x10}", bounds: "[{gte 16}]"},
		{typ: "value_avg", condition: "{field: [Bytes], gte: 2.5}", bounds: "[{gte 2.5}]"},
		{typ: "value_percentile", condition: "{field: Bytes, percentile: 95, gt: 1000}", bounds: "[{gt 1000}]", percentile: 95},
		{typ: "event_count", condition: "{gte: ten}", err: `gte: want a number, found "ten"`},
		{typ: "event_count", condition: "{gte: .nan}", err: "gte: want a number"},
		{typ: "event_count", condition: "{gte: [1]}", err: "gte: want a number"},
		{typ: "event_count", condition: "{gte: true}", err: "gte: want a number"},
		{typ: "event_count", condition: "{gte: 1, gte: 2}", err: "gte given twice"},
		{typ: "event_count", condition: "{over: 1}", err: `unknown key "over"`},
		{typ: "event_count", condition: "{}", err: "event_count needs a condition with gt"},
		{typ: "event_count", condition: "[gte, 1]", err: "condition must be a map"},
		{typ: "event_count", condition: "{field: User, gte: 1}", err: "event_count takes no condition field"},
		{typ: "value_count", condition: "{gte: 1}", err: "value_count needs a condition field"},
		{typ: "value_sum", condition: "{field: Bytes}", err: "value_sum needs a condition with gt"},
		{typ: "value_count", condition: "{field: [A, B], gte: 1}", err: "several condition fields"},
		{typ: "value_count", condition: "{field: '', gte: 1}", err: "condition field: each entry must be a field name"},
		{typ: "value_avg", condition: "{field: B, gt: 1, percentile: 50}", err: "percentile applies to value_percentile only"},
		{typ: "value_percentile", condition: "{field: B, gt: 1, percentile: 0}", err: "want a number above 0 and at most 100"},
		{typ: "value_percentile", condition: "{field: B, gt: 1, percentile: 101}", err: "want a number above 0 and at most 100"},
		{typ: "temporal", condition: "r1 and r2", err: "unsupported: a condition expression over rule names"},
		{typ: "value_count", condition: "{field: User, gt: 70000}", err: "value_count compares at most 65535 distinct values"},
		{typ: "value_count", condition: "{field: User, lt: 65536}", err: "value_count compares at most 65535 distinct values"},
	}
	for _, tc := range tests {
		t.Run(tc.typ+" "+tc.condition, func(t *testing.T) {
			def := fmt.Sprintf("title: c\nid: c1\ncorrelation:\n  type: %s\n  rules: [r1]\n  timespan: 1h\n  condition: %s\n", tc.typ, tc.condition)
			set, report, _ := compileDocs(t, Options{}, baseRule("r1", "", ""), def)
			if tc.err != "" {
				if len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), tc.err) {
					t.Fatalf("skipped %v: want one mentioning %q", report.Skipped, tc.err)
				}
				if !strings.Contains(report.Skipped[0].Error(), "corr.yml:") {
					t.Errorf("%v: want the file and line", report.Skipped[0])
				}
				return
			}
			if len(report.Skipped) != 0 || len(set.Correlations()) != 1 {
				t.Fatalf("skipped %v: want the correlation loaded", report.Skipped)
			}
			c := set.Correlations()[0]
			if got := fmt.Sprint(c.Bounds); got != tc.bounds || c.Percentile != tc.percentile {
				t.Errorf("bounds %s percentile %v, want %s %v", got, c.Percentile, tc.bounds, tc.percentile)
			}
		})
	}
}

func TestCorrelationTimespan(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		spec string
		want time.Duration // 0: invalid
	}{
		{"30s", 30 * time.Second}, {"10m", 10 * time.Minute}, {"90m", 90 * time.Minute}, {"2h", 2 * time.Hour},
		{"1d", day}, {"1w", 7 * day}, {"3M", 3 * 2629746 * time.Second}, {"1y", 31556952 * time.Second},
		{"0m", 0}, {"10", 0}, {"m", 0}, {"5x", 0}, {"1.5h", 0}, {"-1m", 0}, {"10 m", 0}, {"1H", 0},
		{"'[1m]'", 0}, {"999999999999999h", 0}, {"99999999999999999999s", 0},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			def := "title: c\ncorrelation:\n  type: temporal\n  rules: r1\n  timespan: " + tc.spec + "\n"
			set, report, _ := compileDocs(t, Options{}, baseRule("r1", "", ""), def)
			if tc.want == 0 {
				if len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), "timespan") || kindOf(report.Skipped[0].Err) != KindBadCorrelation {
					t.Errorf("skipped %v: want one bad timespan", report.Skipped)
				}
				return
			}
			if len(report.Skipped) != 0 || set.Correlations()[0].Timespan != tc.want {
				t.Errorf("skipped %v, timespan %v: want %v", report.Skipped, set.Correlations(), tc.want)
			}
		})
	}
}

// TestCorrelationErrors: invalid definitions are skipped with a reason
// naming the key at fault, and the rules they alone reference stay out.
func TestCorrelationErrors(t *testing.T) {
	head := "title: c\nid: c1\ncorrelation:\n"
	tests := []struct {
		name, body string
		kind       ErrorKind
		line, col  int
		mention    string
	}{
		{"not a map", "  [type, temporal]\n", KindBadCorrelation, 3, 1, "correlation must be a map"},
		{"no type", "  rules: [r1]\n  timespan: 1m\n", KindBadCorrelation, 3, 1, "no type"},
		{"unknown type", "  type: event_sum\n  rules: [r1]\n  timespan: 1m\n", KindBadCorrelation, 4, 3, `unknown correlation type "event_sum"`},
		{"no rules", "  type: temporal\n  timespan: 1m\n", KindBadCorrelation, 3, 1, "no rules"},
		{"empty rules", "  type: temporal\n  rules: []\n  timespan: 1m\n", KindBadCorrelation, 5, 3, "rules is empty"},
		{"rules entry not a string", "  type: temporal\n  rules: [r1, {a: b}]\n  timespan: 1m\n", KindBadCorrelation, 5, 15, "each entry must be a rule id or name"},
		{"no timespan", "  type: temporal\n  rules: [r1]\n", KindBadCorrelation, 3, 1, "no timespan"},
		{"bad group-by", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  group-by: {a: b}\n", KindBadCorrelation, 7, 13, "group-by: each entry must be a field name"},
		{"group-by twice", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  group-by: [User, Host, User]\n", KindBadCorrelation, 7, 3, `group-by lists "User" twice`},
		{"group-by too long", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  group-by: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n", KindBadCorrelation, 7, 3, "group-by lists 17 fields; at most 16"},
		{"bad generate", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  generate: yes please\n", KindBadCorrelation, 7, 3, "generate must be true or false"},
		{"unknown key", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  group_by: [User]\n", KindBadCorrelation, 7, 3, `unknown key "group_by"`},
		{"key twice", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  timespan: 2m\n", KindBadCorrelation, 7, 3, "timespan given twice"},
		{"aliases not a map", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  aliases: [a]\n", KindBadCorrelation, 7, 3, "aliases must be a map"},
		{"alias of another rule", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  aliases: {ip: {r9: src}}\n", KindBadCorrelation, 7, 18, `"r9" is none of the correlation's rules`},
		{"missing rule", "  type: temporal\n  rules: [r1, r9]\n  timespan: 1m\n", KindBadReference, 5, 15, `no rule or correlation has the id or name "r9"`},
		{"failed rule", "  type: temporal\n  rules: [r1, broken]\n  timespan: 1m\n", KindBadReference, 5, 15, `referenced "broken" was not loaded: unsupported: modifier "sounds_like"`},
		{"failed rule by name", "  type: temporal\n  rules: [r1, broken_name]\n  timespan: 1m\n", KindBadReference, 5, 15, `referenced "broken_name" was not loaded`},
		{"rule twice", "  type: temporal\n  rules: [r1, R1]\n  timespan: 1m\n", KindBadCorrelation, 5, 15, `rules names "R1" twice`},
		{"self reference", "  type: temporal\n  rules: [r1, c1]\n  timespan: 1m\n", KindBadReference, 3, 1, "correlation cycle: c1 -> c1"},
		{"unknown level", "  type: temporal\n  rules: [r1]\n  timespan: 1m\nlevel: severe\n", KindMetadata, 0, 0, `unknown level "severe"`},
		{"bad tags", "  type: temporal\n  rules: [r1]\n  timespan: 1m\ntags: {a: b}\n", KindParse, 0, 0, "parse"},
		{"more rules than a group tells apart", "  type: temporal\n  rules: [" + manyRefs(MaxCorrelationRefs+1) + "]\n  timespan: 1m\n",
			KindUnsupportedConstruct, 3, 1, "references at most 64 rules, this one 65"},
		{"generate in both places, differing", "  type: temporal\n  rules: [r1]\n  timespan: 1m\n  generate: false\ngenerate: true\n",
			KindBadCorrelation, 8, 1, "generate is true here and false in the correlation"},
		{"bad top-level generate", "  type: temporal\n  rules: [r1]\n  timespan: 1m\ngenerate: 1\n", KindBadCorrelation, 7, 1, "generate must be true or false"},
	}
	broken := "title: broken\nid: broken\nname: broken_name\ndetection:\n  sel: {A|sounds_like: x}\n  condition: sel\n"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, report, err := compileDocs(t, Options{}, head+tc.body, baseRule("r1", "", "low"), broken)
			if err != nil || set.Len() != 1 || len(set.Correlations()) != 0 || len(report.Skipped) != 2 {
				t.Fatalf("err %v, skipped %v: want r1 alone loaded, the broken rule and the correlation skipped", err, report.Skipped)
			}
			s := report.Skipped[0]
			if s.ID != "c1" {
				s = report.Skipped[1]
			}
			var ce *CompileError
			if !errors.As(s.Err, &ce) || ce.Kind != tc.kind || ce.Line != tc.line || ce.Column != tc.col || !strings.Contains(s.Error(), tc.mention) {
				t.Errorf("got %v (kind %v at %d:%d); want kind %v at %d:%d mentioning %q", s, kindOf(s.Err), ce.Line, ce.Column, tc.kind, tc.line, tc.col, tc.mention)
			}
			if s.ID != "c1" || s.Title != "c" {
				t.Errorf("skip names %q %q, want c1 c", s.ID, s.Title)
			}
		})
	}
}

// TestCorrelationSkipDropsItsRules: a rule the selection left out that
// only a skipped correlation references does not load.
func TestCorrelationSkipDropsItsRules(t *testing.T) {
	corr := "title: c\nid: c1\nlevel: high\ncorrelation: {type: temporal, rules: [r1, r9], timespan: 1m}\n"
	set, report, err := compileDocs(t, Options{MinLevel: LevelHigh}, baseRule("r1", "", "low"), baseRule("r2", "", "high"), corr)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 1 || set.Rules()[0].ID != "r2" || report.Filtered != 1 || len(report.Skipped) != 1 {
		t.Errorf("rules %v, filtered %d, skipped %v; want r2 alone, r1 filtered, c1 skipped", set.Rules(), report.Filtered, report.Skipped)
	}
}

func TestCorrelationAmbiguousName(t *testing.T) {
	corr := "title: c\ncorrelation: {type: temporal, rules: [dup, r3], timespan: 1m}\n"
	set, report, _ := compileDocs(t, Options{}, baseRule("r1", "dup", ""), baseRule("r2", "dup", ""), baseRule("r3", "dup", ""), corr)
	if len(set.Correlations()) != 0 || len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), `the name "dup" is ambiguous: 3 documents`) {
		t.Errorf("skipped %v: want the correlation skipped for the ambiguous name", report.Skipped)
	}
	// By id, r3 resolves although its name is shared; ids come first.
	corr = "title: c\ncorrelation: {type: temporal, rules: [r3, r1], timespan: 1m}\n"
	if set, report, _ = compileDocs(t, Options{}, baseRule("r1", "dup", ""), baseRule("r3", "dup", ""), corr); len(set.Correlations()) != 1 {
		t.Errorf("skipped %v: want the correlation loaded by ids", report.Skipped)
	}
}

func TestCorrelationCycle(t *testing.T) {
	a := "title: a\nid: ca\ncorrelation: {type: temporal, rules: [r1, cb], timespan: 1m}\n"
	b := "title: b\nid: cb\ncorrelation: {type: temporal, rules: [cc], timespan: 1m}\n"
	c := "title: c\nname: cc\ncorrelation: {type: event_count, rules: [ca], timespan: 1m, condition: {gte: 2}}\n"
	outside := "title: d\nid: cd\ncorrelation: {type: event_count, rules: [cb], timespan: 1m, condition: {gte: 2}}\n"
	set, report, err := compileDocs(t, Options{}, baseRule("r1", "", ""), a, b, c, outside)
	if err != nil || len(set.Correlations()) != 0 || len(report.Skipped) != 4 {
		t.Fatalf("err %v, correlations %d, skipped %v: want all four skipped", err, len(set.Correlations()), report.Skipped)
	}
	for i, want := range []string{"cycle: ca -> cb -> cc -> ca", "cycle: ca -> cb -> cc -> ca", "cycle: ca -> cb -> cc -> ca",
		`referenced correlation "cb" is not loaded: correlation cycle`} {
		if got := report.Skipped[i].Error(); !strings.Contains(got, want) {
			t.Errorf("skip %d: %s; want it to mention %q", i, got, want)
		}
	}
}

// TestCorrelationChain: a correlation referencing a correlation, users
// and silence along the chain.
func TestCorrelationChain(t *testing.T) {
	inner := "title: inner\nid: ci\nname: many_failed\ncorrelation: {type: event_count, rules: [failed], group-by: User, timespan: 10m, condition: {gte: 10}}\n"
	outer := "title: outer\nid: co\ncorrelation: {type: temporal_ordered, rules: [many_failed, success], group-by: User, timespan: 10m}\n"
	other := "title: other\nid: cx\ncorrelation: {type: event_count, rules: [failed], timespan: 1h, condition: {gte: 100}, generate: true}\n"
	set, report, err := compileDocs(t, Options{}, outer, inner, other, baseRule("rf", "failed", ""), baseRule("rs", "success", ""))
	if err != nil || len(report.Skipped) != 0 || report.Correlations != 3 {
		t.Fatalf("err %v, skipped %v, %d correlations: want 3 loaded", err, report.Skipped, report.Correlations)
	}
	cs := set.Correlations()
	if got := fmt.Sprint(cs[0].Refs, cs[1].Refs, cs[2].Refs); got != "[{-1 1} {1 -1}] [{0 -1}] [{0 -1}]" {
		t.Errorf("refs %s: want outer -> inner and rs, inner and other -> rf", got)
	}
	if got := fmt.Sprint(set.RuleUsers(0), set.RuleUsers(1), set.CorrelationUsers(1), set.CorrelationUsers(0), set.RuleUsers(7)); got != "[{1 0} {2 0}] [{0 1}] [{0 0}] [] []" {
		t.Errorf("users %s", got)
	}
	silent := fmt.Sprint(cs[0].Silent, cs[1].Silent, cs[2].Silent, set.Rules()[0].Silent, set.Rules()[1].Silent)
	if silent != "false true false false true" {
		t.Errorf("silent outer inner other rf rs: %s; want false true false false true (rf is generated by other)", silent)
	}
}

// TestCorrelationGenerate: generate is read in the correlation map (as
// pySigma does) and among the top-level attributes (where the
// specification and its schema list it), and both may agree.
func TestCorrelationGenerate(t *testing.T) {
	tests := []struct {
		generate, top string
		silent        bool
	}{{"", "", true}, {"generate: false", "", true}, {"generate: true", "", false},
		{"", "generate: true", false}, {"", "generate: false", true}, {"generate: true", "generate: true", false}}
	for _, tc := range tests {
		t.Run(tc.generate+"/"+tc.top, func(t *testing.T) {
			corr := "title: c\ncorrelation:\n  type: event_count\n  rules: r1\n  timespan: 1m\n  condition: {gte: 3}\n  " + tc.generate + "\n" + tc.top + "\n"
			set, c := oneCorrelation(t, baseRule("r1", "", ""), baseRule("r2", "", ""), corr)
			if c.Generate != !tc.silent || set.Rules()[0].Silent != tc.silent || set.Rules()[1].Silent || c.Silent {
				t.Errorf("generate %v, r1 silent %v, r2 silent %v, correlation silent %v; want r1 silent %v only",
					c.Generate, set.Rules()[0].Silent, set.Rules()[1].Silent, c.Silent, tc.silent)
			}
		})
	}
}

func TestCorrelationSelection(t *testing.T) {
	corr := func(level string) string {
		return "title: c\nid: c1\nlevel: " + level + "\ncorrelation: {type: temporal, rules: [r1, inner], timespan: 1m}\n"
	}
	inner := "title: i\nid: inner\nlevel: low\ncorrelation: {type: event_count, rules: [r2], timespan: 1m, condition: {gte: 3}}\n"
	docs := []string{baseRule("r1", "", "low"), baseRule("r2", "", "low"), baseRule("r3", "", "low"), baseRule("r4", "", "high"), inner}
	tests := []struct {
		name                string
		opts                Options
		level               string
		rules, correlations string
		filtered            int
	}{
		{"everything", Options{}, "high", "r1 r2 r3 r4", "inner c1", 0},
		{"a high correlation pulls its low rules", Options{MinLevel: LevelHigh}, "high", "r1 r2 r4", "inner c1", 1},
		{"a low correlation pulls nothing", Options{MinLevel: LevelHigh}, "low", "r4", "", 5},
		{"by id", Options{RuleIDs: []string{"C1"}}, "low", "r1 r2", "inner c1", 2},
		{"the inner one alone", Options{RuleIDs: []string{"inner"}}, "low", "r2", "inner", 4},
		{"status", Options{Statuses: []string{"stable"}}, "low", "", "", 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, report, _ := compileDocs(t, tc.opts, append(docs, corr(tc.level))...)
			var rules, corrs []string
			if set != nil {
				for _, r := range set.Rules() {
					rules = append(rules, r.ID)
				}
				for _, c := range set.Correlations() {
					corrs = append(corrs, c.ID)
				}
			}
			if strings.Join(rules, " ") != tc.rules || strings.Join(corrs, " ") != tc.correlations || report.Filtered != tc.filtered {
				t.Errorf("rules %v correlations %v filtered %d; want %s, %s, %d", rules, corrs, report.Filtered, tc.rules, tc.correlations, tc.filtered)
			}
		})
	}
}

func TestCorrelationAliases(t *testing.T) {
	corr := `title: c
correlation:
  type: temporal
  rules: [internal_error, r2, r3]
  group-by: [internal_ip, User]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      R2: source.ip
`
	set, c := oneCorrelation(t, baseRule("r1", "internal_error", ""), baseRule("r2", "", ""), baseRule("r3", "", ""), corr)
	var got []string
	for _, slots := range c.GroupSlots {
		var names []string
		for _, s := range slots {
			names = append(names, set.Fields()[s])
		}
		got = append(got, strings.Join(names, ","))
	}
	// By name, by id (any case), and no alias for r3: the group-by name.
	if want := "destination.ip,User source.ip,User internal_ip,User"; strings.Join(got, " ") != want {
		t.Errorf("group fields per rule: %q, want %q", strings.Join(got, " "), want)
	}
	// The group fields are slots the compiler named, shared with rules.
	if !slices.Contains(set.Fields(), "EventID") || slices.Index(set.Fields(), "User") != c.GroupSlots[0][1] {
		t.Errorf("fields %v", set.Fields())
	}
}

func TestCorrelationDigest(t *testing.T) {
	def := "title: %s\nid: c1\nlevel: %s\ncorrelation:\n  type: event_count\n  rules: [r1]\n  group-by: [%s]\n  timespan: %s\n  condition: {gte: %s}\n"
	digest := func(title, level, group, timespan, gte string, rules ...string) (string, string) {
		t.Helper()
		src := fmt.Sprintf(def, title, level, group, timespan, gte)
		set, report, err := Compile([]Source{{"a.yml", []byte(src)}, {"b.yml", []byte(strings.Join(rules, "---\n"))}}, Options{})
		if err != nil || len(set.Correlations()) != 1 {
			t.Fatalf("err %v, skipped %v", err, report.Skipped)
		}
		if d := set.Correlations()[0].Digest; len(d) != correlationDigestLen {
			t.Fatalf("digest %q: want %d hex digits", d, correlationDigestLen)
		}
		return set.Correlations()[0].Digest, report.Digest
	}
	r1 := baseRule("r1", "", "")
	base, baseSet := digest("t", "low", "User", "5m", "10", r1)
	if again, _ := digest("t", "low", "User", "5m", "10", baseRule("r0", "", ""), r1); again != base {
		t.Errorf("another rule loaded besides: digest %s, want %s", again, base)
	}
	for name, d := range map[string][]string{"title": {"other", "low"}, "level": {"t", "high"}} {
		got, set := digest(d[0], d[1], "User", "5m", "10", r1)
		if got != base || set == baseSet {
			t.Errorf("%s changed: digest %s (want %s), set digest %s (want changed from %s)", name, got, base, set, baseSet)
		}
	}
	for name, d := range map[string][]string{"group-by": {"Host", "5m", "10"}, "timespan": {"User", "300s", "11"}, "condition": {"User", "5m", "11"}} {
		if got, _ := digest("t", "low", d[0], d[1], d[2], r1); got == base {
			t.Errorf("%s changed: digest unchanged", name)
		}
	}
	// 300s is 5m: the parsed definition is the same.
	if got, _ := digest("t", "low", "User", "300s", "10", r1); got != base {
		t.Errorf("5m written as 300s: digest %s, want %s", got, base)
	}
}

// manyRefs lists n rule names r1..rn for a correlation's rules.
func manyRefs(n int) string {
	refs := make([]string, n)
	for i := range refs {
		refs[i] = fmt.Sprintf("r%d", i+1)
	}
	return strings.Join(refs, ", ")
}
