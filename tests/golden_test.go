package tests

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/shapes")

// TestGoldenShapes runs, per record shape, a matching and a benign Sysmon
// Event ID 7 record (testdata/shapes/<shape>.in.jsonl) through the plugin
// in the host and compares the chunk it passes on, as JSON, with
// <shape>.out.jsonl: the first record enriched by the default rule, the
// second untouched. -update rewrites both files from the fixtures.
func TestGoldenShapes(t *testing.T) {
	dir := filepath.Join("testdata", "shapes")
	for _, sh := range fixture.Shapes {
		name := slug(sh.Name)
		t.Run(name, func(t *testing.T) {
			inPath, outPath := filepath.Join(dir, name+".in.jsonl"), filepath.Join(dir, name+".out.jsonl")
			if *update {
				var lines []string
				for _, rec := range []fixture.Map{fixture.UnsignedNodeLoad(1), fixture.BenignImageLoad(2)} {
					lines = append(lines, fixture.JSON(sh.Render(7, sysmon.Channel, sysmon.Provider, fixture.EventData(7, rec))))
				}
				writeFile(t, inPath, strings.Join(lines, "\n")+"\n")
			}
			chunk, _, _ := readEvents(t, inPath)
			r := runHost(t, "v5.0.3", chunk)
			if r.exit != 0 {
				t.Fatalf("host exit %d: %s", r.exit, r.stdout)
			}
			if len(r.out) == 0 {
				t.Fatal("nothing passed on")
			}
			checkGolden(t, outPath, r.out)
			ids := decode(t, r.out, "sigma")
			if len(ids) != 2 || len(ids[0]) != 1 || ids[1] != nil {
				t.Errorf("matches per record: %v, want the default rule on the first only", ids)
			}
		})
	}
}

// readEvents reads a JSON-lines file into a chunk of events stamped
// fixture.Epoch, and returns the file's text and the number of events.
func readEvents(t *testing.T, path string) (chunk, data []byte, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if chunk, n, err = textevent.ReadEvents(bytes.NewReader(data), fixture.Epoch); err != nil {
		t.Fatal(err)
	}
	return chunk, data, n
}

// checkGolden compares a chunk, as JSON lines, with the golden file at
// path (rewriting it first with -update) and returns the JSON.
func checkGolden(t *testing.T, path string, chunk []byte) string {
	t.Helper()
	got := chunkJSON(t, chunk)
	if *update {
		writeFile(t, path, got)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
	return got
}

// chunkJSON renders each event of a chunk as a JSON line.
func chunkJSON(t *testing.T, chunk []byte) string {
	var buf bytes.Buffer
	s := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 4096)
	for off := 0; off < len(chunk); {
		end, err := textevent.WriteMsgpack(s, chunk, off)
		if err != nil {
			t.Fatal(err)
		}
		s.WriteRaw("\n")
		off = end
	}
	s.Flush()
	return buf.String()
}

// slug turns a shape's name into a file name.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// TestGoldenLookalikes: records that resemble Sysmon Event ID 7 but are not
// (testdata/lookalikes.in.jsonl, one case per line, described in the
// README's "Record shapes") pass as documented; only the record with no
// logsource fields at all is judged on its fields and matches.
func TestGoldenLookalikes(t *testing.T) {
	inPath, outPath := filepath.Join("testdata", "lookalikes.in.jsonl"), filepath.Join("testdata", "lookalikes.out.jsonl")
	chunk, _, _ := readEvents(t, inPath)
	r := runHost(t, "v5.0.3", chunk)
	checkGolden(t, outPath, r.out)
	ids := decode(t, r.out, "sigma")
	wantMatch := []bool{false, false, true, false, false}
	if len(ids) != len(wantMatch) {
		t.Fatalf("%d records out, want %d", len(ids), len(wantMatch))
	}
	for i, w := range wantMatch {
		if (ids[i] != nil) != w {
			t.Errorf("record %d: matches %v, want match=%v", i+1, ids[i], w)
		}
	}
}

// TestGoldenFormats runs the same records through the plugin in each output
// format (testdata/formats/input.jsonl: a matching flat record, a matching
// ECS record that already has rule.name, event and tags, a benign record)
// and compares with testdata/formats/<format>.out.jsonl. -update rewrites
// the outputs.
func TestGoldenFormats(t *testing.T) {
	dir := filepath.Join("testdata", "formats")
	chunk, data, n := readEvents(t, filepath.Join(dir, "input.jsonl"))
	if n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
	for _, tc := range []struct {
		format string
		args   []string
	}{
		{"sigma", nil},
		{"ecs", []string{"-p", "format=ecs"}},
		{"flat", []string{"-p", "format=flat", "-p", "tag_key=sigma_match"}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			r := runHost(t, "v5.0.3", chunk, tc.args...)
			if r.exit != 0 {
				t.Fatalf("exit %d: %s", r.exit, r.stdout)
			}
			got := checkGolden(t, filepath.Join(dir, tc.format+".out.jsonl"), r.out)
			lines := strings.Split(strings.TrimSpace(got), "\n")
			inLines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) != 3 || !strings.Contains(lines[2], strings.TrimSuffix(inLines[2], "}")) || len(lines[2]) > len(inLines[2])+40 {
				t.Errorf("the benign record must pass unchanged:\n%s", lines[len(lines)-1])
			}
		})
	}
}
