// Command licenses writes THIRD_PARTY_LICENSES: every module built into the
// shipped binaries (the plugin library and sigma-check) with its license,
// and Go's own (its runtime and standard library are in both). Run from
// the repository root after a dependency change:
//
//	go run ./internal/licenses -o THIRD_PARTY_LICENSES
//
// It reads the license files from the module cache (go mod download), names
// each license from its text, and fails on a module without a license file
// or with a license it does not know or the project cannot ship: GPL, LGPL
// and AGPL. tests/licenses_test.go fails when the committed file is stale.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Shipped are the packages of the binaries in a release archive.
var Shipped = []string{"./plugin", "./cmd/sigma-check"}

// GoEntry is the entry of Go itself. It has no version: the file does
// not change with the toolchain's patch releases, which keep the license.
const GoEntry = "Go (runtime and standard library)"

// module is one entry of the file.
type module struct {
	Path, Version, Dir string
	License            string // SPDX expression
	Files              []string
}

func main() {
	out := flag.String("o", "THIRD_PARTY_LICENSES", "the file to write; - for stdout")
	flag.Parse()
	text, err := generate()
	if err == nil {
		if *out == "-" {
			_, err = os.Stdout.Write(text)
		} else {
			err = os.WriteFile(*out, text, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "licenses:", err)
		os.Exit(1)
	}
}

func generate() ([]byte, error) {
	mods, err := buildList()
	if err != nil {
		return nil, err
	}
	for i := range mods {
		if err := identify(&mods[i]); err != nil {
			return nil, err
		}
	}
	return render(mods)
}

// buildList returns the modules of the shipped packages, Go first, then
// the others in go list's (sorted) order.
func buildList() ([]module, error) {
	goroot, err := goCmd("env", "GOROOT")
	if err != nil {
		return nil, err
	}
	mods := []module{{Path: GoEntry, Dir: strings.TrimSpace(goroot)}}
	args := append([]string{"list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}"}, Shipped...)
	list, err := goCmd(args...)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(list, "\n") {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		if f[2] == "" {
			return nil, fmt.Errorf("licenses: %s %s is not in the module cache: run go mod download", f[0], f[1])
		}
		mods = append(mods, module{Path: f[0], Version: f[1], Dir: f[2]})
	}
	slices.SortFunc(mods[1:], func(a, b module) int { return strings.Compare(a.Path, b.Path) })
	return mods, nil
}

func goCmd(args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("licenses: go %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// licenseFiles are the names a module's license and notices go by, in the
// order they are printed.
var licenseFiles = []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING", "NOTICE", "PATENTS"}

// identify finds m's license files and names the license.
func identify(m *module) error {
	var text strings.Builder
	for _, name := range licenseFiles {
		data, err := os.ReadFile(filepath.Join(m.Dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("licenses: %s: %w", m.Path, err)
		}
		m.Files = append(m.Files, name)
		text.Write(data)
	}
	if len(m.Files) == 0 {
		return fmt.Errorf("licenses: %s %s has no license file (%s)", m.Path, m.Version, strings.Join(licenseFiles, ", "))
	}
	license, err := Classify(text.String())
	if err != nil {
		return fmt.Errorf("licenses: %s %s: %w", m.Path, m.Version, err)
	}
	m.License = license
	return nil
}
