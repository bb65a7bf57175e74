package filter

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// This file spreads one chunk over several goroutines (the workers
// property). Fluent Bit calls a filter on one thread per input and waits
// for it; with the whole SigmaHQ set the filter is most of that thread's
// work, so a chunk's records are cut into runs (blocks) that goroutines
// take in turn. Without correlations each block is filtered as a chunk of
// its own and the results are joined in order: records are evaluated
// independently of each other. Correlations count records in order, so
// with them the goroutines note each record's matches (and time_key
// time), and one pass in order feeds the correlations and writes the
// records, loading again only those it writes into. Either way the
// output is the one Process gives on one goroutine, byte for byte.

const (
	// defaultBlockBytes is about how much of a chunk one block holds:
	// large enough that taking a block costs nothing beside filtering it
	// (some 25 to 100 records of Windows events), small enough that the
	// blocks of a chunk even out between the workers.
	defaultBlockBytes = 32 << 10
	// minBlockShare: near a chunk's end blocks shrink, down to an eighth
	// of the block size, so that the workers finish together.
	minBlockShare = 8
	// maxBlockOut is the largest block output buffer kept for the next
	// chunk, maxBlockNotes the most notes.
	maxBlockOut   = 1 << 20
	maxBlockNotes = 1 << 12
)

// block is a run of whole events of a chunk and what filtering it gave.
type block struct {
	start, end int
	out        []byte // the block filtered, when changed
	changed    bool
	err        error
	// With correlations: what the first pass noted of each event, and
	// the rules they matched, back to back.
	notes   []note
	matches []int
}

// note is what the workers' first pass found of one event: where it
// starts and ends, where its matches end in its block's matches, and, for
// correlations, its own event time, so that process need not load a
// record that matched nothing.
type note struct {
	start, end int
	hi         int
	slotTime   int64 // from time_key; with hasSlot
	hasSlot    bool
	batch      bool // a record with a batch_key key: process loads it
}

// firstPass is what process knows of an event from the first pass.
type firstPass struct {
	note
	known   bool  // the first pass noted the event
	matches []int // the rules it matched
	unread  bool  // process did not load it (loadless)
}

// loadless reports whether process may pass the record on without
// loading it: the first pass noted it, it matched nothing, and nothing is
// written into every record (shard_key) nor a batch split out of it.
func (p *firstPass) loadless(f *Filter) bool {
	return p.known && len(p.matches) == 0 && !p.batch && f.shard == nil
}

// parallelScratch is the per-call state of processParallel. The workers
// cut the chunk as they go, each taking the next block under mu, so that
// no one walks the whole chunk before the others can start.
type parallelScratch struct {
	mu     sync.Mutex
	blocks []block // never grown while the workers run: they hold pointers into it
	cut    int     // where the next block starts
	wg     sync.WaitGroup
	before matchedBefore // with correlations
	// panicked is the first panic a worker recovered (see spread).
	panicked any
}

// parallel reports whether a chunk is worth cutting into blocks: there
// must be more than one worker and at least two blocks' worth of bytes.
func (f *Filter) parallel(chunk []byte) bool {
	return f.workers > 1 && len(chunk) >= 2*f.blockBytes
}

// Workers returns how many goroutines filter a large chunk: the workers
// property, capped at the CPUs Go may use (GOMAXPROCS).
func (f *Filter) Workers() int { return max(f.workers, 1) }

// processParallel is process for a chunk parallel accepts. Without
// correlations the workers filter the blocks and the results are joined;
// with them the workers only find which rules each record matches (the
// rules' work), and process then runs through the chunk in order on the
// calling goroutine, feeding the correlations and writing the records,
// from those matches.
func (f *Filter) processParallel(dst, chunk []byte, split bool) (out []byte, changed bool, err error) {
	ps := f.parallelScratch.Get().(*parallelScratch)
	defer f.parallelScratch.Put(ps)
	// Every block but the last holds at least the smallest block size,
	// so this many never grow the slice.
	ps.blocks = slices.Grow(ps.blocks[:0], len(chunk)/f.minBlock()+1)
	ps.cut = 0
	if f.corr == nil {
		f.spread(ps, chunk, func() { f.filterBlocks(ps, chunk, split) })
		return joinBlocks(dst, chunk, ps.blocks)
	}
	f.spread(ps, chunk, func() { f.matchBlocks(ps, chunk, split) })
	ps.before = matchedBefore{blocks: ps.blocks}
	out, changed, err = f.process(dst, chunk, split, &ps.before)
	ps.before = matchedBefore{}
	return out, changed, err
}

