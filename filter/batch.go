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
// other pairs whose keys the element lacks (CloudWatch's logGroup,
// logStream; a key the element has keeps the element's value).
//
// Splitting repeats the header and the other pairs for every element; a
// batch whose records would take more than splitGrowth times its bytes
// stays whole, so that a large envelope (or metadata) around small
// elements cannot grow a chunk further.

// maxBatch is the most elements a batch is split into; a longer array
// leaves its record whole.
const maxBatch = 10000

// splitGrowth bounds a split's records against the batch record's bytes:
// room for a header and an envelope of a few hundred bytes (CloudWatch
// Logs') around elements as large.
const splitGrowth = 3

// batch is what findBatch found in a record: the array's offset and
// end, its length, and the record's other pairs.
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

// walkPairs calls fn with each pair of the map at b[off:], which must be
// complete msgpack (a loaded record's body): where its key starts, where
// its value starts and ends, and the key when it is a string; it stops
// when fn returns false.
func walkPairs(b []byte, off int, fn func(start, value, end int, key []byte) bool) {
	n, p, _ := msgpack.ReadMapHeader(b, off)
	for range n {
		key, isStr, value, end := pairAt(b, p)
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

// fits reports whether the records bt splits event ev into take at most
// splitGrowth times its bytes, counting for every element its header, the
// largest map header and all the other pairs.
func (bt batch) fits(ev event) bool {
	others := 0
	for _, o := range bt.others {
		others += o.end - o.start
	}
	per := (ev.body - ev.start) + 5 + others
	return per*bt.n+(bt.end-bt.array) <= splitGrowth*(ev.end-ev.start)
}

// splitter is appendSplit's scratch, kept between batches: the other
// pairs' keys by identity, each other pair's identity (the first other
// pair with the same key), and which identities the current element has.
type splitter struct {
	index map[string]int
	ident []int
	seen  []int
}

// keyIdentity is how the split tells keys apart: a string's text (however
// it is encoded), any other key's bytes.
func keyIdentity(dst, b []byte, p int) []byte {
	key, isStr, value, _ := readKey(b, p) // the key of a complete pair
	if isStr {
		return append(append(dst, 's'), key...)
	}
	return append(append(dst, 'r'), b[p:value]...)
}

// appendSplit appends to dst the records batch bt of the record event ev
// splits into (see the top of the file); the caller checked bt.fits.
func (sp *splitter) appendSplit(dst, chunk []byte, ev event, bt batch) []byte {
	sp.index = clearedMap(sp.index)
	if cap(sp.ident) > maxKeptPairs {
		sp.ident, sp.seen = nil, nil
	}
	sp.ident, sp.seen = sp.ident[:0], sp.seen[:0]
	var id []byte
	for j, o := range bt.others {
		id = keyIdentity(id[:0], chunk, o.start)
		first, ok := sp.index[string(id)]
		if !ok {
			first = j
			sp.index[string(id)] = j
		}
		sp.ident = append(sp.ident, first)
		sp.seen = append(sp.seen, 0)
	}
	_, p, _ := msgpack.ReadArrayHeader(chunk, bt.array)
	for i := range bt.n {
		mark := i + 1
		end, _ := msgpack.Skip(chunk, p) // mapsArray walked it
		n, pairs, _ := msgpack.ReadMapHeader(chunk, p)
		if len(bt.others) > 0 {
			walkPairs(chunk, p, func(start, _, _ int, _ []byte) bool {
				id = keyIdentity(id[:0], chunk, start)
				if j, ok := sp.index[string(id)]; ok {
					sp.seen[j] = mark
				}
				return true
			})
		}
		added := 0
		for j := range bt.others {
			if sp.seen[sp.ident[j]] != mark {
				added++
			}
		}
		dst = append(dst, chunk[ev.start:ev.body]...) // the event's array and header
		dst = msgpack.AppendMapHeader(dst, n+added)
		dst = append(dst, chunk[pairs:end]...)
		for j, o := range bt.others {
			if sp.seen[sp.ident[j]] != mark {
				dst = append(dst, chunk[o.start:o.end]...)
			}
		}
		p = end
	}
	return dst
}

// clearedMap returns m emptied, or a new map when there is none or it
// grew past what a scratch keeps.
func clearedMap(m map[string]int) map[string]int {
	if m == nil || len(m) > maxKeptPairs {
		return map[string]int{}
	}
	clear(m)
	return m
}
