// Package evtxtest writes EVTX files from events, for tests: a file
// header, chunks with their checksums, and records of binary XML built as
// Windows builds them, with a template per event layout (defined inline
// the first time a chunk uses it, referenced after) filled with typed
// substitution values. Names are written inline once per chunk and
// referenced after. It is the test counterpart of package evtx and is
// written from the same published format; nothing outside tests uses it.
package evtxtest

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"time"
)

// Event is one event to write.
type Event struct {
	RecordID   uint64
	Time       time.Time
	Provider   string
	EventID    uint16
	Qualifiers int // written as the EventID's Qualifiers attribute when >= 0
	Level      uint8
	Channel    string
	Computer   string
	UserSID    string // S-1-5-18; empty leaves the attribute out
	// Data are the event's <Data> elements, in order. A Data without a
	// Name is unnamed, as classic providers write them.
	Data []Data
	// Classic puts EventData into a binary XML substitution holding its
	// own template instance, as events of classic providers are stored.
	Classic bool
}

// Data is one <Data> element. Value is a string, int32, uint32, uint64,
// bool, []string, or nil for an empty element.
type Data struct {
	Name  string
	Value any
}

// Value types, as package evtx reads them.
const (
	tNull     = 0x00
	tString   = 0x01
	tUint8    = 0x04
	tUint16   = 0x06
	tInt32    = 0x07
	tUint32   = 0x08
	tUint64   = 0x0a
	tBool     = 0x0d
	tFileTime = 0x11
	tSID      = 0x13
	tHexInt64 = 0x15
	tBinXML   = 0x21
	tArray    = 0x80
)

const (
	fileHeaderSize  = 4096
	chunkSize       = 64 << 10
	chunkHeaderSize = 512
)

// Write returns an EVTX file holding events, in as many chunks as they
// need.
func Write(events []Event) []byte {
	var chunks [][]byte
	cw := newChunkWriter()
	var last uint64
	for i, ev := range events {
		if !cw.add(ev) {
			chunks = append(chunks, cw.finish())
			cw = newChunkWriter()
			if !cw.add(ev) {
				panic(fmt.Sprintf("evtxtest: event %d does not fit a chunk", i))
			}
		}
		last = ev.RecordID
	}
	if cw.records > 0 {
		chunks = append(chunks, cw.finish())
	}
	out := fileHeader(len(chunks), last+1)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out
}

// fileHeader is the 4096-byte file header for n chunks.
func fileHeader(n int, nextRecord uint64) []byte {
	h := make([]byte, fileHeaderSize)
	copy(h, "ElfFile\x00")
	binary.LittleEndian.PutUint64(h[8:], 0)
	binary.LittleEndian.PutUint64(h[16:], uint64(max(n-1, 0)))
	binary.LittleEndian.PutUint64(h[24:], nextRecord)
	binary.LittleEndian.PutUint32(h[32:], 128)
	binary.LittleEndian.PutUint16(h[36:], 2) // minor version
	binary.LittleEndian.PutUint16(h[38:], 3) // major version
	binary.LittleEndian.PutUint16(h[40:], fileHeaderSize)
	binary.LittleEndian.PutUint16(h[42:], uint16(n))
	binary.LittleEndian.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	return h
}

// chunkWriter builds one chunk.
type chunkWriter struct {
	buf       []byte
	names     map[string]uint32
	templates map[string]uint32
	records   int
	firstID   uint64
	lastID    uint64
	lastOff   int
}

func newChunkWriter() *chunkWriter {
	return &chunkWriter{buf: make([]byte, chunkHeaderSize), names: map[string]uint32{}, templates: map[string]uint32{}}
}

// add appends the record of ev, or reports that it does not fit.
func (w *chunkWriter) add(ev Event) bool {
	start := len(w.buf)
	w.buf = append(w.buf, 0x2a, 0x2a, 0, 0)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, 0)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, ev.RecordID)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, fileTime(ev.Time))
	w.event(ev)
	size := len(w.buf) - start + 4
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(size))
	binary.LittleEndian.PutUint32(w.buf[start+4:], uint32(size))
	if len(w.buf) > chunkSize {
		w.rollback(start)
		return false
	}
	if w.records == 0 {
		w.firstID = ev.RecordID
	}
	w.records++
	w.lastID, w.lastOff = ev.RecordID, start
	return true
}

// rollback forgets a record that did not fit, and the names and templates
// it defined.
func (w *chunkWriter) rollback(start int) {
	w.buf = w.buf[:start]
	for k, off := range w.names {
		if int(off) >= start {
			delete(w.names, k)
		}
	}
	for k, off := range w.templates {
		if int(off) >= start {
			delete(w.templates, k)
		}
	}
}

// finish pads the chunk to 64 KiB and writes its header and checksums.
func (w *chunkWriter) finish() []byte {
	free := len(w.buf)
	c := make([]byte, chunkSize)
	copy(c, w.buf)
	copy(c, "ElfChnk\x00")
	first := w.firstID
	binary.LittleEndian.PutUint64(c[8:], first)
	binary.LittleEndian.PutUint64(c[16:], w.lastID)
	binary.LittleEndian.PutUint64(c[24:], first)
	binary.LittleEndian.PutUint64(c[32:], w.lastID)
	binary.LittleEndian.PutUint32(c[40:], 128)
	binary.LittleEndian.PutUint32(c[44:], uint32(w.lastOff))
	binary.LittleEndian.PutUint32(c[48:], uint32(free))
	binary.LittleEndian.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
	h := crc32.ChecksumIEEE(c[:120])
	h = crc32.Update(h, crc32.IEEETable, c[128:chunkHeaderSize])
	binary.LittleEndian.PutUint32(c[124:], h)
	return c
}

