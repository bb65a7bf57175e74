package textevent

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// errNotXMLEvent: the text's root element is not <Event>.
var errNotXMLEvent = errors.New("textevent: not an XML <Event>")

// errAfterEvent: the text goes on after the event's element.
var errAfterEvent = errors.New("textevent: text after the XML <Event>")

// maxXMLDepth bounds element nesting; Windows events are four levels deep
// (Event, EventData, Data) and UserData adds two or three.
const maxXMLDepth = 16

// maxXMLAttrs is how many attributes of one element are kept.
const maxXMLAttrs = 16

// AppendXMLEvent appends the Windows event XML in text (Fluent Bit's
// in_winevtlog with render_event_as_xml, Sysmon for Linux through syslog)
// as msgpack, in the shape evtx_dump gives it: elements become keys,
// attributes a "#attributes" map, text with attributes "#text", an empty
// element null, and each <Data Name="X">v</Data> the key X with the value
// v. An empty Data element is an empty string, not null: the event holds
// the value "" (evtx_dump writes "" too). Data elements without a name
// (classic providers write their values so) become one key Data: the value
// itself when there is one, {"#text": [v1, v2...]} when there are several,
// as evtx_dump writes them. Only what a Windows event uses is read: elements, attributes, text,
// CDATA, comments, processing instructions and the predefined and numeric
// entities; a DOCTYPE is refused, so no entity expansion can blow up.
// Maps and strings are written with 32-bit headers, their sizes set when
// known. On error dst comes back as it was.
func AppendXMLEvent(dst, text []byte) ([]byte, error) {
	return AppendXMLEventWith(dst, text, "", nil)
}

// AppendXMLEventWith is AppendXMLEvent with one more key beside Event,
// when value is not nil: the text the event was shipped with (Fluent
// Bit's render_event_as_xml sends the rendered Message beside the XML),
// so that the record read from the XML keeps it.
func AppendXMLEventWith(dst, text []byte, key string, value []byte) ([]byte, error) {
	x := xmlReader{s: text, out: dst}
	x.skipMisc()
	if rest := text[x.p:]; !bytes.HasPrefix(rest, []byte("<Event")) || len(rest) < 7 || isNameByte(rest[6]) {
		return dst, errNotXMLEvent
	}
	keys := 1
	if value != nil {
		keys = 2
	}
	x.out = msgpack.AppendStr(msgpack.AppendMapHeader(x.out, keys), "Event")
	x.p++
	x.element(0)
	if x.err != nil {
		return dst, x.err
	}
	// The text is the event, whole: what follows it would otherwise be
	// read by nobody (keyword rules search the event read from the text).
	// White space only: a comment or instruction after it is no event's.
	if len(bytes.TrimLeft(x.s[x.p:], " \t\r\n")) > 0 {
		return dst, errAfterEvent
	}
	if value != nil {
		x.out = msgpack.AppendStrBytes(msgpack.AppendStr(x.out, key), value)
	}
	return x.out, nil
}

// xmlReader reads one XML document from s, appending msgpack to out. The
// first failure sets err and moves p to the end, so that every loop stops.
type xmlReader struct {
	s   []byte
	p   int
	out []byte
	err error
	// attrs holds the attributes of the start tag read last. An element
	// writes its attributes before it reads its children, so one buffer
	// serves every level, zeroed once per document rather than per element.
	attrs [maxXMLAttrs]xmlAttr
	// unnamed holds the values of the unnamed Data children read so far,
	// each parent's after the mark it took; they are written as one key
	// when the parent ends.
	unnamed []byte
}

var errBadXML = errors.New("textevent: malformed XML event")

func (x *xmlReader) fail() {
	if x.err == nil {
		x.err = errBadXML
	}
	x.p = len(x.s)
}

// skipMisc skips white space and the XML declaration before the root. A
// comment or another processing instruction there is left, and so is no
// event: its text would be read by nobody.
func (x *xmlReader) skipMisc() {
	for x.p < len(x.s) {
		switch {
		case isXMLSpace(x.s[x.p]):
			x.p++
		case bytes.HasPrefix(x.s[x.p:], []byte("<?xml ")):
			x.skipPast("?>")
		default:
			return
		}
	}
}

