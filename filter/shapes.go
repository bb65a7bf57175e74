package filter

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

// The second step of reading a record, for the shapes one walk over the
// keys cannot resolve alone. It runs only when the walk met a key with an
// auxiliary role, so flat, evtx, Winlogbeat and OpenTelemetry records never
// pay for it:
//
//   - a record with no event ID whose text key (text_key) holds a JSON
//     object or an XML <Event>: the text is decoded into derived and read
//     as the record, in any of the shapes (an XML event keeps the Message
//     shipped beside it, for keyword searches);
//   - unnamed event data, when a rule reads Data: a list of values (evtx
//     JSON, XML, a plain array) or Winlogbeat's param1..N, held as a field
//     of several values;
//   - a record with positional StringInserts: the values are assigned by
//     the field order of the provider's layout for its event id (Sysmon by
//     provider or channel; the Security auditing events and System 7045 by
//     provider, internal/winlayout), the version told apart by the number
//     of values; the values of a provider with no known layouts are its
//     unnamed data;
//   - a Sysmon record with neither named fields nor StringInserts of a
//     known length, but a Message: its "Name: value" lines;
//   - a Sysmon record after Elastic's pipeline: the ECS fields it moved
//     event data to, and the fields it split, put back together.

// maxText is the largest text payload decoded as a record; larger ones
// are left as text.
const maxText = 1 << 20

func (r *record) resolve(idx *fieldIndex) {
	if r.seen&roleText != 0 && r.at[idx.eventID] < 0 && r.inner < 0 && r.loadText(idx) {
		return
	}
	if r.seen&roleWrapped != 0 && !r.unwrapped && r.loadDetail(idx) {
		return
	}
	if r.seen&roleUnnamed != 0 {
		r.joinUnnamed(idx)
	}
	// A Message beside named fields (NXLog's flat records carry one) needs
	// nothing: decide that before reading the provider.
	message := r.seen&roleMessage != 0 && (r.seen&roleInserts != 0 || r.seen&roleData == 0)
	if r.seen&(roleInserts|roleECS) == 0 && !message {
		return
	}
	if !r.isSysmon(idx) {
		if r.seen&roleInserts != 0 {
			r.fromLayout(idx)
		}
		return
	}
	id, ok := r.eventID(idx)
	if !ok {
		return
	}
	if r.seen&roleECS != 0 {
		r.fromECS(idx, id)
	}
	mapped := r.seen&roleInserts != 0 && id < len(idx.insertSlots) && r.fromInserts(idx, idx.insertSlots[id])
	if !mapped && message {
		r.fromMessage(idx, id)
	}
}

func (r *record) isSysmon(idx *fieldIndex) bool {
	if p, ok := r.Field(idx.provider); ok {
		return sysmon.IsSysmon(p)
	}
	c, ok := r.Field(idx.channel)
	return ok && sysmon.IsSysmon(c)
}

// fromLayout places the StringInserts of a provider other than Sysmon by
// its layout for the event id and number of values. The values of a
// provider whose layouts are not known are its unnamed data: classic
// providers write no names.
func (r *record) fromLayout(idx *fieldIndex) {
	p, _ := r.Field(idx.provider)
	for i := range idx.layouts {
		l := &idx.layouts[i]
		if !bytes.EqualFold(p, l.name) {
			continue
		}
		if id, ok := r.eventID(idx); ok {
			r.fromInserts(idx, l.byID[id])
		}
		return
	}
	if idx.dataSlot >= 0 && r.at[idx.dataSlot] < 0 {
		b, off, _ := r.value(idx.inserts)
		r.joinList(idx.dataSlot, b, off)
	}
}

func (r *record) eventID(idx *fieldIndex) (int, bool) {
	t, ok := r.Field(idx.eventID)
	if !ok || len(t) > 5 {
		return 0, false
	}
	id, err := strconv.Atoi(string(t))
	return id, err == nil && id >= 0
}

