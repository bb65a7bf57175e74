package evtx

import (
	"errors"
	"strconv"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

var errNoElement = errors.New("evtx: record holds no element")

// appendEvent appends the first element of a record as the map
// {name: value}, in the shape evtx_dump gives it.
func appendEvent(dst []byte, nodes []node) ([]byte, error) {
	for i := range nodes {
		if nodes[i].kind == nodeElement {
			dst = msgpack.AppendStr(msgpack.AppendMapHeader(dst, 1), nodes[i].name)
			return appendElement(dst, &nodes[i], false), nil
		}
	}
	return dst, errNoElement
}

// childKey is the key a child element is written under: a named <Data>
// under its Name, an unnamed one under "Data" (in a list of values),
// other elements under their own name.
type childKey struct {
	key     string
	named   bool // <Data Name="key">: "" when empty, its Name not repeated
	unnamed bool // <Data> without a Name
}

func keyOf(ch *node) childKey {
	if ch.name != "Data" {
		return childKey{key: ch.name}
	}
	for _, a := range ch.attrs {
		if a.name == "Name" {
			return childKey{key: textString(a.parts), named: true}
		}
	}
	return childKey{key: "Data", unnamed: true}
}

// appendElement appends an element's value: null when empty, its text
// alone, or a map of "#attributes", "#text" and its children in order. A
// child repeated under the same key gets the suffixes _1, _2, ... as
// evtx_dump writes them; unnamed <Data> are one list under "Data".
// skipName leaves out the Name attribute a named <Data> was keyed by (the
// first, as keyOf reads it). Every key is written once: see childKeys.
func appendElement(dst []byte, el *node, skipName bool) []byte {
	attrs := attributes(el, skipName)
	texts := 0
	for i := range el.children {
		if el.children[i].kind == nodeValue {
			texts++
		}
	}
	keys := newKeySet()
	if len(attrs) > 0 {
		keys.used["#attributes"] = true
	}
	if texts > 0 {
		keys.used["#text"] = true
	}
	children := childKeys(el, keys)
	if len(attrs) == 0 && len(children) == 0 {
		return appendText(dst, el.children, false)
	}
	dst = msgpack.AppendMapHeader(dst, len(keys.used))
	if len(attrs) > 0 {
		attrKeys := newKeySet()
		dst = msgpack.AppendMapHeader(msgpack.AppendStr(dst, "#attributes"), len(attrs))
		for _, a := range attrs {
			dst = appendText(msgpack.AppendStr(dst, attrKeys.unique(a.name)), a.parts, false)
		}
	}
	if texts > 0 {
		dst = appendText(msgpack.AppendStr(dst, "#text"), el.children, false)
	}
	for _, c := range children {
		ch := &el.children[c.index]
		dst = msgpack.AppendStr(dst, c.key)
		if c.unnamedList {
			dst = appendUnnamedData(dst, el.children[c.index:])
		} else {
			dst = appendChild(dst, ch, keyOf(ch))
		}
	}
	return dst
}

// attributes are the attributes of el that are written: all, less the
// first Name when skipName.
func attributes(el *node, skipName bool) []attr {
	for i, a := range el.attrs {
		if skipName && a.name == "Name" {
			return append(el.attrs[:i:i], el.attrs[i+1:]...)
		}
	}
	return el.attrs
}

// childOut is a child element as written: the child's index and its key;
// unnamedList marks the first unnamed <Data>, which writes them all.
type childOut struct {
	index       int
	key         string
	unnamedList bool
}

// childKeys decides, in one pass over the children, the key each child
// element is written under, marking every key in keys. A key is never
// written twice, whatever the log holds (a <Data Name="Data"> beside
// unnamed <Data>, a <Data Name="#text">, a <Foo_1> beside two <Foo>): a
// later child that would repeat one gets the next free suffix, so no
// value can hide another from a reader that keeps the first or the last.
func childKeys(el *node, keys *keySet) []childOut {
	var out []childOut
	seen := map[childKey]int{}
	listed := false
	for i := range el.children {
		ch := &el.children[i]
		if ch.kind != nodeElement {
			continue
		}
		k := keyOf(ch)
		if k.unnamed {
			if !listed {
				listed = true
				out = append(out, childOut{index: i, key: keys.unique(k.key), unnamedList: true})
			}
			continue
		}
		key := k.key
		if nth := seen[k]; nth > 0 {
			key += "_" + strconv.Itoa(nth)
		}
		seen[k]++
		out = append(out, childOut{index: i, key: keys.unique(key)})
	}
	return out
}

// keySet is the keys of one map, as they are given out.
type keySet struct {
	used map[string]bool
	next map[string]int // per key asked for: the first suffix not yet tried
}

func newKeySet() *keySet { return &keySet{used: map[string]bool{}, next: map[string]int{}} }

// unique returns key, or key with the first suffix _N not used, and marks
// it used. The suffixes a key has had are not tried again, so the n-th
// repeat of a key (an element of thousands of attributes named alike)
// costs no more than the first.
func (s *keySet) unique(key string) string {
	if !s.used[key] {
		s.used[key] = true
		return key
	}
	n := max(s.next[key], 1)
	k := key + "_" + strconv.Itoa(n)
	for s.used[k] {
		n++
		k = key + "_" + strconv.Itoa(n)
	}
	s.next[key] = n + 1
	s.used[k] = true
	return k
}

// appendChild appends the value of a child element: a named <Data> with
// no other attribute is its text, "" when empty.
func appendChild(dst []byte, el *node, k childKey) []byte {
	if k.named && len(el.attrs) == 1 && !hasElements(el) {
		return appendText(dst, el.children, true)
	}
	return appendElement(dst, el, k.named)
}

// appendUnnamedData appends the list of the values of the unnamed <Data>
// among children, string arrays flattened into it.
func appendUnnamedData(dst []byte, children []node) []byte {
	k := childKey{key: "Data", unnamed: true}
	count := 0
	for i := range children {
		if children[i].kind == nodeElement && keyOf(&children[i]) == k {
			count += groupLen(&children[i], k)
		}
	}
	dst = msgpack.AppendArrayHeader(dst, count)
	for i := range children {
		el := &children[i]
		if el.kind != nodeElement || keyOf(el) != k {
			continue
		}
		if v, ok := single(el.children); ok && v.kind == kindList {
			for _, e := range v.list() {
				dst = appendValue(dst, e)
			}
			continue
		}
		dst = appendText(dst, el.children, true)
	}
	return dst
}

// groupLen is how many values an element adds to its key's list.
func groupLen(el *node, k childKey) int {
	if k.unnamed {
		if v, ok := single(el.children); ok && v.kind == kindList {
			return len(v.list())
		}
	}
	return 1
}

func hasElements(el *node) bool {
	for i := range el.children {
		if el.children[i].kind == nodeElement {
			return true
		}
	}
	return false
}

// single returns the only value among nodes, if there is exactly one.
func single(nodes []node) (value, bool) {
	var v value
	n := 0
	for i := range nodes {
		if nodes[i].kind == nodeValue {
			v = nodes[i].val
			n++
		}
	}
	return v, n == 1
}

// appendText appends the text among nodes: a single value with its type,
// several joined as a string, none as null (as "" when emptyString, for
// <Data>).
func appendText(dst []byte, nodes []node, emptyString bool) []byte {
	if v, ok := single(nodes); ok {
		return appendValue(dst, v)
	}
	for i := range nodes {
		if nodes[i].kind == nodeValue {
			return msgpack.AppendStr(dst, textString(nodes))
		}
	}
	if emptyString {
		return msgpack.AppendStr(dst, "")
	}
	return msgpack.AppendNil(dst)
}

func appendValue(dst []byte, v value) []byte {
	switch v.kind {
	case kindString:
		return msgpack.AppendStr(dst, v.s)
	case kindInt:
		return msgpack.AppendInt(dst, v.int())
	case kindUint:
		return msgpack.AppendUint(dst, v.n)
	case kindFloat:
		return msgpack.AppendFloat(dst, v.float())
	case kindFloat32:
		return msgpack.AppendFloat32(dst, float32(v.float()))
	case kindBool:
		return msgpack.AppendBool(dst, v.n != 0)
	case kindList:
		dst = msgpack.AppendArrayHeader(dst, len(v.list()))
		for _, e := range v.list() {
			dst = appendValue(dst, e)
		}
		return dst
	}
	return msgpack.AppendNil(dst)
}

// textString joins the values among nodes as text.
func textString(nodes []node) string {
	if v, ok := single(nodes); ok && v.kind == kindString {
		return v.s
	}
	var sb strings.Builder
	for i := range nodes {
		if nodes[i].kind == nodeValue {
			appendString(&sb, nodes[i].val)
		}
	}
	return sb.String()
}

func appendString(sb *strings.Builder, v value) {
	switch v.kind {
	case kindString:
		sb.WriteString(v.s)
	case kindInt:
		sb.WriteString(strconv.FormatInt(v.int(), 10))
	case kindUint:
		sb.WriteString(strconv.FormatUint(v.n, 10))
	case kindFloat:
		sb.WriteString(strconv.FormatFloat(v.float(), 'g', -1, 64))
	case kindFloat32:
		sb.WriteString(strconv.FormatFloat(v.float(), 'g', -1, 32))
	case kindBool:
		sb.WriteString(strconv.FormatBool(v.n != 0))
	case kindList:
		for i, e := range v.list() {
			if i > 0 {
				sb.WriteByte(',')
			}
			appendString(sb, e)
		}
	}
}
