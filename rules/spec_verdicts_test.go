package rules

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// scratchEvent is an Event like the filter's record: a number's text is
// written to one scratch buffer that every Field call reuses, and a field
// may be present holding null (nullField, a value of nil in fields).
type scratchEvent struct {
	set    *Set
	fields map[string]any // string, int64, nil (null)
	num    [40]byte
}

func (e *scratchEvent) Field(slot int) ([]byte, bool) {
	switch v := e.fields[e.set.Fields()[slot]].(type) {
	case string:
		return []byte(v), true
	case int64:
		return strconv.AppendInt(e.num[:0], v, 10), true
	}
	return nil, false
}

func (e *scratchEvent) Present(slot int) bool {
	_, ok := e.fields[e.set.Fields()[slot]]
	return ok
}

func (e *scratchEvent) EachString(v Visitor) bool {
	for _, f := range e.fields {
		if s, ok := f.(string); ok && v.Visit([]byte(s)) {
			return true
		}
	}
	return false
}

func specRule(detection string) string {
	return "title: t\nlogsource: {product: test}\ndetection:\n" + detection
}

type verdictCase struct {
	fields map[string]any
	want   bool
}

func checkVerdicts(t *testing.T, set *Set, cases []verdictCase) {
	t.Helper()
	for _, c := range cases {
		ev := &scratchEvent{set: set, fields: c.fields}
		if got := len(set.Match(ev, nil)) > 0; got != c.want {
			t.Errorf("%v: got match %v, want %v", c.fields, got, c.want)
		}
	}
}

// sigma-appendix-modifiers.md, "Specific Modifiers": fieldref compares
// fields of the same event, and "can be combined with the neq modifier".
// Both fields holding numbers used to share the event's number buffer.
func TestSpecFieldrefNumbers(t *testing.T) {
	for _, tc := range []struct {
		mods  string
		cases []verdictCase
	}{
		{"fieldref", []verdictCase{
			{map[string]any{"A": int64(5), "B": int64(6)}, false},
			{map[string]any{"A": int64(5), "B": int64(5)}, true},
			{map[string]any{"A": int64(5), "B": "5"}, true},
		}},
		{"fieldref|contains", []verdictCase{
			{map[string]any{"A": int64(12345), "B": int64(9)}, false},
			{map[string]any{"A": int64(12345), "B": int64(34)}, true},
		}},
		{"fieldref|neq", []verdictCase{
			{map[string]any{"A": int64(5), "B": int64(6)}, true},
			{map[string]any{"A": int64(5), "B": int64(5)}, false},
		}},
	} {
		t.Run(tc.mods, func(t *testing.T) {
			set := compileOne(t, specRule("  sel: {A|"+tc.mods+": B}\n  condition: sel\n"))
			checkVerdicts(t, set, tc.cases)
		})
	}
}

// sigma-appendix-modifiers.md, "Generic Modifiers": exists "only verifies
// the presence of a field, not its value, be it empty or null".
func TestSpecExistsOnNull(t *testing.T) {
	present := compileOne(t, specRule("  sel: {A|exists: true}\n  condition: sel\n"))
	checkVerdicts(t, present, []verdictCase{
		{map[string]any{"A": nil}, true},
		{map[string]any{"A": ""}, true},
		{map[string]any{"B": "x"}, false},
	})
	absent := compileOne(t, specRule("  sel: {A|exists: false}\n  condition: sel\n"))
	checkVerdicts(t, absent, []verdictCase{
		{map[string]any{"A": nil}, false},
		{map[string]any{"A": ""}, false},
		{map[string]any{"B": "x"}, true},
	})
	// A null value, unlike exists, still means "empty or absent".
	isNull := compileOne(t, specRule("  sel: {A: null}\n  condition: sel\n"))
	checkVerdicts(t, isNull, []verdictCase{
		{map[string]any{"A": nil}, true},
		{map[string]any{"B": "x"}, true},
		{map[string]any{"A": "x"}, false},
	})
}

