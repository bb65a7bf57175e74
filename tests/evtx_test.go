package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx/evtxtest"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// evtxDir holds, in files/, .evtx files written by the project's
// test-only writer (internal/evtx/evtxtest) and, in out/, the golden
// output of sigma-check on them.
var evtxDir = filepath.Join("testdata", "evtx")

var evtxT0 = time.Date(2026, 11, 25, 10, 42, 7, 118000000, time.UTC)

// imageLoads are n Sysmon Event ID 7 events, every third an unsigned
// .node load the default rule matches, from record id first.
func imageLoads(n int, first uint64) []evtxtest.Event {
	var out []evtxtest.Event
	for i := 0; i < n; i++ {
		rec := fixture.BenignImageLoad(i + 1)
		if i%3 == 0 {
			rec = fixture.UnsignedNodeLoad(i + 1)
		}
		ev := evtxtest.Event{RecordID: first + uint64(i), Time: evtxT0.Add(time.Duration(i) * time.Second),
			Provider: "Microsoft-Windows-Sysmon", EventID: 7, Qualifiers: -1, Level: 4,
			Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "WKS-0142.corp.example.com", UserSID: "S-1-5-18"}
		for _, kv := range fixture.EventData(7, rec) {
			v := kv.V
			if n, ok := v.(int); ok {
				v = uint32(n)
			}
			ev.Data = append(ev.Data, evtxtest.D(kv.K, v))
		}
		out = append(out, ev)
	}
	return out
}

// evtxFiles are the test files by path under evtxDir: Sysmon image loads,
// events of the other layouts (Security with Qualifiers, classic unnamed
// data, arrays), a file cut inside its first chunk, one whose second
// chunk's header is corrupt, and one that is not an EVTX file at all.
func evtxFiles() map[string][]byte {
	truncated := evtxtest.Write(imageLoads(40, 1000))
	badChunk := evtxtest.Write(imageLoads(70, 2000))
	badChunk[evtx.FileHeaderSize+evtx.ChunkSize+300]++ // under the second chunk's header checksum
	return map[string][]byte{
		"sysmon-image-load.evtx":       evtxtest.Write(imageLoads(6, 1)),
		"logs/layouts.evtx":            evtxtest.Write(evtxtest.Sample(evtxT0)),
		"logs/truncated.evtx":          truncated[:evtx.FileHeaderSize+5000],
		"logs/nested/bad-chunk.evtx":   badChunk,
		"logs/nested/not-an-evtx.evtx": []byte("this is not an event log\n"),
	}
}

// evtxRuns are the sigma-check runs whose output is golden: name, args.
var evtxRuns = []struct {
	name string
	args []string
}{
	{"all.jsonl", []string{"-all"}},
	{"matches.csv", []string{"-output", "csv"}},
	{"summary.jsonl", []string{"-summary"}},
	{"summary.csv", []string{"-summary", "-output", "csv"}},
}

// TestEvtxGolden runs sigma-check over testdata/evtx/files (written by the
// test-only writer, checked to be what it writes) and compares its output
// and report with the golden files; -update rewrites both.
func TestEvtxGolden(t *testing.T) {
	for name, data := range evtxFiles() {
		path := filepath.Join(evtxDir, "files", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s differs from what the writer writes (run with -update): %v", path, err)
		}
	}
	bin := filepath.Join(t.TempDir(), "sigma-check")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/sigma-check").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, run := range evtxRuns {
		cmd := exec.Command(bin, append(run.args, filepath.Join(evtxDir, "files"))...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		// Exit status 2: the files hold one that is not EVTX, an input
		// sigma-check cannot read (the rest is read, as the goldens show).
		if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
			t.Fatalf("%s: %v, want exit status 2\n%s", run.name, err, stderr.String())
		}
		checkEvtxGolden(t, filepath.Join(evtxDir, "out", run.name), stdout.String())
		checkEvtxGolden(t, filepath.Join(evtxDir, "out", run.name+".stderr"), stderr.String())
	}
}

func checkEvtxGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, got)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", path, clip(got), clip(string(want)))
	}
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return strings.TrimSpace(s)
}
