package filter

import (
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// decodeOrdered reads the keys of the map at b[off:] in order, with each
// value's raw bytes.
func decodeOrdered(t *testing.T, b []byte, off int) fixture.Map {
	t.Helper()
	n, p, err := msgpack.ReadMapHeader(b, off)
	if err != nil {
		t.Fatal(err)
	}
	var m fixture.Map
	for i := 0; i < n; i++ {
		key, vp, _, err := msgpack.ReadStr(b, p)
		if err != nil {
			t.Fatal(err)
		}
		end, err := msgpack.Skip(b, vp)
		if err != nil {
			t.Fatal(err)
		}
		m = append(m, fixture.KV{K: string(key), V: b[vp:end]})
		p = end
	}
	return m
}