// FileTime is t as a FILETIME.
func fileTime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}

// subst is one substitution value: its type and bytes.
type subst struct {
	typ   byte
	data  []byte
	build func() // writes a binary XML value in place, instead of data
}

// event writes the binary XML of ev: a fragment holding a template
// instance.
func (w *chunkWriter) event(ev Event) {
	w.buf = append(w.buf, 0x0f, 1, 1, 0)
	vals := []subst{
		str(ev.Provider), {typ: tUint16, data: le16(ev.EventID)}, {typ: tNull}, {typ: tUint8, data: []byte{ev.Level}},
		{typ: tFileTime, data: le64(fileTime(ev.Time))}, {typ: tUint64, data: le64(ev.RecordID)}, str(ev.Channel), str(ev.Computer),
		{typ: tNull}, {typ: tHexInt64, data: le64(0x8000000000000000)},
	}
	if ev.Qualifiers >= 0 {
		vals[2] = subst{typ: tUint16, data: le16(uint16(ev.Qualifiers))}
	}
	if ev.UserSID != "" {
		vals[8] = subst{typ: tSID, data: sid(ev.UserSID)}
	}
	key := layoutKey(ev)
	if ev.Classic {
		vals = append(vals, w.classicData(ev.Data))
	} else {
		for _, d := range ev.Data {
			vals = append(vals, dataValue(d.Value))
		}
	}
	w.instance(key, vals, func() { w.eventTemplate(ev) })
}

// layoutKey names the template an event is written with: events with the
// same names and types share it.
func layoutKey(ev Event) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "event classic=%v", ev.Classic)
	if !ev.Classic {
		for _, d := range ev.Data {
			fmt.Fprintf(&sb, "|%s:%x", d.Name, dataValue(d.Value).typ)
		}
	}
	return sb.String()
}

// classicData is the binary XML value of a classic event's EventData: a
// fragment with its own template of unnamed or named <Data>. It is built
// where it lands, since the names and template in it are found by chunk
// offset.
func (w *chunkWriter) classicData(data []Data) subst {
	return subst{typ: tBinXML, build: func() {
		w.buf = append(w.buf, 0x0f, 1, 1, 0)
		vals := make([]subst, len(data))
		var sb strings.Builder
		sb.WriteString("classic")
		for i, d := range data {
			vals[i] = dataValue(d.Value)
			fmt.Fprintf(&sb, "|%s:%x", d.Name, vals[i].typ)
		}
		w.instance(sb.String(), vals, func() {
			w.open("EventData", false)
			w.closeStart()
			for i, d := range data {
				w.dataElement(d.Name, i, vals[i].typ)
			}
			w.end()
		})
		w.buf = append(w.buf, 0x00) // EOF
	}}
}

// D is the Data named name (unnamed when "") holding v.
func D(name string, v any) Data { return Data{Name: name, Value: v} }

// Sample is an event of each layout the writer has, from record id 1 at
// t: Sysmon process creation with named data of several types and an
// empty value, a Security logon failure with Qualifiers, a classic ESENT
// event with unnamed data in a binary XML value, a second Sysmon event
// sharing the first one's template, and a PowerShell event whose unnamed
// data is a string array.
func Sample(t time.Time) []Event {
	return []Event{
		{RecordID: 1, Time: t, Provider: "Microsoft-Windows-Sysmon", EventID: 1, Qualifiers: -1, Level: 4,
			Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ws1", UserSID: "S-1-5-18",
			Data: []Data{D("Image", `C:\Windows\System32\cmd.exe`), D("CommandLine", "cmd /c whoami"),
				D("ProcessId", uint32(4460)), D("StartModule", nil), D("Signed", true)}},
		{RecordID: 2, Time: t.Add(time.Second), Provider: "Microsoft-Windows-Security-Auditing", EventID: 4625,
			Qualifiers: 16384, Level: 0, Channel: "Security", Computer: "dc1",
			Data: []Data{D("TargetUserName", "admin"), D("LogonType", uint32(3)), D("Status", int32(-1073741715))}},
		{RecordID: 3, Time: t.Add(2 * time.Second), Provider: "ESENT", EventID: 325, Qualifiers: 0, Level: 4,
			Channel: "Application", Computer: "dc1", Classic: true,
			Data: []Data{D("", "NTDS"), D("", "1234"), D("", ""), D("", `C:\Windows\Temp\ntds.dit`)}},
		{RecordID: 4, Time: t.Add(3 * time.Second), Provider: "Microsoft-Windows-Sysmon", EventID: 1, Qualifiers: -1,
			Level: 4, Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ws1 ünïcode",
			Data: []Data{D("Image", `C:\Temp\ä.exe`), D("CommandLine", ""), D("ProcessId", uint32(1)),
				D("StartModule", "x"), D("Signed", false)}},
		{RecordID: 5, Time: t.Add(4 * time.Second), Provider: "Windows PowerShell", EventID: 400, Qualifiers: 0,
			Level: 4, Channel: "Windows PowerShell", Computer: "ws1",
			Data: []Data{D("", []string{"Available", "None", "HostName=ConsoleHost"})}},
	}
}
