package filter

import "github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"

// Merging msgpack values: where a value the filter adds meets one the
// record already has. Every function here writes a container header only
// after counting, by the same test the writing loop applies, what it will
// write: nothing is bounded by a fixed-size table.

// mergeMode says how an added top-level key meets one the record has.
type mergeMode uint8

const (
	// replace: the record's value is replaced where it stands.
	replace mergeMode = iota
	// combine: maps are merged key by key; where both have a key, the
	// values become one array, the record's first: nothing is lost.
	combine
	// overwrite: maps are merged key by key; where both have a key, the
	// added value wins (event.kind, event.severity).
	overwrite
)

// maxMergeDepth bounds the recursion of merging maps. The values the filter
// adds are maps three levels deep at most (threat.technique.id), so it is
// never reached by them; past it, two maps are combined or overwritten
// whole, which is still one well-formed value.
const maxMergeDepth = 4

// mergeValue appends the value where the record's value old meets the
// added value add (both complete msgpack).
func mergeValue(dst, old, add []byte, mode mergeMode) []byte {
	return mergeNested(dst, old, add, mode, 0)
}

// mergeNested merges old and add key by key when both are maps, recursing
// into values both have, depth levels down from the top-level key.
func mergeNested(dst, old, add []byte, mode mergeMode, depth int) []byte {
	if mode == replace {
		return append(dst, add...)
	}
	on, op, oerr := msgpack.ReadMapHeader(old, 0)
	an, ap, aerr := msgpack.ReadMapHeader(add, 0)
	if oerr != nil && aerr == nil && depth < maxMergeDepth {
		// The record holds something else where a map is added (rule:
		// "allow-all"): one array of both would mix a value and an object,
		// which Elasticsearch refuses whatever the mapping. The added map
		// takes the place and keeps the record's value as "original"
		// (event.original is ECS's own field for it).
		return appendWithOriginal(dst, old, add, ap, an)
	}
	if oerr == nil && aerr != nil && depth < maxMergeDepth && mode != overwrite {
		// The reverse: the record holds an object where a value is added
		// (tags: {"env": "prod"}). The object stays, with the added value
		// inside it under addedKey.
		return appendWithAdded(dst, old, add, op, on, mode, depth)
	}
	if oerr != nil || aerr != nil || depth >= maxMergeDepth {
		if mode == overwrite {
			return append(dst, add...)
		}
		// Values at the top level (tags) are merged as a set; inside a
		// map (rule.id beside rule.name) the arrays run in step, so no
		// element is left out of one and kept in another.
		return appendCombined(dst, old, add, depth == 0)
	}
	// Both maps: the record's keys in its order, merged where the added
	// map has them too, then the added map's other keys. The last of the
	// record's copies of an added key takes the merge and the earlier ones
	// are dropped, as at the top level: the last is the copy Fluent Bit's
	// record accessor, and so the rules, read (event.kind "alert" must
	// not sit behind a second "kind").
	var stack [8]mapPair // add's pairs; append moves past 8 to the heap
	added := addedPairs(stack[:0], add, ap, an)
	copies := make([]int, len(added)) // per added key: the record's copies not yet passed
	count := on
	for i := range added {
		if copies[i] = keyCount(old, op, on, added[i].key); copies[i] == 0 {
			count++
		} else {
			count -= copies[i] - 1
		}
	}
	dst = msgpack.AppendMapHeader(dst, count)
	for i := 0; i < on; i++ {
		k, isStr, vp, end := pairAt(old, op)
		j := -1
		for c := range added {
			if isStr && string(added[c].key) == string(k) {
				j = c
				break
			}
		}
		switch {
		case j < 0:
			dst = append(dst, old[op:end]...)
		case copies[j] > 1: // an earlier copy: dropped, as counted
			copies[j]--
		default: // the last copy
			dst = append(dst, old[op:vp]...)
			dst = mergeNested(dst, old[vp:end], added[j].value, mode, depth+1)
		}
		op = end
	}
	for j := range added {
		if copies[j] == 0 {
			dst = msgpack.AppendStrBytes(dst, added[j].key)
			dst = append(dst, added[j].value...)
		}
	}
	return dst
}

// originalKey is where a record's value that is not a map is kept when a
// map is added in its place.
const originalKey = "original"

