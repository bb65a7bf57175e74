package evtx

import (
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// TestKeySetUnique: a repeated key gets the next free suffix, skipping
// the ones the map holds already, as evtx_dump writes them; and the n-th
// repeat tries one suffix, not n (thousands of attributes named alike).
func TestKeySetUnique(t *testing.T) {
	keys := newKeySet()
	keys.used["a_2"] = true // an element named so
	var got []string
	for _, k := range []string{"a", "a", "a", "b", "a", "a_1", "b"} {
		got = append(got, keys.unique(k))
	}
	if want := "a a_1 a_3 b a_4 a_1_1 b_1"; strings.Join(got, " ") != want {
		t.Errorf("keys %q, want %q", strings.Join(got, " "), want)
	}
	many := newKeySet()
	for range 10000 {
		many.unique("x")
	}
	if many.next["x"] != 10000 {
		t.Errorf("after 10,000 repeats the next suffix tried is %d, want 10000", many.next["x"])
	}
}

// TestReal32 reads a Real32 as its own shortest text, as evtx_dump writes
// it (0.1), in the event's value and in joined text alike.
func TestReal32(t *testing.T) {
	v, err := decodeFixed(typeReal32, []byte{0xcd, 0xcc, 0xcc, 0x3d})
	if err != nil {
		t.Fatal(err)
	}
	text, ok := msgpack.ScalarText(appendValue(nil, v), 0, nil)
	var sb strings.Builder
	appendString(&sb, v)
	if !ok || string(text) != "0.1" || sb.String() != "0.1" {
		t.Errorf("Real32 0.1 reads %q (%v) and joins as %q, want 0.1", text, ok, sb.String())
	}
}

// TestANSIStrings decodes AnsiStrings as Windows-1252, into UTF-8.
func TestANSIStrings(t *testing.T) {
	for in, want := range map[string]string{
		"plain":               "plain",
		"caf\xe9":             "café",
		"\x80 \x99 \x9f \xff": "€ ™ Ÿ ÿ",
		"\x81\x8d":            "\u0081\u008d",
	} {
		if got := decodeANSI([]byte(in)); got != want {
			t.Errorf("%q decodes to %q, want %q", in, got, want)
		}
	}
	v, err := decodeArray(typeAnsiString, []byte("a\x00caf\xe9\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range v.list() {
		got = append(got, e.s)
	}
	if strings.Join(got, "|") != "a|café" {
		t.Errorf("an AnsiString array reads %q, want a and café", got)
	}
}
