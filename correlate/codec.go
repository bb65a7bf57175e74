package correlate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// encoder appends the state file's primitive values.
type encoder struct{ b []byte }

func (w *encoder) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *encoder) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *encoder) f64(v float64)    { w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v)) }
func (w *encoder) u64(v uint64)     { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *encoder) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }

// decoder reads what encoder wrote. The first error sticks and every later
// read returns zero, so decoding code checks err once per structure.
// Lengths are checked against a caller's cap and the bytes left before
// anything is allocated from them.
type decoder struct {
	b   []byte
	off int
	err error
}

var errShort = errors.New("unexpected end of data")

func (r *decoder) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at byte %d: "+format, append([]any{r.off}, args...)...)
	}
}

func (r *decoder) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint: %w", errShort)
		return 0
	}
	r.off += n
	return v
}

func (r *decoder) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint: %w", errShort)
		return 0
	}
	r.off += n
	return v
}

func (r *decoder) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b)-r.off < 8 {
		r.fail("%w", errShort)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *decoder) f64() float64 { return math.Float64frombits(r.u64()) }

// count reads a length no larger than limit, and no larger than the bytes
// left divided by each element's minimum encoded size.
func (r *decoder) count(what string, limit, minSize int) int {
	v := r.uvarint()
	if r.err != nil {
		return 0
	}
	if v > uint64(limit) || v*uint64(minSize) > uint64(len(r.b)-r.off) {
		r.fail("%s length %d exceeds its limit %d or the data left", what, v, limit)
		return 0
	}
	return int(v)
}

func (r *decoder) str(what string, limit int) string {
	n := r.count(what, limit, 1)
	if r.err != nil {
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func (r *decoder) times(what string, limit int) []int64 {
	n := r.count(what, limit, 1)
	if n == 0 {
		return nil
	}
	t := make([]int64, n)
	for i := range t {
		t[i] = r.varint()
		if i > 0 && t[i] < t[i-1] {
			r.fail("%s not in time order", what)
		}
	}
	return t
}

// Aggregator encodings. Each decode checks the limits its plan implies, so
// a state file cannot make a group larger than live traffic could.

func (a *counterAgg) encode(w *encoder)          { w.uvarint(a.n) }
func (a *counterAgg) decode(r *decoder, _ *plan) { a.n = r.uvarint() }

func (a *bucketAgg) encode(w *encoder) {
	w.uvarint(uint64(len(a.b)))
	for _, s := range a.b {
		w.varint(s.id)
		w.f64(s.sum)
		w.uvarint(s.n)
	}
}

func (a *bucketAgg) decode(r *decoder, _ *plan) {
	n := r.count("buckets", bucketSlots, 10)
	if n == 0 {
		return
	}
	if n != bucketSlots {
		r.fail("bucket count %d, want %d", n, bucketSlots)
		return
	}
	a.b = make([]bucket, bucketSlots)
	for i := range a.b {
		a.b[i] = bucket{id: r.varint(), sum: r.f64(), n: r.uvarint()}
		if a.b[i].n > 0 && int(uint64(a.b[i].id)%bucketSlots) != i {
			r.fail("bucket %d in slot %d", a.b[i].id, i)
		}
	}
}

func (a *scalarAgg) encode(w *encoder) { w.f64(a.sum); w.uvarint(a.n) }
func (a *scalarAgg) decode(r *decoder, _ *plan) {
	a.sum = r.f64()
	a.n = r.uvarint()
}

// encode sorts the values so equal state always saves to equal bytes.
func (a *distinctAgg) encode(w *encoder) {
	w.uvarint(uint64(len(a.m)))
	for _, k := range slices.Sorted(maps.Keys(a.m)) {
		w.str(k)
		w.varint(a.m[k])
	}
}

func (a *distinctAgg) decode(r *decoder, p *plan) {
	n := r.count("distinct values", a.limit(p), 2)
	a.m = make(map[string]int64, n)
	for range n {
		k := r.str("value", len(r.b)) // as long as the field's text was: the data left bounds it
		a.m[k] = r.varint()
	}
}

func (a *temporalAgg) encode(w *encoder) {
	w.uvarint(uint64(len(a.t)))
	for _, s := range a.t {
		w.uvarint(uint64(len(s)))
		for _, t := range s {
			w.varint(t)
		}
	}
}

func (a *temporalAgg) decode(r *decoder, p *plan) {
	n := r.count("referenced rules", p.refs, 1)
	if n == 0 {
		return
	}
	if n != p.refs {
		r.fail("%d referenced rules, want %d", n, p.refs)
		return
	}
	a.t = make([][]int64, n)
	for i := range a.t {
		a.t[i] = r.times("rule times", temporalDepth)
	}
}

func (a *shareAgg) encode(w *encoder) {
	w.uvarint(uint64(len(a.e)))
	for _, x := range a.e {
		w.varint(x.t)
		w.u64(x.h)
	}
}

func (a *shareAgg) decode(r *decoder, _ *plan) {
	n := r.count("sample", sampleSize, 9)
	a.e = make([]shareEntry, 0, n)
	a.n = make(map[uint64]uint32, n)
	for i := range n {
		x := shareEntry{t: r.varint(), h: r.u64()}
		if i > 0 && x.t < a.e[i-1].t {
			r.fail("sample not in time order")
		}
		a.e = append(a.e, x)
		a.n[x.h]++
	}
}

func (a *sampleAgg) encode(w *encoder) {
	w.uvarint(uint64(len(a.e)))
	for _, x := range a.e {
		w.varint(x.t)
		w.f64(x.x)
	}
}

func (a *sampleAgg) decode(r *decoder, _ *plan) {
	n := r.count("sample", sampleSize, 9)
	a.e = make([]sampleEntry, 0, n)
	for i := range n {
		x := sampleEntry{t: r.varint(), x: r.f64()}
		if i > 0 && x.t < a.e[i-1].t {
			r.fail("sample not in time order")
		}
		a.e = append(a.e, x)
	}
}
