// Package tests holds the end-to-end tests: build/flb-filter_sigma.so
// loaded by tests/host/host.c, a small program that loads the library the
// way Fluent Bit does (see its header comment). Set SIGMA_PLUGIN to test a
// given build; otherwise the tests build the plugin themselves.
package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

var (
	pluginPath string
	// hosts pretending to be Fluent Bit before v5.0.3 (96-byte config map
	// entries) and from v5.0.3 on (104 bytes).
	hosts = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sigma-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := setup(dir); err != nil {
			fmt.Fprintln(os.Stderr, "e2e setup:", err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

func setup(dir string) error {
	pluginPath = os.Getenv("SIGMA_PLUGIN")
	if pluginPath == "" && os.Getenv("SIGMA_HOST_RUNNER") != "" {
		return fmt.Errorf("SIGMA_HOST_RUNNER needs SIGMA_PLUGIN, the library built for the runner (make test-arm64 sets both)")
	}
	if pluginPath == "" {
		pluginPath = filepath.Join(dir, "flb-filter_sigma.so")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", pluginPath, "../plugin")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the plugin: %v\n%s", err, out)
		}
	}
	if filepath.Base(pluginPath) != "flb-filter_sigma.so" {
		return fmt.Errorf("SIGMA_PLUGIN must name a file called flb-filter_sigma.so, got %s", pluginPath)
	}
	for name, flags := range map[string][]string{"v5.0.2": nil, "v5.0.3": {"-DHOST_V503"}} {
		hosts[name] = filepath.Join(dir, "host-"+name)
		if err := buildHost(hosts[name], flags); err != nil {
			return err
		}
	}
	return nil
}

// buildHost compiles tests/host/host.c into path with SIGMA_HOST_CC (cc by
// default). With SIGMA_HOST_RUNNER set (make test-arm64: "qemu-aarch64 -L
// /usr/aarch64-linux-gnu"), the host is built for the library's
// architecture and path is a script that runs it under the runner, so
// every test runs it as it would a native host.
func buildHost(path string, flags []string) error {
	cc, runner := os.Getenv("SIGMA_HOST_CC"), os.Getenv("SIGMA_HOST_RUNNER")
	if cc == "" {
		cc = "cc"
	}
	bin := path
	if runner != "" {
		bin = path + ".bin"
	}
	args := append([]string{"-O1", "-Wall", "-Werror", "-rdynamic", "-o", bin, "host/host.c"}, flags...)
	args = append(args, "-ldl", "-lpthread")
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("building the host with %s: %v\n%s", cc, err, out)
	}
	if runner == "" {
		return nil
	}
	// The tests that run the host as user nobody copy the script, not the
	// binary: the binary's directory must be open to them.
	if err := os.Chmod(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	script := fmt.Sprintf("#!/bin/sh\nexec %s '%s' \"$@\"\n", runner, bin)
	return os.WriteFile(path, []byte(script), 0o755)
}

// result is what one host run printed.
type result struct {
	exit   int
	fields map[string][]string // "key: value" lines, by key
	stdout string
	out    []byte // the chunk passed downstream
	// reloaded is what the instance created by -r passed downstream;
	// reloaded2, what the second instance (-2) passed after the reload.
	reloaded, reloaded2 []byte
}

func (r result) field(key string) string {
	if v := r.fields[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func runHost(t *testing.T, version string, chunk []byte, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")
	if err := os.WriteFile(in, chunk, 0o644); err != nil {
		t.Fatal(err)
	}
	argv := append(append([]string{pluginPath}, args...), in, out)
	cmd := exec.Command(hosts[version], argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if stderr.Len() > 0 {
		t.Logf("host stderr: %s", stderr.String())
	}
	return hostResult(t, err, stdout.String(), out)
}

// hostResult reads what a finished host run printed and wrote to out.
func hostResult(t *testing.T, err error, stdout, out string) result {
	t.Helper()
	r := result{fields: map[string][]string{}, stdout: stdout}
	if ee, ok := err.(*exec.ExitError); ok {
		r.exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("host: %v", err)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			r.fields[k] = append(r.fields[k], v)
		}
	}
	r.out, _ = os.ReadFile(out)
	r.reloaded, _ = os.ReadFile(out + ".reload")
	r.reloaded2, _ = os.ReadFile(out + ".reload2")
	return r
}

// nodeRule is a high rule matching every .node image load, with id.
func nodeRule(id string) string {
	return fmt.Sprintf("title: Rule %s\nid: %s\nstatus: test\nlevel: high\nlogsource: {product: windows, category: image_load}\n"+
		"detection:\n  sel: {ImageLoaded|endswith: .node}\n  condition: sel\n", id, id)
}

// mixedChunk returns n flat Event ID 7 records; every 10th matches.
func mixedChunk(n int) ([]byte, []bool) {
	var chunk []byte
	var want []bool
	for i := 0; i < n; i++ {
		body := fixture.BenignImageLoad(i)
		if i%10 == 0 {
			body = fixture.UnsignedNodeLoad(i)
		}
		chunk = fixture.Event(chunk, fixture.Time(fixture.Epoch), nil, body)
		want = append(want, i%10 == 0)
	}
	return chunk, want
}

// requireMatches requires the host run r to have exited 0 and passed on
// a record per entry of want, each matching exactly its rule ids.
func requireMatches(t *testing.T, r result, want [][]string) {
	t.Helper()
	if r.exit != 0 {
		t.Fatalf("host exit %d: %s", r.exit, r.stdout)
	}
	got := decode(t, r.out, "sigma")
	if len(got) != len(want) {
		t.Fatalf("%d records passed on, want %d", len(got), len(want))
	}
	for i := range got {
		slices.Sort(got[i])
		w := slices.Sorted(slices.Values(want[i]))
		if !slices.Equal(got[i], w) {
			t.Errorf("record %d: matched %v, want %v", i+1, got[i], w)
		}
	}
}

// defaultRuleID is the embedded default rule's id.
const defaultRuleID = "e5f5c693-52d7-4de5-88ae-afbfbce85595"

// matchesOf is what requireMatches wants of mixedChunk's records: id on
// those that match, nothing on the others.
func matchesOf(want []bool, id string) [][]string {
	ids := make([][]string, len(want))
	for i, w := range want {
		if w {
			ids[i] = []string{id}
		}
	}
	return ids
}

// decode reads a chunk with fluent-bit-go's decoder and returns, per
// event, the rule IDs under key (nil when the key is absent).
func decode(t *testing.T, chunk []byte, key string) [][]string {
	t.Helper()
	if len(chunk) == 0 {
		return nil
	}
	dec := output.NewDecoder(unsafe.Pointer(&chunk[0]), len(chunk))
	var events [][]string
	for {
		ret, _, rec := output.GetRecord(dec)
		if ret == -1 {
			return events
		}
		if ret != 0 {
			t.Fatalf("fluent-bit-go decoder: %d after %d events", ret, len(events))
		}
		var ids []string
		for k, v := range rec {
			if fmt.Sprint(k) != key {
				continue
			}
			ids = []string{}
			for _, m := range v.(map[any]any)["matches"].([]any) {
				id := m.(map[any]any)["id"]
				if b, ok := id.([]byte); ok {
					id = string(b)
				}
				ids = append(ids, fmt.Sprint(id))
			}
		}
		events = append(events, ids)
	}
}

func TestLoadsLikeFluentBit(t *testing.T) {
	chunk, want := mixedChunk(1000)
	for _, version := range []string{"v5.0.2", "v5.0.3"} {
		t.Run(version, func(t *testing.T) {
			r := runHost(t, version, chunk)
			if r.exit != 0 {
				t.Fatalf("host exited %d:\n%s", r.exit, r.stdout)
			}
			if !strings.HasPrefix(r.field("plugin"), "sigma ") || r.field("map_entries") != strconv.Itoa(len(filter.Properties)) {
				t.Errorf("registration: plugin %q, %s config map entries; want sigma and %d", r.field("plugin"), r.field("map_entries"), len(filter.Properties))
			}
			maps := strings.Join(r.fields["map"], "\n")
			for _, name := range []string{"0 rules []", "0 add_key [sigma]", "3 match_only [off]", "0 status [stable,test,experimental]", "3 strict [off]"} {
				if !strings.Contains(maps, name) {
					t.Errorf("config map read at %s's entry size lacks %q:\n%s", version, name, maps)
				}
			}
			if r.field("init") != "0" || r.field("filter") != fmt.Sprintf("modified %d", len(r.out)) {
				t.Errorf("init %q, filter %q", r.field("init"), r.field("filter"))
			}
			requireMatches(t, r, matchesOf(want, defaultRuleID))
			if !strings.Contains(r.stdout, "log: [info] [filter:sigma:sigma.0] 1 rule(s) loaded from the embedded default rule") {
				t.Errorf("missing the init log line:\n%s", r.stdout)
			}
		})
	}
}

func TestNoMatchPassesChunkUntouched(t *testing.T) {
	chunk := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, fixture.BenignImageLoad(1))
	r := runHost(t, "v5.0.3", chunk)
	if r.field("filter") != fmt.Sprintf("notouch %d", len(chunk)) || !bytes.Equal(r.out, chunk) {
		t.Errorf("filter %q; want notouch and the chunk unchanged", r.field("filter"))
	}
}

func TestUnknownPropertyIsRejected(t *testing.T) {
	r := runHost(t, "v5.0.3", []byte{0x90}, "-p", "rule=/etc/sigma")
	if r.exit != 3 || !strings.Contains(r.field("config_error"), "'rule'") {
		t.Errorf("exit %d, %q; want the typo rejected against the config map", r.exit, r.field("config_error"))
	}
}

func TestInitFailures(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yml")
	if err := os.WriteFile(broken, []byte("title: [oops"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		props []string
		log   string
	}{
		"missing path":  {[]string{"-p", "rules=/nonexistent/sigma"}, "/nonexistent/sigma"},
		"no rule loads": {[]string{"-p", "rules=" + broken}, "no Sigma rule could be loaded"},
		"bad boolean":   {[]string{"-p", "match_only=perhaps"}, "match_only"},
		"no workers":    {[]string{"-p", "workers=0"}, "workers"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runHost(t, "v5.0.3", []byte{0x90}, tc.props...)
			if r.exit != 4 || r.field("init") != "-1" {
				t.Errorf("exit %d init %q; want init to fail", r.exit, r.field("init"))
			}
			if !strings.Contains(r.stdout, "log: [error] [filter:sigma:sigma.0]") || !strings.Contains(r.stdout, tc.log) {
				t.Errorf("want an error log mentioning %q:\n%s", tc.log, r.stdout)
			}
		})
	}
}

func TestRulesPropertyAndSkippedRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "broken.yml"), "title: [oops")
	writeFile(t, filepath.Join(dir, "win", "node.yml"), `title: Any .node load
id: 11111111-2222-3333-4444-555555555555
status: test
level: high
tags: [attack.t1129]
logsource: {product: windows, category: image_load}
detection:
  sel: {ImageLoaded|endswith: .node}
  condition: sel
`)
	chunk, _ := mixedChunk(20)
	r := runHost(t, "v5.0.3", chunk, "-p", "rules="+dir, "-p", "add_key=detections")
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stdout)
	}
	if !strings.Contains(r.stdout, "log: [warn]") || !strings.Contains(r.stdout, "broken.yml") {
		t.Errorf("the broken rule should be logged with its file:\n%s", r.stdout)
	}
	got := decode(t, r.out, "detections")
	for i, ids := range got {
		if (i%10 == 0) != (len(ids) == 1 && ids[0] == "11111111-2222-3333-4444-555555555555") {
			t.Errorf("event %d: %v", i, ids)
		}
	}
}

