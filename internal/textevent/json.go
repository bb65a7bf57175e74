package textevent

// JSON <-> msgpack with json-iterator, keeping object keys in their order
// and building no maps.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// MaxDepth bounds the nesting of the values converted: deeper input is an
// error, not a stack overflow.
const MaxDepth = 512

// ErrTooDeep is returned for values nested deeper than MaxDepth.
var ErrTooDeep = errors.New("textevent: nesting deeper than 512 levels")

// AppendJSONValue reads one JSON value from it and appends it to dst as
// msgpack. Integers that fit int64 or uint64 become integers, other numbers
// floats.
func AppendJSONValue(dst []byte, it *jsoniter.Iterator) ([]byte, error) {
	var c Converter
	return c.Append(dst, it)
}

// Converter is AppendJSONValue with a buffer kept between calls: string
// and number values are read as raw JSON into it and decoded from there,
// so that only object keys (which json-iterator returns as Go strings)
// allocate. Not safe for concurrent use.
type Converter struct {
	raw []byte
}

// Append reads one JSON value from it and appends it to dst as msgpack.
func (c *Converter) Append(dst []byte, it *jsoniter.Iterator) ([]byte, error) {
	dst = c.value(dst, it, 0)
	if it.Error != nil {
		return dst, it.Error
	}
	return dst, nil
}

// capture reads the next value's raw JSON into c.raw. json-iterator takes
// a nil buffer for "not capturing" and then panics, so c.raw is never nil.
func (c *Converter) capture(it *jsoniter.Iterator) {
	if c.raw == nil {
		c.raw = make([]byte, 0, 256)
	}
	c.raw = it.SkipAndAppendBytes(c.raw[:0])
}

func (c *Converter) value(dst []byte, it *jsoniter.Iterator, depth int) []byte {
	if depth > MaxDepth {
		it.ReportError("read", ErrTooDeep.Error())
		return dst
	}
	switch it.WhatIsNext() {
	case jsoniter.ObjectValue:
		n := 0
		body := len(dst)
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			dst = msgpack.AppendStr(dst, key)
			dst = c.value(dst, it, depth+1)
			n++
			return it.Error == nil
		})
		var hdr [5]byte
		return insertHeader(dst, body, msgpack.AppendMapHeader(hdr[:0], n))
	case jsoniter.ArrayValue:
		n := 0
		body := len(dst)
		it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
			dst = c.value(dst, it, depth+1)
			n++
			return it.Error == nil
		})
		var hdr [5]byte
		return insertHeader(dst, body, msgpack.AppendArrayHeader(hdr[:0], n))
	case jsoniter.StringValue:
		c.capture(it)
		if len(c.raw) >= 2 && bytes.IndexByte(c.raw, '\\') < 0 { // no escapes: the length is known
			return msgpack.AppendStrBytes(dst, c.raw[1:len(c.raw)-1])
		}
		start := len(dst)
		dst, ok := appendUnquoted(dst, c.raw)
		if !ok {
			it.ReportError("read string", "invalid string")
			return dst
		}
		var hdr [5]byte
		return insertHeader(dst, start, msgpack.AppendStrHeader(hdr[:0], len(dst)-start))
	case jsoniter.NumberValue:
		c.capture(it)
		num := string(c.raw) // short: the conversion stays on the stack
		if i, err := strconv.ParseInt(num, 10, 64); err == nil {
			return msgpack.AppendInt(dst, i)
		}
		if u, err := strconv.ParseUint(num, 10, 64); err == nil {
			return msgpack.AppendUint(dst, u)
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			it.ReportError("read number", err.Error())
		}
		return msgpack.AppendFloat(dst, f)
	case jsoniter.BoolValue:
		return msgpack.AppendBool(dst, it.ReadBool())
	case jsoniter.NilValue:
		it.ReadNil()
		return msgpack.AppendNil(dst)
	default:
		it.ReportError("read", "invalid JSON value")
		return dst
	}
}

