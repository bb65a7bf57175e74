package correlate

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
)

const sec = int64(time.Second)

// feed observes one event per time for group g and returns all alerts.
func feed(e *Engine, spec int, g string, times ...int64) []Alert {
	var out []Alert
	for _, t := range times {
		out = e.Observe(Event{Spec: spec, Group: []string{g}, Time: t}, out)
	}
	return out
}

func secs(from, n int64) []int64 {
	t := make([]int64, n)
	for i := range t {
		t[i] = (from + int64(i)) * sec
	}
	return t
}

func countSpec(window time.Duration, bounds ...Bound) Spec {
	return Spec{Key: "c/1", Kind: EventCount, Refs: 1, Bounds: bounds, Window: window}
}

func TestEventCountOperators(t *testing.T) {
	// Each case feeds n events one second apart into a 60 s window, then
	// lets event time pass the window's end.
	cases := []struct {
		name   string
		bounds []Bound
		n      int64
		early  int // alerts while the window is open
		closed int // alerts decided at close
		value  float64
	}{
		{"gte met", []Bound{{GTE, 3}}, 3, 1, 0, 3},
		{"gte short", []Bound{{GTE, 3}}, 2, 0, 0, 0},
		{"gt met", []Bound{{GT, 3}}, 4, 1, 0, 4},
		{"gt equal", []Bound{{GT, 3}}, 3, 0, 0, 0},
		{"lt met", []Bound{{LT, 3}}, 2, 0, 1, 2},
		{"lt equal", []Bound{{LT, 3}}, 3, 0, 0, 0},
		{"lte met", []Bound{{LTE, 3}}, 3, 0, 1, 3},
		{"lte over", []Bound{{LTE, 3}}, 4, 0, 0, 0},
		{"eq met", []Bound{{EQ, 3}}, 3, 0, 1, 3},
		{"eq over", []Bound{{EQ, 3}}, 5, 0, 0, 0},
		{"neq met", []Bound{{NEQ, 3}}, 2, 0, 1, 2},
		{"neq equal", []Bound{{NEQ, 3}}, 3, 0, 0, 0},
		{"range met", []Bound{{GTE, 2}, {LTE, 4}}, 4, 0, 1, 4},
		{"range under", []Bound{{GTE, 2}, {LTE, 4}}, 1, 0, 0, 0},
		{"range over", []Bound{{GTE, 2}, {LTE, 4}}, 5, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New([]Spec{countSpec(time.Minute, c.bounds...)})
			early := feed(e, 0, "h", secs(0, c.n)...)
			if len(early) != c.early {
				t.Fatalf("alerts while open: got %d, want %d", len(early), c.early)
			}
			if at60 := e.Advance(60*sec, nil); len(at60) != 0 {
				t.Fatalf("window [0,60s] decided at 60s: %+v", at60)
			}
			closed := e.Advance(61*sec, nil)
			if len(closed) != c.closed {
				t.Fatalf("alerts at close: got %d, want %d", len(closed), c.closed)
			}
			all := append(early, closed...)
			if len(all) > 0 && (all[0].Value != c.value || all[0].Closed != (c.closed > 0)) {
				t.Fatalf("alert %+v, want value %v closed %v", all[0], c.value, c.closed > 0)
			}
		})
	}
}

func TestRestartAfterFiring(t *testing.T) {
	e := New([]Spec{countSpec(time.Hour, Bound{GTE, 5})})
	if got := feed(e, 0, "h", secs(0, 10)...); len(got) != 2 {
		t.Fatalf("burst of 10 over gte 5: got %d alerts, want 2", len(got))
	}
	if got := feed(e, 0, "h", secs(10, 4)...); len(got) != 0 {
		t.Fatalf("4 more after restart: got %d alerts, want 0", len(got))
	}
	if c := e.Counters(); c.Fired != 2 {
		t.Fatalf("Fired = %d, want 2", c.Fired)
	}
}

func TestSlidingWindow(t *testing.T) {
	e := New([]Spec{countSpec(10*time.Second, Bound{GTE, 3})})
	if got := feed(e, 0, "h", 0, 5*sec, 11*sec); len(got) != 0 {
		t.Fatalf("0,5,11 in a 10 s window: got %+v, want none (0 slid out)", got)
	}
	got := feed(e, 0, "h", 12*sec)
	if len(got) != 1 || got[0].Start != 2*sec || got[0].End != 12*sec || got[0].Value != 3 {
		t.Fatalf("5,11,12: got %+v, want one alert over [2s,12s] value 3", got)
	}
}

