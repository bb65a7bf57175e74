package rules

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// vetoRules are rules without clauses, shaped as SigmaHQ's "Execution of
// Suspicious File Type Extension" and "Execution Of Non-Existing File":
// what they require is absent, so only vetoes can spare them (the
// second's one-byte "\" is looked for when the rule is about to be
// evaluated, not by the scans: a byteVeto).
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

// isCandidate reports whether rule r is evaluated after the scans of m,
// vetoes aside: all its marked clauses were marked, and its checks (the
// clauses chooseChecks leaves unmarked) pass.
func isCandidate(set *Set, m *matcher, r int32) bool {
	return slices.Contains(m.complete, r) && set.checksPass(m, r)
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
	// Of those, the one byte that is no letter is looked for at
	// evaluation; the scans get the rest.
	image := slices.Index(set.Fields(), "Image")
	if got := byteVetoes(ruleVetoes(set.compiled[1].cond)); !slices.Equal(got, []byteVeto{{image, '\\'}}) {
		t.Errorf("rule 1 byte vetoes %v, want Image's backslash", got)
	}
	for i := range vetoRules {
		for _, n := range scannedVetoes(ruleVetoes(set.compiled[i].cond)) {
			if n.at == anywhere && len(n.lit) <= weakStrength {
				t.Errorf("rule %d: %q is scanned for", i, n.lit)
			}
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
			needs := scannedVetoes(ruleVetoes(set.compiled[r].cond))
			for _, bv := range byteVetoes(ruleVetoes(set.compiled[r].cond)) {
				needs = append(needs, need{slot: bv.slot, lit: string(bv.b)})
			}
			for _, n := range needs {
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

// TestFreeVetoesOwnGroup: a free veto is a value the scans of the rule's
// own group look for, by the automaton too (a contains value, found
// through a KELVIN SIGN); one that only another logsource's rules require
// is no veto, and the group's scans stay as its clauses make them.
func TestFreeVetoesOwnGroup(t *testing.T) {
	src := func(name, logsource, detection string) Source {
		return Source{Name: name + ".yml", Data: []byte(fmt.Sprintf("title: %s\nid: %s\nlogsource: %s\n%s\n", name, name, logsource, detection))}
	}
	pc, il := "{category: process_creation, product: windows}", "{category: image_load, product: windows}"
	srcs := []Source{
		src("renamed", pc, "detection:\n  selection: {OriginalFileName: 'reg.exe'}\n  filter: {CommandLine|contains: 'kerberos'}\n  condition: selection and not filter"),
		src("other", pc, "detection:\n  selection: {CommandLine|contains: 'kerberos'}\n  condition: selection"),
		src("elsewhere", pc, "detection:\n  selection: {OriginalFileName: 'wmic.exe'}\n  filter: {ImageLoaded|endswith: '\\a.dll'}\n  condition: selection and not filter"),
		src("loads", il, "detection:\n  selection: {ImageLoaded|endswith: '\\a.dll'}\n  condition: selection"),
	}
	for i := len(srcs); i <= smallSet; i++ {
		srcs = append(srcs, src(fmt.Sprintf("f%d", i), pc, fmt.Sprintf("detection:\n  sel: {CommandLine|contains: 'filler%d'}\n  condition: sel", i)))
	}
	set, report, err := Compile(srcs, Options{})
	if err != nil || len(report.Skipped) > 0 {
		t.Fatalf("compile: %v %v", err, report.Skipped)
	}
	if len(set.vetoes[2]) != 0 {
		t.Errorf("a rule got a veto its group does not scan for: %v", set.vetoes[2])
	}
	loaded := slices.Index(set.Fields(), "ImageLoaded")
	for i, sc := range set.scans {
		if g := &set.groups[set.groupOf[0]]; sc.slot == loaded && g.scans[i/64]&(1<<(i%64)) != 0 {
			t.Errorf("the process creation group scans ImageLoaded")
		}
	}
	for _, tc := range []struct {
		commandLine string
		vetoed      bool
	}{{"klist \u212aerberos tickets", true}, {"klist KERBEROS", true}, {"klist kerb", false}} {
		event := mapEvent{set, map[string]string{"OriginalFileName": "reg.exe", "CommandLine": tc.commandLine}}
		if vetoed := set.vetoed(scanned(set, event), 0); vetoed != tc.vetoed {
			t.Errorf("%q: vetoed %v, want %v", tc.commandLine, vetoed, tc.vetoed)
		}
		if got, want := fmt.Sprint(set.Match(event, nil)), fmt.Sprint(everyRule(set, event)); got != want {
			t.Errorf("%q: Match %s, every rule evaluated %s", tc.commandLine, got, want)
		}
	}
}

// TestVetoesRandom compares Match with evaluating every rule on sets of
// random "selection and not filter" rules over a few fields and values,
// so that filters name values other rules require (free vetoes) and
// values the rules without clauses add, in random case, with runes that
// fold to ASCII letters; and checks that vetoes did spare evaluations.
func TestVetoesRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	fields := []string{"Image", "ParentImage", "OriginalFileName"}
	words := []string{`\reg.exe`, `reg.exe`, `c:\windows\`, `kernel`, `\tmp\`, `.dll`, `spool`, `x`}
	mods := []string{"", "|endswith", "|startswith", "|contains", "|contains|cased"}
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	value := func() string {
		v := pick(words) + pick([]string{"", pick(words)})
		switch rng.Intn(4) {
		case 0:
			v = strings.ToUpper(v)
		case 1:
			v = strings.ReplaceAll(v, "k", "\u212a")
		}
		return pick([]string{"", `C:\`, "a"}) + v + pick([]string{"", "z", `\`})
	}
	vetoes := 0
	for n := 0; n < 40; n++ {
		var detections []string
		for r := 0; r < 20; r++ {
			sel := fmt.Sprintf("{%s%s: '%s'}", pick(fields), pick(mods), pick(words))
			if r%4 == 0 {
				sel = fmt.Sprintf("{%s|fieldref: %s}", pick(fields), pick(fields))
			}
			filter := fmt.Sprintf("{%s%s: ['%s', '%s']}", pick(fields), pick(mods), pick(words), pick(words))
			detections = append(detections, fmt.Sprintf("detection:\n  selection: %s\n  filter: %s\n  condition: selection and not filter", sel, filter))
		}
		set := paddedSet(t, detections...)
		for e := 0; e < 100; e++ {
			values := map[string]string{}
			for _, f := range fields {
				if rng.Intn(5) > 0 {
					values[f] = value()
				}
			}
			event := mapEvent{set, values}
			if got, want := fmt.Sprint(set.Match(event, nil)), fmt.Sprint(everyRule(set, event)); got != want {
				t.Fatalf("set %d, event %q: Match %s, every rule evaluated %s\n%s", n, values, got, want, strings.Join(detections, "\n---\n"))
			}
			m := scanned(set, event)
			for r := range detections {
				if set.vetoed(m, int32(r)) {
					vetoes++
				}
			}
		}
	}
	if vetoes < 100 {
		t.Errorf("only %d vetoes found: the test does not exercise them", vetoes)
	}
}
