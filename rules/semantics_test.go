package rules

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

// semanticCase is one detection (YAML under "detection:") and events it
// must and must not match.
type semanticCase struct {
	name      string
	detection string
	match     []map[string]string
	noMatch   []map[string]string
}

func runSemantics(t *testing.T, cases []semanticCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "title: t\nid: t1\nlogsource: {category: test_semantics}\ndetection:\n" + tc.detection
			set := compileOne(t, src)
			for _, ev := range tc.match {
				if !matches(set, ev) {
					t.Errorf("should match %q", ev)
				}
			}
			for _, ev := range tc.noMatch {
				if matches(set, ev) {
					t.Errorf("should not match %q", ev)
				}
			}
		})
	}
}

func ev(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func utf16le(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

func TestSemanticsValues(t *testing.T) { runSemantics(t, valueCases()) }

func valueCases() []semanticCase {
	return []semanticCase{
		{name: "escaped backslash then wildcard", detection: "  s: {A: 'a\\\\*'}\n  condition: s\n",
			match: []map[string]string{ev("A", `a\`), ev("A", `a\bc`)}, noMatch: []map[string]string{ev("A", `abc`)}},
		{name: "escaped backslash then escaped star", detection: "  s: {A: 'a\\\\\\*'}\n  condition: s\n",
			match: []map[string]string{ev("A", `a\*`)}, noMatch: []map[string]string{ev("A", `a\bc`), ev("A", `a*`)}},
		{name: "trailing backslash", detection: "  s: {A: 'C:\\Temp\\'}\n  condition: s\n",
			match: []map[string]string{ev("A", `c:\temp\`)}, noMatch: []map[string]string{ev("A", `c:\temp`)}},
		{name: "question mark", detection: "  s: {A: 'cmd.?xe'}\n  condition: s\n",
			match: []map[string]string{ev("A", "cmd.exe"), ev("A", "CMD.EXE")}, noMatch: []map[string]string{ev("A", "cmd.xe")}},
		{name: "unicode case folding", detection: "  s: {A|contains: 'ÉCOLE'}\n  condition: s\n",
			match: []map[string]string{ev("A", "une école")}, noMatch: []map[string]string{ev("A", "ecole")}},
		// Two rules whose literals differ only in non-ASCII bytes, which the
		// prefilter's automaton reads alike: each must still find its own.
		{name: "cyrillic a", detection: "  s: {A|contains: 'а'}\n  condition: s\n",
			match: []map[string]string{ev("A", "x а y")}, noMatch: []map[string]string{ev("A", "x a y")}},
		{name: "cyrillic e", detection: "  s: {A|contains: 'е'}\n  condition: s\n",
			match: []map[string]string{ev("A", "x е y")}, noMatch: []map[string]string{ev("A", "x e y")}},
		{name: "cased", detection: "  s: {A|cased: 'Admin'}\n  condition: s\n",
			match: []map[string]string{ev("A", "Admin")}, noMatch: []map[string]string{ev("A", "admin")}},
		{name: "cased contains", detection: "  s: {A|contains|cased: 'Mimi'}\n  condition: s\n",
			match: []map[string]string{ev("A", "x Mimikatz")}, noMatch: []map[string]string{ev("A", "x mimikatz")}},
		{name: "null", detection: "  s: {A: null}\n  condition: s\n",
			match: []map[string]string{ev("B", "x")}, noMatch: []map[string]string{ev("A", ""), ev("A", "x")}},
		{name: "empty string", detection: "  s: {A: ''}\n  condition: s\n",
			match: []map[string]string{ev("A", "")}, noMatch: []map[string]string{ev("B", "")}},
		{name: "numbers as strings", detection: "  s: {A: 4624, B: 1.5, C: true}\n  condition: s\n",
			match: []map[string]string{ev("A", "4624", "B", "1.5", "C", "TRUE")}},
		{name: "neq", detection: "  s: {A|neq: [x, y]}\n  condition: s\n",
			match: []map[string]string{ev("A", "z")}, noMatch: []map[string]string{ev("A", "X"), ev("A", "y"), ev("B", "z")}},
		{name: "exists true", detection: "  s: {A|exists: true}\n  condition: s\n",
			match: []map[string]string{ev("A", "")}, noMatch: []map[string]string{ev("B", "x")}},
		{name: "exists false", detection: "  s: {A|exists: false}\n  condition: s\n",
			match: []map[string]string{ev("B", "x")}, noMatch: []map[string]string{ev("A", "")}},
	}
}

func TestSemanticsModifiers(t *testing.T) { runSemantics(t, modifierCases()) }

func modifierCases() []semanticCase {
	whoami := []byte("whoami")
	var offsets []map[string]string
	for i := 0; i < 3; i++ {
		offsets = append(offsets, ev("A", "powershell -enc "+b64(append([]byte(strings.Repeat("x", i)), append(whoami, []byte(" /all")...)...))))
	}
	var wide []map[string]string
	for i := 0; i < 3; i++ {
		wide = append(wide, ev("A", b64(utf16le(strings.Repeat("x", i)+"whoami /all"))))
	}
	return []semanticCase{
		{name: "windash", detection: "  s: {A|windash|contains: ' -exec bypass'}\n  condition: s\n",
			match: []map[string]string{ev("A", "ps -exec bypass"), ev("A", "ps /exec bypass"), ev("A", "ps \u2013exec bypass"),
				ev("A", "ps \u2014exec bypass"), ev("A", "ps \u2015exec bypass")},
			noMatch: []map[string]string{ev("A", "ps exec bypass"), ev("A", "ps +exec bypass")}},
		// The specification: every one of the five, wherever it stands,
		// written in the rule as any of them.
		{name: "windash changes every dash", detection: "  s: {A|windash: ['a-b', 'start/b', 'x\u2013y']}\n  condition: s\n",
			match: []map[string]string{ev("A", "a-b"), ev("A", "a/b"), ev("A", "a\u2015b"), ev("A", "start-b"),
				ev("A", "start\u2014b"), ev("A", "x-y"), ev("A", "x/y")},
			noMatch: []map[string]string{ev("A", "a+b"), ev("A", "ab"), ev("A", "a--b")}},
		{name: "windash on each dash of a value", detection: "  s: {A|windash|contains: ' --headless -x'}\n  condition: s\n",
			match: []map[string]string{ev("A", "c //headless /x"), ev("A", "c -/headless \u2013x")}, noMatch: []map[string]string{ev("A", "c -headless -x")}},
		{name: "base64", detection: "  s: {A|base64: 'whoami'}\n  condition: s\n",
			match: []map[string]string{ev("A", b64(whoami))}, noMatch: []map[string]string{ev("A", "whoami")}},
		{name: "base64offset, all three offsets", detection: "  s: {A|base64offset|contains: 'whoami'}\n  condition: s\n",
			match: offsets, noMatch: []map[string]string{ev("A", b64([]byte("who am i")))}},
		{name: "utf16le base64offset, all three offsets", detection: "  s: {A|utf16le|base64offset|contains: 'whoami'}\n  condition: s\n",
			match: wide, noMatch: offsets},
		{name: "wide is utf16le", detection: "  s: {A|wide|base64offset|contains: 'whoami'}\n  condition: s\n", match: wide},
		{name: "utf16be", detection: "  s: {A|utf16be|base64: 'ab'}\n  condition: s\n",
			match: []map[string]string{ev("A", b64([]byte{0, 'a', 0, 'b'}))}},
		{name: "utf16 has a byte order mark", detection: "  s: {A|utf16|base64: 'ab'}\n  condition: s\n",
			match: []map[string]string{ev("A", b64([]byte{0xff, 0xfe, 'a', 0, 'b', 0}))}},
		{name: "re", detection: "  s: {A|re: '^C:\\\\Users\\\\[^\\\\]+\\\\Temp$'}\n  condition: s\n",
			match: []map[string]string{ev("A", `C:\Users\bob\Temp`)}, noMatch: []map[string]string{ev("A", `c:\users\bob\temp`)}},
		{name: "re i", detection: "  s: {A|re|i: 'mimi[a-z]+'}\n  condition: s\n",
			match: []map[string]string{ev("A", "MIMIKATZ")}, noMatch: []map[string]string{ev("A", "mimi")}},
		{name: "re m", detection: "  s: {A|re|m: '^two$'}\n  condition: s\n",
			match: []map[string]string{ev("A", "one\ntwo\nthree")}, noMatch: []map[string]string{ev("A", "one two")}},
		{name: "re s", detection: "  s: {A|re|s: 'a.b'}\n  condition: s\n",
			match: []map[string]string{ev("A", "a\nb")}},
		{name: "re without s", detection: "  s: {A|re: 'a.b'}\n  condition: s\n",
			noMatch: []map[string]string{ev("A", "a\nb")}},
		{name: "cidr", detection: "  s: {A|cidr: ['10.0.0.0/8', 'fd00::/8']}\n  condition: s\n",
			match:   []map[string]string{ev("A", "10.1.2.3"), ev("A", "fd12::1"), ev("A", "::ffff:10.0.0.1")},
			noMatch: []map[string]string{ev("A", "11.0.0.1"), ev("A", "fe80::1"), ev("A", "not an ip")}},
		{name: "lt lte gt gte", detection: "  a: {A|lt: 10}\n  b: {B|lte: 10}\n  c: {C|gt: 10}\n  d: {D|gte: 10}\n  condition: a and b and c and d\n",
			match:   []map[string]string{ev("A", "9", "B", "10", "C", "11", "D", "10")},
			noMatch: []map[string]string{ev("A", "10", "B", "10", "C", "11", "D", "10"), ev("A", "x", "B", "1", "C", "11", "D", "10")}},
		{name: "fieldref", detection: "  s: {A|fieldref: B}\n  condition: s\n",
			match:   []map[string]string{ev("A", "Same", "B", "same"), ev("A", "\u212Abc", "B", "KBC")}, // KELVIN SIGN folds to k
			noMatch: []map[string]string{ev("A", "x", "B", "y"), ev("A", "x"), ev("A", "abc", "B", "abcd")}},
		{name: "fieldref cased", detection: "  s: {A|fieldref|cased: B}\n  condition: s\n",
			match: []map[string]string{ev("A", "Same", "B", "Same")}, noMatch: []map[string]string{ev("A", "Same", "B", "same"), ev("A", "Same", "B", "Samer")}},
		{name: "fieldref endswith", detection: "  s: {A|fieldref|endswith: B}\n  condition: s\n",
			match: []map[string]string{ev("A", `C:\x\cmd.exe`, "B", "CMD.EXE")}},
		{name: "all", detection: "  s: {A|contains|all: [a, b]}\n  condition: s\n",
			match: []map[string]string{ev("A", "b a")}, noMatch: []map[string]string{ev("A", "a")}},
	}
}

func TestSemanticsSearches(t *testing.T) { runSemantics(t, searchCases()) }

func searchCases() []semanticCase {
	return []semanticCase{
		{name: "keywords", detection: "  k: [mimikatz, 'sekurlsa::*']\n  condition: k\n",
			match:   []map[string]string{ev("X", "ran MIMIKATZ.exe"), ev("Y", "sekurlsa::logonpasswords")},
			noMatch: []map[string]string{ev("X", "mimi katz")}},
		{name: "keyword map with all", detection: "  k:\n    '|all': [foo, bar]\n  condition: k\n",
			match: []map[string]string{ev("X", "foo", "Y", "bar"), ev("X", "foobar")}, noMatch: []map[string]string{ev("X", "foo")}},
		{name: "keywords and a field", detection: "  k: [evil]\n  f: {A: x}\n  condition: k and f\n",
			match: []map[string]string{ev("A", "x", "B", "evil")}, noMatch: []map[string]string{ev("A", "x")}},
		{name: "pattern with digits", detection: "  selection_1_a: {A: x}\n  selection_1_b: {B: y}\n  selection_2: {C: z}\n  condition: all of selection_1_* and not selection_2\n",
			match: []map[string]string{ev("A", "x", "B", "y")}, noMatch: []map[string]string{ev("A", "x"), ev("A", "x", "B", "y", "C", "z")}},
		{name: "star first in pattern", detection: "  a_sel: {A: x}\n  b_sel: {B: y}\n  condition: 1 of *_sel\n",
			match: []map[string]string{ev("B", "y")}},
		{name: "them skips underscore", detection: "  a: {A: x}\n  _b: {B: y}\n  condition: all of them\n",
			match: []map[string]string{ev("A", "x")}},
		{name: "operators are case-insensitive", detection: "  a: {A: x}\n  b: {B: y}\n  condition: a AND NOT b\n",
			match: []map[string]string{ev("A", "x")}, noMatch: []map[string]string{ev("A", "x", "B", "y")}},
	}
}

func TestConditionParser(t *testing.T) {
	names := []string{"a", "b", "c", "sel_1", "sel_2"}
	searches := map[string]node{}
	for _, n := range names {
		searches[n] = &searchNode{}
	}
	good := []string{"a", "a and b", "a OR b", "not a", "NOT (a or b) and c", "1 of sel_*", "all of sel_*", "any of them",
		"1 of them", "((a))", "a and not not b", "all of sel_* or c"}
	for _, c := range good {
		if _, err := compileCondition(c, names, searches); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
	bad := []string{"", "a and", "(a", "a)", "and a", "a b", "1 of", "1 of x*", "a | count() > 5", "a & b", strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100)}
	for _, c := range bad {
		if _, err := compileCondition(c, names, searches); err == nil {
			t.Errorf("%q: want an error", c)
		}
	}
}

// TestPrefilterIsNecessaryOnly compiles every semantics case into one set,
// large enough to be prefiltered, and checks on all their events that the
// indexed Match reports exactly what evaluating every rule would.
func TestPrefilterIsNecessaryOnly(t *testing.T) {
	var cases []semanticCase
	for _, f := range []func() []semanticCase{valueCases, modifierCases, searchCases} {
		cases = append(cases, f()...)
	}
	var srcs []Source
	var events []map[string]string
	for i, tc := range cases {
		src := fmt.Sprintf("title: t%d\nid: t%d\nlogsource: {category: test_semantics}\ndetection:\n%s", i, i, tc.detection)
		srcs = append(srcs, Source{Name: tc.name, Data: []byte(src)})
		events = append(events, tc.match...)
		events = append(events, tc.noMatch...)
	}
	set, report, err := Compile(srcs, Options{})
	if err != nil || len(report.Skipped) > 0 {
		t.Fatalf("compile: %v %v", err, report.Skipped)
	}
	if set.Len() <= smallSet || set.Stats().Prefiltered == 0 {
		t.Fatalf("%d rules, %d prefiltered: the prefilter is not exercised", set.Len(), set.Stats().Prefiltered)
	}
	m := &matcher{}
	for _, fields := range events {
		event := mapEvent{set, fields}
		got := fmt.Sprint(set.Match(event, nil))
		var want []int
		for i := range set.compiled {
			m.ev = event
			m.guardState = make([]uint8, len(set.guards))
			set.loadGuardValues(m)
			ok := true
			for _, g := range set.compiled[i].guards {
				ok = ok && g.pass(m)
			}
			if ok && set.compiled[i].cond.eval(m) {
				want = append(want, i)
			}
		}
		if got != fmt.Sprint(want) {
			t.Errorf("event %v: Match %s, every rule evaluated %v", fields, got, want)
		}
	}
}
