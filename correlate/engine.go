package correlate

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// Engine evaluates a fixed list of Specs over a stream of Events. Observe,
// Advance, Counters and Save are safe for concurrent use.
type Engine struct {
	specs     []*specState
	watermark atomic.Int64 // newest event time seen by Observe
	late      atomic.Uint64
	evicted   atomic.Uint64
	fired     atomic.Uint64
	suppress  atomic.Uint64
}

// specState is one spec's groups, split into shards by group key hash.
type specState struct {
	p      plan
	index  int
	shards []shard
	mask   uint64
	groups atomic.Int64 // over all shards: MaxGroups is per spec
	sweep  atomic.Uint32
}

const (
	maxShards      = 64
	groupsPerShard = 1024 // fewer groups than this per shard: use fewer shards
	expireBatch    = 32   // groups freed per call at most, to bound one call's latency
)

// New builds an engine for specs. A spec with an unknown Kind or a
// non-positive Window never counts anything.
func New(specs []Spec) *Engine {
	e := &Engine{specs: make([]*specState, len(specs))}
	e.watermark.Store(noTime)
	for i, s := range specs {
		e.specs[i] = newSpecState(newPlan(s), i)
	}
	return e
}

// newSpecState sizes the shards: up to 64, with room for at least 1024 of
// MaxGroups each on average, so evicting a shard's least recently updated
// group stays close to a global LRU, and limits under 2048 use one shard
// (exact LRU).
func newSpecState(p plan, index int) *specState {
	n := 1
	for n < maxShards && n*2*groupsPerShard <= p.MaxGroups {
		n *= 2
	}
	ss := &specState{p: p, index: index, shards: make([]shard, n), mask: uint64(n - 1)}
	for i := range ss.shards {
		ss.shards[i].init(&ss.groups)
	}
	return ss
}

func (ss *specState) shardOf(key []byte) *shard {
	return &ss.shards[hashBytes(key)&ss.mask]
}

// satAdd and satSub keep window arithmetic from wrapping at the extremes.
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}

// raise lifts the watermark to t and returns the new watermark.
func (e *Engine) raise(t int64) int64 {
	for {
		wm := e.watermark.Load()
		if t <= wm {
			return wm
		}
		if e.watermark.CompareAndSwap(wm, t) {
			return t
		}
	}
}

// DropAfter forgets what is later than t: the groups whose newest event is,
// and the watermark down to t if it is above (it only rises otherwise). It
// returns the groups dropped. For a restored state that a clock running
// ahead let run on past what a record may be now: kept, those groups would
// count every record of theirs as late, and the watermark every record,
// until the clock caught up.
func (e *Engine) DropAfter(t int64) int {
	for {
		wm := e.watermark.Load()
		if wm <= t || e.watermark.CompareAndSwap(wm, t) {
			break
		}
	}
	dropped := 0
	for _, ss := range e.specs {
		for i := range ss.shards {
			sh := &ss.shards[i]
			sh.mu.Lock()
			for _, g := range sh.groups {
				if g.newest > t {
					sh.remove(g)
					dropped++
				}
			}
			sh.mu.Unlock()
		}
	}
	return dropped
}

// Watermark is the newest event time Observe has seen (math.MinInt64
// before the first): the natural now for Advance.
func (e *Engine) Watermark() int64 { return e.watermark.Load() }

// Observe counts ev and appends to dst the alerts it causes: its own
// group's (conditions that fire as soon as they hold) and those of windows
// in its shard that the new watermark closed.
func (e *Engine) Observe(ev Event, dst []Alert) []Alert {
	if ev.Spec < 0 || ev.Spec >= len(e.specs) {
		return dst
	}
	ss := e.specs[ev.Spec]
	if !ss.p.counts(&ev) {
		return dst
	}
	wm := e.raise(ev.Time)
	var buf [128]byte
	key := appendKey(buf[:0], ev.Group)
	sh := ss.shardOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	dst = e.decideDue(ss, sh, wm, dst)
	horizon := ss.p.lateBefore(wm)
	e.expire(ss, sh, ss.p.expiry(wm), wm)
	if ev.Time < horizon {
		e.late.Add(1) // its group may already be freed; it could only reopen decided windows
		return dst
	}
	g := sh.groups[string(key)]
	if g == nil {
		g = e.addGroup(ss, sh, string(key))
	} else {
		sh.touch(g)
	}
	return e.count(ss, sh, g, &ev, dst)
}

