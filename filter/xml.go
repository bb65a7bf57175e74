package filter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// errNotRecord: a text value is not a record the filter can read.
var errNotRecord = errors.New("not a JSON object or XML event")

// maxXMLDepth bounds element nesting; Windows events are four levels deep
// (Event, EventData, Data) and UserData adds two or three.
const maxXMLDepth = 16

// maxXMLAttrs is how many attributes of one element are kept.
const maxXMLAttrs = 16

// appendXMLRecord appends the Windows event XML in text (Fluent Bit's
// in_winevtlog with render_event_as_xml, Sysmon for Linux through syslog)
// as msgpack, in the shape evtx_dump gives it: elements become keys,
// attributes a "#attributes" map, text with attributes "#text", an empty
// element null, and each <Data Name="X">v</Data> the key X with the value
// v. Only what a Windows event uses is read: elements, attributes, text,
// CDATA, comments, processing instructions and the predefined and numeric
// entities; a DOCTYPE is refused, so no entity expansion can blow up.
func appendXMLRecord(dst, text []byte) ([]byte, error) {
	x := xmlReader{s: text, out: dst}
	x.skipMisc()
	if rest := text[x.p:]; !bytes.HasPrefix(rest, []byte("<Event")) || len(rest) < 7 || isNameByte(rest[6]) {
		return dst, errNotRecord
	}
	x.out = msgpack.AppendStr(append(x.out, 0x81), "Event")
	x.p++
	x.element(0)
	if x.err != nil {
		return dst, x.err
	}
	return x.out, nil
}

type xmlReader struct {
	s   []byte
	p   int
	out []byte
	err error
}

var errBadXML = errors.New("malformed XML event")

func (x *xmlReader) fail() {
	if x.err == nil {
		x.err = errBadXML
	}
	x.p = len(x.s)
}

// skipMisc skips white space, the XML declaration, comments and
// processing instructions before the root.
func (x *xmlReader) skipMisc() {
	for x.p < len(x.s) {
		switch {
		case isXMLSpace(x.s[x.p]):
			x.p++
		case bytes.HasPrefix(x.s[x.p:], []byte("<?")):
			x.skipPast("?>")
		case bytes.HasPrefix(x.s[x.p:], []byte("<!--")):
			x.skipPast("-->")
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

// element reads the element whose '<' was just consumed and writes its key
// and value.
func (x *xmlReader) element(depth int) {
	if depth > maxXMLDepth {
		x.fail()
		return
	}
	name := x.name()
	var attrs [maxXMLAttrs]xmlAttr
	nattrs := 0
	selfClosing := false
	for x.err == nil {
		x.skipSpace()
		if x.p >= len(x.s) {
			x.fail()
			return
		}
		if c := x.s[x.p]; c == '>' {
			x.p++
			break
		} else if c == '/' {
			if x.p+1 >= len(x.s) || x.s[x.p+1] != '>' {
				x.fail()
				return
			}
			x.p += 2
			selfClosing = true
			break
		}
		an := x.name()
		if x.p >= len(x.s) || x.s[x.p] != '=' {
			x.fail()
			return
		}
		x.p++
		if x.p >= len(x.s) || (x.s[x.p] != '"' && x.s[x.p] != '\'') {
			x.fail()
			return
		}
		q := x.s[x.p]
		end := bytes.IndexByte(x.s[x.p+1:], q)
		if end < 0 {
			x.fail()
			return
		}
		if nattrs < maxXMLAttrs {
			attrs[nattrs] = xmlAttr{localName(an), x.s[x.p+1 : x.p+1+end]}
			nattrs++
		}
		x.p += end + 2
	}
	if x.err != nil {
		return
	}
	if depth > 0 { // the root's key is written by the caller
		key := localName(name)
		if string(key) == "Data" {
			for _, a := range attrs[:nattrs] {
				if string(a.name) == "Name" {
					x.appendText(a.value)
					nattrs = 0 // the name is the key; the value is the text
					key = nil
					break
				}
			}
		}
		if key != nil {
			x.out = msgpack.AppendStrBytes(x.out, key)
		}
	}
	if selfClosing {
		if nattrs == 0 {
			x.out = append(x.out, 0xc0)
			return
		}
		x.out = append(x.out, 0x81)
		x.appendAttrs(attrs[:nattrs])
		return
	}
	if !x.hasChildren() {
		start := x.p
		x.skipContent()
		text := x.s[start:x.p]
		x.endTag(name)
		switch {
		case nattrs > 0 && len(text) > 0:
			x.out = append(x.out, 0x82)
			x.appendAttrs(attrs[:nattrs])
			x.out = msgpack.AppendStrBytes(x.out, []byte("#text"))
			x.appendText(text)
		case nattrs > 0:
			x.out = append(x.out, 0x81)
			x.appendAttrs(attrs[:nattrs])
		case len(text) > 0:
			x.appendText(text)
		default:
			x.out = append(x.out, 0xc0)
		}
		return
	}
	// A map of the children; its size is known at the end.
	hdr := len(x.out)
	x.out = append(x.out, 0xdf, 0, 0, 0, 0)
	n := 0
	if nattrs > 0 {
		x.appendAttrs(attrs[:nattrs])
		n++
	}
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
		x.element(depth + 1)
		n++
	}
	x.endTag(name)
	binary.BigEndian.PutUint32(x.out[hdr+1:], uint32(n))
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
	x.out = msgpack.AppendStrBytes(x.out, []byte("#attributes"))
	x.out = append(x.out, 0x80|byte(len(attrs)))
	for _, a := range attrs {
		x.out = msgpack.AppendStrBytes(x.out, a.name)
		x.appendText(a.value)
	}
}

// appendText writes raw XML text as a msgpack string: entities decoded,
// CDATA sections unwrapped, comments and processing instructions dropped.
func (x *xmlReader) appendText(raw []byte) {
	hdr := len(x.out)
	x.out = append(x.out, 0xdb, 0, 0, 0, 0) // str32; the length is patched
	for len(raw) > 0 {
		i := 0
		for i < len(raw) && raw[i] != '&' && raw[i] != '<' {
			i++
		}
		if i == len(raw) {
			x.out = append(x.out, raw...)
			break
		}
		x.out = append(x.out, raw[:i]...)
		raw = raw[i:]
		if raw[0] == '<' {
			var end string
			skip := 0
			switch {
			case bytes.HasPrefix(raw, []byte("<![CDATA[")):
				end, skip = "]]>", 9
			case bytes.HasPrefix(raw, []byte("<!--")):
				end = "-->"
			case bytes.HasPrefix(raw, []byte("<?")):
				end = "?>"
			default:
				x.out = append(x.out, '<')
				raw = raw[1:]
				continue
			}
			j := bytes.Index(raw[skip:], []byte(end))
			if j < 0 {
				break
			}
			if skip > 0 {
				x.out = append(x.out, raw[skip:skip+j]...)
			}
			raw = raw[skip+j+len(end):]
			continue
		}
		semi := bytes.IndexByte(raw, ';')
		if semi < 0 || semi > 12 {
			x.out = append(x.out, '&')
			raw = raw[1:]
			continue
		}
		if r, ok := entity(raw[1:semi]); ok {
			x.out = utf8.AppendRune(x.out, r)
		} else {
			x.out = append(x.out, raw[:semi+1]...)
		}
		raw = raw[semi+1:]
	}
	binary.BigEndian.PutUint32(x.out[hdr+1:], uint32(len(x.out)-hdr-5))
}

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
