package tests

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestReloadKeepsLastGoodRules: a hot reload whose rules fail to load (a
// broken rule with strict, an emptied rules directory) must not stop Fluent
// Bit. The new instance initialises, runs the rules the old one ran, says so
// at error level, and takes every other property from the new
// configuration.
func TestReloadKeepsLastGoodRules(t *testing.T) {
	chunk, want := mixedChunk(100)
	good, broken, empty := t.TempDir(), t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(good, "a.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	writeFile(t, filepath.Join(broken, "a.yml"), nodeRule("aaaaaaaa-0000-0000-0000-000000000001"))
	writeFile(t, filepath.Join(broken, "broken.yml"), "title: [oops")
	for name, reload := range map[string][]string{
		"strict and a broken rule": {"-R", "rules=" + broken, "-R", "strict=on"},
		"emptied rules directory":  {"-R", "rules=" + empty},
		"missing rules directory":  {"-R", "rules=" + filepath.Join(empty, "gone")},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"-p", "rules=" + good, "-r", "-R", "add_key=alerts"}, reload...)
			r := runHost(t, "v5.0.3", chunk, args...)
			if r.exit != 0 || fmt.Sprint(r.fields["init"]) != "[0 0]" {
				t.Fatalf("exit %d, inits %v; want both inits to succeed:\n%s", r.exit, r.fields["init"], r.stdout)
			}
			if !strings.Contains(r.stdout, "log: [error] [filter:sigma:sigma.0]") ||
				!strings.Contains(r.stdout, "running on the rules this filter ran before the reload (1 rule(s))") {
				t.Errorf("want an error saying the last good rules run:\n%s", r.stdout)
			}
			if !strings.Contains(r.stdout, "1 rule(s) loaded from before the reload (the last good rule set)") {
				t.Errorf("want the load summary to name the last good rule set:\n%s", r.stdout)
			}
			// The new add_key applies; the rules are the old ones.
			for i, ids := range decode(t, r.reloaded, "alerts") {
				if want[i] != (fmt.Sprint(ids) == "[aaaaaaaa-0000-0000-0000-000000000001]") {
					t.Errorf("after the reload, event %d: %v", i, ids)
				}
			}
		})
	}
}

// TestFirstStartStillFails: with no earlier instance there is nothing to
// fall back to, so a rule set that does not load fails the start.
func TestFirstStartStillFails(t *testing.T) {
	empty := t.TempDir()
	r := runHost(t, "v5.0.3", []byte{0x90}, "-p", "rules="+empty)
	if r.exit != 4 || r.field("init") != "-1" {
		t.Fatalf("exit %d init %q; want the first start to fail:\n%s", r.exit, r.field("init"), r.stdout)
	}
	if !strings.Contains(r.stdout, "no Sigma rule could be loaded from "+empty+": 0 file(s) read, no *.yml or *.yaml file found") {
		t.Errorf("want the reason in the error:\n%s", r.stdout)
	}
}

// TestReloadFallsBackByPosition: two sigma instances without an alias are
// told apart by their position in the configuration; when both rule sets
// fail to load at a reload, each runs on its own last good rules.
func TestReloadFallsBackByPosition(t *testing.T) {
	chunk, want := mixedChunk(100)
	first, second, empty := t.TempDir(), t.TempDir(), t.TempDir()
	idA, idB := "aaaaaaaa-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002"
	writeFile(t, filepath.Join(first, "a.yml"), nodeRule(idA))
	writeFile(t, filepath.Join(second, "b.yml"), nodeRule(idB))
	r := runHost(t, "v5.0.3", chunk, "-p", "rules="+first, "-2", "", "-P", "rules="+second,
		"-r", "-R", "rules="+empty, "-R2", "rules="+empty)
	if r.exit != 0 || fmt.Sprint(r.fields["init"]) != "[0 0 0 0]" {
		t.Fatalf("exit %d, inits %v; want four inits to succeed:\n%s", r.exit, r.fields["init"], r.stdout)
	}
	for name, tc := range map[string]struct {
		out []byte
		id  string
	}{"sigma.0": {r.reloaded, idA}, "sigma.1": {r.reloaded2, idB}} {
		for i, ids := range decode(t, tc.out, "sigma") {
			if want[i] != (fmt.Sprint(ids) == "["+tc.id+"]") {
				t.Errorf("%s after the reload, event %d: %v; want its own rule %s", name, i, ids, tc.id)
				break
			}
		}
	}
}
