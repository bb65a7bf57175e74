package rules

import (
	"fmt"
	"slices"
	"testing"
)

// TestSeenLiteralsDecide builds a set large enough to be indexed in which
// a rule lists command-line fragments, and checks that those patterns are
// linked to the scan's literals and that Match decides them as evaluating
// the rule without the scan's knowledge does: fragment there, absent,
// there only once folded (KELVIN SIGN), next to a glob, a cased value, an
// |all list, a filter under not, a fragment longer than the scan looks
// for (its piece found, the fragment not) and a non-ASCII fragment (the
// scan reads bytes >= 0x80 alike). It also checks which patterns the
// scan's finding decides whole.
func TestSeenLiteralsDecide(t *testing.T) {
	var srcs []Source
	// A rule that needs the filter's fragment, so the scan looks for it
	// (a clause under not gives the scan nothing to look for).
	srcs = append(srcs, Source{Name: "quiet", Data: []byte(
		"title: quiet\nlogsource: {category: test}\ndetection:\n  s: {CommandLine|contains: '/quiet-please'}\n  condition: s\n")})
	srcs = append(srcs, Source{Name: "frag", Data: []byte(`title: fragments
logsource: {category: test}
detection:
  sel:
    CommandLine|contains: ['sekurlsa::', ' -encodedcommand ', 'kerberos::ptt']
  sel_glob:
    CommandLine: '*net*|*find*'
  sel_cased:
    CommandLine|contains|cased: ['Invoke-Mimikatz', 'lsadump::']
  sel_all:
    CommandLine|contains|all: ['vssadmin', 'delete shadows']
  sel_long:
    CommandLine|contains: 'a-fragment-longer-than-twenty-four-bytes'
  sel_accent:
    CommandLine|contains: 'x-hé::y'
  filter:
    CommandLine|contains: ['/quiet-please', ' --dry-run']
  condition: 1 of sel* and not filter
`)})
	set, rule := indexedSet(t, srcs, "fragments")
	whole := linkedPatterns(set, rule)
	if len(whole) < 3 {
		t.Fatalf("%d patterns linked to the scan's literals, want the three fragments at least", len(whole))
	}
	for lit, want := range map[string]bool{"sekurlsa::": true, " -encodedcommand ": true, "/quiet-please": true,
		"lsadump::": false, "a-fragment-longer-than-twenty-four-bytes": false, "x-hé::y": false} {
		if got, ok := whole[lit]; !ok || got != want {
			t.Errorf("%q: linked %v, decided by the scan's finding %v, want linked and %v", lit, ok, got, want)
		}
	}
	for _, c := range []struct {
		cmd  string
		want bool
	}{
		{`mimikatz.exe "sekurlsa::logonpasswords" exit`, true},
		{`mimikatz.exe "SEKURLSA::LOGONPASSWORDS" exit`, true},
		{"mimikatz.exe \"\u212Aerberos::ptt\" x", true}, // folds to kerberos::ptt
		{`powershell.exe -EncodedCommand SQBFAFgA`, true},
		{`powershell.exe -nop -w hidden`, false},
		{`net user /domain | findstr admin`, true},
		{`C:\Windows\system32\svchost.exe -k netsvcs`, false},
		{`powershell Invoke-Mimikatz`, true},
		{`powershell invoke-mimikatz`, false},
		{`mimikatz "lsadump::sam"`, true},
		{`mimikatz "LSADUMP::SAM"`, false}, // found folded, but cased
		{`vssadmin.exe Delete Shadows /all`, true},
		{`vssadmin.exe list shadows`, false},
		{`vssadmin.exe delete shadows /all --dry-run`, false}, // the filter's fragment is there
		{`mimikatz "sekurlsa::logonpasswords" /QUIET-PLEASE`, false},
		// Every piece of the long fragment the scan may look for is
		// there, but not the fragment: found is not decisive for it.
		{`x-fragment-longer-than-twenty-four-bytes a-fragment-longer-than-twenty-four-byteX`, false},
		{`run A-FRAGMENT-LONGER-THAN-TWENTY-FOUR-BYTES now`, true},
		{"run X-HÉ::Y now", true},  // folds to the fragment
		{"run x-hè::y now", false}, // reads alike to the scan, but not the fragment
	} {
		matchesAlike(t, set, rule, "CommandLine", c.cmd, c.want)
	}
}

