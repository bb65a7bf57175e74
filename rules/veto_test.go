package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// vetoRules are rules without clauses, shaped as SigmaHQ's "Execution of
// Suspicious File Type Extension" and "Execution Of Non-Existing File":
// what they require is absent, so only vetoes can spare them.
var vetoRules = []string{
	`detection:
  known_ext:
    Image|endswith: ['.exe', '.com']
  filter_main_image:
    Image: ['System', 'Registry']
  filter_main_kelvin:
    Image|endswith: '\kernel.dll'
  filter_main_program_files:
    Image|startswith: 'C:\Program Files\'
  filter_main_temp:
    - ParentImage|contains: ':\Windows\Temp\'
    - Image|contains: ':\Windows\Temp\'
  filter_main_two_fields:
    Image|contains: 'NVIDIA'
    Image|endswith: '.dat'
  filter_main_cased:
    Image|contains|cased: 'ZZ'
  filter_main_glob:
    Image|contains: 'a*b'
  filter_main_all:
    Image|contains|all: ['Kali', 'Linux']
  filter_main_null:
    Image: null
  condition: not known_ext and not 1 of filter_main_*`,
	`detection:
  absolute:
    Image|contains: '\'
  filter_one_all:
    CommandLine|contains|all: 'vmmem'
  condition: not absolute and not filter_one_all`,
	`detection:
  sel:
    Image|fieldref: ParentImage
  filter:
    Product: ['Firefox', 'Ünïcode Ltd']
  not_not:
    OriginalFileName|endswith: '.dll'
  condition: sel and not filter and not not not_not`,
}

// vetoSet compiles vetoRules among enough rules with clauses for the set
// to be indexed.
func vetoSet(t *testing.T) *Set {
	t.Helper()
	return paddedSet(t, vetoRules...)
}

// paddedSet compiles the process creation rules of detections (rule i
// is detections[i]) and enough rules with clauses after them for the set
// to be indexed.
func paddedSet(t *testing.T, detections ...string) *Set {
	t.Helper()
	var srcs []Source
	for i, d := range detections {
		srcs = append(srcs, Source{Name: fmt.Sprintf("r%d.yml", i), Data: []byte(fmt.Sprintf(
			"title: r%d\nid: r%d\nlogsource: {category: process_creation, product: windows}\n%s\n", i, i, d))})
	}
	for i := len(srcs); i <= smallSet; i++ {
		srcs = append(srcs, Source{Name: fmt.Sprintf("f%d.yml", i), Data: []byte(fmt.Sprintf(
			"title: f%d\nid: f%d\nlogsource: {category: process_creation, product: windows}\ndetection:\n  sel: {CommandLine|contains: 'filler%d'}\n  condition: sel\n", i, i, i))})
	}
	set, report, err := Compile(srcs, Options{})
	if err != nil || len(report.Skipped) > 0 {
		t.Fatalf("compile: %v %v", err, report.Skipped)
	}
	return set
}

// scanned runs the scans of event, as Match does before it evaluates.
func scanned(set *Set, event Event) *matcher {
	m := &matcher{ev: event}
	m.nextEpoch(set)
	set.applyGroups(m)
	set.scanFields(m)
	return m
}

// TestRuleVetoes: the vetoes are the decisive literals of plain values
// under "not", each where its pattern anchors it; a selection of two
// fields, a cased value, a glob and |all of two values veto nothing, nor
// does "not not".
func TestRuleVetoes(t *testing.T) {
	set := vetoSet(t)
	want := [][]string{
		{`Image .exe end`, `Image .com end`, `Image system whole`, `Image registry whole`, `Image \kernel.dll end`,
			`Image c:\program files\ start`, `ParentImage :\windows\temp\ anywhere`, `Image :\windows\temp\ anywhere`},
		{`Image \ anywhere`, `CommandLine vmmem anywhere`},
		{`Product firefox whole`},
	}
	for i := range vetoRules {
		var got []string
		for _, n := range ruleVetoes(set.compiled[i].cond) {
			got = append(got, fmt.Sprintf("%s %s %s", set.Fields()[n.slot], n.lit, [...]string{"anywhere", "end", "start", "whole"}[n.at]))
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("rule %d vetoes:\n got %q\nwant %q", i, got, want[i])
		}
	}
}

