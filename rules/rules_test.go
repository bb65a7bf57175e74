package rules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// mapEvent is an Event over a map of field name to text; absent keys are
// absent fields.
type mapEvent struct {
	set    *Set
	fields map[string]string
}

func (e mapEvent) Field(slot int) ([]byte, bool) {
	v, ok := e.fields[e.set.Fields()[slot]]
	return []byte(v), ok
}

func (e mapEvent) EachString(v Visitor) bool {
	for _, s := range e.fields {
		if v.Visit([]byte(s)) {
			return true
		}
	}
	return false
}

func compileOne(t *testing.T, src string) *Set {
	t.Helper()
	set, report, err := Compile([]Source{{Name: "test.yml", Data: []byte(src)}}, Options{})
	if err != nil {
		t.Fatalf("Compile: %v (skipped: %v)", err, report.Skipped)
	}
	return set
}

func matches(set *Set, fields map[string]string) bool {
	return len(set.Match(mapEvent{set, fields}, nil)) > 0
}

func defaultSet(t *testing.T) *Set {
	t.Helper()
	set, report, err := Default(Options{})
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if report.Loaded != 1 || len(report.Skipped) != 0 {
		t.Fatalf("Default loaded %d, skipped %v; want 1 and none", report.Loaded, report.Skipped)
	}
	return set
}

func TestDefaultRuleMetadata(t *testing.T) {
	r := defaultSet(t).Rules()[0]
	want := Rule{
		ID: "e5f5c693-52d7-4de5-88ae-afbfbce85595", Title: "Unsigned .node File Loaded",
		Status: "experimental", Level: LevelMedium, Author: "Jonathan Beierle (@hullabrian)",
	}
	if r.ID != want.ID || r.Title != want.Title || r.Status != want.Status || r.Level != want.Level || r.Author != want.Author {
		t.Errorf("got %+v, want %+v", r, want)
	}
	wantTags := "attack.execution attack.privilege-escalation attack.persistence attack.stealth attack.t1129 attack.t1574.001 attack.t1036.005"
	if got := strings.Join(r.Tags, " "); got != wantTags {
		t.Errorf("tags: got %q, want %q", got, wantTags)
	}
	if len(r.References) != 3 || !r.LogsourceMapped {
		t.Errorf("references %v, logsource mapped %v; want 3 and true", r.References, r.LogsourceMapped)
	}
}