// addGroup creates a group, making room first.
func (e *Engine) addGroup(ss *specState, sh *shard, key string) *group {
	e.makeRoom(ss, sh)
	g := newGroup(key, &ss.p)
	sh.insert(g)
	return g
}

// count applies one event to its group.
func (e *Engine) count(ss *specState, sh *shard, g *group, ev *Event, dst []Alert) []Alert {
	p := &ss.p
	x := g.ext
	if (g.newest != noTime && ev.Time < satSub(g.newest, p.maxDelay)) || (x != nil && ev.Time <= x.floor) {
		e.late.Add(1)
		return dst
	}
	g.newest = max(g.newest, ev.Time)
	if x != nil {
		x.refs |= refBit(ev.Ref)
	}
	switch {
	case p.perEvent:
		a := g.agg.(*shareAgg)
		a.add(*ev, p, g.newest)
		if v := a.shareOf(hashBytes(ev.Value)); p.holds(v) {
			dst = e.emit(ss, g, v, satSub(g.newest, p.window), g.newest, refBit(ev.Ref), false, dst)
		}
	case p.sliding:
		g.agg.add(*ev, p, g.newest)
		lo, hi := satSub(g.newest, p.window), g.newest
		var v float64
		var mask uint64
		lm, late := g.agg.(lateMeasurer)
		late = late && ev.Time < g.newest
		if late {
			v, lo, hi = lm.containing(p, ev.Time, g.newest)
		} else {
			v, mask = g.agg.measure(p, lo, hi, &sh.scratch)
		}
		if p.holds(v) {
			dst = e.emit(ss, g, v, lo, hi, mask, false, dst)
			if late {
				lm.resetThrough(p, hi) // the events after the window count on
			} else {
				g.agg.reset()
			}
			if x != nil {
				x.refs = 0
			}
		}
	default:
		if x.heapIdx < 0 {
			x.start = ev.Time
			sh.pushDue(g)
		}
		g.agg.add(*ev, p, g.newest)
	}
	return dst
}

// lateMeasurer is an aggregator that measures, for a record that came
// late, the windows that hold it (not only the one ending at the newest
// event, which a record in order completes).
type lateMeasurer interface {
	containing(p *plan, t, newest int64) (v float64, lo, hi int64)
	// resetThrough restarts the count after a window ending at hi fired:
	// the events after it stay.
	resetThrough(p *plan, hi int64)
}

// makeRoom evicts a group when ss holds MaxGroups: the least recently
// updated of sh (locked by the caller), else of the first other shard that
// can be locked without waiting (waiting could deadlock). When none can,
// the spec briefly holds one group more; the next new group evicts again.
func (e *Engine) makeRoom(ss *specState, sh *shard) {
	if ss.groups.Load() < int64(ss.p.MaxGroups) {
		return
	}
	if victim := sh.oldest(); victim != nil {
		sh.remove(victim)
		e.evicted.Add(1)
		return
	}
	for i := range ss.shards {
		o := &ss.shards[i]
		if o == sh || !o.mu.TryLock() {
			continue
		}
		victim := o.oldest()
		if victim != nil {
			o.remove(victim)
			e.evicted.Add(1)
		}
		o.mu.Unlock()
		if victim != nil {
			return
		}
	}
}

func refBit(ref int) uint64 {
	if ref < 0 || ref >= MaxRefs {
		return 0
	}
	return 1 << uint(ref)
}

// emit appends an alert unless Suppress mutes it.
func (e *Engine) emit(ss *specState, g *group, v float64, start, end int64, mask uint64, closed bool, dst []Alert) []Alert {
	x := g.ext
	if mask == 0 {
		mask = 1 // a spec of one rule has no ext
		if x != nil {
			mask = x.refs
		}
	}
	if x != nil && end < x.muted {
		e.suppress.Add(1)
		return dst
	}
	if x != nil && ss.p.suppress > 0 {
		x.muted = satAdd(end, ss.p.suppress)
	}
	e.fired.Add(1)
	values, _ := decodeKey(g.key)
	refs := make([]int, 0, 4)
	for m := mask; m != 0; m &= m - 1 {
		refs = append(refs, bits.TrailingZeros64(m))
	}
	return append(dst, Alert{Spec: ss.index, Group: values, Value: v, Start: start, End: end, Refs: refs, Closed: closed})
}

// decideDue decides every open window of sh whose end is before now.
func (e *Engine) decideDue(ss *specState, sh *shard, now int64, dst []Alert) []Alert {
	for len(sh.due) > 0 && satAdd(sh.due[0].ext.start, ss.p.window) < now {
		g := sh.due[0]
		sh.removeDue(0)
		dst = e.decide(ss, sh, g, dst)
	}
	return dst
}

