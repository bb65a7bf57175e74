package correlate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// allKinds has one spec of each kind, sliding and window-close.
func allKinds() []Spec {
	pct := spec(Percentile, 1, time.Minute, Bound{GTE, 40})
	pct.Percentile = 50
	pctClose := spec(Percentile, 1, 30*time.Second, Bound{LT, 40})
	pctClose.Key, pctClose.Percentile = "pct-close", 90
	specs := []Spec{
		spec(EventCount, 2, time.Minute, Bound{GTE, 5}),
		spec(ValueCount, 1, time.Minute, Bound{GTE, 4}),
		spec(Temporal, 3, time.Minute),
		spec(TemporalOrdered, 3, time.Minute),
		spec(ValueSum, 1, time.Minute, Bound{GT, 300}),
		spec(ValueAvg, 1, time.Minute, Bound{GT, 70}),
		spec(ValueShare, 1, time.Minute, Bound{LTE, 20}),
		pct,
		pctClose,
		{Key: "count-close", Kind: EventCount, Refs: 1, Bounds: []Bound{{GTE, 20}, {LTE, 30}}, Window: 30 * time.Second},
		{Key: "sum-close", Kind: ValueSum, Refs: 1, Bounds: []Bound{{LTE, 100}}, Window: 30 * time.Second},
		{Key: "distinct-close", Kind: ValueCount, Refs: 1, Bounds: []Bound{{NEQ, 3}}, Window: 30 * time.Second},
	}
	for i := range specs {
		specs[i].Suppress = 3 * time.Second
	}
	return specs
}

// stream is a deterministic mixed stream over specs, groups and refs.
func stream(specs []Spec, from, n int) []Event {
	var evs []Event
	for i := from; i < from+n; i++ {
		s, j := i%len(specs), i/len(specs)
		evs = append(evs, Event{
			Spec: s, Group: []string{fmt.Sprint("h", j%2), "u"}, Time: int64(i) * sec / 20,
			Ref: (j / 3) % max(specs[s].Refs, 1), Value: []byte(fmt.Sprint("v", j%9)),
			Number: float64(j%100) * float64(i/1000%3), HasValue: true,
		})
	}
	return evs
}

func observeAll(e *Engine, evs []Event) []Alert {
	var out []Alert
	for _, ev := range evs {
		out = e.Observe(ev, out)
	}
	return e.Advance(evs[len(evs)-1].Time, out)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	specs := allKinds()
	path := filepath.Join(t.TempDir(), "state")
	orig := New(specs)
	if got := observeAll(orig, stream(specs, 0, 2000)); len(got) == 0 {
		t.Fatal("the first half fired nothing: the stream is too weak to compare")
	}
	if err := orig.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded := New(specs)
	rep, err := loaded.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Specs != len(specs) || rep.Groups != orig.Counters().Groups || rep.DroppedSpecs != 0 {
		t.Fatalf("report %+v, want %d specs, %d groups", rep, len(specs), orig.Counters().Groups)
	}
	if a, b := orig.marshal(), loaded.marshal(); string(a) != string(b) {
		t.Fatalf("state saved after loading differs from the original (%d and %d bytes)", len(b), len(a))
	}
	rest := stream(specs, 2000, 2000)
	want, got := observeAll(orig, rest), observeAll(loaded, rest)
	perSpec := make([]int, len(specs))
	for _, a := range want {
		perSpec[a.Spec]++
	}
	for i, n := range perSpec {
		if n == 0 {
			t.Errorf("spec %s fired nothing after the reload point: the stream does not exercise it", specs[i].Key)
		}
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after reload %d alerts, without %d; first differing:\n%s", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []Alert) string {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("%+v\n%+v", a[i], b[i])
		}
	}
	return "(length only)"
}

