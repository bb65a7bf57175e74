package rules

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDigest(t *testing.T) {
	rule := func(id, level string) string {
		return "title: R " + id + "\nid: " + id + "\nlevel: " + level + "\nlogsource: {product: windows, category: image_load}\n" +
			"detection:\n  sel: {ImageLoaded|endswith: .node}\n  condition: sel\n"
	}
	a, b := rule("a", "high"), rule("b", "low")
	compile := func(opts Options, srcs ...Source) string {
		t.Helper()
		_, report, err := Compile(srcs, opts)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		if len(report.Digest) != digestLen {
			t.Fatalf("digest %q: want %d hex digits", report.Digest, digestLen)
		}
		return report.Digest
	}
	base := compile(Options{}, Source{"x/a.yml", []byte(a)}, Source{"x/b.yml", []byte(b)})

	same := map[string]string{
		"other paths":      compile(Options{}, Source{"/etc/sigma/a.yml", []byte(a)}, Source{"/etc/sigma/b.yml", []byte(b)}),
		"other load order": compile(Options{}, Source{"x/b.yml", []byte(b)}, Source{"x/a.yml", []byte(a)}),
	}
	for name, d := range same {
		if d != base {
			t.Errorf("%s: digest %s, want %s as the same rules give", name, d, base)
		}
	}
	different := map[string]string{
		"a rule changed":       compile(Options{}, Source{"x/a.yml", []byte(a + "falsepositives: [none]\n")}, Source{"x/b.yml", []byte(b)}),
		"a rule removed":       compile(Options{}, Source{"x/a.yml", []byte(a)}),
		"selection drops one":  compile(Options{MinLevel: LevelHigh}, Source{"x/a.yml", []byte(a)}, Source{"x/b.yml", []byte(b)}),
		"both rules in a file": compile(Options{}, Source{"x/ab.yml", []byte(a + "---\n" + b)}),
	}
	for name, d := range different {
		if d == base {
			t.Errorf("%s: digest unchanged (%s)", name, d)
		}
	}
}

// TestDigestDefaultFromDisk: the embedded default and rules/default loaded
// from disk are the same rule set, so they log the same digest.
func TestDigestDefaultFromDisk(t *testing.T) {
	_, embedded, err := Default(Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names, _ := filepath.Glob("default/*.yml")
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, loaded, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if embedded.Digest != loaded.Digest || embedded.Digest == "" {
		t.Errorf("embedded default %q, the same file from disk %q: want equal", embedded.Digest, loaded.Digest)
	}
}