// loadText decodes the first text key holding a JSON object or an XML
// event into derived and reads it as the record. The event's fields win
// over the outer record's (syslog's host is not a Zeek record's host);
// the outer record fills only what the event lacks.
func (r *record) loadText(idx *fieldIndex) bool {
	for _, slot := range idx.text {
		b, off, ok := r.value(slot)
		if !ok {
			continue
		}
		s, _, isStr, err := msgpack.ReadStr(b, off)
		if err != nil || !isStr || len(s) > maxText {
			continue
		}
		// A file written with a UTF-8 byte order mark starts its first
		// line with it: tail hands it over as part of the text.
		s = bytes.TrimLeft(bytes.TrimPrefix(s, utf8BOM), " \t\r\n")
		// A C string's terminating NULs are no text after the event.
		s = bytes.TrimRight(s, "\x00")
		if len(s) == 0 {
			continue
		}
		if s[0] != '{' && s[0] != '<' {
			if s = afterHeader(s); s == nil {
				continue
			}
		}
		start := len(r.derived)
		if s[0] == '{' {
			r.derived, err = appendJSONRecord(&r.json, r.derived, s)
		} else {
			r.derived, err = textevent.AppendXMLEventWith(r.derived, s, "Message", r.outerMessage(idx))
		}
		if err != nil {
			r.derived = r.derived[:start]
			continue
		}
		if r.loadInner(idx, start) != nil { // cannot happen: the encoder wrote it
			continue
		}
		return true
	}
	return false
}

// loadInner reads the map at derived[start:] as the record, the outer
// record filling only what it lacks.
func (r *record) loadInner(idx *fieldIndex, start int) error {
	outer := r.setAside(idx)
	r.base, r.seen = r.split, 0
	_, err := r.loadMap(idx.root, r.derived, start)
	r.base = 0
	r.restore(outer)
	if err != nil {
		return err
	}
	r.inner = start
	if r.seen&^roleData != 0 {
		r.resolve(idx)
	}
	return nil
}

// cloudTrailVia ends the detail-type of the Amazon EventBridge events
// that carry a CloudTrail record as their detail ("AWS API Call via
// CloudTrail", "AWS Console Sign In via CloudTrail", "AWS Service Event
// via CloudTrail"...).
const cloudTrailVia = " via CloudTrail"

