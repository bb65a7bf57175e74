package safefile

import (
	"bytes"
	"errors"
	"io/fs"
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
)

// within runs f and fails the test if it has not returned after d: a read
// that blocks must fail the test, not hang it.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %s", d)
	}
}

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.yml")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	device := filepath.Join(dir, "device.yml")
	if err := os.Symlink("/dev/zero", device); err != nil {
		t.Fatal(err)
	}
	for path, kind := range map[string]string{fifo: "a named pipe", sock: "a socket", device: "a character device", dir: "a directory"} {
		within(t, 5*time.Second, func() {
			_, err := Read(path, 1<<20)
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), kind) || !strings.Contains(err.Error(), path) {
				t.Errorf("Read(%s): got %v, want %s named as not a regular file", path, err, kind)
			}
		})
	}
}

func TestReadLimitsAndMissingFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, make([]byte, 101), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(big, 100); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "101 bytes, larger than the limit of 100") {
		t.Errorf("too large: got %v", err)
	}
	if data, err := Read(big, 101); err != nil || len(data) != 101 {
		t.Errorf("at the limit: got %d bytes, %v", len(data), err)
	}
	if _, err := Read(filepath.Join(dir, "missing.yml"), 100); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: got %v, want fs.ErrNotExist (optional files give it a meaning)", err)
	}
	link := filepath.Join(dir, "link.yml")
	if err := os.Symlink("big.yml", link); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(link, 1000); err != nil || len(data) != 101 {
		t.Errorf("a link to a regular file is read: %d bytes, %v", len(data), err)
	}
}

func TestReadUnreadableFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret.yml")
	if err := os.WriteFile(p, []byte("x: 1\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(p); err == nil {
		f.Close()
		t.Skip("this process reads files whatever their mode (root): tests/filesystem_test.go runs the host as nobody instead")
	}
	if _, err := Read(p, 100); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("got %v, want a permission error", err)
	}
}

// TestReadRacingWriter: a writer rewrites a file in place, truncating it
// and writing it back in pieces, while Read reads it. Every read returns
// one whole version or ErrChanged, never a mix or a truncated file.
func TestReadRacingWriter(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rule.yml")
	versions := [][]byte{bytes.Repeat([]byte("a: 1\n"), 20000), bytes.Repeat([]byte("bb: 22\n"), 15000)}
	if err := os.WriteFile(p, versions[0], 0o644); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	last := versions[0]     // the version the writer wrote last, once it has stopped
	var stalled atomic.Bool // a rewrite left the file incomplete for Settle: see fixture.RewriteInPlace
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			last = versions[i%2]
			took, err := fixture.RewriteInPlace(p, inPieces(last, 4096))
			if err != nil {
				t.Error(err)
				return
			}
			if took >= Settle/2 {
				stalled.Store(true)
			}
		}
	}()
	var whole, changed, torn int
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		data, err := Read(p, 1<<20)
		switch {
		case errors.Is(err, ErrChanged):
			changed++
		case err != nil:
			t.Fatal(err)
		case bytes.Equal(data, versions[0]) || bytes.Equal(data, versions[1]):
			whole++
		default:
			torn++
		}
	}
	close(stop)
	wg.Wait()
	if torn > 0 && !stalled.Load() {
		t.Fatalf("%d torn read(s) returned, and no rewrite looked settled (fixture.RewriteInPlace)", torn)
	}
	t.Logf("%d whole reads, %d reads refused as changed", whole, changed)
	if changed == 0 {
		t.Error("no read saw the writer: the test did not race")
	}
	// Once the writer is done, the next read returns its last version.
	if data, err := Read(p, 1<<20); err != nil || !bytes.Equal(data, last) {
		t.Errorf("after the writer stopped: %d bytes, %v; want its last version (%d bytes)", len(data), err, len(last))
	}
}

// inPieces cuts data into pieces of n bytes, written one write each.
func inPieces(data []byte, n int) []string {
	var pieces []string
	for len(data) > 0 {
		k := min(len(data), n)
		pieces = append(pieces, string(data[:k]))
		data = data[k:]
	}
	return pieces
}

// TestOpenDirOpensOnlyDirectories: a path that is no longer a directory
// (a pipe put in its place) is refused at once, not opened.
func TestOpenDirOpensOnlyDirectories(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "was-a-dir")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, func() {
		if f, err := OpenDir(fifo); err == nil {
			f.Close()
			t.Error("OpenDir opened a named pipe")
		}
	})
}
