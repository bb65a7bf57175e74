package main

/*
#include <stdlib.h>
#include "abi.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
)

// metric is one of the metrics an instance registers on Fluent Bit's
// Prometheus endpoint.
type metric int

const (
	metricRuleMatches metric = iota
	metricRecords
	metricMatched
	metricDropped
	metricMalformed
	metricPanics
	metricRules
	metricLastLoad
	metricFallback
	metricCorrGroups
	metricCorrLate
	metricCorrEvicted
	metricCorrSuppressed
	numMetrics
)

// metricDefs names every metric (fluentbit_filter_<name>, as Fluent Bit's
// own filter metrics) and its labels; README's Observability section
// documents them.
var metricDefs = [numMetrics]struct {
	gauge      bool
	name, help string
	labels     []string
}{
	metricRuleMatches: {false, "sigma_rule_matches_total", "Records each Sigma rule matched.",
		[]string{"name", "rule_id", "rule_title", "level"}},
	metricRecords:   {false, "sigma_records_total", "Records the sigma filter evaluated.", []string{"name"}},
	metricMatched:   {false, "sigma_matched_records_total", "Records that matched at least one Sigma rule.", []string{"name"}},
	metricDropped:   {false, "sigma_dropped_records_total", "Records match_only dropped.", []string{"name"}},
	metricMalformed: {false, "sigma_malformed_chunks_total", "Chunks with a malformed tail, passed on unchanged from there.", []string{"name"}},
	metricPanics: {false, "sigma_recovered_panics_total", "Internal errors recovered by the sigma filter; each chunk passed on unchanged.",
		[]string{"name"}},
	metricRules: {true, "sigma_rules", "Sigma rules by state: loaded, skipped (failed to load), not_selected (left out by the selection options).",
		[]string{"name", "state"}},
	metricLastLoad: {true, "sigma_rules_last_load_timestamp_seconds", "Unix time the rules the instance runs were loaded.", []string{"name"}},
	metricFallback: {true, "sigma_rules_fallback_active",
		"1 while the instance runs on the last good rules because the rules of a reload failed to load.", []string{"name"}},
	metricCorrGroups: {true, "sigma_correlation_groups", "Correlation groups (distinct group-by values) held in memory, over all correlations.",
		[]string{"name"}},
	metricCorrLate: {false, "sigma_correlation_late_records_total",
		"Records later than correlation_max_delay behind their group, ignored for correlation (never dropped).", []string{"name"}},
	metricCorrEvicted: {false, "sigma_correlation_evicted_groups_total",
		"Correlation groups evicted because a correlation held correlation_max_groups.", []string{"name"}},
	metricCorrSuppressed: {false, "sigma_correlation_suppressed_alerts_total",
		"Correlation alerts muted by correlation_suppress.", []string{"name"}},
}

// ruleStates are the values of the state label of sigma_rules, in the
// order metrics.setGauges sets them. Allocated once, never freed.
var ruleStates = [3]*C.char{C.CString("loaded"), C.CString("skipped"), C.CString("not_selected")}

// pushEvery bounds how often the Go counters are added to the cmetrics
// counters while records flow; exit pushes the rest.
const pushEvery = time.Second

// metricsWarned makes a missing or unrecognised metrics API one warning
// per process, not one per instance and reload.
var metricsWarned atomic.Bool

// metrics publishes an instance's counters on its Fluent Bit instance's
// cmetrics context. Records are counted by the filter's own counters; a
// push adds what they gained since the last push, at most once per
// pushEvery from the filter callback and once at exit, so records cost
// nothing here. Safe for concurrent use.
type metrics struct {
	handles [numMetrics]unsafe.Pointer
	name    *C.char // the instance name: the value of every name label

	due atomic.Int64 // unix nanoseconds of the next push

	mu        sync.Mutex // one push at a time; guards what follows
	described *filter.Filter
	rules     map[string]*ruleSeries // by filter.RuleKey, every rule this instance has run
	pushed    [numMetrics]uint64     // per flat counter, the value last pushed
	started   bool                   // the first push created every series at 0
	// The correlation counters are the Live's (filter.Live.CorrelationCounters):
	// a refresh brings a new engine, which adopts the old one's counts
	// with its state, or the Live keeps them, so they only grow.
	corrPushed [3]uint64
}

// ruleSeries is the label values of one rule's matches counter, resolved
// when a rule set is loaded, and what it was last pushed.
type ruleSeries struct {
	labels       [4]*C.char // name (shared), rule_id, rule_title, level
	title, level string
	pushed       uint64
}

// openMetrics registers inst's metrics on the cmetrics context of the
// Fluent Bit instance ins, named name; nil (with one warning per process)
// when that context cannot be found safely.
func openMetrics(ins unsafe.Pointer, name string, inst *instance) (m *metrics) {
	defer func() {
		if r := recover(); r != nil {
			warnNoMetrics(inst.log, fmt.Sprintf("internal error: %v", r))
			m = nil
		}
	}()
	var why *C.char
	cmt := C.sigma_metrics_cmt(ins, &why)
	if cmt == nil {
		warnNoMetrics(inst.log, C.GoString(why))
		return nil
	}
	m = &metrics{name: C.CString(name), rules: map[string]*ruleSeries{}}
	for k, d := range metricDefs {
		if m.handles[k] = createMetric(cmt, d.gauge, d.name, d.help, d.labels); m.handles[k] == nil {
			C.free(unsafe.Pointer(m.name))
			warnNoMetrics(inst.log, "cmetrics refused "+d.name)
			return nil
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.push(inst) // every series exists from init on, at 0
	m.due.Store(time.Now().Add(pushEvery).UnixNano())
	return m
}

func warnNoMetrics(log logSink, why string) {
	if metricsWarned.CompareAndSwap(false, true) {
		log.warnf("no Prometheus metrics: %s; the filter runs without them (counters are still logged)", why)
	}
}

// createMetric creates one metric; cmetrics copies every string.
func createMetric(cmt unsafe.Pointer, gauge bool, name, help string, labels []string) unsafe.Pointer {
	cname, chelp := C.CString(name), C.CString(help)
	defer C.free(unsafe.Pointer(cname))
	defer C.free(unsafe.Pointer(chelp))
	keys := make([]*C.char, len(labels))
	for i, l := range labels {
		keys[i] = C.CString(l)
		defer C.free(unsafe.Pointer(keys[i]))
	}
	return C.sigma_metric_create(cmt, cbool(gauge), cname, chelp, C.int(len(keys)), &keys[0])
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// update adds v to a counter or sets a gauge to v.
func (m *metrics) update(k metric, v float64, labels []*C.char) {
	C.sigma_metric_update(m.handles[k], cbool(metricDefs[k].gauge), C.double(v), C.int(len(labels)), &labels[0])
}

// maybePush pushes when pushEvery has passed since the last push: one
// clock read and one atomic load otherwise.
func (m *metrics) maybePush(i *instance) {
	now := time.Now().UnixNano()
	next := m.due.Load()
	if now < next || !m.due.CompareAndSwap(next, now+int64(pushEvery)) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.push(i)
}

// push adds to the cmetrics counters what the Go counters gained since the
// last push and sets the gauges. Called with m.mu held.
func (m *metrics) push(i *instance) {
	c := i.live.Counters()
	// Read after the counters: every rule they count belongs to this set
	// or to one described before, unless a refresh came and went between
	// two pushes (see series).
	if f := i.live.Filter(); f != m.described {
		m.describe(f)
	}
	flat := [...]struct {
		k metric
		v uint64
	}{{metricRecords, c.Records}, {metricMatched, c.Matched}, {metricDropped, c.Dropped},
		{metricMalformed, c.Malformed}, {metricPanics, i.recovered.Load()}}
	name := []*C.char{m.name}
	for _, f := range flat {
		if f.v > m.pushed[f.k] || !m.started {
			m.update(f.k, float64(f.v-m.pushed[f.k]), name)
			m.pushed[f.k] = f.v
		}
	}
	m.pushCorrelations(i.live.CorrelationCounters(), name)
	m.started = true
	for _, r := range c.Rules {
		s := m.rules[r.Key()]
		if s == nil {
			s = m.series(r.ID, r.Title, "unknown")
		}
		if r.Count > s.pushed {
			m.update(metricRuleMatches, float64(r.Count-s.pushed), s.labels[:])
			s.pushed = r.Count
		}
	}
	m.setGauges(i)
}

// pushCorrelations pushes what the correlation counters c gained.
func (m *metrics) pushCorrelations(c correlate.Counters, name []*C.char) {
	for n, x := range [...]struct {
		k metric
		v uint64
	}{{metricCorrLate, c.Late}, {metricCorrEvicted, c.Evicted}, {metricCorrSuppressed, c.Suppressed}} {
		if x.v > m.corrPushed[n] || !m.started {
			m.update(x.k, float64(x.v-m.corrPushed[n]), name)
			m.corrPushed[n] = x.v
		}
	}
	m.update(metricCorrGroups, float64(c.Groups), name)
}

// describe resolves the label values of every rule of f and creates their
// series at 0, so a rule's first match is an increase Prometheus sees.
func (m *metrics) describe(f *filter.Filter) {
	rs := f.Rules().Rules()
	for _, c := range f.Rules().Correlations() {
		rs = append(rs[:len(rs):len(rs)], c.Rule)
	}
	for _, r := range rs {
		level := r.Level.String()
		if level == "" {
			level = "unknown"
		}
		m.series(r.ID, r.Title, level)
	}
	m.described = f
}

// series returns the series of rule id (by filter.RuleKey: rules without
// an id each have their own), created at 0 under these labels if it has
// other labels or none yet. A rule whose title or level changed keeps its
// count; its new series takes the matches from then on.
func (m *metrics) series(id, title, level string) *ruleSeries {
	key := filter.RuleKey(id, title)
	s := m.rules[key]
	if s != nil && s.title == title && s.level == level {
		return s
	}
	if s == nil {
		s = &ruleSeries{labels: [4]*C.char{m.name, C.CString(id)}}
		m.rules[key] = s
	} else {
		C.free(unsafe.Pointer(s.labels[2]))
		C.free(unsafe.Pointer(s.labels[3]))
	}
	s.title, s.level = title, level
	s.labels[2], s.labels[3] = C.CString(title), C.CString(level)
	m.update(metricRuleMatches, 0, s.labels[:])
	return s
}

// setGauges sets the rule-set gauges. They are set on every push: a
// refresh swaps the filter before it clears the fallback flag.
func (m *metrics) setGauges(i *instance) {
	report := m.described.Report()
	for n, v := range [...]int{report.Loaded, len(report.Skipped), report.Filtered} {
		m.update(metricRules, float64(v), []*C.char{m.name, ruleStates[n]})
	}
	name := []*C.char{m.name}
	m.update(metricLastLoad, float64(i.loadedAt.Load())/1e9, name)
	fallback := 0.0
	if i.fallback.Load() {
		fallback = 1
	}
	m.update(metricFallback, fallback, name)
}

// close pushes the last counts and frees the label values. Fluent Bit
// destroys the cmetrics context after exit.
func (m *metrics) close(i *instance) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.push(i)
	for _, s := range m.rules {
		for _, l := range s.labels[1:] {
			C.free(unsafe.Pointer(l))
		}
	}
	m.rules = nil
	C.free(unsafe.Pointer(m.name))
	m.name = nil
}

// loadTimes remembers, per filter identity across reloads (lastGood's id),
// when its rules last loaded, so that an instance running on the last good
// rules reports when those were loaded. Bounded by the filters configured.
var loadTimes = struct {
	sync.Mutex
	at map[string]int64 // unix nanoseconds
}{at: map[string]int64{}}

// noteLoad records that the instance's rules loaded now (fresh) or that it
// runs on the rules its filter loaded last, and sets loadedAt.
func (i *instance) noteLoad(fresh bool) {
	loadTimes.Lock()
	defer loadTimes.Unlock()
	if fresh {
		loadTimes.at[i.id] = time.Now().UnixNano()
	}
	i.loadedAt.Store(loadTimes.at[i.id])
}
