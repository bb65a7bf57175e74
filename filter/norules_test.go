package filter

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// TestNoRulesErrorSaysWhy: when nothing loads, the error names where the
// rules came from and why none is left: the selection, or the skip reasons.
func TestNoRulesErrorSaysWhy(t *testing.T) {
	dir := t.TempDir()
	expand := "title: t\nid: x\nlogsource: {product: windows}\ndetection:\n  s: {Image|expand: '%missing%'}\n  condition: s\n"
	if err := os.WriteFile(filepath.Join(dir, "expand.yml"), []byte(expand), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		cfg  Config
		want []string
	}{
		"selection leaves nothing": {
			Config{Rules: rules.Options{MinLevel: rules.LevelCritical}},
			[]string{"from the embedded default rule: 1 file(s) read, 1 rule(s) left out by the selection"},
		},
		"rule needs a placeholder": {
			Config{RulePaths: []string{dir}},
			[]string{"from " + dir + ": 1 file(s) read, 1 rule(s) or file(s) skipped: 1: ", "missing", "(the first: rules: " + filepath.Join(dir, "expand.yml")},
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg)
			var nr *NoRulesError
			if !errors.As(err, &nr) || !errors.Is(err, rules.ErrNoRules) {
				t.Fatalf("got %v, want a *NoRulesError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
