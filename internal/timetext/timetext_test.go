package timetext

import (
	"testing"
	"time"
)

// TestParse checks the instants and the parts as written of the formats
// event logs use, and what is refused.
func TestParse(t *testing.T) {
	ns := func(s string) int64 {
		x, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return x.UnixNano()
	}
	for _, c := range []struct {
		in           string
		spaced       bool
		ok           bool
		unix         int64 // 0: no instant (leap second)
		hour, minute int
		clock        bool
	}{
		{"2024-05-01 10:11:12.345", false, true, ns("2024-05-01T10:11:12.345Z"), 10, 11, true},
		{"2024-05-01T10:11:12.3456789Z", false, true, ns("2024-05-01T10:11:12.3456789Z"), 10, 11, true},
		{" 2024-05-01t23:30+02:00\t", false, true, ns("2024-05-01T21:30:00Z"), 23, 30, true},
		{"2024-05-01T23:30-0130", false, true, ns("2024-05-02T01:00:00Z"), 23, 30, true},
		{"2024-05-01", false, true, ns("2024-05-01T00:00:00Z"), 0, 0, false},
		{"2026-11-25 10:42:07 +0000", true, true, ns("2026-11-25T10:42:07Z"), 10, 42, true},
		{"2026-11-25 10:42:07 +0000", false, false, 0, 0, 0, false},
		{"2024-05-01 23:59:60", false, true, 0, 23, 59, true}, // a leap second: parts, no instant
		{"2024-05-01 10:00:60", false, true, ns("2024-05-01T10:01:00Z"), 10, 0, true},
		{"1700000000", false, true, 1700000000e9, 22, 13, true},
		{"1700000039.9999999999", false, true, 1700000040e9, 22, 13, true},
		{"1700000000123", false, true, 1700000000123e6, 22, 13, true},
		{"2024-02-30", false, false, 0, 0, 0, false},
		{"2024-05-01 10:11:12.", false, false, 0, 0, 0, false},
		{"2024-05-01 10:11:61", false, false, 0, 0, 0, false},
		{"2024-05-01 24:00", false, false, 0, 0, 0, false},
		{"2024-05-01T10:11+24:00", false, false, 0, 0, 0, false},
		{"12345", false, false, 0, 0, 0, false},
		{"1700000000.", false, false, 0, 0, 0, false},
		{"17000000001234.5", false, false, 0, 0, 0, false},
	} {
		got, ok := Parse([]byte(c.in), c.spaced)
		if ok != c.ok {
			t.Errorf("Parse(%q, %v): ok %v, want %v", c.in, c.spaced, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if got.Hour != c.hour || got.Minute != c.minute || got.HasClock != c.clock {
			t.Errorf("Parse(%q): clock %d:%d (%v), want %d:%d (%v)", c.in, got.Hour, got.Minute, got.HasClock, c.hour, c.minute, c.clock)
		}
		unix, ok := got.UnixNano()
		if ok != (c.unix != 0) || unix != c.unix {
			t.Errorf("Parse(%q).UnixNano() = %d, %v; want %d", c.in, unix, ok, c.unix)
		}
	}
}
