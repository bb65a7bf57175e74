package filter

import (
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// The value written under add_key:
//
//	{"matches": [{"id": ..., "title": ..., "level": ..., "status": ..., "tags": [...]}, ...],
//	 "level": <highest level among the matches>}
//
// Each rule's entry is encoded once, in New, so enriching a record is a
// few appends.

func encodeMatch(r rules.Rule) []byte {
	b := msgpack.AppendMapHeader(nil, 5)
	b = msgpack.AppendStr(b, "id")
	b = msgpack.AppendStr(b, r.ID)
	b = msgpack.AppendStr(b, "title")
	b = msgpack.AppendStr(b, r.Title)
	b = msgpack.AppendStr(b, "level")
	b = msgpack.AppendStr(b, r.Level.String())
	b = msgpack.AppendStr(b, "status")
	b = msgpack.AppendStr(b, r.Status)
	b = msgpack.AppendStr(b, "tags")
	b = msgpack.AppendArrayHeader(b, len(r.Tags))
	for _, t := range r.Tags {
		b = msgpack.AppendStr(b, t)
	}
	return b
}

func (f *Filter) appendValue(dst []byte, matched []int) []byte {
	top := rules.LevelUnknown
	rs := f.set.Rules()
	for _, i := range matched {
		top = max(top, rs[i].Level)
	}
	dst = msgpack.AppendMapHeader(dst, 2)
	dst = msgpack.AppendStr(dst, "matches")
	dst = msgpack.AppendArrayHeader(dst, len(matched))
	for _, i := range matched {
		dst = append(dst, f.entries[i]...)
	}
	dst = msgpack.AppendStr(dst, "level")
	return msgpack.AppendStr(dst, top.String())
}

// appendEnriched appends ev with add_key set to the matches. The timestamp,
// metadata and every other key and value are copied byte for byte, in
// their order. An existing add_key is replaced where it stands; should the
// record hold it more than once, the later copies are dropped so the output
// never has a duplicate key.
func (f *Filter) appendEnriched(dst, b []byte, ev event, matched []int) []byte {
	// record.load has walked this body, so it is complete msgpack.
	n, first, _ := msgpack.ReadMapHeader(b, ev.body)
	existing := 0
	for i, p := 0, first; i < n; i++ {
		key, isStr, _, end := pairAt(b, p)
		if isStr && string(key) == f.addKey {
			existing++
		}
		p = end
	}
	dst = append(dst, b[ev.start:ev.body]...)
	dst = msgpack.AppendMapHeader(dst, n-existing+1)
	written := false
	for i, p := 0, first; i < n; i++ {
		key, isStr, value, end := pairAt(b, p)
		switch {
		case !isStr || string(key) != f.addKey:
			dst = append(dst, b[p:end]...)
		case !written:
			dst = append(dst, b[p:value]...)
			dst = f.appendValue(dst, matched)
			written = true
		}
		p = end
	}
	if !written {
		dst = msgpack.AppendStr(dst, f.addKey)
		dst = f.appendValue(dst, matched)
	}
	return dst
}

// pairAt reads the map pair at b[p:], which must be complete msgpack: the
// key (when it is a string), the value's offset and the pair's end.
func pairAt(b []byte, p int) (key []byte, isStr bool, value, end int) {
	key, value, isStr, _ = msgpack.ReadStr(b, p)
	if !isStr {
		value, _ = msgpack.Skip(b, p)
	}
	end, _ = msgpack.Skip(b, value)
	return key, isStr, value, end
}
