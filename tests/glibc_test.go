package tests

import (
	"debug/elf"
	"os"
	"strconv"
	"strings"
	"testing"
)

// glibcFloor is the oldest glibc the library supports, as the README's
// Installing section states: RHEL 8's, the oldest C library among the
// distributions Fluent Bit packages (Debian 11 and Ubuntu 20.04 have 2.31).
const glibcFloor = "2.28"

// TestGlibcFloor reads the symbol versions the library needs from the C
// library and fails when one is newer than glibcFloor: a build that binds
// a newer symbol (see plugin/glibc_compat.c) would not load on the older
// supported distributions.
func TestGlibcFloor(t *testing.T) {
	f, err := elf.Open(pluginPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	needs, err := f.DynamicVersionNeeds()
	if err != nil {
		t.Fatal(err)
	}
	floor := parseGlibc(t, glibcFloor)
	highest, seen := "", 0
	for _, lib := range needs {
		for _, dep := range lib.Needs {
			v, ok := strings.CutPrefix(dep.Dep, "GLIBC_")
			if !ok || strings.HasPrefix(v, "PRIVATE") {
				continue
			}
			seen++
			if compareGlibc(parseGlibc(t, v), floor) > 0 {
				t.Errorf("%s needs %s from %s, newer than the floor GLIBC_%s", pluginPath, dep.Dep, lib.Name, glibcFloor)
			}
			if highest == "" || compareGlibc(parseGlibc(t, v), parseGlibc(t, highest)) > 0 {
				highest = v
			}
		}
	}
	if seen == 0 {
		t.Fatalf("%s needs no GLIBC_ version: not a glibc build?", pluginPath)
	}
	t.Logf("%s (%s): highest GLIBC_ version needed %s, floor %s", pluginPath, f.Machine, highest, glibcFloor)

	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "glibc "+glibcFloor+" or later") {
		t.Errorf("README.md does not state the floor as %q", "glibc "+glibcFloor+" or later")
	}
}

// parseGlibc splits a glibc version such as 2.3.2 into its numbers.
func parseGlibc(t *testing.T, v string) []int {
	t.Helper()
	var out []int
	for _, part := range strings.Split(v, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			t.Fatalf("glibc version %q: %v", v, err)
		}
		out = append(out, n)
	}
	return out
}

func compareGlibc(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func TestCompareGlibc(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{{"2.3.2", "2.28", -1}, {"2.34", "2.28", 1}, {"2.28", "2.28", 0}, {"2.2.5", "2.17", -1}, {"2.28.0", "2.28", 0}} {
		got := compareGlibc(parseGlibc(t, c.a), parseGlibc(t, c.b))
		if (got > 0) != (c.sign > 0) || (got < 0) != (c.sign < 0) {
			t.Errorf("compare(%s, %s) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
}
