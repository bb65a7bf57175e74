// Package msgpack reads and writes the msgpack that Fluent Bit chunks are
// made of, directly on byte slices.
package msgpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
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
	case c&0xf0 == 0x90:
		return int(c & 0x0f), off + 1, nil
	case c == 0xdc:
		if err := Need(b, off, 3); err != nil {
			return 0, 0, err
		}
		return int(binary.BigEndian.Uint16(b[off+1:])), off + 3, nil
	case c == 0xdd:
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
	case c&0xf0 == 0x80:
		return int(c & 0x0f), off + 1, nil
	case c == 0xde:
		if err := Need(b, off, 3); err != nil {
			return 0, 0, err
		}
		return int(binary.BigEndian.Uint16(b[off+1:])), off + 3, nil
	case c == 0xdf:
		if err := Need(b, off, 5); err != nil {
			return 0, 0, err
		}
		return int(binary.BigEndian.Uint32(b[off+1:])), off + 5, nil
	default:
		return 0, 0, &TypeError{Want: "map", Code: c}
	}
}

// ReadStr returns the string at b[off:] as a subslice of b, and ok=false
// (with no error) when the object there is not a string.
func ReadStr(b []byte, off int) (s []byte, next int, ok bool, err error) {
	if err := Need(b, off, 1); err != nil {
		return nil, 0, false, err
	}
	var n, hdr int
	switch c := b[off]; {
	case c&0xe0 == 0xa0:
		n, hdr = int(c&0x1f), 1
	case c == 0xd9:
		if err := Need(b, off, 2); err != nil {
			return nil, 0, false, err
		}
		n, hdr = int(b[off+1]), 2
	case c == 0xda:
		if err := Need(b, off, 3); err != nil {
			return nil, 0, false, err
		}
		n, hdr = int(binary.BigEndian.Uint16(b[off+1:])), 3
	case c == 0xdb:
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

// Skip returns the offset just past the object at b[off:], containers
// included. It counts pending objects instead of recursing.
func Skip(b []byte, off int) (int, error) {
	// Fast path: short strings and small scalars, most values of a record.
	if off < len(b) {
		switch c := b[off]; {
		case c&0xe0 == 0xa0:
			if end := off + 1 + int(c&0x1f); end <= len(b) {
				return end, nil
			}
			return 0, ErrShortBytes
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
			return off + 1, nil
		case c == 0xd9:
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
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
			// fixint, negative fixint, nil, false, true
		case c&0xf0 == 0x80:
			children = 2 * int(c&0x0f)
		case c&0xf0 == 0x90:
			children = int(c & 0x0f)
		case c&0xe0 == 0xa0:
			size = int(c & 0x1f)
		case c == 0xc1:
			return 0, errReserved
		case c == 0xc4 || c == 0xd9: // bin8, str8
			if err := Need(b, off, 2); err != nil {
				return 0, err
			}
			size = 1 + int(b[off+1])
		case c == 0xc5 || c == 0xda: // bin16, str16
			if err := Need(b, off, 3); err != nil {
				return 0, err
			}
			size = 2 + int(binary.BigEndian.Uint16(b[off+1:]))
		case c == 0xc6 || c == 0xdb: // bin32, str32
			if err := Need(b, off, 5); err != nil {
				return 0, err
			}
			size = 4 + int(binary.BigEndian.Uint32(b[off+1:]))
		case c == 0xc7: // ext8: length, type, data
			if err := Need(b, off, 2); err != nil {
				return 0, err
			}
			size = 2 + int(b[off+1])
		case c == 0xc8:
			if err := Need(b, off, 3); err != nil {
				return 0, err
			}
			size = 3 + int(binary.BigEndian.Uint16(b[off+1:]))
		case c == 0xc9:
			if err := Need(b, off, 5); err != nil {
				return 0, err
			}
			size = 5 + int(binary.BigEndian.Uint32(b[off+1:]))
		case c == 0xca:
			size = 4
		case c == 0xcb:
			size = 8
		case c >= 0xcc && c <= 0xd3: // uint8..64, int8..64
			size = 1 << ((c - 0xcc) & 3)
		case c >= 0xd4 && c <= 0xd8: // fixext 1..16: type byte + data
			size = 1 + 1<<(c-0xd4)
		case c == 0xdc || c == 0xde:
			if err := Need(b, off, 3); err != nil {
				return 0, err
			}
			size = 2
			children = int(binary.BigEndian.Uint16(b[off+1:]))
		case c == 0xdd || c == 0xdf:
			if err := Need(b, off, 5); err != nil {
				return 0, err
			}
			size = 4
			children = int(binary.BigEndian.Uint32(b[off+1:]))
		}
		if c == 0xde || c == 0xdf {
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

// ScalarText renders the scalar at b[off:] as the text Sigma compares,
// using scratch for numbers. ok is false for nil, containers, binary and
// extension types: those never equal a Sigma string value.
func ScalarText(b []byte, off int, scratch []byte) (text []byte, ok bool) {
	if off >= len(b) {
		return nil, false
	}
	c := b[off]
	switch {
	case c <= 0x7f:
		return strconv.AppendUint(scratch[:0], uint64(c), 10), true
	case c >= 0xe0:
		return strconv.AppendInt(scratch[:0], int64(int8(c)), 10), true
	case c == 0xc2:
		return append(scratch[:0], "false"...), true
	case c == 0xc3:
		return append(scratch[:0], "true"...), true
	case c >= 0xcc && c <= 0xd3:
		size := 1 << ((c - 0xcc) & 3)
		if Need(b, off+1, size) != nil {
			return nil, false
		}
		p := b[off+1 : off+1+size]
		var u uint64
		for _, x := range p {
			u = u<<8 | uint64(x)
		}
		if c <= 0xcf {
			return strconv.AppendUint(scratch[:0], u, 10), true
		}
		shift := 64 - 8*uint(size) // sign-extend
		return strconv.AppendInt(scratch[:0], int64(u<<shift)>>shift, 10), true
	case c == 0xca:
		if Need(b, off+1, 4) != nil {
			return nil, false
		}
		f := math.Float32frombits(binary.BigEndian.Uint32(b[off+1:]))
		return strconv.AppendFloat(scratch[:0], float64(f), 'f', -1, 32), true
	case c == 0xcb:
		if Need(b, off+1, 8) != nil {
			return nil, false
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(b[off+1:]))
		return strconv.AppendFloat(scratch[:0], f, 'f', -1, 64), true
	}
	s, _, isStr, err := ReadStr(b, off)
	if err != nil || !isStr {
		return nil, false
	}
	return s, true
}

// Writers. Each appends the smallest encoding of its value.

// AppendNil appends nil.
func AppendNil(dst []byte) []byte { return append(dst, 0xc0) }

// AppendBool appends a boolean.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 0xc3)
	}
	return append(dst, 0xc2)
}

// AppendInt appends a signed integer.
func AppendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 0x7f:
		return append(dst, byte(v))
	case v < 0 && v >= -32:
		return append(dst, byte(int8(v)))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(v))
	}
}

