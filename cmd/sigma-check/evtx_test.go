package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx/evtxtest"
)

// writeEvtx writes Sysmon image loads, the first an unsigned .node load
// the default rule matches, as an .evtx file (named name, in dir).
func writeEvtx(t *testing.T, dir, name string) string {
	t.Helper()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var events []evtxtest.Event
	for i, img := range []string{`C:\x\keymapping.node`, `C:\Windows\System32\kernelbase.dll`, `C:\y\other.node`} {
		events = append(events, evtxtest.Event{RecordID: uint64(100 + i), Time: t0.Add(time.Duration(i) * time.Minute),
			Provider: "Microsoft-Windows-Sysmon", EventID: 7, Qualifiers: -1, Level: 4,
			Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ws1",
			Data: []evtxtest.Data{evtxtest.D("Image", `C:\app\slack.exe`), evtxtest.D("ImageLoaded", img),
				evtxtest.D("Signed", map[bool]string{true: "true", false: "false"}[i == 1]),
				evtxtest.D("SignatureStatus", "Valid")}})
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, evtxtest.Write(events), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvtxOutputs(t *testing.T) {
	dir := t.TempDir()
	path := writeEvtx(t, dir, "a.evtx")
	code, out, errOut := runCheck(t, "", dir)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"ImageLoaded":"C:\\x\\keymapping.node"`) {
		t.Fatalf("jsonl: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, path+": 3 event(s), 0 unreadable record(s)") {
		t.Errorf("report: %s", errOut)
	}
	code, out, _ = runCheck(t, "", "-output", "csv", path)
	want := "time,file,record,rule_id,title,level\n" +
		"2026-11-25T10:00:00.000000Z," + path + ",100,e5f5c693-52d7-4de5-88ae-afbfbce85595,Unsigned .node File Loaded,medium\n" +
		"2026-11-25T10:02:00.000000Z," + path + ",102,e5f5c693-52d7-4de5-88ae-afbfbce85595,Unsigned .node File Loaded,medium\n"
	if code != 0 || out != want {
		t.Errorf("csv: exit %d\n%s", code, out)
	}
	code, out, _ = runCheck(t, "", "-summary", path, samples)
	if code != 0 || !strings.Contains(out, `"hits":4,"first":"2026-11-25T10:00:00.000000Z","last":"2026-11-25T10:02:00.000000Z","files":["`+path+`","`+samples+`"]`) {
		t.Errorf("summary: exit %d\n%s", code, out)
	}
}

// TestEvtxStdin: stdin holding an .evtx file is read as one.
func TestEvtxStdin(t *testing.T) {
	data, err := os.ReadFile(writeEvtx(t, t.TempDir(), "b.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCheck(t, string(data), "-output", "csv")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(errOut, "stdin: 3 event(s)") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestEvtxBadFiles: a file that is not EVTX is reported and the next one
// read, with exit status 2 at the end (so that -fail-on-match over logs
// it could not read does not pass for clean), as is a missing argument;
// a file cut short is read up to the cut and its problem reported.
func TestEvtxBadFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a-bad.evtx"), []byte("MZ not a log"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a-cut.evtx"), []byte("ElfFile\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeEvtx(t, dir, "b-good.evtx")
	code, out, errOut := runCheck(t, "", dir, filepath.Join(dir, "gone.json"))
	if code != 2 || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "a-bad.evtx: evtx: not an EVTX file") ||
		!strings.Contains(errOut, "a-cut.evtx: ") || !strings.Contains(errOut, "gone.json") || !strings.Contains(errOut, "3 event(s), 2 matched") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestOutputFlag(t *testing.T) {
	if code, _, errOut := runCheck(t, "", "-output", "xml", samples); code != 2 || !strings.Contains(errOut, "want jsonl or csv") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestProgressOnTerminalOnly: the progress line is drawn on a terminal
// for large inputs and never otherwise (tests and pipes see none).
func TestProgressOnTerminalOnly(t *testing.T) {
	var buf strings.Builder
	p := newProgress(&buf, []string{samples})
	if p.w != nil {
		t.Fatal("progress on a non-terminal writer")
	}
	tty := &strings.Builder{}
	p = &progress{w: tty, files: 2, total: 100, start: time.Now().Add(-time.Second)}
	p.startFile("a.evtx", 50)
	for i := 0; i < 1024; i++ {
		p.event()
	}
	p.endFile()
	p.startFile("b.evtx", 50)
	for i := 0; i < 2048; i++ {
		p.event()
	}
	p.last = time.Time{}
	for i := 0; i < 1024; i++ {
		p.event()
	}
	p.clear()
	out := tty.String()
	if !strings.Contains(out, "\rsigma-check:   0% [1/2] a.evtx: 1024 event(s)") ||
		!strings.Contains(out, "\rsigma-check:  50% [2/2] b.evtx: 4096 event(s)") || !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("progress output %q", out)
	}
}