// appendWithOriginal appends the added map of n pairs at add[p:] with the
// record's value old first, under originalKey (unless the added map has
// that key itself, when old gives way).
func appendWithOriginal(dst, old, add []byte, p, n int) []byte {
	if hasKey(add, p, n, []byte(originalKey)) {
		return append(dst, add...)
	}
	dst = msgpack.AppendMapHeader(dst, n+1)
	dst = append(msgpack.AppendStr(dst, originalKey), old...)
	return append(dst, add[p:]...)
}

// addedKey is where an added value that is not a map goes when the record
// holds a map in its place.
const addedKey = "sigma"

// appendWithAdded appends the record's map of n pairs at old[p:] with the
// added value add after its pairs, under addedKey. Where the map has that
// key itself, the added value is merged into it, as a map of that one key
// would be: nothing of either is lost.
func appendWithAdded(dst, old, add []byte, p, n int, mode mergeMode, depth int) []byte {
	if hasKey(old, p, n, []byte(addedKey)) {
		wrapped := msgpack.AppendStr(msgpack.AppendMapHeader(nil, 1), addedKey)
		return mergeNested(dst, old, append(wrapped, add...), mode, depth)
	}
	dst = msgpack.AppendMapHeader(dst, n+1)
	dst = append(dst, old[p:]...)
	return append(msgpack.AppendStr(dst, addedKey), add...)
}

// mapPair is one key and its raw value.
type mapPair struct{ key, value []byte }

// addedPairs appends the n pairs of the added map at add[p:], whose keys
// are all strings (the filter wrote them).
func addedPairs(pairs []mapPair, add []byte, p, n int) []mapPair {
	for i := 0; i < n; i++ {
		k, vp, _, _ := msgpack.ReadStr(add, p)
		end, _ := msgpack.Skip(add, vp)
		pairs = append(pairs, mapPair{k, add[vp:end]})
		p = end
	}
	return pairs
}

// keyCount returns how many of the n pairs of the map at m[p:] have key.
func keyCount(m []byte, p, n int, key []byte) int {
	count := 0
	for i := 0; i < n; i++ {
		k, isStr, _, end := pairAt(m, p)
		if isStr && string(k) == string(key) {
			count++
		}
		p = end
	}
	return count
}

// hasKey reports whether a pair of the map at m[p:] has key.
func hasKey(m []byte, p, n int, key []byte) bool { return keyCount(m, p, n, key) > 0 }

// appendCombined appends one array of old's elements (or old itself) then
// add's (or add itself), leaving out, when asSet, added elements old
// already holds. The header is written before the elements, so both loops
// below must decide "duplicate" the same way: each asks containsValue,
// with no table that could run out.
func appendCombined(dst, old, add []byte, asSet bool) []byte {
	elems := func(v []byte) (n, p int) {
		if n, p, err := msgpack.ReadArrayHeader(v, 0); err == nil {
			return n, p
		}
		return 1, 0
	}
	on, op := elems(old)
	an, ap := elems(add)
	if op == 0 && ap == 0 && string(old) == string(add) {
		return append(dst, old...) // one value both hold (threat.framework): kept as it is
	}
	count := on
	for i, p := 0, ap; i < an; i++ {
		end, _ := msgpack.Skip(add, p)
		if !asSet || !containsValue(old, on, op, add[p:end]) {
			count++
		}
		p = end
	}
	if count == on && op == 0 { // a scalar the record already holds: kept as it is
		return append(dst, old...)
	}
	dst = msgpack.AppendArrayHeader(dst, count)
	end := op
	for i := 0; i < on; i++ {
		end, _ = msgpack.Skip(old, end)
	}
	dst = append(dst, old[op:end]...)
	for i, p := 0, ap; i < an; i++ {
		e, _ := msgpack.Skip(add, p)
		if !asSet || !containsValue(old, on, op, add[p:e]) {
			dst = append(dst, add[p:e]...)
		}
		p = e
	}
	return dst
}

// containsValue reports whether one of the n values at arr[p:] is v, byte
// for byte.
func containsValue(arr []byte, n, p int, v []byte) bool {
	for i := 0; i < n; i++ {
		end, _ := msgpack.Skip(arr, p)
		if string(arr[p:end]) == string(v) {
			return true
		}
		p = end
	}
	return false
}

// pairAt reads the map pair at b[p:], which must be complete msgpack: the
// key (when it is a string), the value's offset and the pair's end.
func pairAt(b []byte, p int) (key []byte, isStr bool, value, end int) {
	key, isStr, value, _ = readKey(b, p)
	end, _ = msgpack.Skip(b, value)
	return key, isStr, value, end
}