// AppendUint appends an unsigned integer.
func AppendUint(dst []byte, v uint64) []byte {
	if v <= 0x7f {
		return append(dst, byte(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xcf), v)
}

// AppendFloat appends a float64.
func AppendFloat(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(v))
}

// AppendBin appends binary data.
func AppendBin(dst []byte, v []byte) []byte {
	return append(binary.BigEndian.AppendUint32(append(dst, 0xc6), uint32(len(v))), v...)
}

// AppendExt appends an extension value (fixext 8 when data is 8 bytes, as
// Fluent Bit's EventTime is).
func AppendExt(dst []byte, typ int8, data []byte) []byte {
	if len(data) == 8 {
		return append(append(dst, 0xd7, byte(typ)), data...)
	}
	return append(append(binary.BigEndian.AppendUint32(append(dst, 0xc9), uint32(len(data))), byte(typ)), data...)
}

// AppendMapHeader appends a map header for n pairs.
func AppendMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(dst, 0xde, byte(n>>8), byte(n))
	default:
		return append(dst, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendArrayHeader appends an array header for n elements.
func AppendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(dst, 0xdc, byte(n>>8), byte(n))
	default:
		return append(dst, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendStr appends a string.
func AppendStr(dst []byte, s string) []byte {
	return append(appendStrHeader(dst, len(s)), s...)
}

// AppendStrBytes appends s as a msgpack string.
func AppendStrBytes(dst []byte, s []byte) []byte {
	return append(appendStrHeader(dst, len(s)), s...)
}

// AppendStrHeader appends the header of a string of n bytes.
func AppendStrHeader(dst []byte, n int) []byte { return appendStrHeader(dst, n) }

func appendStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return append(dst, 0xda, byte(n>>8), byte(n))
	}
	return append(dst, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}