func TestOpenWindowDecidedAfterRestore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s := countSpec(time.Minute, Bound{LT, 5})
	e := New([]Spec{s})
	feed(e, 0, "h", 0, sec)
	if err := e.Save(path); err != nil {
		t.Fatal(err)
	}
	r := New([]Spec{s})
	if _, err := r.Load(path); err != nil {
		t.Fatal(err)
	}
	none(t, r.Advance(60*sec, nil))
	a := one(t, r.Advance(61*sec, nil), 2, true)
	if a.Start != 0 || a.End != 60*sec || a.Group[0] != "h" {
		t.Fatalf("alert %+v, want [0,60s] for h", a)
	}
}

func TestLoadDropsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	a, b := countSpec(time.Minute, Bound{GTE, 3}), countSpec(time.Minute, Bound{GTE, 3})
	a.Key, b.Key = "a/1", "b/1"
	e := New([]Spec{a, b})
	feed(e, 0, "h", 1, 2)
	feed(e, 1, "h", 1, 2)
	if err := e.Save(path); err != nil {
		t.Fatal(err)
	}
	b2 := b
	b2.Key = "b/2"
	r := New([]Spec{b2, a})
	rep, err := r.Load(path)
	if err != nil || rep.Specs != 1 || rep.Groups != 1 || rep.DroppedSpecs != 1 {
		t.Fatalf("report %+v err %v, want 1 spec, 1 group, 1 dropped", rep, err)
	}
	one(t, feed(r, 1, "h", 3), 3, false)
	none(t, feed(r, 0, "h", 3))
}

func TestAdopt(t *testing.T) {
	a, b := countSpec(time.Minute, Bound{GTE, 3}), countSpec(time.Minute, Bound{LT, 5})
	a.Key, b.Key = "a/1", "b/1"
	old := New([]Spec{a, b})
	feed(old, 0, "h", 1, 2)
	feed(old, 1, "h", 1, 2)
	a2 := a
	a2.Key = "a/2" // definition changed
	e := New([]Spec{b, a2})
	e.Adopt(old)
	none(t, feed(e, 1, "h", 3)) // a/2 starts empty
	got := e.Advance(int64(time.Minute)+2, nil)
	if len(got) != 1 || got[0].Spec != 0 || got[0].Value != 2 || !got[0].Closed {
		t.Fatalf("got %+v, want b's open window (2 events) decided under its new index 0", got)
	}
	if c := e.Counters(); c.Groups != 2 {
		t.Fatalf("Groups = %d, want 2", c.Groups)
	}
}

func TestAdoptKeepsRecency(t *testing.T) {
	s := countSpec(time.Hour, Bound{GTE, 2})
	s.MaxGroups = 2
	old := New([]Spec{s})
	feed(old, 0, "a", 1)
	feed(old, 0, "b", 2)
	e := New([]Spec{s})
	e.Adopt(old)
	feed(e, 0, "c", 3)                   // evicts a, the least recent
	one(t, feed(e, 0, "b", 4), 2, false) // b kept its event from before
	if c := e.Counters(); c.Evicted != 1 {
		t.Fatalf("Evicted = %d, want 1", c.Evicted)
	}
}

func validState(t testing.TB) []byte {
	e := New([]Spec{countSpec(time.Minute, Bound{GTE, 3}), countSpec(time.Minute, Bound{LT, 3})})
	e.specs[1].p.Key = "close"
	feed(e, 0, "h", 1, 2)
	feed(e, 1, "h", 1)
	path := filepath.Join(t.TempDir(), "valid")
	if err := e.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// loadBytes loads data into an engine that already holds a group, and
// checks that a failed load leaves it empty.
func loadBytes(t *testing.T, data []byte) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state")
	writeSettled(t, path, data)
	e := New([]Spec{countSpec(time.Minute, Bound{GTE, 3})})
	feed(e, 0, "x", 1)
	_, err := e.Load(path)
	if err != nil && e.Counters().Groups != 0 {
		t.Fatalf("failed load left %d groups", e.Counters().Groups)
	}
	return err
}

