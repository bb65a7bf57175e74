package filter

import (
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// Multi-valued fields. A field whose value is an array holds each of its
// scalar elements; a field path that passes through an array of maps
// (resources.ARN over "resources":[{"ARN":...},{"ARN":...}]) holds the
// value found in each map. The matcher asks for the values through
// rules.MultiValued only when Field gave no text, so records without
// arrays never pay for it.
//
// The work per record is bounded: maxArrayElements elements of each array
// are visited (when descending into maps and when reading values), arrays
// directly inside arrays are not entered, and at most maxExtraValues
// values reached through arrays of maps are kept; the rest are ignored, as
// if the record did not hold them. The depth is bounded by the field
// index: a walk descends only along the keys of some rule's field path.

const (
	maxArrayElements = 256
	maxExtraValues   = 1024
)

// severalValues is at's value for a slot whose values are in extra.
const severalValues = -2

// slotValue is one value of a slot reached through an array of maps: the
// offset as at stores it.
type slotValue struct{ slot, off int }

func isArray(c byte) bool { return msgpack.IsContainer(c) && !msgpack.IsMap(c) }

// loadArrayOfMaps walks the maps among the elements of the array at
// b[off:] with node, the keys below the array's key, and returns the
// offset after the array.
func (r *record) loadArrayOfMaps(node *keyNode, b []byte, off int) (end int, err error) {
	n, p, err := msgpack.ReadArrayHeader(b, off)
	if err != nil {
		return 0, err
	}
	was := r.inArray
	r.inArray = true
	for i := 0; i < n && err == nil; i++ {
		if i < maxArrayElements && p < len(b) && msgpack.IsMap(b[p]) {
			p, err = r.loadMap(node, b, p)
		} else {
			p, err = msgpack.Skip(b, p)
		}
	}
	r.inArray = was
	if err != nil {
		return 0, err
	}
	return p, nil
}

// addValues adds a value met inside an array of maps to each of slots:
// the slot then holds every value met, the one met outside an array first.
// The first value is held as the slot's own, so that a field met once (the
// OpenTelemetry receiver writes each event data value in a map of its own)
// reads as that value, as a group-by or shard key too.
func (r *record) addValues(slots []int, off int) {
	r.several = true
	for _, slot := range slots {
		if r.at[slot] == absent {
			r.put(slot, off)
			continue
		}
		if len(r.extra)+2 > maxExtraValues { // this slot may add two
			return
		}
		if at := r.at[slot]; at >= 0 {
			r.extra = append(r.extra, slotValue{slot: slot, off: at})
		}
		r.put(slot, severalValues)
		r.extra = append(r.extra, slotValue{slot: slot, off: off})
	}
}

// Several implements rules.MultiValued: whether some slot of the record
// holds an array or several values.
func (r *record) Several() bool { return r.several }

// HoldsSeveral implements rules.MultiValued.
func (r *record) HoldsSeveral(slot int) bool {
	if r.at[slot] == severalValues {
		return true
	}
	b, off, ok := r.value(slot)
	return ok && off < len(b) && isArray(b[off])
}

// EachValue implements rules.MultiValued: the scalar values of slot, the
// elements of an array one by one, until v.Visit returns true.
func (r *record) EachValue(slot int, v rules.Visitor) bool {
	if r.at[slot] != severalValues {
		return r.at[slot] >= 0 && r.visitValue(r.at[slot], v)
	}
	for _, x := range r.extra {
		if x.slot == slot && r.visitValue(x.off, v) {
			return true
		}
	}
	return false
}

// visitValue visits the value at off (as at stores it): a scalar, or the
// scalar elements of an array (nulls, maps and arrays in it are skipped).
func (r *record) visitValue(off int, v rules.Visitor) bool {
	b := r.chunk
	if off >= r.split {
		b, off = r.derived, off-r.split
	}
	if off >= len(b) || !isArray(b[off]) {
		return r.visitScalar(v, b, off)
	}
	n, p, err := msgpack.ReadArrayHeader(b, off)
	for i := 0; i < n && i < maxArrayElements && err == nil; i++ {
		if p < len(b) && !msgpack.IsContainer(b[p]) && r.visitScalar(v, b, p) {
			return true
		}
		p, err = msgpack.Skip(b, p)
	}
	return false
}
