package rules

import (
	"os"
	"path/filepath"
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
