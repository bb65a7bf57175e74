package main

import (
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// TestInitLogsVersionLayoutAndRuleSet: the init line says which build,
// which config-map layout and which rule set are running. A test process
// has no Fluent Bit symbols, so the layout is the one before 5.0.3.
func TestInitLogsVersionLayoutAndRuleSet(t *testing.T) {
	_, report, err := rules.Default(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := &recorder{}
	if _, err := newInstance(log, "", props(nil)); err != nil {
		t.Fatal(err)
	}
	want := "; rule set " + report.Digest + "; fluent-bit-sigma " + release + " for Fluent Bit before 5.0.3 (96-byte config map entries)"
	if !strings.Contains(log.text(), want) {
		t.Errorf("the init line lacks %q:\n%s", want, log.text())
	}
}