// TestDefaultRule covers every branch of the default rule's detection and
// its logsource.
func TestDefaultRule(t *testing.T) {
	set := defaultSet(t)
	base := func() map[string]string {
		return map[string]string{
			"EventID":         "7",
			"Channel":         "Microsoft-Windows-Sysmon/Operational",
			"Provider_Name":   "Microsoft-Windows-Sysmon",
			"Image":           `C:\Users\jdoe\AppData\Local\slack\app-4.41.105\slack.exe`,
			"ImageLoaded":     `C:\Users\jdoe\AppData\Local\slack\app-4.41.105\resources\keymapping.node`,
			"Signed":          "false",
			"SignatureStatus": "Unavailable",
		}
	}
	vscode := func(loaded string) map[string]string {
		f := base()
		f["Image"] = `C:\Users\jdoe\AppData\Local\Programs\Microsoft VS Code\Code.exe`
		f["ImageLoaded"] = loaded
		return f
	}
	jupyter := `C:\Users\jdoe\.vscode\extensions\ms-toolsai.jupyter-2025.9.0-win32-x64\node_modules\zeromq\`
	tests := []struct {
		name   string
		change func(map[string]string)
		fields map[string]string
		want   bool
	}{
		{name: "unsigned .node load", want: true},
		{name: "Signed false alone", change: func(f map[string]string) { f["SignatureStatus"] = "Valid" }, want: true},
		{name: "SignatureStatus Unavailable alone", change: func(f map[string]string) { f["Signed"] = "true" }, want: true},
		{name: "signed and valid", change: func(f map[string]string) { f["Signed"] = "true"; f["SignatureStatus"] = "Valid" }, want: false},
		{name: "no signature fields", change: func(f map[string]string) { delete(f, "Signed"); delete(f, "SignatureStatus") }, want: false},
		{name: "values case-insensitive", change: func(f map[string]string) {
			f["Signed"] = "FALSE"
			f["ImageLoaded"] = `C:\APP\ADDON.NODE`
		}, want: true},
		{name: "SignatureStatus other case", change: func(f map[string]string) { f["Signed"] = "true"; f["SignatureStatus"] = "unavailable" }, want: true},
		{name: "not a .node file", change: func(f map[string]string) { f["ImageLoaded"] = `C:\Windows\System32\kernelbase.dll` }, want: false},
		{name: ".node not at the end", change: func(f map[string]string) { f["ImageLoaded"] = `C:\x\addon.node.bak` }, want: false},
		{name: "ImageLoaded missing", change: func(f map[string]string) { delete(f, "ImageLoaded") }, want: false},
		{name: "ImageLoaded empty", change: func(f map[string]string) { f["ImageLoaded"] = "" }, want: false},
		{name: "vscode jupyter electron.napi.node filtered", fields: vscode(jupyter + `electron.napi.node`), want: false},
		{name: "vscode jupyter node.napi.glibc.node filtered", fields: vscode(jupyter + `node.napi.glibc.node`), want: false},
		{name: "filter values case-insensitive", fields: vscode(strings.ToUpper(jupyter + `electron.napi.node`)), want: false},
		{name: "vscode, jupyter dir, other add-on", fields: vscode(jupyter + `other.node`), want: true},
		{name: "vscode, other extension", fields: vscode(`C:\Users\jdoe\.vscode\extensions\someone.ext-1.0\electron.napi.node`), want: true},
		{name: "jupyter add-on but not Code.exe", change: func(f map[string]string) { f["ImageLoaded"] = jupyter + `electron.napi.node` }, want: true},
		{name: "Image missing: filter cannot apply", change: func(f map[string]string) {
			delete(f, "Image")
			f["ImageLoaded"] = jupyter + `electron.napi.node`
		}, want: true},
		{name: "event ID as another number", change: func(f map[string]string) { f["EventID"] = "1" }, want: false},
		{name: "event ID 70", change: func(f map[string]string) { f["EventID"] = "70" }, want: false},
		{name: "no event ID", change: func(f map[string]string) { delete(f, "EventID") }, want: true},
		{name: "other channel", change: func(f map[string]string) { f["Channel"] = "Security" }, want: false},
		{name: "channel other case", change: func(f map[string]string) { f["Channel"] = "microsoft-windows-sysmon/operational" }, want: true},
		{name: "other provider with event ID 7", change: func(f map[string]string) { f["Provider_Name"] = "Service Control Manager" }, want: false},
		{name: "no channel or provider", change: func(f map[string]string) { delete(f, "Channel"); delete(f, "Provider_Name") }, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fields
			if f == nil {
				f = base()
			}
			if tc.change != nil {
				tc.change(f)
			}
			if got := matches(set, f); got != tc.want {
				t.Errorf("got match=%v, want %v; event %v", got, tc.want, f)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	const head = "title: t\nid: 1\nlogsource: {product: linux}\ndetection:\n"
	tests := []struct {
		name      string
		detection string
		fields    map[string]string
		want      bool
	}{
		{"and", "  a: {A: x}\n  b: {B: y}\n  condition: a and b\n", map[string]string{"A": "x", "B": "y"}, true},
		{"and fails", "  a: {A: x}\n  b: {B: y}\n  condition: a and b\n", map[string]string{"A": "x"}, false},
		{"or", "  a: {A: x}\n  b: {B: y}\n  condition: a or b\n", map[string]string{"B": "y"}, true},
		{"not", "  a: {A: x}\n  condition: not a\n", map[string]string{"A": "z"}, true},
		{"parentheses", "  a: {A: x}\n  b: {B: y}\n  c: {C: z}\n  condition: a and (b or c)\n", map[string]string{"A": "x", "C": "z"}, true},
		{"precedence: and binds tighter", "  a: {A: x}\n  b: {B: y}\n  c: {C: z}\n  condition: a or b and c\n", map[string]string{"A": "x"}, true},
		{"all of pattern", "  sel_a: {A: x}\n  sel_b: {B: y}\n  condition: all of sel_*\n", map[string]string{"A": "x"}, false},
		{"1 of pattern", "  sel_a: {A: x}\n  sel_b: {B: y}\n  condition: 1 of sel_*\n", map[string]string{"B": "y"}, true},
		{"1 of them skips _", "  a: {A: x}\n  _hidden: {H: h}\n  condition: 1 of them\n", map[string]string{"H": "h"}, false},
		// A pattern is "them" restricted to the names it matches.
		{"1 of * skips _", "  a: {A: x}\n  _b: {B: y}\n  condition: 1 of *\n", map[string]string{"B": "y"}, false},
		{"all of * skips _", "  a: {A: x}\n  _b: {B: y}\n  condition: all of *\n", map[string]string{"A": "x"}, true},
		{"a _ pattern names them", "  a: {A: x}\n  _f1: {B: y}\n  _f2: {C: z}\n  condition: a and not 1 of _f*\n", map[string]string{"A": "x", "C": "z"}, false},
		{"all of them skips _", "  a: {A: x}\n  _hidden: {H: h}\n  condition: all of them\n", map[string]string{"A": "x"}, true},
		{"list of conditions is OR", "  a: {A: x}\n  b: {B: y}\n  condition:\n    - a\n    - b\n", map[string]string{"B": "y"}, true},
		{"list of maps is OR", "  a:\n    - {A: x}\n    - {B: y}\n  condition: a\n", map[string]string{"B": "y"}, true},
		{"map is AND", "  a: {A: x, B: y}\n  condition: a\n", map[string]string{"A": "x"}, false},
		{"value list is OR", "  a: {A: [x, y]}\n  condition: a\n", map[string]string{"A": "y"}, true},
		{"all modifier is AND", "  a: {A|contains|all: [x, y]}\n  condition: a\n", map[string]string{"A": "..y..x.."}, true},
		{"all modifier fails", "  a: {A|contains|all: [x, y]}\n  condition: a\n", map[string]string{"A": "..y.."}, false},
		{"startswith", "  a: {A|startswith: 'C:\\Win'}\n  condition: a\n", map[string]string{"A": `c:\windows\x`}, true},
		{"number equals string", "  a: {EventID: 4688}\n  condition: a\n", map[string]string{"EventID": "4688"}, true},
		{"bool equals string", "  a: {Flag: true}\n  condition: a\n", map[string]string{"Flag": "true"}, true},
		{"null matches absent", "  a: {A: null}\n  condition: a\n", map[string]string{}, true},
		{"null does not match present", "  a: {A: null}\n  condition: a\n", map[string]string{"A": ""}, false},
		{"empty matches empty", "  a: {A: ''}\n  condition: a\n", map[string]string{"A": ""}, true},
		{"empty does not match absent", "  a: {A: ''}\n  condition: a\n", map[string]string{}, false},
		{"wildcard in plain value", "  a: {A: 'C:\\Win*\\cmd.exe'}\n  condition: a\n", map[string]string{"A": `C:\Windows\System32\cmd.exe`}, true},
		{"escaped star is literal", "  a: {A: 'x\\*y'}\n  condition: a\n", map[string]string{"A": "xzy"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := compileOne(t, head+tc.detection)
			if got := matches(set, tc.fields); got != tc.want {
				t.Errorf("got match=%v, want %v", got, tc.want)
			}
		})
	}
}

func TestPatterns(t *testing.T) {
	tests := []struct {
		value string
		input string
		want  bool
	}{
		{`abc`, `ABC`, true},
		{`abc`, `abcd`, false},
		{`a*c`, `aXYZc`, true},
		{`a*c`, `aXYZ`, false},
		{`a?c`, `abc`, true},
		{`a?c`, `ac`, false},
		{`a?c`, `aéc`, true}, // ? is one character, not one byte
		{`*`, ``, true},
		{`a**b`, `ab`, true},
		{`*a*b*a*`, `xxaxxbxxa`, true},
		{`*a*b*a*`, `xxaxxbxx`, false},
		{`x\*y`, `x*y`, true},
		{`x\*y`, `xzy`, false},
		{`x\?y`, `x?y`, true},
		{`x\?y`, `xzy`, false},
		{`a\\b`, `a\b`, true},   // \\ is one backslash
		{`a\\*`, `a\bcd`, true}, // \\ then a wildcard
		{`a\\\*`, `a\*`, true},  // \\ then an escaped star
		{`a\\\*`, `a\bcd`, false},
		{`C:\Windows`, `c:\windows`, true}, // backslash before a letter is literal
		{`end\`, `end\`, true},             // trailing backslash is literal
		{`ÉCOLE`, `école`, true},           // Unicode case folding
		{`\u212a`, `k`, false},             // escape sequences are not YAML's business here
		{"\u212aelvin", "kelvin", true},    // KELVIN SIGN folds to k
		{"straße", "STRASSE", false},       // simple folding only: ß is one rune
		{`*kit`, "\u212ait", true},         // suffix whose value tail is not ASCII
		{`kit*`, "\u212aitten", true},      // likewise for a prefix
		{`*.node`, `C:\A\B.NODE`, true},
		{`kit`, "\u212ait", true}, // equal after folding, lengths differ
		{`abc`, "ab", false},
	}
	for _, tc := range tests {
		p := compilePattern(parseValue(tc.value))
		var folded []byte
		done := false
		if got := p.matchValue([]byte(tc.input), &folded, &done); got != tc.want {
			t.Errorf("pattern %q on %q: got %v, want %v", tc.value, tc.input, got, tc.want)
		}
	}
}

func TestPatternKinds(t *testing.T) {
	tests := map[string]patternKind{
		"abc": exactPattern, "abc*": prefixPattern, "*abc": suffixPattern, "*abc*": containsPattern,
		"*": anyPattern, "a*b": globPattern, "a?": globPattern, `\*abc`: exactPattern, "": exactPattern,
	}
	for value, want := range tests {
		if got := compilePattern(parseValue(value)).kind; got != want {
			t.Errorf("%q: got kind %d, want %d", value, got, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	const head = "title: t\nid: r1\nlogsource: {product: windows}\ndetection:\n"
	tests := []struct {
		name        string
		src         string
		unsupported bool
		mention     string
	}{
		{"unknown modifier", head + "  a: {A|sounds_like: 'x'}\n  condition: a\n", true, `modifier "sounds_like"`},
		{"regex RE2 cannot compile", head + "  a: {A|re: '(?<=x)y'}\n  condition: a\n", true, "regular expression"},
		{"aggregation", head + "  a: {A: x}\n  condition: a | count() > 5\n", true, "aggregation"},
		{"unknown search", head + "  a: {A: x}\n  condition: a and b\n", false, `unknown search "b"`},
		{"pattern matches nothing", head + "  a: {A: x}\n  condition: 1 of sel_*\n", false, `"sel_*" matches no search`},
		{"no condition", head + "  a: {A: x}\n", false, "no condition"},
		{"unknown level", strings.Replace(head, "id: r1", "id: r1\nlevel: severe", 1) + "  a: {A: x}\n  condition: a\n", false, `unknown level "severe"`},
		{"correlation without timespan", "title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [r1]\n", false, "correlation has no timespan"},
		{"not a rule", "title: x\nfoo: bar\n", false, "no detection"},
		{"yaml syntax", "title: [unclosed\n", false, "yaml"},
		{"bad condition syntax", head + "  a: {A: x}\n  condition: a and (\n", false, "condition: ends too early"},
		{"unbalanced parenthesis", head + "  a: {A: x}\n  condition: a)\n", false, `condition: unexpected ")"`},
		{"dangling operator", head + "  a: {A: x}\n  condition: a and or a\n", false, `unexpected "or"`},
		{"bad cidr", head + "  a: {A|cidr: 10.0.0.0/33}\n  condition: a\n", false, "cidr"},
		{"windash on a wildcard is fine, base64 on one is not", head + "  a: {A|base64: 'x*'}\n  condition: a\n", false, "wildcards"},
		{"undefined placeholder", head + "  a: {A|expand: '%admins%'}\n  condition: a\n", true, "%admins% is not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, report, err := Compile([]Source{{Name: "bad.yml", Data: []byte(tc.src)}}, Options{})
			if !errors.Is(err, ErrNoRules) {
				t.Fatalf("got err %v, want ErrNoRules", err)
			}
			if len(report.Skipped) != 1 {
				t.Fatalf("got %d skipped, want 1", len(report.Skipped))
			}
			s := report.Skipped[0]
			msg := s.Error()
			if !strings.Contains(msg, tc.mention) || !strings.Contains(msg, "bad.yml") {
				t.Errorf("message %q should name the file and mention %q", msg, tc.mention)
			}
			if got := errors.Is(s.Err, ErrUnsupported); got != tc.unsupported {
				t.Errorf("errors.Is(ErrUnsupported) = %v, want %v (%v)", got, tc.unsupported, s.Err)
			}
		})
	}
}

func TestCompileErrorPosition(t *testing.T) {
	src := "title: t\nid: r1\nlogsource: {product: windows}\ndetection:\n  a:\n    A|sounds_like: x\n  condition: a\n"
	_, report, _ := Compile([]Source{{Name: "pos.yml", Data: []byte(src)}}, Options{})
	var ce *CompileError
	if len(report.Skipped) != 1 || !errors.As(report.Skipped[0].Err, &ce) {
		t.Fatalf("want one CompileError, got %v", report.Skipped)
	}
	if ce.RuleID != "r1" || ce.Line != 6 || ce.Column != 5 {
		t.Errorf("got rule %q at %d:%d, want r1 at 6:5", ce.RuleID, ce.Line, ce.Column)
	}
}

func TestFailedRuleLeavesNoFields(t *testing.T) {
	good := "title: g\nid: g\nlogsource: {product: windows, service: security}\ndetection:\n  a: {Good: x}\n  condition: a\n"
	bad := "title: b\nid: b\nlogsource: {product: linux}\ndetection:\n  a: {Bad: x, Worse|sounds_like: y}\n  condition: a\n"
	set, _, err := Compile([]Source{{Name: "bad", Data: []byte(bad)}, {Name: "good", Data: []byte(good)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Fields(), ","); got != "Good,Channel,"+FieldLogsource {
		t.Errorf("fields: got %q, want %q (the failed rule's Bad and Worse left out)", got, "Good,Channel,"+FieldLogsource)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rule := func(id string) string {
		return "title: " + id + "\nid: " + id + "\nlogsource: {product: linux}\ndetection:\n  a: {A: " + id + "}\n  condition: a\n"
	}
	write("a.yml", rule("one"))
	write("sub/deeper/b.yaml", rule("two"))
	write("sub/c.YML", rule("three"))
	write("notes.txt", rule("ignored"))
	write("broken.yml", "title: [")
	write("dup.yml", rule("one"))
	write("multi.yml", rule("four")+"---\n"+"title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [four]\n  timespan: 5m\n  condition: {gte: 3}\n")

	set, report, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range set.Rules() {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "one,four,three,two" {
		t.Errorf("loaded %q, want one,four,three,two (file order)", got)
	}
	if report.Files != 6 || report.Loaded != 4 || report.Correlations != 1 || len(report.Skipped) != 2 {
		t.Errorf("report: files %d loaded %d correlations %d skipped %d; want 6, 4, 1, 2: %v",
			report.Files, report.Loaded, report.Correlations, len(report.Skipped), report.Skipped)
	}
	reasons := ""
	for _, s := range report.Skipped {
		reasons += s.Error() + "\n"
	}
	for _, want := range []string{"broken.yml", "duplicate rule id"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("skip reasons should mention %q:\n%s", want, reasons)
		}
	}

	// A single file may be named directly, whatever its extension.
	txt := filepath.Join(dir, "notes.txt")
	if set, _, err := Load([]string{txt}, Options{}); err != nil || set.Len() != 1 {
		t.Errorf("Load(%s): %v", txt, err)
	}
	if _, _, err := Load([]string{filepath.Join(dir, "missing")}, Options{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing path: got %v, want an error naming it", err)
	}
	if _, _, err := Load([]string{filepath.Join(dir, "broken.yml")}, Options{}); !errors.Is(err, ErrNoRules) {
		t.Errorf("only broken rules: got %v, want ErrNoRules", err)
	}
}

func TestLoadRefusesHugeFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.yml")
	if err := os.WriteFile(p, make([]byte, MaxRuleFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, report, err := Load([]string{p}, Options{})
	if !errors.Is(err, ErrNoRules) || len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), "larger than") {
		t.Errorf("got %v, %v; want the file skipped as too large", err, report.Skipped)
	}
}

func TestYAMLAliasBombFailsFast(t *testing.T) {
	bomb := "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\ntitle: t\nlogsource: {product: x}\ndetection:\n  s: {A: *g}\n  condition: s\n"
	_, report, err := Compile([]Source{{Name: "bomb.yml", Data: []byte(bomb)}}, Options{})
	if !errors.Is(err, ErrNoRules) || len(report.Skipped) != 1 {
		t.Fatalf("got %v, %v; want the bomb skipped", err, report.Skipped)
	}
}

func TestParseLevel(t *testing.T) {
	for _, name := range []string{"informational", "low", "medium", "high", "critical"} {
		l, ok := ParseLevel(strings.ToUpper(name))
		if !ok || l.String() != name {
			t.Errorf("ParseLevel(%q) = %v, %v", name, l, ok)
		}
	}
	if _, ok := ParseLevel("severe"); ok {
		t.Error("ParseLevel(severe) should fail")
	}
	if !(LevelInformational < LevelLow && LevelLow < LevelMedium && LevelMedium < LevelHigh && LevelHigh < LevelCritical) {
		t.Error("levels must sort by severity")
	}
}

// TestYAMLBombs: rule files built to exhaust the parser fail fast with a
// clear reason: alias expansion (billion laughs) and deep nesting.
func TestYAMLBombs(t *testing.T) {
	laughs := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs += fmt.Sprintf("%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	laughs += "title: t\nid: t\nlogsource: {product: windows}\ndetection:\n  s: {Image: *i}\n  condition: s\n"
	deep := "title: t\nid: t\nlogsource: {product: windows}\ndetection:\n  s: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n  condition: s\n"
	for name, src := range map[string]string{"alias bomb": laughs, "deep nesting": deep} {
		_, report, err := Compile([]Source{{Name: name + ".yml", Data: []byte(src)}}, Options{})
		if err == nil || len(report.Skipped) != 1 {
			t.Errorf("%s: want the rule skipped, got err=%v skipped=%v", name, err, report.Skipped)
			continue
		}
		t.Logf("%s: %v", name, report.Skipped[0])
	}
}

// TestKeywordRegexAll: '|re|all' keywords, like plain '|all' ones, each
// match somewhere in the event, not all in one value.
func TestKeywordRegexAll(t *testing.T) {
	set := compileOne(t, "title: t\nid: t\nlogsource: {product: p}\ndetection:\n  k: {'|re|all': [foo, bar]}\n  condition: k\n")
	for _, tc := range []struct {
		fields map[string]string
		want   bool
	}{
		{map[string]string{"X": "foo", "Y": "bar"}, true},
		{map[string]string{"X": "foo bar"}, true},
		{map[string]string{"X": "foo"}, false},
	} {
		if got := matches(set, tc.fields); got != tc.want {
			t.Errorf("%v: matched %v, want %v", tc.fields, got, tc.want)
		}
	}
}

// TestYAMLBombsSpreadOverFields: an alias named by many fields, each
// decoded on its own (where yaml.v3's alias check sees one use each), or a
// flow list of a million values, is refused with the reason before it is
// decoded; the memory that takes stays small (the spread aliases took
// 1.9 GiB for 59 KB). Aliases a real rule uses still load.
func TestYAMLBombsSpreadOverFields(t *testing.T) {
	spread := "values: &a [" + strings.TrimSuffix(strings.Repeat("x,", 900), ",") + "]\n" +
		"title: t\nid: t\nlogsource: {product: windows}\ndetection:\n  s:\n"
	for i := 0; i < 3000; i++ {
		spread += fmt.Sprintf("    f%d: *a\n", i)
	}
	spread += "  condition: s\n"
	flow := "title: t\nid: t\nlogsource: {product: windows}\ndetection:\n  s: {A: [" +
		strings.TrimSuffix(strings.Repeat("a,", (MaxRuleFileSize-200)/2), ",") + "]}\n  condition: s\n"
	for name, src := range map[string]string{"spread aliases": spread, "long flow list": flow} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, report, err := Compile([]Source{{Name: "bomb.yml", Data: []byte(src)}}, Options{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrNoRules) || len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), "nodes once its aliases are expanded") {
			t.Errorf("%s: got %v, %v; want it skipped for its nodes", name, err, report.Skipped)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
			t.Errorf("%s: refusing took %d MiB", name, grew>>20)
		}
	}
	shared := "title: t\nid: t\nlogsource: {product: windows}\ndetection:\n  a: {Image|endswith: &bins ['\\x.exe', '\\y.exe']}\n" +
		"  b: {ParentImage|endswith: *bins}\n  condition: a and b\n"
	if set, _, err := Compile([]Source{{Name: "ok.yml", Data: []byte(shared)}}, Options{}); err != nil || set.Len() != 1 {
		t.Errorf("a rule sharing a list by alias: %v", err)
	}
}

// TestYAMLSelfAlias: an alias inside its own anchor, in a rule or a
// placeholders file, is refused with a reason, never followed for ever.
func TestYAMLSelfAlias(t *testing.T) {
	src := "title: t\nid: t\nlogsource: {product: windows}\ndetection: &x\n  s: *x\n  condition: s\n"
	_, report, err := Compile([]Source{{Name: "self.yml", Data: []byte(src)}}, Options{})
	if !errors.Is(err, ErrNoRules) || len(report.Skipped) != 1 {
		t.Errorf("got %v, %v; want the rule skipped", err, report.Skipped)
	}
	path := filepath.Join(t.TempDir(), "p.yml")
	if err := os.WriteFile(path, []byte("admins: &x [a, *x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPlaceholders(path); err == nil {
		t.Error("a placeholder holding itself was accepted")
	}
}

// TestOversizedDocumentLeavesTheOthers: a document past the node bound is
// skipped with its reason, and the documents after it in its file load.
func TestOversizedDocumentLeavesTheOthers(t *testing.T) {
	good := func(id string) string {
		return "title: " + id + "\nid: " + id + "\nlogsource: {product: windows}\ndetection: {s: {A: x}, condition: s}\n"
	}
	big := "title: big\nid: big\ndetection:\n  s: {A: [" + strings.TrimSuffix(strings.Repeat("a,", maxDocumentNodes), ",") + "]}\n  condition: s\n"
	set, report, err := Compile([]Source{{Name: "f.yml", Data: []byte(good("one") + "---\n" + big + "---\n" + good("two"))}}, Options{})
	if err != nil || set.Len() != 2 || len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), "line 6: the document holds more than") {
		t.Errorf("loaded %d, skipped %v, %v; want one and two loaded, big skipped at its line", set.Len(), report.Skipped, err)
	}
}
