package filter

import (
	"bytes"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// Batches. Some sources deliver several events in one record: Azure's
// diagnostic export through Event Hubs ({"records": [...]}), a CloudTrail
// log file ({"Records": [...]}), a CloudWatch Logs subscription
// ({"logGroup": ..., "logEvents": [...]}). Rules read one event's fields,
// so with batch_key naming the key the filter splits such a record into a
// record per element before the rules run: each gets the batch record's
// timestamp and metadata, the element's pairs, then the batch record's
// other pairs that the element lacks (CloudWatch's logGroup, logStream),
// so nothing is lost. The other pairs go into every element while that at
// most doubles the array's bytes; past that, into the first element only,
// so that they are kept once without multiplying the chunk.

// maxBatch is the most elements a batch is split into; a longer array
// leaves its record whole.
const maxBatch = 10000

// batch is what findBatch found in a record: the array's offset and
// end, its length, and the record's other pairs (offsets of each key and
// the end of its value).
type batch struct {
	array, end, n int
	others        []pairSpan
}

// findBatch looks, in the record body at chunk[body:], for the first pair
// whose key is one of keys and whose value is an array of 1 to maxBatch
// maps; the record's other pairs go to others, whose storage is spans.
func findBatch(keys [][]byte, chunk []byte, body int, spans []pairSpan) (batch, bool) {
	found, ok := batch{}, false
	walkPairs(chunk, body, func(start, value, end int, key []byte) bool {
		if key != nil && containsKey(keys, key) {
			found.n, ok = mapsArray(chunk, value)
			found.array, found.end = value, end
		}
		return !ok
	})
	if !ok {
		return batch{}, false
	}
	found.others = spans[:0]
	walkPairs(chunk, body, func(start, value, end int, _ []byte) bool {
		if value != found.array {
			found.others = append(found.others, pairSpan{start: start, value: value, end: end})
		}
		return true
	})
	return found, true
}

// walkPairs calls fn with each pair of the map at b[off:]: where its key
// starts, where its value starts and ends, and the key when it is a
// string; it stops when fn returns false, or at bytes that are not
// well-formed.
func walkPairs(b []byte, off int, fn func(start, value, end int, key []byte) bool) {
	n, p, err := msgpack.ReadMapHeader(b, off)
	if err != nil {
		return
	}
	for range n {
		key, isStr, value, err := readKey(b, p)
		if err != nil {
			return
		}
		end, err := msgpack.Skip(b, value)
		if err != nil {
			return
		}
		if !isStr {
			key = nil
		}
		if !fn(p, value, end, key) {
			return
		}
		p = end
	}
}

func containsKey(keys [][]byte, key []byte) bool {
	for _, k := range keys {
		if bytes.Equal(k, key) {
			return true
		}
	}
	return false
}

// mapsArray reports the length of the array at b[p:] when it holds 1 to
// maxBatch elements, all maps.
func mapsArray(b []byte, p int) (int, bool) {
	n, q, err := msgpack.ReadArrayHeader(b, p)
	if err != nil || n < 1 || n > maxBatch {
		return 0, false
	}
	for range n {
		if q >= len(b) || !msgpack.IsMap(b[q]) {
			return 0, false
		}
		if q, err = msgpack.Skip(b, q); err != nil {
			return 0, false
		}
	}
	return n, true
}

// appendSplit appends to dst the records batch bt of the record event ev
// splits into (see the top of the file).
func appendSplit(dst, chunk []byte, ev event, bt batch) []byte {
	others := 0
	for _, o := range bt.others {
		others += o.end - o.start
	}
	everyElement := others*bt.n <= bt.end-bt.array
	_, p, _ := msgpack.ReadArrayHeader(chunk, bt.array)
	for i := range bt.n {
		end, _ := msgpack.Skip(chunk, p) // mapsArray walked it
		n, pairs, _ := msgpack.ReadMapHeader(chunk, p)
		var add []pairSpan
		if everyElement || i == 0 {
			add = bt.others
		}
		added := 0
		for _, o := range add {
			if !mapHasKey(chunk, p, chunk[o.start:o.value]) {
				added++
			}
		}
		dst = append(dst, chunk[ev.start:ev.body]...) // the event's array and header
		dst = msgpack.AppendMapHeader(dst, n+added)
		dst = append(dst, chunk[pairs:end]...)
		for _, o := range add {
			if !mapHasKey(chunk, p, chunk[o.start:o.value]) {
				dst = append(dst, chunk[o.start:o.end]...)
			}
		}
		p = end
	}
	return dst
}

// mapHasKey reports whether the map at b[p:] has a key encoded as key is.
func mapHasKey(b []byte, p int, key []byte) bool {
	n, q, err := msgpack.ReadMapHeader(b, p)
	for i := 0; i < n && err == nil; i++ {
		var end int
		if end, err = msgpack.Skip(b, q); err != nil {
			return false
		}
		if bytes.Equal(b[q:end], key) {
			return true
		}
		q, err = msgpack.Skip(b, end)
	}
	return false
}
