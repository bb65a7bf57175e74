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
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/winlayout"
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
		keys = manifestOrder(provider, id, keys) // the provider's own order, as its manifest has it
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

// manifestOrder orders keys as the layout of the provider's event id with
// exactly these fields does, or leaves them as they are.
func manifestOrder(provider string, id int, keys []string) []string {
	for _, schema := range winlayout.Layouts(provider, id) {
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

// classicEvent is a synthetic event for TestEventDataShapesAgree and the
// SigmaHQ rule it must match in every shape ("" for none).
type classicEvent struct {
	name, channel, provider string
	id                      int
	data                    fixture.Map
	want                    string
}

// sequence returns the named fields of layout, each valued by set or else
// by a placeholder, in the layout's order.
func sequence(layout []string, set map[string]string) fixture.Map {
	var m fixture.Map
	for _, name := range layout {
		v, ok := set[name]
		if !ok {
			v = "-"
		}
		m = append(m, fixture.KV{K: name, V: v})
	}
	return m
}

func classicEvents() []classicEvent {
	engine := func(version string) string {
		return "\tNewEngineState=Available\r\n\tPreviousEngineState=None\r\n\r\n\tSequenceNumber=13\r\n\r\n" +
			"\tHostName=ConsoleHost\r\n\tHostVersion=5.1.17763.1\r\n\tHostId=8c0ba5bd\r\n" +
			"\tHostApplication=powershell.exe -version " + version + "\r\n\tEngineVersion=" + version + ".0\r\n"
	}
	logon := func(layout int) fixture.Map {
		return sequence(winlayout.Layouts(winlayout.Security, 4624)[layout],
			map[string]string{"LogonType": "10", "IpAddress": "127.0.0.1", "TargetUserName": "admin"})
	}
	oldPipe := strings.Fields("RuleName UtcTime ProcessGuid ProcessId PipeName Image") // Sysmon 8: before EventType
	thread := sysmon.Schemas(8)[0]
	return []classicEvent{
		{"PowerShell 400, engine 2", "Windows PowerShell", "PowerShell", 400,
			fixture.Unnamed("Available", "None", engine("2")), "6331d09b-4785-4c13-980f-f96661356249"},
		{"PowerShell 400, engine 5", "Windows PowerShell", "PowerShell", 400,
			fixture.Unnamed("Available", "None", engine("5")), ""},
		{"ESENT 325, ntds.dit fifth", "Application", "ESENT", 325,
			fixture.Unnamed("NTDS", "1234", "", "1", `C:\Windows\Temp\dump\ntds.dit`),
			"e6e88853-5f20-4c4a-8d26-cd469fd8d31f"},
		{"MSSQL 15457 xp_cmdshell", "Application", "MSSQLSERVER", 15457,
			fixture.Unnamed("xp_cmdshell", "0", "1"), "d08dd86f-681e-4a00-a92c-1db218754417"},
		{"MsiInstaller 1040 from the web", "Application", "MsiInstaller", 1040,
			fixture.Unnamed("https://evil.example/x.msi", "(NULL)", "(NULL)", "(NULL)"),
			"5594e67a-7f92-4a04-b65d-1a42fd824a60"},
		{"MsiInstaller 1040 single value", "Application", "MsiInstaller", 1040,
			fixture.Unnamed("http://evil.example/y.msi"), "5594e67a-7f92-4a04-b65d-1a42fd824a60"},
		{"Sysmon 8 empty StartModule", sysmon.Channel, sysmon.Provider, 8,
			sequence(thread, map[string]string{"TargetImage": `C:\Windows\System32\lsass.exe`, "StartModule": "",
				"StartFunction": "", "SourceImage": `C:\Users\x\a.exe`}), "f239b326-2f41-4d6b-9dfa-c846a60ef505"},
		{"Sysmon 17 of Sysmon 8", sysmon.Channel, sysmon.Provider, 17,
			sequence(oldPipe, map[string]string{"PipeName": `\AnonymousPipe`, "Image": `C:\x\hoplight.exe`}),
			"fe3ac066-98bb-432a-b1e7-a5229cb39d4a"},
		{"Security 4624 v2 RDP from localhost", "Security", winlayout.Security, 4624, logon(0),
			"51e33403-2a37-4d66-a574-1fda1782cc31"},
		{"Security 4624 v0 RDP from localhost", "Security", winlayout.Security, 4624, logon(2),
			"51e33403-2a37-4d66-a574-1fda1782cc31"},
		{"System 7045 PsExec", "System", winlayout.ServiceControlManager, 7045,
			sequence(winlayout.Layouts(winlayout.ServiceControlManager, 7045)[0], map[string]string{
				"ServiceName": "PSEXESVC", "ImagePath": `%SystemRoot%\PSEXESVC.exe`, "StartType": "demand start"}),
			"42c575ea-e41e-41f1-b248-8093c3e82a28"},
	}
}

// TestEventDataShapesAgree renders events of classic providers (unnamed
// data), empty values, Security and System events and old Sysmon layouts
// in every shape, and requires each to match its SigmaHQ rule (or none)
// in each shape, and the same rules in each as in evtx JSON.
func TestEventDataShapesAgree(t *testing.T) {
	sigmaHQ(t)
	f := corpusFilter(t)
	for _, ev := range classicEvents() {
		var chunk []byte
		var shapes []string
		for _, sh := range fixture.Shapes {
			if body := sh.Render(ev.id, ev.channel, ev.provider, ev.data); body != nil {
				chunk = fixture.Event(chunk, fixture.Time(fixture.Epoch), nil, body)
				shapes = append(shapes, sh.Name)
			}
		}
		out, _, err := f.Process(nil, chunk)
		if err != nil {
			t.Fatal(err)
		}
		var reference string
		for i, off := 0, 0; off < len(out); i++ {
			end, err := msgpack.Skip(out, off)
			if err != nil {
				t.Fatal(err)
			}
			got := matchedIDs(out[off:end])
			off = end
			if i == 0 {
				reference = got
			} else if got != reference {
				t.Errorf("%s: %s matches %s, evtx JSON %s", ev.name, shapes[i], got, reference)
			}
			if ev.want != "" && !strings.Contains(got, ev.want) || ev.want == "" && got != "[]" {
				t.Errorf("%s: %s matches %s, want %q", ev.name, shapes[i], got, ev.want)
			}
		}
		// Every one of these events has a layout, or no names: in_winevtlog's
		// default shape carries it.
		if len(shapes) < 8 || !strings.Contains(fmt.Sprint(shapes), "in_winevtlog StringInserts") {
			t.Errorf("%s: rendered in %d shapes only: %v", ev.name, len(shapes), shapes)
		}
	}
}

// TestLayoutOrder checks the Security and System layouts against real
// events, as TestManifestOrder does Sysmon's: every regression event of a
// provider with known layouts lists its EventData exactly as one layout of
// its event id, when its id has layouts at all.
func TestLayoutOrder(t *testing.T) {
	checkLayouts(t, 2, func(provider string, id int) [][]string {
		if provider == sysmon.Provider {
			return nil
		}
		return winlayout.Layouts(provider, id)
	})
}
