package rules

import (
	"fmt"
	"testing"
)

// timeRule is a rule with one field line on Time.
func timeRule(line string) string {
	return fmt.Sprintf("title: t\nlogsource: {product: test}\ndetection:\n  sel:\n    %s\n  condition: sel\n", line)
}

// TestTimeModifiers follows the Sigma modifiers appendix v2.1.0, "Time
// Modifiers": minute (0-59), hour (0-23), day (1-31), week, month (1-12)
// and year extract "a numeric value from a date", compared by the
// modifiers after them; "It is not designed to handle timezone or format
// conversions".
func TestTimeModifiers(t *testing.T) {
	tests := []struct {
		line  string
		value string
		want  bool
	}{
		// Each part, equality without a comparator.
		{"Time|minute: 30", "2024-03-05T23:30:12Z", true},
		{"Time|minute: 31", "2024-03-05T23:30:12Z", false},
		{"Time|hour: 23", "2024-03-05T23:30:12Z", true},
		{"Time|day: 5", "2024-03-05T23:30:12Z", true},
		{"Time|month: 3", "2024-03-05T23:30:12Z", true},
		{"Time|year: 2024", "2024-03-05T23:30:12Z", true},
		{"Time|hour: '05'", "2024-03-05T05:00:00Z", true}, // numbers compare as numbers
		{"Time|hour: [1, 2, 23]", "2024-03-05T23:30:12Z", true},
		// Week: the ISO 8601 week. The appendix says 1 to 52, but ISO years
		// such as 2020 have a week 53; 2021-01-01 is in 2020's week 53.
		{"Time|week: 10", "2024-03-05T23:30:12Z", true},
		{"Time|week: 53", "2021-01-01T10:00:00Z", true},
		{"Time|week: 1", "2024-12-30", true},
		// Comparators after the part ("Time|hour|gte: 22").
		{"Time|hour|gte: 22", "2024-03-05T23:30:12Z", true},
		{"Time|hour|gte: 22", "2024-03-05T21:59:59Z", false},
		{"Time|hour|lt: 6", "2024-03-05 05:59:59.999", true},
		{"Time|hour|lte: 5", "2024-03-05 06:00:00.000", false},
		{"Time|month|gt: 11", "2024-12-01", true},
		{"Time|minute|neq: 0", "2024-03-05T23:30:12Z", true},
		{"Time|minute|neq: 30", "2024-03-05T23:30:12Z", false},
		// No time-zone conversion: the part is read as written.
		{"Time|hour: 23", "2024-03-05T23:30:00+02:00", true},
		{"Time|hour: 23", "2024-03-05T23:30:00-0500", true},
		{"Time|day: 5", "2024-03-05T23:30:00-05", true},
		{"Time|hour: 23", "2024-03-05T23:30:00", true},
		// Windows: Sysmon's UtcTime and the event's SystemTime.
		{"Time|minute: 42", "2026-11-25 10:42:07.118", true},
		{"Time|hour: 10", "2026-11-25T10:42:07.1180000Z", true},
		// Epoch seconds and milliseconds, in UTC.
		{"Time|hour: 22", "1700000000", true},      // 2023-11-14 22:13:20 UTC
		{"Time|minute: 13", "1700000000.5", true},  // a fraction of seconds
		{"Time|year: 2023", "1700000000123", true}, // milliseconds
		{"Time|hour: 22", "1700000000123", true},
		// A value that is not a timestamp does not match, negated or not.
		{"Time|hour: 0", "not a time", false},
		{"Time|hour|neq: 5", "not a time", false},
		{"Time|year|gte: 0", "4624", false},       // too few digits for an epoch
		{"Time|day: 30", "2024-02-30", false},     // no such date
		{"Time|hour|gte: 0", "2024-03-05", false}, // a date has no hour
		{"Time|hour: 23", "2024-03-05T23:30Zjunk", false},
		{"Time|hour: 23", "2024-03-05T24:00:00Z", false},
		{"Time|year: 2024", "2024-03-05X23:30:00", false},
	}
	for _, tc := range tests {
		t.Run(tc.line+" "+tc.value, func(t *testing.T) {
			set := compileOne(t, timeRule(tc.line))
			if got := matches(set, map[string]string{"Time": tc.value}); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTimeModifierAll(t *testing.T) {
	set := compileOne(t, timeRule("Time|hour|gte|all: [8, 10]"))
	for value, want := range map[string]bool{"2024-03-05T09:00:00Z": false, "2024-03-05T11:00:00Z": true} {
		if got := matches(set, map[string]string{"Time": value}); got != want {
			t.Errorf("%s: got %v, want %v", value, got, want)
		}
	}
	// An absent field is no timestamp.
	if matches(set, map[string]string{}) {
		t.Error("an absent field matched")
	}
}

func TestTimeModifierErrors(t *testing.T) {
	tests := []struct {
		line string
		kind ErrorKind
	}{
		{"Time|hour: late", KindBadNumber},
		{"Time|hour|gte: 2.5", KindBadNumber},
		{"Time|hour|contains: 2", KindModifierCombination},
		{"Time|hour|re: '2.'", KindModifierCombination},
		{"Time|hour|cidr: 10.0.0.0/8", KindModifierCombination},
		{"Time|gte|hour: 22", KindModifierCombination},
		{"Time|hour|minute: 22", KindModifierCombination},
		{"Time|base64|hour: 22", KindModifierCombination},
		{"Time|second: 7", KindUnsupportedModifier},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			_, report, _ := Compile([]Source{{Name: "t.yml", Data: []byte(timeRule(tc.line))}}, Options{})
			if len(report.Skipped) != 1 {
				t.Fatalf("skipped %v, want the rule skipped", report.Skipped)
			}
			if got := kindOf(report.Skipped[0].Err); got != tc.kind {
				t.Errorf("kind %v, want %v (%v)", got, tc.kind, report.Skipped[0])
			}
		})
	}
}

func TestParseTimestampAllocs(t *testing.T) {
	v := []byte("2026-11-25T10:42:07.1180000Z")
	e := []byte("1700000000123")
	if n := testing.AllocsPerRun(100, func() {
		parseTimestamp(v)
		parseTimestamp(e)
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
