// Package timetext reads the timestamps event logs write as text: ISO 8601
// / RFC 3339 (Sysmon's UtcTime "2024-05-01 10:11:12.345", evtx's
// SystemTime "2024-05-01T10:11:12.3456789Z") and Unix epoch seconds or
// milliseconds. The rules package reads the parts as written (Sigma's time
// modifiers); the filter reads the instant (correlation event time).
package timetext

import (
	"bytes"
	"math"
	"time"
)

// Time is a timestamp read from text.
type Time struct {
	Date                 time.Time // the date as written, at midnight UTC
	Hour, Minute, Second int       // the clock as written; 0 without one
	HasClock             bool
	nanos                int   // the fraction of the second, in ns
	offset               int   // seconds east of UTC the text states
	epoch                int64 // for epoch text: the instant, in ns
	isEpoch              bool
}

// Parse reads v, trimmed of spaces and tabs, as
//   - 2006-01-02, optionally followed by T, t or a space and 15:04, then :05
//     and a fraction (. or ,), then an offset (Z, ±hh, ±hhmm, ±hh:mm); with
//     spacedOffset, one space may stand before the offset (in_winevtlog's
//     TimeCreated "2026-11-25 10:42:07 +0000");
//   - or Unix epoch seconds (9 or 10 digits, optionally a fraction) or
//     milliseconds (12 or 13 digits), whose parts are in UTC.
func Parse(v []byte, spacedOffset bool) (Time, bool) {
	v = bytes.Trim(v, " \t")
	if len(v) >= 5 && v[4] == '-' {
		return parseISO(v, spacedOffset)
	}
	return ParseEpoch(v)
}

func parseISO(v []byte, spacedOffset bool) (Time, bool) {
	year, ok1 := digits(v, 0, 4)
	month, ok2 := digits(v, 5, 2)
	day, ok3 := digits(v, 8, 2)
	if !ok1 || !ok2 || !ok3 || v[7] != '-' {
		return Time{}, false
	}
	t := Time{Date: time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)}
	if t.Date.Month() != time.Month(month) || t.Date.Day() != day { // 2024-02-30 is no date
		return Time{}, false
	}
	rest := v[10:]
	if len(rest) == 0 {
		return t, true
	}
	if c := rest[0]; c != 'T' && c != 't' && c != ' ' {
		return Time{}, false
	}
	hour, ok1 := digits(rest, 1, 2)
	minute, ok2 := digits(rest, 4, 2)
	if !ok1 || !ok2 || rest[3] != ':' || hour > 23 || minute > 59 {
		return Time{}, false
	}
	t.Hour, t.Minute, t.HasClock = hour, minute, true
	rest = rest[6:]
	if len(rest) > 0 && rest[0] == ':' {
		sec, ok := digits(rest, 1, 2)
		if !ok || sec > 60 {
			return Time{}, false
		}
		t.Second, rest = sec, rest[3:]
		if len(rest) > 1 && (rest[0] == '.' || rest[0] == ',') {
			n, scale := 1, int(1e8)
			for ; n < len(rest) && '0' <= rest[n] && rest[n] <= '9'; n++ {
				t.nanos += int(rest[n]-'0') * scale
				scale /= 10
			}
			if n == 1 {
				return Time{}, false
			}
			rest = rest[n:]
		}
	}
	if spacedOffset && len(rest) > 1 && rest[0] == ' ' {
		rest = rest[1:]
	}
	var ok bool
	t.offset, ok = zoneOffset(rest)
	return t, ok
}

// zoneOffset reads nothing, Z, or ±hh, ±hhmm, ±hh:mm as seconds east of
// UTC.
func zoneOffset(v []byte) (int, bool) {
	switch {
	case len(v) == 0:
		return 0, true
	case len(v) == 1:
		return 0, v[0] == 'Z' || v[0] == 'z'
	case v[0] != '+' && v[0] != '-':
		return 0, false
	}
	h, ok := digits(v, 1, 2)
	m := 0
	switch {
	case !ok || h > 23:
		return 0, false
	case len(v) == 5:
		m, ok = digits(v, 3, 2)
	case len(v) == 6 && v[3] == ':':
		m, ok = digits(v, 4, 2)
	case len(v) != 3:
		ok = false
	}
	if !ok || m > 59 {
		return 0, false
	}
	if v[0] == '-' {
		return -(h*3600 + m*60), true
	}
	return h*3600 + m*60, true
}

// ParseEpoch reads v as Unix epoch seconds (9 or 10 digits, optionally
// with a fraction) or milliseconds (12 or 13 digits). Other lengths are
// not taken for times: a 5-digit number is more likely a count than 1970.
func ParseEpoch(v []byte) (Time, bool) {
	n := 0
	for n < len(v) && '0' <= v[n] && v[n] <= '9' {
		n++
	}
	x, _ := digits(v, 0, n)
	var ns int64
	var whole time.Time
	switch {
	case n == len(v) && (n == 12 || n == 13):
		ns, whole = int64(x)*int64(time.Millisecond), time.UnixMilli(int64(x)).UTC()
	case n != 9 && n != 10:
		return Time{}, false
	case n == len(v):
		ns, whole = int64(x)*int64(time.Second), time.Unix(int64(x), 0).UTC()
	case v[n] != '.' || n+1 == len(v):
		return Time{}, false
	default:
		frac, scale := 0.0, 0.1
		for _, c := range v[n+1:] {
			if c < '0' || c > '9' {
				return Time{}, false
			}
			frac += float64(c-'0') * scale
			scale /= 10
		}
		ns = int64(x)*int64(time.Second) + int64(math.Round(frac*1e9))
		whole = time.Unix(int64(x), 0).UTC()
	}
	y, m, d := whole.Date()
	return Time{Date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Hour: whole.Hour(), Minute: whole.Minute(),
		Second: whole.Second(), HasClock: true, epoch: ns, isEpoch: true}, true
}

// UnixNano returns the instant t names, in nanoseconds since the Unix
// epoch, the stated offset applied. A clock that runs past its date (a
// leap second at 23:59:60) names no instant: ok is false.
func (t Time) UnixNano() (int64, bool) {
	if t.isEpoch {
		return t.epoch, true
	}
	at := time.Date(t.Date.Year(), t.Date.Month(), t.Date.Day(), t.Hour, t.Minute, t.Second, t.nanos, time.UTC)
	if at.Day() != t.Date.Day() {
		return 0, false
	}
	return at.UnixNano() - int64(t.offset)*int64(time.Second), true
}

// digits reads v[off:off+n] as a decimal number of at most 18 digits.
func digits(v []byte, off, n int) (int, bool) {
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