// appendUnquoted appends the content of the JSON string token tok (quotes
// included) with its escapes decoded, and reports whether tok was a
// well-formed string.
func appendUnquoted(dst, tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return dst, false
	}
	s := tok[1 : len(tok)-1]
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...), true
		}
		dst = append(dst, s[:i]...)
		if i+1 >= len(s) {
			return dst, false
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n := unicodeEscape(s[i:])
			if n == 0 {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			s = s[i+n:]
			continue
		default:
			return dst, false
		}
		s = s[i+2:]
	}
	return dst, true
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at the
// start of s, returning the rune and the bytes used, or 0 bytes if s does
// not start with a valid escape. Unpaired surrogates become U+FFFD, as in
// encoding/json.
func unicodeEscape(s []byte) (rune, int) {
	hex4 := func(b []byte) (rune, bool) {
		if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range b[2:6] {
			switch {
			case '0' <= c && c <= '9':
				c -= '0'
			case 'a' <= c && c <= 'f':
				c = c - 'a' + 10
			case 'A' <= c && c <= 'F':
				c = c - 'A' + 10
			default:
				return 0, false
			}
			r = r<<4 | rune(c)
		}
		return r, true
	}
	r, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(r) {
		if lo, ok := hex4(s[6:]); ok {
			if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
				return dec, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

// insertHeader puts hdr in front of dst[body:], where a container's
// elements were written before their count was known.
func insertHeader(dst []byte, body int, hdr []byte) []byte {
	dst = append(dst, hdr...)
	copy(dst[body+len(hdr):], dst[body:len(dst)-len(hdr)])
	copy(dst[body:], hdr)
	return dst
}

// WriteMsgpack writes the msgpack value at b[off:] to s as JSON and returns
// the offset after it. Binary data becomes a base64 string; Fluent Bit's
// EventTime extension becomes seconds as a float; other extensions and
// non-string map keys are written as strings.
func WriteMsgpack(s *jsoniter.Stream, b []byte, off int) (int, error) {
	return writeValue(s, b, off, 0)
}

func writeValue(s *jsoniter.Stream, b []byte, off, depth int) (int, error) {
	if depth > MaxDepth {
		return 0, ErrTooDeep
	}
	if err := msgpack.Need(b, off, 1); err != nil {
		return 0, err
	}
	if n, p, err := msgpack.ReadMapHeader(b, off); err == nil {
		return writeMap(s, b, n, p, depth)
	}
	if n, p, err := msgpack.ReadArrayHeader(b, off); err == nil {
		return writeArray(s, b, n, p, depth)
	}
	return writeScalar(s, b, off)
}

// writeMap writes the n pairs at b[p:] as an object.
func writeMap(s *jsoniter.Stream, b []byte, n, p, depth int) (int, error) {
	s.WriteObjectStart()
	for i := 0; i < n; i++ {
		if i > 0 {
			s.WriteMore()
		}
		vp, err := writeKey(s, b, p)
		if err != nil {
			return 0, err
		}
		if p, err = writeValue(s, b, vp, depth+1); err != nil {
			return 0, err
		}
	}
	s.WriteObjectEnd()
	return p, nil
}

// writeKey writes the map key at b[p:], a key that is not a string as its
// text, and returns the offset of its value.
func writeKey(s *jsoniter.Stream, b []byte, p int) (int, error) {
	key, vp, isStr, err := msgpack.ReadStr(b, p)
	if err != nil {
		return 0, err
	}
	if isStr {
		s.WriteObjectField(validText(key))
		return vp, nil
	}
	end, err := msgpack.Skip(b, p)
	if err != nil {
		return 0, err
	}
	text, _ := msgpack.ScalarText(b, p, nil)
	s.WriteObjectField(string(text))
	return end, nil
}

// validText is b as a string JSON may hold: bytes that are not UTF-8 (an
// event log's damaged text) become U+FFFD, as a JSON reader would refuse
// the line otherwise.
func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// writeArray writes the n elements at b[p:] as an array.
func writeArray(s *jsoniter.Stream, b []byte, n, p, depth int) (int, error) {
	s.WriteArrayStart()
	for i := 0; i < n; i++ {
		if i > 0 {
			s.WriteMore()
		}
		var err error
		if p, err = writeValue(s, b, p, depth+1); err != nil {
			return 0, err
		}
	}
	s.WriteArrayEnd()
	return p, nil
}

// writeScalar writes the value at b[off:], which is not a container.
func writeScalar(s *jsoniter.Stream, b []byte, off int) (int, error) {
	end, err := msgpack.Skip(b, off)
	if err != nil {
		return 0, err
	}
	switch c := b[off]; {
	case c == msgpack.Nil:
		s.WriteNil()
	case c == msgpack.False || c == msgpack.True:
		s.WriteBool(c == msgpack.True)
	case msgpack.IsFloat(c):
		text, _ := msgpack.ScalarText(b, off, nil)
		f, _ := strconv.ParseFloat(string(text), 64)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			s.WriteString(string(text))
		} else {
			s.WriteRaw(string(text))
		}
	case msgpack.IsBin(c):
		data := b[end-binLen(b, off) : end]
		s.WriteString(base64.StdEncoding.EncodeToString(data))
	case c == msgpack.FixExt8 && b[off+1] == eventTimeType:
		sec := binary.BigEndian.Uint32(b[off+2:])
		nsec := binary.BigEndian.Uint32(b[off+6:])
		s.WriteRaw(strconv.FormatFloat(float64(sec)+float64(nsec)/1e9, 'f', 6, 64))
	default:
		if text, ok := msgpack.ScalarText(b, off, nil); !ok {
			s.WriteString(fmt.Sprintf("<msgpack 0x%02x>", c))
		} else if msgpack.IsStr(c) {
			s.WriteString(validText(text))
		} else {
			s.WriteRaw(string(text))
		}
	}
	return end, nil
}

// eventTimeType is the extension type of Fluent Bit's EventTime.
const eventTimeType = 0

const utf8BOM = "\xEF\xBB\xBF"

// binLen is the length of the bin8, bin16 or bin32 data at b[off:].
func binLen(b []byte, off int) int {
	switch b[off] {
	case msgpack.Bin8:
		return int(b[off+1])
	case msgpack.Bin16:
		return int(binary.BigEndian.Uint16(b[off+1:]))
	default:
		return int(binary.BigEndian.Uint32(b[off+1:]))
	}
}

// ReadEvents turns the JSON objects of r into one chunk of current-shape
// Fluent Bit events, [[ts, {}], body], stamped ts, as EachEvent reads
// them.
func ReadEvents(r io.Reader, ts time.Time) (chunk []byte, n int, err error) {
	n, err = EachEvent(r, ts, func(event []byte) error {
		chunk = append(chunk, event...)
		return nil
	})
	if err != nil {
		return nil, n, err
	}
	return chunk, n, nil
}

// EachEvent calls fn with each JSON object of r as a current-shape Fluent
// Bit event, [[ts, {}], body], stamped ts, as it reads it, so that a file
// of any size is read in the memory of one event. r may hold one object
// per line, JSON arrays of objects, or objects simply concatenated, after
// a UTF-8 byte order mark (Windows PowerShell writes one). Anything else
// between them is an error, not the end of the events; the events before
// it have been passed on. The event passed is valid until fn returns. An
// error of fn stops the reading and is returned as it is.
func EachEvent(r io.Reader, ts time.Time, fn func(event []byte) error) (n int, err error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(len(utf8BOM)); string(head) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	it := jsoniter.Parse(jsoniter.ConfigDefault, br, 64<<10)
	var conv Converter
	var event []byte
	var fnErr error
	oneEvent := func(it *jsoniter.Iterator) bool {
		n++ // the event being read: an error names it
		if it.WhatIsNext() != jsoniter.ObjectValue {
			it.ReportError("read event", "expected a JSON object")
			return false
		}
		event = msgpack.AppendArrayHeader(event[:0], 2)
		event = msgpack.AppendArrayHeader(event, 2)
		event = msgpack.AppendEventTime(event, ts)
		event = msgpack.AppendMapHeader(event, 0)
		event = conv.value(event, it, 0)
		if it.Error != nil {
			return false
		}
		fnErr = fn(event)
		return fnErr == nil
	}
	for {
		switch it.WhatIsNext() {
		case jsoniter.InvalidValue:
			if it.Error == nil { // not the end: a byte no JSON value begins with
				it.ReportError("read events", "expected a JSON object or array")
			}
			if !errors.Is(it.Error, io.EOF) {
				return n, fmt.Errorf("textevent: event %d: %w", n+1, it.Error)
			}
			return n, nil
		case jsoniter.ArrayValue:
			it.ReadArrayCB(oneEvent)
		default:
			oneEvent(it)
		}
		if fnErr != nil {
			return n, fnErr
		}
		if it.Error != nil && !errors.Is(it.Error, io.EOF) {
			return n, fmt.Errorf("textevent: event %d: %w", n, it.Error)
		}
	}
}
