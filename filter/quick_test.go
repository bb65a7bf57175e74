package filter

import (
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

func TestQuick(t *testing.T) {
	f, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := fixture.Time(time.Unix(1700000000, 5))
	var chunk []byte
	chunk = fixture.Event(chunk, ts, nil, fixture.BenignImageLoad(1))
	chunk = fixture.Event(chunk, ts, nil, fixture.UnsignedNodeLoad(2))
	out, changed, err := f.Process(nil, chunk)
	t.Logf("changed=%v err=%v len=%d/%d", changed, err, len(out), len(chunk))
	t.Logf("%d bytes per record", len(fixture.Event(nil, ts, nil, fixture.BenignImageLoad(1))))
}
