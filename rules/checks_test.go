package rules

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// checksSet has ten rules that need Image to end with \powershell.exe
// and a command-line fragment of their own: the Image clause, named by
// ten clauses, is checked, the fragment marked.
func checksSet(t *testing.T) *Set {
	var detections []string
	for i := range 10 {
		detections = append(detections, fmt.Sprintf("detection:\n  sel:\n    Image|endswith: '\\powershell.exe'\n"+
			"    CommandLine|contains: 'fragment%d'\n  condition: sel", i))
	}
	return paddedSet(t, detections...)
}

// TestChecks: a clause that many rules name is checked, not marked. An
// event holding only it leaves every rule out without marking one; one
// holding a rule's fragment makes that rule a candidate, which its check
// then rules out unless Image ends as it must.
func TestChecks(t *testing.T) {
	set := checksSet(t)
	for r := range 10 {
		if len(set.checks[r]) != 1 || len(set.clauses[r]) != 2 {
			t.Fatalf("rule %d: %d checks of %d clauses, want the Image clause checked", r, len(set.checks[r]), len(set.clauses[r]))
		}
	}
	for _, tc := range []struct {
		image, commandLine string
		complete           bool // rule 3 is marked complete
		match              bool
	}{
		{`C:\x\powershell.exe`, `powershell -c dir`, false, false},
		{`C:\x\cmd.exe`, `cmd /c fragment3`, true, false},
		{`C:\x\POWERSHELL.EXE`, `powershell -c FRAGMENT3`, true, true},
	} {
		event := mapEvent{set, map[string]string{"Image": tc.image, "CommandLine": tc.commandLine}}
		m := scanned(set, event)
		if complete := slices.Contains(m.complete, 3); complete != tc.complete {
			t.Errorf("%q %q: rule 3 complete %v, want %v", tc.image, tc.commandLine, complete, tc.complete)
		}
		if candidate := isCandidate(set, m, 3); candidate != tc.match {
			t.Errorf("%q %q: rule 3 candidate %v, want %v", tc.image, tc.commandLine, candidate, tc.match)
		}
		if got := set.Match(event, nil); slices.Contains(got, 3) != tc.match || len(got) > 1 {
			t.Errorf("%q %q: Match %v, want rule 3 alone: %v", tc.image, tc.commandLine, got, tc.match)
		}
	}
}

// multiEvent is a mapEvent whose fields may hold several values, as a
// record's arrays do: Field gives a field of one value only.
type multiEvent struct {
	set    *Set
	fields map[string][]string
}

func (e multiEvent) Field(slot int) ([]byte, bool) {
	if v := e.fields[e.set.Fields()[slot]]; len(v) == 1 {
		return []byte(v[0]), true
	}
	return nil, false
}

func (e multiEvent) EachString(v Visitor) bool {
	for _, vs := range e.fields {
		for _, s := range vs {
			if v.Visit([]byte(s)) {
				return true
			}
		}
	}
	return false
}

func (e multiEvent) Several() bool {
	for _, vs := range e.fields {
		if len(vs) > 1 {
			return true
		}
	}
	return false
}

func (e multiEvent) HoldsSeveral(slot int) bool { return len(e.fields[e.set.Fields()[slot]]) > 1 }

func (e multiEvent) EachValue(slot int, v Visitor) bool {
	for _, s := range e.fields[e.set.Fields()[slot]] {
		if v.Visit([]byte(s)) {
			return true
		}
	}
	return false
}

// TestChecksSeveralValues: a field of several values is scanned without
// noting what it holds, so a check on it must not rule the rule out.
func TestChecksSeveralValues(t *testing.T) {
	set := checksSet(t)
	event := multiEvent{set, map[string][]string{
		"Image":       {`C:\x\cmd.exe`, `C:\x\powershell.exe`},
		"CommandLine": {`powershell -c fragment3`},
	}}
	if got := set.Match(event, nil); !slices.Equal(got, []int{3}) {
		t.Errorf("Match %v, want [3]", got)
	}
	if want := everyRule(set, event); !slices.Equal(want, []int{3}) {
		t.Errorf("every rule evaluated: %v, want [3]", want)
	}
}

// TestChecksRandom: over random sets whose literals come from a few
// words, so that many clauses name each and rules get checks, Match finds
// what evaluating every rule finds: on values in other cases, with a
// KELVIN SIGN for k, with literals that read alike to the automaton
// (é.exe, ï.exe), and on fields that hold several values.
func TestChecksRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	fields := []string{"Image", "CommandLine", "ParentImage"}
	words := []string{`\powershell.exe`, `\cmd.exe`, ` -enc `, `invoke-`, `\temp\`, `.dll`, `rundll32`, `x`, `é.exe`, `ï.exe`, `kernel`}
	mods := []string{"|endswith", "|contains", "|startswith", ""}
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	sel := func() string {
		return fmt.Sprintf("{%s%s: ['%s', '%s']}", pick(fields), pick(mods), pick(words), pick(words))
	}
	value := func() string {
		v := pick([]string{"", `C:\`, "a "}) + pick(words) + pick([]string{"", " ", pick(words)}) + pick([]string{"", "z"})
		switch rng.Intn(4) {
		case 0:
			v = strings.ToUpper(v)
		case 1:
			v = strings.ReplaceAll(v, "k", "\u212a")
		}
		return v
	}
	checks, failed := 0, 0
	for n := 0; n < 30; n++ {
		var detections []string
		for r := 0; r < 40; r++ {
			detections = append(detections, fmt.Sprintf("detection:\n  a: %s\n  b: %s\n  c: %s\n  condition: %s", sel(), sel(), sel(),
				pick([]string{"a and b", "a and b and c", "a and (b or c)", "1 of a* and c", "a and b and not c"})))
		}
		set := paddedSet(t, detections...)
		for r := range detections {
			checks += len(set.checks[r])
		}
		for e := 0; e < 100; e++ {
			values := map[string][]string{}
			for _, f := range fields {
				if rng.Intn(5) > 0 {
					values[f] = []string{value()}
					if rng.Intn(8) == 0 {
						values[f] = append(values[f], value())
					}
				}
			}
			event := multiEvent{set, values}
			if got, want := fmt.Sprint(set.Match(event, nil)), fmt.Sprint(everyRule(set, event)); got != want {
				t.Fatalf("set %d, event %q: Match %s, every rule evaluated %s\n%s", n, values, got, want, strings.Join(detections, "\n---\n"))
			}
			m := scanned(set, event)
			for _, r := range m.complete {
				if !set.checksPass(m, r) {
					failed++
				}
			}
		}
	}
	if checks < 100 || failed < 100 {
		t.Errorf("%d checks, %d failed: the test does not exercise them", checks, failed)
	}
}
