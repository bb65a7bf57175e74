package filter

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/winlayout"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// matches reports whether the filter enriched the one-record chunk of body.
func matches(t *testing.T, f *Filter, body any) bool {
	t.Helper()
	in := fixture.Event(nil, ts, nil, body)
	out, changed, err := f.Process(nil, in)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	if changed && len(out) <= len(in) {
		t.Fatalf("changed but not enriched")
	}
	return changed
}

func ruleFilter(t testing.TB, cfg Config, src string) *Filter {
	t.Helper()
	set, report, err := rules.Compile([]rules.Source{{Name: "t.yml", Data: []byte(src)}}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return NewWithRules(cfg, set, report)
}

// inserts renders the in_winevtlog default record of the flat Sysmon
// record m with the fields of schema.
func inserts(id int, provider string, schema []string, m fixture.Map, message string) fixture.Map {
	var values []any
	for _, name := range schema {
		v, _ := m.Get(name)
		values = append(values, fmt.Sprint(v))
	}
	return fixture.Map{{K: "ProviderName", V: provider}, {K: "EventID", V: id}, {K: "Channel", V: sysmon.Channel},
		{K: "Message", V: message}, {K: "StringInserts", V: values}}
}

func TestStringInsertsSchemas(t *testing.T) {
	f := newFilter(t, Config{})
	hit, benign := fixture.UnsignedNodeLoad(1), fixture.BenignImageLoad(1)
	for _, schema := range sysmon.Schemas(7) {
		if !matches(t, f, inserts(7, sysmon.Provider, schema, hit, "")) {
			t.Errorf("%d inserts: unsigned .node load not matched", len(schema))
		}
		if matches(t, f, inserts(7, sysmon.Provider, schema, benign, "")) {
			t.Errorf("%d inserts: benign load matched", len(schema))
		}
	}
	// A count no schema has: the values cannot be placed, the Message can.
	odd := append(append([]string(nil), sysmon.Schemas(7)[0]...), "Extra")
	if matches(t, f, inserts(7, sysmon.Provider, odd, hit, "")) {
		t.Error("inserts of an unknown schema were placed by position")
	}
	msg := "Image loaded:\r\nRuleName: -\r\nImage: C:\\slack.exe\r\nImageLoaded: C:\\x\\keymapping.node\r\nSigned: false\r\nSignatureStatus: Unavailable"
	if !matches(t, f, inserts(7, sysmon.Provider, odd, hit, msg)) {
		t.Error("Message lines not read when the inserts fit no schema")
	}
	signed := strings.NewReplacer("Signed: false", "Signed: true", "Unavailable", "Valid").Replace(msg)
	if matches(t, f, inserts(7, sysmon.Provider, odd, hit, signed)) {
		t.Error("a signed load read from the Message matched")
	}
	// Message alone, no inserts at all.
	onlyMessage := fixture.Map{{K: "ProviderName", V: sysmon.Provider}, {K: "EventID", V: 7}, {K: "Channel", V: sysmon.Channel}, {K: "Message", V: msg}}
	if !matches(t, f, onlyMessage) {
		t.Error("Message alone not read")
	}
}

// TestLookAlikes: records that resemble Sysmon but are not behave as the
// README says.
func TestLookAlikes(t *testing.T) {
	f := newFilter(t, Config{})
	hit := fixture.UnsignedNodeLoad(1)
	// Another provider's event 7 with the same number of inserts: its
	// manifest is not Sysmon's, so nothing is placed by position.
	other := inserts(7, "Microsoft-Windows-Other", sysmon.Schemas(7)[0], hit, "").With("Channel", "Application")
	if matches(t, f, other) {
		t.Error("another provider's StringInserts were read as Sysmon's")
	}
	// The same with named fields: the logsource guard keeps it out.
	if matches(t, f, hit.With("SourceName", "Microsoft-Windows-Other").With("Channel", "Application")) {
		t.Error("another provider's event 7 matched an image_load rule")
	}
	// A flat record with no event ID, channel or provider: the guards
	// cannot tell, so the fields decide (documented: absent logsource
	// fields do not exclude a record).
	bare := hit.Without("EventID").Without("Channel").Without("SourceName")
	if !matches(t, f, bare) {
		t.Error("a record without logsource fields did not match on its fields")
	}
	// ECS fields on a non-Sysmon record are not read as Sysmon's.
	ecs := fixture.ECS(7, "Application", "Microsoft-Windows-Other", fixture.EventData(7, hit))
	if matches(t, f, ecs) {
		t.Error("ECS record of another provider matched")
	}
}

func TestECSDerivedFields(t *testing.T) {
	src := `title: t
id: t
logsource: {product: windows, category: network_connection}
detection:
  sel:
    Initiated: 'true'
    User: 'CORP\jdoe'
    SourceIsIpv6: 'false'
    DestinationPort: 443
    Image|endswith: '\curl.exe'
  condition: sel
`
	f := ruleFilter(t, Config{}, src)
	data := fixture.Map{{K: "RuleName", V: "-"}, {K: "UtcTime", V: "2026-11-25 10:42:07.118"}, {K: "ProcessGuid", V: "{1}"}, {K: "ProcessId", V: "42"},
		{K: "Image", V: `C:\Windows\System32\curl.exe`}, {K: "User", V: `CORP\jdoe`}, {K: "Protocol", V: "tcp"}, {K: "Initiated", V: "true"},
		{K: "SourceIsIpv6", V: "false"}, {K: "SourceIp", V: "10.0.0.5"}, {K: "DestinationIp", V: "203.0.113.7"}, {K: "DestinationPort", V: "443"}}
	ecs := fixture.ECS(3, sysmon.Channel, sysmon.Provider, data)
	for _, moved := range []string{"Initiated", "User", "Image", "DestinationPort", "SourceIsIpv6"} {
		if strings.Contains(fixture.JSON(ecs), `"`+moved+`"`) {
			t.Fatalf("the pipeline emulation left %s in place", moved)
		}
	}
	if !matches(t, f, ecs) {
		t.Error("ECS network connection not matched")
	}
	if matches(t, f, fixture.ECS(3, sysmon.Channel, sysmon.Provider, data.With("Initiated", "false"))) {
		t.Error("network.direction ingress read as Initiated: true")
	}

	hashes := ruleFilter(t, Config{}, `title: h
id: h
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Hashes|contains|all: ['IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744', 'SHA256=ABC']
  condition: sel
`)
	proc := fixture.Map{{K: "RuleName", V: "-"}, {K: "Image", V: `C:\x.exe`}, {K: "CommandLine", V: "x"}, {K: "User", V: `CORP\jdoe`},
		{K: "Hashes", V: "SHA1=0123,MD5=4567,SHA256=ABC,IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744"}}
	if !matches(t, hashes, fixture.ECS(1, sysmon.Channel, sysmon.Provider, proc)) {
		t.Error("Hashes not rebuilt from process.hash.* and process.pe.imphash")
	}
}

func TestTextCarriedRecords(t *testing.T) {
	f := newFilter(t, Config{})
	hit := fixture.UnsignedNodeLoad(1)
	data := fixture.EventData(7, hit)
	evtx := fixture.JSON(fixture.Evtx(7, sysmon.Channel, sysmon.Provider, data))
	xml := fixture.XML(7, sysmon.Channel, sysmon.Provider, data)
	for _, tc := range []struct {
		name string
		body fixture.Map
		want bool
	}{
		{"flat JSON in log", fixture.Map{{K: "log", V: fixture.JSON(hit)}}, true},
		{"evtx JSON in message, leading space", fixture.Map{{K: "message", V: "  \n" + evtx}}, true},
		{"XML in System", fixture.Map{{K: "System", V: xml}, {K: "Message", V: ""}}, true},
		{"XML with declaration in message", fixture.Map{{K: "message", V: `<?xml version="1.0"?>` + "\n" + xml}}, true},
		// The first line of a file written with a byte order mark.
		{"JSON after a byte order mark", fixture.Map{{K: "log", V: "\xEF\xBB\xBF" + fixture.JSON(hit)}}, true},
		{"XML after a byte order mark", fixture.Map{{K: "message", V: "\xEF\xBB\xBF" + xml}}, true},
		{"benign JSON", fixture.Map{{K: "log", V: fixture.JSON(fixture.BenignImageLoad(1))}}, false},
		{"malformed JSON", fixture.Map{{K: "log", V: strings.TrimSuffix(fixture.JSON(hit), "}") + `,"x":`}}, false},
		{"JSON array", fixture.Map{{K: "log", V: "[" + fixture.JSON(hit) + "]"}}, false},
		{"truncated XML", fixture.Map{{K: "message", V: xml[:len(xml)-10]}}, false},
		{"not a recognised key", fixture.Map{{K: "payload", V: fixture.JSON(hit)}}, false},
		// The record's own event ID wins: the text is not read.
		{"record with an event ID", fixture.Map{{K: "EventID", V: 1}, {K: "log", V: fixture.JSON(hit)}}, false},
	} {
		in := fixture.Event(nil, ts, nil, tc.body)
		out, changed, err := f.Process(nil, in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if changed != tc.want {
			t.Errorf("%s: matched=%v, want %v", tc.name, changed, tc.want)
		}
		if changed {
			// The text stays as it was; only the matches are added.
			ev, _ := nextEvent(out, 0)
			if got := decodeOrdered(t, out, ev.body); len(got) != len(tc.body)+1 {
				t.Errorf("%s: %d keys out, want %d", tc.name, len(got), len(tc.body)+1)
			}
		}
	}

	custom := newFilter(t, Config{TextKeys: []string{"payload"}})
	if !matches(t, custom, fixture.Map{{K: "payload", V: fixture.JSON(hit)}}) {
		t.Error("json_key payload not read")
	}
	if matches(t, custom, fixture.Map{{K: "log", V: fixture.JSON(hit)}}) {
		t.Error("json_key payload still read log")
	}
	none := newFilter(t, Config{TextKeys: []string{}})
	if matches(t, none, fixture.Map{{K: "log", V: fixture.JSON(hit)}}) {
		t.Error("json_key none still read log")
	}

	// Keyword rules search the values of the carried record, unescaped.
	kw := ruleFilter(t, Config{}, "title: k\nid: k\nlogsource: {product: windows}\ndetection:\n  keywords: ['\\slack.exe']\n  condition: keywords\n")
	if !matches(t, kw, fixture.Map{{K: "log", V: fixture.JSON(hit)}}) {
		t.Error("keywords not searched in the JSON text's values")
	}
}

// TestSysmonForLinux: Sysmon for Linux logs XML events through syslog;
// Linux rules read them, Windows Sysmon rules do not.
func TestSysmonForLinux(t *testing.T) {
	src := `title: l
id: l
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: '/base64'
    CommandLine|contains: ' -d'
  condition: sel
`
	f := ruleFilter(t, Config{}, src)
	xml := `<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID>` +
		`<Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>` +
		`<TimeCreated SystemTime="2026-11-25T10:42:07.118000000Z"/><EventRecordID>1234</EventRecordID><Correlation/>` +
		`<Execution ProcessID="812" ThreadID="812"/><Channel>Linux-Sysmon/Operational</Channel><Computer>web-01</Computer>` +
		`<Security UserId="0"/></System><EventData><Data Name="RuleName">-</Data><Data Name="UtcTime">2026-11-25 10:42:07.118</Data>` +
		`<Data Name="ProcessGuid">{6f1b3c5a-0000-0000-0000-000000000000}</Data><Data Name="ProcessId">4242</Data>` +
		`<Data Name="Image">/usr/bin/base64</Data><Data Name="CommandLine">base64 -d /tmp/x &gt; /tmp/y</Data>` +
		`<Data Name="CurrentDirectory">/tmp</Data><Data Name="User">www-data</Data></EventData></Event>`
	body := fixture.Map{{K: "pri", V: "14"}, {K: "host", V: "web-01"}, {K: "ident", V: "sysmon"}, {K: "message", V: xml}}
	if !matches(t, f, body) {
		t.Error("Sysmon for Linux event in syslog not matched")
	}
	if matches(t, newFilter(t, Config{}), body) {
		t.Error("Windows image_load rule matched a Linux event")
	}
	// The systemd input: the journal entry's MESSAGE.
	if !matches(t, f, fixture.Map{{K: "_HOSTNAME", V: "web-01"}, {K: "SYSLOG_IDENTIFIER", V: "sysmon"}, {K: "MESSAGE", V: xml}}) {
		t.Error("Sysmon for Linux event in a journal entry's MESSAGE not matched")
	}
	// tail on /var/log/syslog: the line, header and all, in log.
	line := fixture.Map{{K: "log", V: "Nov 25 10:42:07 web-01 sysmon: " + xml}}
	if !matches(t, f, line) {
		t.Error("Sysmon for Linux event after a syslog header not matched")
	}
	// A JSON event after a syslog tag too; text that only looks like one
	// is left as it is.
	g := ruleFilter(t, Config{}, "title: j\nid: j\ndetection:\n  sel: {user: mallory}\n  condition: sel\n")
	if !matches(t, g, fixture.Map{{K: "log", V: `Nov 25 10:42:07 web-01 app[7]: {"user": "mallory", "op": "login"}`}}) {
		t.Error("JSON event after a syslog header not matched")
	}
	if matches(t, g, fixture.Map{{K: "log", V: `Nov 25 10:42:07 web-01 app[7]: {user mallory}`}}) {
		t.Error("text that is no JSON object matched as one")
	}
}

func TestFieldMap(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, "map.yaml")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	path := write(`# our collector's own shape
EventID: evt.id
Channel: evt.log
Provider_Name: evt.source
ImageLoaded: [module\.path, module.file]
Signed: sig.signed
SignatureStatus: sig.status
Image: proc
`)
	f, err := New(Config{FieldMapFile: path})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(signed string, module fixture.KV) fixture.Map {
		return fixture.Map{
			{K: "evt", V: fixture.Map{{K: "id", V: "7"}, {K: "log", V: sysmon.Channel}, {K: "source", V: sysmon.Provider}}},
			{K: "proc", V: `C:\slack.exe`}, module,
			{K: "sig", V: fixture.Map{{K: "signed", V: signed}, {K: "status", V: "Unavailable"}}},
		}
	}
	if !matches(t, f, rec("false", fixture.KV{K: "module.path", V: `C:\x\keymapping.node`})) {
		t.Error("escaped dotted key not read")
	}
	if !matches(t, f, rec("false", fixture.KV{K: "module", V: fixture.Map{{K: "file", V: `C:\x\keymapping.node`}}})) {
		t.Error("second path not read")
	}
	if matches(t, newFilter(t, Config{}), rec("false", fixture.KV{K: "module.path", V: `C:\x\keymapping.node`})) {
		t.Error("matched without the field map")
	}
	wrongID := rec("false", fixture.KV{K: "module.path", V: `C:\x\keymapping.node`})
	wrongID[0].V = fixture.Map{{K: "id", V: "1"}, {K: "log", V: sysmon.Channel}, {K: "source", V: sysmon.Provider}}
	if matches(t, f, wrongID) {
		t.Error("mapped EventID not used by the logsource guard")
	}

	for content, want := range map[string]string{
		"a: [b, [c]]":  "a path must be a non-empty string",
		"- a":          "want a map",
		"a: b..c":      "empty key",
		"a: {b: c}":    "want a path or a list",
		"a: 'unclosed": "field_map",
		"":             "empty file",
	} {
		_, err := New(Config{FieldMapFile: write(content)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error with %q", content, err, want)
		}
	}
	if _, err := New(Config{FieldMapFile: filepath.Join(dir, "missing.yaml")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
}

// The example shipped in conf/ loads and means what its comments say.
func TestFieldMapExample(t *testing.T) {
	m, err := LoadFieldMap("../conf/field-map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := m["ImageLoaded"]; len(got) != 1 || len(got[0]) != 1 || got[0][0] != "module.path" {
		t.Errorf("ImageLoaded: %q", got)
	}
	if got := m["CommandLine"]; len(got) != 2 || strings.Join(got[0], "/") != "proc/cmdline" {
		t.Errorf("CommandLine: %q", got)
	}
}

// TestOddEventIDs: event IDs no Sysmon table has (negative, huge, not a
// number, a map) on Sysmon records with inserts, a Message and ECS fields
// are left alone.
func TestOddEventIDs(t *testing.T) {
	f := newFilter(t, Config{})
	for _, id := range []any{-1, -100000, 99999, 4294967296, "7x", "", fixture.Map{{K: "a", V: 1}}, 1.5, true} {
		rec := inserts(7, sysmon.Provider, sysmon.Schemas(7)[0], fixture.UnsignedNodeLoad(1), "ImageLoaded: x.node").With("EventID", id)
		ecs := fixture.ECS(7, sysmon.Channel, sysmon.Provider, fixture.EventData(7, fixture.UnsignedNodeLoad(1)))
		ecs = ecs.With("event", fixture.Map{{K: "code", V: id}})
		for _, body := range []fixture.Map{rec, ecs} {
			if _, _, err := f.Process(nil, fixture.Event(nil, ts, nil, body)); err != nil {
				t.Errorf("EventID %v: %v", id, err)
			}
		}
	}
}

// dataRules test the unnamed event data, an empty value against null, and
// an event ID with Qualifiers.
const dataRules = `title: contains
id: contains
logsource: {product: windows, service: application}
detection:
  sel: {Data|contains: 'ntds.dit'}
  condition: sel
---
title: equals
id: equals
logsource: {product: windows, service: application}
detection:
  sel: {Data: 'only'}
  condition: sel
---
title: empty
id: empty
logsource: {product: windows, service: application}
detection:
  sel: {EventID: 4625, Target: ''}
  condition: sel
---
title: param
id: param
logsource: {product: windows, service: application}
detection:
  sel: {param2: 'never'}
  condition: sel
---
title: null
id: isnull
logsource: {product: windows, service: application}
detection:
  sel: {EventID: 4625, Target: null}
  condition: sel
`

// matchedRules returns the ids of the rules that matched body, or "".
func matchedRules(t *testing.T, f *Filter, body any) string {
	t.Helper()
	out, changed, err := f.Process(nil, fixture.Event(nil, ts, nil, body))
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		return ""
	}
	var ids []string
	for _, id := range []string{"contains", "equals", "empty", "isnull"} {
		if bytes.Contains(out, msgpack.AppendStr(msgpack.AppendStr(nil, "id"), id)) {
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, ",")
}

// TestUnnamedData: Data is every unnamed value of an event, whatever shape
// carries them; a test for a part holds when one value holds it, a single
// value reads as itself.
func TestUnnamedData(t *testing.T) {
	f := ruleFilter(t, Config{}, dataRules)
	values := []any{"NTDS", "1234", "", `C:\Temp\ntds.dit`}
	winlogbeat := func(params any) fixture.Map {
		return fixture.Map{{K: "winlog", V: fixture.Map{{K: "channel", V: "Application"}, {K: "event_id", V: "325"},
			{K: "provider_name", V: "ESENT"}, {K: "event_data", V: params}}}}
	}
	inserts := func(v ...any) fixture.Map {
		return fixture.Map{{K: "ProviderName", V: "ESENT"}, {K: "EventID", V: 325}, {K: "Channel", V: "Application"},
			{K: "StringInserts", V: v}}
	}
	evtx := func(data any) fixture.Map {
		return fixture.Evtx(325, "Application", "ESENT", fixture.Map{{K: "Data", V: data}})
	}
	xml := func(data string) fixture.Map {
		return fixture.Map{{K: "System", V: `<Event><System><Provider Name='ESENT'/><EventID>325</EventID>` +
			`<Channel>Application</Channel></System><EventData>` + data + `</EventData></Event>`}}
	}
	for _, tc := range []struct {
		name string
		body fixture.Map
		want string
	}{
		{"evtx #text list", evtx(fixture.Map{{K: "#text", V: values}}), "contains"},
		{"evtx plain list", evtx(values), "contains"},
		{"evtx single", evtx("only"), "equals"},
		{"evtx single in a list", evtx([]any{"only"}), "equals"},
		{"evtx empty list", evtx([]any{}), ""},
		{"XML", xml(`<Data>NTDS</Data><Data>1234</Data><Data/><Data>C:\Temp\ntds.dit</Data>`), "contains"},
		{"XML single", xml(`<Data>only</Data>`), "equals"},
		{"StringInserts", inserts(values...), "contains"},
		{"StringInserts single", inserts("only"), "equals"},
		{"Winlogbeat params out of order", winlogbeat(fixture.Map{{K: "param2", V: "1234"}, {K: "param1", V: "NTDS"},
			{K: "param4", V: `C:\Temp\ntds.dit`}, {K: "param3", V: ""}}), "contains"},
		{"Winlogbeat single param, read by a rule too", winlogbeat(fixture.Map{{K: "param2", V: "only"}}), "equals"},
		{"Winlogbeat param after an integer key", winlogbeat(intKeyFirst("x", "param1", "only")), "equals"},
		{"flat list", fixture.Map{{K: "Channel", V: "Application"}, {K: "EventID", V: 325}, {K: "Data", V: values}}, "contains"},
		// Several values are a field of several values: a test holds
		// when it holds for one of them, equality too.
		{"two values, one equal", evtx([]any{"only", "other"}), "equals"},
		{"two values, none equal", evtx([]any{"other", "another"}), ""},
	} {
		if got := matchedRules(t, f, tc.body); got != tc.want {
			t.Errorf("%s: matched %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestParamNumbers: which keys are Winlogbeat's numbered unnamed data.
func TestParamNumbers(t *testing.T) {
	for key, want := range map[string]int{"param1": 1, "param32": 32, "param33": 0, "param0": 0, "param01": 0,
		"param": 0, "paramx": 0, "param1x": 0, "Param1": 0, "param1000": 0} {
		if got := winlogParams.number([]byte(key)); got != want {
			t.Errorf("%s: %d, want %d", key, got, want)
		}
	}
}

// TestEmptyAndQualifiers: an empty value is "", not null, in every shape,
// XML included; an event ID with Qualifiers reads as its number.
func TestEmptyAndQualifiers(t *testing.T) {
	f := ruleFilter(t, Config{}, dataRules)
	qualified := fixture.Map{{K: "#attributes", V: fixture.Map{{K: "Qualifiers", V: "16384"}}}, {K: "#text", V: "4625"}}
	evtx := func(target any) fixture.Map {
		ev := fixture.Evtx(4625, "Application", "App", fixture.Map{{K: "Target", V: target}})
		return fixture.Map{{K: "Event", V: fixture.Map{
			{K: "System", V: fixture.Map{{K: "EventID", V: qualified}, {K: "Channel", V: "Application"}}},
			{K: "EventData", V: ev[0].V.(fixture.Map)[1].V}}}}
	}
	xml := func(data string) fixture.Map {
		return fixture.Map{{K: "System", V: `<Event><System><EventID Qualifiers='16384'>4625</EventID>` +
			`<Channel>Application</Channel></System><EventData>` + data + `</EventData></Event>`}}
	}
	for _, tc := range []struct {
		name string
		body fixture.Map
		want string
	}{
		{"evtx empty", evtx(""), "empty"},
		{"evtx null", evtx(nil), "isnull"},
		{"XML self-closing", xml(`<Data Name='Target'/>`), "empty"},
		{"XML open and close", xml(`<Data Name="Target"></Data>`), "empty"},
		{"XML absent", xml(`<Data Name="Other">x</Data>`), "isnull"},
		{"evtx Qualifiers with value", evtx("x"), ""},
	} {
		if got := matchedRules(t, f, tc.body); got != tc.want {
			t.Errorf("%s: matched %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestMessageBesideXML: keyword rules see in_winevtlog's Message whether
// the event is read from the XML or from StringInserts.
func TestMessageBesideXML(t *testing.T) {
	kw := ruleFilter(t, Config{}, "title: k\nid: k\nlogsource: {product: windows}\ndetection:\n  keywords: ['mimikatz']\n  condition: keywords\n")
	xml := `<Event><System><Provider Name='App'/><EventID>1</EventID><Channel>Application</Channel></System>` +
		`<EventData><Data>x</Data></EventData></Event>`
	message := "The user ran mimikatz."
	if !matches(t, kw, fixture.Map{{K: "System", V: xml}, {K: "Message", V: message}}) {
		t.Error("Message beside the XML not searched")
	}
	if !matches(t, kw, fixture.Map{{K: "ProviderName", V: "App"}, {K: "EventID", V: 1}, {K: "Channel", V: "Application"},
		{K: "StringInserts", V: []any{"x"}}, {K: "Message", V: message}}) {
		t.Error("Message beside StringInserts not searched")
	}
	if matches(t, kw, fixture.Map{{K: "System", V: xml}, {K: "Message", V: "benign"}}) {
		t.Error("benign Message matched")
	}
}

// TestSecurityInserts: Security events from in_winevtlog's default shape
// are placed by the layout of their number of values; another count is
// not placed, and is not taken for unnamed data either.
func TestSecurityInserts(t *testing.T) {
	f := ruleFilter(t, Config{}, `title: rdp
id: rdp
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624, LogonType: 10, IpAddress: '127.0.0.1'}
  condition: sel
---
title: data
id: data
logsource: {product: windows, service: security}
detection:
  sel: {Data|contains: '127.0.0.1'}
  condition: sel
`)
	record := func(values []any) fixture.Map {
		return fixture.Map{{K: "ProviderName", V: "Microsoft-Windows-Security-Auditing"}, {K: "EventID", V: 4624},
			{K: "Channel", V: "Security"}, {K: "StringInserts", V: values}}
	}
	layouts := winlayout.Layouts(winlayout.Security, 4624)
	for _, l := range layouts {
		var values []any
		for _, name := range l {
			switch name {
			case "LogonType":
				values = append(values, "10")
			case "IpAddress":
				values = append(values, "127.0.0.1")
			default:
				values = append(values, "-")
			}
		}
		out, changed, err := f.Process(nil, fixture.Event(nil, ts, nil, record(values)))
		rdp := bytes.Contains(out, msgpack.AppendStr(msgpack.AppendStr(nil, "id"), "rdp"))
		data := bytes.Contains(out, msgpack.AppendStr(msgpack.AppendStr(nil, "id"), "data"))
		if err != nil || !changed || !rdp || data {
			t.Errorf("%d values: changed=%v err=%v", len(l), changed, err)
		}
		// More values, up to a count no layout has: nothing is placed.
		for fits := true; fits; {
			values, fits = append(values, "extra"), false
			for _, other := range layouts {
				fits = fits || len(other) == len(values)
			}
		}
		if matches(t, f, record(values)) {
			t.Errorf("%d values: matched", len(values))
		}
	}
}

// TestLayoutReadingAllocates: reading Security StringInserts, unnamed data
// and Winlogbeat params allocates nothing once the filter is warm.
func TestLayoutReadingAllocates(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	f := ruleFilter(t, Config{}, dataRules)
	security := fixture.Map{{K: "ProviderName", V: winlayout.Security}, {K: "EventID", V: 4624},
		{K: "Channel", V: "Security"}, {K: "StringInserts", V: make([]any, 27)}}
	for i := range security[3].V.([]any) {
		security[3].V.([]any)[i] = "-"
	}
	classic := fixture.Map{{K: "ProviderName", V: "ESENT"}, {K: "EventID", V: 325}, {K: "Channel", V: "Application"},
		{K: "StringInserts", V: []any{"a", "b", "c"}}}
	params := fixture.Map{{K: "winlog", V: fixture.Map{{K: "channel", V: "Application"}, {K: "event_id", V: "325"},
		{K: "event_data", V: fixture.Map{{K: "param2", V: "b"}, {K: "param1", V: "a"}}}}}}
	var chunk []byte
	for _, body := range []fixture.Map{security, classic, params} {
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	out := make([]byte, 0, 4*len(chunk))
	if allocs := testing.AllocsPerRun(100, func() { out, _, _ = f.Process(out[:0], chunk) }); allocs != 0 {
		t.Errorf("%v allocations per chunk", allocs)
	}
}

// TestExistsOnAMapWhoseFieldsRulesRead: a field holding a map answers
// exists whether or not another rule reads a field inside it.
func TestExistsOnAMapWhoseFieldsRulesRead(t *testing.T) {
	const exists = "title: e\nid: exists\ndetection:\n  s: {requestParameters|exists: true}\n  condition: s\n"
	const inside = "title: i\nid: inside\ndetection:\n  s: {requestParameters.userName: bob}\n  condition: s\n"
	body := fixture.Map{{K: "requestParameters", V: fixture.Map{{K: "policyArn", V: "x"}}}}
	for _, src := range []string{exists, exists + "---\n" + inside} {
		set, report, err := rules.Compile([]rules.Source{{Name: "t.yml", Data: []byte(src)}}, rules.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out, changed, _ := NewWithRules(Config{}, set, report).Process(nil, fixture.Event(nil, ts, nil, body))
		if !changed || !bytes.Contains(out, []byte("exists")) {
			t.Errorf("with %d rule(s): requestParameters|exists did not match a map", len(set.Rules()))
		}
	}
}

// TestTextEventFieldsWin: in a record carried as text, the event's own
// fields are read, not the outer record's keys of the same name (syslog
// writes host; a Zeek http event has its own), which fill only what the
// event lacks.
func TestTextEventFieldsWin(t *testing.T) {
	f := ruleFilter(t, Config{}, "title: t\nid: tld\ndetection:\n  s: {host|endswith: .top, outer: kept}\n  condition: s\n")
	for _, tc := range []struct {
		outerHost, innerHost string
		want                 bool
	}{
		{"sensor01", "evil.top", true},
		{"sensor.top", "example.com", false},
	} {
		body := fixture.Map{{K: "host", V: tc.outerHost}, {K: "outer", V: "kept"},
			{K: "message", V: `{"_path":"http","ts":1.7e9,"host":"` + tc.innerHost + `"}`}}
		if got := matches(t, f, body); got != tc.want {
			t.Errorf("outer host %s, event's host %s: matched %v, want %v", tc.outerHost, tc.innerHost, got, tc.want)
		}
	}
}

// TestTextEventFieldsOfSeveralValues: the same holds for a field reached
// through an array of maps: the event's values, not the outer record's
// beside them; the outer record's when the event has none.
func TestTextEventFieldsOfSeveralValues(t *testing.T) {
	f := ruleFilter(t, Config{}, "title: t\nid: arn\ndetection:\n  s: {resources.ARN: outer}\n  condition: s\n")
	outer := fixture.Map{{K: "resources", V: []any{fixture.Map{{K: "ARN", V: "outer"}}}}}
	for _, tc := range []struct {
		event string
		want  bool
	}{
		{`{"_path":"x","ts":1.7e9,"resources":[{"ARN":"inner"}]}`, false},
		{`{"_path":"x","ts":1.7e9}`, true},
	} {
		body := append(append(fixture.Map(nil), outer...), fixture.KV{K: "message", V: tc.event})
		if got := matches(t, f, body); got != tc.want {
			t.Errorf("event %s: matched %v, want %v", tc.event, got, tc.want)
		}
	}
}

// TestNullIsNotAMap: null matches a field the record lacks or holds as
// null, not one holding a map (a value), with or without rules reading
// inside it.
func TestNullIsNotAMap(t *testing.T) {
	const isNull = "title: n\nid: isnull\ndetection:\n  s: {requestParameters: null}\n  condition: s\n"
	const inside = "title: i\nid: inside\ndetection:\n  s: {requestParameters.userName: bob}\n  condition: s\n"
	for _, src := range []string{isNull, isNull + "---\n" + inside} {
		set, report, err := rules.Compile([]rules.Source{{Name: "t.yml", Data: []byte(src)}}, rules.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := NewWithRules(Config{}, set, report)
		for _, tc := range []struct {
			body fixture.Map
			want bool
		}{
			{fixture.Map{{K: "requestParameters", V: fixture.Map{{K: "policyArn", V: "x"}}}}, false},
			{fixture.Map{{K: "requestParameters", V: nil}}, true},
			{fixture.Map{{K: "other", V: 1}}, true},
		} {
			out, _, _ := f.Process(nil, fixture.Event(nil, ts, nil, tc.body))
			if got := bytes.Contains(out, []byte("isnull")); got != tc.want {
				t.Errorf("%d rule(s), %v: null matched %v, want %v", len(set.Rules()), tc.body, got, tc.want)
			}
		}
	}
}

// TestWinlogbeatUserData: Winlogbeat puts the data of an event that has
// UserData instead of EventData (the Security log cleared, 1102) under
// winlog.user_data; a rule reads its fields by their names there too.
func TestWinlogbeatUserData(t *testing.T) {
	const rule = `title: cleared by
id: 00000000-0000-4000-8000-0000000001a2
logsource: {product: windows, service: security}
detection: {sel: {EventID: 1102, SubjectUserName: mallory}, condition: sel}
`
	f := ruleFilter(t, Config{}, rule)
	cleared := func(user string) fixture.Map {
		return fixture.Map{{K: "winlog", V: fixture.Map{{K: "channel", V: "Security"}, {K: "event_id", V: "1102"},
			{K: "provider_name", V: "Microsoft-Windows-Eventlog"},
			{K: "user_data", V: fixture.Map{{K: "xml_name", V: "LogFileCleared"}, {K: "SubjectUserName", V: user},
				{K: "SubjectDomainName", V: "CORP"}}}}}}
	}
	if !matches(t, f, cleared("mallory")) {
		t.Error("winlog.user_data.SubjectUserName was not read")
	}
	if matches(t, f, cleared("alice")) {
		t.Error("another user matched")
	}
}

// TestKerberosInsertsOfUpdatedDomainControllers: 4768 and 4769 of a domain
// controller updated from January 2025 on carry 24 and 21 values; their
// fields are read by name as version 0's are (a Kerberoasting rule reads
// TicketEncryptionType and ServiceName).
func TestKerberosInsertsOfUpdatedDomainControllers(t *testing.T) {
	f := ruleFilter(t, Config{}, `title: rc4
id: rc4
logsource: {product: windows, service: security}
detection:
  sel: {EventID: [4768, 4769], TicketEncryptionType: '0x17', TargetUserName: 'bob@CORP.LOCAL'}
  condition: sel
`)
	for _, id := range []int{4768, 4769} {
		for _, layout := range winlayout.Layouts(winlayout.Security, id) {
			values := make([]any, len(layout))
			for i, name := range layout {
				values[i] = map[string]string{"TicketEncryptionType": "0x17", "TargetUserName": "bob@CORP.LOCAL"}[name]
			}
			rec := fixture.Map{{K: "ProviderName", V: winlayout.Security}, {K: "EventID", V: id}, {K: "Channel", V: "Security"},
				{K: "StringInserts", V: values}}
			if !matches(t, f, rec) {
				t.Errorf("%d with %d values: not matched", id, len(layout))
			}
		}
	}
	if n := len(winlayout.Layouts(winlayout.Security, 4769)[0]); n != 21 {
		t.Errorf("4769's newest layout has %d fields, want 21", n)
	}
}

// TestDuplicateKeyLastWins: a key a map holds twice is read as its last
// occurrence, the one Fluent Bit's record accessor (rewrite_tag, grep,
// out_kafka's message_key_field) reads: a harmless copy in front of a
// field does not hide it, and rules see what the pipeline sees. Flat
// records, Winlogbeat's event_data and records carried as JSON text alike.
func TestDuplicateKeyLastWins(t *testing.T) {
	f := newFilter(t, Config{})
	benign := fixture.KV{K: "ImageLoaded", V: `C:\Windows\System32\kernelbase.dll`}
	before := append(fixture.Map{benign}, fixture.UnsignedNodeLoad(1)...)
	after := append(append(fixture.Map(nil), fixture.UnsignedNodeLoad(1)...), benign)
	for _, tc := range []struct {
		name string
		body func(fixture.Map) fixture.Map
	}{
		{"flat", func(m fixture.Map) fixture.Map { return m }},
		{"winlogbeat", func(m fixture.Map) fixture.Map {
			return fixture.Winlogbeat(7, sysmon.Channel, sysmon.Provider, m.Without("EventID").Without("Channel"))
		}},
		{"json text", func(m fixture.Map) fixture.Map { return fixture.Map{{K: "log", V: fixture.JSON(m)}} }},
	} {
		if !matches(t, f, tc.body(before)) {
			t.Errorf("%s: a harmless copy in front of ImageLoaded hid the match", tc.name)
		}
		if matches(t, f, tc.body(after)) {
			t.Errorf("%s: matched a record whose last ImageLoaded, the one Fluent Bit reads, is harmless", tc.name)
		}
	}
}

// TestBinaryStrings: keys and values packed as msgpack bin (msgpack-ruby,
// Fluentd's forward, packs strings that are not UTF-8 so) are read as the
// strings Fluent Bit's JSON writer makes of them; a bin "sigma" key is the
// key the format replaces, so the record does not hold it twice.
func TestBinaryStrings(t *testing.T) {
	f := newFilter(t, Config{})
	binKeys := func(m fixture.Map) fixture.Raw {
		b := msgpack.AppendMapHeader(nil, len(m))
		for _, kv := range m {
			b = fixture.Encode(msgpack.AppendBin(b, []byte(kv.K)), kv.V)
		}
		return b
	}
	node := fixture.UnsignedNodeLoad(1)
	loaded, _ := node.Get("ImageLoaded")
	for name, body := range map[string]any{
		"bin keys":  binKeys(node),
		"bin value": node.With("ImageLoaded", []byte(loaded.(string))),
	} {
		if !matches(t, f, body) {
			t.Errorf("%s: no match", name)
		}
	}
	out, changed, err := f.Process(nil, fixture.Event(nil, ts, nil, binKeys(node.With("sigma", "stale"))))
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	ev, _ := nextEvent(out, 0)
	keys := bodyKeys(t, out, ev.body)
	if n := len(slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k != "sigma" })); n != 1 || keys[len(keys)-1] != "sigma" {
		t.Errorf("keys %v: want one sigma key, the format's", keys)
	}
}

// TestTextEventWhole: a text key is read as an event only when the event
// is all of it (after a syslog header's tag): text after the object or
// element, or an object further into the line, leaves the line as text,
// so that keyword rules still search all of it.
func TestTextEventWhole(t *testing.T) {
	kw := ruleFilter(t, Config{}, "title: k\nid: k\ndetection:\n  kw: [hunter2]\n  condition: kw\n")
	field := ruleFilter(t, Config{}, "title: f\nid: f\ndetection:\n  sel: {user: bob}\n  condition: sel\n")
	for _, c := range []struct {
		line          string
		event, hunter bool // read as the event {"user": "bob"}; the keyword found
	}{
		{`{"user": "bob"}`, true, false},
		{`{"user": "bob"}  ` + "\r\n", true, false},
		{`{"user": "bob"}` + "\n\x00\x00", true, false},
		{`{"user": "bob"} password=hunter2`, false, true},
		{`{"user": "bob"}{"x": "hunter2"}`, false, true},
		{`Nov 25 10:42:07 web-01 app[7]: {"user": "bob"}`, true, false},
		{`Nov 25 10:42:07 web-01 app[7]: {"user": "bob"} password=hunter2`, false, true},
		{`Nov 25 10:42:07 web-01 app[7]: config: {"user": "bob"} by hunter2`, false, true},
		{`Nov 25 10:42:07 web-01 app[7]: {'user': 'bob', 'pw': 'hunter2'}`, false, true},
		{`<Event><EventData><Data Name="user">bob</Data></EventData></Event> hunter2`, false, true},
		{`<Event><EventData><Data Name="user">bob</Data></EventData></Event>` + "\r\n", true, false},
		{`<?xml version="1.0"?><Event><EventData><Data Name="user">bob</Data></EventData></Event>`, true, false},
		{`<Event><EventData><Data Name="user">bob</Data></EventData></Event><!-- hunter2 -->`, false, true},
		{`<Event><EventData><Data Name="user">bob</Data></EventData></Event><!-- hunter2`, false, true},
		{`<!-- hunter2 --><Event><EventData><Data Name="user">bob</Data></EventData></Event>`, false, true},
		{`<?x hunter2?><Event><EventData><Data Name="user">bob</Data></EventData></Event>`, false, true},
	} {
		body := fixture.Map{{K: "log", V: c.line}}
		if got := matches(t, field, body); got != c.event {
			t.Errorf("%q: read as the event %v, want %v", c.line, got, c.event)
		}
		if got := matches(t, kw, body); got != c.hunter {
			t.Errorf("%q: keyword found %v, want %v", c.line, got, c.hunter)
		}
	}
}
