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
	n, p, _ := msgpack.ReadMapHeader(b, ev.body) // checked by nextEvent
	// First pass: find add_key. Offsets were validated by nextEvent's skip.
	existing := 0
	q := p
	for i := 0; i < n; i++ {
		key, vp, isStr, _ := msgpack.ReadStr(b, q)
		if !isStr {
			vp, _ = msgpack.Skip(b, q)
		}
		end, _ := msgpack.Skip(b, vp)
		if isStr && string(key) == f.addKey {
			existing++
		}
		q = end
	}
	count := n + 1
	if existing > 0 {
		count = n - existing + 1
	}
	dst = append(dst, b[ev.start:ev.body]...)
	dst = msgpack.AppendMapHeader(dst, count)
	written := false
	for i := 0; i < n; i++ {
		key, vp, isStr, _ := msgpack.ReadStr(b, p)
		if !isStr {
			vp, _ = msgpack.Skip(b, p)
		}
		end, _ := msgpack.Skip(b, vp)
		if isStr && string(key) == f.addKey {
			if !written {
				dst = append(dst, b[p:vp]...)
				dst = f.appendValue(dst, matched)
				written = true
			}
		} else {
			dst = append(dst, b[p:end]...)
		}
		p = end
	}
	if !written {
		dst = msgpack.AppendStr(dst, f.addKey)
		dst = f.appendValue(dst, matched)
	}
	return dst
}
