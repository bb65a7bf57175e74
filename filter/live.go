package filter

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// Live holds an instance's current Filter and, with a refresh interval,
// replaces it when the files it was loaded from change: the rule files,
// the filter files, the placeholders and the field map. The new set is loaded beside the
// old one, which keeps filtering until the new one is swapped in
// atomically; a new set that fails to load is not swapped in, and the old
// one stays until the files change again. Safe for concurrent use.
type Live struct {
	cfg    Config
	cur    atomic.Pointer[Filter]
	notify func(err error, loaded *Filter)

	// refreshing serialises Refresh, which compiles (seconds, for a large
	// set) under it; mu guards only what Counters reads, so the counters
	// (read from the filter callback) never wait for a compile.
	refreshing      sync.Mutex
	lastFingerprint string // of the files last loaded (or tried); under refreshing
	mu              sync.Mutex
	retired         Counters           // under mu
	retiredCorr     correlate.Counters // under mu: see CorrelationCounters

	stop chan struct{}
	done chan struct{}

	state *stateKeeper // nil without state_file
}

// NewLive loads the filter cfg describes. With cfg.RefreshInterval set it
// polls the files in the background; notify (which may be nil) hears of
// each reload that happened (loaded) or failed (err), from that goroutine.
// Close stops it.
func NewLive(cfg Config, notify func(err error, loaded *Filter)) (*Live, error) {
	return NewLiveAfter(cfg, nil, notify)
}

// NewLiveAfter is NewLive for the filter that takes over from prev (the
// same instance before a hot reload): the new filter adopts prev's
// correlation state, after reading the state file (the state in memory
// is newer) and before any checkpoint or refresh can run.
func NewLiveAfter(cfg Config, prev *Filter, notify func(err error, loaded *Filter)) (*Live, error) {
	var fp string
	if polls(cfg) { // taken before loading, so a change during the load is seen
		var err error
		if fp, err = fingerprint(cfg); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
	}
	f, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return newLive(cfg, f, fp, notify, prev)
}

// newLive runs f, loaded from cfg's files in the state fp, and with a
// refresh interval polls them. With a state file it restores f's
// correlation state from it and checkpoints it; f then adopts prev's
// state (nil: none).
func newLive(cfg Config, f *Filter, fp string, notify func(err error, loaded *Filter), prev *Filter) (*Live, error) {
	l := &Live{cfg: cfg, notify: notify, lastFingerprint: fp}
	l.cur.Store(f)
	if cfg.StateFile != "" {
		k, err := openState(cfg, f)
		if err != nil {
			return nil, err
		}
		l.state = k
	}
	f.AdoptState(prev)
	if l.state != nil {
		l.state.checkpoint(l, cfg.StateCheckpoint)
	}
	if polls(cfg) {
		l.start()
	}
	return l, nil
}

// polls says whether a Live for cfg polls its files: with a refresh
// interval and files to poll (the embedded default has none).
func polls(cfg Config) bool {
	return cfg.RefreshInterval > 0 && len(cfg.RulePaths)+len(cfg.Rules.FilterPaths)+len(cfg.PlaceholdersFile)+len(cfg.FieldMapFile) > 0
}

// start starts the polling goroutine; Close stops it.
func (l *Live) start() {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go l.poll()
}

// Filter returns the current filter.
func (l *Live) Filter() *Filter { return l.cur.Load() }

func (l *Live) poll() {
	defer close(l.done)
	t := time.NewTicker(l.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			changed, err := l.Refresh()
			if l.notify != nil && (changed || err != nil) {
				l.notify(err, l.Filter())
			}
		}
	}
}

