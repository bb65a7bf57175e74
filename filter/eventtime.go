package filter

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
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
		ns, _ := parseEpochText(text)
		return ns
	}
	sec := int64(binary.BigEndian.Uint32(t))
	nsec := int64(binary.BigEndian.Uint32(t[4:]))
	if sec <= 0 || nsec >= 1e9 {
		return 0
	}
	return sec*1e9 + nsec
}

// parseTimeText reads a field's text as a time: ISO 8601 / RFC 3339 with a
// "T" or a space (Sysmon's UtcTime "2024-05-01 10:11:12.345", evtx's
// SystemTime "2024-05-01T10:11:12.3456789Z"), without an offset meaning
// UTC; or Unix epoch seconds (with a fraction) or milliseconds.
func parseTimeText(v []byte) (int64, bool) {
	v = bytes.Trim(v, " \t")
	if len(v) >= 10 && v[4] == '-' && v[7] == '-' {
		return parseISOTime(v)
	}
	return parseEpochText(v)
}

// parseISOTime reads 2006-01-02[(T| )15:04[:05[(.|,)frac]]][Z|±hh[:]mm].
func parseISOTime(v []byte) (int64, bool) {
	year, ok1 := num(v, 0, 4)
	month, ok2 := num(v, 5, 2)
	day, ok3 := num(v, 8, 2)
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	var hour, minute, sec, nsec int
	rest := v[10:]
	if len(rest) > 0 {
		if c := rest[0]; len(rest) < 6 || c != 'T' && c != 't' && c != ' ' || rest[3] != ':' {
			return 0, false
		}
		var ok bool
		if hour, ok = num(rest, 1, 2); !ok {
			return 0, false
		}
		if minute, ok = num(rest, 4, 2); !ok {
			return 0, false
		}
		rest = rest[6:]
		if sec, nsec, rest, ok = clockSeconds(rest); !ok {
			return 0, false
		}
	}
	if len(rest) > 1 && rest[0] == ' ' {
		rest = rest[1:] // in_winevtlog's TimeCreated: "2026-11-25 10:42:07 +0000"
	}
	offset, ok := zoneOffset(rest)
	if !ok || month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day {
		return 0, false // 2024-02-30 is no date
	}
	return t.UnixNano() - int64(offset)*int64(time.Second), true
}

// clockSeconds reads an optional ":05" and fraction.
func clockSeconds(v []byte) (sec, nsec int, rest []byte, ok bool) {
	if len(v) == 0 || v[0] != ':' {
		return 0, 0, v, true
	}
	if sec, ok = num(v, 1, 2); !ok {
		return 0, 0, nil, false
	}
	v = v[3:]
	if len(v) == 0 || v[0] != '.' && v[0] != ',' {
		return sec, 0, v, true
	}
	n, scale := 1, int(1e8)
	for ; n < len(v) && '0' <= v[n] && v[n] <= '9'; n++ {
		nsec += int(v[n]-'0') * scale
		scale /= 10
	}
	return sec, nsec, v[n:], n > 1
}

// zoneOffset reads nothing, Z, or ±hh[[:]mm] as seconds east of UTC.
func zoneOffset(v []byte) (int, bool) {
	switch {
	case len(v) == 0:
		return 0, true
	case len(v) == 1 && (v[0] == 'Z' || v[0] == 'z'):
		return 0, true
	case v[0] != '+' && v[0] != '-':
		return 0, false
	}
	h, ok := num(v, 1, 2)
	m := 0
	switch {
	case !ok:
		return 0, false
	case len(v) == 5:
		m, ok = num(v, 3, 2)
	case len(v) == 6 && v[3] == ':':
		m, ok = num(v, 4, 2)
	case len(v) != 3:
		ok = false
	}
	if !ok || h > 23 || m > 59 {
		return 0, false
	}
	if v[0] == '-' {
		return -(h*3600 + m*60), true
	}
	return h*3600 + m*60, true
}

// parseEpochText reads Unix epoch seconds (9 or 10 digits, optionally with
// a fraction) or milliseconds (12 or 13 digits). Other lengths are not
// taken for times: a 5-digit number is more likely a count than 1970.
func parseEpochText(v []byte) (int64, bool) {
	n := 0
	for n < len(v) && '0' <= v[n] && v[n] <= '9' {
		n++
	}
	x, ok := num(v, 0, n)
	if !ok {
		return 0, false
	}
	switch {
	case n == len(v) && (n == 12 || n == 13):
		return int64(x) * int64(time.Millisecond), true
	case n != 9 && n != 10:
		return 0, false
	case n == len(v):
		return int64(x) * int64(time.Second), true
	case v[n] != '.' || n+1 == len(v):
		return 0, false
	}
	frac := 0.0
	scale := 0.1
	for _, c := range v[n+1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		frac += float64(c-'0') * scale
		scale /= 10
	}
	return int64(x)*int64(time.Second) + int64(math.Round(frac*1e9)), true
}

// num reads v[off:off+n] as a decimal number of 1 to 18 digits.
func num(v []byte, off, n int) (int, bool) {
	if n < 1 || n > 18 || off+n > len(v) {
		return 0, false
	}
	x := 0
	for _, c := range v[off : off+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int(c-'0')
	}
	return x, true
}