func (x *xmlReader) skipPast(end string) {
	i := bytes.Index(x.s[x.p:], []byte(end))
	if i < 0 {
		x.fail()
		return
	}
	x.p += i + len(end)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (x *xmlReader) skipSpace() {
	for x.p < len(x.s) && isXMLSpace(x.s[x.p]) {
		x.p++
	}
}

func isNameByte(c byte) bool {
	return c > ' ' && c != '/' && c != '>' && c != '=' && c != '<' && c != '"' && c != '\''
}

func (x *xmlReader) name() []byte {
	start := x.p
	for x.p < len(x.s) && isNameByte(x.s[x.p]) {
		x.p++
	}
	if x.p == start {
		x.fail()
	}
	return x.s[start:x.p]
}

// localName drops a namespace prefix.
func localName(n []byte) []byte {
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

type xmlAttr struct{ name, value []byte } // value still escaped

// startTag is what an element's start tag says.
type startTag struct {
	name        []byte
	attrs       []xmlAttr // the first maxXMLAttrs, in x.attrs
	selfClosing bool      // <name/>
}

// element reads the element whose '<' was just consumed and writes its key
// and value; for a Data element without a name, its value alone, and
// unnamed comes back true.
func (x *xmlReader) element(depth int) (unnamed bool) {
	if depth > maxXMLDepth {
		x.fail()
		return false
	}
	tag := x.startTag()
	if x.err != nil {
		return false
	}
	attrs := tag.attrs
	if depth > 0 { // the root's key is written by the caller
		attrs, unnamed = x.appendKey(tag.name, attrs)
	}
	isData := string(localName(tag.name)) == "Data"
	switch {
	case tag.selfClosing && isData && len(attrs) == 0:
		x.out = msgpack.AppendStr(x.out, "")
	case tag.selfClosing:
		x.appendEmpty(attrs)
	case !x.hasChildren():
		x.appendLeaf(tag.name, attrs, isData)
	default:
		x.appendParent(tag.name, attrs, depth)
	}
	return unnamed
}

// startTag reads the rest of a start tag: the name, the attributes, and
// '>' or "/>".
func (x *xmlReader) startTag() (tag startTag) {
	tag.name = x.name()
	n := 0
	for x.err == nil {
		x.skipSpace()
		if x.p >= len(x.s) {
			x.fail()
			break
		}
		if c := x.s[x.p]; c == '>' {
			x.p++
			break
		} else if c == '/' {
			if x.p+1 >= len(x.s) || x.s[x.p+1] != '>' {
				x.fail()
				break
			}
			x.p += 2
			tag.selfClosing = true
			break
		}
		name, value := x.attribute()
		if x.err == nil && n < maxXMLAttrs {
			x.attrs[n] = xmlAttr{localName(name), value}
			n++
		}
	}
	tag.attrs = x.attrs[:n]
	return tag
}

// attribute reads name="value" or name='value'.
func (x *xmlReader) attribute() (name, value []byte) {
	name = x.name()
	if x.p >= len(x.s) || x.s[x.p] != '=' {
		x.fail()
		return nil, nil
	}
	x.p++
	if x.p >= len(x.s) || (x.s[x.p] != '"' && x.s[x.p] != '\'') {
		x.fail()
		return nil, nil
	}
	q := x.s[x.p]
	end := bytes.IndexByte(x.s[x.p+1:], q)
	if end < 0 {
		x.fail()
		return nil, nil
	}
	value = x.s[x.p+1 : x.p+1+end]
	x.p += end + 2
	return name, value
}

// appendKey writes the key of an element below the root: its local name,
// or for <Data Name="X"> X, as evtx_dump does; the attributes of such a
// Data element are not kept. It returns the attributes left to write. A
// Data element without a name gets no key: its parent gathers its value
// with the other unnamed ones (unnamed is true).
func (x *xmlReader) appendKey(name []byte, attrs []xmlAttr) (left []xmlAttr, unnamed bool) {
	key := localName(name)
	if string(key) == "Data" {
		for _, a := range attrs {
			if string(a.name) == "Name" {
				x.appendText(a.value)
				return nil, false
			}
		}
		return attrs, true
	}
	x.out = msgpack.AppendStrBytes(x.out, key)
	return attrs, false
}

// appendEmpty writes the value of <name .../>: its attributes, or null.
func (x *xmlReader) appendEmpty(attrs []xmlAttr) {
	if len(attrs) == 0 {
		x.out = msgpack.AppendNil(x.out)
		return
	}
	x.out = msgpack.AppendMapHeader(x.out, 1)
	x.appendAttrs(attrs)
}

// appendLeaf reads the content and end tag of an element without child
// elements and writes its value: the text, the attributes with the text
// as "#text", or when empty null ("" for a Data element).
func (x *xmlReader) appendLeaf(name []byte, attrs []xmlAttr, isData bool) {
	start := x.p
	x.skipContent()
	text := x.s[start:x.p]
	x.endTag(name)
	switch {
	case len(attrs) > 0 && len(text) > 0:
		x.out = msgpack.AppendMapHeader(x.out, 2)
		x.appendAttrs(attrs)
		x.out = msgpack.AppendStr(x.out, "#text")
		x.appendText(text)
	case len(attrs) > 0:
		x.appendEmpty(attrs)
	case len(text) > 0 || isData:
		x.appendText(text)
	default:
		x.out = msgpack.AppendNil(x.out)
	}
}

// appendParent reads the children and end tag of an element and writes a
// map: the attributes, then a key per child, the unnamed Data children
// last, under one key. Text between the children is dropped.
func (x *xmlReader) appendParent(name []byte, attrs []xmlAttr, depth int) {
	hdr := len(x.out)
	x.out = msgpack.AppendMapHeader32(x.out, 0) // the count is known at the end
	n := 0
	if len(attrs) > 0 {
		x.appendAttrs(attrs)
		n++
	}
	mark, unnamed := len(x.unnamed), 0
	for x.err == nil {
		x.skipContent()
		if x.p >= len(x.s) {
			x.fail()
			return
		}
		if bytes.HasPrefix(x.s[x.p:], []byte("</")) {
			break
		}
		x.p++ // '<'
		at := len(x.out)
		if x.element(depth + 1) {
			x.unnamed = append(x.unnamed, x.out[at:]...)
			x.out = x.out[:at]
			unnamed++
			continue
		}
		n++
	}
	x.endTag(name)
	if unnamed > 0 {
		x.out = msgpack.AppendStr(x.out, "Data")
		if unnamed > 1 {
			x.out = msgpack.AppendStr(msgpack.AppendMapHeader(x.out, 1), "#text")
			x.out = msgpack.AppendArrayHeader(x.out, unnamed)
		}
		x.out = append(x.out, x.unnamed[mark:]...)
		x.unnamed = x.unnamed[:mark]
		n++
	}
	msgpack.PutHeader32(x.out, hdr, n)
}

// hasChildren looks ahead: does the content hold an element before the end
// tag?
func (x *xmlReader) hasChildren() bool {
	save := x.p
	x.skipContent()
	children := x.p < len(x.s) && !bytes.HasPrefix(x.s[x.p:], []byte("</"))
	x.p, x.err = save, nil
	return children
}

// skipContent moves to the next start or end tag, past text, CDATA,
// comments and processing instructions.
func (x *xmlReader) skipContent() {
	for x.p < len(x.s) {
		i := bytes.IndexByte(x.s[x.p:], '<')
		if i < 0 {
			x.fail()
			return
		}
		x.p += i
		rest := x.s[x.p:]
		if len(rest) > 1 && rest[1] != '!' && rest[1] != '?' {
			return // a start or end tag: the usual case
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			x.skipPast("]]>")
		case bytes.HasPrefix(rest, []byte("<!--")):
			x.skipPast("-->")
		case bytes.HasPrefix(rest, []byte("<?")):
			x.skipPast("?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			x.fail() // DOCTYPE and the like
			return
		default:
			return
		}
	}
}

func (x *xmlReader) endTag(name []byte) {
	if x.err != nil {
		return
	}
	if !bytes.HasPrefix(x.s[x.p:], []byte("</")) {
		x.fail()
		return
	}
	x.p += 2
	if !bytes.Equal(x.name(), name) {
		x.fail()
		return
	}
	x.skipSpace()
	if x.p >= len(x.s) || x.s[x.p] != '>' {
		x.fail()
		return
	}
	x.p++
}

func (x *xmlReader) appendAttrs(attrs []xmlAttr) {
	x.out = msgpack.AppendStr(x.out, "#attributes")
	x.out = msgpack.AppendMapHeader(x.out, len(attrs))
	for _, a := range attrs {
		x.out = msgpack.AppendStrBytes(x.out, a.name)
		x.appendText(a.value)
	}
}

// appendText writes raw XML text as a msgpack string: entities decoded,
// CDATA sections unwrapped, comments and processing instructions dropped.
func (x *xmlReader) appendText(raw []byte) {
	hdr := len(x.out)
	x.out = msgpack.AppendStrHeader32(x.out, 0) // the length is known at the end
	body := len(x.out)
	for len(raw) > 0 {
		i := 0
		for i < len(raw) && raw[i] != '&' && raw[i] != '<' {
			i++
		}
		x.out = append(x.out, raw[:i]...)
		switch raw = raw[i:]; {
		case len(raw) == 0:
		case raw[0] == '<':
			raw = x.appendMarkup(raw)
		default:
			raw = x.appendEntity(raw)
		}
	}
	msgpack.PutHeader32(x.out, hdr, len(x.out)-body)
}

// appendMarkup writes the markup at the start of raw, a '<': the content
// of a CDATA section, nothing for a comment or a processing instruction,
// and any other '<' as it is. It returns the rest of raw, nothing after a
// section that does not end.
func (x *xmlReader) appendMarkup(raw []byte) []byte {
	var end string
	skip := 0 // for CDATA: the opening delimiter, before the content kept
	switch {
	case bytes.HasPrefix(raw, []byte("<![CDATA[")):
		end, skip = "]]>", 9
	case bytes.HasPrefix(raw, []byte("<!--")):
		end = "-->"
	case bytes.HasPrefix(raw, []byte("<?")):
		end = "?>"
	default:
		x.out = append(x.out, '<')
		return raw[1:]
	}
	j := bytes.Index(raw[skip:], []byte(end))
	if j < 0 {
		return nil
	}
	if skip > 0 {
		x.out = append(x.out, raw[skip:skip+j]...)
	}
	return raw[skip+j+len(end):]
}

// appendEntity writes the entity reference at the start of raw, a '&',
// decoded; one it does not know as it is, and a '&' that starts no
// reference alone. It returns the rest of raw.
func (x *xmlReader) appendEntity(raw []byte) []byte {
	// A reference is at most 12 bytes to its ';' (&#x10FFFF;): looking
	// no further keeps a text of many '&' linear.
	semi := bytes.IndexByte(raw[:min(len(raw), 13)], ';')
	if semi < 0 {
		x.out = append(x.out, '&')
		return raw[1:]
	}
	if r, ok := entity(raw[1:semi]); ok {
		x.out = utf8.AppendRune(x.out, r)
	} else {
		x.out = append(x.out, raw[:semi+1]...)
	}
	return raw[semi+1:]
}

// entity decodes the name of a predefined or numeric entity reference.
func entity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(name) > 1 && name[0] == '#' {
		base, digits := 10, name[1:]
		if digits[0] == 'x' || digits[0] == 'X' {
			base, digits = 16, digits[1:]
		}
		n, err := strconv.ParseUint(string(digits), base, 32)
		if err == nil && utf8.ValidRune(rune(n)) {
			return rune(n), true
		}
	}
	return 0, false
}
