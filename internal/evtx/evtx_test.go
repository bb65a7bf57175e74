package evtx_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx/evtxtest"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

var t0 = time.Date(2026, 11, 25, 10, 42, 7, 118000000, time.UTC)

// read reads a file into JSON events and records; fn's error stops it.
func read(t testing.TB, file []byte) ([]string, []evtx.Record, evtx.Stats, error) {
	t.Helper()
	var events []string
	var recs []evtx.Record
	st, err := evtx.Read(bytes.NewReader(file), func(r evtx.Record) error {
		end, err := msgpack.Skip(r.Event, 0)
		if err != nil || end != len(r.Event) {
			t.Fatalf("record %d: event is not one msgpack value: %v", r.ID, err)
		}
		events = append(events, toJSON(t, r.Event))
		r.Event = nil
		recs = append(recs, r)
		return nil
	})
	return events, recs, st, err
}

func toJSON(t testing.TB, msg []byte) string {
	var buf bytes.Buffer
	s := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 1024)
	if _, err := textevent.WriteMsgpack(s, msg, 0); err != nil {
		t.Fatal(err)
	}
	s.Flush()
	return buf.String()
}

func TestRoundTrip(t *testing.T) {
	events, recs, st, err := read(t, evtxtest.Write(evtxtest.Sample(t0)))
	if err != nil || st.Events != 5 || st.Unreadable != 0 || len(st.Problems) != 0 || st.Chunks != 1 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	want := []struct{ parts []string }{
		{[]string{`{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},`,
			`"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"Level":4,`,
			`"TimeCreated":{"#attributes":{"SystemTime":"2026-11-25T10:42:07.118000Z"}}`,
			`"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws1","Security":{"#attributes":{"UserID":"S-1-5-18"}}}`,
			`"EventData":{"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami","ProcessId":4460,"StartModule":"","Signed":true}}}`}},
		{[]string{`"EventID":{"#attributes":{"Qualifiers":16384},"#text":4625}`, `"Security":null`,
			`"EventData":{"TargetUserName":"admin","LogonType":3,"Status":-1073741715}`}},
		{[]string{`"Provider":{"#attributes":{"Name":"ESENT"}}`,
			`"EventData":{"Data":["NTDS","1234","","C:\\Windows\\Temp\\ntds.dit"]}`}},
		{[]string{`"Computer":"ws1 ünïcode"`, `"Image":"C:\\Temp\\ä.exe","CommandLine":"","ProcessId":1,"StartModule":"x","Signed":false`}},
		{[]string{`"EventID":{"#attributes":{"Qualifiers":0},"#text":400}`,
			`"EventData":{"Data":["Available","None","HostName=ConsoleHost"]}`}},
	}
	for i, w := range want {
		for _, p := range w.parts {
			if !strings.Contains(events[i], p) {
				t.Errorf("event %d lacks %s:\n%s", i+1, p, events[i])
			}
		}
		if recs[i].ID != uint64(i+1) || !recs[i].Time.Equal(t0.Add(time.Duration(i)*time.Second)) {
			t.Errorf("record %d: id %d time %v", i+1, recs[i].ID, recs[i].Time)
		}
	}
}

// manyEvents are n events cycling through the sample layouts.
func manyEvents(n int) []evtxtest.Event {
	sample := evtxtest.Sample(t0)
	out := make([]evtxtest.Event, n)
	for i := range out {
		out[i] = sample[i%len(sample)]
		out[i].RecordID = uint64(i + 1)
		out[i].Time = t0.Add(time.Duration(i) * time.Millisecond)
	}
	return out
}

func TestManyChunks(t *testing.T) {
	file := evtxtest.Write(manyEvents(2000))
	events, recs, st, err := read(t, file)
	if err != nil || st.Events != 2000 || st.Unreadable != 0 || len(st.Problems) != 0 || st.Chunks < 3 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	for i, r := range recs {
		if r.ID != uint64(i+1) {
			t.Fatalf("record %d has id %d", i+1, r.ID)
		}
	}
	if events[1999] == "" || !strings.Contains(events[1995], `"ProcessId":4460`) {
		t.Errorf("event 1996: %s", events[1995])
	}
}

