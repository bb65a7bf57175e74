// Package filter applies a compiled Sigma rule set to Fluent Bit chunks:
// msgpack bytes in, and either "unchanged" or a new chunk out. It knows the
// chunk format (both event shapes, timestamps, group markers) and record
// shapes, and knows nothing of cgo or the Fluent Bit ABI.
package filter

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// ErrStrict is returned by New when strict is set and a rule was skipped.
var ErrStrict = errors.New("strict")

// Filter evaluates a rule set over chunks. It is immutable after New and
// safe for concurrent use: Fluent Bit may run one instance as a processor
// on several threads at once.
type Filter struct {
	set       *rules.Set
	report    rules.Report
	index     fieldIndex
	addKey    string
	tagKey    string
	format    Format
	matchOnly bool
	batchKeys [][]byte              // batch_key: records split into their events (batch.go)
	fieldMap  map[string][][]string // as loaded, for a successor that falls back on it
	outputs   []ruleOutput          // per meta: what it writes into a record
	shard     *sharding             // shard_key: written into every record; nil when off
	scratch   sync.Pool
	counts    counters
	// workers: how many goroutines filter a chunk, in blocks of about
	// blockBytes (parallel.go).
	workers         int
	blockBytes      int
	inline          bool // all blocks on the calling goroutine: for FuzzParallel
	parallelScratch sync.Pool

	// metas are the rules, then the correlations: what matched indexes
	// once correlations are in (ruleCount is where they start).
	metas     []rules.Rule
	ruleCount int
	corr      *correlator // nil without correlations
}

// scratch is the per-call working state of Process.
type scratch struct {
	rec     *record
	lateRec *record // the fields only correlations read (see lateFields)
	matched []int
	// enrichment
	vals     []byte
	adds     []addition
	lastPair []int
	pairs    []pairSpan
	// correlations
	corr    correlationScratch
	visible []int             // what a record shows: matched less silent rules, plus alerts
	shown   []correlate.Alert // the alerts written into the record
	closed  []correlate.Alert // alerts decided at a window's close: records of their own
	// batches (batch.go): a batch record's other pairs, the split's
	// scratch, and its records
	batchPairs []pairSpan
	splitter   splitter
	split      []byte
}

// New loads the rules cfg names (or the embedded default) and prepares the
// filter. All parsing and compiling happens here, never in Process.
func New(cfg Config) (*Filter, error) {
	var (
		set    *rules.Set
		report rules.Report
		err    error
	)
	if cfg.PlaceholdersFile != "" {
		if cfg.Rules.Placeholders, err = rules.LoadPlaceholders(cfg.PlaceholdersFile); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
	}
	if cfg.FieldMapFile != "" {
		if cfg.FieldMap, err = LoadFieldMap(cfg.FieldMapFile); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
	}
	if len(cfg.RulePaths) == 0 {
		set, report, err = rules.Default(cfg.Rules)
	} else {
		set, report, err = rules.Load(cfg.RulePaths, cfg.Rules)
	}
	if err != nil {
		return nil, fmt.Errorf("filter: %w", noRules(err, cfg, report))
	}
	if err := checkShard(cfg); err != nil {
		return nil, err
	}
	if cfg.Strict && len(report.Skipped) > 0 {
		return nil, fmt.Errorf("filter: %w: %d rule(s) could not be loaded, the first: %v", ErrStrict, len(report.Skipped), report.Skipped[0])
	}
	return NewWithRules(cfg, set, report), nil
}