func TestMatchOnly(t *testing.T) {
	chunk, _ := mixedChunk(100)
	r := runHost(t, "v5.0.3", chunk, "-p", "match_only=on")
	if got := decode(t, r.out, "sigma"); len(got) != 10 {
		t.Errorf("got %d events, want the 10 matches", len(got))
	}
	benign := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, fixture.BenignImageLoad(1))
	if r := runHost(t, "v5.0.3", benign, "-p", "match_only=on"); r.field("filter") != "modified 0" {
		t.Errorf("filter %q; want the whole chunk dropped", r.field("filter"))
	}
}

func TestMalformedChunkPassesThrough(t *testing.T) {
	good := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, fixture.UnsignedNodeLoad(1))
	chunk := append(append([]byte{}, good...), good[:len(good)/2]...)
	r := runHost(t, "v5.0.3", chunk)
	if r.exit != 0 || !bytes.HasSuffix(r.out, good[:len(good)/2]) || len(r.out) <= len(chunk) {
		t.Errorf("exit %d: want the match enriched and the truncated tail passed on", r.exit)
	}
	if !strings.Contains(r.stdout, "log: [warn] [filter:sigma:sigma.0] filter: malformed chunk at byte") {
		t.Errorf("want a warning:\n%s", r.stdout)
	}
}

