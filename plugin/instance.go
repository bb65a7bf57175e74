package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
)

// logSink is where an instance logs: Fluent Bit's log in the plugin, a
// recorder in tests.
type logSink interface {
	errorf(format string, args ...any)
	warnf(format string, args ...any)
	infof(format string, args ...any)
}

// instance is one configured [FILTER] sigma. It crosses the C boundary as
// a cgo.Handle and is safe for concurrent use.
type instance struct {
	log       logSink
	id        string       // the filter's identity across reloads (lastGood)
	live      *filter.Live // the current filter, refreshed in the background
	bufs      sync.Pool    // *output
	malformed limiter      // warnings about malformed chunks
	panics    limiter      // recovered panics and allocation failures

	recovered atomic.Uint64 // panics recovered at the C boundary

	// Prometheus metrics (metrics.go); nil when Fluent Bit's metrics API
	// is out of reach. fallback is set while the instance runs on the last
	// good rules; loadedAt is when the rules it runs were loaded.
	metrics  *metrics
	fallback atomic.Bool
	loadedAt atomic.Int64 // unix nanoseconds

	// Counters are logged every statsEvery (0: only at exit), from the
	// filter callback, on Fluent Bit's thread, when it is due.
	statsEvery time.Duration
	nextStats  atomic.Int64 // unix nanoseconds

	// Messages from the refresh goroutine wait here until the next filter
	// call (or exit) logs them on Fluent Bit's thread.
	notesMu sync.Mutex
	notes   []note
	pending atomic.Bool
}

type note struct {
	warn bool
	msg  string
}

// maxNotes bounds the queued refresh messages; older ones are dropped.
const maxNotes = 16

// newInstance parses the properties, loads the rules and logs what it
// loaded. name is the instance's name in Fluent Bit (its alias, or
// sigma.<id>). An error fails the init, and Fluent Bit stops with the
// message; but when only the rules fail to load and an earlier instance of
// the same filter ran (a hot reload), the instance runs on that instance's
// rules and says so at error level.
func newInstance(log logSink, name string, get func(string) (string, bool)) (*instance, error) {
	cfg, err := filter.ParseConfig(get)
	if err != nil {
		return nil, err
	}
	for _, p := range filter.Properties {
		if _, set := get(p.Name); set && p.AliasOf != "" {
			log.warnf("%s is deprecated: use %s", p.Name, p.AliasOf)
		}
	}
	start := time.Now()
	inst := &instance{
		log:        log,
		id:         remembered.enter(name),
		malformed:  limiter{every: 10 * time.Second},
		panics:     limiter{every: 10 * time.Second},
		statsEvery: cfg.StatsInterval,
	}
	started := false
	defer func() { // on an error, and on a panic initFenced recovers
		if !started {
			remembered.failed()
			if inst.live != nil {
				inst.live.Close()
			}
		}
	}()
	inst.nextStats.Store(time.Now().Add(cfg.StatsInterval).UnixNano())
	source, err := inst.load(cfg)
	if err != nil {
		return nil, err
	}
	inst.noteLoad(!inst.fallback.Load())
	remembered.started(inst.id)
	inst.logLoad(cfg, source, time.Since(start))
	inst.logState(cfg)
	started = true
	return inst, nil
}

// load loads cfg's rules into inst.live, or, when they fail and this filter
// ran before the reload, falls back on the rules it ran. It returns where
// the rules came from, for the summary.
func (i *instance) load(cfg filter.Config) (source string, err error) {
	// After a hot reload, the filter this instance ran before: its rules
	// stand in if the new ones fail, and its correlation state carries over.
	last, ok := remembered.last(i.id)
	i.live, err = filter.NewLiveAfter(cfg, last, i.refreshed)
	if err == nil {
		return filter.RuleSource(cfg), nil
	}
	if !ok {
		return "", err
	}
	live, stateErr := filter.NewLiveOn(cfg, last, err, i.refreshed)
	if stateErr != nil {
		return "", stateErr
	}
	i.live = live
	i.fallback.Store(true)
	i.log.errorf("%v; running on the rules this filter ran before the reload (%d rule(s)) until the new ones load",
		err, len(last.Rules().Rules()))
	return "before the reload (the last good rule set)", nil
}

