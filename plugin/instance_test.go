package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefreshWarnsOfSkippedRules: a broken rule picked up by a refresh is
// logged at warn, as the first load logs it.
func TestRefreshWarnsOfSkippedRules(t *testing.T) {
	dir := ruleDir(t, "rule-a")
	log := &recorder{}
	inst, err := newInstance(log, "refresh-warn", props(map[string]string{"rules": dir}))
	if err != nil {
		t.Fatal(err)
	}
	defer inst.close()
	if err := os.WriteFile(filepath.Join(dir, "broken.yml"), []byte("title: [oops"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := inst.live.Refresh()
	if !changed || err != nil {
		t.Fatalf("refresh: changed %t, %v", changed, err)
	}
	inst.refreshed(nil, inst.live.Filter())
	inst.housekeeping()
	if !strings.Contains(log.text(), "warn: rules refreshed: 1 rule(s) loaded (2 file(s), 1 skipped); skipped: ") {
		t.Errorf("want the refresh with a skipped rule at warn:\n%s", log.text())
	}
}

// TestDeprecatedNameWarns: json_key still works, with a warning naming
// text_key.
func TestDeprecatedNameWarns(t *testing.T) {
	log := &recorder{}
	inst, err := newInstance(log, "deprecated", props(map[string]string{"json_key": "log"}))
	if err != nil {
		t.Fatal(err)
	}
	defer inst.close()
	if !strings.Contains(log.text(), "warn: json_key is deprecated: use text_key") {
		t.Errorf("no deprecation warning:\n%s", log.text())
	}
}
