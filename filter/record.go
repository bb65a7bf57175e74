package filter

import (
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// fieldIndex resolves record keys to the rule set's field slots. It is
// built once per filter: keys are bucketed by length so that most keys of
// a record are dismissed by one length lookup, and the rest by one or two
// string compares, with no hashing.
type fieldIndex struct {
	byLen [][]fieldKey // index: key length
	slots int          // number of slots of the rule set
}

type fieldKey struct {
	name string
	slot int
}

// flatAliases lists, for the canonical logsource fields, the other top-level
// keys flat shippers use for them (NXLog, Splunk-style, evtx JSON exports).
var flatAliases = map[string][]string{
	rules.FieldEventID:  {"EventID", "EventCode"},
	rules.FieldChannel:  {"Channel"},
	rules.FieldProvider: {"Provider_Name", "ProviderName", "SourceName"},
}

func newFieldIndex(fields []string) fieldIndex {
	idx := fieldIndex{slots: len(fields)}
	add := func(name string, slot int) {
		for len(idx.byLen) <= len(name) {
			idx.byLen = append(idx.byLen, nil)
		}
		idx.byLen[len(name)] = append(idx.byLen[len(name)], fieldKey{name: name, slot: slot})
	}
	for slot, name := range fields {
		names := flatAliases[name]
		if names == nil {
			names = []string{name}
		}
		for _, n := range names {
			add(n, slot)
		}
	}
	return idx
}

// record is a rules.Event over one flat record body in a chunk: for each
// slot, the offset of its value in the chunk. Values are decoded only when
// a rule asks for them. A record is reused across the events of a chunk.
type record struct {
	chunk []byte
	at    []int // per slot: offset of the value, or -1
	num   [40]byte
}

func newRecord(slots int) *record {
	return &record{at: make([]int, slots)}
}

// Field implements rules.Event.
func (r *record) Field(slot int) ([]byte, bool) {
	off := r.at[slot]
	if off < 0 {
		return nil, false
	}
	return msgpack.ScalarText(r.chunk, off, r.num[:0])
}

// load indexes the body map at b[off:] and returns the offset after it.
// When a key appears twice, the first occurrence wins, as in Fluent Bit's
// own record accessors.
func (r *record) load(idx *fieldIndex, b []byte, off int) (end int, err error) {
	r.chunk = b
	for i := range r.at {
		r.at[i] = -1
	}
	n, p, err := msgpack.ReadMapHeader(b, off)
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		var key []byte
		var vp int
		if p < len(b) && b[p]&0xe0 == 0xa0 { // fixstr: nearly every key
			vp = p + 1 + int(b[p]&0x1f)
			if vp > len(b) {
				return 0, msgpack.ErrShortBytes
			}
			key = b[p+1 : vp]
		} else {
			var isStr bool
			if key, vp, isStr, err = msgpack.ReadStr(b, p); err != nil {
				return 0, err
			}
			if !isStr {
				if vp, err = msgpack.Skip(b, p); err != nil {
					return 0, err
				}
			}
		}
		if len(key) < len(idx.byLen) {
			for _, k := range idx.byLen[len(key)] {
				if k.name == string(key) && r.at[k.slot] < 0 {
					r.at[k.slot] = vp
				}
			}
		}
		if p, err = msgpack.Skip(b, vp); err != nil {
			return 0, err
		}
	}
	return p, nil
}
