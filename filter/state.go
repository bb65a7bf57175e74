package filter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
)

// This file keeps correlation state across reloads and restarts: a new
// filter adopts the state of the one it replaces, and with state_file set
// a Live saves the state every state_checkpoint and at Close, and restores
// it when it starts.

// AdoptState takes over the correlation state of old, the filter this one
// replaces (a refresh, or a hot reload of the same instance): the state of
// each correlation whose id and definition are unchanged. old must not
// process records afterwards; records it still filters between the adopt
// and the swap update state that is then gone. A filter that saved its
// state to another state_file is not this one's predecessor (instances
// without an alias are told apart by position, which a reload that
// removes one shifts): its state stays in its own file.
// It reports whether it did: then f's correlation counters go on from
// old's.
func (f *Filter) AdoptState(old *Filter) bool {
	if f.corr == nil || old == nil || old.corr == nil || old == f || old.corr.stateFile != f.corr.stateFile {
		return false
	}
	f.corr.engine.Adopt(old.corr.engine)
	f.corr.lastTime.Store(old.corr.lastTime.Load())
	// Records too far in the future count as late (CorrelationCounters),
	// a total the metrics push only when it grows.
	f.corr.future.Add(old.corr.future.Load())
	return true
}

// Flush decides every window still open, as if event time had passed them
// all, and appends their alerts to dst as records of their own. sigma-check
// calls it at the end of its input; a running filter never does (its open
// windows are saved with the state and decided after a restart).
func (f *Filter) Flush(dst []byte) []byte {
	if f.corr == nil {
		return dst
	}
	s := f.scratch.Get().(*scratch)
	defer f.scratch.Put(s)
	ck := clock{last: f.corr.lastTime.Load(), newest: 1<<63 - 1}
	for _, a := range f.decideWindows(&ck, s.closed[:0]) {
		dst = f.appendAlertRecord(dst, a.End, a, s)
	}
	return dst
}

// CorrelationCounters returns the correlation engine's counters (late,
// evicted, suppressed events and live groups); zero without correlations.
// A Live's (Live.CorrelationCounters) also keep what the filters it
// replaced counted.
func (f *Filter) CorrelationCounters() correlate.Counters {
	if f.corr == nil {
		return correlate.Counters{}
	}
	c := f.corr.engine.Counters()
	c.Late += f.corr.future.Load()
	return c
}

// UntimedRecords counts the records matching a correlation's rule that
// correlations could not count for want of any event time (sigma-check's
// JSON events without a time field, before any with one); zero without
// correlations.
func (f *Filter) UntimedRecords() uint64 {
	if f.corr == nil {
		return 0
	}
	return f.corr.untimed.Load()
}

// ErrCheckpoint marks a failed checkpoint of the state file, reported to
// a Live's notify (with a nil filter); the next checkpoint tries again.
var ErrCheckpoint = errors.New("filter: correlation state checkpoint failed")

// stateKeeper saves a Live's correlation state to the state file.
type stateKeeper struct {
	path   string
	unlock func()
	loaded correlate.LoadReport
	// loadErr is why the file could not be restored (damaged or
	// truncated): reported, never fatal, and the state starts empty.
	loadErr error
	mu      sync.Mutex // serialises saves
	stop    chan struct{}
	done    chan struct{}
}

