package filter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
)

// TestNewLiveOnRetries: a filter that fell back because an update was
// caught mid-write loads the files at the next poll even when they have
// not changed since; after any other failure it waits for a change.
func TestNewLiveOnRetries(t *testing.T) {
	last := newFilter(t, Config{})
	for name, tc := range map[string]struct {
		loadErr error
		want    bool
	}{
		"caught mid-write": {fmt.Errorf("filter: %w", safefile.ErrChanged), true},
		"broken":           {errors.New("filter: strict"), false},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.yml"), []byte(nodeRule("new-rule")), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := Config{RulePaths: []string{dir}, RefreshInterval: 24 * time.Hour}
			l, err := NewLiveOn(cfg, last, tc.loadErr, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			changed, err := l.Refresh()
			if err != nil || changed != tc.want {
				t.Fatalf("refresh: changed %t, %v; want changed %t", changed, err, tc.want)
			}
			if got := ruleIDs(l.Filter()) == "new-rule"; got != tc.want {
				t.Errorf("runs %s", ruleIDs(l.Filter()))
			}
		})
	}
}
