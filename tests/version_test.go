package tests

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// TestVersionVisible: the version is in the plugin's description (what
// fluent-bit -F sigma -h prints) and in the init log line, the same in
// both and, under make, the one make built; the line names the host's
// config-map layout and the embedded default's rule set digest.
func TestVersionVisible(t *testing.T) {
	_, report, err := rules.Default(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	description := regexp.MustCompile(`\(fluent-bit-sigma ([A-Za-z0-9._+-]+)\)`)
	chunk, _ := mixedChunk(10)
	for host, layout := range map[string]string{
		"v5.0.2": "Fluent Bit before 5.0.3 (96-byte config map entries)",
		"v5.0.3": "Fluent Bit 5.0.3 or later (104-byte config map entries)",
	} {
		r := runHost(t, host, chunk)
		m := description.FindStringSubmatch(r.field("plugin"))
		if r.exit != 0 || m == nil {
			t.Fatalf("%s: exit %d, description %q: want the version in it", host, r.exit, r.field("plugin"))
		}
		version := m[1]
		if want := os.Getenv("SIGMA_VERSION"); want != "" && version != want {
			t.Errorf("%s: description says version %s, make built %s", host, version, want)
		}
		want := "rule set " + report.Digest + "; fluent-bit-sigma " + version + " for " + layout
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%s: the init line lacks %q:\n%s", host, want, r.stdout)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	if !strings.Contains(text, "embedded default's is `"+report.Digest+"`") {
		t.Errorf("README.md does not give the default rule set's digest as %s", report.Digest)
	}
}