// sigma-appendix-modifiers.md, "Numeric Modifiers": integers compare
// exactly beyond 2^53; an integer against a float compares as float64.
func TestSpecNumericExact(t *testing.T) {
	for _, tc := range []struct {
		rule  string
		value string
		want  bool
	}{
		{"A|gt: 9007199254740992", "9007199254740993", true},
		{"A|gte: 9007199254740993", "9007199254740992", false},
		{"A|lt: 9007199254740993", "9007199254740992", true},
		{"A|lte: -9223372036854775808", "-9223372036854775808", true},
		{"A|gt: -1", "18446744073709551615", true},
		{"A|lt: 18446744073709551615", "18446744073709551614", true},
		{"A|gt: 1.5", "2", true},
		{"A|gt: 2", "1.5", false},
		{"A|gte: 2", "2.0", true},
		{"A|lt: 1e3", "999", true},
		{"A|gt: 3", " 4 ", true},
		{"A|gt: 3", "four", false},
		{"A|gt: 3", "", false},
		{"A|gt: 3", "-", false},
		{"A|lt: 3", "NaN", false},
		{"A|gte: 3", "nan", false},
	} {
		set := compileOne(t, specRule("  sel: {"+tc.rule+"}\n  condition: sel\n"))
		if got := matches(set, map[string]string{"A": tc.value}); got != tc.want {
			t.Errorf("%s on %q: got %v, want %v", tc.rule, tc.value, got, tc.want)
		}
	}
}

// sigma-rules-specification.md, "Placeholders": "field|expand: \%plain%name%
// handles %plain as plain value and %name% as placeholder".
func TestSpecExpandEscapedPercent(t *testing.T) {
	src := specRule("  sel: {A|expand: '\\%plain%name%'}\n  condition: sel\n")
	set, report, err := Compile([]Source{{Name: "t.yml", Data: []byte(src)}},
		Options{Placeholders: map[string][]string{"name": {"one", "two"}}})
	if err != nil {
		t.Fatalf("Compile: %v (skipped %v)", err, report.Skipped)
	}
	for value, want := range map[string]bool{
		"%plainone": true, "%plaintwo": true, "%PLAINTWO": true,
		`\%plainone`: false, "%plain%name%": false, "plainone": false,
	} {
		if got := matches(set, map[string]string{"A": value}); got != want {
			t.Errorf("%q: got %v, want %v", value, got, want)
		}
	}
}

// An escaped backslash before a placeholder is one backslash, and the
// placeholder is expanded (the escapes are read before Sigma's are
// resolved); expand must come before the other transforms.
func TestExpandAfterEscapedBackslash(t *testing.T) {
	src := specRule("  sel: {A|expand: 'C:\\\\%name%\\x'}\n  condition: sel\n")
	set, report, err := Compile([]Source{{Name: "t.yml", Data: []byte(src)}},
		Options{Placeholders: map[string][]string{"name": {"Win"}}})
	if err != nil {
		t.Fatalf("Compile: %v (skipped %v)", err, report.Skipped)
	}
	for value, want := range map[string]bool{`C:\Win\x`: true, `C:%name%\x`: false, `C:\%name%\x`: false} {
		if got := matches(set, map[string]string{"A": value}); got != want {
			t.Errorf("%q: got %v, want %v", value, got, want)
		}
	}
	late := specRule("  sel: {A|base64|expand: '%name%'}\n  condition: sel\n")
	_, report, _ = Compile([]Source{{Name: "t.yml", Data: []byte(late)}}, Options{Placeholders: map[string][]string{"name": {"x"}}})
	if len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), "expand must come first among the value transforms, once (here after base64)") {
		t.Errorf("expand after base64: skipped %v", report.Skipped)
	}
	twice := specRule("  sel: {A|expand|expand: '%name%'}\n  condition: sel\n")
	if _, report, _ = Compile([]Source{{Name: "t.yml", Data: []byte(twice)}}, Options{Placeholders: map[string][]string{"name": {"x"}}}); len(report.Skipped) != 1 {
		t.Errorf("expand twice: skipped %v", report.Skipped)
	}
}