// openState locks cfg.StateFile and restores f's state from it. A path
// that exists and is not a regular file, that another instance holds, that
// cannot be read, or that holds something other than a state file this
// build reads (another file, or a newer version's state) is an error: the
// checkpoints would write over it. A damaged state file is reported in
// loadErr, and the state starts empty.
func openState(cfg Config, f *Filter) (*stateKeeper, error) {
	if info, err := os.Stat(cfg.StateFile); err == nil && !info.Mode().IsRegular() {
		return nil, fmt.Errorf("filter: state_file %s: not a regular file (%s)", cfg.StateFile, info.Mode().Type())
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("filter: state_file: %w", err)
	}
	unlock, err := correlate.LockFile(cfg.StateFile)
	if err != nil {
		return nil, fmt.Errorf("filter: state_file: %w", err)
	}
	removeStaleTemps(cfg.StateFile)
	k := &stateKeeper{path: cfg.StateFile, unlock: unlock}
	if f.corr != nil {
		k.loaded, k.loadErr = f.corr.engine.Load(cfg.StateFile)
		if k.loadErr != nil && !errors.Is(k.loadErr, correlate.ErrCorruptState) {
			unlock()
			return nil, fmt.Errorf("filter: state_file: %w; refusing to write over it: move it away or choose another path", k.loadErr)
		}
		if f.corr.live {
			// What a record may not be now (more than MaxFuture ahead)
			// is not restored either: saved while the clock ran ahead,
			// it would make records late until the clock caught up.
			k.loaded.FutureGroups = f.corr.engine.DropAfter(time.Now().Add(MaxFuture).UnixNano())
			k.loaded.Groups -= k.loaded.FutureGroups
		}
	}
	return k, nil
}

// removeStaleTemps removes the temporary files a save that crashed
// before its rename left beside path (correlate.Engine.Save names them
// <state_file>.tmp-*). Called holding the lock, so no save is running.
func removeStaleTemps(path string) {
	stale, _ := filepath.Glob(globEscape(path) + ".tmp-*")
	for _, name := range stale {
		if info, err := os.Lstat(name); err == nil && info.Mode().IsRegular() {
			os.Remove(name)
		}
	}
}

// globEscape quotes the glob metacharacters of a literal path.
func globEscape(path string) string {
	var b strings.Builder
	for _, r := range path {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// save writes f's state, when it has correlations.
func (k *stateKeeper) save(f *Filter) error {
	if f.corr == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return f.corr.engine.Save(k.path)
}

// checkpoint saves the current filter's state every interval until stop;
// errors go to notify.
func (k *stateKeeper) checkpoint(l *Live, every time.Duration) {
	if every <= 0 {
		return // saved at close only (ParseConfig refuses 0)
	}
	k.stop, k.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(k.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-k.stop:
				return
			case <-t.C:
				_, err := fenced(func() (struct{}, error) { return struct{}{}, k.save(l.Filter()) })
				if err != nil && l.notify != nil {
					l.notify(fmt.Errorf("%w: %w", ErrCheckpoint, err), nil)
				}
			}
		}
	}()
}

// close stops the checkpoints, saves a last time and releases the lock.
func (k *stateKeeper) close(f *Filter) error {
	if k.stop != nil {
		close(k.stop)
		<-k.done
		k.stop = nil
	}
	defer k.unlock() // even if the save panics: a reload's new instance takes the lock next
	return k.save(f)
}

// StateLoad reports what was restored from the state file at start, and
// why it could not be, if so; ok is false without a state file.
func (l *Live) StateLoad() (report correlate.LoadReport, loadErr error, ok bool) {
	if l.state == nil {
		return correlate.LoadReport{}, nil, false
	}
	return l.state.loaded, l.state.loadErr, true
}

// CorrelationCounters returns the correlation counters of every filter
// this Live has run: those a refresh did not carry over (a set without
// correlations between two with) are kept, so that the totals, which the
// metrics push only when they grow, never go back. Groups is the current
// filter's.
func (l *Live) CorrelationCounters() correlate.Counters {
	l.mu.Lock()
	defer l.mu.Unlock()
	return addCorrelationCounts(l.Filter().CorrelationCounters(), l.retiredCorr)
}

// retireCorrelations keeps the correlation counters of old, which the
// filter replacing it did not adopt. Called under l.mu.
func (l *Live) retireCorrelations(old *Filter) {
	l.retiredCorr = addCorrelationCounts(l.retiredCorr, old.CorrelationCounters())
}

// addCorrelationCounts returns c with d's totals added (Groups, a gauge,
// is c's).
func addCorrelationCounts(c, d correlate.Counters) correlate.Counters {
	c.Late += d.Late
	c.Evicted += d.Evicted
	c.Fired += d.Fired
	c.Suppressed += d.Suppressed
	return c
}
