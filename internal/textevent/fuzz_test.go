package textevent

import (
	"bytes"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// FuzzEachEvent: whatever the input, reading it never panics, every event
// passed on is one whole msgpack value, and ReadEvents' chunk is those
// events end to end (nothing lost, nothing twice), or nothing on an error.
func FuzzEachEvent(f *testing.F) {
	for _, seed := range []string{
		"{\"a\":1}\n{\"b\":[1,2,{\"c\":null}]}\n", "[{\"a\":\"x\"},{\"a\":true}]", "\xEF\xBB\xBF{\"a\":1.5e3}",
		"{\"a\":\"\\u00e9\\ud83d\\ude00\"}", "{\"a\":", "{}{}[]", "x", "{\"a\":1}\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var passed []byte
		n, err := EachEvent(bytes.NewReader(data), time.Unix(1, 0), func(event []byte) error {
			if end, err := msgpack.Skip(event, 0); err != nil || end != len(event) {
				t.Fatalf("event %x is not one whole value: end %d, %v", event, end, err)
			}
			passed = append(passed, event...)
			return nil
		})
		chunk, n2, err2 := ReadEvents(bytes.NewReader(data), time.Unix(1, 0))
		if n != n2 || (err == nil) != (err2 == nil) {
			t.Fatalf("EachEvent: %d, %v; ReadEvents: %d, %v", n, err, n2, err2)
		}
		if err == nil && !bytes.Equal(chunk, passed) {
			t.Fatalf("ReadEvents' chunk differs from the events passed on")
		}
		if err != nil && chunk != nil {
			t.Fatalf("ReadEvents returned a chunk with the error %v", err)
		}
	})
}