// writeSettled writes a file dated a minute ago, so Load does not wait for
// it to settle (safefile.Settle) in tests that load thousands of files.
func writeSettled(t testing.TB, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func withCRC(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
}

func TestLoadCorrupt(t *testing.T) {
	good := validState(t)
	if err := loadBytes(t, good); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	for i := range len(good) {
		if err := loadBytes(t, good[:i]); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("truncated at %d: err %v, want ErrCorruptState", i, err)
		}
		// A flip in the magic or the version makes another file; anywhere
		// else, a damaged state file.
		want := ErrCorruptState
		if i <= len(stateMagic) {
			want = ErrForeignState
		}
		flipped := append([]byte(nil), good...)
		flipped[i] ^= 0x20
		if err := loadBytes(t, flipped); !errors.Is(err, want) {
			t.Fatalf("byte %d flipped: err %v, want %v", i, err, want)
		}
	}
	body := good[:len(good)-4]
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "truncated", nil},
		{"magic", "bad magic", withCRC(append([]byte("SIGMAXORRSTATE"), body[14:]...))},
		{"version", "version 9", withCRC(append(append([]byte(stateMagic), 9), body[15:]...))},
		{"version 0", "version 0", withCRC(append(append([]byte(stateMagic), 0), body[15:]...))},
		{"checksum", "checksum mismatch", append(append([]byte(nil), body...), 0, 0, 0, 0)},
		{"absurd spec count", "exceeds its limit", withCRC(append([]byte(stateMagic), 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f))},
		{"trailing bytes", "after the last spec", withCRC(append(append([]byte(nil), body...), 0))},
		{"bad varint", "bad varint", withCRC(append([]byte(stateMagic), 1, 0x80))},
	}
	// A version 1 file (at most N times per event_count group) reads.
	if err := loadBytes(t, withCRC(append(append([]byte(stateMagic), 1), body[15:]...))); err != nil {
		t.Errorf("a version 1 file: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := loadBytes(t, c.data)
			want := ErrCorruptState
			if c.name == "magic" || strings.HasPrefix(c.name, "version") {
				want = ErrForeignState
			}
			if !errors.Is(err, want) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %v mentioning %q", err, want, c.want)
			}
		})
	}
}

func TestLoadAbsurdGroupLengths(t *testing.T) {
	// A well-framed file whose spec claims more event times than gte 3 can need.
	var w encoder
	w.b = append([]byte(stateMagic), stateVersion)
	w.varint(0)
	w.uvarint(1)
	var g encoder
	g.str("\x01h")
	for range 4 {
		g.varint(0)
	}
	g.uvarint(1)
	g.uvarint(0)
	g.varint(0)     // base
	g.uvarint(1000) // times
	for i := range 1000 {
		g.varint(int64(i))
	}
	w.str("c/1")
	w.uvarint(uint64(EventCount))
	w.uvarint(1)
	w.uvarint(uint64(len(g.b)))
	w.b = append(w.b, g.b...)
	err := loadBytes(t, withCRC(w.b))
	if !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), "event times length 1000 exceeds its limit 5") {
		t.Fatalf("err %v", err)
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	e := New([]Spec{countSpec(time.Minute, Bound{GTE, 3})})
	if rep, err := e.Load(filepath.Join(dir, "missing")); err != nil || rep != (LoadReport{}) {
		t.Fatalf("missing file: %+v %v, want empty start", rep, err)
	}
	if _, err := e.Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("directory: err %v", err)
	}
	if err := e.Save(filepath.Join(dir, "nodir", "state")); err == nil {
		t.Fatal("save into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left behind %v", entries)
	}
}

func TestSaveLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	e := New([]Spec{countSpec(time.Minute, Bound{GTE, 3})})
	feed(e, 0, "h", 1)
	for range 3 {
		if err := e.Save(filepath.Join(dir, "state")); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "state" {
		t.Fatalf("directory holds %v, want only state", entries)
	}
}

