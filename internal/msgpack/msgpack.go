// Package msgpack reads and writes the msgpack that Fluent Bit chunks are
// made of, directly on byte slices.
package msgpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// In the manner of tinylib/msgp's read_bytes.go: every reader takes the
// buffer and an offset and returns the next offset, strings are subslices
// of the input (no copies), and nothing recurses, so hostile nesting costs
// a loop, not a stack.

// ErrShortBytes means the buffer ends inside an object.
var ErrShortBytes = errors.New("msgpack: data truncated")

// TypeError means a different msgpack type was found than the one expected.
type TypeError struct {
	Want string
	Code byte
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("msgpack: want %s, found type byte 0x%02x", e.Want, e.Code)
}

var errReserved = errors.New("msgpack: reserved type byte 0xc1")

// Need reports ErrShortBytes unless b holds n bytes from off.
func Need(b []byte, off, n int) error {
	if n < 0 || off > len(b)-n {
		return ErrShortBytes
	}
	return nil
}

// ReadArrayHeader returns the element count of the array at b[off:].
func ReadArrayHeader(b []byte, off int) (n, next int, err error) {
	if err := Need(b, off, 1); err != nil {
		return 0, 0, err
	}
	switch c := b[off]; {
	case IsFixArray(c):
		return fixCount(c), off + 1, nil
	case c == Array16:
		if err := Need(b, off, 3); err != nil {
			return 0, 0, err
		}
		return int(binary.BigEndian.Uint16(b[off+1:])), off + 3, nil
	case c == Array32:
		if err := Need(b, off, 5); err != nil {
			return 0, 0, err
		}
		return int(binary.BigEndian.Uint32(b[off+1:])), off + 5, nil
	default:
		return 0, 0, &TypeError{Want: "array", Code: c}
	}
}

// ReadMapHeader returns the pair count of the map at b[off:].
func ReadMapHeader(b []byte, off int) (n, next int, err error) {
	if err := Need(b, off, 1); err != nil {
		return 0, 0, err
	}
	switch c := b[off]; {
	case IsFixMap(c):
		return fixCount(c), off + 1, nil
	case c == Map16:
		if err := Need(b, off, 3); err != nil {
			return 0, 0, err
		}
		return int(binary.BigEndian.Uint16(b[off+1:])), off + 3, nil
	case c == Map32:
		if err := Need(b, off, 5); err != nil {
			return 0, 0, err
		}
		return int(binary.BigEndian.Uint32(b[off+1:])), off + 5, nil
	default:
		return 0, 0, &TypeError{Want: "map", Code: c}
	}
}

// ReadStr returns the string at b[off:] as a subslice of b, and ok=false
// (with no error) when the object there is not a string. Binary (bin 8,
// 16, 32) reads as a string too: msgpack-ruby (Fluentd's forward) packs
// strings that are not UTF-8 as bin, and Fluent Bit's JSON writer renders
// bin as a string, so a key or value in bin is the text a SIEM sees.
func ReadStr(b []byte, off int) (s []byte, next int, ok bool, err error) {
	if err := Need(b, off, 1); err != nil {
		return nil, 0, false, err
	}
	var n, hdr int
	switch c := b[off]; {
	case IsFixStr(c):
		n, hdr = fixStrLen(c), 1
	case c == Str8 || c == Bin8:
		if err := Need(b, off, 2); err != nil {
			return nil, 0, false, err
		}
		n, hdr = int(b[off+1]), 2
	case c == Str16 || c == Bin16:
		if err := Need(b, off, 3); err != nil {
			return nil, 0, false, err
		}
		n, hdr = int(binary.BigEndian.Uint16(b[off+1:])), 3
	case c == Str32 || c == Bin32:
		if err := Need(b, off, 5); err != nil {
			return nil, 0, false, err
		}
		n, hdr = int(binary.BigEndian.Uint32(b[off+1:])), 5
	default:
		return nil, off, false, nil
	}
	start := off + hdr
	if err := Need(b, start, n); err != nil {
		return nil, 0, false, err
	}
	return b[start : start+n], start + n, true, nil
}

