package filter

import (
	"encoding/binary"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/timetext"
)

// This file reads event time, the clock correlations count by: the
// record's Fluent Bit timestamp, or a field of the record (time_key).
// Times are nanoseconds since the Unix epoch; 0 means "no usable time".

// headerTime returns the Fluent Bit timestamp of the event at b[ev.start:]
// in nanoseconds, or 0 when it is not a positive time.
func headerTime(b []byte, ev event) int64 {
	_, p, err := msgpack.ReadArrayHeader(b, ev.start)
	if err != nil {
		return 0
	}
	if _, hp, err := msgpack.ReadArrayHeader(b, p); err == nil {
		p = hp // current shape: [[timestamp, metadata], body]
	}
	return timestampNanos(b, p)
}

// timestampNanos reads an EventTime extension, an integer (seconds) or a
// float (seconds) at b[off:].
func timestampNanos(b []byte, off int) int64 {
	if off >= len(b) {
		return 0
	}
	t, ok := eventTimeAt(b, off)
	if !ok {
		text, ok := msgpack.ScalarText(b, off, make([]byte, 0, 48))
		if !ok {
			return 0
		}
		t, ok := timetext.ParseEpoch(text)
		if !ok {
			return 0
		}
		ns, _ := t.UnixNano()
		return ns
	}
	sec := int64(binary.BigEndian.Uint32(t))
	nsec := int64(binary.BigEndian.Uint32(t[4:]))
	if sec <= 0 || nsec >= 1e9 {
		return 0
	}
	return sec*1e9 + nsec
}

// parseTimeText reads a field's text as a time (see timetext.Parse; one
// space may stand before the offset, as in in_winevtlog's TimeCreated).
func parseTimeText(v []byte) (int64, bool) {
	t, ok := timetext.Parse(v, true)
	if !ok {
		return 0, false
	}
	return t.UnixNano()
}
