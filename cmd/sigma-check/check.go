package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// options are sigma-check's own flags, beside the filter's properties.
type options struct {
	all     bool // print every event (jsonl)
	summary bool // print per rule, not per event
	csv     bool // -output csv
}

// eventMeta is where an event came from, for csv rows and the summary.
type eventMeta struct {
	file   string
	record uint64    // the EVTX event record id; for JSON, the event's position in its input
	time   time.Time // the EVTX record's time; zero for JSON input
}

// match is one rule an event matched.
type match struct {
	id, title, level string
}

// ruleHits is what -summary reports of one rule.
type ruleHits struct {
	match
	hits        int
	first, last time.Time
	files       []string
}

// checker runs the events of every input through the filter and writes
// what the options ask for. Not safe for concurrent use.
type checker struct {
	f      *filter.Filter
	opts   options
	out    *bufio.Writer
	stream *jsoniter.Stream
	csv    *csv.Writer
	stderr io.Writer
	levels map[string]string // rule level by hitKey
	seen   map[string]uint64 // per-rule counts already attributed to events
	// silent: rules and correlations referenced by correlations that do
	// not generate, whose matches no record shows (nor the summary and
	// CSV).
	silent  map[string]bool
	hits    map[string]*ruleHits
	countAt map[string]int // ruleCounts' scratch: a key's index in its result
	events  int
	matched int
	scratch []byte // the filter's output
	split   []byte // the records a batch splits into (batch_key)
	event   []byte // an EVTX record as a chunk event
	matches []match
	prog    *progress
}

// newChecker prepares to read names (for the progress line) into stdout.
func newChecker(f *filter.Filter, stdout, stderr io.Writer, opts options, names []string) *checker {
	c := &checker{f: f, opts: opts, out: bufio.NewWriterSize(stdout, 64<<10), stderr: stderr,
		levels: map[string]string{}, seen: map[string]uint64{}, hits: map[string]*ruleHits{}, silent: map[string]bool{},
		prog: newProgress(stderr, names)}
	c.stream = jsoniter.NewStream(jsoniter.ConfigDefault, c.out, 64<<10)
	note := func(r rules.Rule) {
		c.levels[hitKey(r.ID, r.Title)] = r.Level.String()
		if r.Silent { // referenced by a correlation that does not generate
			c.silent[hitKey(r.ID, r.Title)] = true
		}
	}
	for _, r := range f.Rules().Rules() {
		note(r)
	}
	for _, r := range f.Rules().Correlations() {
		note(r.Rule)
	}
	if opts.csv {
		c.csv = csv.NewWriter(c.out)
		if opts.summary {
			c.csv.Write([]string{"rule_id", "title", "level", "hits", "first", "last", "files"})
		} else {
			c.csv.Write([]string{"time", "file", "record", "rule_id", "title", "level"})
		}
	}
	return c
}

// evtxMagic starts every .evtx file.
var evtxMagic = []byte("ElfFile\x00")