// Refresh reloads the filter if its files changed since the last load, and
// reports whether it swapped in a new one. On error the current filter
// stays; a set whose files changed while it was loaded (an update in
// progress) is an error wrapping safefile.ErrChanged and is loaded again
// at the next call. Without polling (no RefreshInterval) the files were not
// fingerprinted at load, so the first Refresh reloads.
func (l *Live) Refresh() (changed bool, err error) {
	l.refreshing.Lock()
	defer l.refreshing.Unlock()
	fp, err := fingerprint(l.cfg)
	if err != nil {
		// Reported once, as a broken set is: a rules directory gone for
		// an hour must not warn at every poll. The error stands as the
		// fingerprint, so that files back (even unchanged) load again.
		if fp = "error: " + err.Error(); fp == l.lastFingerprint {
			return false, nil
		}
		l.lastFingerprint = fp
		return false, fmt.Errorf("filter: refresh: %w; keeping the rules loaded before", err)
	}
	if fp == l.lastFingerprint {
		return false, nil
	}
	l.lastFingerprint = fp // a broken set is tried once, not on every tick
	f, err := fenced(func() (*Filter, error) { return New(l.cfg) })
	// A set that loaded, or failed to, while its files were being written
	// may hold part of the update: either way it is tried again.
	if changed := unchangedSince(l.cfg, fp); errors.Is(changed, safefile.ErrChanged) || (err == nil && changed != nil) {
		err = changed
	}
	if errors.Is(err, safefile.ErrChanged) {
		l.lastFingerprint = "" // an update in progress: tried again at the next poll
		return false, fmt.Errorf("filter: refresh: %w; keeping the rules loaded before and trying again at the next poll", err)
	}
	if err != nil {
		return false, fmt.Errorf("filter: refresh: %w; keeping the rules loaded before", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	adopted := f.AdoptState(l.cur.Load())
	old := l.cur.Swap(f)
	l.retired = l.retired.add(old.Counters())
	if !adopted {
		l.retireCorrelations(old)
	}
	return true, nil
}

// Close stops the polling and, with a state file, the checkpoints: the
// state is saved a last time and the file's lock released (the error is
// that save's). The current filter stays usable.
func (l *Live) Close() error {
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop = nil
	}
	if l.state != nil {
		err := l.state.close(l.Filter())
		l.state = nil
		return err
	}
	return nil
}

// Counters returns the counts of every filter this Live has run.
func (l *Live) Counters() Counters {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.retired.add(l.Filter().Counters())
}

// fingerprint identifies the current state of the files cfg loads: each
// file's name, size, modification time, mode (a permission fixed is a
// change) and identity (device and inode: a file replaced by one of the
// same size and time is a change), or the error its stat gave. It opens
// no file, so nothing in the rule directories can make it wait, and the
// walk keeps to cfg.Rules' limits.
func fingerprint(cfg Config) (string, error) {
	var files []string
	for _, paths := range [][]string{cfg.RulePaths, cfg.Rules.FilterPaths} {
		walk, err := rules.RuleFiles(paths, cfg.Rules)
		if err != nil {
			return "", err
		}
		files = append(files, walk.Files...)
		for _, s := range walk.Skipped {
			files = append(files, s.File)
		}
	}
	for _, p := range []string{cfg.PlaceholdersFile, cfg.FieldMapFile} {
		if p != "" {
			files = append(files, p)
		}
	}
	h := fnv.New64a()
	for _, name := range files {
		info, err := os.Stat(name)
		if err != nil { // gone, a link loop, no permission: part of the state
			fmt.Fprintf(h, "%s %v\n", name, err)
			continue
		}
		id, _ := safefile.IDOf(info)
		fmt.Fprintf(h, "%s %d %d %v %v\n", name, info.Size(), info.ModTime().UnixNano(), info.Mode(), id)
	}
	return fmt.Sprintf("%d:%x", len(files), h.Sum64()), nil
}

// unchangedSince fails with safefile.ErrChanged when the files are no
// longer in the state fp was taken of: one was written during the
// load, and the new set may hold part of the old files and part of the new.
func unchangedSince(cfg Config, fp string) error {
	now, err := fingerprint(cfg)
	if err != nil {
		return err
	}
	if now != fp {
		return fmt.Errorf("filter: %w (a rule, filter, placeholders or field_map file was written during the load)", safefile.ErrChanged)
	}
	return nil
}

// fenced runs fn, turning a panic into an error. The refresh and the
// checkpoints run on goroutines of their own, where a panic (a bug: each
// rule's compilation is fenced, building the whole set is not) would end
// Fluent Bit instead of keeping the rules and state it has.
func fenced[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, fmt.Errorf("internal error: %v", r)
		}
	}()
	return fn()
}
