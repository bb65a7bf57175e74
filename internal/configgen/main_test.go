package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
)

// TestGeneratedFileIsCurrent regenerates plugin/configmap.h in memory: the
// committed file must be what filter.Properties gives.
func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := generate(filter.Properties)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../plugin/configmap.h")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("plugin/configmap.h is not what filter.Properties generates: run go generate ./...")
	}
}

func TestCString(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:           `"plain"`,
		`a\. "b"`:         `"a\\. \"b\""`,
		"tab\there":       `"tab\011here"`,
		"caf\u00e9 1":     `"caf\303\251 1"`,
		"\x001":           `"\0001"`,
		"line\nnext line": `"line\012next line"`,
	} {
		if got := cString(in); got != want {
			t.Errorf("cString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	s := "Comma-separated keys whose string value may carry the event as JSON or Windows event XML; averyveryveryverylongwordwithoutanyspaceatallinsideitreally end"
	lines := wrap(s, 30)
	if strings.Join(lines, "") != s {
		t.Errorf("pieces do not give the text back: %q", lines)
	}
	for _, line := range lines {
		if len(line) > 30 && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("piece %q is over 30 bytes though it could be cut", line)
		}
	}
}

func TestUnknownType(t *testing.T) {
	if _, err := generate([]filter.Property{{Name: "x", Type: "int"}}); err == nil {
		t.Error("want an error for a type the config map does not know")
	}
}
