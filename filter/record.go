package filter

import (
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// record is a rules.Event over one record body in a chunk: for each
// slot, the offset of its value. Values are decoded only when a rule asks
// for them. A record is reused across the events of a chunk.
//
// Offsets below split point into the chunk; offsets from split on point
// into derived, where the second step (shapes.go) writes what it derives:
// a record decoded from JSON or XML text, Message lines, ECS fields put
// back together.
type record struct {
	chunk []byte
	body  int   // offset of the body map
	end   int   // offset after it
	at    []int // per slot: offset of the value, or absent
	// set lists the slots this record stored an offset for (see put): the
	// next load resets those, not all of at, which has a slot for every
	// field the rules read.
	set     []int32
	split   int // len(chunk): where derived offsets begin
	derived []byte
	base    int   // added to the offsets loadMap stores
	seen    uint8 // roles of the edges the walk stored values for
	inner   int   // offset in derived of a record decoded from text, or -1
	// unwrapped: the record read is an EventBridge event's detail
	// (loadDetail), which is not unwrapped again.
	unwrapped bool
	json      textevent.Converter
	num       [40]byte // Field's text of a number

	// Multi-valued fields (multivalue.go): the values of slots reached
	// through an array of maps, whose at is severalValues; several is set
	// when some slot holds an array or several values; inArray while the
	// walk is inside an array of maps.
	extra   []slotValue
	several bool
	inArray bool

	// ends holds, for each value of the body map that is a map or an
	// array, in order, the offset after it: appendEnriched copies the
	// body's pairs without walking evtx JSON's whole Event map again.
	// top is set while loadMap has yet to enter the body map.
	ends []int
	top  bool

	// outer and outerExtra are setAside's scratch: the outer record's
	// slots, and values of fields of several, of a record carried as text.
	outer      []slotOffset
	outerExtra []slotValue
}

func newRecord(slots int) *record {
	r := &record{at: make([]int, slots)}
	for i := range r.at {
		r.at[i] = absent
	}
	return r
}

// put stores off as slot's offset. Every store to at goes through it, so
// that load can reset what the last record set; a slot is listed once,
// when it first holds an offset, so the list is never longer than at.
func (r *record) put(slot, off int) {
	if r.at[slot] == absent && off != absent {
		r.set = append(r.set, int32(slot))
	}
	r.at[slot] = off
}

// Field implements rules.Event.
func (r *record) Field(slot int) ([]byte, bool) {
	b, off, ok := r.value(slot)
	if !ok {
		return nil, false
	}
	return msgpack.ScalarText(b, off, r.num[:0])
}

// hasEventID reports whether the record has an event ID as Windows
// events have one: a number.
func (r *record) hasEventID(idx *fieldIndex) bool {
	b, off, ok := r.value(idx.eventID)
	if !ok || off >= len(b) {
		return false
	}
	if c := b[off]; msgpack.IsFixInt(c) || msgpack.IsUint(c) {
		return true // the common case, read without rendering the number
	}
	_, ok = r.eventID(idx)
	return ok
}

// textKey is the key evtx JSON keeps an element's text under.
var textKey = []byte("#text")

// HoldsMap implements rules.FieldMap: a map that is not evtx JSON's
// wrapper of a value ({"#text": ...}, whose empty list is an absent
// field).
func (r *record) HoldsMap(slot int) bool {
	b, off, ok := r.value(slot)
	return ok && off < len(b) && msgpack.IsMap(b[off]) && mapValue(b, off, string(textKey)) < 0
}

// Present implements rules.FieldPresence: the record has the field,
// whatever it holds (null, a map or an array included).
func (r *record) Present(slot int) bool { return r.at[slot] != absent }

// absent is at's value for a slot the record has no value for.
const absent = -1

// maxDerived is the largest derived buffer a record keeps between
// records: a record with a larger text payload gets its own, freed after.
const maxDerived = 256 << 10

// load indexes the body map at b[off:] and returns the offset after it.
// When a field appears twice, the last occurrence wins, as in Fluent
// Bit's own record accessor (flb_ra_key.c reads a map's keys from its
// end): the value rules see is the one rewrite_tag, grep and the outputs
// see, so a harmless copy in front of a field cannot hide it.
func (r *record) load(idx *fieldIndex, b []byte, off int) (end int, err error) {
	r.chunk, r.body, r.split, r.base = b, off, len(b), 0
	r.seen, r.inner, r.unwrapped = 0, -1, false
	r.extra, r.several, r.inArray = r.extra[:0], false, false
	if cap(r.derived) > maxDerived {
		r.derived = nil
	}
	r.derived = r.derived[:0]
	for _, slot := range r.set {
		r.at[slot] = absent
	}
	r.set = r.set[:0]
	if cap(r.ends) > maxKeptPairs {
		r.ends = nil
	}
	r.ends, r.top = r.ends[:0], true
	if end, err = r.loadMap(idx.root, b, off); err != nil {
		return 0, err
	}
	r.end = end
	if r.seen&^roleData != 0 {
		r.resolve(idx)
	}
	if idx.logsource >= 0 {
		switch {
		case idx.logsourceValue != nil:
			r.setLogsource(idx) // the configured one
		case !r.hasEventID(idx):
			// A JSON log recognised by its keys: a channel key alone (a
			// software release channel), or an event ID that is no number,
			// does not make a record a Windows event.
			r.setLogsource(idx)
		case r.at[idx.channel] != absent && idx.otherProducts:
			// A Windows record: its channel and event ID tell which
			// Windows rules apply; the list says it is Windows, so that
			// other products' rules do not run on a channel no guard maps.
			r.setWindowsLogsource(idx)
		}
	}
	return end, nil
}

func (r *record) loadMap(node *keyNode, b []byte, off int) (end int, err error) {
	n, p, err := msgpack.ReadMapHeader(b, off)
	if err != nil {
		return 0, err
	}
	top := r.top
	r.top = false
	for i := 0; i < n; i++ {
		key, vp, ok := msgpack.ReadFixStr(b, p) // nearly every key
		if !ok {
			if key, _, vp, err = readKey(b, p); err != nil {
				return 0, err
			}
		}
		e := node.lookup(key)
		if containerAt(b, vp) {
			if e != nil {
				p, err = r.loadContainer(e, b, vp)
			} else {
				p, err = msgpack.Skip(b, vp)
			}
			if err != nil {
				return 0, err
			}
			if top {
				r.ends = append(r.ends, p)
			}
			continue
		}
		if e != nil && len(e.slots) > 0 { // fill, inlined for flat records
			r.seen |= e.roles
			if r.inArray {
				r.addValues(e.slots, r.base+vp)
			} else {
				for _, slot := range e.slots {
					r.put(slot, r.base+vp)
				}
			}
		}
		if p, err = msgpack.Skip(b, vp); err != nil {
			return 0, err
		}
	}
	return p, nil
}

// containerAt reports whether the value at b[p:] is a map or an array:
// what loadMap descends into, and notes the end of in the body
// (record.ends), as appendEnriched reads it. The fixstr test first: most
// values are short strings.
func containerAt(b []byte, p int) bool {
	return p < len(b) && !msgpack.IsFixStr(b[p]) && msgpack.IsContainer(b[p])
}

// fill makes the value at off (as at stores it) the value of e's slots.
// When a field appears twice, the last occurrence wins (see load), except
// inside an array of maps, where every occurrence is one of the field's
// values.
func (r *record) fill(e *keyEdge, off int) {
	r.seen |= e.roles
	if r.inArray {
		r.addValues(e.slots, off)
		return
	}
	for _, slot := range e.slots {
		r.put(slot, off)
	}
}

// loadContainer handles a map or array value under e's key and returns
// the offset after it: a map is searched with e's child node; otherwise
// the value fills e's slots (an array makes them multi-valued), and the
// maps in an array are searched with the child node.
func (r *record) loadContainer(e *keyEdge, b []byte, vp int) (end int, err error) {
	if e.child != nil && msgpack.IsMap(b[vp]) {
		end, err = r.loadMap(e.child, b, vp)
		// The map is the value of e's own slots too (for exists), unless
		// a field inside gave them one, whatever other rules read inside
		// it; but not a map that wraps a value (evtx JSON's {"#text": ...}):
		// an empty one there is an absent field.
		if err == nil && !r.inArray && e.child.lookupExact(textKey) == nil {
			for _, slot := range e.slots {
				if r.at[slot] == absent {
					r.put(slot, r.base+vp)
				}
			}
		}
		return end, err
	}
	if len(e.slots) > 0 {
		r.fill(e, r.base+vp)
		r.several = r.several || isArray(b[vp])
	}
	if e.child != nil && isArray(b[vp]) {
		return r.loadArrayOfMaps(e.child, b, vp)
	}
	return msgpack.Skip(b, vp)
}

// readKey reads the key of the map pair at b[p:] and returns the offset
// of its value. A key that is not a string comes back nil, isStr false:
// only the "*" edge matches it.
func readKey(b []byte, p int) (key []byte, isStr bool, value int, err error) {
	key, value, isStr, err = msgpack.ReadStr(b, p)
	if err != nil || isStr {
		return key, isStr, value, err
	}
	value, err = msgpack.Skip(b, p)
	return nil, false, value, err
}

// value returns the buffer and local offset of a slot's value.
func (r *record) value(slot int) ([]byte, int, bool) {
	off := r.at[slot]
	switch {
	case off < 0:
		return nil, 0, false
	case off >= r.split:
		return r.derived, off - r.split, true
	}
	return r.chunk, off, true
}

// maxKeywordDepth bounds how deep EachString descends; strings nested
// deeper are not searched (the walk skips them, it does not fail).
const maxKeywordDepth = 32

// EachString implements rules.Event: every string, number and boolean
// value of the body, in record order, nested maps and arrays included;
// numbers and booleans as the text Field gives them. Keys are not visited.
func (r *record) EachString(v rules.Visitor) bool {
	b, body := r.chunk, r.body
	if r.inner >= 0 { // the record carried as text is the event
		b, body = r.derived, r.inner
	}
	type frame struct {
		left       int
		isMap, key bool
	}
	var stack [maxKeywordDepth]frame
	n, p, err := msgpack.ReadMapHeader(b, body)
	if err != nil {
		return false
	}
	stack[0] = frame{left: n, isMap: true, key: true}
	depth := 1
	for depth > 0 {
		top := &stack[depth-1]
		if top.left == 0 {
			depth--
			continue
		}
		if top.isMap && top.key {
			if p, err = msgpack.Skip(b, p); err != nil {
				return false
			}
			top.key = false
			continue
		}
		top.left--
		top.key = true
		if p < len(b) && !msgpack.IsContainer(b[p]) {
			if r.visitScalar(v, b, p) {
				return true
			}
		}
		if depth < maxKeywordDepth && p < len(b) && msgpack.IsContainer(b[p]) {
			if n, next, isMap, err := openContainer(b, p); err == nil {
				stack[depth] = frame{left: n, isMap: isMap, key: isMap}
				depth++
				p = next
				continue
			}
		}
		if p, err = msgpack.Skip(b, p); err != nil {
			return false
		}
	}
	return false
}

// RawStrings implements rules.RawStrings: the body map, whose strings
// msgpack holds as they are. A record decoded from text has no such
// bytes at hand.
func (r *record) RawStrings() ([]byte, bool) {
	if r.inner >= 0 {
		return nil, false
	}
	return r.chunk[r.body:r.end], true
}

// visitScalar hands the string, number or boolean at b[p:] to v as text;
// a number's text is written to r.num, so nothing is allocated.
func (r *record) visitScalar(v rules.Visitor, b []byte, p int) bool {
	text, ok := msgpack.ScalarText(b, p, r.num[:0])
	return ok && v.Visit(text)
}

// openContainer reads the header of the map or array at b[p:]. It tests
// the kind first: a failed read builds an error, which allocates.
func openContainer(b []byte, p int) (n, next int, isMap bool, err error) {
	if msgpack.IsMap(b[p]) {
		n, next, err = msgpack.ReadMapHeader(b, p)
		return n, next, true, err
	}
	n, next, err = msgpack.ReadArrayHeader(b, p)
	return n, next, false, err
}