// TestSeenAnchoredLiteralsDecide is TestSeenLiteralsDecide for the
// anchored literals (endswith, startswith, exact values), which the
// anchored lookup rather than the automaton finds: found decides an
// anchored pattern of that literal, a literal cut to its tail (an exact
// value longer than the lookup reads) or a glob's anchored piece rules
// out only, and a cased pattern is never decided by the folded finding.
func TestSeenAnchoredLiteralsDecide(t *testing.T) {
	var srcs []Source
	srcs = append(srcs, Source{Name: "anchored", Data: []byte(`title: anchored
logsource: {category: test}
detection:
  sel_end:
    Image|endswith: ['\rundll32.exe', '\regsvr32.exe']
  sel_start:
    Image|startswith: 'c:\perflogs\'
  sel_exact:
    Image: ['c:\tools\x.exe', 'c:\a-path-longer-than-the-lookup-reads\y.exe']
  sel_glob:
    Image: 'c:\u*\svc-host.exe'
  sel_cased:
    Image|endswith|cased: '\Evil.exe'
  condition: 1 of sel*
`)})
	set, rule := indexedSet(t, srcs, "anchored")
	whole := linkedPatterns(set, rule)
	for lit, want := range map[string]bool{`\rundll32.exe`: true, `c:\perflogs\`: true, `c:\tools\x.exe`: true,
		`c:\a-path-longer-than-the-lookup-reads\y.exe`: false, `\Evil.exe`: false} {
		if got, ok := whole[lit]; !ok || got != want {
			t.Errorf("%q: linked %v, decided by the scan's finding %v, want linked and %v (linked: %v)", lit, ok, got, want, whole)
		}
	}
	for _, c := range []struct {
		image string
		want  bool
	}{
		{`C:\Windows\System32\rundll32.exe`, true},
		{`C:\Windows\System32\RUNDLL32.EXE`, true},
		{`C:\Windows\System32\rundll32.exe.bak`, false},
		{`C:\Windows\System32\xrundll32.exe`, false},
		{`C:\PerfLogs\a.exe`, true},
		{`D:\PerfLogs\a.exe`, false},
		{`C:\Tools\X.exe`, true},
		{`C:\Tools\X.exe2`, false},
		{`C:\A-PATH-LONGER-THAN-THE-LOOKUP-READS\Y.EXE`, true},
		// The tail the lookup reads is there, the value is not.
		{`D:\a-path-longer-than-the-lookup-reads\y.exe`, false},
		{`C:\Users\bob\svc-host.exe`, true},
		{`D:\Users\bob\svc-host.exe`, false}, // the glob's tail is there, its head is not
		{`C:\Temp\Evil.exe`, true},
		{`C:\Temp\evil.exe`, false}, // found folded, but cased
	} {
		matchesAlike(t, set, rule, "Image", c.image, c.want)
	}
}

// indexedSet compiles srcs after enough filler rules for the set to be
// indexed, and returns it with the index of the rule titled title.
func indexedSet(t *testing.T, srcs []Source, title string) (*Set, int) {
	t.Helper()
	var all []Source
	for i := range smallSet + 4 {
		all = append(all, Source{Name: fmt.Sprint(i), Data: []byte(fmt.Sprintf(
			"title: filler %d\nlogsource: {category: test}\ndetection:\n  s: {Other|contains: 'filler%d'}\n  condition: s\n", i, i))})
	}
	set, report, err := Compile(append(all, srcs...), Options{})
	if err != nil || len(report.Skipped) > 0 {
		t.Fatalf("compile: %v %v", err, report.Skipped)
	}
	return set, slices.IndexFunc(set.Rules(), func(r Rule) bool { return r.Title == title })
}

// linkedPatterns returns the patterns of rule linked to a scan's literal,
// by their text, with whether the literal's finding decides them.
func linkedPatterns(set *Set, rule int) map[string]bool {
	whole := map[string]bool{}
	forEachField(set.compiled[rule].cond, func(f *fieldMatcher) {
		if pt, ok := f.test.(*patternTest); ok && pt.lits != nil {
			for k, l := range pt.lits {
				if l >= 0 {
					whole[string(pt.patterns[k].lit)] = pt.whole[k]
				}
			}
		}
	})
	return whole
}

// matchesAlike checks that Match, with the scans' findings, and the rule
// evaluated alone, without them, both decide want for field = value.
func matchesAlike(t *testing.T, set *Set, rule int, field, value string, want bool) {
	t.Helper()
	ev := mapEvent{set, map[string]string{field: value}}
	got := slices.Contains(set.Match(ev, nil), rule)
	alone := set.compiled[rule].cond.eval(&matcher{ev: ev})
	if got != want || alone != want {
		t.Errorf("%q: Match %v, the rule evaluated alone %v, want %v", value, got, alone, want)
	}
}
