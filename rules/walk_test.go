package rules

import (
	"errors"
	"fmt"
	"net"
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
)

func fsRule(id string) string {
	return "title: " + id + "\nid: " + id + "\nlogsource: {product: linux}\ndetection:\n  a: {A: " + id + "}\n  condition: a\n"
}

func writeRule(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadWithin runs Load and fails the test if it has not returned after
// five seconds: an entry that blocks must fail the test, not hang it.
func loadWithin(t *testing.T, paths []string, opts Options) (*Set, Report, error) {
	t.Helper()
	type result struct {
		set    *Set
		report Report
		err    error
	}
	done := make(chan result, 1)
	go func() {
		set, report, err := Load(paths, opts)
		done <- result{set, report, err}
	}()
	select {
	case r := <-done:
		return r.set, r.report, r.err
	case <-time.After(5 * time.Second):
		t.Fatalf("Load(%v) still running after 5s", paths)
		return nil, Report{}, nil
	}
}

func ids(set *Set) string {
	var out []string
	for _, r := range set.Rules() {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

func skippedText(r Report) string {
	var b strings.Builder
	for _, s := range r.Skipped {
		b.WriteString(s.Error() + "\n")
	}
	return b.String()
}

// TestLoadSkipsWhatIsNotARegularFile: a named pipe, a socket, a link to a
// device and a broken link, all named like rules, are skipped with a
// reason naming them; the rule beside them loads.
func TestLoadSkipsWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	writeRule(t, filepath.Join(dir, "good.yml"), fsRule("good"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yml"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for link, target := range map[string]string{"device.yml": "/dev/zero", "broken.yml": "nowhere.yml"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	set, report, err := loadWithin(t, []string{dir}, Options{})
	if err != nil || ids(set) != "good" {
		t.Fatalf("got %v, %v; want the good rule loaded", set, err)
	}
	text := skippedText(report)
	for _, want := range []string{"fifo.yml: a named pipe, not a regular file", "sock.yml: a socket, not a regular file",
		"device.yml: a character device, not a regular file", "broken.yml: no such file or directory"} {
		if !strings.Contains(text, want) {
			t.Errorf("skipped should say %q:\n%s", want, text)
		}
	}
	if report.Files != 5 || len(report.Skipped) != 4 {
		t.Errorf("files %d, skipped %d; want 5 and 4", report.Files, len(report.Skipped))
	}
	// Named directly, a named pipe is refused the same way.
	if _, report, err := loadWithin(t, []string{filepath.Join(dir, "fifo.yml")}, Options{}); !errors.Is(err, ErrNoRules) ||
		!strings.Contains(skippedText(report), "a named pipe") {
		t.Errorf("named pipe named directly: %v %v", err, report.Skipped)
	}
}

// TestLoadFollowsDirectoryLinks: a link to another directory is walked
// and reported; a link loop and a second link to the same directory are
// walked once; a hidden link (a ConfigMap's ..data) is not searched.
func TestLoadFollowsDirectoryLinks(t *testing.T) {
	root := t.TempDir()
	rulesDir, shared := filepath.Join(root, "rules"), filepath.Join(root, "shared")
	writeRule(t, filepath.Join(rulesDir, "a.yml"), fsRule("a"))
	writeRule(t, filepath.Join(shared, "b.yml"), fsRule("b"))
	for link, target := range map[string]string{
		"rules/linked":   shared,
		"rules/zagain":   shared,     // a second link to the same directory
		"rules/loop":     ".",        // a link to itself
		"shared/back":    "../rules", // a loop through two directories
		"rules/..data":   shared,     // hidden: not searched
		"rules/self.yml": "self.yml", // a file link loop
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	set, report, err := loadWithin(t, []string{rulesDir}, Options{})
	if err != nil || ids(set) != "a,b" {
		t.Fatalf("got %q, %v; want a and b, each once: %s", ids(set), err, skippedText(report))
	}
	w := report.Walk
	if len(w.Followed) != 1 || !strings.HasSuffix(w.Followed[0], " -> "+shared) {
		t.Errorf("followed %q; want one link to %s", w.Followed, shared)
	}
	if len(w.Repeated) != 3 {
		t.Errorf("repeated %q; want the loops and the second link", w.Repeated)
	}
	if text := skippedText(report); len(report.Skipped) != 1 || !strings.Contains(text, "self.yml: too many levels of symbolic links") {
		t.Errorf("want only self.yml skipped as a link loop:\n%s", text)
	}
	if s := w.String(); !strings.Contains(s, "directory links followed: ") || !strings.Contains(s, "not walked twice") {
		t.Errorf("summary %q should name the links", s)
	}
}

// TestLoadLimits: a walk that visits too many entries, or reads too many
// bytes, stops with ErrLimit and the numbers.
func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 30; i++ {
		writeRule(t, filepath.Join(dir, fmt.Sprintf("sub%d/r%d.yml", i%3, i)), fsRule(fmt.Sprintf("r%d", i)))
	}
	start := time.Now()
	_, _, err := loadWithin(t, []string{dir}, Options{MaxEntries: 20})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "more than 20 directory entries") || !strings.Contains(err.Error(), dir) {
		t.Errorf("entries: got %v", err)
	}
	_, _, err = loadWithin(t, []string{dir}, Options{MaxBytes: 1000})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "more than 1000 bytes of rule files") {
		t.Errorf("bytes: got %v", err)
	}
	set, report, err := loadWithin(t, []string{dir}, Options{MaxEntries: 33, MaxBytes: 30 * int64(len(fsRule("r10")))})
	if err != nil || set.Len() != 30 || report.Walk.Entries != 33 || report.Walk.Bytes == 0 {
		t.Errorf("at the limits: %v, entries %d bytes %d", err, report.Walk.Entries, report.Walk.Bytes)
	}
	t.Logf("three loads in %s; %s", time.Since(start), report.Walk)
}

// TestLoadSkipsUnreadable: a file or directory the process may not read
// is skipped with its error, and the rest load.
func TestLoadSkipsUnreadable(t *testing.T) {
	dir := t.TempDir()
	writeRule(t, filepath.Join(dir, "good.yml"), fsRule("good"))
	writeRule(t, filepath.Join(dir, "secret.yml"), fsRule("secret"))
	writeRule(t, filepath.Join(dir, "closed/c.yml"), fsRule("closed"))
	if err := os.Chmod(filepath.Join(dir, "secret.yml"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "closed"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(dir, "closed"), 0o755) // so that the test's clean-up can remove it
	if f, err := os.Open(filepath.Join(dir, "secret.yml")); err == nil {
		f.Close()
		t.Skip("this process reads files whatever their mode (root): tests/filesystem_test.go runs the host as nobody instead")
	}
	set, report, err := loadWithin(t, []string{dir}, Options{})
	text := skippedText(report)
	if err != nil || ids(set) != "good" || !strings.Contains(text, "secret.yml: permission denied") ||
		!strings.Contains(text, "closed: permission denied") {
		t.Errorf("got %v, %v:\n%s", set, err, text)
	}
}

func TestLoadPlaceholdersNotARegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "placeholders.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadPlaceholders(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), "placeholders") || !strings.Contains(err.Error(), fifo) {
			t.Errorf("got %v, want an error naming placeholders and the file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadPlaceholders on a named pipe still running after 5s")
	}
}

// TestLoadRacingWriter: a writer rewrites a rule file in place while Load
// reads it. Load returns the whole set of one version or an error wrapping
// safefile.ErrChanged, never part of a version.
func TestLoadRacingWriter(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rules.yml")
	version := func(prefix string) string {
		var docs []string
		for i := 0; i < 200; i++ {
			docs = append(docs, fsRule(fmt.Sprintf("%s%03d", prefix, i)))
		}
		return strings.Join(docs, "---\n")
	}
	versions := []string{version("a"), version("b")}
	writeRule(t, p, versions[0])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var stalled atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			took, err := fixture.RewriteInPlace(p, strings.SplitAfter(versions[i%2], "---\n")) // a write per rule
			if err != nil {
				t.Error(err)
				return
			}
			if took >= safefile.Settle/2 {
				stalled.Store(true)
			}
		}
	}()
	var changed, torn int
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		set, report, err := loadWithin(t, []string{dir}, Options{})
		switch {
		case errors.Is(err, safefile.ErrChanged):
			changed++
		case errors.Is(err, ErrNoRules): // read while truncated
			torn++
		case err != nil:
			close(stop)
			wg.Wait()
			t.Fatalf("got %v, want ErrChanged or a whole version", err)
		case set.Len() != 200 || len(report.Skipped) > 0 || (!strings.HasPrefix(ids(set), "a000") && !strings.HasPrefix(ids(set), "b000")):
			torn++
		}
	}
	close(stop)
	wg.Wait()
	// See fixture.RewriteInPlace: part of a version is a failure unless a
	// rewrite looked settled to a reader.
	if torn > 0 && !stalled.Load() {
		t.Fatalf("%d load(s) returned part of a version, and no rewrite looked settled (fixture.RewriteInPlace)", torn)
	}
	if changed == 0 {
		t.Error("no load saw the writer: the test did not race")
	}
}
