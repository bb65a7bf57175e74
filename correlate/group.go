package correlate

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"
)

// group is the state of one (spec, group-by values) pair. It is kept to 64
// bytes: what only some specs need lives in ext.
type group struct {
	key        string // group-by values, each as uvarint length + bytes
	prev, next *group // shard LRU list, most recently updated first
	agg        aggregator
	newest     int64     // newest counted event time
	ext        *groupExt // nil when the spec needs none of it (see plan.needsExt)
}

// groupExt is the state of window-close decisions, suppression and
// multi-rule refs.
type groupExt struct {
	start   int64  // open window's start
	floor   int64  // end of the last decided window: events at or before it are late
	muted   int64  // alerts ending before this are suppressed
	refs    uint64 // refs that contributed since the last restart
	heapIdx int32  // position in the shard's due heap, -1 when no window is open
}

const noTime = math.MinInt64

func newGroup(key string, p *plan) *group {
	g := &group{key: key, agg: newAggregator(p), newest: noTime}
	g.ensureExt(p)
	return g
}

func (g *group) ensureExt(p *plan) {
	if g.ext == nil && p.needsExt() {
		g.ext = &groupExt{floor: noTime, muted: noTime, heapIdx: -1}
	}
}

// open reports whether g has a window waiting for its decision.
func (g *group) open() bool { return g.ext != nil && g.ext.heapIdx >= 0 }

// shard holds a slice of a spec's groups under one mutex, so threads
// updating different groups rarely meet.
type shard struct {
	mu      sync.Mutex
	groups  map[string]*group
	lru     group    // sentinel: lru.next is the most recent, lru.prev the least
	due     []*group // min-heap of open windows by start (end = start + Window)
	nextDue atomic.Int64
	scratch []float64     // percentile sort buffer
	count   *atomic.Int64 // the spec's group count
	_       [64]byte      // keep neighbouring shards' mutexes off one cache line
}

func (s *shard) init(count *atomic.Int64) {
	s.count = count
	s.groups = make(map[string]*group)
	s.lru.next, s.lru.prev = &s.lru, &s.lru
	s.nextDue.Store(math.MaxInt64)
}

func (s *shard) pushFront(g *group) {
	g.prev, g.next = &s.lru, s.lru.next
	s.lru.next.prev = g
	s.lru.next = g
}

func (s *shard) unlink(g *group) {
	g.prev.next, g.next.prev = g.next, g.prev
	g.prev, g.next = nil, nil
}

func (s *shard) touch(g *group) {
	if s.lru.next != g {
		s.unlink(g)
		s.pushFront(g)
	}
}

// oldest is the least recently updated group, nil when empty.
func (s *shard) oldest() *group {
	if s.lru.prev == &s.lru {
		return nil
	}
	return s.lru.prev
}

// insert adds g as the most recent group (and its open window, if any).
func (s *shard) insert(g *group) {
	s.groups[g.key] = g
	s.count.Add(1)
	s.pushFront(g)
	if g.open() {
		g.ext.heapIdx = -1
		s.pushDue(g)
	}
}

// remove drops g and any open window it has.
func (s *shard) remove(g *group) {
	if g.open() {
		s.removeDue(int(g.ext.heapIdx))
	}
	s.unlink(g)
	delete(s.groups, g.key)
	s.count.Add(-1)
}

// The due heap: open windows ordered by start, so Advance looks only at
// the top. nextDue mirrors the top's start for a lock-free "nothing due".

func (s *shard) pushDue(g *group) {
	g.ext.heapIdx = int32(len(s.due))
	s.due = append(s.due, g)
	s.up(len(s.due) - 1)
	s.syncTop()
}

func (s *shard) removeDue(i int) {
	last := len(s.due) - 1
	s.swap(i, last)
	s.due[last].ext.heapIdx = -1
	s.due[last] = nil
	s.due = s.due[:last]
	if i < last {
		s.down(i)
		s.up(i)
	}
	s.syncTop()
}

func (s *shard) syncTop() {
	if len(s.due) == 0 {
		s.nextDue.Store(math.MaxInt64)
		return
	}
	s.nextDue.Store(s.due[0].ext.start)
}

func (s *shard) swap(i, j int) {
	s.due[i], s.due[j] = s.due[j], s.due[i]
	s.due[i].ext.heapIdx, s.due[j].ext.heapIdx = int32(i), int32(j)
}

func (s *shard) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if s.due[p].ext.start <= s.due[i].ext.start {
			return
		}
		s.swap(i, p)
		i = p
	}
}

func (s *shard) down(i int) {
	n := len(s.due)
	for {
		m, l, r := i, 2*i+1, 2*i+2
		if l < n && s.due[l].ext.start < s.due[m].ext.start {
			m = l
		}
		if r < n && s.due[r].ext.start < s.due[m].ext.start {
			m = r
		}
		if m == i {
			return
		}
		s.swap(i, m)
		i = m
	}
}

// appendKey encodes group-by values so that distinct lists never collide.
func appendKey(dst []byte, values []string) []byte {
	for _, v := range values {
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

// decodeKey is the inverse of appendKey; ok is false for a malformed key.
func decodeKey(key string) (values []string, ok bool) {
	values = []string{}
	for len(key) > 0 {
		n, w := binary.Uvarint([]byte(key[:min(len(key), binary.MaxVarintLen64)]))
		if w <= 0 || n > uint64(len(key)-w) {
			return nil, false
		}
		values = append(values, key[w:w+int(n)])
		key = key[w+int(n):]
	}
	return values, true
}