// spread runs work on the workers, one of them the calling goroutine, and
// waits for them. A panic in any of them stops the others taking blocks
// and is raised again on the calling goroutine once all have stopped,
// where the plugin's C boundary recovers it (a panic on another
// goroutine would end Fluent Bit), and no worker is left reading the
// chunk, which Fluent Bit lends only for the call.
func (f *Filter) spread(ps *parallelScratch, chunk []byte, work func()) {
	helpers := f.workers - 1
	if f.inline {
		helpers = 0
	}
	fenced := func() {
		defer func() {
			if r := recover(); r != nil {
				ps.mu.Lock()
				if ps.panicked == nil {
					ps.panicked = r
				}
				ps.cut = len(chunk) // no more blocks for anyone
				ps.mu.Unlock()
			}
		}()
		work()
	}
	ps.wg.Add(helpers)
	for range helpers {
		go func() {
			defer ps.wg.Done()
			fenced()
		}()
	}
	fenced()
	ps.wg.Wait()
	if r := ps.panicked; r != nil {
		ps.panicked = nil
		panic(r)
	}
}

// filterBlocks takes blocks and filters them until the chunk is cut up.
func (f *Filter) filterBlocks(ps *parallelScratch, chunk []byte, split bool) {
	for b := f.takeBlock(ps, chunk); b != nil; b = f.takeBlock(ps, chunk) {
		b.out, b.changed, b.err = f.process(b.out[:0], chunk[b.start:b.end], split, nil)
	}
}

// matchBlocks takes blocks and notes their events until the chunk is cut
// up.
func (f *Filter) matchBlocks(ps *parallelScratch, chunk []byte, split bool) {
	s := f.scratch.Get().(*scratch)
	defer f.scratch.Put(s)
	for b := f.takeBlock(ps, chunk); b != nil; b = f.takeBlock(ps, chunk) {
		f.noteBlock(s, b, chunk, split)
	}
	s.rec.chunk = nil
}

// noteBlock notes each event of b: the rules it matches (none for events
// that are not records, nor for a batch process will split), loading
// records as process does. An event that does not parse ends it: process
// stops there too.
func (f *Filter) noteBlock(s *scratch, b *block, chunk []byte, split bool) {
	if cap(b.notes) > maxBlockNotes { // a chunk's malformed tail, or tiny events
		b.notes, b.matches = nil, nil
	}
	b.notes, b.matches = b.notes[:0], b.matches[:0]
	for off := b.start; off < b.end; {
		ev, err := parseEvent(chunk, off)
		if err == nil && ev.kind == recordEvent {
			ev.end, err = s.rec.load(&f.index, chunk, ev.body)
		}
		if err != nil {
			return
		}
		off = ev.end
		n := note{start: ev.start, end: ev.end}
		if ev.kind == recordEvent {
			n.slotTime, n.hasSlot = f.corr.slotTime(s.rec)
			n.batch = split && s.rec.Present(f.index.batch)
			if !n.batch || !f.splits(chunk, ev, s) {
				b.matches = f.set.Match(s.rec, b.matches)
			}
		}
		n.hi = len(b.matches)
		b.notes = append(b.notes, n)
	}
}

// splits reports whether process splits record ev, a batch record.
func (f *Filter) splits(chunk []byte, ev event, s *scratch) bool {
	bt, ok := findBatch(f.batchKeys, chunk, ev.body, s.batchPairs)
	if ok && cap(bt.others) <= maxKeptPairs {
		s.batchPairs = bt.others[:0] // kept, as appendBatch keeps it
	}
	return ok && bt.fits(ev)
}