// sigma-rules-specification.md, "Value Modifiers": a value may expand into
// several; with |all each listed value must hold in one of its variants (AND
// over values of OR over variants, as pySigma builds it).
func TestSpecAllOverExpandingTransforms(t *testing.T) {
	windash := compileOne(t, specRule("  sel: {CommandLine|windash|contains|all: ['-a', '-b']}\n  condition: sel\n"))
	for value, want := range map[string]bool{
		"x.exe /a -b":           true,
		"x.exe \u2013a /b":      true,
		"x.exe -a":              false,
		"x.exe /b":              false,
		"x.exe \u2014b \u2015a": true,
	} {
		if got := matches(windash, map[string]string{"CommandLine": value}); got != want {
			t.Errorf("windash %q: got %v, want %v", value, got, want)
		}
	}
	b64 := compileOne(t, specRule("  sel: {A|base64offset|contains|all: ['cmd.exe', 'whoami']}\n  condition: sel\n"))
	for value, want := range map[string]bool{
		base64Std("run cmd.exe then whoami"): true,
		base64Std("xwhoami and xxcmd.exe"):   true,
		base64Std("cmd.exe only"):            false,
		base64Std("whoami only"):             false,
	} {
		if got := matches(b64, map[string]string{"A": value}); got != want {
			t.Errorf("base64offset %q: got %v, want %v", value, got, want)
		}
	}
}

// sigma-appendix-modifiers.md, "Regular Expression": the flavour is PCRE,
// where '$' without m also matches before a final newline; what RE2 cannot
// express fails the rule with the reason.
func TestSpecRegexPCRE(t *testing.T) {
	for _, tc := range []struct {
		re    string
		value string
		want  bool
	}{
		{`a$`, "xa\n", true},
		{`a$`, "xa", true},
		{`a$`, "xa\n\n", false},
		{`a$`, "a\nb", false},
		{`a\$`, "a$", true},
		{`a[$]`, "a$", true},
		{`a[$]`, "a\n", false},
		{`^(a|b$)c?$`, "b\n", true},
		{`(?m)a$`, "a\nb", true},
		{`a\z`, "a\n", false},
	} {
		set := compileOne(t, specRule("  sel: {A|re: '"+strings.ReplaceAll(tc.re, "'", "''")+"'}\n  condition: sel\n"))
		if got := matches(set, map[string]string{"A": tc.value}); got != tc.want {
			t.Errorf("re %q on %q: got %v, want %v", tc.re, tc.value, got, tc.want)
		}
	}
	multi := compileOne(t, specRule("  sel: {A|re|m: 'a$'}\n  condition: sel\n"))
	if !matches(multi, map[string]string{"A": "a\nb"}) {
		t.Errorf("re|m 'a$' should match before an inner newline")
	}
	for re, reason := range map[string]string{
		`(?=x)y`:     "look-around",
		`(?<!x)y`:    "look-around",
		`(?<=x)y`:    "look-around",
		`(?!x)y`:     "look-around",
		`(a)\1`:      "back-reference",
		`(?>a)`:      "atomic group",
		`a++`:        "possessive",
		`a{2,1500}`:  "RE2's limit",
		`(ab){1001}`: "RE2's limit",
	} {
		src := specRule("  sel: {A|re: '" + re + "'}\n  condition: sel\n")
		_, report, _ := Compile([]Source{{Name: "t.yml", Data: []byte(src)}}, Options{})
		if len(report.Skipped) != 1 {
			t.Errorf("re %q: got %d skipped, want 1", re, len(report.Skipped))
			continue
		}
		err := report.Skipped[0].Err
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), reason) {
			t.Errorf("re %q: got %v, want ErrUnsupported naming %s", re, err, reason)
		}
	}
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// sigma-rules-specification.md, "Keywords search": '|all' keywords each
// occur somewhere in the event, also when a transform gives variants.
func TestSpecKeywordAllWithVariants(t *testing.T) {
	set := compileOne(t, specRule("  kw:\n    '|windash|all': ['-a', '-b']\n  condition: kw\n"))
	for _, tc := range []struct {
		fields map[string]string
		want   bool
	}{
		{map[string]string{"X": "run /a", "Y": "then \u2013b"}, true},
		{map[string]string{"X": "run -a -b"}, true},
		{map[string]string{"X": "run /a"}, false},
	} {
		if got := matches(set, tc.fields); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.fields, got, tc.want)
		}
	}
}