func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	unlock, err := LockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockFile(path); err == nil || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "another instance") {
		t.Fatalf("second lock in the same process: err %v, want one naming %s and another instance", err, path)
	}
	unlock()
	unlock2, err := LockFile(path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestConcurrent(t *testing.T) {
	s := countSpec(time.Hour, Bound{GTE, 10})
	s.MaxGroups = 1 << 20
	e := New([]Spec{s, countSpec(time.Hour, Bound{LT, 3})})
	const workers, perWorker = 8, 5000
	var wg sync.WaitGroup
	var mu sync.Mutex
	fired := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []Alert
			for i := range perWorker {
				g := []string{fmt.Sprint(w), fmt.Sprint(i % 50)}
				out = e.Observe(Event{Spec: i % 2, Group: g, Time: int64(i)}, out[:0])
				mu.Lock()
				fired += len(out)
				mu.Unlock()
			}
		}()
	}
	stop, done := make(chan struct{}), make(chan struct{})
	path := filepath.Join(t.TempDir(), "state")
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				e.Advance(0, nil)
				e.Counters()
				if err := e.Save(path); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-done
	// spec 0 gets 2500 events per worker over 50 groups (25 of them, by
	// parity of i): 100 each, 10 alerts per group.
	if want := workers * 25 * 10; fired != want || e.Counters().Fired != uint64(want) {
		t.Fatalf("fired %d (counter %d), want %d", fired, e.Counters().Fired, want)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(validState(f))
	f.Add([]byte(stateMagic))
	f.Add(withCRC(append([]byte(stateMagic), 1, 0, 1, 3, 'c', '/', '1', 0, 1, 20)))
	specs := []Spec{countSpec(time.Minute, Bound{GTE, 3}), countSpec(time.Minute, Bound{LT, 3})}
	specs[1].Key = "close"
	specs = append(specs, allKinds()...)
	for i := range specs {
		specs[i].MaxGroups = 1000 // one shard each: a cheaper New per input
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "state")
		writeSettled(t, path, data)
		e := New(specs)
		if _, err := e.Load(path); err != nil {
			if e.Counters().Groups != 0 {
				t.Fatal("failed load left groups")
			}
			return
		}
		// Whatever loaded must keep working.
		observeAll(e, stream(specs, 0, 50))
		e.Advance(1<<62, nil)
	})
}

// TestAdoptWinsOverTheStateFile: a new instance reads the state file at
// start, then adopts its predecessor's state in memory, which is newer
// (the file may be a checkpoint old, or its last save may have failed).
func TestAdoptWinsOverTheStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s := countSpec(time.Hour, Bound{GTE, 10})
	old := New([]Spec{s})
	feed(old, 0, "h", 1, 2, 3)
	if err := old.Save(path); err != nil {
		t.Fatal(err)
	}
	feed(old, 0, "h", 4, 5, 6, 7, 8) // 8 events in memory, 3 in the file
	e := New([]Spec{s})
	if _, err := e.Load(path); err != nil {
		t.Fatal(err)
	}
	e.Adopt(old)
	none(t, feed(e, 0, "h", 9))
	one(t, feed(e, 0, "h", 10), 10, false)
}

// TestSaveLoadLongValues: whatever Save writes, Load reads back: a group-by
// value of 70,000 bytes (a long command line) or a distinct value of 2 MiB
// must not make the whole file unreadable at the next start.
func TestSaveLoadLongValues(t *testing.T) {
	specs := []Spec{
		countSpec(time.Hour, Bound{GTE, 5}),
		{Key: "v/1", Kind: ValueCount, Refs: 1, Bounds: []Bound{{GTE, 5}}, Window: time.Hour},
	}
	e := New(specs)
	feed(e, 0, "short", sec)
	feed(e, 0, strings.Repeat("A", 70000), 2*sec)
	e.Observe(Event{Spec: 1, Group: []string{"h"}, Time: 3 * sec, Value: make([]byte, 2<<20), HasValue: true}, nil)
	path := filepath.Join(t.TempDir(), "state")
	if err := e.Save(path); err != nil {
		t.Fatal(err)
	}
	restored := New(specs)
	if rep, err := restored.Load(path); err != nil || rep.Groups != 3 {
		t.Fatalf("load: %+v, %v; want the 3 groups saved", rep, err)
	}
}

