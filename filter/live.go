package filter

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// Live holds an instance's current Filter and, with a refresh interval,
// replaces it when the files it was loaded from change: the rule files,
// the placeholders and the field map. The new set is loaded beside the
// old one, which keeps filtering until the new one is swapped in
// atomically; a new set that fails to load is not swapped in, and the old
// one stays until the files change again. Safe for concurrent use.
type Live struct {
	cfg    Config
	cur    atomic.Pointer[Filter]
	notify func(err error, loaded *Filter)

	mu      sync.Mutex
	printed string // fingerprint of the files last loaded (or tried)
	retired Counters

	stop chan struct{}
	done chan struct{}
}

// NewLive loads the filter cfg describes. With cfg.RefreshInterval set it
// polls the files in the background; notify (which may be nil) hears of
// each reload that happened (loaded) or failed (err), from that goroutine.
// Close stops it.
func NewLive(cfg Config, notify func(err error, loaded *Filter)) (*Live, error) {
	polls := cfg.RefreshInterval > 0 && len(cfg.RulePaths)+len(cfg.PlaceholdersFile)+len(cfg.FieldMapFile) > 0
	var printed string
	if polls { // taken before loading, so a change during the load is seen
		var err error
		if printed, err = fingerprint(cfg); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
	}
	f, err := New(cfg)
	if err != nil {
		return nil, err
	}
	l := &Live{cfg: cfg, notify: notify, printed: printed}
	l.cur.Store(f)
	if polls {
		l.stop, l.done = make(chan struct{}), make(chan struct{})
		go l.poll()
	}
	return l, nil
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
// stays. Without polling (no RefreshInterval) the files were not
// fingerprinted at load, so the first Refresh reloads.
func (l *Live) Refresh() (changed bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	printed, err := fingerprint(l.cfg)
	if err != nil {
		return false, fmt.Errorf("filter: refresh: %w; keeping the rules loaded before", err)
	}
	if printed == l.printed {
		return false, nil
	}
	l.printed = printed // a broken set is tried once, not on every tick
	f, err := New(l.cfg)
	if err != nil {
		return false, fmt.Errorf("refresh: %w; keeping the rules loaded before", err)
	}
	old := l.cur.Swap(f)
	l.retired = l.retired.add(old.Counters())
	return true, nil
}

// Close stops the polling; the current filter stays usable.
func (l *Live) Close() {
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop = nil
	}
}

// Counters returns the counts of every filter this Live has run.
func (l *Live) Counters() Counters {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.retired.add(l.Filter().Counters())
}

// fingerprint identifies the current state of the files cfg loads: each
// file's name, size and modification time.
func fingerprint(cfg Config) (string, error) {
	var files []string
	for _, p := range cfg.RulePaths {
		list, err := rules.RuleFiles(p)
		if err != nil {
			return "", err
		}
		files = append(files, list...)
	}
	for _, p := range []string{cfg.PlaceholdersFile, cfg.FieldMapFile} {
		if p != "" {
			files = append(files, p)
		}
	}
	h := fnv.New64a()
	for _, name := range files {
		info, err := os.Stat(name)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(h, "%s gone\n", name)
				continue
			}
			return "", err
		}
		fmt.Fprintf(h, "%s %d %d\n", name, info.Size(), info.ModTime().UnixNano())
	}
	return fmt.Sprintf("%d:%x", len(files), h.Sum64()), nil
}
