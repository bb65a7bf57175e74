package rules

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// everyRule is what evaluating every rule on ev, guards first, reports.
func everyRule(set *Set, ev Event) []int {
	m := &matcher{ev: ev, guardState: make([]uint8, len(set.guards))}
	set.loadGuardValues(m)
	var want []int
	for i := range set.compiled {
		ok := true
		for _, g := range set.compiled[i].guards {
			ok = ok && g.pass(m)
		}
		if ok && set.compiled[i].cond.eval(m) {
			want = append(want, i)
		}
	}
	return want
}

// keywordGroupsSet has keyword rules in two logsource groups that both
// apply to a Sysmon process creation, and field rules besides.
func keywordGroupsSet(t *testing.T) *Set {
	var srcs []Source
	add := func(logsource, detection string) {
		n := len(srcs)
		src := fmt.Sprintf("title: t%d\nid: k%d\nlogsource: %s\ndetection:\n%s", n, n, logsource, detection)
		srcs = append(srcs, Source{Name: fmt.Sprint(n), Data: []byte(src)})
	}
	for i := range 10 {
		add("{product: windows}", fmt.Sprintf("  keywords: ['sekurlsa::%d', 'kiwi%d']\n  condition: keywords", i, i))
		add("{product: windows, category: process_creation}",
			fmt.Sprintf("  keywords: ['-enc%d', 'sekurlsa::%d']\n  sel: {Image|endswith: '\\tool%d.exe'}\n  condition: keywords and sel", i, i, i))
	}
	add("{product: windows, category: image_load}", "  sel: {ImageLoaded|endswith: '.node'}\n  condition: sel")
	set, report, err := Compile(srcs, Options{})
	if err != nil || len(report.Skipped) > 0 {
		t.Fatalf("compile: %v %v", err, report.Skipped)
	}
	return set
}

// TestKeywordScansMerged: where two groups' keywords apply, one merged
// scan walks the event's strings, and Match reports what evaluating every
// rule does.
func TestKeywordScansMerged(t *testing.T) {
	set := keywordGroupsSet(t)
	events := []map[string]string{
		{"EventID": "1", "Channel": sysmonChannel, "Image": `C:\x\TOOL3.exe`, "CommandLine": "tool3 -ENC3 sekurlsa::3"},
		{"EventID": "1", "Channel": sysmonChannel, "Image": `C:\x\tool4.exe`, "CommandLine": "tool4 SEKURLSA::4"},
		{"EventID": "7", "Channel": sysmonChannel, "ImageLoaded": `C:\x\a.NODE`, "Description": "kiwi5 -enc6"},
		{"EventID": "1", "Channel": sysmonChannel, "Image": `C:\x\tool5.exe`, "CommandLine": "kiwi5"},
		{"EventID": "7", "Channel": sysmonChannel, "ImageLoaded": `C:\x\a.dll`},
	}
	for _, fields := range events {
		ev := mapEvent{set, fields}
		if got, want := set.Match(ev, nil), everyRule(set, ev); !slices.Equal(got, want) {
			t.Errorf("event %v: Match %v, every rule evaluated %v", fields, got, want)
		}
	}
	m := &matcher{ev: mapEvent{set, events[0]}}
	set.applyGroups(m)
	if d := m.decision(); len(d.kwScans) != 1 || d.kwScans[0].slot != keywordSlot {
		t.Errorf("process creation: %d keyword scans, want one merged", len(d.kwScans))
	}
}

