package filter

import (
	"sort"
	"sync/atomic"
)

// Counters are what a filter has seen.
type Counters struct {
	Records   uint64 // records (not group markers or unparsable events)
	Matched   uint64 // records that matched at least one rule
	Dropped   uint64 // events match_only dropped: records, and events that are not records
	Malformed uint64 // chunks with a malformed tail
	Rules     []RuleCount
}

// RuleCount is how many records one rule matched.
type RuleCount struct {
	ID, Title string
	Count     uint64
}

// Key identifies the rule across refreshes: its id, or, for a rule without
// one (the specification makes id optional), its title.
func (r RuleCount) Key() string { return RuleKey(r.ID, r.Title) }

// RuleKey is RuleCount.Key for a rule's id and title.
func RuleKey(id, title string) string {
	if id != "" {
		return id
	}
	return "\x00" + title
}

// counters are a Filter's live counts.
type counters struct {
	records, matched, dropped, malformed atomic.Uint64
	rules                                []atomic.Uint64 // per rule
	// unnoted counts records process had no note of from the workers'
	// first pass, so that it ran the rules itself (parallel.go): none
	// unless the two passes split a chunk differently. Tests assert it.
	unnoted atomic.Uint64
}

// Counters returns what the filter has seen; Rules lists the rules that
// matched, most matches first.
func (f *Filter) Counters() Counters {
	c := Counters{
		Records: f.counts.records.Load(), Matched: f.counts.matched.Load(),
		Dropped: f.counts.dropped.Load(), Malformed: f.counts.malformed.Load(),
	}
	rs := f.metas
	for i := range f.counts.rules {
		if n := f.counts.rules[i].Load(); n > 0 {
			c.Rules = append(c.Rules, RuleCount{ID: rs[i].ID, Title: rs[i].Title, Count: n})
		}
	}
	sortRuleCounts(c.Rules)
	return c
}

// RecordCounts returns how many records matched and how many match_only
// dropped, cheaply (Counters also lists the rules).
func (f *Filter) RecordCounts() (matched, dropped uint64) {
	return f.counts.matched.Load(), f.counts.dropped.Load()
}

// add sums two sets of counts, rules by id.
func (c Counters) add(d Counters) Counters {
	out := Counters{Records: c.Records + d.Records, Matched: c.Matched + d.Matched, Dropped: c.Dropped + d.Dropped,
		Malformed: c.Malformed + d.Malformed}
	byKey := map[string]int{}
	for _, list := range [][]RuleCount{c.Rules, d.Rules} {
		for _, r := range list {
			if i, ok := byKey[r.Key()]; ok {
				out.Rules[i].Count += r.Count
				out.Rules[i].Title = r.Title
				continue
			}
			byKey[r.Key()] = len(out.Rules)
			out.Rules = append(out.Rules, r)
		}
	}
	sortRuleCounts(out.Rules)
	return out
}

func sortRuleCounts(list []RuleCount) {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Count > list[j].Count })
}
