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

// nextEvent is parseEvent with ev.end always set: a record's body is
// skipped, not loaded (the workers cut chunks so; tests split them).
func nextEvent(b []byte, off int) (event, error) {
	ev, err := parseEvent(b, off)
	if err == nil && ev.kind == recordEvent {
		ev.end, err = msgpack.Skip(b, ev.body)
	}
	return ev, err
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
// EventTime seconds with zero nanoseconds).
func timestamp(b []byte, off int) (ok, group bool) {
	if off >= len(b) {
		return false, false
	}
	switch c := b[off]; {
	case c == msgpack.FixExt8 || c == msgpack.Ext8 || c == msgpack.Ext16 || c == msgpack.Ext32:
		t, ok := eventTimeAt(b, off)
		return ok, ok && isGroupTime(t)
	case msgpack.IsNegFixInt(c) && (int8(c) == -1 || int8(c) == -2):
		return true, true
	case msgpack.IsFixInt(c), msgpack.IsUint(c), msgpack.IsFloat(c):
		return true, false
	case msgpack.IsInt(c): // -1/-2 mark groups
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

// eventTimeAt returns the 8 bytes (big-endian seconds, nanoseconds) of
// the EventTime extension at b[off:], in any ext encoding of 8 bytes:
// fixext 8 as Fluent Bit writes it, or ext 8, 16 or 32 of length 8, which
// Fluent Bit's decoder (it checks only the type and the size) accepts too.
func eventTimeAt(b []byte, off int) ([]byte, bool) {
	if typ, data, ok := msgpack.ReadExt(b, off); ok && typ == eventTimeType && len(data) == 8 {
		return data, true
	}
	return nil, false
}

// eventTimeType is the msgpack extension type of Fluent Bit's EventTime.
const eventTimeType = 0

// isGroupTime reports whether the 8 bytes of an EventTime mark a group:
// seconds -1 or -2 (as uint32) and zero nanoseconds.
func isGroupTime(t []byte) bool {
	sec := int32(binary.BigEndian.Uint32(t))
	nsec := binary.BigEndian.Uint32(t[4:])
	return nsec == 0 && (sec == -1 || sec == -2)
}