// matchedBefore hands process what the first pass noted, event by event,
// in chunk order.
type matchedBefore struct {
	blocks      []block
	block, next int // the next note: blocks[block].notes[next]
}

// take returns the note of the event starting at start; not known when
// the first pass has none (then process runs the rules itself). Events
// come in order, so notes before start are passed over.
func (m *matchedBefore) take(start int) firstPass {
	for m.block < len(m.blocks) {
		b := &m.blocks[m.block]
		if m.next >= len(b.notes) {
			m.block, m.next = m.block+1, 0
			continue
		}
		n := b.notes[m.next]
		if n.start > start {
			break
		}
		m.next++
		if n.start < start {
			continue
		}
		lo := 0
		if m.next > 1 {
			lo = b.notes[m.next-2].hi
		}
		return firstPass{note: n, known: true, matches: b.matches[lo:n.hi]}
	}
	return firstPass{}
}

// takeBlock cuts the next block off the chunk: the run of whole events up
// to the first boundary at least its size on. An event that does not
// parse ends the cutting: from there on the chunk is the block, which
// process reports malformed at the same offset as it would the whole
// chunk. nil when nothing is left.
func (f *Filter) takeBlock(ps *parallelScratch, chunk []byte) *block {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	start := ps.cut
	if start >= len(chunk) {
		return nil
	}
	size := min(f.blockBytes, max((len(chunk)-start)/(2*f.workers), f.minBlock()))
	if len(ps.blocks) == cap(ps.blocks)-1 { // the last place (processParallel makes enough)
		size = len(chunk)
	}
	off := start
	for off-start < size && off < len(chunk) {
		ev, err := nextEvent(chunk, off)
		if err != nil {
			off = len(chunk)
			break
		}
		off = ev.end
	}
	ps.cut = off
	ps.blocks = appendBlock(ps.blocks, start, off)
	return &ps.blocks[len(ps.blocks)-1]
}

// minBlock is the smallest block size.
func (f *Filter) minBlock() int { return max(f.blockBytes/minBlockShare, 1) }

// appendBlock appends a block for chunk[start:end], keeping the output
// buffer an earlier chunk's block left in that place.
func appendBlock(blocks []block, start, end int) []block {
	blocks = slices.Grow(blocks, 1)
	blocks = blocks[:len(blocks)+1]
	b := &blocks[len(blocks)-1]
	b.start, b.end, b.changed, b.err = start, end, false, nil
	return blocks
}

// joinBlocks appends the filtered chunk to dst: each block as filtered, or
// as it was when unchanged. A malformed block ends the chunk: the rest
// passes through, as process passes a malformed tail.
func joinBlocks(dst, chunk []byte, blocks []block) (out []byte, changed bool, err error) {
	for i := range blocks {
		changed = changed || blocks[i].changed
		if blocks[i].err != nil {
			break
		}
	}
	out = dst
	for i := range blocks {
		b := &blocks[i]
		if changed {
			if b.changed {
				out = append(out, b.out...)
			} else {
				out = append(out, chunk[b.start:b.end]...)
			}
		}
		if cap(b.out) > maxBlockOut {
			b.out = nil
		}
		if b.err != nil {
			err = offsetError(b.err, b.start)
			if changed {
				out = append(out, chunk[b.end:]...)
			}
			break
		}
	}
	return out, changed, err
}

// offsetError moves a block's MalformedError to its offset in the chunk.
func offsetError(err error, start int) error {
	if me, ok := err.(*MalformedError); ok {
		return &MalformedError{Offset: start + me.Offset, Err: me.Err}
	}
	return err
}

// parseWorkers reads the workers property.
func parseWorkers(v string) (int, error) {
	n, ok := parseIntIn(v, 1, math.MaxInt)
	if !ok {
		return 0, fmt.Errorf("%q is not a number of workers (1 or more)", v)
	}
	return n, nil
}