// TestDecisionsKept: a Set decides each combination of guard values
// once, however events of different kinds interleave, for all matchers.
func TestDecisionsKept(t *testing.T) {
	set := keywordGroupsSet(t)
	kinds := []map[string]string{
		{"EventID": "1", "Channel": sysmonChannel},
		{"EventID": "7", "Channel": sysmonChannel},
		{"EventID": "4688", "Channel": "Security"},
	}
	m := &matcher{}
	seen := map[*groupDecision]bool{}
	for i := range 30 {
		m.ev = mapEvent{set, kinds[i*7%len(kinds)]}
		set.applyGroups(m)
		seen[m.dec] = true
	}
	if n := len(*set.decisions.byKey.Load()); n != len(kinds) || len(seen) != len(kinds) {
		t.Errorf("%d decisions kept, %d used, for %d kinds of event", n, len(seen), len(kinds))
	}
	for _, k := range kinds {
		other := &matcher{ev: mapEvent{set, k}}
		set.applyGroups(other)
		if !seen[other.dec] {
			t.Errorf("%v: another matcher decided again", k)
		}
		want := everyRuleGroups(set, mapEvent{set, k})
		for g := range set.groups {
			if other.groupApplies(int32(g)) != want[g] {
				t.Errorf("%v: group %d applies %v, want %v", k, g, !want[g], want[g])
			}
		}
	}
}

// everyRuleGroups evaluates every group's guards on ev.
func everyRuleGroups(set *Set, ev Event) []bool {
	m := &matcher{ev: ev, guardState: make([]uint8, len(set.guards))}
	set.loadGuardValues(m)
	out := make([]bool, len(set.groups))
	for g := range set.groups {
		out[g] = true
		for _, id := range set.groups[g].guards {
			out[g] = out[g] && set.guards[id].pass(m)
		}
	}
	return out
}

// TestConcurrentDecisions matches from several goroutines at once, each
// meeting the kinds of event in its own order; run with -race.
func TestConcurrentDecisions(t *testing.T) {
	set := keywordGroupsSet(t)
	events := []map[string]string{
		{"EventID": "1", "Channel": sysmonChannel, "Image": `C:\x\tool3.exe`, "CommandLine": "-enc3 sekurlsa::3"},
		{"EventID": "7", "Channel": sysmonChannel, "ImageLoaded": `C:\x\a.node`},
		{"EventID": "4688", "Channel": "Security", "CommandLine": "kiwi2"},
		{"EventID": "1", "Channel": sysmonChannel, "Provider_Name": "x", "CommandLine": "kiwi1"},
	}
	want := make([][]int, len(events))
	for i, f := range events {
		want[i] = everyRule(set, mapEvent{set, f})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 200 {
				i := (n + g*3) * (g + 1) % len(events)
				if got := set.Match(mapEvent{set, events[i]}, nil); !slices.Equal(got, want[i]) {
					t.Errorf("event %v: Match %v, want %v", events[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestDecisionCacheIsBounded: a stream of ever new guard values (a new
// EventID per event, long made-up providers) neither grows the cache past
// its bound nor keeps long keys, and every event is still decided right.
func TestDecisionCacheIsBounded(t *testing.T) {
	var srcs []Source
	for i := range 20 {
		srcs = append(srcs, Source{Name: fmt.Sprintf("r%d.yml", i), Data: []byte(fmt.Sprintf(
			"title: r%d\nid: r%d\nlogsource: {product: windows, service: security}\ndetection:\n  sel: {EventID: %d, TargetUserName: admin}\n  condition: sel\n", i, i, 4600+i))})
	}
	set, _, err := Compile(srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * maxDecisions {
		channel := "Security" // a guard field: long made-up channels for two events in three
		if i%3 != 0 {
			channel = strings.Repeat("c", i%3*maxDecisionKey)
		}
		ev := mapEvent{set, map[string]string{"EventID": fmt.Sprint(4600 + i), "Channel": channel, "TargetUserName": "admin"}}
		got := set.Match(ev, nil)
		if want := i < 20 && i%3 == 0; (len(got) == 1) != want {
			t.Fatalf("event %d: matched %v", i, got)
		}
	}
	p := set.decisions.byKey.Load()
	if n := len(*p); n > maxDecisions {
		t.Errorf("%d decisions kept, bound %d", n, maxDecisions)
	}
	for k := range *p {
		if len(k) > maxDecisionKey {
			t.Errorf("a key of %d bytes kept", len(k))
		}
	}
}
