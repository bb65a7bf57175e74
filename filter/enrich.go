package filter

import "github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"

// appendEnriched appends ev with the format's keys for the matched rules
// (none when matched is empty) and the shard key added. The timestamp,
// metadata and every other key and value are copied byte for byte, in
// their order. A key the record already has is replaced or merged where it
// stands; should the record hold it more than once, its last copy (the
// one Fluent Bit's record accessor and the rules read) takes the merge and
// the earlier copies are dropped, so the output never has a duplicate key.
// New keys go at the end.
func (f *Filter) appendEnriched(dst, b []byte, ev event, matched []int, s *scratch) []byte {
	s.vals, s.adds = s.vals[:0], s.adds[:0]
	if len(matched) > 0 {
		s.vals, s.adds = f.appendAdditions(s.vals, s.adds, matched, s.shown)
	}
	if f.shard != nil {
		s.vals, s.adds = f.shard.appendAddition(s.vals, s.adds, s.rec)
	}
	adds, vals := s.adds, s.vals
	// record.load has walked this body, so it is complete msgpack, and
	// noted where its maps and arrays end: walking one again (evtx JSON's
	// whole Event map) would cost what reading it did.
	n, first, _ := msgpack.ReadMapHeader(b, ev.body)
	ends := s.rec.ends
	if cap(s.pairs) > maxKeptPairs {
		s.pairs = nil
	}
	// lastPair: per addition, the index in pairs of the record's last
	// copy of its key, -1 when the record has none.
	pairs, lastPair := s.pairs[:0], s.lastPair[:0]
	for range adds {
		lastPair = append(lastPair, -1)
	}
	dropped, named, last := 0, 0, first
	for i, p := 0, first; i < n; i++ {
		key, isStr, value, end := bodyPairAt(b, p, &ends)
		j := findAddition(adds, key, isStr)
		if j >= 0 {
			if lastPair[j] >= 0 {
				dropped++
			}
			lastPair[j] = len(pairs)
			named++
		}
		pairs = append(pairs, pairSpan{start: p, value: value, end: end, addition: j})
		p, last = end, end
	}
	missing := 0
	for j := range adds {
		if lastPair[j] < 0 {
			missing++
		}
	}
	dst = append(dst, b[ev.start:ev.body]...)
	dst = msgpack.AppendMapHeader(dst, n-dropped+missing)
	if named == 0 { // the usual record: its pairs as they are, in one copy
		dst = append(dst, b[first:last]...)
		pairs = pairs[:0]
	}
	for i, pair := range pairs {
		switch j := pair.addition; {
		case j < 0:
			dst = append(dst, b[pair.start:pair.end]...)
		case lastPair[j] == i: // an earlier copy is dropped, as counted
			a := adds[j]
			dst = append(dst, b[pair.start:pair.value]...)
			old := b[pair.value:pair.end]
			if a.mode != replace && dropped > 0 {
				old = foldEarlierCopies(b, pairs[:i], j, old)
			}
			dst = mergeValue(dst, old, vals[a.start:a.end], a.mode)
		}
	}
	for j, a := range adds {
		if lastPair[j] < 0 {
			dst = msgpack.AppendStr(dst, a.key)
			dst = append(dst, vals[a.start:a.end]...)
		}
	}
	s.lastPair, s.pairs = lastPair, pairs
	return dst
}

// foldEarlierCopies returns last, the value of the last copy of the key
// of addition j, with the earlier copies (in before) merged under it, the
// later winning where both have a key: rules read the fields of every
// copy of a map, so the alert keeps what matched (event.action from a
// first "event" map beside a second one). Rare: a new buffer.
func foldEarlierCopies(b []byte, before []pairSpan, j int, last []byte) []byte {
	var folded []byte
	for _, p := range before {
		if p.addition != j {
			continue
		}
		if folded == nil {
			folded = append(folded, b[p.value:p.end]...)
			continue
		}
		folded = mergeValue(nil, folded, b[p.value:p.end], overwrite)
	}
	if folded == nil {
		return last
	}
	return mergeValue(nil, folded, last, overwrite)
}

// bodyPairAt is pairAt for a pair of a body record.load walked: a value
// that is a map or an array ends at the first of ends, which it consumes.
func bodyPairAt(b []byte, p int, ends *[]int) (key []byte, isStr bool, value, end int) {
	key, isStr, value, _ = readKey(b, p)
	if e := *ends; len(e) > 0 && containerAt(b, value) {
		*ends = e[1:]
		return key, isStr, value, e[0]
	}
	end, _ = msgpack.Skip(b, value)
	return key, isStr, value, end
}

// pairSpan is where one pair of a record's map lies, and the addition
// its key names (-1: none).
type pairSpan struct {
	start, value, end int
	addition          int
}

// maxKeptPairs bounds the pair list kept between records: a record with
// more keys gets a list of its own, which is not kept.
const maxKeptPairs = 4096

func findAddition(adds []addition, key []byte, isStr bool) int {
	if !isStr {
		return -1
	}
	for j := range adds {
		if adds[j].key == string(key) {
			return j
		}
	}
	return -1
}
