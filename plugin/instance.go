package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
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
	filter    *filter.Filter
	bufs      sync.Pool // *output
	malformed limiter   // warnings about malformed chunks
	panics    limiter   // recovered panics and allocation failures
}

// newInstance parses the properties, loads the rules and logs what it
// loaded. Any error fails the init: Fluent Bit then stops with the message.
func newInstance(log logSink, get func(string) (string, bool)) (*instance, error) {
	cfg, err := filter.ParseConfig(get)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	f, err := filter.New(cfg)
	if err != nil {
		if errors.Is(err, rules.ErrNoRules) {
			return nil, fmt.Errorf("no Sigma rule could be loaded from %q: %w", strings.Join(cfg.RulePaths, ","), err)
		}
		return nil, err
	}
	report := f.Report()
	for _, s := range report.Skipped {
		log.warnf("rule skipped: %v", s)
	}
	source := "embedded default"
	if len(cfg.RulePaths) > 0 {
		source = strings.Join(cfg.RulePaths, ",")
	}
	st := f.Rules().Stats()
	log.infof("%d rule(s) loaded from %s (%d file(s), %d skipped, %d left out by selection, %d without a mapped logsource) in %s; "+
		"index: %d logsource group(s), %d rule(s) prefiltered on %d literal(s), %.1f MiB; add_key=%s match_only=%t",
		report.Loaded, source, report.Files, len(report.Skipped), report.Filtered, report.Unmapped,
		time.Since(start).Round(time.Millisecond), st.Groups, st.Prefiltered, st.Literals, float64(st.IndexBytes)/(1<<20),
		cfg.AddKey, cfg.MatchOnly)
	if reasons := report.Reasons(); len(reasons) > 0 {
		var b strings.Builder
		for i, r := range reasons {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%d: %s", r.Count, r.Reason)
		}
		log.infof("skipped rules by reason: %s", b.String())
	}
	return &instance{
		log:       log,
		filter:    f,
		malformed: limiter{every: 10 * time.Second},
		panics:    limiter{every: 10 * time.Second},
	}, nil
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
	buf, changed, err := i.filter.Process(out.buf[:0], chunk)
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