func TestSuppress(t *testing.T) {
	s := countSpec(time.Hour, Bound{GTE, 2})
	s.Suppress = 10 * time.Second
	e := New([]Spec{s})
	got := feed(e, 0, "h", 0, 1*sec, 2*sec, 3*sec, 12*sec, 13*sec)
	if len(got) != 2 || got[0].End != 1*sec || got[1].End != 13*sec {
		t.Fatalf("got %+v, want alerts ending at 1s and 13s", got)
	}
	if c := e.Counters(); c.Suppressed != 1 || c.Fired != 2 {
		t.Fatalf("counters %+v, want Suppressed 1 Fired 2", c)
	}
}

func TestOutOfOrder(t *testing.T) {
	e := New([]Spec{countSpec(10*time.Second, Bound{GTE, 3})})
	if got := feed(e, 0, "h", 10*sec, 20*sec); len(got) != 0 {
		t.Fatalf("got %+v", got)
	}
	got := feed(e, 0, "h", 15*sec)
	if len(got) != 1 || got[0].Value != 3 {
		t.Fatalf("late 15s within delay: got %+v, want an alert of 3", got)
	}
	if got := feed(e, 0, "h", 9*sec); len(got) != 0 || e.Counters().Late != 1 {
		t.Fatalf("9s after 20s with delay 10s: alerts %+v, late %d, want none and 1", got, e.Counters().Late)
	}
}

func TestMaxDelay(t *testing.T) {
	s := countSpec(10*time.Second, Bound{GTE, 2})
	s.MaxDelay = 2 * time.Second
	e := New([]Spec{s})
	feed(e, 0, "h", 10*sec, 7*sec)
	if c := e.Counters(); c.Late != 1 || c.Fired != 0 {
		t.Fatalf("3 s late with MaxDelay 2 s: %+v, want Late 1 Fired 0", c)
	}
	if got := feed(e, 0, "h", 8*sec); len(got) != 1 {
		t.Fatalf("2 s late: got %+v, want an alert", got)
	}
}

func TestLateAfterDecidedWindow(t *testing.T) {
	e := New([]Spec{countSpec(10*time.Second, Bound{LT, 5})})
	feed(e, 0, "h", 0, 5*sec)
	if got := feed(e, 0, "h", 11*sec); len(got) != 1 || !got[0].Closed || got[0].Value != 2 {
		t.Fatalf("event past the end: got %+v, want the closed window of 2", got)
	}
	feed(e, 0, "h", 9*sec) // belongs to the decided window
	if c := e.Counters(); c.Late != 1 {
		t.Fatalf("Late = %d, want 1", c.Late)
	}
	got := e.Advance(22*sec, nil)
	if len(got) != 1 || got[0].Start != 11*sec || got[0].Value != 1 {
		t.Fatalf("second window: got %+v, want [11s,21s] of 1", got)
	}
}

func TestWatermark(t *testing.T) {
	e := New([]Spec{countSpec(time.Minute, Bound{LT, 5})})
	if e.Watermark() != math.MinInt64 {
		t.Fatalf("watermark before any event: %d", e.Watermark())
	}
	feed(e, 0, "a", 10*sec, 5*sec)
	if e.Watermark() != 10*sec {
		t.Fatalf("watermark %d, want 10s (the newest, not the last)", e.Watermark())
	}
	got := feed(e, 0, "b", 80*sec) // decides a's window [10s,70s] if they share a shard
	one(t, e.Advance(e.Watermark(), got), 2, true)
}

func TestObserveDecidesOtherGroupsInShard(t *testing.T) {
	s := countSpec(10*time.Second, Bound{LT, 5})
	s.MaxGroups = 1000 // one shard
	e := New([]Spec{s})
	feed(e, 0, "a", 0)
	// b's event at 20 s closes a's window: same shard.
	got := feed(e, 0, "b", 20*sec)
	if len(got) != 1 || got[0].Group[0] != "a" || !got[0].Closed {
		t.Fatalf("got %+v, want a's closed window", got)
	}
}

func TestEviction(t *testing.T) {
	s := countSpec(time.Hour, Bound{GTE, 2})
	s.MaxGroups = 2
	e := New([]Spec{s})
	feed(e, 0, "a", 0)
	feed(e, 0, "b", 1*sec)
	feed(e, 0, "a", 2*sec) // touches a (and fires: gte 2)
	feed(e, 0, "c", 3*sec) // evicts b, the least recently updated
	if c := e.Counters(); c.Evicted != 1 || c.Groups != 2 {
		t.Fatalf("counters %+v, want Evicted 1 Groups 2", c)
	}
	if got := feed(e, 0, "b", 4*sec); len(got) != 0 {
		t.Fatalf("b was evicted, its second event must start afresh: got %+v", got)
	}
}

