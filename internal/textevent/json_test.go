package textevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

func TestRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{"b":1,"a":[true,false,null,-5,18446744073709551615,2.5,"x\"y\\\\z"],"c":{"d":{}}}`,
		`{"EventID":7,"Image":"C:\\Windows\\x.exe","k":"ü€😀"}`,
		`[]`,
	} {
		mp, err := AppendJSONValue(nil, jsoniter.ParseString(jsoniter.ConfigDefault, in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		var buf bytes.Buffer
		s := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 64)
		end, err := WriteMsgpack(s, mp, 0)
		s.Flush()
		if err != nil || end != len(mp) {
			t.Fatalf("%s: WriteMsgpack: %d/%d, %v", in, end, len(mp), err)
		}
		if buf.String() != in {
			t.Errorf("round trip:\n got %s\nwant %s", buf.String(), in)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)
	if _, err := AppendJSONValue(nil, jsoniter.ParseString(jsoniter.ConfigDefault, deep)); err == nil {
		t.Error("want an error for nesting past MaxDepth")
	}
}

// TestStringEscapes: strings decode as encoding/json decodes them, escapes
// and surrogate pairs included; malformed escapes are errors.
func TestStringEscapes(t *testing.T) {
	var c Converter
	for _, lit := range []string{
		`"plain"`, `""`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u0041\u00e9\u20ac"`, `"\ud83d\ude00 smile"`,
		`"lone \ud83d surrogate"`, `"lone low \ude00"`, `"C:\\Windows\\System32"`, `"ü€"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		for round := 0; round < 2; round++ { // the buffer is reused
			mp, err := c.Append(nil, jsoniter.ParseString(jsoniter.ConfigDefault, lit))
			if err != nil {
				t.Fatalf("%s: %v", lit, err)
			}
			got, _, _, _ := msgpack.ReadStr(mp, 0)
			if string(got) != want {
				t.Errorf("%s: got %q, want %q", lit, got, want)
			}
		}
	}
	for _, bad := range []string{`"\x"`, `"\u12"`, `"\uZZZZ"`, `"abc\"`} {
		if _, err := c.Append(nil, jsoniter.ParseString(jsoniter.ConfigDefault, bad)); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

// TestReadEventsFraming: what may stand between the events of a file, and
// that anything else is an error, not a silent end of the events.
func TestReadEventsFraming(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		events   int
		err      bool
	}{
		{"lines", "{\"a\":1}\n{\"a\":2}\n", 2, false},
		{"concatenated, an array, trailing space", "{\"a\":1}{\"a\":2}[{\"a\":3},{\"a\":4}]  \n", 4, false},
		{"a byte order mark", "\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}", 2, false},
		{"empty", "", 0, false},
		{"a comma between events", "{\"a\":1},\n{\"a\":2}", 0, true},
		{"a stray byte", "{\"a\":1}\nx{\"a\":2}", 0, true},
		{"a byte order mark later", "{\"a\":1}\n\xEF\xBB\xBF{\"a\":2}", 0, true},
		{"a NUL", "{\"a\":1}\x00", 0, true},
	} {
		_, n, err := ReadEvents(strings.NewReader(tc.in), time.Unix(0, 0))
		if (err != nil) != tc.err || (!tc.err && n != tc.events) {
			t.Errorf("%s: %d events, error %v; want %d events, error %v", tc.name, n, err, tc.events, tc.err)
		}
	}
}

// TestReadEventsErrorNamesTheEvent: an error names the event it is in,
// counting from 1, whatever kind of value is wrong there.
func TestReadEventsErrorNamesTheEvent(t *testing.T) {
	for _, in := range []string{"{}\n{}\n[1]", "{}\n{}\n{\"a\":", "{}\n{}\nx"} {
		if _, _, err := ReadEvents(strings.NewReader(in), time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "event 3") {
			t.Errorf("%q: %v, want an error naming event 3", in, err)
		}
	}
}

// TestEachEventStopsOnItsCallersError: the caller's error stops the
// reading at that event, in a line or in an array, and comes back as it
// is; each event passed is one whole event.
func TestEachEventStopsOnItsCallersError(t *testing.T) {
	stop := errors.New("stop")
	for _, in := range []string{"{\"a\":1}\n{\"a\":2}\n{\"a\":3}", "[{\"a\":1},{\"a\":2},{\"a\":3}]"} {
		calls := 0
		n, err := EachEvent(strings.NewReader(in), time.Unix(0, 0), func(event []byte) error {
			if end, err := msgpack.Skip(event, 0); err != nil || end != len(event) {
				t.Errorf("%q: event %d is not one whole value: %v", in, calls+1, err)
			}
			if calls++; calls == 2 {
				return stop
			}
			return nil
		})
		if err != stop || n != 2 || calls != 2 {
			t.Errorf("%q: %d events, %d calls, %v; want 2, 2 and the caller's error", in, n, calls, err)
		}
	}
}
