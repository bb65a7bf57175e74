package filter

import (
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
	l, err := NewLive(Config{RulePaths: []string{dir}, Strict: true}, nil)
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

func TestCounters(t *testing.T) {
	f := newFilter(t, Config{MatchOnly: true})
	var chunk []byte
	for i := 0; i < 10; i++ {
		body := fixture.BenignImageLoad(i)
		if i%5 == 0 {
			body = fixture.UnsignedNodeLoad(i)
		}
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	chunk = fixture.Event(chunk, -1, nil, fixture.Map{}) // a group marker is not a record
	f.Process(nil, append(chunk, 0xc1))                  // and a malformed tail
	c := f.Counters()
	if c.Records != 10 || c.Matched != 2 || c.Dropped != 8 || c.Malformed != 1 || len(c.Rules) != 1 || c.Rules[0].Count != 2 {
		t.Errorf("%+v", c)
	}
}