func TestNotEVTX(t *testing.T) {
	for _, in := range []string{"", "Elf", `{"Event":{}}`, "ElfFilX" + strings.Repeat("\x00", 5000)} {
		if _, err := evtx.Read(strings.NewReader(in), func(evtx.Record) error { return nil }); !errors.Is(err, evtx.ErrNotEVTX) {
			t.Errorf("%.10q: %v", in, err)
		}
	}
}

func TestCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := evtx.Read(bytes.NewReader(evtxtest.Write(evtxtest.Sample(t0))), func(evtx.Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

// chunkOff is the offset of chunk i in a file.
func chunkOff(i int) int { return evtx.FileHeaderSize + i*evtx.ChunkSize }

func TestBadRecordsChecksum(t *testing.T) {
	file := evtxtest.Write(evtxtest.Sample(t0))
	i := bytes.Index(file, []byte("w\x00h\x00o\x00a\x00m\x00i\x00")) // in a value: still readable
	file[i] = 'W'
	events, _, st, err := read(t, file)
	if err != nil || st.Events != 5 || !hasProblem(st, "records checksum mismatch") {
		t.Fatalf("stats %+v, %v", st, err)
	}
	if !strings.Contains(events[0], "cmd /c Whoami") {
		t.Errorf("event 1: %s", events[0])
	}
}

func hasProblem(st evtx.Stats, s string) bool {
	for _, p := range st.Problems {
		if strings.Contains(p.Error(), s) {
			return true
		}
	}
	return false
}

func TestBadChunkHeaderSkipsChunkOnly(t *testing.T) {
	file := evtxtest.Write(manyEvents(2000))
	file[chunkOff(0)+200]++ // in the header's string table, under its checksum
	_, recs, st, err := read(t, file)
	if err != nil || st.BadChunks != 1 || st.Unreadable == 0 || !hasProblem(st, "chunk 0: header checksum mismatch") {
		t.Fatalf("stats %+v, %v", st, err)
	}
	if st.Events+st.Unreadable != 2000 || recs[0].ID != uint64(st.Unreadable+1) {
		t.Fatalf("stats %+v, first record %d", st, recs[0].ID)
	}
}

func TestTruncated(t *testing.T) {
	full := evtxtest.Write(manyEvents(600))
	_, _, whole, _ := read(t, full)
	// Cut anywhere, a chunk's boundary and the file header's end included
	// (the header counts the chunks), the cut is reported.
	for _, n := range []int{8, 100, evtx.FileHeaderSize, evtx.FileHeaderSize + 100, evtx.FileHeaderSize + 600,
		chunkOff(1) - 1, chunkOff(1), chunkOff(1) + 30000, len(full) - 1} {
		_, recs, st, err := read(t, full[:n])
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if st.Events > whole.Events || (n >= evtx.FileHeaderSize && len(st.Problems) == 0) {
			t.Errorf("%d bytes: %+v", n, st)
		}
		for i, r := range recs {
			if r.ID != uint64(i+1) {
				t.Fatalf("%d bytes: record %d has id %d", n, i+1, r.ID)
			}
		}
	}
}

// TestEveryByteCorrupted changes each byte of a small file's records in
// turn, checksums fixed so that the parser meets it: reading never
// panics, every record is read or counted unreadable, and the events are
// well-formed (read checks each).
func TestEveryByteCorrupted(t *testing.T) {
	orig := evtxtest.Write(evtxtest.Sample(t0))
	free := int(binary.LittleEndian.Uint32(orig[chunkOff(0)+48:]))
	for off := chunkOff(0) + 512; off < chunkOff(0)+free; off++ {
		for _, b := range []byte{0x00, 0xff, orig[off] ^ 0x40} {
			file := bytes.Clone(orig)
			file[off] = b
			evtxtest.FixChecksums(file)
			_, _, st, err := read(t, file)
			if err != nil || st.Events > 5 {
				t.Fatalf("byte %d = %#x: %+v %v", off, b, st, err)
			}
		}
	}
}

func le32(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

func TestHostileRecords(t *testing.T) {
	frag := []byte{0x0f, 1, 1, 0}
	cases := map[string]func(off int) []byte{
		// a template whose definition instantiates itself
		"template loop": func(off int) []byte {
			b := append(bytes.Clone(frag), 0x0c, 1, 0, 0, 0, 0)
			def := off + len(b) + 4
			b = append(b, le32(def)...)
			b = append(b, le32(0)...)
			b = append(b, make([]byte, 16)...)
			body := append(bytes.Clone(frag), 0x0c, 1, 0, 0, 0, 0)
			body = append(body, le32(def)...)
			body = append(body, le32(0)...)
			b = append(b, le32(len(body))...)
			return append(append(b, body...), le32(0)...)
		},
		"huge substitution count": func(off int) []byte {
			b := append(bytes.Clone(frag), 0x0c, 1, 0, 0, 0, 0)
			b = append(b, le32(off+len(b)+4)...)
			b = append(b, le32(0)...)
			b = append(b, make([]byte, 16)...)
			b = append(b, le32(5)...)
			b = append(b, 0x0f, 1, 1, 0, 0)
			return append(b, le32(0xffffffff)...)
		},
		"huge string length": func(off int) []byte {
			return append(bytes.Clone(frag), 0x05, 0x01, 0xff, 0xff, 'a', 0)
		},
		"name offset outside the chunk": func(off int) []byte {
			return append(append(bytes.Clone(frag), 0x01, 0, 0, 0, 0), le32(0x7fffffff)...)
		},
		"deep nesting": func(off int) []byte {
			b := bytes.Clone(frag)
			name := off + len(b) + 9 // the first element's name, inline after its offset
			for i := 0; i < 100; i++ {
				b = append(b, 0x01, 0, 0, 0, 0)
				b = append(b, le32(name)...)
				if i == 0 {
					b = append(b, 0, 0, 0, 0, 0, 0, 1, 0, 'E', 0, 0, 0)
				}
				b = append(b, 0x02)
			}
			return b
		},
	}
	for name, rec := range cases {
		good := func(off int) []byte { return goodRecord(t, off) }
		events, _, st, err := read(t, evtxtest.RawFile(rec, good))
		if err != nil || st.Unreadable != 1 || st.Events != 1 || len(events) != 1 || len(st.Problems) != 1 {
			t.Errorf("%s: %+v %v", name, st, err)
		}
		t.Logf("%s: %v", name, st.Problems)
	}
}

// goodRecord is a plain <E>x</E> fragment without a template (so without
// the dependency id of a template's elements).
func goodRecord(t testing.TB, off int) []byte {
	b := []byte{0x0f, 1, 1, 0, 0x01, 0, 0, 0, 0}
	b = append(b, le32(off+len(b)+4)...)
	b = append(b, 0, 0, 0, 0, 0, 0, 1, 0, 'E', 0, 0, 0)
	b = append(b, 0x02, 0x05, 0x01, 1, 0, 'x', 0, 0x04, 0x00)
	return b
}

func TestPlainFragment(t *testing.T) {
	events, _, st, err := read(t, evtxtest.RawFile(func(off int) []byte { return goodRecord(t, off) }))
	if err != nil || st.Events != 1 || events[0] != `{"E":"x"}` {
		t.Fatalf("%+v %v %q", st, err, events)
	}
}

// TestNoCRCFlag: a file whose header sets the "no CRC32" flag is read
// without its checksums being checked.
func TestNoCRCFlag(t *testing.T) {
	file := evtxtest.Write(evtxtest.Sample(t0))
	file[120] |= 0x4
	binary.LittleEndian.PutUint32(file[chunkOff(0)+124:], 0)
	binary.LittleEndian.PutUint32(file[chunkOff(0)+52:], 0)
	_, _, st, err := read(t, file)
	if err != nil || st.Events != 5 || len(st.Problems) != 0 {
		t.Fatalf("%+v %v", st, err)
	}
}

// TestUnusedSpace: past the chunks the header counts, bytes without a
// chunk signature are unused space, not a problem; within them they are.
func TestUnusedSpace(t *testing.T) {
	file := evtxtest.Write(evtxtest.Sample(t0))
	file = append(file, bytes.Repeat([]byte{0x55}, evtx.ChunkSize)...)
	_, _, st, err := read(t, file)
	if err != nil || st.Events != 5 || len(st.Problems) != 0 {
		t.Fatalf("past the chunks in use: %+v %v", st, err)
	}
	binary.LittleEndian.PutUint16(file[42:], 2)
	evtxtest.FixChecksums(file)
	_, _, st, err = read(t, file)
	if err != nil || st.Events != 5 || st.BadChunks != 1 || !hasProblem(st, "chunk 1: no chunk header") {
		t.Fatalf("within the chunks in use: %+v %v", st, err)
	}
}

// TestStaleSizeCopy: a record whose trailing size copy is wrong but whose
// binary XML is whole is read (dirty logs have them).
func TestStaleSizeCopy(t *testing.T) {
	file := evtxtest.Write(evtxtest.Sample(t0)[:1])
	size := int(binary.LittleEndian.Uint32(file[chunkOff(0)+512+4:]))
	binary.LittleEndian.PutUint32(file[chunkOff(0)+512+size-4:], 0)
	evtxtest.FixChecksums(file)
	_, _, st, err := read(t, file)
	if err != nil || st.Events != 1 || len(st.Problems) != 0 {
		t.Fatalf("%+v %v", st, err)
	}
}

// frag builds a record's binary XML by hand, without templates: names
// inline where they are used, element starts without a dependency id.
type frag struct {
	b    []byte
	base int // chunk offset of b[0]
}

func (f *frag) open(name string, attrs ...[2]string) {
	tok := byte(0x01)
	if len(attrs) > 0 {
		tok |= 0x40
	}
	f.b = append(f.b, tok, 0, 0, 0, 0)
	f.name(name)
	if len(attrs) > 0 {
		f.b = append(f.b, 0, 0, 0, 0)
	}
	for _, a := range attrs {
		f.b = append(f.b, 0x06)
		f.name(a[0])
		f.text(a[1])
	}
	f.b = append(f.b, 0x02)
}

func (f *frag) name(s string) {
	f.b = append(f.b, le32(f.base+len(f.b)+4)...)
	f.b = append(f.b, 0, 0, 0, 0, 0, 0, byte(len(s)), 0)
	for _, c := range []byte(s) {
		f.b = append(f.b, c, 0)
	}
	f.b = append(f.b, 0, 0)
}

func (f *frag) text(s string) {
	f.b = append(f.b, 0x05, 0x01, byte(len(s)), 0)
	for _, c := range []byte(s) {
		f.b = append(f.b, c, 0)
	}
}

func (f *frag) end() { f.b = append(f.b, 0x04) }

// TestShapeRules: repeated elements get evtx_dump's _1, _2 suffixes,
// unnamed <Data> gather in one list wherever they stand, named <Data> are
// keyed by Name ("" when empty), text beside elements is "#text", and
// entity and character references are resolved.
func TestShapeRules(t *testing.T) {
	record := func(off int) []byte {
		f := &frag{b: []byte{0x0f, 1, 1, 0}, base: off}
		f.open("Event")
		f.open("UserData")
		for _, h := range []string{"a", "b", "c"} {
			f.open("Header")
			f.text(h)
			f.end()
		}
		f.text("t")
		f.end()
		f.open("EventData")
		f.open("Data")
		f.text("x")
		f.end()
		f.open("Data", [2]string{"Name", "Empty"})
		f.end()
		f.open("Data")
		f.text("y")
		f.b = append(f.b, 0x09)
		f.name("amp")
		f.b = append(f.b, 0x08, 'z', 0)
		f.end()
		f.end()
		f.end()
		return append(f.b, 0x00)
	}
	events, _, st, err := read(t, evtxtest.RawFile(record))
	want := `{"Event":{"UserData":{"#text":"t","Header":"a","Header_1":"b","Header_2":"c"},` +
		`"EventData":{"Data":["x","y&z"],"Empty":""}}}`
	if err != nil || st.Events != 1 || events[0] != want {
		t.Fatalf("%+v %v\n got %s\nwant %s", st, err, events, want)
	}
}

// TestShapeKeysAreUnique: what a log names its elements and attributes
// cannot make a key repeat (a value a reader could drop) or a map header
// disagree with its pairs: a second Name attribute stays an attribute, and
// a child that would repeat a key takes the next free suffix.
func TestShapeKeysAreUnique(t *testing.T) {
	events, _, st, err := read(t, evtxtest.RawFile(clashingKeys))
	want := `{"Event":{"EventData":{"#text":"own text","a":{"#attributes":{"Name":"b","Other":"x"},"#text":"v"},` +
		`"Data":"named","Data_1":["unnamed"],"#text_1":"t"},"UserData":{"Foo":"Foo","Foo_1":"Foo","Foo_1_1":"Foo_1"}}}`
	if err != nil || st.Events != 1 || events[0] != want {
		t.Fatalf("%+v %v\n got %s\nwant %s", st, err, events, want)
	}
}

// clashingKeys is a record whose names would repeat keys, at offset off.
func clashingKeys(off int) []byte {
	f := &frag{b: []byte{0x0f, 1, 1, 0}, base: off}
	f.open("Event")
	f.open("EventData")
	f.open("Data", [2]string{"Name", "a"}, [2]string{"Name", "b"}, [2]string{"Other", "x"})
	f.text("v")
	f.end()
	f.open("Data", [2]string{"Name", "Data"})
	f.text("named")
	f.end()
	f.open("Data")
	f.text("unnamed")
	f.end()
	f.open("Data", [2]string{"Name", "#text"})
	f.text("t")
	f.end()
	f.text("own text")
	f.end()
	f.open("UserData")
	for _, name := range []string{"Foo", "Foo", "Foo_1"} {
		f.open(name)
		f.text(name)
		f.end()
	}
	f.end()
	f.end()
	return append(f.b, 0x00)
}

// TestFileTime: every FILETIME converts, those before 1678 (which a
// time.Duration of 100 ns cannot hold) included.
func TestFileTime(t *testing.T) {
	for _, tc := range []struct {
		ft   uint64
		want string
	}{
		{0, "1601-01-01T00:00:00Z"},
		{116444736000000000, "1970-01-01T00:00:00Z"},
		{24211015631452241, "1677-09-21T00:12:43.1452241Z"},
		{133_000_000_000_000_001, "2022-06-18T04:26:40.0000001Z"},
		{1<<64 - 1, "60056-05-28T05:36:10.9551615Z"},
	} {
		if got := evtx.FileTime(tc.ft).Format(time.RFC3339Nano); got != tc.want {
			t.Errorf("FileTime(%d) = %s, want %s", tc.ft, got, tc.want)
		}
	}
}

// TestNamesCountAgainstTheBounds: a record of thousands of references (5
// or 10 bytes each) to one name of 16,000 characters would expand to
// hundreds of megabytes; names and entity references count against a
// record's bounds as they are read, so it is reported as too large after
// about a megabyte of them.
func TestNamesCountAgainstTheBounds(t *testing.T) {
	// A name written inline after its offset, n UTF-16 units of unit.
	inlineName := func(b []byte, base, n int, unit uint16) ([]byte, int) {
		off := base + len(b) + 4
		b = append(b, le32(off)...)
		b = append(b, 0, 0, 0, 0, 0, 0, byte(n), byte(n>>8))
		for range n {
			b = append(b, byte(unit), byte(unit>>8))
		}
		return append(b, 0, 0), off
	}
	cases := map[string]func(off int) []byte{
		"entity references": func(off int) []byte { // <E>&N;&N;...</E>
			b := []byte{0x0f, 1, 1, 0, 0x01, 0, 0, 0, 0}
			b, _ = inlineName(b, off, 1, 'E')
			b = append(b, 0x02, 0x09)
			b, name := inlineName(b, off, 16000, 0xD800)
			for range 6400 {
				b = append(append(b, 0x09), le32(name)...)
			}
			return append(b, 0x04, 0x00)
		},
		"children": func(off int) []byte { // <E><N/><N/>...</E>
			b := []byte{0x0f, 1, 1, 0, 0x01, 0, 0, 0, 0}
			b, _ = inlineName(b, off, 1, 'E')
			b = append(b, 0x02, 0x01, 0, 0, 0, 0)
			b, name := inlineName(b, off, 16000, 'A')
			b = append(b, 0x03)
			for range 3200 {
				b = append(append(b, 0x01, 0, 0, 0, 0), le32(name)...)
				b = append(b, 0x03)
			}
			return append(b, 0x04, 0x00)
		},
	}
	for name, rec := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, st, err := read(t, evtxtest.RawFile(rec))
		runtime.ReadMemStats(&after)
		if err != nil || st.Unreadable != 1 {
			t.Errorf("%s: %+v %v; want the record reported as unreadable", name, st, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%s: reading allocated %d MiB, want under 64", name, alloc>>20)
		}
	}
}