// ReadFixStr is ReadStr's first case alone, small enough to be inlined in
// a loop over the keys of a record, nearly all of them fixstrs: it returns
// the fixstr at b[off:], and ok=false for anything else, a truncated
// fixstr included (for ReadStr to report).
func ReadFixStr(b []byte, off int) (s []byte, next int, ok bool) {
	if off < len(b) && IsFixStr(b[off]) {
		if next = off + 1 + fixStrLen(b[off]); next <= len(b) {
			return b[off+1 : next], next, true
		}
	}
	return nil, 0, false
}

// Skip returns the offset just past the object at b[off:], containers
// included. It counts pending objects instead of recursing.
func Skip(b []byte, off int) (int, error) {
	// Fast path: short strings and small scalars, most values of a record.
	if off < len(b) {
		switch c := b[off]; {
		case IsFixStr(c):
			if end := off + 1 + fixStrLen(c); end <= len(b) {
				return end, nil
			}
			return 0, ErrShortBytes
		case isOneByte(c):
			return off + 1, nil
		case c == Str8:
			if off+2 <= len(b) {
				if end := off + 2 + int(b[off+1]); end <= len(b) {
					return end, nil
				}
			}
			return 0, ErrShortBytes
		}
	}
	return skipSlow(b, off)
}

func skipSlow(b []byte, off int) (int, error) {
	pending := 1
	for pending > 0 {
		pending--
		if err := Need(b, off, 1); err != nil {
			return 0, err
		}
		c := b[off]
		var size, children int // bytes after the type byte; objects inside
		switch {
		case isOneByte(c):
		case IsFixMap(c):
			children = 2 * fixCount(c)
		case IsFixArray(c):
			children = fixCount(c)
		case IsFixStr(c):
			size = fixStrLen(c)
		case c == reservedCode:
			return 0, errReserved
		case c == Bin8 || c == Str8: // length, data
			size = 1 + lengthAt(b, off+1, 1)
		case c == Bin16 || c == Str16:
			size = 2 + lengthAt(b, off+1, 2)
		case c == Bin32 || c == Str32:
			size = 4 + lengthAt(b, off+1, 4)
		case c == Ext8: // length, ext type, data
			size = 2 + lengthAt(b, off+1, 1)
		case c == Ext16:
			size = 3 + lengthAt(b, off+1, 2)
		case c == Ext32:
			size = 5 + lengthAt(b, off+1, 4)
		case c == Float32:
			size = 4
		case c == Float64:
			size = 8
		case IsUint(c) || IsInt(c): // 1, 2, 4 or 8 bytes
			size = 1 << ((c - Uint8) & 3)
		case c >= FixExt1 && c <= FixExt16: // ext type, 1 to 16 bytes
			size = 1 + 1<<(c-FixExt1)
		case c == Array16 || c == Map16:
			size = 2
			children = lengthAt(b, off+1, 2)
		case c == Array32 || c == Map32:
			size = 4
			children = lengthAt(b, off+1, 4)
		}
		if c == Map16 || c == Map32 {
			children *= 2
		}
		off++
		if err := Need(b, off, size); err != nil {
			return 0, err
		}
		off += size
		// Every object takes at least one byte: more pending objects than
		// bytes left means truncated data, found now rather than after a
		// loop of billions of iterations.
		pending += children
		if pending > len(b)-off {
			return 0, ErrShortBytes
		}
	}
	return off, nil
}

