package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
)

// TestIdentityAcrossReloads: instances are the same filter across a reload
// by alias, or without one by their position in the configuration; the
// positions restart once every instance of the old configuration exited.
func TestIdentityAcrossReloads(t *testing.T) {
	g := newLastGood(forgetAfter)
	first := []string{g.enter("sigma.0"), g.enter("windows"), g.enter("sigma.2")}
	for _, id := range first {
		g.started(id)
	}
	for _, id := range first {
		g.exited(id, nil)
	}
	// The reload adds an instance in front: aliases keep their identity.
	second := []string{g.enter("sigma.0"), g.enter("sigma.1"), g.enter("windows")}
	want := [][]string{
		{"position 0", "alias windows", "position 2"},
		{"position 0", "position 1", "alias windows"},
	}
	for i, got := range [][]string{first, second} {
		if strings.Join(got, ",") != strings.Join(want[i], ",") {
			t.Errorf("configuration %d: got %q, want %q", i, got, want[i])
		}
	}
}

// TestReloadFallsBackPerFilter: of two filters whose rules stop loading at
// a reload, each runs on its own last good rules, and a filter that never
// ran has nothing to fall back to.
func TestReloadFallsBackPerFilter(t *testing.T) {
	dirA, dirB := ruleDir(t, "rule-a"), ruleDir(t, "rule-b")
	run := func(alias, dir string) *instance {
		t.Helper()
		inst, err := newInstance(&recorder{}, alias, props(map[string]string{"rules": dir, "strict": "on"}))
		if err != nil {
			t.Fatalf("%s: %v", alias, err)
		}
		return inst
	}
	a, b := run("fallback-a", dirA), run("fallback-b", dirB)
	a.close()
	b.close()
	for _, dir := range []string{dirA, dirB} {
		if err := os.WriteFile(filepath.Join(dir, "broken.yml"), []byte("title: [oops"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The new configuration: every instance initialises before any exits.
	var reloaded []*instance
	defer func() {
		for _, inst := range reloaded {
			inst.close()
		}
	}()
	for alias, want := range map[string]string{"fallback-a": "rule-a", "fallback-b": "rule-b"} {
		log := &recorder{}
		inst, err := newInstance(log, alias, props(map[string]string{"rules": dirA, "strict": "on", "format": "flat"}))
		if err != nil {
			t.Fatalf("%s: %v", alias, err)
		}
		if got := inst.live.Filter().Rules().Rules()[0].ID; got != want {
			t.Errorf("%s runs %s, want its own last good rule %s", alias, got, want)
		}
		if !strings.Contains(log.text(), "error: filter: strict") || !strings.Contains(log.text(), "running on the rules this filter ran before") {
			t.Errorf("%s: want the load error and the fallback at error level:\n%s", alias, log.text())
		}
		reloaded = append(reloaded, inst)
	}
	if _, err := newInstance(&recorder{}, "fallback-new", props(map[string]string{"rules": dirA, "strict": "on"})); err == nil {
		t.Error("a filter that never ran loaded broken rules without error")
	}
}

func ruleDir(t *testing.T, id string) string {
	t.Helper()
	dir := t.TempDir()
	rule := "title: t\nid: " + id + "\nlogsource: {product: windows, category: image_load}\ndetection:\n  s: {ImageLoaded|endswith: .node}\n  condition: s\n"
	if err := os.WriteFile(filepath.Join(dir, "t.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestForgetsRemovedFilters: the rules of a filter no configuration has
// any more are held for one reload at most, not for the process's life.
func TestForgetsRemovedFilters(t *testing.T) {
	g := newLastGood(forgetAfter)
	f := &filter.Filter{}
	run := func(name string) {
		id := g.enter(name)
		g.started(id)
		g.exited(id, f)
	}
	run("gone")  // a configuration with the filter
	run("other") // a reload removes it: still there to fall back on
	if _, ok := g.last("alias gone"); !ok {
		t.Fatal("the filter of the configuration before is not remembered")
	}
	run("other") // the next reload forgets it
	if _, ok := g.last("alias gone"); ok {
		t.Error("a filter removed two reloads ago is still remembered")
	}
	if _, ok := g.last("alias other"); !ok {
		t.Error("the filter of the configuration before is not remembered")
	}
}

// TestRepeatedAliases: Fluent Bit lets two instances share an alias; they
// are two filters, each the same one across a reload by its place among
// the instances of that alias, and neither takes over what the other ran.
func TestRepeatedAliases(t *testing.T) {
	g := newLastGood(forgetAfter)
	a, b := &filter.Filter{}, &filter.Filter{}
	ids := []string{g.enter("sigma"), g.enter("sigma")}
	if ids[0] == ids[1] {
		t.Fatalf("two instances of one alias share the identity %q", ids[0])
	}
	if _, ok := g.last(ids[1]); ok {
		t.Error("the second instance of an alias finds a filter at the first start")
	}
	g.started(ids[0])
	g.started(ids[1])
	g.exited(ids[0], a)
	g.exited(ids[1], b)
	again := []string{g.enter("sigma"), g.enter("sigma")}
	for i, want := range []*filter.Filter{a, b} {
		if got, _ := g.last(again[i]); got != want {
			t.Errorf("after the reload, instance %d of the alias finds %p, want its own %p", i+1, got, want)
		}
	}
}

// TestForgetsWhenNoInstanceFollows: once every instance has exited and
// none starts (a reload removed every sigma filter), what they ran is let
// go after a while, not kept for the process's life; an instance entering
// in time keeps it.
func TestForgetsWhenNoInstanceFollows(t *testing.T) {
	g := newLastGood(20 * time.Millisecond)
	f := &filter.Filter{}
	id := g.enter("kept")
	g.started(id)
	g.exited(id, f)
	next := g.enter("kept") // a reload: in time
	if got, _ := g.last(next); got != f {
		t.Fatal("a reload within the delay lost the filter")
	}
	g.started(next)
	g.exited(next, f)
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		held := len(g.current) + len(g.previous)
		g.mu.Unlock()
		if held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d filters still held long after the last instance exited", held)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
