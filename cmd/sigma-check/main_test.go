package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
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

// TestEventsBeforeAnError: events are checked as they are read, so the
// matches of those before a JSON error are written, whole, before
// sigma-check stops on it, naming the event.
func TestEventsBeforeAnError(t *testing.T) {
	data, err := os.ReadFile(samples)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCheck(t, string(data)+`{"EventID": 7, "Image": `)
	if code != 2 || !strings.Contains(errOut, "event 6") {
		t.Errorf("exit %d, %q; want 2 and an error at event 6", code, errOut)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasSuffix(out, "}\n") {
		t.Errorf("want the 2 matches before the error, whole:\n%s", out)
	}
}

func TestShapeFlags(t *testing.T) {
	line := `{"payload":"{\"EventID\":7,\"ImageLoaded\":\"C:\\\\x\\\\a.node\",\"Signed\":\"false\"}"}`
	for _, flag := range []string{"-text-key", "-json-key"} {
		if code, out, _ := runCheck(t, line, flag, "payload"); code != 0 || !strings.Contains(out, "e5f5c693") {
			t.Errorf("%s payload: exit %d, %q", flag, code, out)
		}
	}
	if code, out, _ := runCheck(t, line); code != 0 || out != "" {
		t.Errorf("without -text-key: exit %d, %q", code, out)
	}
	if code, _, errOut := runCheck(t, line, "-text-key", "payload", "-json-key", "payload"); code != 2 || !strings.Contains(errOut, "text_key and json_key are both set") {
		t.Errorf("-text-key and -json-key: exit %d, %q", code, errOut)
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

// TestPropertyFlags: every property that means something offline is a
// flag named after it, with the filter's default; the others are not; and
// the flag names sigma-check had before the table keep working.
func TestPropertyFlags(t *testing.T) {
	flags := flag.NewFlagSet("t", flag.ContinueOnError)
	propertyFlags(flags)
	for _, p := range filter.Properties {
		f := flags.Lookup(strings.ReplaceAll(p.Name, "_", "-"))
		switch {
		case p.Offline && f == nil:
			t.Errorf("property %s has no flag", p.Name)
		case p.Offline && f.DefValue != p.Default:
			t.Errorf("-%s: default %q, the filter's is %q", f.Name, f.DefValue, p.Default)
		case !p.Offline && f != nil:
			t.Errorf("property %s means nothing offline but has flag -%s", p.Name, f.Name)
		}
	}
	for _, name := range []string{"rules", "add-key", "json-key", "field-map", "format", "tag-key", "text-key", "min-level", "status",
		"include-tags", "exclude-tags", "rule-ids", "placeholders", "strict", "match-only"} {
		if flags.Lookup(name) == nil {
			t.Errorf("no flag -%s", name)
		}
	}
	for _, name := range []string{"refresh-interval", "stats-interval"} {
		if flags.Lookup(name) != nil {
			t.Errorf("flag -%s means nothing offline", name)
		}
	}
}

// TestSelectionFlags: the selection properties work as flags, booleans
// alone, and a bad value names the flag.
func TestSelectionFlags(t *testing.T) {
	if code, _, errOut := runCheck(t, "", "-min-level", "high", samples); code != 2 || !strings.Contains(errOut, "1 rule(s) left out by the selection") {
		t.Errorf("-min-level high (the only rule is medium): exit %d, %q", code, errOut)
	}
	if code, out, errOut := runCheck(t, "", "-all", "-match-only", "-rule-ids", "e5f5c693-52d7-4de5-88ae-afbfbce85595", samples); code != 0 ||
		strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "5 event(s), 2 matched") {
		t.Errorf("-all -match-only -rule-ids: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut := runCheck(t, "", "-status", "beta", samples)
	if code != 2 || !strings.HasPrefix(errOut, `sigma-check: invalid value "beta" for flag -status: "beta" is not a rule status`) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("-status beta: exit %d, want 2 and one line naming the flag: %q", code, errOut)
	}
}

// TestUsage: a wrong command line says why in one line; -h prints the
// flags and exits 0.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"-", "-"}, {"-rules"}} {
		code, _, errOut := runCheck(t, "", args...)
		if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "sigma-check: ") {
			t.Errorf("%q: exit %d, want 2 and one line saying why: %q", args, code, errOut)
		}
	}
	code, _, errOut := runCheck(t, "", "-h")
	if code != 0 || !strings.Contains(errOut, "usage: sigma-check") || !strings.Contains(errOut, "-text-key") {
		t.Errorf("-h: exit %d, %q", code, errOut)
	}
}

