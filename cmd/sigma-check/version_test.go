package main

import (
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/version"
)

// TestVersion: -version prints the build's version on stdout and exits 0,
// whatever else is on the command line.
func TestVersion(t *testing.T) {
	code, out, errOut := runCheck(t, "", "-version", "-rules", "/nonexistent")
	if code != 0 || out != "sigma-check "+version.Version+"\n" || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and %q", code, out, errOut, "sigma-check "+version.Version+"\n")
	}
}