func TestLogLevelIsRespected(t *testing.T) {
	r := runHost(t, "v5.0.3", []byte{0x90}, "-l", "2") // warn
	if strings.Contains(r.stdout, "[info]") || r.field("log_lines") != "error=0 warn=0 info=0" {
		t.Errorf("info logged at level warn:\n%s", r.stdout)
	}
}

func TestConcurrentFilterCalls(t *testing.T) {
	chunk, _ := mixedChunk(500)
	r := runHost(t, "v5.0.3", chunk, "-t", "8", "-n", "50")
	if r.exit != 0 || r.field("concurrent") != "8 threads x 50 rounds, 0 mismatches" {
		t.Errorf("exit %d, concurrent %q", r.exit, r.field("concurrent"))
	}
}

func TestReload(t *testing.T) {
	chunk, want := mixedChunk(100)
	for _, version := range []string{"v5.0.2", "v5.0.3"} {
		r := runHost(t, version, chunk, "-r")
		if r.exit != 0 || r.field("handlers_restored") != "yes" || r.field("reload_same_output") != "yes" {
			t.Errorf("%s: exit %d, handlers restored %q, same output %q:\n%s", version, r.exit,
				r.field("handlers_restored"), r.field("reload_same_output"), r.stdout)
		}
		if n := len(r.fields["init"]); n != 2 {
			t.Errorf("%s: %d inits, want 2", version, n)
		}
	}

	// A hot reload after the rules changed: the new instance runs the new
	// rules, and the old one has logged its exit summary (it was freed).
	before, after := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(before, "a.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	writeFile(t, filepath.Join(after, "b.yml"), nodeRule("bbbbbbbb-0000-0000-0000-000000000002"))
	r := runHost(t, "v5.0.3", chunk, "-p", "rules="+before, "-r", "-R", "rules="+after)
	if r.exit != 0 || r.field("reload_same_output") != "no" {
		t.Fatalf("exit %d, same output %q:\n%s", r.exit, r.field("reload_same_output"), r.stdout)
	}
	for i, ids := range decode(t, r.reloaded, "sigma") {
		if want[i] != (fmt.Sprint(ids) == "[bbbbbbbb-0000-0000-0000-000000000002]") {
			t.Errorf("after the reload, event %d: %v", i, ids)
		}
	}
	if n := strings.Count(r.stdout, `exit summary: records=100 matched=10 dropped=0 malformed_chunks=0 recovered_panics=0; rules matched: "Rule aaaaaaaa`); n != 1 {
		t.Errorf("want the old instance's exit summary once before the reload:\n%s", r.stdout)
	}
}

// TestBundledSamples runs conf/samples, what `make run` shows, through the
// plugin: the two unsigned .node loads match; the signed DLL, the filtered
// VS Code add-on and the Event ID 1 record do not.
func TestBundledSamples(t *testing.T) {
	data, err := os.ReadFile("../conf/samples/sysmon-image-load.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var chunk []byte
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		chunk = msgpack.AppendArrayHeader(chunk, 2)
		chunk = fixture.Encode(chunk, fixture.Time(fixture.Epoch))
		it := jsoniter.ParseString(jsoniter.ConfigDefault, line)
		if chunk, err = textevent.AppendJSONValue(chunk, it); err != nil {
			t.Fatal(err)
		}
	}
	r := runHost(t, "v5.0.3", chunk)
	got := decode(t, r.out, "sigma")
	want := []bool{true, false, false, true, false}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if (got[i] != nil) != want[i] {
			t.Errorf("sample %d: matches %v, want match=%v", i+1, got[i], want[i])
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runHostRefresh runs the host with -w: after its first filter call the
// test changes the rules with edit, then lets it filter again until the
// output changes (or wait seconds pass).
func runHostRefresh(t *testing.T, chunk []byte, wait int, edit func(), args ...string) (result, []byte) {
	t.Helper()
	dir := t.TempDir()
	in, out, goFile := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin"), filepath.Join(dir, "go")
	if err := os.WriteFile(in, chunk, 0o644); err != nil {
		t.Fatal(err)
	}
	argv := append(append([]string{pluginPath}, args...), "-w", goFile, "-d", strconv.Itoa(wait), in, out)
	cmd := exec.Command(hosts["v5.0.3"], argv...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ { // the first call is done when out.ready exists
		if _, err := os.Stat(out + ".ready"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	edit()
	writeFile(t, goFile, "")
	r := hostResult(t, cmd.Wait(), stdout.String(), out)
	second, _ := os.ReadFile(out + ".2")
	return r, second
}

func TestRuleRefresh(t *testing.T) {
	chunk, want := mixedChunk(30)
	args := func(dir string) []string {
		return []string{"-p", "rules=" + dir, "-p", "refresh_interval=1", "-p", "strict=on"}
	}

	// A new rule file: the next poll swaps in both rules.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	r, second := runHostRefresh(t, chunk, 10, func() {
		writeFile(t, filepath.Join(dir, "b.yml"), nodeRule("bbbbbbbb-0000-0000-0000-000000000002"))
	}, args(dir)...)
	if r.exit != 0 || r.field("refresh_changed_output") != "yes" {
		t.Fatalf("exit %d, changed %q:\n%s", r.exit, r.field("refresh_changed_output"), r.stdout)
	}
	for i, ids := range decode(t, second, "sigma") {
		if want[i] != (fmt.Sprint(ids) == "[aaaaaaaa-0000-0000-0000-000000000001 bbbbbbbb-0000-0000-0000-000000000002]") {
			t.Errorf("after refresh, event %d: %v", i, ids)
		}
	}
	if !strings.Contains(r.stdout, "rules refreshed: 2 rule(s) loaded") || !strings.Contains(r.stdout, "exit summary: records=") {
		t.Errorf("want the refresh and the exit summary logged:\n%s", r.stdout)
	}

	// A broken rule file (strict): the old rules stay, and the log says why.
	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	r, second = runHostRefresh(t, chunk, 3, func() {
		writeFile(t, filepath.Join(dir, "broken.yml"), "title: [oops")
	}, args(dir)...)
	if r.exit != 0 || r.field("refresh_changed_output") != "no" || !bytes.Equal(second, r.out) {
		t.Fatalf("exit %d, changed %q: the old rules should stay", r.exit, r.field("refresh_changed_output"))
	}
	if !strings.Contains(r.stdout, "rules not refreshed") || !strings.Contains(r.stdout, "broken.yml") ||
		!strings.Contains(r.stdout, "keeping the rules loaded before") {
		t.Errorf("want the failed refresh logged with the file:\n%s", r.stdout)
	}
}

// TestHostileChunks: through the C boundary, a record nested 100,000
// levels deep and a chunk of random bytes pass through and the host
// survives.
func TestHostileChunks(t *testing.T) {
	deep := msgpack.AppendArrayHeader(nil, 2)
	deep = fixture.Encode(deep, []any{fixture.Time(fixture.Epoch), fixture.Map{}})
	deep = msgpack.AppendMapHeader(deep, 2)
	deep = msgpack.AppendStr(deep, "EventID")
	deep = msgpack.AppendInt(deep, 7)
	deep = msgpack.AppendStr(deep, "deep")
	deep = append(deep, bytes.Repeat([]byte{0x91}, 100000)...)
	deep = msgpack.AppendStr(deep, "bottom")
	noise := make([]byte, 1<<16)
	for i := range noise {
		noise[i] = byte(i*7919 + i>>3)
	}
	for name, chunk := range map[string][]byte{"deep": deep, "noise": noise} {
		r := runHost(t, "v5.0.3", chunk)
		if r.exit != 0 || !bytes.Equal(r.out, chunk) {
			t.Errorf("%s: exit %d, output %d bytes of %d, unchanged=%v", name, r.exit, len(r.out), len(chunk), bytes.Equal(r.out, chunk))
		}
	}
}

// TestWorkersInHost: a chunk large enough to be cut for several
// goroutines (workers) comes out of the plugin byte for byte as with one,
// also while eight threads call the filter at once, each cutting its
// chunks.
func TestWorkersInHost(t *testing.T) {
	chunk, want := mixedChunk(3000)
	if len(chunk) < 256<<10 {
		t.Fatalf("chunk of %d bytes: too small to be cut", len(chunk))
	}
	one := runHost(t, "v5.0.3", chunk, "-p", "workers=1")
	many := runHost(t, "v5.0.3", chunk, "-p", "workers=4")
	if one.exit != 0 || many.exit != 0 || len(one.out) == 0 {
		t.Fatalf("exit %d and %d, %d bytes out", one.exit, many.exit, len(one.out))
	}
	// The start line says how many goroutines a chunk gets: the
	// property, at most the host's GOMAXPROCS (its CPUs, not this test's
	// -cpu).
	n := 0
	if i := strings.Index(many.stdout, " workers="); i >= 0 {
		fmt.Sscanf(many.stdout[i:], " workers=%d;", &n)
	}
	if !strings.Contains(one.stdout, " workers=1; ") || n < 1 || n > min(4, runtime.NumCPU()) {
		t.Errorf("the start log does not give the workers (%d):\n%s", n, many.stdout)
	}
	if n < 2 {
		t.Skipf("the host runs with workers=%d: this machine has one CPU for Go, and no chunk is cut", n)
	}
	if !bytes.Equal(one.out, many.out) {
		t.Fatal("workers 4 wrote another chunk than workers 1")
	}
	requireMatches(t, many, matchesOf(want, defaultRuleID))
	r := runHost(t, "v5.0.3", chunk, "-p", "workers=4", "-t", "8", "-n", "10")
	if r.exit != 0 || r.field("concurrent") != "8 threads x 10 rounds, 0 mismatches" {
		t.Errorf("exit %d, concurrent %q", r.exit, r.field("concurrent"))
	}
}