// TestVetoesDecideExactly runs the veto rules over events that hold their
// values, in other cases, next to non-ASCII bytes, through a rune that
// folds to an ASCII letter (KELVIN SIGN to k) and only in part, and
// checks both that Match reports exactly what evaluating every rule
// reports, and that the scans vetoed a rule whenever, and only when, one
// of its vetoes' patterns holds of the event.
func TestVetoesDecideExactly(t *testing.T) {
	set := vetoSet(t)
	images := []string{`C:\x\cmd.exe`, `C:\X\CMD.EXE`, `C:\x\cmd.exe.bak`, `C:\Ü\cmd.ExE`, `System`, `SYSTEM`, `System32`,
		`Registry`, `c:\program files\x.dll`, `C:\Program Files (x86)\x.dll`, `C:\Progra`, `D:\Windows\Temp\a.tmp`,
		`nvidia.dat`, `zz.bin`, `ZZ.bin`, `aXb.bin`, `kali linux`, `vmmem`, `\`, `x\`, `Ü`, ``, "\u212Ax.exe",
		"C:\\x\\\u212Aernel.dll", "C:\\x\\\u212Aernel.dl", strings.Repeat("a", 40) + `.com`}
	var events []map[string]string
	for _, img := range images {
		events = append(events,
			map[string]string{"Image": img},
			map[string]string{"Image": img, "ParentImage": img, "CommandLine": "x vmmem", "Product": "FIREFOX", "OriginalFileName": "a.dll"},
			map[string]string{"Image": img, "ParentImage": `C:\WINDOWS\TEMP\p.exe`, "Product": "Ünïcode Ltd", "OriginalFileName": "a.exe"})
	}
	events = append(events, map[string]string{"ParentImage": `C:\x`}, map[string]string{})
	for _, fields := range events {
		event := mapEvent{set, fields}
		if got, want := fmt.Sprint(set.Match(event, nil)), fmt.Sprint(everyRule(set, event)); got != want {
			t.Errorf("event %q: Match %s, every rule evaluated %s", fields, got, want)
		}
		m := scanned(set, event)
		for r := range vetoRules {
			vetoed := set.vetoed(m, int32(r))
			holds := false
			for _, n := range scannedVetoes(set.compiled[r].cond) {
				v, ok := fields[set.Fields()[n.slot]]
				p := pattern{kind: [...]patternKind{containsPattern, suffixPattern, prefixPattern, exactPattern}[n.at], lit: []byte(n.lit), asciiLit: true}
				holds = holds || ok && p.matchValue([]byte(v), new([]byte), new(bool))
			}
			if vetoed != holds {
				t.Errorf("event %q: rule %d vetoed %v, a veto's pattern holds %v", fields, r, vetoed, holds)
			}
		}
	}
}

// TestFreeVetoes: a rule with clauses is vetoed by a value its filter
// names when its group's scans look for that value anyway (another rule
// requires it), and not when they do not: that would add to a scan.
func TestFreeVetoes(t *testing.T) {
	set := paddedSet(t,
		"detection:\n  selection: {OriginalFileName: 'reg.exe'}\n  filter: {Image|endswith: '\\reg.exe'}\n  condition: selection and not filter",
		"detection:\n  selection: {OriginalFileName: 'wmic.exe'}\n  filter: {Image|endswith: '\\unscanned.exe'}\n  condition: selection and not filter",
		"detection:\n  selection: {Image|endswith: '\\reg.exe'}\n  condition: selection")
	for _, tc := range []struct {
		fields        map[string]string
		rule          int
		vetoed, match bool
	}{
		{map[string]string{"OriginalFileName": "reg.exe", "Image": `C:\Windows\System32\REG.EXE`}, 0, true, false},
		{map[string]string{"OriginalFileName": "reg.exe", "Image": `C:\Users\Public\renamed.exe`}, 0, false, true},
		{map[string]string{"OriginalFileName": "wmic.exe", "Image": `C:\x\unscanned.exe`}, 1, false, false},
		{map[string]string{"OriginalFileName": "wmic.exe", "Image": `C:\x\other.exe`}, 1, false, true},
	} {
		event := mapEvent{set, tc.fields}
		m := scanned(set, event)
		if vetoed := set.vetoed(m, int32(tc.rule)); vetoed != tc.vetoed {
			t.Errorf("%q: rule %d vetoed %v, want %v", tc.fields, tc.rule, vetoed, tc.vetoed)
		}
		if match := slices.Contains(set.Match(event, nil), tc.rule); match != tc.match {
			t.Errorf("%q: rule %d matches %v, want %v", tc.fields, tc.rule, match, tc.match)
		}
		if got, want := fmt.Sprint(set.Match(event, nil)), fmt.Sprint(everyRule(set, event)); got != want {
			t.Errorf("%q: Match %s, every rule evaluated %s", tc.fields, got, want)
		}
	}
}
