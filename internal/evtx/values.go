package evtx

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Value types of substitutions (MS-EVEN6 2.2.13). typeArray marks an
// array of the type in the low bits.
const (
	typeNull       = 0x00
	typeString     = 0x01
	typeAnsiString = 0x02
	typeInt8       = 0x03
	typeUint8      = 0x04
	typeInt16      = 0x05
	typeUint16     = 0x06
	typeInt32      = 0x07
	typeUint32     = 0x08
	typeInt64      = 0x09
	typeUint64     = 0x0a
	typeReal32     = 0x0b
	typeReal64     = 0x0c
	typeBool       = 0x0d
	typeBinary     = 0x0e
	typeGUID       = 0x0f
	typeSizeT      = 0x10
	typeFileTime   = 0x11
	typeSysTime    = 0x12
	typeSID        = 0x13
	typeHexInt32   = 0x14
	typeHexInt64   = 0x15
	typeEvtHandle  = 0x20
	typeBinXML     = 0x21
	typeEvtXML     = 0x23
	typeArray      = 0x80
)

// valueKind is how a value is written out.
type valueKind uint8

const (
	kindNull valueKind = iota
	kindString
	kindInt
	kindUint
	kindFloat
	kindFloat32 // a Real32, written and read as one
	kindBool
	kindList
	kindXML
)

// value is a decoded substitution value or text. It is copied into every
// node that holds it, so it is kept small: numbers share one word, and
// the rare lists and binary XML values sit behind a pointer.
type value struct {
	kind   valueKind
	n      uint64 // kindInt (as int64), kindUint, kindFloat and kindFloat32 (float64 bits), kindBool (0 or 1)
	s      string
	more   *compound // kindList, kindXML
	weight int       // what it costs each time it is substituted
}

type compound struct {
	list []value
	xml  []node
}

func (v value) int() int64       { return int64(v.n) }
func (v value) float() float64   { return math.Float64frombits(v.n) }
func (v value) list() []value    { return v.more.list }
func (v value) xml() []node      { return v.more.xml }
func intValue(i int64) value     { return value{kind: kindInt, n: uint64(i)} }
func uintValue(u uint64) value   { return value{kind: kindUint, n: u} }
func floatValue(f float64) value { return value{kind: kindFloat, n: math.Float64bits(f)} }

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// fixedSize is the size of the fixed-size types, 0 for the others.
func fixedSize(typ byte) int {
	switch typ {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeBool, typeHexInt32:
		return 4
	case typeInt64, typeUint64, typeReal64, typeFileTime, typeHexInt64:
		return 8
	case typeGUID, typeSysTime:
		return 16
	}
	return 0
}

// decodeValue decodes the size bytes at chunk offset off as typ.
func (c *chunkReader) decodeValue(typ byte, off, size, nest int) (value, error) {
	b := c.chunk[off : off+size]
	if size == 0 {
		return value{}, nil
	}
	switch typ {
	case typeNull:
		return value{}, nil
	case typeString:
		s := decodeUTF16(b)
		return value{kind: kindString, s: s, weight: len(s)}, nil
	case typeAnsiString:
		s := decodeANSI(bytes.TrimRight(b, "\x00"))
		return value{kind: kindString, s: s, weight: len(s)}, nil
	case typeBinary:
		return value{kind: kindString, s: strings.ToUpper(hex.EncodeToString(b)), weight: 2 * size}, nil
	case typeSID:
		s, err := decodeSID(b)
		return value{kind: kindString, s: s, weight: len(s)}, err
	case typeSizeT:
		if size != 4 && size != 8 {
			return value{}, fmt.Errorf("evtx: size_t of %d bytes", size)
		}
		u := uint64(le32(b))
		if size == 8 {
			u = le64(b)
		}
		return value{kind: kindString, s: "0x" + strconv.FormatUint(u, 16), weight: 18}, nil
	case typeBinXML:
		before := c.nodes + c.text
		nodes, err := c.parseFragment(&cursor{c: c, p: off, end: off + size}, nest+1)
		return value{kind: kindXML, more: &compound{xml: nodes}, weight: c.nodes + c.text - before + size}, err
	case typeEvtHandle, typeEvtXML:
		return value{}, fmt.Errorf("evtx: value type 0x%02x is not stored in files", typ)
	}
	if typ&typeArray != 0 {
		return decodeArray(typ&^typeArray, b)
	}
	return decodeFixed(typ, b)
}

