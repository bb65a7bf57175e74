package rules

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCompileErrorKinds(t *testing.T) {
	const head = "title: t\nid: r1\nlogsource: {product: windows}\ndetection:\n"
	rule := func(search string) string { return head + "  a: " + search + "\n  condition: a\n" }
	tests := []struct {
		name string
		src  string
		want ErrorKind
	}{
		{"yaml syntax", "title: [unclosed\n", KindYAML},
		{"not a map", "- a\n- b\n", KindNotARule},
		{"no detection", "title: x\nfoo: bar\n", KindNotARule},
		{"detection not a map", "title: t\ndetection: 5\n", KindParse},
		{"unknown level", strings.Replace(rule("{A: x}"), "id: r1", "id: r1\nlevel: severe", 1), KindMetadata},
		{"unknown modifier", rule("{A|sounds_like: x}"), KindUnsupportedModifier},
		{"two positions", rule("{A|contains|startswith: x}"), KindModifierCombination},
		{"two comparators", rule("{A|re|cidr: x}"), KindModifierCombination},
		{"flag without re", rule("{A|i: x}"), KindModifierCombination},
		{"null with a comparator", rule("{A|re: [null, x]}"), KindModifierCombination},
		// A comparator reads the value as written: a transform before it
		// would be lost, not applied.
		{"expand before re", rule("{A|expand|re: '^%servers%$'}"), KindModifierCombination},
		{"base64 before re", rule("{A|base64|re: abc}"), KindModifierCombination},
		{"wide before cidr", rule("{A|wide|cidr: 10.0.0.0/8}"), KindModifierCombination},
		{"windash before gt", rule("{A|windash|gt: 5}"), KindModifierCombination},
		// Five dashes make 5^5 = 3,125 values; six would make 15,625.
		{"windash of six dashes", rule("{A|windash: 'a-b-c-d-e-f-g'}"), KindBadValue},
		{"value of a map type", rule("{A: [{x: 1}]}"), KindUnsupportedValue},
		{"exists with a word", rule("{A|exists: maybe}"), KindBadValue},
		{"wildcard encoded", rule("{A|base64: 'x*'}"), KindBadValue},
		{"null keyword", rule("{'|contains': [null, x]}"), KindBadValue},
		{"bad regex", rule("{A|re: '(?<=x)y'}"), KindBadRegex},
		{"bad cidr", rule("{A|cidr: 10.0.0.0/33}"), KindBadCIDR},
		{"bad number", rule("{A|gt: ten}"), KindBadNumber},
		{"unknown placeholder", rule("{A|expand: '%admins%'}"), KindUnknownPlaceholder},
		{"empty search", head + "  a: [null]\n  condition: a\n", KindBadSearch},
		{"search sigma-go rejects", head + "  a: []\n  condition: a\n", KindParse},
		{"unknown search", head + "  a: {A: x}\n  condition: b\n", KindBadCondition},
		{"condition syntax", head + "  a: {A: x}\n  condition: a and (\n", KindBadCondition},
		{"no condition", head + "  a: {A: x}\n", KindBadCondition},
		{"aggregation", head + "  a: {A: x}\n  condition: a | count() > 5\n", KindUnsupportedConstruct},
		{"correlation without timespan", "title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [r1]\n", KindBadCorrelation},
		{"correlation expression condition", "title: c\ncorrelation: {type: temporal, rules: [r1], timespan: 1m, condition: r1 and not r2}\n", KindUnsupportedConstruct},
		{"correlation of a missing rule", "title: c\ncorrelation: {type: temporal, rules: [r1], timespan: 1m}\n", KindBadReference},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, report, _ := Compile([]Source{{Name: "bad.yml", Data: []byte(tc.src)}}, Options{})
			if len(report.Skipped) != 1 {
				t.Fatalf("got %d skipped, want 1", len(report.Skipped))
			}
			err := report.Skipped[0].Err
			if got := kindOf(err); got != tc.want {
				t.Errorf("got kind %v, want %v (%v)", got, tc.want, err)
			}
			var ce *CompileError
			if errors.As(err, &ce) && ce.Kind != tc.want {
				t.Errorf("CompileError.Kind: got %v, want %v", ce.Kind, tc.want)
			}
		})
	}
}

// TestDuplicateKind: a rule whose id another loaded rule has is skipped,
// the case of the id aside (UUIDs ignore case, as rule_ids and
// correlation references do).
func TestDuplicateKind(t *testing.T) {
	src := "title: t\nid: 0a1b2c3d-0000-4000-8000-00000000000f\nlogsource: {product: windows}\ndetection:\n  a: {A: x}\n  condition: a\n"
	upper := strings.Replace(src, "0a1b2c3d-0000-4000-8000-00000000000f", "0A1B2C3D-0000-4000-8000-00000000000F", 1)
	for _, second := range []string{src, upper} {
		_, report, _ := Compile([]Source{{Name: "one.yml", Data: []byte(src)}, {Name: "two.yml", Data: []byte(second)}}, Options{})
		var ce *CompileError
		if len(report.Skipped) != 1 || !errors.As(report.Skipped[0].Err, &ce) || ce.Kind != KindDuplicate {
			t.Fatalf("got %v, want one CompileError of kind %v", report.Skipped, KindDuplicate)
		}
	}
}

// TestReasons: causes group across files, rules, searches and fields; the
// text keeps the cause and loses the place.
func TestReasons(t *testing.T) {
	rule := func(id, detection string) Source {
		src := fmt.Sprintf("title: t\nid: %s\nlogsource: {product: windows}\ndetection:\n%s", id, detection)
		return Source{Name: id + ".yml", Data: []byte(src)}
	}
	srcs := []Source{
		rule("r1", "  a: {A|sounds_like: x}\n  condition: a\n"),
		rule("r2", "  sel: {Other|sounds_like: y}\n  condition: sel\n"),
		rule("r3", "  k: ['x']\n  f: {B|sounds_like: z}\n  condition: k and f\n"),
		rule("r4", "  a: {A|cidr: 10.0.0.0/33}\n  condition: a\n"),
		rule("r5", "  a: {A: x}\n  condition: a | count() > 1\n"),
		rule("ok", "  a: {A: x}\n  condition: a\n"),
	}
	_, report, err := Compile(srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := report.Reasons()
	want := []Reason{
		{KindUnsupportedModifier, `unsupported: modifier "sounds_like"`, 3},
		{KindBadCIDR, `cidr "10.0.0.0/33": netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`, 1},
		{KindUnsupportedConstruct, "unsupported: aggregation in condition", 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v,\nwant %v", got, want)
	}
}

func TestErrorKindNames(t *testing.T) {
	seen := map[string]ErrorKind{}
	for k := KindOther; k <= KindBadReference; k++ {
		name := k.String()
		if name == "" || strings.HasPrefix(name, "ErrorKind(") {
			t.Errorf("kind %d has no name", k)
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("kinds %d and %d share the name %q", prev, k, name)
		}
		seen[name] = k
	}
}
