package tests

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// TestNoNetworkOrProcessCode: the plugin links no package that can open a
// connection or start a process.
func TestNoNetworkOrProcessCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../plugin").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := map[string]bool{"net": true, "net/http": true, "crypto/tls": true, "os/exec": true, "net/rpc": true, "plugin": true}
	for _, pkg := range strings.Fields(string(out)) {
		if forbidden[pkg] {
			t.Errorf("the plugin depends on %s", pkg)
		}
	}
}

// TestLogsCarryNoRecordContent: whatever is logged at info and above about
// records (matches, malformed chunks) says where, not what.
func TestLogsCarryNoRecordContent(t *testing.T) {
	const marker = "SECRET-MARKER-7f3a"
	rec := fixture.UnsignedNodeLoad(1).With("User", `CORP\`+marker)
	good := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, rec)
	chunk := append(append(append([]byte{}, good...), good...), good[:len(good)-3]...) // a truncated tail holding the marker
	r := runHost(t, "v5.0.3", chunk, "-p", "stats_interval=1")
	if !strings.Contains(r.stdout, "malformed chunk") || !strings.Contains(r.stdout, "exit summary") {
		t.Fatalf("expected a malformed-chunk warning and the exit summary:\n%s", r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "log:") && strings.Contains(line, marker) {
			t.Errorf("record content logged: %s", line)
		}
	}
}

// TestFileAndNetworkAccess runs the plugin in the host under strace: it
// opens only the files its properties name (and the system's libraries),
// creates no socket and starts no process. Skipped without strace.
func TestFileAndNetworkAccess(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed")
	}
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	writeFile(t, filepath.Join(rulesDir, "a.yml"), "title: t\nid: t\nlogsource: {product: windows, category: image_load}\n"+
		"detection:\n  s: {ImageLoaded|endswith: '%suffix%', Image|expand: '%apps%'}\n  condition: s\n")
	writeFile(t, filepath.Join(rulesDir, "b.yml"), "title: u\nid: u\nlogsource: {product: windows, category: image_load}\n"+
		"detection:\n  s: {ImageLoaded|endswith: .node}\n  condition: s\n")
	writeFile(t, filepath.Join(rulesDir, "c.yml"), "title: c\nid: c\ncorrelation:\n  type: event_count\n  rules: [u]\n"+
		"  group-by: [Image]\n  timespan: 1h\n  condition: {gte: 2}\n")
	state := filepath.Join(dir, "state")
	placeholders := filepath.Join(dir, "placeholders.yml")
	writeFile(t, placeholders, "apps: ['*\\slack.exe']\n")
	fieldMap := filepath.Join(dir, "map.yml")
	writeFile(t, fieldMap, "Image: proc.path\n")
	in, out, trace := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin"), filepath.Join(dir, "trace")
	chunk, _ := mixedChunk(20)
	if err := os.WriteFile(in, chunk, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-f", "-qq", "-e", "trace=open,openat,socket,connect,execve", "-o", trace, hosts["v5.0.3"], pluginPath,
		"-p", "rules=" + rulesDir, "-p", "placeholders=" + placeholders, "-p", "field_map=" + fieldMap,
		"-p", "refresh_interval=1", "-p", "state_file=" + state, in, out}
	if b, err := exec.Command(strace, args...).CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here: %v\n%s", err, b)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{dir, filepath.Dir(pluginPath), "/etc/ld.so", "/lib", "/usr/lib", "/lib64", "/proc/", "/sys/", "/dev/"}
	opened := regexp.MustCompile(`open(?:at)?\((?:AT_FDCWD, )?"([^"]+)"[^)]*\) = \d+`)
	execs, seen := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "socket(") || strings.Contains(line, "connect("):
			t.Errorf("network: %s", line)
		case strings.Contains(line, "execve("):
			if execs++; execs > 1 {
				t.Errorf("started a process: %s", line)
			}
		}
		if m := opened.FindStringSubmatch(line); m != nil {
			seen++
			// The one file the plugin writes: state_file, beside it its
			// lock and the temporary file it is renamed from. (The host
			// itself writes out.bin.)
			writes := strings.Contains(line, "O_WRONLY") || strings.Contains(line, "O_RDWR") || strings.Contains(line, "O_CREAT")
			if writes && !strings.HasPrefix(m[1], state) && m[1] != out && !strings.HasPrefix(m[1], "/dev/") {
				t.Errorf("opened for writing: %s", line)
			}
			ok := false
			for _, prefix := range allowed {
				ok = ok || strings.HasPrefix(m[1], prefix)
			}
			if !ok {
				t.Errorf("opened %s", m[1])
			}
		}
	}
	// The trace must have seen the plugin read its files at all.
	for _, want := range []string{"a.yml", "placeholders.yml", "map.yml", "flb-filter_sigma.so", state} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the trace does not show %s being opened", want)
		}
	}
	t.Logf("%d files opened, %d processes", seen, execs)
}