// loadDetail reads the detail map of an EventBridge event that carries a
// CloudTrail record as the record (once: also when the event itself came
// as text, through CloudWatch Logs): CloudTrail delivered in real time
// (EventBridge to Firehose, SQS or an HTTP endpoint) wraps each record
// so, and SigmaHQ's CloudTrail rules read the record's own fields
// (eventName, userIdentity.arn). The envelope (source, account, time)
// fills only what the record lacks.
func (r *record) loadDetail(idx *fieldIndex) bool {
	b, off, ok := r.value(idx.detailType)
	if !ok {
		return false
	}
	kind, _, isStr, err := msgpack.ReadStr(b, off)
	if err != nil || !isStr || !bytes.HasSuffix(kind, []byte(cloudTrailVia)) {
		return false
	}
	if b, off, ok = r.value(idx.detail); !ok || off >= len(b) || !msgpack.IsMap(b[off]) {
		return false
	}
	end, err := msgpack.Skip(b, off)
	if err != nil || end-off > maxText {
		return false
	}
	start := len(r.derived)
	r.derived = append(r.derived, b[off:end]...) // b may be derived: its bytes before start
	r.unwrapped = true
	if r.loadInner(idx, start) != nil {
		r.derived = r.derived[:start]
		return false
	}
	return true
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// maxHeader is how far into a line afterHeader looks for the event.
const maxHeader = 512

// afterHeader returns the event a syslog line carries after its header
// ("Mar  1 12:00:00 web01 sysmon: <Event>..." as tail reads
// /var/log/syslog, or "... app[7]: {"user": ...}"): what follows the
// header's first ": " (the end of its tag), within the first maxHeader
// bytes, when that is an <Event element or a JSON object ({"); nil
// otherwise. The event must then be the rest of the line, whole (see
// appendJSONRecord): "app: config: {...}" or trailing text is no event.
func afterHeader(s []byte) []byte {
	i := bytes.Index(s[:min(len(s), maxHeader)], []byte(": "))
	if i < 0 {
		return nil
	}
	rest := s[i+2:]
	if bytes.HasPrefix(rest, []byte(`{"`)) || bytes.HasPrefix(rest, []byte("<Event")) {
		return rest
	}
	return nil
}

// slotOffset is a slot's offset as the outer record of a text event set
// it.
type slotOffset struct{ slot, off int }

// setAside clears the slots the outer record set, but for the text keys
// and the Message and StringInserts beside them, and returns them. They
// leave set too, so that each slot stays listed once (put).
func (r *record) setAside(idx *fieldIndex) []slotOffset {
	outer, kept := r.outer[:0], r.set[:0]
	for _, slot := range r.set {
		s := int(slot)
		if s == idx.message || s == idx.inserts || slices.Contains(idx.text, s) {
			kept = append(kept, slot)
			continue
		}
		outer = append(outer, slotOffset{s, r.at[s]})
		r.at[s] = absent
	}
	r.set, r.outer = kept, outer
	// The values of a field of several (met in arrays of maps) go aside
	// with it: the event's own would otherwise join them.
	extra, keptExtra := r.outerExtra[:0], r.extra[:0]
	for _, x := range r.extra {
		if r.at[x.slot] == absent {
			extra = append(extra, x)
		} else {
			keptExtra = append(keptExtra, x)
		}
	}
	r.extra, r.outerExtra = keptExtra, extra
	return outer
}

// restore gives back the outer record's values of the slots the event
// did not fill.
func (r *record) restore(outer []slotOffset) {
	for _, o := range outer {
		if r.at[o.slot] == absent {
			r.put(o.slot, o.off)
			if o.off == severalValues {
				for _, x := range r.outerExtra {
					if x.slot == o.slot {
						r.extra = append(r.extra, x)
					}
				}
			}
		}
	}
}

// outerMessage returns the Message string beside a text key, or nil. The
// record decoded from XML keeps it, so that keyword searches see the
// Message whether the event is read from StringInserts or from the XML
// (in_winevtlog's render_event_as_xml sends both).
func (r *record) outerMessage(idx *fieldIndex) []byte {
	b, off, ok := r.value(idx.message)
	if !ok {
		return nil
	}
	msg, _, isStr, err := msgpack.ReadStr(b, off)
	if err != nil || !isStr {
		return nil
	}
	return msg
}

// errNotJSONObject: the text does not hold a JSON object.
var errNotJSONObject = errors.New("filter: text is not a JSON object")

// appendJSONRecord appends the JSON object text holds as msgpack, with
// c's reusable buffer. The text must be the object, whole: what followed
// it would be read by nobody (keyword rules search the event read from
// the text), so "{} powershell -enc ..." is left as text.
func appendJSONRecord(c *textevent.Converter, dst, text []byte) ([]byte, error) {
	it := jsoniter.ConfigFastest.BorrowIterator(text)
	defer jsoniter.ConfigFastest.ReturnIterator(it)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return dst, errNotJSONObject
	}
	out, err := c.Append(dst, it)
	if err != nil {
		return dst, err
	}
	// At the end, WhatIsNext finds no value and notes io.EOF; any other
	// byte but white space is more text.
	if it.WhatIsNext() != jsoniter.InvalidValue || !errors.Is(it.Error, io.EOF) {
		return dst, errNotJSONObject
	}
	return out, nil
}

// fromInserts assigns StringInserts by the layout (the slots per position)
// whose length is their number, if there is one.
func (r *record) fromInserts(idx *fieldIndex, layouts [][]int) bool {
	if layouts == nil {
		return false
	}
	b, off, _ := r.value(idx.inserts)
	base := r.at[idx.inserts] - off
	n, p, err := msgpack.ReadArrayHeader(b, off)
	if err != nil {
		return false
	}
	for _, slots := range layouts {
		if len(slots) != n {
			continue
		}
		for _, slot := range slots {
			if slot >= 0 && r.at[slot] < 0 {
				r.put(slot, base+p)
			}
			if p, err = msgpack.Skip(b, p); err != nil {
				return false
			}
		}
		return true
	}
	return false
}

// joinUnnamed reads the unnamed event data into the field Data when it
// came as a list (evtx JSON's {"#text": [...]}, a plain array, several
// unnamed Data elements of XML) or as Winlogbeat's param1..N.
func (r *record) joinUnnamed(idx *fieldIndex) {
	if idx.dataSlot < 0 {
		return
	}
	if b, off, ok := r.value(idx.dataSlot); ok {
		r.joinList(idx.dataSlot, b, off)
		return
	}
	if r.at[idx.params] >= 0 {
		r.joinParams(idx)
	}
}

