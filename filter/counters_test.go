package filter

import (
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// TestCounters: records, matches, drops and malformed chunks are counted
// as Process sees them; group markers are not records.
func TestCounters(t *testing.T) {
	f := newFilter(t, Config{MatchOnly: true})
	var chunk []byte
	for i := 0; i < 10; i++ {
		body := fixture.BenignImageLoad(i)
		if i%5 == 0 {
			body = fixture.UnsignedNodeLoad(i)
		}
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	chunk = fixture.Event(chunk, -1, nil, fixture.Map{}) // a group marker is not a record
	f.Process(nil, append(chunk, 0xc1))                  // and a malformed tail
	c := f.Counters()
	if c.Records != 10 || c.Matched != 2 || c.Dropped != 8 || c.Malformed != 1 || len(c.Rules) != 1 || c.Rules[0].Count != 2 {
		t.Errorf("%+v", c)
	}
}

// TestCountersKeepRulesWithoutID: rules without an id are counted apart
// (by title) when counts are summed across a refresh, not merged.
func TestCountersKeepRulesWithoutID(t *testing.T) {
	a := Counters{Rules: []RuleCount{{Title: "one", Count: 2}, {Title: "two", Count: 3}}}
	b := Counters{Rules: []RuleCount{{Title: "one", Count: 1}}}
	got := a.add(b).Rules
	if len(got) != 2 || got[0].Title != "one" || got[0].Count != 3 || got[1].Title != "two" || got[1].Count != 3 {
		t.Errorf("got %+v", got)
	}
}
