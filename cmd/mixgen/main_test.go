package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-n", "500", "-seed", "3", "-shape", "evtx"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 500 {
		t.Fatalf("got %d lines, want 500", len(lines))
	}
	for i, line := range lines {
		var ev struct {
			Event struct{ System map[string]any }
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Event.System["EventID"] == nil {
			t.Fatalf("line %d is not an evtx JSON event (%v): %.200s", i+1, err, line)
		}
	}
	var again bytes.Buffer
	run([]string{"-n", "500", "-seed", "3", "-shape", "evtx"}, &again, &errs)
	if again.String() != out.String() {
		t.Error("the same seed wrote different events")
	}
}

func TestRunRegression(t *testing.T) {
	dir := t.TempDir()
	event := `{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"regression-lab"},"EventData":{"Image":"C:\\x.exe"}}}`
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(event), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run([]string{"-n", "5000", "-regression", dir}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	// About 1% of 5,000, flat: the regression event's fields at the top level.
	if n := strings.Count(out.String(), `"Computer":"regression-lab"`); n < 20 || n > 100 {
		t.Errorf("got %d regression events in 5,000, want about 50", n)
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{{"-shape", "xml"}, {"-regression", "/nonexistent"}, {"extra"}, {"-n", "-1"}} {
		var out, errs bytes.Buffer
		if code := run(args, &out, &errs); code == 0 || errs.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want a failure with a message", args, code, errs.String())
		}
	}
}
