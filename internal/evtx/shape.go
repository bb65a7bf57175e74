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

// childGroup gathers the children written under one key.
type childGroup struct {
	key   string
	nodes []*node
	data  bool // unnamed <Data>: always a list of values
	named bool // <Data Name="key">: "" when empty, its Name not repeated
}

// appendElement appends an element's value: null when empty, its text
// alone, or a map of "#attributes", "#text" and its children by name.
// skipName leaves out the Name attribute a named <Data> was keyed by.
func appendElement(dst []byte, el *node, skipName bool) []byte {
	attrs := el.attrs
	if skipName {
		attrs = withoutName(attrs)
	}
	var text []value
	var groups []childGroup
	for i := range el.children {
		ch := &el.children[i]
		switch ch.kind {
		case nodeValue:
			text = append(text, ch.val)
		case nodeElement:
			groups = addChild(groups, ch)
		}
	}
	if len(attrs) == 0 && len(groups) == 0 {
		return appendScalar(dst, text)
	}
	n := len(groups)
	if len(attrs) > 0 {
		n++
	}
	if len(text) > 0 {
		n++
	}
	dst = msgpack.AppendMapHeader(dst, n)
	if len(attrs) > 0 {
		dst = msgpack.AppendMapHeader(msgpack.AppendStr(dst, "#attributes"), len(attrs))
		for _, a := range attrs {
			dst = appendScalar(msgpack.AppendStr(dst, a.name), values(a.parts))
		}
	}
	if len(text) > 0 {
		dst = appendScalar(msgpack.AppendStr(dst, "#text"), text)
	}
	for _, g := range groups {
		dst = appendGroup(msgpack.AppendStr(dst, g.key), g)
	}
	return dst
}

// addChild files a child element under its key: a named <Data> under its
// Name, other elements under their own name.
func addChild(groups []childGroup, ch *node) []childGroup {
	key, named, data := ch.name, false, false
	if ch.name == "Data" {
		if name, ok := dataName(ch); ok {
			key, named = name, true
		} else {
			data = true
		}
	}
	for i := range groups {
		if groups[i].key == key && groups[i].data == data {
			groups[i].nodes = append(groups[i].nodes, ch)
			return groups
		}
	}
	return append(groups, childGroup{key: key, nodes: []*node{ch}, data: data, named: named})
}

func dataName(el *node) (string, bool) {
	for _, a := range el.attrs {
		if a.name == "Name" {
			return valueString(values(a.parts)), true
		}
	}
	return "", false
}

func withoutName(attrs []attr) []attr {
	var out []attr
	for _, a := range attrs {
		if a.name != "Name" {
			out = append(out, a)
		}
	}
	return out
}

// appendGroup appends the value of one key: a single element's value, a
// list for repeated elements, and for unnamed <Data> always the list of
// their values (arrays flattened into it).
func appendGroup(dst []byte, g childGroup) []byte {
	if g.data {
		var list []value
		for _, el := range g.nodes {
			v := values(el.children)
			if len(v) == 1 && v[0].kind == kindList {
				list = append(list, v[0].list...)
				continue
			}
			list = append(list, value{kind: kindString, s: valueString(v)})
			if len(v) == 1 {
				list[len(list)-1] = v[0]
			}
		}
		dst = msgpack.AppendArrayHeader(dst, len(list))
		for _, v := range list {
			dst = appendValue(dst, v)
		}
		return dst
	}
	if len(g.nodes) > 1 {
		dst = msgpack.AppendArrayHeader(dst, len(g.nodes))
	}
	for _, el := range g.nodes {
		if g.named && len(withoutName(el.attrs)) == 0 && !hasElements(el) {
			dst = appendText(dst, values(el.children))
			continue
		}
		dst = appendElement(dst, el, g.named)
	}
	return dst
}

func hasElements(el *node) bool {
	for i := range el.children {
		if el.children[i].kind == nodeElement {
			return true
		}
	}
	return false
}

// values are the value nodes among nodes.
func values(nodes []node) []value {
	var out []value
	for i := range nodes {
		if nodes[i].kind == nodeValue {
			out = append(out, nodes[i].val)
		}
	}
	return out
}

// appendScalar appends text content: null when there is none, a single
// value with its type, several joined as a string.
func appendScalar(dst []byte, vals []value) []byte {
	switch len(vals) {
	case 0:
		return msgpack.AppendNil(dst)
	case 1:
		return appendValue(dst, vals[0])
	}
	return msgpack.AppendStr(dst, valueString(vals))
}

// appendText is appendScalar for a named <Data>: empty is "", not null.
func appendText(dst []byte, vals []value) []byte {
	if len(vals) == 0 {
		return msgpack.AppendStr(dst, "")
	}
	return appendScalar(dst, vals)
}

func appendValue(dst []byte, v value) []byte {
	switch v.kind {
	case kindString:
		return msgpack.AppendStr(dst, v.s)
	case kindInt:
		return msgpack.AppendInt(dst, v.i)
	case kindUint:
		return msgpack.AppendUint(dst, v.u)
	case kindFloat:
		return msgpack.AppendFloat(dst, v.f)
	case kindBool:
		return msgpack.AppendBool(dst, v.b)
	case kindList:
		dst = msgpack.AppendArrayHeader(dst, len(v.list))
		for _, e := range v.list {
			dst = appendValue(dst, e)
		}
		return dst
	}
	return msgpack.AppendNil(dst)
}

// valueString joins values as text.
func valueString(vals []value) string {
	var sb strings.Builder
	for _, v := range vals {
		appendString(&sb, v)
	}
	return sb.String()
}

func appendString(sb *strings.Builder, v value) {
	switch v.kind {
	case kindString:
		sb.WriteString(v.s)
	case kindInt:
		sb.WriteString(strconv.FormatInt(v.i, 10))
	case kindUint:
		sb.WriteString(strconv.FormatUint(v.u, 10))
	case kindFloat:
		sb.WriteString(strconv.FormatFloat(v.f, 'g', -1, 64))
	case kindBool:
		sb.WriteString(strconv.FormatBool(v.b))
	case kindList:
		for i, e := range v.list {
			if i > 0 {
				sb.WriteByte(',')
			}
			appendString(sb, e)
		}
	}
}
