package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const samples = "../../conf/samples/sysmon-image-load.jsonl"

func runCheck(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSamples(t *testing.T) {
	code, out, errOut := runCheck(t, "", samples)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("exit %d, %d lines; want 0 and the 2 matches:\n%s%s", code, len(lines), out, errOut)
	}
	for _, l := range lines {
		if !strings.Contains(l, `"sigma":{"matches":[{"id":"e5f5c693-52d7-4de5-88ae-afbfbce85595"`) {
			t.Errorf("line lacks the match: %s", l)
		}
	}
	if !strings.Contains(errOut, "5 event(s), 2 matched, 1 rule(s)") {
		t.Errorf("summary: %q", errOut)
	}
	if code, out, _ := runCheck(t, "", "-all", samples); code != 0 || strings.Count(out, "\n") != 5 {
		t.Errorf("-all: exit %d, %d lines; want 5", code, strings.Count(out, "\n"))
	}
	if code, _, _ := runCheck(t, "", "-fail-on-match", samples); code != 1 {
		t.Errorf("-fail-on-match: exit %d, want 1", code)
	}
}

func TestInputForms(t *testing.T) {
	data, err := os.ReadFile(samples)
	if err != nil {
		t.Fatal(err)
	}
	objs := strings.Split(strings.TrimSpace(string(data)), "\n")
	for name, input := range map[string]string{
		"json lines":   string(data),
		"array":        "[" + strings.Join(objs, ",\n") + "]",
		"concatenated": strings.Join(objs, ""),
	} {
		code, out, errOut := runCheck(t, input, "-")
		if code != 0 || strings.Count(out, "\n") != 2 {
			t.Errorf("%s: exit %d, output %q %s", name, code, out, errOut)
		}
	}
}

func TestErrors(t *testing.T) {
	if code, _, errOut := runCheck(t, `{"a": `); code != 2 || errOut == "" {
		t.Errorf("truncated JSON: exit %d %q", code, errOut)
	}
	if code, _, _ := runCheck(t, `[1, 2]`); code != 2 {
		t.Errorf("non-object events: exit %d, want 2", code)
	}
	if code, _, _ := runCheck(t, "", "-rules", filepath.Join(t.TempDir(), "none"), samples); code != 2 {
		t.Errorf("missing rules: exit %d, want 2", code)
	}
	if code, _, _ := runCheck(t, "", "/nonexistent.json"); code != 2 {
		t.Errorf("missing input: exit %d, want 2", code)
	}
}

func TestShapeFlags(t *testing.T) {
	line := `{"payload":"{\"EventID\":7,\"ImageLoaded\":\"C:\\\\x\\\\a.node\",\"Signed\":\"false\"}"}`
	if code, out, _ := runCheck(t, line, "-json-key", "payload"); code != 0 || !strings.Contains(out, "e5f5c693") {
		t.Errorf("-json-key payload: exit %d, %q", code, out)
	}
	if code, out, _ := runCheck(t, line); code != 0 || out != "" {
		t.Errorf("without -json-key: exit %d, %q", code, out)
	}
	mapped := `{"evt":{"id":7},"module.path":"C:\\x\\a.node","Signed":"false"}`
	if code, out, _ := runCheck(t, mapped, "-field-map", "../../conf/field-map.yaml"); code != 0 || !strings.Contains(out, "e5f5c693") {
		t.Errorf("-field-map: exit %d, %q", code, out)
	}
	if code, _, errOut := runCheck(t, mapped, "-field-map", "/nonexistent.yaml"); code != 2 || !strings.Contains(errOut, "field_map") {
		t.Errorf("missing field map: exit %d, %q", code, errOut)
	}
}

func TestFormatFlags(t *testing.T) {
	code, out, _ := runCheck(t, "", "-format", "flat", "-tag-key", "hit", samples)
	if code != 0 || strings.Count(out, `"sigma_level":"medium"`) != 2 || strings.Count(out, `"hit":"true"`) != 2 {
		t.Errorf("-format flat: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCheck(t, "", "-format", "xml", samples); code != 2 || !strings.Contains(errOut, "format") {
		t.Errorf("-format xml: exit %d %q", code, errOut)
	}
}
