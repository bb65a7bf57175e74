package rules

// This file holds the time modifiers of Sigma 2.1 (modifiers appendix,
// "Time Modifiers"): minute, hour, day, week, month and year extract a
// number from a timestamp field's value, which the modifiers after them
// compare ("Time|hour|gte: 22"; with no comparator, equality). The
// specification warns that they are "not designed to handle timezone or
// format conversions": a part is read as the value writes it, so
// 23:30+02:00 has hour 23, and a value without an offset is read as is.
//
// Timestamps read (anything else, a number outside the epoch ranges
// included, does not match):
//   - ISO 8601 / RFC 3339 extended format: 2006-01-02, optionally followed
//     by T, t or a space and 15:04, :05, a fraction (. or ,) and an offset
//     (Z, +02:00, +0200, +02). This covers Sysmon's UtcTime
//     (2006-01-02 15:04:05.000) and Windows' SystemTime
//     (2006-01-02T15:04:05.1234567Z). A date alone has no minute or hour.
//   - Unix epoch seconds (9 or 10 digits, optionally a fraction) and
//     milliseconds (12 or 13 digits), read in UTC: from 1973 to 2286.

import (
	"strconv"
	"strings"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/timetext"
)

// timePart is the part of a timestamp a time modifier extracts.
type timePart uint8

const (
	noTimePart timePart = iota
	minutePart
	hourPart
	dayPart
	weekPart // ISO 8601 week number, 1 to 53
	monthPart
	yearPart
)

var timePartNames = [...]string{minutePart: "minute", hourPart: "hour", dayPart: "day", weekPart: "week", monthPart: "month", yearPart: "year"}

// timeModifier is the registry entry of a time modifier.
func timeModifier(p timePart) modifier {
	return modifier{kind: extractModifier, set: func(s fieldSpec) fieldSpec { s.timePart = p; return s }}
}

// timeSpec checks what a time modifier is combined with and makes the
// comparator's compile step compare the extracted number. Called by
// parseModifiers when spec has a time part.
func timeSpec(spec fieldSpec) (fieldSpec, error) {
	name := timePartNames[spec.timePart]
	switch {
	case spec.position != "" || len(spec.transforms) > 0:
		return fieldSpec{}, errorf(KindModifierCombination, "modifier %q takes no position or transform modifier", name)
	case spec.comparator != "" && !isNumberComparator(spec.comparator):
		return fieldSpec{}, errorf(KindModifierCombination, "modifier %q combines only with lt, lte, gt, gte and neq, not %q", name, spec.comparator)
	}
	part, op, neq := spec.timePart, spec.comparator, spec.neq
	// neq is the time test's own: a value that is not a timestamp matches
	// no time test, negated or not.
	spec.neq = false
	spec.compile = func(_ *compiler, s fieldSpec, values []string) (valueTest, bool, error) {
		return compileTimePart(part, op, neq, s.all, values)
	}
	return spec, nil
}

func isNumberComparator(name string) bool {
	return name == "lt" || name == "lte" || name == "gt" || name == "gte"
}

// compileTimePart compiles the values of a time modifier: whole numbers.
func compileTimePart(part timePart, op string, neq, all bool, values []string) (valueTest, bool, error) {
	t := &timeTest{part: part, op: op, neq: neq, all: all}
	for _, v := range values {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, false, errorf(KindBadNumber, "%s: %q is not a whole number", timePartNames[part], v)
		}
		t.values = append(t.values, n)
	}
	return t, false, nil
}

// timeTest extracts a part of the value's timestamp and compares it with
// the values: any of them holds (every one with all); neq negates.
type timeTest struct {
	part   timePart
	op     string // "" (equality), lt, lte, gt or gte
	values []int64
	all    bool
	neq    bool
}

func (t *timeTest) test(v []byte, _ *matcher) bool {
	ts, ok := parseTimestamp(v)
	if !ok {
		return false
	}
	n, ok := ts.part(t.part)
	if !ok {
		return false
	}
	hit := t.all
	for _, want := range t.values {
		var h bool
		switch t.op {
		case "lt":
			h = n < want
		case "lte":
			h = n <= want
		case "gt":
			h = n > want
		case "gte":
			h = n >= want
		default:
			h = n == want
		}
		if h != t.all {
			hit = h
			break
		}
	}
	return hit != t.neq
}

// timestamp is a timestamp's parts as written.
type timestamp struct {
	date         time.Time // the date at midnight UTC, for the ISO week
	hour, minute int
	hasClock     bool
}

func (ts timestamp) part(p timePart) (int64, bool) {
	switch p {
	case minutePart:
		return int64(ts.minute), ts.hasClock
	case hourPart:
		return int64(ts.hour), ts.hasClock
	case dayPart:
		return int64(ts.date.Day()), true
	case weekPart:
		_, w := ts.date.ISOWeek()
		return int64(w), true
	case monthPart:
		return int64(ts.date.Month()), true
	default:
		return int64(ts.date.Year()), true
	}
}

// parseTimestamp reads v as one of the formats in this file's comment,
// its parts as written.
func parseTimestamp(v []byte) (timestamp, bool) {
	t, ok := timetext.Parse(v, false)
	if !ok {
		return timestamp{}, false
	}
	return timestamp{date: t.Date, hour: t.Hour, minute: t.Minute, hasClock: t.HasClock}, true
}