func TestExpiry(t *testing.T) {
	// Default MaxGroups: 64 shards. Observe frees expired groups of its own
	// shard, Advance one shard per call.
	e := New([]Spec{countSpec(10*time.Second, Bound{GTE, 5})})
	for i := range 100 {
		feed(e, 0, fmt.Sprint(i), int64(i)*sec/10)
	}
	if c := e.Counters(); c.Groups != 100 {
		t.Fatalf("Groups = %d, want 100", c.Groups)
	}
	for i := range 10 {
		feed(e, 0, "new", 100*sec+int64(i))
	}
	for range maxShards {
		e.Advance(100*sec, nil)
	}
	if c := e.Counters(); c.Groups != 1 {
		t.Fatalf("after time moved 100 s past a 10 s window: Groups = %d, want 1", c.Groups)
	}
	feed(e, 0, "old", 50*sec)
	if c := e.Counters(); c.Late != 1 || c.Groups != 1 {
		t.Fatalf("event older than the expiry horizon: %+v, want Late 1 and no new group", c)
	}
}

func TestGroupKeysDoNotCollide(t *testing.T) {
	e := New([]Spec{countSpec(time.Hour, Bound{GTE, 2})})
	out := e.Observe(Event{Group: []string{"a", "b"}, Time: 1}, nil)
	out = e.Observe(Event{Group: []string{"ab"}, Time: 2}, out)
	out = e.Observe(Event{Group: []string{"ab", ""}, Time: 3}, out)
	if len(out) != 0 || e.Counters().Groups != 3 {
		t.Fatalf("alerts %+v groups %d, want none and 3", out, e.Counters().Groups)
	}
	out = e.Observe(Event{Group: []string{"a", "b"}, Time: 4}, out)
	if len(out) != 1 || !reflect.DeepEqual(out[0].Group, []string{"a", "b"}) {
		t.Fatalf("got %+v, want group [a b]", out)
	}
}

func TestEmptyGroupIsOneGroup(t *testing.T) {
	e := New([]Spec{countSpec(time.Hour, Bound{GTE, 2})})
	out := e.Observe(Event{Time: 1}, nil)
	out = e.Observe(Event{Time: 2}, out)
	if len(out) != 1 || len(out[0].Group) != 0 {
		t.Fatalf("got %+v, want one alert with no group values", out)
	}
}

func TestIgnoredEvents(t *testing.T) {
	e := New([]Spec{
		countSpec(time.Hour, Bound{GTE, 1}),
		{Key: "s", Kind: ValueSum, Refs: 1, Bounds: []Bound{{GTE, 1}}, Window: time.Hour},
		{Key: "bad", Kind: Kind(99), Refs: 1, Bounds: []Bound{{GTE, 1}}, Window: time.Hour},
	})
	var out []Alert
	out = e.Observe(Event{Spec: 5, Time: 1}, out)
	out = e.Observe(Event{Spec: -1, Time: 1}, out)
	out = e.Observe(Event{Spec: 0, Ref: 1, Time: 1}, out)
	out = e.Observe(Event{Spec: 1, Number: 5, Time: 1}, out)
	out = e.Observe(Event{Spec: 1, Number: math.NaN(), HasValue: true, Time: 1}, out)
	out = e.Observe(Event{Spec: 2, Time: 1}, out)
	if len(out) != 0 || e.Counters().Groups != 0 {
		t.Fatalf("alerts %+v groups %d, want nothing counted", out, e.Counters().Groups)
	}
}

// The specification's event_count example: gte 100 failed logins per
// ComputerName in 1h.
func TestSpecExampleManyFailedLogins(t *testing.T) {
	e := New([]Spec{countSpec(time.Hour, Bound{GTE, 100})})
	var out []Alert
	for i := range int64(99) {
		out = feed(e, 0, "dc1", i*30*sec)
		out = append(out, feed(e, 0, "dc2", i*30*sec)...)
	}
	if len(out) != 0 {
		t.Fatalf("99 each: got %+v", out)
	}
	out = feed(e, 0, "dc1", 99*30*sec)
	if len(out) != 1 || out[0].Group[0] != "dc1" || out[0].Value != 100 {
		t.Fatalf("100th for dc1: got %+v", out)
	}
	// dc2's first event slid out of the hour by 2h
	if out = feed(e, 0, "dc2", 2*3600*sec); len(out) != 0 {
		t.Fatalf("dc2 after its events left the hour: got %+v", out)
	}
}

