package filter

import (
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

func TestParseTimeText(t *testing.T) {
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	for _, tc := range []struct {
		in   string
		want int64 // 0: not a time
	}{
		{"2024-05-01T10:11:12Z", at("2024-05-01T10:11:12Z")},
		{"2024-05-01T10:11:12.3456789Z", at("2024-05-01T10:11:12.3456789Z")},
		{"2024-05-01 10:11:12.345", at("2024-05-01T10:11:12.345Z")}, // Sysmon UtcTime
		{"2024-05-01T12:11:12+02:00", at("2024-05-01T10:11:12Z")},
		{"2024-05-01T05:41:12-0430", at("2024-05-01T10:11:12Z")},
		{"2024-05-01T10:11", at("2024-05-01T10:11:00Z")},
		{"2024-05-01 12:11:12 +0200", at("2024-05-01T10:11:12Z")}, // in_winevtlog's TimeCreated
		{"2024-05-01", at("2024-05-01T00:00:00Z")},
		{" 2024-05-01T10:11:12Z ", at("2024-05-01T10:11:12Z")},
		{"1714558272", at("2024-05-01T10:11:12Z")},
		{"1714558272.5", at("2024-05-01T10:11:12.5Z")},
		{"1714558272345", at("2024-05-01T10:11:12.345Z")},
		{"2024-02-30T10:11:12Z", 0},
		{"2024-13-01T10:11:12Z", 0},
		{"2024-05-01T25:11:12Z", 0},
		{"2024-05-01T10:11:12+2", 0},
		{"2024-05-01X10:11:12", 0},
		{"2024-05-01T10:11:12.", 0},
		{"12345", 0},
		{"1714558272.", 0},
		{"1714558272.5x", 0},
		{"", 0},
		{"yesterday", 0},
	} {
		got, ok := parseTimeText([]byte(tc.in))
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("parseTimeText(%q) = %d, %v; want %d", tc.in, got, ok, tc.want)
		}
	}
}

func TestHeaderTime(t *testing.T) {
	body := msgpack.AppendMapHeader(nil, 0)
	ext := func(sec, nsec uint32) []byte {
		return []byte{msgpack.FixExt8, eventTimeType, byte(sec >> 24), byte(sec >> 16), byte(sec >> 8), byte(sec),
			byte(nsec >> 24), byte(nsec >> 16), byte(nsec >> 8), byte(nsec)}
	}
	current := func(ts []byte) []byte {
		b := msgpack.AppendArrayHeader(nil, 2)
		b = msgpack.AppendArrayHeader(b, 2)
		b = append(b, ts...)
		b = msgpack.AppendMapHeader(b, 0)
		return append(b, body...)
	}
	legacy := func(ts []byte) []byte {
		return append(append(msgpack.AppendArrayHeader(nil, 2), ts...), body...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want int64
	}{
		{"current EventTime", current(ext(1714558272, 5)), 1714558272e9 + 5},
		{"legacy EventTime", legacy(ext(1714558272, 0)), 1714558272e9},
		{"integer", current(msgpack.AppendInt(nil, 1714558272)), 1714558272e9},
		{"float", legacy(msgpack.AppendFloat(nil, 1714558272.25)), 1714558272e9 + 25e7},
		{"zero", current(ext(0, 0)), 0},
		{"nanoseconds out of range", current(ext(1714558272, 1e9)), 0},
		{"string", current(msgpack.AppendStr(nil, "now")), 0},
	} {
		if got := headerTime(tc.b, event{start: 0}); got != tc.want {
			t.Errorf("%s: headerTime = %d, want %d", tc.name, got, tc.want)
		}
	}
}