// TestLoadRefusesForeignRules: a group whose rules mask names more rules
// than its correlation has (a file crafted with a valid checksum) is
// refused: alerts from it would name rules that do not exist.
func TestLoadRefusesForeignRules(t *testing.T) {
	three := Spec{Key: "c/1", Kind: EventCount, Refs: 3, Bounds: []Bound{{GTE, 5}}, Window: time.Hour}
	e := New([]Spec{three})
	e.Observe(Event{Spec: 0, Group: []string{"h"}, Time: sec, Ref: 2}, nil)
	path := filepath.Join(t.TempDir(), "state")
	if err := e.Save(path); err != nil {
		t.Fatal(err)
	}
	two := three
	two.Refs = 2 // same key: what a crafted file would claim
	if _, err := New([]Spec{two}).Load(path); !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), "names more rules") {
		t.Fatalf("err %v, want ErrCorruptState naming the rules mask", err)
	}
}

// TestLoadManyGroupsTakesBoundedMemory: a file of 20,000 tiny groups
// (a quarter of a megabyte) for a correlation that keeps 10, each group's
// event times taking 16 KiB when made, is loaded in about the memory of
// the 10 it keeps, not of all 20,000 (320 MB), and keeps the newest.
func TestLoadManyGroupsTakesBoundedMemory(t *testing.T) {
	spec := countSpec(time.Hour, Bound{GTE, 4096})
	spec.MaxGroups = 10
	var g encoder
	const n = 20000
	for i := range n {
		g.str(string(appendKey(nil, []string{fmt.Sprint(i)})))
		g.varint(int64(i)) // newest
		for range 3 {
			g.varint(noTime) // window start, floor, mute
		}
		g.uvarint(1) // rules mask
		g.uvarint(0) // no open window
		g.varint(0)  // base of the event times
		g.uvarint(0) // no event times
	}
	var w encoder
	w.b = append([]byte(stateMagic), stateVersion)
	w.varint(n)
	w.uvarint(1)
	w.str(spec.Key)
	w.uvarint(uint64(EventCount))
	w.uvarint(n)
	w.uvarint(uint64(len(g.b)))
	w.b = append(w.b, g.b...)
	path := filepath.Join(t.TempDir(), "state")
	writeSettled(t, path, withCRC(w.b))
	e := New([]Spec{spec})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := e.Load(path)
	runtime.ReadMemStats(&after)
	if err != nil || rep.Groups != 10 {
		t.Fatalf("load: %+v, %v; want the 10 groups the spec keeps", rep, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("loading allocated %d MiB, want under 16", alloc>>20)
	}
	ss := e.specs[0]
	for i := n - 10; i < n; i++ {
		key := string(appendKey(nil, []string{fmt.Sprint(i)}))
		if ss.shardOf([]byte(key)).groups[key] == nil {
			t.Fatalf("group %d, among the 10 newest, was not kept", i)
		}
	}
}

// TestSaveRefusesWhatLoadCannotRead: a state larger than a start reads is
// refused when it is encoded, which Save does before it writes anything
// (so the file keeps the last checkpoint, which loads).
func TestSaveRefusesWhatLoadCannotRead(t *testing.T) {
	e := New([]Spec{countSpec(time.Minute, Bound{GTE, 3})})
	feed(e, 0, "h", 1, 2)
	data, err := e.marshalWithin(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.marshalWithin(len(data) - 1); err == nil || !strings.Contains(err.Error(), "not saved") {
		t.Fatalf("a state one byte over the limit: %v, want a refusal", err)
	}
}