// The specification's brute-force example: event_count gte 10 per User in
// 10m chained into temporal_ordered [multiple_failed_login,
// successful_login] per User in 10m.
func TestSpecExampleBruteForceChain(t *testing.T) {
	e := New([]Spec{
		{Key: "chain", Kind: TemporalOrdered, Refs: 2, Window: 10 * time.Minute},
		countSpec(10*time.Minute, Bound{GTE, 10}),
	})
	feedChain := func(user string, t int64, success bool) []Alert {
		if success {
			return e.Observe(Event{Spec: 0, Ref: 1, Group: []string{user}, Time: t}, nil)
		}
		var chained []Alert
		for _, a := range e.Observe(Event{Spec: 1, Group: []string{user}, Time: t}, nil) {
			chained = e.Observe(Event{Spec: 0, Ref: 0, Group: a.Group, Time: a.End}, chained)
		}
		return chained
	}
	var out []Alert
	feedChain("bob", 0, true) // a success before the failures does not count
	for i := range int64(10) {
		out = append(out, feedChain("bob", (1+i)*sec, false)...)
	}
	if len(out) != 0 {
		t.Fatalf("failures alone: got %+v", out)
	}
	out = feedChain("bob", 30*sec, true)
	if len(out) != 1 || !reflect.DeepEqual(out[0].Refs, []int{0, 1}) || out[0].Group[0] != "bob" {
		t.Fatalf("success after 10 failures: got %+v, want refs [0 1] for bob", out)
	}
}

// The specification's value_count example: more than or equal 100
// different user accounts per ComputerName and WorkstationName in a day.
func TestSpecExampleManyUsers(t *testing.T) {
	e := New([]Spec{{Key: "vc", Kind: ValueCount, Refs: 1, Bounds: []Bound{{GTE, 100}}, Window: 24 * time.Hour}})
	obs := func(ws string, user int, tm int64) []Alert {
		return e.Observe(Event{Group: []string{"dc1", ws}, Time: tm, Value: []byte(fmt.Sprint("user", user)), HasValue: true}, nil)
	}
	for i := range 99 {
		none(t, obs("ws1", i, int64(i)*sec))
		none(t, obs("ws1", i, int64(i)*sec+1)) // the same users again add nothing
		none(t, obs("ws2", i, int64(i)*sec))
	}
	a := one(t, obs("ws1", 99, 100*sec), 100, false)
	if !reflect.DeepEqual(a.Group, []string{"dc1", "ws1"}) {
		t.Fatalf("group %v", a.Group)
	}
}

// TestLateBeforeRebasedBase: with a delay longer than the window, an event
// that is not late for the correlation but older than the group's kept
// window (newest-Window, where rebasing moves the base) is not counted:
// counted, its time wrapped to a garbage offset and completed a window
// it is not in.
func TestLateBeforeRebasedBase(t *testing.T) {
	s := countSpec(10*time.Second, Bound{GTE, 2})
	s.MaxDelay = 100 * time.Second
	e := New([]Spec{s})
	if got := feed(e, 0, "G", 0, 60*sec, 60*sec+sec/2); len(got) != 1 {
		t.Fatalf("two events within 10 s: got %+v, want one alert", got)
	}
	feed(e, 0, "G", 1*sec, 40*sec) // within the delay, outside any window ending at 60.5 s
	if got := feed(e, 0, "G", 75*sec); len(got) != 0 {
		t.Fatalf("one event in [65s,75s]: got %+v, want no alert", got)
	}
}

// TestLateAfterExpiredGroup: a group freed once its newest event left the
// horizon still remembers, until its decided window's end leaves it too,
// that the window was decided: an event inside it is late, not the start
// of a second, overlapping window that fires again.
func TestLateAfterExpiredGroup(t *testing.T) {
	e := New([]Spec{countSpec(10*time.Second, Bound{LT, 5})})
	var got []Alert
	got = append(got, feed(e, 0, "G", 0)...)
	got = append(got, feed(e, 0, "H", 25*sec)...) // decides G's [0s,10s]
	got = append(got, feed(e, 0, "G", 8*sec)...)  // inside it: late
	got = e.Advance(40*sec, got)
	var windows []string
	for _, a := range got {
		windows = append(windows, fmt.Sprintf("%v [%ds,%ds]", a.Group, a.Start/sec, a.End/sec))
	}
	if fmt.Sprint(windows) != "[[G] [0s,10s] [H] [25s,35s]]" || e.Counters().Late != 1 {
		t.Fatalf("alerts %v, late %d; want G's [0s,10s] and H's [25s,35s], and the 8 s event late", windows, e.Counters().Late)
	}
}

