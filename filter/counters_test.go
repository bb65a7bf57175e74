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