// ReadExt returns the type and data of the extension at b[off:], in any
// of its encodings (fixext 1 to 16, ext 8, 16 or 32); ok is false for any
// other object, or one b cuts short.
func ReadExt(b []byte, off int) (typ byte, data []byte, ok bool) {
	if off < 0 || off >= len(b) {
		return 0, nil, false
	}
	var head, n int // the bytes before the type (marker, length); the data's
	switch c := b[off]; {
	case c >= FixExt1 && c <= FixExt16:
		head, n = 1, 1<<(c-FixExt1)
	case c == Ext8:
		head, n = 2, lengthAt(b, off+1, 1)
	case c == Ext16:
		head, n = 3, lengthAt(b, off+1, 2)
	case c == Ext32:
		head, n = 5, lengthAt(b, off+1, 4)
	default:
		return 0, nil, false
	}
	if Need(b, off, head+1+n) != nil {
		return 0, nil, false
	}
	return b[off+head], b[off+head+1 : off+head+1+n], true
}

// lengthAt reads a big-endian length of width 1, 2 or 4 bytes at b[off:]
// for skipSlow and ReadExt. When b ends first it returns len(b)+1, more
// bytes or objects than b can hold: their checks then fail, with no error
// path of its own.
func lengthAt(b []byte, off, width int) int {
	if Need(b, off, width) != nil {
		return len(b) + 1
	}
	switch width {
	case 1:
		return int(b[off])
	case 2:
		return int(binary.BigEndian.Uint16(b[off:]))
	}
	return int(binary.BigEndian.Uint32(b[off:]))
}

// ScalarText renders the scalar at b[off:] as the text Sigma compares,
// formatting numbers into buf (its contents are replaced); binary reads as
// the string it holds (see ReadStr). ok is false for nil, containers and
// extension types: those never equal a Sigma string value.
func ScalarText(b []byte, off int, buf []byte) (text []byte, ok bool) {
	if off >= len(b) {
		return nil, false
	}
	switch c := b[off]; {
	case IsFixInt(c):
		return strconv.AppendUint(buf[:0], uint64(c), 10), true
	case IsNegFixInt(c):
		return strconv.AppendInt(buf[:0], int64(int8(c)), 10), true
	case c == False:
		return append(buf[:0], "false"...), true
	case c == True:
		return append(buf[:0], "true"...), true
	case IsUint(c) || IsInt(c):
		return intText(b, off, buf)
	case IsFloat(c):
		return floatText(b, off, buf)
	}
	s, _, isStr, err := ReadStr(b, off)
	if err != nil || !isStr {
		return nil, false
	}
	return s, true
}

// intText renders the uint8..64 or int8..64 at b[off:].
func intText(b []byte, off int, buf []byte) ([]byte, bool) {
	c := b[off]
	size := 1 << ((c - Uint8) & 3)
	if Need(b, off+1, size) != nil {
		return nil, false
	}
	var u uint64
	for _, x := range b[off+1 : off+1+size] {
		u = u<<8 | uint64(x)
	}
	if IsUint(c) {
		return strconv.AppendUint(buf[:0], u, 10), true
	}
	shift := 64 - 8*uint(size) // sign-extend
	return strconv.AppendInt(buf[:0], int64(u<<shift)>>shift, 10), true
}

// floatText renders the float32 or float64 at b[off:].
func floatText(b []byte, off int, buf []byte) ([]byte, bool) {
	if b[off] == Float32 {
		if Need(b, off+1, 4) != nil {
			return nil, false
		}
		f := math.Float32frombits(binary.BigEndian.Uint32(b[off+1:]))
		return strconv.AppendFloat(buf[:0], float64(f), 'f', -1, 32), true
	}
	if Need(b, off+1, 8) != nil {
		return nil, false
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(b[off+1:]))
	return strconv.AppendFloat(buf[:0], f, 'f', -1, 64), true
}

// Writers. Each appends a valid encoding of its value: the fixed forms
// where they fit, else the 32- or 64-bit form (chunks do not need the
// 8- and 16-bit forms' few bytes, and fewer cases keep the writers short).

// AppendNil appends nil.
func AppendNil(dst []byte) []byte { return append(dst, Nil) }

// AppendBool appends a boolean.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, True)
	}
	return append(dst, False)
}

