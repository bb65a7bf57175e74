package filter

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

func nodeRule(id string) string {
	return fmt.Sprintf("title: Rule %s\nid: %s\nstatus: test\nlevel: high\nlogsource: {product: windows, category: image_load}\n"+
		"detection:\n  sel: {ImageLoaded|endswith: .node}\n  condition: sel\n", id, id)
}

func TestLiveRefresh(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yml", nodeRule("a"))
	// A day's interval: polling is on (the files are fingerprinted) but
	// the test calls Refresh itself.
	l, err := NewLive(Config{RulePaths: []string{dir}, Strict: true, RefreshInterval: 24 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hit := fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1))
	ids := func() string { return ruleIDs(l.Filter()) }
	if changed, err := l.Refresh(); changed || err != nil {
		t.Fatalf("nothing changed: %v %v", changed, err)
	}
	l.Filter().Process(nil, hit)

	write("b.yml", nodeRule("b"))
	if changed, err := l.Refresh(); !changed || err != nil || ids() != "a,b" {
		t.Fatalf("new file: changed=%v err=%v rules %s", changed, err, ids())
	}
	l.Filter().Process(nil, hit)

	old := l.Filter()
	write("broken.yml", "title: [oops")
	changed, err := l.Refresh()
	if changed || !errors.Is(err, ErrStrict) || !strings.Contains(err.Error(), "keeping the rules loaded before") || l.Filter() != old {
		t.Fatalf("broken file: changed=%v err=%v", changed, err)
	}
	// Tried once: the same broken state is not reloaded on every poll.
	if changed, err := l.Refresh(); changed || err != nil {
		t.Errorf("second poll of the same files: %v %v", changed, err)
	}
	if err := os.Remove(filepath.Join(dir, "broken.yml")); err != nil {
		t.Fatal(err)
	}
	write("a.yml", strings.Replace(nodeRule("a"), "level: high", "level: critical", 1))
	if changed, err := l.Refresh(); !changed || err != nil {
		t.Fatalf("fixed: changed=%v err=%v", changed, err)
	}
	l.Filter().Process(nil, hit)
	c := l.Counters()
	if c.Records != 3 || c.Matched != 3 || fmt.Sprint(c.Rules) != "[{a Rule a 3} {b Rule b 2}]" {
		t.Errorf("counters across refreshes: %+v", c)
	}
}

func TestLivePolls(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yml"), []byte(nodeRule("a")), 0o644); err != nil {
		t.Fatal(err)
	}
	heard := make(chan string, 4)
	l, err := NewLive(Config{RulePaths: []string{dir}, RefreshInterval: time.Second}, func(err error, f *Filter) {
		heard <- fmt.Sprintln(err, ruleIDs(f))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(dir, "b.yml"), []byte(nodeRule("b")), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-heard:
		if got != "<nil> a,b\n" {
			t.Errorf("heard %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no refresh within 10 s of a 1 s interval")
	}
	l.Close()
	l.Close() // twice is harmless
}

// TestLiveConcurrent: filter calls on several goroutines (processor mode)
// while the rules are refreshed over and over; run with -race. Every call
// sees one whole rule set: the record matches the old or the new rules,
// never a mix or nothing.
func TestLiveConcurrent(t *testing.T) {
	dir := t.TempDir()
	write := func(level string) {
		rule := strings.Replace(nodeRule("a"), "level: high", "level: "+level, 1)
		if err := os.WriteFile(filepath.Join(dir, "a.yml"), []byte(rule), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("high")
	l, err := NewLive(Config{RulePaths: []string{dir}, RefreshInterval: 24 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hit := fixture.Event(nil, ts, nil, fixture.UnsignedNodeLoad(1))
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				out, changed, err := l.Filter().Process(nil, hit)
				if err != nil || !changed || (!bytes.Contains(out, []byte("high")) && !bytes.Contains(out, []byte("critical"))) {
					errs <- fmt.Errorf("changed=%v err=%v", changed, err)
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		write([]string{"high", "critical"}[i%2])
		// Make the change visible to the fingerprint even within one
		// clock tick: the size differs between the two levels.
		if _, err := l.Refresh(); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if c := l.Counters(); c.Records == 0 || c.Matched == 0 || c.Matched > c.Records {
		t.Errorf("counters: %+v", c)
	}
}

// TestFencedTurnsAPanicIntoAnError: what runs on the refresh and
// checkpoint goroutines returns an error instead of ending the process.
func TestFencedTurnsAPanicIntoAnError(t *testing.T) {
	f, err := fenced(func() (*Filter, error) { panic("a bug") })
	if f != nil || err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("got %v, %v; want no filter and an internal error", f, err)
	}
	if n, err := fenced(func() (int, error) { return 7, nil }); n != 7 || err != nil {
		t.Errorf("got %d, %v; want 7 and no error", n, err)
	}
}

// TestLiveMissingDirectoryReportedOnce: a rules directory that goes away
// is reported at the poll that finds it gone, not at every poll after;
// when it is back, its rules load again.
func TestLiveMissingDirectoryReportedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.yml"), []byte(nodeRule("a")), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := NewLive(Config{RulePaths: []string{dir}, RefreshInterval: 24 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	if changed, err := l.Refresh(); changed || err == nil {
		t.Fatalf("directory gone: changed=%v err=%v, want an error", changed, err)
	}
	for i := 0; i < 3; i++ {
		if changed, err := l.Refresh(); changed || err != nil {
			t.Fatalf("poll %d with the directory still gone: changed=%v err=%v, want nothing new", i, changed, err)
		}
	}
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}
	if changed, err := l.Refresh(); !changed || err != nil || ruleIDs(l.Filter()) != "a" {
		t.Errorf("directory back: changed=%v err=%v rules %s", changed, err, ruleIDs(l.Filter()))
	}
}
