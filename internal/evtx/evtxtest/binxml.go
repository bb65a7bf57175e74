package evtxtest

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
)

// instance writes a template instance: the definition inline when the
// chunk has not defined the layout key yet, else a reference to it, then
// the values.
func (w *chunkWriter) instance(key string, vals []subst, body func()) {
	w.buf = append(w.buf, 0x0c, 0x01)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(w.templates)+1)) // template id
	if off, ok := w.templates[key]; ok {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, off)
	} else {
		off := uint32(len(w.buf) + 4)
		w.templates[key] = off
		w.buf = binary.LittleEndian.AppendUint32(w.buf, off)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, 0) // next template
		w.buf = append(w.buf, guid(key)...)
		sizeAt := len(w.buf)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, 0)
		w.buf = append(w.buf, 0x0f, 1, 1, 0)
		body()
		w.buf = append(w.buf, 0x00) // EOF
		binary.LittleEndian.PutUint32(w.buf[sizeAt:], uint32(len(w.buf)-sizeAt-4))
	}
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(vals)))
	desc := len(w.buf)
	for _, v := range vals {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(len(v.data)))
		w.buf = append(w.buf, v.typ, 0)
	}
	for i, v := range vals {
		if v.build == nil {
			w.buf = append(w.buf, v.data...)
			continue
		}
		start := len(w.buf)
		v.build()
		binary.LittleEndian.PutUint16(w.buf[desc+4*i:], uint16(len(w.buf)-start))
	}
}

// eventTemplate writes the template of a Windows event, substitution
// numbers as in event's values.
func (w *chunkWriter) eventTemplate(ev Event) {
	w.open("Event", true)
	w.attr("xmlns", false)
	w.text("http://schemas.microsoft.com/win/2004/08/events/event")
	w.closeStart()
	w.open("System", false)
	w.closeStart()
	w.open("Provider", true)
	w.attr("Name", false)
	w.subst(0, tString, false)
	w.closeEmpty()
	w.open("EventID", true)
	w.attr("Qualifiers", false)
	w.subst(2, tUint16, true)
	w.closeStart()
	w.subst(1, tUint16, false)
	w.end()
	w.simple("Level", 3, tUint8)
	w.simple("Keywords", 9, tHexInt64)
	w.open("TimeCreated", true)
	w.attr("SystemTime", false)
	w.subst(4, tFileTime, false)
	w.closeEmpty()
	w.simple("EventRecordID", 5, tUint64)
	w.open("Correlation", false)
	w.closeEmpty()
	w.simple("Channel", 6, tString)
	w.simple("Computer", 7, tString)
	w.open("Security", true)
	w.attr("UserID", false)
	w.subst(8, tSID, true)
	w.closeEmpty()
	w.end() // System
	if ev.Classic {
		w.subst(10, tBinXML, false)
	} else {
		w.open("EventData", false)
		w.closeStart()
		for i, d := range ev.Data {
			w.dataElement(d.Name, 10+i, dataValue(d.Value).typ)
		}
		w.end()
	}
	w.end() // Event
}

// dataElement writes <Data Name='name'>%n</Data>, or <Data>%n</Data>.
func (w *chunkWriter) dataElement(name string, n int, typ byte) {
	w.open("Data", name != "")
	if name != "" {
		w.attr("Name", false)
		w.text(name)
	}
	w.closeStart()
	w.subst(n, typ, true)
	w.end()
}

func (w *chunkWriter) simple(name string, n int, typ byte) {
	w.open(name, false)
	w.closeStart()
	w.subst(n, typ, false)
	w.end()
}

// open writes an open start element token as a template definition has
// it, with a dependency id. Its data size is not read by package evtx: it
// is 0.
func (w *chunkWriter) open(name string, hasAttrs bool) {
	tok := byte(0x01)
	if hasAttrs {
		tok |= 0x40
	}
	w.buf = append(w.buf, tok, 0xff, 0xff, 0, 0, 0, 0)
	w.name(name)
	if hasAttrs {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, 0) // attribute list size
	}
}

func (w *chunkWriter) attr(name string, more bool) {
	tok := byte(0x06)
	if more {
		tok |= 0x40
	}
	w.buf = append(w.buf, tok)
	w.name(name)
}

func (w *chunkWriter) closeStart() { w.buf = append(w.buf, 0x02) }
func (w *chunkWriter) closeEmpty() { w.buf = append(w.buf, 0x03) }
func (w *chunkWriter) end()        { w.buf = append(w.buf, 0x04) }

func (w *chunkWriter) text(s string) {
	w.buf = append(w.buf, 0x05, tString)
	u := utf16.Encode([]rune(s))
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(len(u)))
	for _, c := range u {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, c)
	}
}

func (w *chunkWriter) subst(n int, typ byte, optional bool) {
	tok := byte(0x0d)
	if optional {
		tok = 0x0e
	}
	w.buf = append(w.buf, tok)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(n))
	w.buf = append(w.buf, typ)
}

// name writes a name reference: the offset of a name the chunk holds, or
// of the name written inline right after it.
func (w *chunkWriter) name(s string) {
	if off, ok := w.names[s]; ok {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, off)
		return
	}
	off := uint32(len(w.buf) + 4)
	w.names[s] = off
	w.buf = binary.LittleEndian.AppendUint32(w.buf, off)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, 0) // next name
	u := utf16.Encode([]rune(s))
	var hash uint32
	for _, c := range u {
		hash = hash*65599 + uint32(c)
	}
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(hash))
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(len(u)))
	for _, c := range u {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, c)
	}
	w.buf = append(w.buf, 0, 0)
}

// dataValue is the substitution of a <Data> value.
func dataValue(v any) subst {
	switch v := v.(type) {
	case nil:
		return subst{typ: tNull}
	case string:
		return str(v)
	case int32:
		return subst{typ: tInt32, data: le32(uint32(v))}
	case uint32:
		return subst{typ: tUint32, data: le32(v)}
	case uint64:
		return subst{typ: tUint64, data: le64(v)}
	case bool:
		b := uint32(0)
		if v {
			b = 1
		}
		return subst{typ: tBool, data: le32(b)}
	case []string:
		var data []byte
		for _, s := range v {
			data = append(data, utf16le(s)...)
			data = append(data, 0, 0)
		}
		return subst{typ: tString | tArray, data: data}
	}
	panic("evtxtest: unsupported data value type")
}

func str(s string) subst {
	if s == "" {
		return subst{typ: tNull}
	}
	return subst{typ: tString, data: utf16le(s)}
}

func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// guid derives a template GUID from its layout key.
func guid(key string) []byte {
	g := make([]byte, 16)
	for i, c := range []byte(key) {
		g[i%16] ^= c
	}
	return g
}

// sid encodes S-R-A-S1-... (authority below 2^32).
func sid(s string) []byte {
	parts := strings.Split(strings.TrimPrefix(s, "S-"), "-")
	if len(parts) < 2 {
		panic("evtxtest: bad SID " + s)
	}
	rev, _ := strconv.Atoi(parts[0])
	auth, _ := strconv.ParseUint(parts[1], 10, 48)
	b := []byte{byte(rev), byte(len(parts) - 2), 0, 0, 0, 0, 0, 0}
	for i := 0; i < 6; i++ {
		b[7-i] = byte(auth >> (8 * i))
	}
	for _, p := range parts[2:] {
		v, _ := strconv.ParseUint(p, 10, 32)
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b
}