// NewWithRules builds a filter over an already compiled set; report is kept
// for Report. cfg's shard settings must be valid (New checks them).
func NewWithRules(cfg Config, set *rules.Set, report rules.Report) *Filter {
	if cfg.AddKey == "" {
		cfg.AddKey = DefaultAddKey
	}
	fields, shard := shardFields(cfg, splitFields(set, true))
	f := &Filter{
		set:    set,
		report: report,
		shard:  shard,
		index: newFieldIndex(fields, indexOptions{textKeys: cfg.TextKeys, fieldMap: cfg.FieldMap,
			logsource: cfg.Logsource, otherProducts: otherProducts(set), extra: timeFields(cfg, set),
			azureFields: azureFields(set), batchKeys: cfg.BatchKeys}),
		addKey:     cfg.AddKey,
		tagKey:     cfg.TagKey,
		format:     cfg.Format,
		matchOnly:  cfg.MatchOnly,
		fieldMap:   cfg.FieldMap,
		workers:    min(cfg.Workers, runtime.GOMAXPROCS(0)),
		blockBytes: defaultBlockBytes,
	}
	f.parallelScratch.New = func() any { return new(parallelScratch) }
	for _, k := range cfg.BatchKeys {
		f.batchKeys = append(f.batchKeys, []byte(k))
	}
	f.ruleCount = len(set.Rules())
	f.metas = slices.Clip(set.Rules())
	for _, c := range set.Correlations() {
		f.metas = append(f.metas, c.Rule)
	}
	for _, r := range f.metas {
		f.outputs = append(f.outputs, newRuleOutput(r))
	}
	f.counts.rules = make([]atomic.Uint64, len(f.metas))
	if len(set.Correlations()) > 0 {
		f.corr = &correlator{set: set, engine: correlate.New(specsOf(set, cfg)), timeSlots: f.index.extra,
			live: !cfg.Offline, record: cfg.CorrelationRecord, split: set.RuleFields(), stateFile: cfg.StateFile}
		if f.corr.split < len(set.Fields()) {
			late := splitFields(set, false)
			// Which of them Azure's correlations read is not worth telling
			// apart: the export paths only fill an Azure record's.
			f.corr.late = newFieldIndex(late, indexOptions{textKeys: cfg.TextKeys, fieldMap: cfg.FieldMap,
				logsource: cfg.Logsource, otherProducts: otherProducts(set), azureFields: late})
		}
	}
	slots := f.index.slots
	lateSlots := 0
	if f.corr != nil {
		lateSlots = f.corr.late.slots
	}
	f.scratch.New = func() any {
		return &scratch{rec: newRecord(slots), lateRec: newRecord(lateSlots), matched: make([]int, 0, 8)}
	}
	return f
}

// evaluate matches a record event against the rules, counts the matches
// and feeds the correlations, and returns what the record shows; nothing
// for other events. first is what the workers' first pass noted of the
// event (parallel.go), when it did: the rules it matched are not run
// again.
func (f *Filter) evaluate(s *scratch, chunk []byte, ev event, ck *clock, first *firstPass) []int {
	s.matched, s.shown = s.matched[:0], s.shown[:0]
	if ev.kind != recordEvent {
		return nil
	}
	if first.known {
		s.matched = append(s.matched, first.matches...)
	} else {
		s.matched = f.set.Match(s.rec, s.matched)
	}
	for _, i := range s.matched {
		f.counts.rules[i].Add(1)
	}
	if f.corr == nil {
		return s.matched
	}
	return f.correlate(s, chunk, ev, ck, first)
}

// appendBatch appends the records batch record ev splits into, filtered
// as records of the chunk: correlations go on from the event time they
// reach.
func (f *Filter) appendBatch(out []byte, s *scratch, chunk []byte, ev event, bt batch, ck *clock) []byte {
	s.batchPairs = bt.others
	if cap(s.batchPairs) > maxKeptPairs {
		s.batchPairs = nil
	}
	s.split = s.splitter.appendSplit(s.split[:0], chunk, ev, bt)
	filtered, changed, _ := f.process(out, s.split, false, nil) // well-formed: no error
	if !changed {
		filtered = append(out, s.split...)
	}
	if f.corr != nil {
		ck.last = f.corr.lastTime.Load()
	}
	if cap(s.split) > maxSplit {
		s.split = nil
	}
	return filtered
}

// Rules returns the compiled rule set.
func (f *Filter) Rules() *rules.Set { return f.set }

// Report returns what loading the rules reported (skipped rules and why).
func (f *Filter) Report() rules.Report { return f.report }

// Process filters one chunk. When no record matches (and match_only drops
// nothing, and shard_key, which rewrites every record, is unset) it returns
// changed=false and out is dst unchanged: the caller passes the chunk on
// as it is. Otherwise it appends the new chunk to dst and returns it with
// changed=true.
//
// Records are never lost or reordered: events that are not records, or
// whose body is not a map, pass through byte for byte, as do records that
// do not match (a batch that batch_key splits passes as its records, see
// batch.go). If the chunk is malformed at some offset, everything from
// there on passes through unchanged and err is a *MalformedError; out and
// changed are valid all the same. With match_only, records that match no
// rule are dropped; group markers and unparsable bytes are still kept.
//
// chunk is only read, and not retained after Process returns.
func (f *Filter) Process(dst, chunk []byte) (out []byte, changed bool, err error) {
	split := len(f.batchKeys) > 0
	if f.parallel(chunk) {
		return f.processParallel(dst, chunk, split)
	}
	return f.process(dst, chunk, split, nil)
}

