package tests

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
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

// hostLimit bounds every host run in this file: a plugin that waits on the
// file system fails the test instead of hanging it.
const hostLimit = 30 * time.Second

// runHostWithin runs the v5.0.3 host on an empty chunk (init, one filter
// call, exit) and kills it after hostLimit. With asNobody, the host runs
// as user nobody (uid 65534), from copies of the host and the plugin that
// user can read.
func runHostWithin(t *testing.T, asNobody bool, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	host, plugin := hosts["v5.0.3"], pluginPath
	if asNobody {
		host, plugin = copyForNobody(t, dir, host), copyForNobody(t, dir, pluginPath)
	}
	in, out := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")
	if err := os.WriteFile(in, []byte{0x90}, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, host, append(append([]string{plugin}, args...), in, out)...)
	if asNobody {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the host was still running after %s and was killed; it printed:\n%s", hostLimit, stdout.String())
	}
	if stderr.Len() > 0 {
		t.Logf("host stderr: %s", stderr.String())
	}
	t.Logf("host ran %s", time.Since(start).Round(time.Millisecond))
	return hostResult(t, err, stdout.String(), out)
}

// copyForNobody copies file into dir, which it opens to all users.
func copyForNobody(t *testing.T, dir, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(file))
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	openToAll(t, dir)
	return dst
}

// openToAll lets every user into dir and its parent (t.TempDir makes both
// private) and write into dir.
func openToAll(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// wantInit checks the init result and that the log holds every text of
// want (the lines a user reads to act).
func wantInit(t *testing.T, r result, ok bool, want ...string) {
	t.Helper()
	if ok && (r.exit != 0 || r.field("init") != "0") {
		t.Errorf("exit %d init %q; want the instance to start:\n%s", r.exit, r.field("init"), r.stdout)
	}
	if !ok && (r.exit != 4 || r.field("init") != "-1") {
		t.Errorf("exit %d init %q; want init to fail:\n%s", r.exit, r.field("init"), r.stdout)
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("want the log to say %q:\n%s", w, r.stdout)
		}
	}
}

