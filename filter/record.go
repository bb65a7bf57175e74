package filter

import (
	"bytes"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// fieldIndex resolves record keys to the rule set's field slots. It is a
// tree of keys, built once per filter from the record shapes the filter
// knows: a flat record keeps Sysmon fields at the top level; an evtx JSON
// record (evtx_dump, SigmaHQ's regression data) under Event.System and
// Event.EventData; Winlogbeat under winlog (event_data for the fields);
// Fluent Bit's in_winevtlog with event_data_as_map under EventData; the
// OpenTelemetry windowseventlog receiver under event_data, with
// event_id.id and provider.name. At each level keys are bucketed by length, so most keys
// of a record are dismissed by one length lookup and the rest by a string
// compare or two, with no hashing. The tree is at most a few levels deep,
// which bounds the descent whatever the record's nesting.
type fieldIndex struct {
	root *keyNode
}

type keyNode struct {
	byLen [][]keyEdge // index: key length
	// big: the edges by name, for nodes with many keys of one length (a
	// large rule set reads hundreds of fields), where comparing against
	// each would cost more than hashing once.
	big map[string]*keyEdge
	any *keyEdge // the "*" key: matches any key (evtx UserData's element)
	// squeeze: a key with spaces also matches its name without them. Set
	// below the top level, where evtx EventData keys live.
	squeeze bool
}

type keyEdge struct {
	name  string
	slots []int    // a scalar value under this key fills these slots
	child *keyNode // a map value under this key is searched with child
}

// fieldPaths returns where the shapes keep the field name. Paths earlier in
// the list win when a record has several.
func fieldPaths(name string) [][]string {
	switch name {
	case rules.FieldEventID:
		return [][]string{{"EventID"}, {"EventCode"}, {"Event", "System", "EventID"}, {"Event", "System", "EventID", "#text"},
			{"winlog", "event_id"}, {"event_id", "id"}}
	case rules.FieldChannel:
		return [][]string{{"Channel"}, {"Event", "System", "Channel"}, {"winlog", "channel"}, {"channel"}}
	case rules.FieldProvider:
		return [][]string{{"Provider_Name"}, {"ProviderName"}, {"SourceName"},
			{"Event", "System", "Provider", "#attributes", "Name"}, {"winlog", "provider_name"}, {"provider", "name"}}
	}
	paths := [][]string{{name}, {"Event", "EventData", name}, {"Event", "System", name}, {"Event", "UserData", "*", name},
		{"winlog", "event_data", name}, {"EventData", name}, {"event_data", name}}
	// Top-level keys are not squeezed (that would cost every flat record a
	// search for spaces); the usual spelling with spaces is indexed instead.
	if spaced := camelSpaced(name); spaced != name {
		paths = append(paths, []string{spaced})
	}
	return paths
}

// camelSpaced splits a CamelCase name where Windows event data puts spaces:
// "ThreatName" -> "Threat Name", "DetectionID" -> "Detection ID".
func camelSpaced(name string) string {
	var b []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if i > 0 && 'A' <= c && c <= 'Z' && 'a' <= name[i-1] && name[i-1] <= 'z' {
			b = append(b, ' ')
		}
		b = append(b, c)
	}
	return string(b)
}

// maxBucket is the most keys of one length a node compares one by one.
const maxBucket = 4

func newFieldIndex(fields []string) fieldIndex {
	idx := fieldIndex{root: &keyNode{}}
	defer idx.root.finish()
	for slot, name := range fields {
		for _, path := range fieldPaths(name) {
			node := idx.root
			for i, key := range path {
				e := node.edge(key)
				if i == len(path)-1 {
					e.slots = append(e.slots, slot)
				} else {
					if e.child == nil {
						e.child = &keyNode{squeeze: true}
					}
					node = e.child
				}
			}
		}
	}
	return idx
}

// finish switches nodes with crowded buckets to a map, recursively.
func (n *keyNode) finish() {
	crowded := false
	for _, bucket := range n.byLen {
		crowded = crowded || len(bucket) > maxBucket
	}
	for i := range n.byLen {
		for j := range n.byLen[i] {
			e := &n.byLen[i][j]
			if crowded {
				if n.big == nil {
					n.big = map[string]*keyEdge{}
				}
				n.big[e.name] = e
			}
			if e.child != nil {
				e.child.finish()
			}
		}
	}
	if n.any != nil && n.any.child != nil {
		n.any.child.finish()
	}
}