// Split appends to dst the records that event, a chunk of one event,
// splits into under batch_key, and reports whether it is such a batch.
// ProcessSplit filters them as Process would have: sigma-check checks a
// batch's events one by one so.
func (f *Filter) Split(dst, event []byte) ([]byte, bool) {
	ev, err := parseEvent(event, 0)
	if err != nil || ev.kind != recordEvent || len(f.batchKeys) == 0 {
		return dst, false
	}
	if ev.end, err = msgpack.Skip(event, ev.body); err != nil {
		return dst, false
	}
	bt, ok := findBatch(f.batchKeys, event, ev.body, nil)
	if !ok || !bt.fits(ev) {
		return dst, false
	}
	var sp splitter
	return sp.appendSplit(dst, event, ev, bt), true
}

// ProcessSplit is Process for records Split made: they are not split
// again.
func (f *Filter) ProcessSplit(dst, chunk []byte) (out []byte, changed bool, err error) {
	return f.process(dst, chunk, false, nil)
}

// maxSplit is the largest split buffer a scratch keeps between chunks.
const maxSplit = 1 << 20

// process is Process; split says whether batch records are split (not in
// the records a split made: an element holding a batch of its own stays
// whole). pre, when not nil, holds what the workers' first pass noted of
// each event (parallel.go): the rules each record matched are not run
// again, and a record that matched nothing is not loaded again. (The
// loop reads events inline: a function for it cost the one-goroutine
// path 1.5 to 2%.)
func (f *Filter) process(dst, chunk []byte, split bool, pre *matchedBefore) (out []byte, changed bool, err error) {
	s := f.scratch.Get().(*scratch)
	defer f.scratch.Put(s)

	var records, matchedRecords, dropped uint64
	clock := f.startClock()
	copied := 0 // chunk[:copied] is accounted for in out
	out = dst
	// emit starts or continues the new chunk: the events since the last
	// rewritten one are copied as they are.
	emit := func(upTo int) {
		changed = true
		out = append(out, chunk[copied:upTo]...)
	}
	for off := 0; off < len(chunk); {
		ev, perr := parseEvent(chunk, off)
		var first firstPass
		if perr == nil && pre != nil {
			first = pre.take(ev.start)
		}
		if perr == nil && ev.kind == recordEvent {
			if first.unread = first.loadless(f); first.unread {
				ev.end = first.end
			} else {
				ev.end, perr = s.rec.load(&f.index, chunk, ev.body)
			}
		}
		if perr != nil {
			err = &MalformedError{Offset: off, Err: perr}
			f.counts.malformed.Add(1)
			break
		}
		off = ev.end
		if pre != nil && !first.known && ev.kind == recordEvent {
			f.counts.unnoted.Add(1)
		}
		if ev.kind == groupMarker {
			continue
		}
		if split && ev.kind == recordEvent && !first.unread && s.rec.Present(f.index.batch) {
			if bt, ok := findBatch(f.batchKeys, chunk, ev.body, s.batchPairs); ok && bt.fits(ev) {
				emit(ev.start)
				out = f.appendBatch(out, s, chunk, ev, bt, &clock)
				copied = ev.end
				continue
			}
		}
		if ev.kind == recordEvent {
			records++
		}
		visible := f.evaluate(s, chunk, ev, &clock, &first)
		switch {
		case len(visible) > 0:
			matchedRecords++
			emit(ev.start)
			out = f.appendEnriched(out, chunk, ev, visible, s)
			copied = ev.end
		case f.matchOnly:
			dropped++
			emit(ev.start)
			copied = ev.end
		case f.shard != nil && ev.kind == recordEvent:
			emit(ev.start)
			out = f.appendEnriched(out, chunk, ev, nil, s)
			copied = ev.end
		}
		if f.corr != nil && f.corr.record && len(s.shown) > 0 {
			emit(ev.end)
			copied = ev.end
			out = f.appendAlertRecords(out, s.shown, clock.last, s)
		}
	}
	// Windows that closed come out as records of their own, before a
	// malformed tail (which must stay last).
	if f.corr != nil {
		if s.closed = f.decideWindows(&clock, s.closed); len(s.closed) > 0 {
			end := len(chunk)
			var me *MalformedError
			if errors.As(err, &me) {
				end = me.Offset
			}
			emit(end)
			copied = end
			out = f.appendAlertRecords(out, s.closed, 0, s)
			s.closed = s.closed[:0]
		}
	}
	f.counts.records.Add(records)
	f.counts.matched.Add(matchedRecords)
	f.counts.dropped.Add(dropped)
	if changed {
		out = append(out, chunk[copied:]...)
	}
	s.rec.chunk, s.lateRec.chunk = nil, nil
	return out, changed, err
}
