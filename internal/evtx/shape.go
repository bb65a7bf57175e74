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
// skipName leaves out the Name attribute a named <Data> was keyed by.
// Children are matched by scanning rather than through a map: an element
// has tens of children at most.
func appendElement(dst []byte, el *node, skipName bool) []byte {
	attrs := len(el.attrs)
	if skipName {
		attrs--
	}
	texts, keys := 0, 0
	for i := range el.children {
		switch ch := &el.children[i]; ch.kind {
		case nodeValue:
			texts++
		case nodeElement:
			if k := keyOf(ch); !k.unnamed || countBefore(el.children[:i], k) == 0 {
				keys++
			}
		}
	}
	if attrs == 0 && keys == 0 {
		return appendText(dst, el.children, false)
	}
	n := keys
	if attrs > 0 {
		n++
	}
	if texts > 0 {
		n++
	}
	dst = msgpack.AppendMapHeader(dst, n)
	if attrs > 0 {
		dst = msgpack.AppendMapHeader(msgpack.AppendStr(dst, "#attributes"), attrs)
		for _, a := range el.attrs {
			if !skipName || a.name != "Name" {
				dst = appendText(msgpack.AppendStr(dst, a.name), a.parts, false)
			}
		}
	}
	if texts > 0 {
		dst = appendText(msgpack.AppendStr(dst, "#text"), el.children, false)
	}
	for i := range el.children {
		ch := &el.children[i]
		if ch.kind != nodeElement {
			continue
		}
		k := keyOf(ch)
		nth := countBefore(el.children[:i], k)
		switch {
		case k.unnamed && nth == 0:
			dst = appendUnnamedData(msgpack.AppendStr(dst, k.key), el.children[i:])
		case k.unnamed:
		case nth == 0:
			dst = appendChild(msgpack.AppendStr(dst, k.key), ch, k)
		default:
			dst = appendChild(msgpack.AppendStr(dst, k.key+"_"+strconv.Itoa(nth)), ch, k)
		}
	}
	return dst
}

// countBefore is how many of children are elements under key k.
func countBefore(children []node, k childKey) int {
	n := 0
	for i := range children {
		if children[i].kind == nodeElement && keyOf(&children[i]) == k {
			n++
		}
	}
	return n
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