// decodeFixed decodes a value of a fixed-size type.
func decodeFixed(typ byte, b []byte) (value, error) {
	n := fixedSize(typ)
	if n == 0 {
		return value{}, fmt.Errorf("evtx: unknown value type 0x%02x", typ)
	}
	if len(b) != n {
		return value{}, fmt.Errorf("evtx: value type 0x%02x of %d bytes, not %d", typ, len(b), n)
	}
	var v value
	switch typ {
	case typeInt8:
		v = intValue(int64(int8(b[0])))
	case typeUint8:
		v = uintValue(uint64(b[0]))
	case typeInt16:
		v = intValue(int64(int16(le16(b))))
	case typeUint16:
		v = uintValue(uint64(le16(b)))
	case typeInt32:
		v = intValue(int64(int32(le32(b))))
	case typeUint32:
		v = uintValue(uint64(le32(b)))
	case typeInt64:
		v = intValue(int64(le64(b)))
	case typeUint64:
		v = uintValue(le64(b))
	case typeReal32:
		v = value{kind: kindFloat32, n: math.Float64bits(float64(math.Float32frombits(le32(b))))}
	case typeReal64:
		v = floatValue(math.Float64frombits(le64(b)))
	case typeBool:
		v = value{kind: kindBool}
		if le32(b) != 0 {
			v.n = 1
		}
	case typeHexInt32:
		v.kind, v.s = kindString, "0x"+strconv.FormatUint(uint64(le32(b)), 16)
	case typeHexInt64:
		v.kind, v.s = kindString, "0x"+strconv.FormatUint(le64(b), 16)
	case typeGUID:
		v.kind, v.s = kindString, formatGUID(b)
	case typeFileTime:
		v.kind, v.s = kindString, formatTime(FileTime(le64(b)))
	case typeSysTime:
		v.kind, v.s = kindString, formatTime(systemTime(b))
	}
	v.weight = 24
	return v, nil
}

// decodeArray decodes an array: strings are NUL-terminated one after
// the other, other types are a run of fixed-size values.
func decodeArray(typ byte, b []byte) (value, error) {
	var list []value
	weight := len(b)
	switch typ {
	case typeString:
		for len(b) >= 2 {
			end := 0
			for end+1 < len(b) && (b[end] != 0 || b[end+1] != 0) {
				end += 2
			}
			list = append(list, value{kind: kindString, s: decodeUTF16(b[:end])})
			b = b[min(end+2, len(b)):]
		}
	case typeAnsiString:
		for _, s := range bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0}) {
			list = append(list, value{kind: kindString, s: decodeANSI(s)})
		}
	default:
		n := fixedSize(typ)
		if n == 0 || len(b)%n != 0 {
			return value{}, fmt.Errorf("evtx: array of type 0x%02x of %d bytes", typ, len(b))
		}
		for ; len(b) > 0; b = b[n:] {
			v, err := decodeFixed(typ, b[:n])
			if err != nil {
				return value{}, err
			}
			list = append(list, v)
		}
	}
	return value{kind: kindList, more: &compound{list: list}, weight: 24*len(list) + weight}, nil
}

// formatGUID writes a GUID as evtx_dump does: upper case, no braces.
func formatGUID(b []byte) string {
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X", le32(b), le16(b[4:]), le16(b[6:]), b[8:10], b[10:16])
}

// FileTime converts a FILETIME (100 ns intervals since 1601) to a time.
func FileTime(ft uint64) time.Time {
	const epochDelta = 11644473600 // 1601 to 1970 in seconds
	// In seconds, every FILETIME fits: a time.Duration of 100 ns units
	// overflows before 1678.
	return time.Unix(int64(ft/1e7)-epochDelta, int64(ft%1e7)*100).UTC()
}

func systemTime(b []byte) time.Time {
	return time.Date(int(le16(b)), time.Month(le16(b[2:])), int(le16(b[6:])), int(le16(b[8:])),
		int(le16(b[10:])), int(le16(b[12:])), int(le16(b[14:]))*int(time.Millisecond), time.UTC)
}

// formatTime writes a time as evtx_dump does, with microseconds.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// decodeSID writes a security identifier as S-R-A-S1-S2...
func decodeSID(b []byte) (string, error) {
	if len(b) < 8 || len(b) < 8+4*int(b[1]) {
		return "", fmt.Errorf("evtx: SID of %d bytes", len(b))
	}
	var auth uint64
	for _, x := range b[2:8] {
		auth = auth<<8 | uint64(x)
	}
	var sb strings.Builder
	sb.WriteString("S-")
	sb.WriteString(strconv.Itoa(int(b[0])))
	sb.WriteByte('-')
	sb.WriteString(strconv.FormatUint(auth, 10))
	for i := 0; i < int(b[1]); i++ {
		sb.WriteByte('-')
		sb.WriteString(strconv.FormatUint(uint64(le32(b[8+4*i:])), 10))
	}
	return sb.String(), nil
}

// decodeANSI decodes an AnsiString as Windows-1252, the code page evtx_dump
// reads them in: ASCII as it is, the bytes 0x80 to 0x9F by the table
// (those the code page leaves undefined as the control characters of the
// same number), the others as the Latin-1 characters of the same number.
func decodeANSI(b []byte) string {
	i := 0
	for i < len(b) && b[i] < 0x80 {
		i++
	}
	if i == len(b) {
		return string(b)
	}
	out := make([]byte, i, len(b)+len(b)/2)
	copy(out, b)
	for _, c := range b[i:] {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xA0:
			out = utf8.AppendRune(out, cp1252[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return string(out)
}

var cp1252 = [32]rune{
	'\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
	'\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
	'\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
	'\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
}
