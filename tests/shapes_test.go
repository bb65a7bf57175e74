package tests

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
)

// TestShapesAgree renders every SigmaHQ regression event in every shape and
// requires the whole corpus to match the same rules in each as in the evtx
// JSON form the regression data comes in. A shape that cannot carry an
// event (positional StringInserts of a provider other than Sysmon) skips it.
func TestShapesAgree(t *testing.T) {
	dir := sigmaHQ(t)
	f := corpusFilter(t)
	var chunk []byte
	type rendered struct{ test, shape string }
	var order []rendered
	eachFlatRegressionEvent(dir, func(test string, flat map[string]string) {
		id, _ := strconv.Atoi(flat["EventID"])
		channel, provider := flat["Channel"], flat["Provider_Name"]
		var fields fixture.Map
		keys := make([]string, 0, len(flat))
		for k := range flat {
			if k != "EventID" && k != "Channel" && k != "Provider_Name" && k != "Computer" && !strings.HasPrefix(k, "#") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		if provider == sysmon.Provider { // Sysmon's own order, as the manifest has it
			keys = manifestOrder(id, keys)
		}
		for _, k := range keys {
			fields = append(fields, fixture.KV{K: k, V: flat[k]})
		}
		for _, sh := range fixture.Shapes {
			if body := sh.Render(id, channel, provider, fields); body != nil {
				chunk = fixture.Event(chunk, fixture.Time(fixture.Epoch), nil, body)
				order = append(order, rendered{test, sh.Name})
			}
		}
	})
	out, changed, err := f.Process(nil, chunk)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	var verdicts []string
	for off := 0; off < len(out); {
		end, err := msgpack.Skip(out, off)
		if err != nil {
			t.Fatal(err)
		}
		verdicts = append(verdicts, matchedIDs(out[off:end]))
		off = end
	}
	if len(verdicts) != len(order) {
		t.Fatalf("got %d events, want %d", len(verdicts), len(order))
	}
	reference := fixture.Shapes[0].Name
	want := ""
	events, matched := 0, 0
	perShape := map[string]int{}
	for i, r := range order {
		if r.shape == reference {
			want = verdicts[i]
			events++
			if want != "[]" {
				matched++
			}
			continue
		}
		perShape[r.shape]++
		if got := verdicts[i]; got != want {
			t.Errorf("%s: %s matches %s, %s matches %s", r.test, r.shape, got, reference, want)
		}
	}
	for _, sh := range fixture.Shapes[1:] {
		t.Logf("%-55s %d events", sh.Name, perShape[sh.Name])
		if perShape[sh.Name] == 0 {
			t.Errorf("%s rendered no event", sh.Name)
		}
	}
	t.Logf("%d regression events, %d of them matching some rule, the same in every shape", events, matched)
	if matched < events/2 {
		t.Errorf("only %d of %d events matched anything", matched, events)
	}
}

// manifestOrder orders keys as the Sysmon schema of id with exactly these
// fields does, or leaves them as they are.
func manifestOrder(id int, keys []string) []string {
	for _, schema := range sysmon.Schemas(id) {
		if len(schema) != len(keys) {
			continue
		}
		sorted := append([]string(nil), schema...)
		sort.Strings(sorted)
		if fmt.Sprint(sorted) == fmt.Sprint(keys) {
			return schema
		}
	}
	return keys
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
