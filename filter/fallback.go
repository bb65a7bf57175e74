package filter

import (
	"errors"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
)

// NewLiveOn is NewLive for when cfg's rules cannot be loaded but an earlier
// filter's can stand in: the new filter takes every property from cfg and
// its rule set (and, when cfg's field map does not load either, its field
// map) from last. With a refresh interval it polls cfg's files as NewLive
// does and swaps in their rules once they change and load.
// loadErr is why cfg's rules did not load: when it is an update caught
// mid-write (safefile.ErrChanged), the first poll tries them again.
//
// The new filter carries on last's correlation state. The error is the
// state file's (see NewLive).
func NewLiveOn(cfg Config, last *Filter, loadErr error, notify func(err error, loaded *Filter)) (*Live, error) {
	// The files as they are now, when they did not load: polling retries
	// them once they change, not on the first tick.
	var fp string
	if polls(cfg) && !errors.Is(loadErr, safefile.ErrChanged) {
		fp, _ = fingerprint(cfg)
	}
	if cfg.FieldMapFile != "" {
		m, err := LoadFieldMap(cfg.FieldMapFile)
		if err != nil {
			m = last.fieldMap
		}
		cfg.FieldMap = m
	}
	return newLive(cfg, NewWithRules(cfg, last.set, last.report), fp, notify, last)
}