// TestInitSkipsWhatIsNotARegularFile: entries named like rules that are
// not regular files are skipped with a warning naming them, and the
// instance starts; with strict on it refuses to.
func TestInitSkipsWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	mkfifo(t, filepath.Join(dir, "x.yml"))
	l, err := net.Listen("unix", filepath.Join(dir, "s.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	symlink(t, "/dev/zero", filepath.Join(dir, "zero.yml"))

	r := runHostWithin(t, false, "-p", "rules="+dir)
	wantInit(t, r, true, "1 rule(s) loaded", "[warn] [filter:sigma:sigma.0] rule skipped: rules: "+dir+"/x.yml: a named pipe, not a regular file",
		"s.yml: a socket, not a regular file", "zero.yml: a character device, not a regular file", "rule files: 4 directory entries visited")

	r = runHostWithin(t, false, "-p", "rules="+dir, "-p", "strict=on")
	wantInit(t, r, false, "[error] [filter:sigma:sigma.0]", "3 rule(s) could not be loaded, the first: rules: "+dir+"/s.yml: a socket, not a regular file")
}

// TestInitFollowsDirectoryLinks: a link to another rule directory is
// followed and named in the load summary; link loops end.
func TestInitFollowsDirectoryLinks(t *testing.T) {
	root := t.TempDir()
	rulesDir, shared := filepath.Join(root, "rules"), filepath.Join(root, "shared")
	writeFile(t, filepath.Join(rulesDir, "a.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	writeFile(t, filepath.Join(shared, "b.yml"), nodeRule("bbbbbbbb-0000-0000-0000-000000000002"))
	symlink(t, shared, filepath.Join(rulesDir, "linked"))
	symlink(t, ".", filepath.Join(rulesDir, "loop"))
	symlink(t, "../rules", filepath.Join(shared, "back"))
	symlink(t, "self.yml", filepath.Join(rulesDir, "self.yml"))
	r := runHostWithin(t, false, "-p", "rules="+rulesDir)
	wantInit(t, r, true, "2 rule(s) loaded", "directory links followed: "+rulesDir+"/linked -> "+shared,
		"not walked twice: ", "self.yml: too many levels of symbolic links")
}

// TestInitRefusesOversizedTrees: a rules path over the walk's limits (a
// mistaken rules / does this) fails init promptly with the numbers.
func TestInitRefusesOversizedTrees(t *testing.T) {
	t.Run("entries", func(t *testing.T) {
		dir := fastTempDir(t)
		start := time.Now()
		for i := 0; i <= 100_000; i++ {
			if err := syscall.Mknod(filepath.Join(dir, fmt.Sprintf("%d.txt", i)), syscall.S_IFREG|0o644, 0); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("100,001 files made in %s", time.Since(start).Round(time.Millisecond))
		r := runHostWithin(t, false, "-p", "rules="+dir)
		wantInit(t, r, false, "rules: "+dir+": limit reached: more than 100000 directory entries visited")
	})
	t.Run("bytes", func(t *testing.T) {
		dir := t.TempDir()
		for i := 0; i < 257; i++ { // 257 files of 1 MiB, the most a file may hold (sparse: no disk used)
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%03d.yml", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(rules.MaxRuleFileSize); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		r := runHostWithin(t, false, "-p", "rules="+dir)
		wantInit(t, r, false, "rules: limit reached: more than 268435456 bytes of rule files read", "the limit is 256 MiB")
	})
}

// fastTempDir is a temporary directory in memory (/dev/shm) when there is
// one: making 100,001 files on a disk can take ten seconds, in tmpfs a
// fraction of one.
func fastTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "sigma-fs-test")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestInitFilePropertiesMustBeRegularFiles: placeholders and field_map
// naming a named pipe or a directory fail init with the property's name.
func TestInitFilePropertiesMustBeRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p.yml")
	mkfifo(t, fifo)
	r := runHostWithin(t, false, "-p", "placeholders="+fifo)
	wantInit(t, r, false, "placeholders: read "+fifo+": a named pipe, not a regular file")
	r = runHostWithin(t, false, "-p", "field_map="+dir)
	wantInit(t, r, false, "field_map: read "+dir+": a directory, not a regular file")
}

// TestInitSkipsUnreadableFile: a rule file the process may not read is
// skipped with its error and the rest load. Root reads any file, so as
// root the host runs as user nobody.
func TestInitSkipsUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	writeFile(t, filepath.Join(dir, "secret.yml"), nodeRule("bbbbbbbb-0000-0000-0000-000000000002"))
	if err := os.Chmod(filepath.Join(dir, "secret.yml"), 0); err != nil {
		t.Fatal(err)
	}
	asNobody := os.Geteuid() == 0
	if asNobody {
		openToAll(t, dir)
		if err := os.Chmod(filepath.Join(dir, "good.yml"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runHostWithin(t, asNobody, "-p", "rules="+dir)
	wantInit(t, r, true, "1 rule(s) loaded", "rule skipped: rules: "+dir+"/secret.yml: permission denied")
}

// TestRefreshRacingWriter: a writer rewrites the rule file in place, rule
// by rule, while refresh_interval polls it. No refresh swaps in part of a
// version; refreshes during the writes are refused as changed; once the
// writer stops, its last version is loaded.
func TestRefreshRacingWriter(t *testing.T) {
	version := func(prefix string) string {
		var docs []string
		for i := 0; i < 50; i++ {
			docs = append(docs, nodeRule(fmt.Sprintf("%s-0000-0000-0000-%012d", prefix, i)))
		}
		return strings.Join(docs, "---\n")
	}
	a, b := version("aaaaaaaa"), version("bbbbbbbb")
	dir := t.TempDir()
	p := filepath.Join(dir, "rules.yml")
	writeFile(t, p, a)
	chunk, want := mixedChunk(20)
	var stalled atomic.Bool // see fixture.RewriteInPlace
	r, second := runHostRefresh(t, chunk, 10, func() {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rewriteInPlace(t, p, []string{a, b}[i%2], &stalled)
			}
		}()
		time.Sleep(2500 * time.Millisecond) // two or three polls
		close(stop)
		wg.Wait()
		rewriteInPlace(t, p, b, &stalled)
	}, "-p", "rules="+dir, "-p", "refresh_interval=1")
	if r.exit != 0 || r.field("refresh_changed_output") != "yes" {
		t.Fatalf("exit %d, changed %q:\n%s", r.exit, r.field("refresh_changed_output"), r.stdout)
	}
	wantIDs := strings.Join(strings.Fields(strings.NewReplacer("\n", " ").Replace(idsIn(b))), " ")
	for i, ids := range decode(t, second, "sigma") {
		if got := strings.Join(ids, " "); want[i] != (got == wantIDs) {
			t.Fatalf("event %d after the refresh: %d ids; want all 50 of the last version", i, len(ids))
		}
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, "rules refreshed:") && !strings.Contains(line, "50 rule(s) loaded (1 file(s), 0 skipped)") && !stalled.Load() {
			t.Errorf("a refresh swapped in part of a version, and no rewrite looked settled (fixture.RewriteInPlace): %s", line)
		}
	}
	if !strings.Contains(r.stdout, "rules not refreshed: ") || !strings.Contains(r.stdout, "changed while being read") ||
		!strings.Contains(r.stdout, "trying again at the next poll") {
		t.Errorf("want the refreshes during the writes refused as changed:\n%s", r.stdout)
	}
}

// idsIn lists the rule ids of a rule file, one a line.
func idsIn(version string) string {
	var b strings.Builder
	for _, line := range strings.Split(version, "\n") {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			b.WriteString(id + "\n")
		}
	}
	return b.String()
}

// rewriteInPlace truncates p and writes data back one rule at a time, as
// an update written in place (cp, most scripts) does, and sets stalled when
// the file stayed incomplete for safefile.Settle.
func rewriteInPlace(t *testing.T, p, data string, stalled *atomic.Bool) {
	took, err := fixture.RewriteInPlace(p, strings.SplitAfter(data, "---\n"))
	if err != nil {
		t.Error(err)
	}
	if took >= safefile.Settle/2 {
		stalled.Store(true)
	}
}
