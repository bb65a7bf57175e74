package filter

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// keywordFilter is a filter with one keyword rule: '4624', 'true' or '1.5'
// anywhere in the record.
func keywordFilter(t testing.TB) *Filter {
	t.Helper()
	src := []byte("title: kw\nid: k\nlogsource: {product: test}\ndetection:\n  kw: ['4624', 'true', '1.5']\n  condition: kw\n")
	set, report, err := rules.Compile([]rules.Source{{Name: "kw.yml", Data: src}}, rules.Options{})
	if err != nil || report.Loaded != 1 {
		t.Fatalf("Compile: %v, %+v", err, report)
	}
	return NewWithRules(Config{}, set, report)
}

func jsonChunk(t testing.TB, lines string) []byte {
	t.Helper()
	chunk, _, err := textevent.ReadEvents(strings.NewReader(lines), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return chunk
}

// TestKeywordsSeeNumbers: keywords apply "to the full log message"
// (sigma-rules-specification.md, "Lists"), so numbers and booleans are
// searched as the text a field comparison sees.
func TestKeywordsSeeNumbers(t *testing.T) {
	f := keywordFilter(t)
	for _, tc := range []struct {
		record string
		want   bool
	}{
		{`{"id":4624}`, true},
		{`{"a":{"b":[0,4624]}}`, true},
		{`{"ok":true}`, true},
		{`{"ratio":1.5}`, true},
		{`{"id":"4624"}`, true},
		{`{"id":4625,"ok":false,"ratio":1.25,"n":null}`, false},
	} {
		_, changed, err := f.Process(nil, jsonChunk(t, tc.record))
		if err != nil || changed != tc.want {
			t.Errorf("%s: got match %v (%v), want %v", tc.record, changed, err, tc.want)
		}
	}
}

// TestKeywordNumbersAllocateNothing pins the keyword walk over numbers,
// which formats each into the record's scratch, to zero allocations.
func TestKeywordNumbersAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	f := keywordFilter(t)
	chunk := jsonChunk(t, `{"id":4625,"big":18446744073709551615,"neg":-7,"f":3.25e-5,"ok":false,"nested":{"list":[1,2.5,-3,{"x":9007199254740993}]}}`)
	f.Process(nil, chunk) // warm the pools
	allocs := testing.AllocsPerRun(100, func() {
		if _, changed, _ := f.Process(nil, chunk); changed {
			t.Fatal("unexpected match")
		}
	})
	if allocs != 0 {
		t.Errorf("got %.1f allocations per record, want 0", allocs)
	}
}

// TestKeywordsGramFilter: long keywords, which the Set rules out from the
// record's raw bytes before walking its strings (rules.RawStrings), are
// still found in nested values, in any case, and where folding makes them.
func TestKeywordsGramFilter(t *testing.T) {
	// More rules than a small set has, so that the Set prefilters.
	srcs := []rules.Source{{Name: "kw.yml", Data: []byte("title: kw\nid: k\nlogsource: {product: test}\ndetection:\n  kw: ['sekurlsa::logonpasswords', 'gentilkiwi.com']\n  condition: kw\n")}}
	for i := range 20 {
		srcs = append(srcs, rules.Source{Name: fmt.Sprintf("f%d.yml", i), Data: []byte(fmt.Sprintf(
			"title: f%d\nid: f%d\nlogsource: {product: test}\ndetection:\n  sel: {Image|endswith: '\\\\tool%d.exe'}\n  condition: sel\n", i, i, i))})
	}
	set, report, err := rules.Compile(srcs, rules.Options{})
	if err != nil || report.Loaded != len(srcs) {
		t.Fatalf("Compile: %v, %+v", err, report)
	}
	f := NewWithRules(Config{}, set, report)
	for _, tc := range []struct {
		record string
		want   bool
	}{
		{`{"a":{"b":["x","mimikatz SEKURLSA::LogonPasswords exit"]}}`, true},
		{`{"u":"https://GentilKiwi.com/"}`, true},
		{`{"c":"se\u212Aurlsa::logonpasswords"}`, true}, // KELVIN SIGN folds to k
		{`{"c":"sekurlsa::logonpa\u017Fswords"}`, true}, // LONG S folds to s
		{`{"c":"sekurlsa::logon passwords","d":"gentilkiwi com"}`, false},
	} {
		_, changed, err := f.Process(nil, jsonChunk(t, tc.record))
		if err != nil || changed != tc.want {
			t.Errorf("%s: got match %v (%v), want %v", tc.record, changed, err, tc.want)
		}
	}
}
