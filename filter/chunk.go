package filter

import (
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"

	"encoding/binary"
	"fmt"
)

// An event is one entry of a chunk, located by offsets into the chunk.
//
// Fluent Bit writes events in two shapes: [[timestamp, metadata], body]
// (current) and [timestamp, body] (legacy, still produced by in_forward's
// PackedForward mode). The timestamp is the EventTime extension (type 0,
// 8 bytes), an integer or a float. Group markers are current-shape events
// whose timestamp is -1 or -2; they carry group attributes, not records.
type event struct {
	start, end int // the whole event: b[start:end]
	body       int // offset of the body map; valid when kind == recordEvent
	kind       eventKind
}

type eventKind uint8

const (
	recordEvent eventKind = iota // a log record whose body is a map
	otherEvent                   // well-formed msgpack, but not a record we evaluate
	groupMarker                  // group start or end: always passed through
)

// MalformedError reports the offset at which a chunk stopped parsing. The
// filter passes everything from Offset on through unchanged.
type MalformedError struct {
	Offset int
	Err    error
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("filter: malformed chunk at byte %d: %v", e.Offset, e.Err)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// parseEvent parses the header of the event at b[off:]. For a record it
// stops at the body: ev.end is left 0 for record.load, which walks the body
// once and finds the end. Any other event is skipped whole here. An error
// means the bytes at off are not a complete msgpack object.
func parseEvent(b []byte, off int) (event, error) {
	ev := event{start: off, kind: otherEvent}
	n, p, err := msgpack.ReadArrayHeader(b, off)
	if err == nil && n == 2 {
		if body, group, ok := eventHeader(b, p); ok {
			if group {
				ev.kind = groupMarker
			} else if _, _, err := msgpack.ReadMapHeader(b, body); err == nil {
				ev.body, ev.kind = body, recordEvent
				return ev, nil
			}
		}
	}
	if ev.end, err = msgpack.Skip(b, off); err != nil {
		return event{}, err
	}
	return ev, nil
}

// eventHeader reads the first element of an event at b[p:]: [timestamp,
// metadata] or a bare timestamp. It returns the body's offset, whether the
// event is a group marker, and whether the header is well-formed.
func eventHeader(b []byte, p int) (body int, group, ok bool) {
	if hn, hp, err := msgpack.ReadArrayHeader(b, p); err == nil {
		// Current shape: the header is [timestamp, metadata].
		if hn < 1 {
			return 0, false, false
		}
		if ok, group = timestamp(b, hp); !ok {
			return 0, false, false
		}
	} else if ok, _ = timestamp(b, p); !ok {
		return 0, false, false
	}
	body, err := msgpack.Skip(b, p)
	if err != nil {
		return 0, false, false
	}
	return body, group, true
}

// timestamp reports whether b[off:] holds a timestamp Fluent Bit accepts,
// and whether it is a group marker (-1 or -2, as an integer or as the
// EventTime seconds 0xffffffff / 0xfffffffe with zero nanoseconds).
func timestamp(b []byte, off int) (ok, group bool) {
	if off >= len(b) {
		return false, false
	}
	switch c := b[off]; {
	case c == 0xd7: // fixext 8
		if msgpack.Need(b, off, 10) != nil || b[off+1] != 0 {
			return false, false
		}
		sec := binary.BigEndian.Uint32(b[off+2:])
		nsec := binary.BigEndian.Uint32(b[off+6:])
		return true, nsec == 0 && (sec == 0xffffffff || sec == 0xfffffffe)
	case c == 0xc7: // ext 8 with length 8
		if msgpack.Need(b, off, 11) != nil || b[off+1] != 8 || b[off+2] != 0 {
			return false, false
		}
		sec := binary.BigEndian.Uint32(b[off+3:])
		nsec := binary.BigEndian.Uint32(b[off+7:])
		return true, nsec == 0 && (sec == 0xffffffff || sec == 0xfffffffe)
	case c == 0xff || c == 0xfe: // negative fixint -1, -2
		return true, true
	case c <= 0x7f, c >= 0xcc && c <= 0xcf, c == 0xca, c == 0xcb:
		return true, false
	case c >= 0xd0 && c <= 0xd3: // signed ints: -1/-2 mark groups
		text, ok := msgpack.ScalarText(b, off, make([]byte, 0, 24))
		if !ok {
			return false, false
		}
		s := string(text)
		return true, s == "-1" || s == "-2"
	default:
		return false, false
	}
}