// joinParams reads Winlogbeat's param1..N, in numeric order whatever the
// order of the keys, into the field Data. The walk met one of them; the
// others are found in their map, which only records that carry unnamed
// data pay for.
func (r *record) joinParams(idx *fieldIndex) {
	b, off := r.chunk, r.body
	if r.inner >= 0 {
		b, off = r.derived, r.inner
	}
	off = mapValue(b, mapValue(b, off, "winlog"), "event_data")
	if off < 0 {
		return
	}
	n, p, err := msgpack.ReadMapHeader(b, off)
	if err != nil {
		return
	}
	var at [maxParams]int // per number: offset of the value + 1
	for i := 0; i < n; i++ {
		key, _, vp, err := readKey(b, p) // a key that is not a string numbers nothing
		if err != nil {
			return
		}
		if num := winlogParams.number(key); num > 0 && at[num-1] == 0 {
			at[num-1] = vp + 1
		}
		if p, err = msgpack.Skip(b, vp); err != nil {
			return
		}
	}
	// The values, in number order, as an array Data holds (joinList).
	var num [40]byte
	values := 0
	for _, a := range at {
		if a == 0 {
			continue
		}
		if _, ok := msgpack.ScalarText(b, a-1, num[:0]); ok {
			values++
		}
	}
	if values == 0 {
		return
	}
	start := len(r.derived)
	r.derived = msgpack.AppendArrayHeader(r.derived, values)
	for _, a := range at {
		if a == 0 {
			continue
		}
		if v, ok := msgpack.ScalarText(b, a-1, num[:0]); ok {
			r.derived = msgpack.AppendStrBytes(r.derived, v)
		}
	}
	r.put(idx.dataSlot, r.split+start)
	r.several = true
}

// mapValue returns the offset of key's value in the map at b[off:], or -1.
func mapValue(b []byte, off int, key string) int {
	if off < 0 {
		return -1
	}
	n, p, err := msgpack.ReadMapHeader(b, off)
	if err != nil {
		return -1
	}
	for i := 0; i < n; i++ {
		k, isStr, vp, err := readKey(b, p)
		if err != nil {
			return -1
		}
		if isStr && string(k) == key {
			return vp
		}
		if p, err = msgpack.Skip(b, vp); err != nil {
			return -1
		}
	}
	return -1
}

// joinList makes slot hold the array at b[off:] (b being the record's
// chunk or derived buffer), when there is such an array with elements.
//
// The field Data is every unnamed value, in order, as a field of several
// values (see multivalue.go): a test holds when it holds for one of them,
// "contains" as equality; a single value reads as itself.
func (r *record) joinList(slot int, b []byte, off int) {
	if n, _, err := msgpack.ReadArrayHeader(b, off); err != nil || n == 0 {
		if err == nil {
			r.put(slot, absent) // an empty list: no Data, as {"#text": []}
		}
		return
	}
	if len(r.derived) > 0 && len(b) > 0 && &b[0] == &r.derived[0] {
		off += r.split
	}
	r.put(slot, off)
	r.several = true
}

// fromMessage reads Sysmon's message text: a title line, then one
// "Name: value" line per field of event id, in the order of its schema,
// values written as they are (a command line may hold line breaks, and
// text that reads like another field's line). It is read by that order
// (fromMessageAs); a message of no known schema is read line by line
// (fromMessageLines).
func (r *record) fromMessage(idx *fieldIndex, id int) {
	b, off, _ := r.value(idx.message)
	msg, _, isStr, err := msgpack.ReadStr(b, off)
	if err != nil || !isStr || len(msg) > maxText {
		return
	}
	for _, schema := range sysmon.Schemas(id) {
		if r.fromMessageAs(idx, msg, schema) {
			return
		}
	}
	r.fromMessageLines(idx, msg)
}