// logLoad logs the load summary: what loaded, what was skipped and why.
func (i *instance) logLoad(cfg filter.Config, source string, took time.Duration) {
	f := i.live.Filter()
	report := f.Report()
	for _, s := range report.Skipped {
		i.log.warnf("rule skipped: %v", s)
	}
	st := f.Rules().Stats()
	i.log.infof("%d rule(s) loaded from %s (%d file(s), %d skipped, %d left out by selection, %d without a mapped logsource) in %s; "+
		"index: %d logsource group(s), %d rule(s) prefiltered on %d literal(s), %.1f MiB; format=%s add_key=%s match_only=%t refresh_interval=%s workers=%d; "+
		"rule set %s; fluent-bit-sigma %s for %s",
		report.Loaded, source, report.Files, len(report.Skipped), report.Filtered, report.Unmapped,
		took.Round(time.Millisecond), st.Groups, st.Prefiltered, st.Literals, float64(st.IndexBytes)/(1<<20),
		cfg.Format, cfg.AddKey, cfg.MatchOnly, cfg.RefreshInterval, f.Workers(), report.Digest, release, configMapLayout())
	if report.Filters > 0 {
		i.log.infof("%d Sigma filter(s) loaded, applied to %d rule(s)", report.Filters, report.FilteredRules)
	}
	for _, u := range report.UnusedFilters {
		i.log.warnf("%v", u)
	}
	if len(cfg.RulePaths) > 0 && !i.fallback.Load() {
		i.log.infof("rule files: %s", report.Walk)
	}
	if reasons := report.Reasons(); len(reasons) > 0 {
		var b strings.Builder
		for n, r := range reasons {
			if n > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%d: %s", r.Count, r.Text)
		}
		i.log.infof("skipped rules by reason: %s", b.String())
	}
}

// logState logs what the correlations are and what was restored from the
// state file.
func (i *instance) logState(cfg filter.Config) {
	f := i.live.Filter()
	if n := len(f.Rules().Correlations()); n > 0 {
		i.log.infof("%d correlation(s) loaded; time_key=%q correlation_max_groups=%d correlation_suppress=%s correlation_record=%t",
			n, cfg.TimeKey, cfg.CorrelationMaxGroups, cfg.CorrelationSuppress, cfg.CorrelationRecord)
	}
	report, loadErr, ok := i.live.StateLoad()
	switch {
	case !ok:
	case loadErr != nil:
		i.log.errorf("state_file %s could not be restored, starting with empty correlation state: %v", cfg.StateFile, loadErr)
	default:
		i.log.infof("state_file %s: restored %d group(s) of %d correlation(s); %d correlation(s) in the file are no longer loaded or changed",
			cfg.StateFile, report.Groups, report.Specs, report.DroppedSpecs)
		if report.FutureGroups > 0 {
			i.log.warnf("state_file %s: %d group(s) not restored: their newest event is more than %s ahead of the clock (saved while it ran ahead?)",
				cfg.StateFile, report.FutureGroups, filter.MaxFuture)
		}
	}
}

// refreshed hears from the refresh goroutine; the message is logged on
// Fluent Bit's thread by the next filter call.
func (i *instance) refreshed(err error, f *filter.Filter) {
	if errors.Is(err, filter.ErrCheckpoint) {
		i.queueNote(note{warn: true, msg: err.Error()})
		return
	}
	// A skipped rule is a warning here as at the first load.
	n := note{warn: err != nil || len(f.Report().Skipped)+len(f.Report().UnusedFilters) > 0}
	if err == nil {
		i.noteLoad(true)
		i.fallback.Store(false)
	}
	if err != nil {
		n.msg = fmt.Sprintf("rules not refreshed: %v", err)
	} else {
		r := f.Report()
		n.msg = fmt.Sprintf("rules refreshed: %d rule(s) loaded (%d file(s), %d skipped)", r.Loaded, r.Files, len(r.Skipped))
		if r.Filters > 0 {
			n.msg += fmt.Sprintf("; %d Sigma filter(s) applied to %d rule(s)", r.Filters, r.FilteredRules)
		}
		for _, u := range r.UnusedFilters {
			n.msg += fmt.Sprintf("; %v", u)
		}
		for _, s := range r.Skipped {
			n.msg += fmt.Sprintf("; skipped: %v", s)
		}
	}
	i.queueNote(n)
}

