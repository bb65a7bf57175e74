package tests

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// TestShapesAgree renders every SigmaHQ regression event in every shape and
// requires the whole corpus to match the same rules in each.
func TestShapesAgree(t *testing.T) {
	dir := sigmaHQ(t)
	f := corpusFilter(t)
	var chunk []byte
	var names []string
	eachFlatRegressionEvent(dir, func(test string, flat map[string]string) {
		id, _ := strconv.Atoi(flat["EventID"])
		channel, provider := flat["Channel"], flat["Provider_Name"]
		var fields fixture.Map
		keys := make([]string, 0, len(flat))
		for k := range flat {
			if k != "EventID" && k != "Channel" && k != "Provider_Name" && k != "Computer" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			fields = append(fields, fixture.KV{K: k, V: flat[k]})
		}
		for _, sh := range fixture.Shapes {
			chunk = fixture.Event(chunk, fixture.Time(fixture.Epoch), nil, sh.Render(id, channel, provider, fields))
		}
		names = append(names, test)
	})
	out, changed, err := f.Process(nil, chunk)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	// The rule ids of each output event, in order.
	var verdicts []string
	for off := 0; off < len(out); {
		end, err := msgpack.Skip(out, off)
		if err != nil {
			t.Fatal(err)
		}
		verdicts = append(verdicts, matchedIDs(out[off:end]))
		off = end
	}
	if len(verdicts) != len(names)*len(fixture.Shapes) {
		t.Fatalf("got %d events, want %d", len(verdicts), len(names)*len(fixture.Shapes))
	}
	matched := 0
	for i, name := range names {
		want := verdicts[i*len(fixture.Shapes)]
		if want != "[]" {
			matched++
		}
		for j, sh := range fixture.Shapes[1:] {
			if got := verdicts[i*len(fixture.Shapes)+j+1]; got != want {
				t.Errorf("%s: %s matches [%s], flat matches [%s]", name, sh.Name, got, want)
			}
		}
	}
	t.Logf("%d regression events in %d shapes, %d of them matching some rule, the same in every shape", len(names), len(fixture.Shapes), matched)
	if matched < len(names)/2 {
		t.Errorf("only %d of %d events matched anything", matched, len(names))
	}
}

// matchedIDs returns the rule ids the sigma key of the event lists (the
// 36-character ids after each "id" key), or "".
func matchedIDs(event []byte) string {
	var ids []string
	s := string(event)
	for {
		i := strings.Index(s, "\xa2id\xd9\x24")
		if i < 0 {
			i = strings.Index(s, "\xa2id\xb0")
			if i < 0 {
				break
			}
		}
		s = s[i:]
		_, next, ok, err := msgpack.ReadStr([]byte(s), 3)
		if err != nil || !ok {
			break
		}
		str, _, _, _ := msgpack.ReadStr([]byte(s), 3)
		ids = append(ids, string(str))
		s = s[next:]
	}
	return fmt.Sprint(ids)
}
