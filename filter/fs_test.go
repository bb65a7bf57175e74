package filter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// TestFilePropertiesMustBeRegularFiles: a placeholders or field_map path
// that is a named pipe or a directory fails New promptly, with an error
// naming the property and the file.
func TestFilePropertiesMustBeRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{
		"placeholders": {PlaceholdersFile: fifo},
		"field_map":    {FieldMapFile: fifo},
		"field_map ":   {FieldMapFile: dir},
	} {
		done := make(chan error, 1)
		go func() { _, err := New(cfg); done <- err }()
		select {
		case err := <-done:
			property := strings.TrimSpace(name)
			if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), property+": read ") {
				t.Errorf("%s: got %v, want an error naming the property and the file", property, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: New still running after 5s", name)
		}
	}
}

// TestLiveRacingWriter: while a writer rewrites a rule file in place,
// Refresh swaps in only whole versions of it (never a set read from a
// half-written file) and reports the others as changed; once the writer
// stops, the next Refresh loads its last version.
func TestLiveRacingWriter(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rules.yml")
	version := func(prefix string) string {
		var docs []string
		for i := 0; i < 100; i++ {
			docs = append(docs, nodeRule(fmt.Sprintf("%s%03d", prefix, i)))
		}
		return strings.Join(docs, "---\n")
	}
	versions := []string{version("a"), version("b")}
	if err := os.WriteFile(p, []byte(versions[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := NewLive(Config{RulePaths: []string{dir}, RefreshInterval: 24 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	whole := func() bool {
		ids, report := ruleIDs(l.Filter()), l.Filter().Report()
		return len(report.Skipped) == 0 && (ids == strings.Join(idsOf(versions[0]), ",") || ids == strings.Join(idsOf(versions[1]), ","))
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	last := versions[0]
	var stalled atomic.Bool
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			last = versions[i%2]
			took, err := fixture.RewriteInPlace(p, strings.SplitAfter(last, "---\n"))
			if err != nil {
				t.Error(err)
				return
			}
			if took >= safefile.Settle/2 {
				stalled.Store(true)
			}
		}
	}()
	var changed, swapped, torn int
	for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); {
		ok, err := l.Refresh()
		switch {
		case errors.Is(err, safefile.ErrChanged):
			changed++
		case errors.Is(err, rules.ErrNoRules):
			torn++ // an empty read not seen as changed: a failure unless a rewrite looked settled
		case err != nil:
			close(stop)
			wg.Wait()
			t.Fatalf("refresh: %v", err)
		case ok:
			swapped++
		}
		if !whole() {
			torn++
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d refreshes refused as changed, %d swapped in, %d torn", changed, swapped, torn)
	// See fixture.RewriteInPlace: part of a version is a failure unless a
	// rewrite looked settled to a reader.
	if torn > 0 && !stalled.Load() {
		t.Fatalf("%d refresh(es) read part of a version, and no rewrite looked settled (fixture.RewriteInPlace)", torn)
	}
	if changed == 0 {
		t.Error("no refresh saw the writer: the test did not race")
	}
	if _, err := l.Refresh(); err != nil || ruleIDs(l.Filter()) != strings.Join(idsOf(last), ",") {
		t.Errorf("after the writer stopped: %v; want its last version loaded", err)
	}
}

// idsOf lists the rule ids in a version, in file order.
func idsOf(version string) []string {
	var out []string
	for _, line := range strings.Split(version, "\n") {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			out = append(out, id)
		}
	}
	return out
}