// fromMessageAs reads msg as the lines of schema's fields, each at the
// start of a line, in order: a value runs up to the line of the next
// field, so it keeps its line breaks, and a line inside it that names a
// field further on is part of it, not that field. It reports whether
// every field's line was found (else nothing is read).
func (r *record) fromMessageAs(idx *fieldIndex, msg []byte, schema []string) bool {
	var starts [64]int // per field, where its value starts; a schema has at most 29
	if len(schema) > len(starts) {
		return false
	}
	pos := 0
	for k, name := range schema {
		at := labelLine(msg, pos, name)
		if at < 0 {
			return false
		}
		starts[k] = at + len(name) + 1
		pos = starts[k]
	}
	for k, name := range schema {
		end := len(msg)
		if k+1 < len(schema) {
			end = starts[k+1] - len(schema[k+1]) - 1
		}
		value := bytes.TrimSuffix(bytes.TrimSuffix(msg[starts[k]:end], []byte{'\n'}), []byte{'\r'})
		r.putMessageValue(idx, []byte(name), bytes.TrimPrefix(value, []byte{' '}))
	}
	return true
}

// labelLine returns where the line "name:" starts in msg at or after
// from, or -1: at the start of msg or after a line feed.
func labelLine(msg []byte, from int, name string) int {
	for i := from; i <= len(msg)-len(name)-1; {
		j := bytes.Index(msg[i:], []byte(name))
		if j < 0 {
			return -1
		}
		at := i + j
		if (at == 0 || msg[at-1] == '\n') && at+len(name) < len(msg) && msg[at+len(name)] == ':' {
			return at
		}
		i = at + 1
	}
	return -1
}

// fromMessageLines reads the "Name: value" lines of a message of no known
// schema: lines whose name is not a field name (the title line) are
// skipped; a value is the rest of its line.
func (r *record) fromMessageLines(idx *fieldIndex, msg []byte) {
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.IndexByte(line[:colon], ' ') >= 0 {
			continue
		}
		r.putMessageValue(idx, line[:colon], bytes.TrimPrefix(line[colon+1:], []byte{' '}))
	}
}

// putMessageValue gives the slots of field name that are still empty the
// value, written once to derived.
func (r *record) putMessageValue(idx *fieldIndex, name, value []byte) {
	e := idx.data.lookupExact(name)
	if e == nil {
		return
	}
	at := -1
	for _, slot := range e.slots {
		if r.at[slot] >= 0 {
			continue
		}
		if at < 0 {
			at = r.split + len(r.derived)
			r.derived = msgpack.AppendStrBytes(r.derived, value)
		}
		r.put(slot, at)
	}
}

// fromECS fills the fields Elastic's pipeline moved or split for event id.
func (r *record) fromECS(idx *fieldIndex, id int) {
	if id < len(idx.ecsMoves) {
		for _, m := range idx.ecsMoves[id] {
			if r.at[m.to] < 0 {
				r.put(m.to, r.at[m.from])
			}
		}
	}
	if id >= len(idx.ecsDerive) {
		return
	}
	var buf [256]byte
	for _, d := range idx.ecsDerive[id] {
		if r.at[d.to] >= 0 {
			continue
		}
		v := buf[:0]
		switch d.kind {
		case deriveUser:
			domain, ok1 := r.Field(idx.ecsInputs[0])
			v = append(v, domain...)
			name, ok2 := r.Field(idx.ecsInputs[1])
			if !ok1 || !ok2 {
				continue
			}
			v = append(append(v, '\\'), name...)
		case deriveProcessHashes, deriveFileHashes, deriveFileHash:
			paths := idx.ecsHashes[1]
			if d.kind == deriveProcessHashes {
				paths = idx.ecsHashes[0]
			}
			for i, slot := range paths {
				h, ok := r.Field(slot)
				if !ok {
					continue
				}
				if len(v) > 0 {
					v = append(v, ',')
				}
				v = append(append(append(v, hashNames[i]...), '='), h...)
			}
		case deriveInitiated:
			dir, _ := r.Field(idx.ecsInputs[2])
			v = appendFlag(v, dir, "egress", "ingress")
		case deriveSourceIsIpv6, deriveDestinationIsIpv6:
			typ, _ := r.Field(idx.ecsInputs[3])
			v = appendFlag(v, typ, "ipv6", "ipv4")
		}
		if len(v) == 0 {
			continue
		}
		r.setDerivedStr(d.to, "", v)
	}
}

// appendFlag appends "true" or "false" for a value translated from a
// Sysmon boolean, nothing for any other value.
func appendFlag(dst, v []byte, yes, no string) []byte {
	switch string(v) {
	case yes:
		return append(dst, "true"...)
	case no:
		return append(dst, "false"...)
	}
	return dst
}