// edge returns the edge for key, adding it if needed.
func (n *keyNode) edge(key string) *keyEdge {
	if key == "*" {
		if n.any == nil {
			n.any = &keyEdge{name: key}
		}
		return n.any
	}
	for len(n.byLen) <= len(key) {
		n.byLen = append(n.byLen, nil)
	}
	bucket := n.byLen[len(key)]
	for i := range bucket {
		if bucket[i].name == key {
			return &bucket[i]
		}
	}
	n.byLen[len(key)] = append(bucket, keyEdge{name: key})
	return &n.byLen[len(key)][len(bucket)]
}

// lookup finds the edge for key. A key with spaces ("Threat Name", as
// Windows Defender writes EventData) also matches the field name without
// them ("ThreatName"), as Sigma rules spell it.
func (n *keyNode) lookup(key []byte) *keyEdge {
	if e := n.lookupExact(key); e != nil {
		return e
	}
	if n.squeeze && len(key) <= 64 && bytes.IndexByte(key, ' ') >= 0 {
		var buf [64]byte
		squeezed := buf[:0]
		for _, c := range key {
			if c != ' ' {
				squeezed = append(squeezed, c)
			}
		}
		if e := n.lookupExact(squeezed); e != nil {
			return e
		}
	}
	return n.any
}

func (n *keyNode) lookupExact(key []byte) *keyEdge {
	if n.big != nil {
		return n.big[string(key)]
	}
	if len(key) >= len(n.byLen) {
		return nil
	}
	bucket := n.byLen[len(key)]
	if len(bucket) == 0 {
		return nil
	}
	// Keys of one length mostly differ in their first or last byte:
	// compare those before the whole key.
	first, last := key[0], key[len(key)-1]
	for i := range bucket {
		name := bucket[i].name
		if name[0] == first && name[len(name)-1] == last && name == string(key) {
			return &bucket[i]
		}
	}
	return nil
}

// record is a rules.Event over one record body in a chunk: for each
// slot, the offset of its value in the chunk. Values are decoded only when
// a rule asks for them. A record is reused across the events of a chunk.
type record struct {
	chunk []byte
	body  int   // offset of the body map
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
// When a field appears twice, the first occurrence wins, as in Fluent
// Bit's own record accessors.
func (r *record) load(idx *fieldIndex, b []byte, off int) (end int, err error) {
	r.chunk, r.body = b, off
	for i := range r.at {
		r.at[i] = -1
	}
	return r.loadMap(idx.root, b, off)
}

func (r *record) loadMap(node *keyNode, b []byte, off int) (end int, err error) {
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
		e := node.lookup(key)
		if e != nil && e.child != nil && vp < len(b) && isMap(b[vp]) {
			if p, err = r.loadMap(e.child, b, vp); err != nil {
				return 0, err
			}
			continue
		}
		if e != nil {
			for _, slot := range e.slots {
				if r.at[slot] < 0 {
					r.at[slot] = vp
				}
			}
		}
		if p, err = msgpack.Skip(b, vp); err != nil {
			return 0, err
		}
	}
	return p, nil
}

func isMap(c byte) bool { return c&0xf0 == 0x80 || c == 0xde || c == 0xdf }

func isContainer(c byte) bool { return c&0xe0 == 0x80 || c >= 0xdc && c <= 0xdf }

// maxKeywordDepth bounds how deep EachString descends; strings nested
// deeper are not searched (the walk skips them, it does not fail).
const maxKeywordDepth = 32

// EachString implements rules.Event: every string value of the body, in
// record order, nested maps and arrays included. Keys are not visited.
func (r *record) EachString(v rules.Visitor) bool {
	b := r.chunk
	type frame struct {
		left       int
		isMap, key bool
	}
	var stack [maxKeywordDepth]frame
	n, p, err := msgpack.ReadMapHeader(b, r.body)
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
		if p < len(b) && isContainer(b[p]) {
			// handled below
		} else if s, next, isStr, err := msgpack.ReadStr(b, p); err != nil {
			return false
		} else if isStr {
			if v.Visit(s) {
				return true
			}
			p = next
			continue
		}
		if depth < maxKeywordDepth && p < len(b) && isContainer(b[p]) {
			if n, next, err := msgpack.ReadMapHeader(b, p); err == nil {
				stack[depth] = frame{left: n, isMap: true, key: true}
				depth++
				p = next
				continue
			}
			if n, next, err := msgpack.ReadArrayHeader(b, p); err == nil {
				stack[depth] = frame{left: n}
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
