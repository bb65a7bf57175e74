package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPlaceholdersErrorsSayWhatIsExpected: a placeholders file of the
// wrong shape gets a message about YAML shapes, never a Go type.
func TestPlaceholdersErrorsSayWhatIsExpected(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"a list":         {"- a\n- b\n", "line 1: want a map of name: value or name: [values, ...], found a list"},
		"a scalar":       {"just text\n", "found a single value"},
		"nested map":     {"admins:\n  - {a: b}\n", "line 2: admins: want a list of values"},
		"map as a value": {"admins: {a: b}\n", "admins must be a value or a list"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.yml")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadPlaceholders(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "map[string]") {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestPlaceholdersAlias: a placeholder may name another's values by a
// YAML alias.
func TestPlaceholdersAlias(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yml")
	text := "admins: &a\n  - root\n  - admin\nsuperusers: *a\none: &o x\nsame: *o\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPlaceholders(path)
	if err != nil || strings.Join(p["superusers"], ",") != "root,admin" || strings.Join(p["same"], ",") != "x" {
		t.Errorf("got %v, %v", p, err)
	}
}

// TestExpandTooManyRefusedEarly: placeholders whose combinations pass the
// bound are refused before they are built (4,096 x 2,000 would take
// gigabytes), and the rule is skipped with the reason.
func TestExpandTooManyRefusedEarly(t *testing.T) {
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strings.Repeat("v", 64) + string(rune('a'+i%26))
		}
		return out
	}
	src := "title: t\nid: 00000000-0000-4000-8000-000000000e01\nlogsource: {product: windows}\n" +
		"detection:\n  sel: {User|expand: '%b%%a%'}\n  condition: sel\n" +
		"---\ntitle: other\nid: 00000000-0000-4000-8000-000000000e02\ndetection:\n  sel: {User: x}\n  condition: sel\n"
	opts := Options{Placeholders: map[string][]string{"a": many(2000), "b": many(4096)}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	set, report, err := Compile([]Source{{Name: "t.yml", Data: []byte(src)}}, opts)
	runtime.ReadMemStats(&after)
	if err != nil || set.Len() != 1 || len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Error(), "too many combinations") {
		t.Fatalf("set %v, report %+v, err %v; want the rule skipped for too many combinations", set, report, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("refusing took %d MiB", grew>>20)
	}
}

// TestPlaceholdersAliasesSpreadRefused: one list named by thousands of
// placeholders is refused, not expanded into millions of values.
func TestPlaceholdersAliasesSpreadRefused(t *testing.T) {
	text := "a: &a [" + strings.TrimSuffix(strings.Repeat("x,", 900), ",") + "]\n"
	for i := 0; i < 3000; i++ {
		text += fmt.Sprintf("p%d: *a\n", i)
	}
	path := filepath.Join(t.TempDir(), "p.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPlaceholders(path); err == nil || !strings.Contains(err.Error(), "once aliases are expanded") {
		t.Errorf("got %v, want the file refused", err)
	}
}
