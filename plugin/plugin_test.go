package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// recorder is a logSink that keeps what was logged.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(level, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, level+": "+fmt.Sprintf(format, args...))
}
func (r *recorder) errorf(f string, a ...any) { r.add("error", f, a...) }
func (r *recorder) warnf(f string, a ...any)  { r.add("warn", f, a...) }
func (r *recorder) infof(f string, a ...any)  { r.add("info", f, a...) }

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func props(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestNewInstance(t *testing.T) {
	log := &recorder{}
	if _, err := newInstance(log, "", props(nil)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.text(), "info: 1 rule(s) loaded from the embedded default rule") {
		t.Errorf("missing the effective-config line:\n%s", log.text())
	}

	for name, p := range map[string]map[string]string{
		"bad bool":     {"match_only": "perhaps"},
		"missing path": {"rules": "/nonexistent/rules"},
		"no rules":     {"rules": t.TempDir()},
	} {
		if _, err := newInstance(&recorder{}, "", props(p)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestMalformedChunksAreRateLimited(t *testing.T) {
	log := &recorder{}
	inst, err := newInstance(log, "", props(nil))
	if err != nil {
		t.Fatal(err)
	}
	bad := append(fixture.Event(nil, 1, nil, fixture.UnsignedNodeLoad(1)), 0xc1)
	for i := 0; i < 50; i++ {
		out, changed := inst.process(bad)
		if !changed {
			t.Fatal("the good event should have matched")
		}
		inst.release(out)
	}
	if n := strings.Count(log.text(), "malformed chunk at byte"); n != 1 {
		t.Errorf("got %d malformed-chunk warnings for 50 chunks, want 1:\n%s", n, log.text())
	}
	inst.malformed.last = time.Now().Add(-time.Minute)
	inst.process([]byte{0xc1})
	if !strings.Contains(log.text(), "(49 similar message(s) suppressed)") {
		t.Errorf("the next warning should count the suppressed ones:\n%s", log.text())
	}
}

// TestCountersLogged: with stats_interval the counters are logged from the
// filter call when due, and always at exit.
func TestCountersLogged(t *testing.T) {
	log := &recorder{}
	inst, err := newInstance(log, "", props(map[string]string{"stats_interval": "60"}))
	if err != nil {
		t.Fatal(err)
	}
	hit := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, fixture.UnsignedNodeLoad(1))
	for i := 0; i < 3; i++ {
		if out, changed := inst.process(hit); changed {
			inst.release(out)
		}
	}
	if strings.Contains(log.text(), "counters:") {
		t.Fatalf("counters logged before they were due:\n%s", log.text())
	}
	inst.nextStats.Store(time.Now().Add(-time.Second).UnixNano())
	inst.process([]byte{0xc1})
	want := `info: counters: records=3 matched=3 dropped=0 malformed_chunks=1 recovered_panics=0; rules matched: "Unsigned .node File Loaded" e5f5c693-52d7-4de5-88ae-afbfbce85595: 3`
	if !strings.Contains(log.text(), want) {
		t.Errorf("want %q in:\n%s", want, log.text())
	}
	inst.close()
	if !strings.Contains(log.text(), "info: exit summary: records=3 matched=3") {
		t.Errorf("no exit summary:\n%s", log.text())
	}
}

// TestCloseStopsRefresh: an instance's exit stops its refresh goroutine, so
// hot reloads do not pile goroutines (or the rule sets they hold) up.
func TestCloseStopsRefresh(t *testing.T) {
	dir := nodeRuleDir(t)
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		inst, err := newInstance(&recorder{}, "", props(map[string]string{"rules": dir, "refresh_interval": "1"}))
		if err != nil {
			t.Fatal(err)
		}
		inst.close()
	}
	for i := 0; i < 50 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after 20 instances came and went, %d before", n, before)
	}
}

// TestConcurrentReloads: instances come and go (hot reloads, each with a
// refresh goroutine) while others filter on several goroutines, as in
// processor mode; run with -race.
func TestConcurrentReloads(t *testing.T) {
	dir := nodeRuleDir(t)
	p := props(map[string]string{"rules": dir, "refresh_interval": "1", "stats_interval": "1"})
	stable, err := newInstance(&recorder{}, "", p)
	if err != nil {
		t.Fatal(err)
	}
	hit := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, fixture.UnsignedNodeLoad(1))
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				out, changed := stable.process(hit)
				if !changed {
					errs <- "a match was lost"
					return
				}
				stable.release(out)
			}
		}()
	}
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				inst, err := newInstance(&recorder{}, "", p)
				if err != nil {
					errs <- err.Error()
					return
				}
				if out, changed := inst.process(hit); changed {
					inst.release(out)
				}
				inst.close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	stable.close()
}

// nodeRuleDir returns a directory holding one rule file: any .node load.
func nodeRuleDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rule := "title: t\nid: t\nlogsource: {product: windows, category: image_load}\ndetection:\n  s: {ImageLoaded|endswith: .node}\n  condition: s\n"
	if err := os.WriteFile(filepath.Join(dir, "t.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