// AppendInt appends a signed integer.
func AppendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= int64(FixIntMax):
		return append(dst, byte(v))
	case v < 0 && v >= -32:
		return append(dst, byte(int8(v)))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(dst, Int32), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(dst, Int64), uint64(v))
	}
}

// AppendUint appends an unsigned integer.
func AppendUint(dst []byte, v uint64) []byte {
	if v <= uint64(FixIntMax) {
		return append(dst, byte(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, Uint64), v)
}

// AppendFloat appends a float64.
func AppendFloat(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, Float64), math.Float64bits(v))
}

// AppendFloat32 appends a float32: its text is then its own shortest
// form (0.1), not that of the float64 it widens to (0.10000000149011612).
func AppendFloat32(dst []byte, v float32) []byte {
	return binary.BigEndian.AppendUint32(append(dst, Float32), math.Float32bits(v))
}

// AppendBin appends binary data.
func AppendBin(dst []byte, v []byte) []byte {
	return append(binary.BigEndian.AppendUint32(append(dst, Bin32), uint32(len(v))), v...)
}

// AppendExt appends an extension value (fixext 8 when data is 8 bytes, as
// Fluent Bit's EventTime is).
func AppendExt(dst []byte, typ int8, data []byte) []byte {
	if len(data) == 8 {
		return append(append(dst, FixExt8, byte(typ)), data...)
	}
	return append(append(binary.BigEndian.AppendUint32(append(dst, Ext32), uint32(len(data))), byte(typ)), data...)
}

// AppendEventTime appends t as Fluent Bit's EventTime: extension type 0
// (fixext 8), big-endian seconds then nanoseconds.
func AppendEventTime(dst []byte, t time.Time) []byte {
	dst = append(dst, FixExt8, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(t.Unix()))
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

// AppendMapHeader appends a map header for n pairs.
func AppendMapHeader(dst []byte, n int) []byte {
	switch {
	case n <= last4:
		return append(dst, FixMap|byte(n))
	case n <= math.MaxUint16:
		return append(dst, Map16, byte(n>>8), byte(n))
	default:
		return AppendMapHeader32(dst, n)
	}
}

// AppendMapHeader32 appends a map header in its 32-bit form whatever n is,
// for a writer that learns the count after writing the pairs: PutHeader32
// sets it in place.
func AppendMapHeader32(dst []byte, n int) []byte {
	return binary.BigEndian.AppendUint32(append(dst, Map32), uint32(n))
}

// AppendArrayHeader appends an array header for n elements.
func AppendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n <= last4:
		return append(dst, FixArray|byte(n))
	case n <= math.MaxUint16:
		return append(dst, Array16, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, Array32), uint32(n))
	}
}

// AppendStr appends a string.
func AppendStr(dst []byte, s string) []byte {
	return append(AppendStrHeader(dst, len(s)), s...)
}

// AppendStrBytes appends s as a msgpack string.
func AppendStrBytes(dst []byte, s []byte) []byte {
	return append(AppendStrHeader(dst, len(s)), s...)
}

// AppendStrHeader appends the header of a string of n bytes.
func AppendStrHeader(dst []byte, n int) []byte {
	switch {
	case n <= last5:
		return append(dst, FixStr|byte(n))
	case n <= math.MaxUint8:
		return append(dst, Str8, byte(n))
	case n <= math.MaxUint16:
		return append(dst, Str16, byte(n>>8), byte(n))
	}
	return AppendStrHeader32(dst, n)
}

// AppendStrHeader32 appends a string header in its 32-bit form whatever n
// is, for a writer that learns the length after writing the bytes:
// PutHeader32 sets it in place.
func AppendStrHeader32(dst []byte, n int) []byte {
	return binary.BigEndian.AppendUint32(append(dst, Str32), uint32(n))
}

// PutHeader32 sets the count or length of the 32-bit map, array or string
// header at b[off:] to n.
func PutHeader32(b []byte, off, n int) {
	binary.BigEndian.PutUint32(b[off+1:], uint32(n))
}