// TestSeveralInputs: files and directories are read in order, as one
// stream; a directory gives its event files, recursively, and nothing else.
func TestSeveralInputs(t *testing.T) {
	data, err := os.ReadFile(samples)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("a.json", lines[0]+lines[1])
	write("sub/b.jsonl", strings.Join(lines[2:4], ""))
	write("sub/deeper/c.NDJSON", lines[4])
	write("sub/info.yml", "not: events\n")
	write("sub/notes.txt", "not events")

	code, out, errOut := runCheck(t, "", "-all", filepath.Join(dir, "sub"), first)
	if code != 0 || !strings.Contains(errOut, "5 event(s), 2 matched") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Order: the directory's files (b.jsonl, then deeper/c.NDJSON), then a.json.
	var hosts []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		_, rest, _ := strings.Cut(l, `"ProcessId":`)
		pid, _, _ := strings.Cut(rest, ",")
		hosts = append(hosts, pid)
	}
	var want []string
	for _, l := range append(append(lines[2:4:4], lines[4]), lines[0], lines[1]) {
		_, rest, _ := strings.Cut(l, `"ProcessId":`)
		pid, _, _ := strings.Cut(rest, ",")
		want = append(want, pid)
	}
	if strings.Join(hosts, " ") != strings.Join(want, " ") {
		t.Errorf("events out of order: process ids %v, want %v", hosts, want)
	}

	if code, _, errOut := runCheck(t, lines[0], first, "-", samples); code != 0 || !strings.Contains(errOut, "8 event(s)") {
		t.Errorf("file, stdin, file: exit %d %q", code, errOut)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCheck(t, "", empty); code != 2 || !strings.Contains(errOut, "no event files") {
		t.Errorf("directory without events: exit %d %q", code, errOut)
	}
	bad := write("bad/x.json", lines[0]+`{"a": `+"\x1b]0;title\x07\n"+lines[1])
	if code, _, errOut := runCheck(t, "", first, bad); code != 2 || !strings.Contains(errOut, bad) || strings.ContainsAny(errOut, "\x1b\x07") {
		t.Errorf("a broken file: exit %d, want 2 and the file named, its control characters quoted: %q", code, errOut)
	}
	// The inputs after a broken one are read, and -summary counts every
	// event read before exit status 2.
	code, out, errOut = runCheck(t, "", "-summary", bad, first)
	if code != 2 || !strings.Contains(out, `"hits":2,`) || !strings.Contains(errOut, "3 event(s), 2 matched") {
		t.Errorf("after a broken file: exit %d, want 2, the summary and the total of both files:\n%s%s", code, out, errOut)
	}
}

// TestOpenErrorsGoOn: an input that cannot be opened is a problem of that
// input (the run goes on), not an output error (which stops it).
func TestOpenErrorsGoOn(t *testing.T) {
	f, err := filter.New(filter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	c := newChecker(f, &out, &errb, options{}, nil)
	if err := c.input(filepath.Join(t.TempDir(), "gone.json"), nil); err == nil || errors.As(err, new(errOutput)) {
		t.Errorf("open error %v: want an input's problem", err)
	}
}

// TestRulesWithoutIDs: rules without an id are told apart by title in
// CSV rows, levels and the summary; two sharing a title count as one.
func TestRulesWithoutIDs(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "r.yml")
	rule := func(title, level, word string) string {
		return "title: " + title + "\nlevel: " + level + "\nlogsource: {product: test}\ndetection:\n  s: {CommandLine|contains: " +
			word + "}\n  condition: s\n"
	}
	if err := os.WriteFile(rulesFile, []byte(rule("Low", "low", "dir")+"---\n"+rule("Critical", "critical", "whoami")+"---\n"+
		rule("Same", "high", "dir")+"---\n"+rule("Same", "high", "whoami")), 0o644); err != nil {
		t.Fatal(err)
	}
	in := `{"CommandLine": "dir"}` + "\n" + `{"CommandLine": "whoami"}` + "\n" + `{"CommandLine": "dir && whoami"}` + "\n"
	_, out, errOut := runCheck(t, in, "-rules", rulesFile, "-output", "csv")
	rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
	if len(rows) != 8 || strings.Count(out, ",Low,low") != 2 || strings.Count(out, ",Critical,critical") != 2 || strings.Count(out, ",Same,high") != 4 {
		t.Errorf("csv: want 8 rows, Low low and Critical critical twice each, Same four times:\n%s%s", out, errOut)
	}
	_, out, _ = runCheck(t, in, "-rules", rulesFile, "-summary")
	if !strings.Contains(out, `"title":"Same","level":"high","hits":4,`) || !strings.Contains(out, `"title":"Low","level":"low","hits":2,`) {
		t.Errorf("summary:\n%s", out)
	}
}