// decide judges g's window (already out of the heap) and restarts g.
func (e *Engine) decide(ss *specState, sh *shard, g *group, dst []Alert) []Alert {
	x := g.ext
	end := satAdd(x.start, ss.p.window)
	if v, mask := g.agg.measure(&ss.p, math.MinInt64, math.MaxInt64, &sh.scratch); ss.p.holds(v) {
		dst = e.emit(ss, g, v, x.start, end, mask, true, dst)
	}
	x.floor = end
	g.agg.reset()
	x.refs = 0
	return dst
}

// expire frees, from the LRU tail, groups whose newest event is older than
// horizon, that have no open window, no running suppression and no decided
// window ending at or after horizon (an event there is late, which only
// the group remembers: freed, it would open a second window over the
// decided one). A few per call: the cost is spread over the events that
// move time forward.
func (e *Engine) expire(ss *specState, sh *shard, horizon, now int64) {
	for range expireBatch {
		g := sh.oldest()
		if g == nil || g.open() || g.newest >= horizon || (g.ext != nil && (g.ext.muted > now || g.ext.floor >= horizon)) {
			return
		}
		sh.remove(g)
	}
}

// Advance decides the windows whose end is before now (conditions with an
// upper bound) and appends their alerts, all Closed. Shards with nothing
// due cost one atomic load. It also frees expired groups of one shard per
// spec per call, so quiet shards empty out as time advances.
func (e *Engine) Advance(now int64, dst []Alert) []Alert {
	wm := e.watermark.Load()
	for _, ss := range e.specs {
		for i := range ss.shards {
			sh := &ss.shards[i]
			if satAdd(sh.nextDue.Load(), ss.p.window) >= now {
				continue
			}
			sh.mu.Lock()
			dst = e.decideDue(ss, sh, now, dst)
			sh.mu.Unlock()
		}
		sh := &ss.shards[uint64(ss.sweep.Add(1))&ss.mask]
		sh.mu.Lock()
		e.expire(ss, sh, ss.p.expiry(wm), wm)
		sh.mu.Unlock()
	}
	return dst
}

// Counters returns the engine's counters.
func (e *Engine) Counters() Counters {
	c := Counters{Late: e.late.Load(), Evicted: e.evicted.Load(), Fired: e.fired.Load(), Suppressed: e.suppress.Load()}
	for _, ss := range e.specs {
		c.Groups += int(ss.groups.Load())
	}
	return c
}

// Adopt moves into e the state of old's specs whose Key (and so whose
// definition) equals one of e's; specs whose Key changed start empty. The
// watermark and counters carry over too. old must not be used afterwards.
func (e *Engine) Adopt(old *Engine) {
	if old == nil || old == e {
		return
	}
	e.raise(old.watermark.Load())
	e.late.Add(old.late.Load())
	e.evicted.Add(old.evicted.Load())
	e.fired.Add(old.fired.Load())
	e.suppress.Add(old.suppress.Load())
	byKey := make(map[string]*specState, len(old.specs))
	for _, o := range old.specs {
		if _, dup := byKey[o.p.Key]; !dup {
			byKey[o.p.Key] = o
		}
	}
	for _, ss := range e.specs {
		o := byKey[ss.p.Key]
		if o == nil || !ss.p.sameShape(&o.p) {
			continue
		}
		delete(byKey, ss.p.Key) // one old spec's state feeds one new spec
		for i := range o.shards {
			e.takeShard(ss, &o.shards[i])
		}
	}
}

// takeShard moves every group of from into ss, least recent first so the
// recency order survives.
func (e *Engine) takeShard(ss *specState, from *shard) {
	from.mu.Lock()
	defer from.mu.Unlock()
	for g := from.oldest(); g != nil; g = from.oldest() {
		open := g.open()
		from.remove(g)
		if open {
			g.ext.heapIdx = 0 // insert reopens the window in the new heap
		}
		e.place(ss, g, true)
	}
}

// place inserts a group built elsewhere into ss. A group of the same key
// already there is kept (Load), or replaced (Adopt: the state in memory
// is newer than the state file read at start).
func (e *Engine) place(ss *specState, g *group, replace bool) {
	sh := ss.shardOf([]byte(g.key))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if had := sh.groups[g.key]; had != nil {
		if !replace {
			return
		}
		sh.remove(had)
	}
	e.makeRoom(ss, sh)
	g.ensureExt(&ss.p) // Suppress may be on now and not before
	sh.insert(g)
}