// queueNote keeps n for the next filter call to log.
func (i *instance) queueNote(n note) {
	i.notesMu.Lock()
	if len(i.notes) == maxNotes {
		i.notes = i.notes[1:]
	}
	i.notes = append(i.notes, n)
	i.notesMu.Unlock()
	i.pending.Store(true)
}

// housekeeping logs queued refresh messages and, when due, the counters,
// and pushes the metrics. It runs after each filter call and costs a few
// atomic loads and a clock read otherwise.
func (i *instance) housekeeping() {
	if i.pending.Load() {
		i.notesMu.Lock()
		notes := i.notes
		i.notes = nil
		i.pending.Store(false)
		i.notesMu.Unlock()
		for _, n := range notes {
			if n.warn {
				i.log.warnf("%s", n.msg)
			} else {
				i.log.infof("%s", n.msg)
			}
		}
	}
	if i.statsEvery > 0 {
		next := i.nextStats.Load()
		if now := time.Now(); now.UnixNano() >= next &&
			i.nextStats.CompareAndSwap(next, now.Add(i.statsEvery).UnixNano()) {
			i.logCounters("counters")
		}
	}
	if i.metrics != nil {
		i.metrics.maybePush(i)
	}
}

// logCounters logs what the instance has seen, with the five rules that
// matched most.
func (i *instance) logCounters(what string) {
	c := i.live.Counters()
	var top strings.Builder
	for n, r := range c.Rules {
		if n == 5 {
			fmt.Fprintf(&top, ", ... %d more", len(c.Rules)-5)
			break
		}
		if n > 0 {
			top.WriteString(", ")
		}
		fmt.Fprintf(&top, "%q %s: %d", r.Title, r.ID, r.Count)
	}
	if top.Len() == 0 {
		top.WriteString("none")
	}
	i.log.infof("%s: records=%d matched=%d dropped=%d malformed_chunks=%d recovered_panics=%d; rules matched: %s",
		what, c.Records, c.Matched, c.Dropped, c.Malformed, i.recovered.Load(), top.String())
}

// close stops the refresh goroutine and logs the last messages and the
// counters.
func (i *instance) close() {
	// Even if closing panics (exit's fence recovers it), the instance is
	// no longer live, or positions would drift at every later reload. The
	// filter is read after Close, which waits for a refresh under way.
	defer func() { remembered.exited(i.id, i.live.Filter()) }()
	if err := i.live.Close(); err != nil {
		i.log.errorf("correlation state not saved: %v", err)
	}
	i.pending.Store(true)
	i.housekeeping()
	if i.metrics != nil {
		i.metrics.close(i)
	}
	i.logCounters("exit summary")
}

// output is a pooled buffer holding a filtered chunk.
type output struct {
	buf []byte
}

// process runs the filter on chunk. When changed, out.buf holds the new
// chunk until release(out).
func (i *instance) process(chunk []byte) (out *output, changed bool) {
	out, _ = i.bufs.Get().(*output)
	if out == nil {
		out = new(output)
	}
	defer i.housekeeping()
	buf, changed, err := i.live.Filter().Process(out.buf[:0], chunk)
	out.buf = buf
	if err != nil {
		i.malformed.report(i.log.warnf, "%v; the rest of the chunk (%d bytes) passed through unchanged", err, len(chunk)-offsetOf(err))
	}
	if !changed {
		i.bufs.Put(out)
		return nil, false
	}
	return out, true
}

// release returns out to the pool.
func (i *instance) release(out *output) {
	i.bufs.Put(out)
}

func offsetOf(err error) int {
	var me *filter.MalformedError
	if errors.As(err, &me) {
		return me.Offset
	}
	return 0
}

// limiter lets one warning of a kind through per interval and counts the
// rest, so a stream of bad chunks cannot flood Fluent Bit's log.
type limiter struct {
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (l *limiter) report(logf func(format string, args ...any), format string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if suppressed > 0 {
		msg += fmt.Sprintf(" (%d similar message(s) suppressed)", suppressed)
	}
	logf("%s", msg)
}