// TestValueCountAtTheLimit: the largest conditions the rules accept
// (rules.MaxValueCount, MaxDistinct-1) fire on exactly the distinct value
// that meets them.
func TestValueCountAtTheLimit(t *testing.T) {
	for _, b := range []Bound{{GTE, MaxDistinct - 1}, {GT, MaxDistinct - 1}} {
		e := New([]Spec{{Key: "v/1", Kind: ValueCount, Refs: 1, Bounds: []Bound{b}, Window: time.Hour}})
		firedAt := -1
		for i := range MaxDistinct + 10 {
			if got := e.Observe(Event{Group: []string{"h"}, Time: sec, Value: []byte(fmt.Sprint(i)), HasValue: true}, nil); len(got) > 0 && firedAt < 0 {
				firedAt = i + 1
			}
		}
		want := int(b.Value)
		if b.Op == GT {
			want++
		}
		if firedAt != want {
			t.Errorf("%v: fired at the %dth distinct value, want the %dth", b, firedAt, want)
		}
	}
}

// TestLateRecordCompletesAnEarlierWindow: a record that comes late (within
// the timespan) and completes a window that ended before it came fires,
// with that window: failed logons at 0 s, 1 s and 11.5 s, then one at 2 s
// last, meet gte 3 in 10 s in [-8 s, 2 s].
func TestLateRecordCompletesAnEarlierWindow(t *testing.T) {
	e := New([]Spec{countSpec(10*time.Second, Bound{GTE, 3})})
	base := int64(1 << 40)
	at := func(ms int64) Event {
		return Event{Group: []string{"10.1.2.3"}, Time: base + ms*int64(time.Millisecond)}
	}
	for _, ms := range []int64{0, 1000, 11500} {
		if got := e.Observe(at(ms), nil); len(got) != 0 {
			t.Fatalf("fired at %d ms: %+v", ms, got)
		}
	}
	got := e.Observe(at(2000), nil)
	if len(got) != 1 || got[0].Value != 3 || got[0].End != at(2000).Time || got[0].Start != at(2000).Time-int64(10*time.Second) {
		t.Fatalf("late record: %+v, want one alert of 3 in the window ending at it", got)
	}
}

// TestLateFireKeepsTheEventsAfterIt: a window a late record completes
// restarts the count up to its end only: the events after it count on
// (0, 1, 11.5, 12 and 13 s with 2 s after 12 s give two alerts of gte 3 in
// 10 s, as in time order).
func TestLateFireKeepsTheEventsAfterIt(t *testing.T) {
	e := New([]Spec{countSpec(10*time.Second, Bound{GTE, 3})})
	base := int64(1 << 40)
	fired := 0
	for _, ms := range []int64{0, 1000, 11500, 12000, 2000, 13000} {
		fired += len(e.Observe(Event{Group: []string{"g"}, Time: base + ms*int64(time.Millisecond)}, nil))
	}
	if fired != 2 {
		t.Errorf("%d alerts, want 2", fired)
	}
}

// TestSlidingGroupOutlivesTheLateHorizon: a group whose newest event is
// older than the watermark minus timespan and max delay is kept while a
// record not yet late may still need it in its window: a at 0 s, b's
// group at 25 s, then a at 6 s meet gte 2 in 10 s.
func TestSlidingGroupOutlivesTheLateHorizon(t *testing.T) {
	e := New([]Spec{countSpec(10*time.Second, Bound{GTE, 2})})
	base := int64(1 << 40)
	at := func(group string, s int64) Event {
		return Event{Group: []string{group}, Time: base + s*int64(time.Second)}
	}
	e.Observe(at("a", 0), nil)
	e.Observe(at("b", 25), nil)
	if got := e.Observe(at("a", 6), nil); len(got) != 1 {
		t.Errorf("a at 6 s: %d alerts, want 1", len(got))
	}
}

// TestHugeTimespanFires: the longest timespan the rules accept still
// counts (its span of kept times saturates rather than wrapping).
func TestHugeTimespanFires(t *testing.T) {
	e := New([]Spec{countSpec(200*365*24*time.Hour, Bound{GTE, 2})})
	base := int64(1 << 40)
	e.Observe(Event{Group: []string{"g"}, Time: base}, nil)
	if got := e.Observe(Event{Group: []string{"g"}, Time: base + int64(time.Hour)}, nil); len(got) != 1 {
		t.Errorf("%d alerts, want 1", len(got))
	}
}
