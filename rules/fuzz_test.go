package rules

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceMatch is the obvious, slow meaning of a Sigma value: tokens
// turned into an anchored regular expression over the folded input.
func referenceMatch(value, input string) bool {
	var re strings.Builder
	re.WriteString(`(?s)^`)
	for _, tok := range parseValue(value) {
		switch tok.kind {
		case literalToken:
			re.WriteString(regexp.QuoteMeta(string(foldAppend(nil, tok.lit))))
		case starToken:
			re.WriteString(`.*`)
		case oneToken:
			re.WriteString(`.`)
		}
	}
	re.WriteString(`$`)
	return regexp.MustCompile(re.String()).MatchString(string(foldAppend(nil, []byte(input))))
}

func FuzzPattern(f *testing.F) {
	seeds := [][2]string{
		{`abc`, `ABC`}, {`*a*b*`, `xaxbx`}, {`a?c`, `aéc`}, {`x\*y`, `x*y`}, {`a\\*`, `a\bc`},
		{`a\\\*`, `a\*`}, {`end\`, `end\`}, {"\u212a", "k"}, {`*.node`, `C:\x\A.NODE`}, {`**?*`, ``},
		{`net*|*find`, `net user | findstr x`}, {`*é*|?find*`, "a\xc3é|xfind"}, {"*\x80b*", "\xc3\x80b"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, value, input string) {
		p := compilePattern(parseValue(value))
		got := p.match(foldAppend(nil, []byte(input)))
		var folded []byte
		done := false
		if fast := p.matchValue([]byte(input), &folded, &done); fast != got {
			t.Fatalf("value %q input %q: matchValue says %v, match on the folded value %v", value, input, fast, got)
		}
		if !utf8.ValidString(value) || !utf8.ValidString(input) {
			return // the reference regexp reads UTF-8 only
		}
		if want := referenceMatch(value, input); got != want {
			t.Errorf("value %q input %q: got %v, reference says %v", value, input, got, want)
		}
	})
}

// FuzzCompile feeds arbitrary documents to the loader: it must return a
// rule or an error, never panic or hang.
func FuzzCompile(f *testing.F) {
	f.Add("title: t\nlogsource: {product: windows, category: image_load}\ndetection:\n  a: {A|endswith: x}\n  condition: a and not 1 of f*\n")
	f.Add("title: t\ndetection:\n  sel_1: {A: [1, 2.5, true, null]}\n  condition: all of sel_* or (1 of them)\n")
	f.Add("title: t\ndetection:\n  s: [a, b]\n  condition: s | count() > 2\n")
	f.Add("a: &a [x]\nb: *a\n---\ncorrelation: {}\n")
	f.Add("name: n\ndetection: {s: {A: x}, condition: s}\n---\nid: c\ncorrelation: {type: value_count, rules: n, group-by: [G],\n" +
		"  aliases: {G: {n: H}}, timespan: 1M, condition: {field: F, gt: 1, lte: 2.5}, generate: true}\n")
	f.Add("id: a\ncorrelation: {type: temporal, rules: [b], timespan: 1s}\n---\nid: b\ncorrelation: {type: temporal, rules: [a, r], timespan: 1s}\n" +
		"---\nid: r\nlevel: low\ndetection: {s: {A: x}, condition: s}\n")
	f.Add(specFailedThenSuccess)
	f.Fuzz(func(t *testing.T, src string) {
		set, report, err := Compile([]Source{{Name: "fuzz.yml", Data: []byte(src)}}, Options{MinLevel: LevelInformational})
		if err == nil && set.Len() != report.Loaded {
			t.Errorf("set has %d rules, report says %d", set.Len(), report.Loaded)
		}
		if set != nil {
			set.Match(mapEvent{set, map[string]string{"A": "x"}}, nil)
			checkCorrelations(t, set)
		}
	})
}

// checkCorrelations checks what the filter relies on: references and
// slots within the set, and users that mirror the references.
func checkCorrelations(t *testing.T, set *Set) {
	uses := 0
	for ci, c := range set.Correlations() {
		if len(c.Refs) == 0 || len(c.Refs) != len(c.RefNames) || len(c.GroupSlots) != len(c.Refs) || len(c.Digest) != correlationDigestLen {
			t.Fatalf("correlation %d: %+v", ci, c)
		}
		for k, ref := range c.Refs {
			var users []RefUse
			switch {
			case ref.Correlation < 0 && ref.Rule >= 0 && ref.Rule < set.Len():
				users = set.RuleUsers(ref.Rule)
			case ref.Rule < 0 && ref.Correlation >= 0 && ref.Correlation < len(set.Correlations()) && ref.Correlation != ci:
				users = set.CorrelationUsers(ref.Correlation)
			default:
				t.Fatalf("correlation %d: reference %d is %+v", ci, k, ref)
			}
			if !slices.Contains(users, RefUse{Correlation: ci, Position: k}) {
				t.Errorf("correlation %d position %d missing from its target's users %v", ci, k, users)
			}
			uses++
			for _, slot := range c.GroupSlots[k] {
				if slot < 0 || slot >= len(set.Fields()) || len(c.GroupSlots[k]) != len(c.GroupBy) {
					t.Fatalf("correlation %d: group slots %v of %d fields", ci, c.GroupSlots, len(set.Fields()))
				}
			}
		}
		if c.Field != "" && set.Fields()[c.FieldSlot] != c.Field || c.Field == "" && c.FieldSlot != -1 {
			t.Errorf("correlation %d: field %q slot %d", ci, c.Field, c.FieldSlot)
		}
	}
	for i := range set.Rules() {
		uses -= len(set.RuleUsers(i))
	}
	for i := range set.Correlations() {
		uses -= len(set.CorrelationUsers(i))
	}
	if uses != 0 {
		t.Errorf("users and references differ by %d", uses)
	}
}

// FuzzCondition feeds arbitrary conditions to the parser: an error or a
// node, never a panic, and nothing deeper than the nesting bound.
func FuzzCondition(f *testing.F) {
	for _, seed := range []string{"a and not 1 of sel_*", "(a or b) and all of them", "not not (((a)))", "1 of *_x* or c",
		"a | count() > 5", "all of", ") (", "any of them and NOT b"} {
		f.Add(seed)
	}
	names := []string{"a", "b", "c", "sel_1", "x_x"}
	searches := map[string]node{}
	for _, n := range names {
		searches[n] = &searchNode{}
	}
	f.Fuzz(func(t *testing.T, cond string) {
		n, err := compileCondition(cond, names, searches)
		if err == nil && n == nil {
			t.Fatal("no error and no node")
		}
	})
}