// input reads one input (name, or stdin for -): an .evtx file when it
// starts with the EVTX signature or is named *.evtx, else JSON events. An
// input that cannot be opened, a JSON error (after the output of the
// events before it) or an output error (errOutput) is returned; an .evtx
// file's problems are reported.
func (c *checker) input(name string, stdin io.Reader) error {
	in, size := stdin, int64(0)
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		if info, err := file.Stat(); err == nil {
			size = info.Size()
		}
		in = file
	} else {
		name = "stdin"
	}
	br := bufio.NewReaderSize(c.prog.reader(in), 64<<10)
	c.prog.startFile(name, size)
	defer c.prog.endFile()
	if head, _ := br.Peek(len(evtxMagic)); bytes.Equal(head, evtxMagic) || strings.EqualFold(filepath.Ext(name), ".evtx") {
		return c.evtxInput(name, br)
	}
	// Stamped 0, "no time": a JSON event's own time fields are its event
	// time (see filter.OfflineTimeFields), never the wall clock. Each event
	// is checked as it is read, so a file of any size takes the memory of
	// one event; an output error stops the reading.
	record := uint64(0)
	_, err := textevent.EachEvent(br, time.Unix(0, 0), func(event []byte) error {
		record++
		if err := c.check(event, eventMeta{file: name, record: record}); err != nil {
			return errOutput{err}
		}
		return nil
	})
	// What was read before a JSON error was checked: its output is
	// written whole, and the next input is read.
	if ferr := c.flush(); ferr != nil {
		return fmt.Errorf("%s: %w", name, errOutput{ferr})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// errOutput marks an output error, which stops sigma-check, from a
// problem of the file read, after which the next input is read.
type errOutput struct{ err error }

func (e errOutput) Error() string { return e.err.Error() }
func (e errOutput) Unwrap() error { return e.err }

// evtxInput reads an .evtx file, each record a chunk event stamped with
// the record's time, and reports what it read.
func (c *checker) evtxInput(name string, r io.Reader) error {
	st, err := evtx.Read(r, func(rec evtx.Record) error {
		c.event = appendChunkEvent(c.event[:0], rec.Time, rec.Event)
		if err := c.check(c.event, eventMeta{file: name, record: rec.ID, time: rec.Time}); err != nil {
			return errOutput{err}
		}
		return nil
	})
	if errors.As(err, new(errOutput)) {
		return fmt.Errorf("%s: %w", name, err)
	}
	c.prog.clear()
	if errors.Is(err, evtx.ErrNotEVTX) {
		return fmt.Errorf("%s: %w, skipped", name, err)
	}
	report := fmt.Sprintf("sigma-check: %s: %d event(s), %d unreadable record(s)", name, st.Events, st.Unreadable)
	if st.BadChunks > 0 {
		report += fmt.Sprintf(", %d chunk(s) skipped", st.BadChunks)
	}
	fmt.Fprintln(c.stderr, report)
	for _, p := range st.Problems {
		fmt.Fprintf(c.stderr, "sigma-check: %s: %v\n", name, p)
	}
	if st.Dropped > 0 {
		fmt.Fprintf(c.stderr, "sigma-check: %s: %d more problem(s)\n", name, st.Dropped)
	}
	if ferr := c.flush(); ferr != nil {
		return fmt.Errorf("%s: %w", name, errOutput{ferr})
	}
	if err != nil { // a read error: the file's problem, after its events
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// appendChunkEvent appends [[time, {}], body], an event of a chunk as
// Fluent Bit passes it to the filter.
func appendChunkEvent(dst []byte, t time.Time, body []byte) []byte {
	dst = msgpack.AppendArrayHeader(dst, 2)
	dst = msgpack.AppendArrayHeader(dst, 2)
	dst = msgpack.AppendEventTime(dst, t)
	dst = msgpack.AppendMapHeader(dst, 0)
	return append(dst, body...)
}

// check runs one chunk event through the filter and writes what the
// options ask for. An event matched when the filter changed it, whatever
// the format writes.
func (c *checker) check(event []byte, m eventMeta) error {
	split, ok := c.f.Split(c.split[:0], event)
	if !ok {
		return c.checkRecord(event, m, c.f.Process)
	}
	c.split = split
	// A batch (batch_key): its events one by one, as the filter splits it.
	for off := 0; off < len(split); {
		end, err := msgpack.Skip(split, off)
		if err != nil {
			return err
		}
		if err := c.checkRecord(split[off:end], m, c.f.ProcessSplit); err != nil {
			return err
		}
		off = end
	}
	return nil
}

// checkRecord is check for one record, filtered by process.
func (c *checker) checkRecord(event []byte, m eventMeta, process func(dst, chunk []byte) ([]byte, bool, error)) error {
	matchedBefore, droppedBefore := c.f.RecordCounts()
	out, changed, err := process(c.scratch[:0], event)
	c.scratch = out
	if err != nil {
		return err
	}
	c.events++
	c.prog.event()
	matchedAfter, droppedAfter := c.f.RecordCounts()
	matched := matchedAfter > matchedBefore
	if matched {
		c.matched++
	}
	if !changed {
		out = event
	}
	// The record comes first in out unless match_only dropped it; what
	// follows are correlation alert records.
	record := 1
	if droppedAfter > droppedBefore {
		record = 0
	}
	return c.write(out, m, changed, record, matched || c.opts.all)
}

// hitKey keys a rule's counts, hits and silence in the checker's maps.
func hitKey(id, title string) string { return id + "\x00" + title }

// write writes what the options ask for of the filter's output for one
// event: its first records events are the record (printed when
// printRecord), the rest alert records (always printed).
func (c *checker) write(out []byte, m eventMeta, changed bool, records int, printRecord bool) error {
	if changed && (c.opts.csv || c.opts.summary) {
		c.attribute(m)
	}
	switch {
	case c.opts.summary:
		return nil
	case c.opts.csv:
		for _, r := range c.matches {
			c.csv.Write([]string{formatTime(m.time), m.file, strconv.FormatUint(m.record, 10), r.id, r.title, r.level})
		}
		c.matches = c.matches[:0]
		return c.csv.Error()
	}
	for off, n := 0, 0; off < len(out); n++ {
		end, err := msgpack.Skip(out, off)
		if err != nil {
			return err
		}
		if n >= records || printRecord {
			if err := c.writeBody(out[off:end]); err != nil {
				return err
			}
		}
		off = end
	}
	return nil
}

// attribute finds the rules the last event matched, from the filter's
// per-rule counts (the same whatever the output format), and adds them to
// the summary.
func (c *checker) attribute(m eventMeta) {
	c.matches = c.matches[:0]
	for _, r := range c.ruleCounts() {
		key := hitKey(r.ID, r.Title)
		if r.Count <= c.seen[key] || c.silent[key] {
			continue
		}
		n := r.Count - c.seen[key] // a correlation may alert more than once at one event
		c.seen[key] = r.Count
		for range n {
			c.matches = append(c.matches, match{id: r.ID, title: r.Title, level: c.levels[key]})
		}
		h := c.hits[key]
		if h == nil {
			h = &ruleHits{match: c.matches[len(c.matches)-1]}
			c.hits[key] = h
		}
		h.hits += int(n)
		if !m.time.IsZero() && (h.first.IsZero() || m.time.Before(h.first)) {
			h.first = m.time
		}
		if m.time.After(h.last) {
			h.last = m.time
		}
		if len(h.files) == 0 || h.files[len(h.files)-1] != m.file {
			h.files = append(h.files, m.file)
		}
	}
}

// ruleCounts are the filter's per-rule counts, summed per hitKey: rules
// without an id that share a title (which the specification allows) count
// as one, as the checker's maps know them.
func (c *checker) ruleCounts() []filter.RuleCount {
	counts := c.f.Counters().Rules
	if c.countAt == nil {
		c.countAt = map[string]int{}
	}
	clear(c.countAt) // kept between calls: this runs at every matching event
	out := counts[:0]
	for _, r := range counts {
		key := hitKey(r.ID, r.Title)
		if i, ok := c.countAt[key]; ok {
			out[i].Count += r.Count
			continue
		}
		c.countAt[key] = len(out)
		out = append(out, r)
	}
	return out
}

// correlationAlerts counts the alerts of correlations that generate,
// wherever they were written: on the record that completed them, or in
// records of their own.
func (c *checker) correlationAlerts() uint64 {
	corr := map[string]bool{}
	for _, r := range c.f.Rules().Correlations() {
		if key := hitKey(r.ID, r.Title); !c.silent[key] {
			corr[key] = true
		}
	}
	var n uint64
	for _, r := range c.ruleCounts() {
		if corr[hitKey(r.ID, r.Title)] {
			n += r.Count
		}
	}
	return n
}

// writeBody writes the body of a chunk event as a JSON line.
func (c *checker) writeBody(event []byte) error {
	_, p, err := msgpack.ReadArrayHeader(event, 0)
	if err != nil {
		return err
	}
	body, err := msgpack.Skip(event, p)
	if err != nil {
		return err
	}
	if _, err := textevent.WriteMsgpack(c.stream, event, body); err != nil {
		return err
	}
	c.stream.WriteRaw("\n")
	return c.stream.Flush()
}

func (c *checker) flush() error {
	if c.csv != nil {
		c.csv.Flush()
		if err := c.csv.Error(); err != nil {
			return err
		}
	}
	return c.out.Flush()
}

// finish decides the correlation windows still open at the end of the
// input, writes the summary, if asked for, and flushes the output.
func (c *checker) finish() error {
	c.prog.clear()
	if alerts := c.f.Flush(nil); len(alerts) > 0 {
		if err := c.write(alerts, eventMeta{file: "(end of input)"}, true, 0, true); err != nil {
			return err
		}
	}
	if c.opts.summary {
		c.writeSummary()
	}
	return c.flush()
}

// writeSummary writes one line (or row) per rule that matched, most hits
// first.
func (c *checker) writeSummary() {
	list := make([]*ruleHits, 0, len(c.hits))
	for _, h := range c.hits {
		list = append(list, h)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].hits != list[j].hits {
			return list[i].hits > list[j].hits
		}
		return list[i].id+list[i].title < list[j].id+list[j].title
	})
	for _, h := range list {
		if c.csv != nil {
			c.csv.Write([]string{h.id, h.title, h.level, strconv.Itoa(h.hits), formatTime(h.first),
				formatTime(h.last), joinFiles(h.files)})
			continue
		}
		s := c.stream
		s.WriteObjectStart()
		for _, kv := range [][2]string{{"rule_id", h.id}, {"title", h.title}, {"level", h.level}} {
			s.WriteObjectField(kv[0])
			s.WriteString(kv[1])
			s.WriteMore()
		}
		s.WriteObjectField("hits")
		s.WriteInt(h.hits)
		s.WriteMore()
		s.WriteObjectField("first")
		s.WriteString(formatTime(h.first))
		s.WriteMore()
		s.WriteObjectField("last")
		s.WriteString(formatTime(h.last))
		s.WriteMore()
		s.WriteObjectField("files")
		s.WriteVal(h.files)
		s.WriteObjectEnd()
		s.WriteRaw("\n")
		s.Flush()
	}
}

// formatTime writes an event time as RFC 3339 with microseconds, "" for
// none (JSON input).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func joinFiles(files []string) string {
	var b bytes.Buffer
	for i, f := range files {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(f)
	}
	return b.String()
}
