package tests

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestThirdPartyLicenses: THIRD_PARTY_LICENSES, shipped in every release
// archive, lists exactly the modules built into the library and
// sigma-check, at the versions go.mod selects, none under the GPL family;
// and it is what internal/licenses generates today, so a dependency added
// or bumped without regenerating it fails here.
func TestThirdPartyLicenses(t *testing.T) {
	committed, err := os.ReadFile("../THIRD_PARTY_LICENSES")
	if err != nil {
		t.Fatal(err)
	}
	listed := licenseTable(t, string(committed))
	out, err := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}}{{end}}{{end}}",
		"../plugin", "../cmd/sigma-check").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	want := map[string]string{"Go": "-"}
	for _, line := range strings.Fields(strings.ReplaceAll(string(out), " ", "@")) {
		path, version, _ := strings.Cut(line, "@")
		want[path] = version
	}
	for path, version := range want {
		row, ok := listed[path]
		switch {
		case !ok:
			t.Errorf("%s %s is built into a shipped binary but not in THIRD_PARTY_LICENSES", path, version)
		case row[0] != version:
			t.Errorf("%s: THIRD_PARTY_LICENSES lists %s, the build uses %s", path, row[0], version)
		}
	}
	for path, row := range listed {
		if _, ok := want[path]; !ok {
			t.Errorf("THIRD_PARTY_LICENSES lists %s, which no shipped binary is built from", path)
		}
		if strings.Contains(strings.ToUpper(row[1]), "GPL") {
			t.Errorf("%s is under %s: the GPL family cannot ship", path, row[1])
		}
	}

	cmd := exec.Command("go", "run", "./internal/licenses", "-o", "-")
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	fresh, err := cmd.Output()
	if err != nil {
		t.Fatalf("internal/licenses: %v\n%s", err, stderr.String())
	}
	if !bytes.Equal(fresh, committed) {
		t.Errorf("THIRD_PARTY_LICENSES is stale: run go run ./internal/licenses -o THIRD_PARTY_LICENSES")
	}
}

// licenseTable reads the table at the top of THIRD_PARTY_LICENSES: module
// path -> [version, license]. Go's own entry is keyed "Go".
func licenseTable(t *testing.T, text string) map[string][2]string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "\nModule ")
	if !ok {
		t.Fatal("THIRD_PARTY_LICENSES has no table")
	}
	table, _, _ := strings.Cut(rest, "\n\n")
	rows := map[string][2]string{}
	for _, line := range strings.Split(table, "\n")[1:] {
		if after, ok := strings.CutPrefix(line, "Go (runtime and standard library)"); ok {
			line = "Go" + after
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("THIRD_PARTY_LICENSES: a table row without path, version and license: %q", line)
		}
		rows[f[0]] = [2]string{f[1], strings.Join(f[2:], " ")}
	}
	if len(rows) == 0 {
		t.Fatal("THIRD_PARTY_LICENSES: an empty table")
	}
	return rows
}