// TestOutputIsUTF8: text that is not UTF-8 is written as U+FFFD, so each
// line stays JSON a reader accepts.
func TestOutputIsUTF8(t *testing.T) {
	_, out, errOut := runCheck(t, "{\"EventID\": 1, \"Image\": \"who\xff\xfeami\"}\n", "-all")
	if !utf8.ValidString(out) || !strings.Contains(out, "who\uFFFD") {
		t.Errorf("output %q %s", out, errOut)
	}
}

// TestDirectoryInputsSkipPipes: a named pipe named like an event file in
// an input directory is not read (reading it would wait forever).
func TestDirectoryInputsSkipPipes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"EventID": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "b.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var code int
	var errOut string
	go func() {
		defer close(done)
		code, _, errOut = runCheck(t, "", dir)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sigma-check still reading after 10s: it opened the pipe")
	}
	if code != 0 || !strings.Contains(errOut, "1 event(s)") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}

// TestDirectoryLinks: a link to a directory, given or met in one, is
// walked like the directory, and each directory once (a link back up
// makes no loop).
func TestDirectoryLinks(t *testing.T) {
	root := t.TempDir()
	events := filepath.Join(root, "events")
	if err := os.MkdirAll(filepath.Join(events, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.json", "sub/b.json"} {
		if err := os.WriteFile(filepath.Join(events, name), []byte(`{"EventID": 1}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(root, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "c.json"), []byte(`{"EventID": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		filepath.Join(root, "link"):        events,
		filepath.Join(events, "more"):      other,
		filepath.Join(events, "sub", "up"): events,                       // a loop
		filepath.Join(events, "again"):     other,                        // a second way to other/
		filepath.Join(other, "back"):       filepath.Join(events, "sub"), // to a directory walked as it is
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := runCheck(t, "", filepath.Join(root, "link"))
	if code != 0 || !strings.Contains(errOut, "3 event(s)") {
		t.Errorf("exit %d, %q; want the 3 events of events/, its sub/ and the linked other/", code, errOut)
	}
}

// TestDirectoryDanglingLink: an event file in a directory that is a link
// to nothing is reported (exit 2) and the rest is read.
func TestDirectoryDanglingLink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"EventID": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone.json"), filepath.Join(dir, "b.json")); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCheck(t, "", dir)
	if code != 2 || !strings.Contains(errOut, "b.json") || !strings.Contains(errOut, "1 event(s)") {
		t.Errorf("exit %d, %q; want exit 2, b.json named, and a.json's event read", code, errOut)
	}
}

// TestBatchKey: with -batch-key a record holding a batch is checked event
// by event, as the filter splits it: each counts, and only the matching
// one is printed.
func TestBatchKey(t *testing.T) {
	batch := `{"source": "hub", "records": [{"EventID": 7, "ImageLoaded": "C:\\x\\a.node", "Signed": "false"}, {"EventID": 7, "ImageLoaded": "C:\\x\\b.dll", "Signed": "true"}]}`
	code, out, errOut := runCheck(t, batch, "-batch-key", "records")
	if code != 0 || !strings.Contains(errOut, "2 event(s), 1 matched") || strings.Count(out, "\n") != 1 ||
		!strings.Contains(out, `a.node`) || !strings.Contains(out, `"source":"hub"`) {
		t.Errorf("exit %d, %q, output %q; want the .node event alone, with the batch's source", code, errOut, out)
	}
	if code, _, errOut := runCheck(t, batch); code != 0 || !strings.Contains(errOut, "1 event(s), 0 matched") {
		t.Errorf("without -batch-key: exit %d, %q; want the batch as one unmatched event", code, errOut)
	}
}
