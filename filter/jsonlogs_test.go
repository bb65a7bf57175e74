package filter

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// One rule per logsource, each reading the same field, so that only the
// logsource decides which of them a record meets.
const kindRules = `title: aws
id: 00000000-0000-4000-8000-0000000000a1
logsource: {product: aws, service: cloudtrail}
detection: {sel: {probe: x}, condition: sel}
---
title: k8s
id: 00000000-0000-4000-8000-0000000000a2
logsource: {product: kubernetes, category: application, service: audit}
detection: {sel: {probe: x}, condition: sel}
---
title: azure signin
id: 00000000-0000-4000-8000-0000000000a3
logsource: {product: azure, service: signinlogs}
detection: {sel: {probe: x}, condition: sel}
---
title: zeek dns
id: 00000000-0000-4000-8000-0000000000a4
logsource: {product: zeek, service: dns}
detection: {sel: {probe: x}, condition: sel}
---
title: auditd
id: 00000000-0000-4000-8000-0000000000a6
logsource: {product: linux, service: auditd}
detection: {sel: {probe: x}, condition: sel}
---
title: none
id: 00000000-0000-4000-8000-0000000000a5
detection: {sel: {probe: x}, condition: sel}
`

// matchedTitles returns the titles of the kindRules that match body
// (with probe: x added), each run by a filter of its own.
func matchedTitles(t *testing.T, cfg Config, body fixture.Map) string {
	t.Helper()
	var titles []string
	for _, doc := range strings.Split(kindRules, "---\n") {
		title := strings.TrimPrefix(strings.SplitN(doc, "\n", 2)[0], "title: ")
		f := ruleFilter(t, cfg, doc)
		if matches(t, f, append(append(fixture.Map(nil), body...), fixture.KV{K: "probe", V: "x"})) {
			titles = append(titles, title)
		}
	}
	return strings.Join(titles, ",")
}

func TestRecognisedJSONLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		body fixture.Map
		want string
	}{
		{"CloudTrail", fixture.Map{{K: "eventSource", V: "iam.amazonaws.com"}, {K: "eventName", V: "CreateUser"}, {K: "awsRegion", V: "us-east-1"}}, "aws,none"},
		{"CloudTrail without awsRegion", fixture.Map{{K: "eventSource", V: "iam.amazonaws.com"}, {K: "eventName", V: "CreateUser"}}, "azure signin,auditd,none"},
		{"Kubernetes audit", fixture.Map{{K: "kind", V: "Event"}, {K: "apiVersion", V: "audit.k8s.io/v1"}}, "k8s,none"},
		{"not a Kubernetes audit", fixture.Map{{K: "kind", V: "Pod"}, {K: "apiVersion", V: "v1"}}, "azure signin,auditd,none"},
		{"Azure sign-in", fixture.Map{{K: "category", V: "SignInLogs"}, {K: "operationName", V: "Sign-in activity"}}, "azure signin,none"},
		{"Azure activity", fixture.Map{{K: "category", V: "Administrative"}, {K: "resourceId", V: "/subscriptions/x"}}, "none"},
		{"Zeek dns", fixture.Map{{K: "ts", V: 1.7e9}, {K: "_path", V: "dns"}}, "zeek dns,none"},
		{"Zeek DNS, the path's case aside", fixture.Map{{K: "ts", V: 1.7e9}, {K: "_path", V: "DNS"}}, "zeek dns,none"},
		{"Zeek conn", fixture.Map{{K: "ts", V: 1.7e9}, {K: "_path", V: "conn"}}, "none"},
		{"a _path twice: the last", fixture.Map{{K: "ts", V: 1.7e9}, {K: "_path", V: "dns"}, {K: "_path", V: "conn"}}, "none"},
		{"a _path twice: the last, dns", fixture.Map{{K: "ts", V: 1.7e9}, {K: "_path", V: "conn"}, {K: "_path", V: "dns"}}, "zeek dns,none"},
		// Loose look-alikes stay unrecognised: the rules of products the
		// filter knows by their keys in every layout (AWS, Kubernetes,
		// Zeek) do not run (it would have known them), those of others
		// (Azure, whose risk tables it does not know; linux) run on
		// fields alone.
		{"a _path without ts", fixture.Map{{K: "_path", V: "dns"}}, "azure signin,auditd,none"},
		{"a category and properties", fixture.Map{{K: "category", V: "auth"}, {K: "properties", V: fixture.Map{}}}, "azure signin,auditd,none"},
		{"an action without a dot", fixture.Map{{K: "action", V: "login"}, {K: "actor", V: "bob"}, {K: "@timestamp", V: "t"}}, "azure signin,auditd,none"},
		{"Entra ID sign-in by resource id", fixture.Map{{K: "category", V: "SignInLogs"}, {K: "resourceId", V: "/tenants/x/providers/Microsoft.aadiam"}}, "azure signin,none"},
		{"GCP audit", fixture.Map{{K: "protoPayload", V: fixture.Map{{K: "@type", V: "type.googleapis.com/google.cloud.audit.AuditLog"}}}}, "none"},
		{"GCP audit as Pub/Sub delivers it", fixture.Map{{K: "data", V: fixture.Map{{K: "protoPayload", V: fixture.Map{
			{K: "@type", V: "type.googleapis.com/google.cloud.audit.AuditLog"}}}}}}, "none"},
		// A key that is not a string is skipped with its value.
		{"GCP audit after an integer key", fixture.Map{{K: "protoPayload", V: intKeyFirst("x", "@type", "type.googleapis.com/google.cloud.audit.AuditLog")}}, "none"},
		{"an integer key's value is no key", fixture.Map{{K: "protoPayload", V: intKeyFirst("@type", "type.googleapis.com/google.cloud.audit.AuditLog", "x")}}, "azure signin,auditd,none"},
		{"CloudTrail through EventBridge", eventBridge("AWS API Call via CloudTrail", cloudTrailRecord), "aws,none"},
		{"a console sign-in through EventBridge", eventBridge("AWS Console Sign In via CloudTrail", cloudTrailRecord), "aws,none"},
		// Only a CloudTrail record is taken out of its envelope.
		{"EventBridge, another detail-type", eventBridge("EC2 Instance State-change Notification", cloudTrailRecord), "azure signin,auditd,none"},
		{"EventBridge, a detail that is no map", eventBridge("AWS API Call via CloudTrail", "x"), "azure signin,auditd,none"},
		{"Okta", fixture.Map{{K: "eventType", V: "user.session.start"}, {K: "actor", V: fixture.Map{{K: "id", V: "1"}}}, {K: "published", V: "2024-01-01T00:00:00Z"}}, "none"},
		{"unknown JSON", fixture.Map{{K: "msg", V: "x"}}, "azure signin,auditd,none"},
		{"Windows channel", fixture.Map{{K: "Channel", V: "Security"}, {K: "EventID", V: 4624}}, "none"},
	} {
		if got := matchedTitles(t, Config{}, tc.body); got != tc.want {
			t.Errorf("%s: matched %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLogsourceProperty(t *testing.T) {
	cfg, err := ParseConfig(logsourceOnly("product=AWS  service=cloudtrail ,product=zeek"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logsource != "product=aws service=cloudtrail,product=zeek" {
		t.Errorf("normalised to %q", cfg.Logsource)
	}
	// The property decides, whatever the record's keys say.
	for _, body := range []fixture.Map{{{K: "msg", V: "x"}}, {{K: "kind", V: "Event"}, {K: "apiVersion", V: "audit.k8s.io/v1"}}} {
		if got := matchedTitles(t, cfg, body); got != "aws,zeek dns,none" {
			t.Errorf("%v: matched %q", body, got)
		}
	}
	// An item without a product is not one of the products the filter
	// knows by their keys: their rules need it named.
	web, err := ParseConfig(logsourceOnly("category=webserver, service=cloudtrail"))
	if err != nil {
		t.Fatal(err)
	}
	if got := matchedTitles(t, web, fixture.Map{{K: "msg", V: "x"}}); got != "azure signin,auditd,none" {
		t.Errorf("no product named: matched %q", got)
	}
	for _, bad := range []string{"", "product", "product=aws foo", "vendor=x", "product=a product=b", "product=aws,,service=x"} {
		if _, err := ParseConfig(logsourceOnly(bad)); err == nil {
			t.Errorf("logsource %q accepted", bad)
		}
	}
}

// logsourceOnly is a property source with only logsource set.
func logsourceOnly(v string) func(string) (string, bool) {
	return func(name string) (string, bool) { return v, name == "logsource" }
}

// TestJSONLogsAllocateNothing: recognising a record's log kind, nested
// fields and arrays cost no allocation on records that match nothing.
// cloudTrailRecord is the detail of eventBridge's events in these tests.
var cloudTrailRecord = fixture.Map{{K: "eventSource", V: "iam.amazonaws.com"}, {K: "eventName", V: "CreateAccessKey"},
	{K: "awsRegion", V: "us-east-1"}, {K: "userIdentity", V: fixture.Map{{K: "arn", V: "arn:aws:iam::123456789012:user/alice"}}}}

// eventBridge wraps detail as Amazon EventBridge delivers an event.
func eventBridge(detailType string, detail any) fixture.Map {
	return fixture.Map{{K: "version", V: "0"}, {K: "id", V: "6f87d04b-9f74-4f04-a780-7acf4b0a9b38"},
		{K: "detail-type", V: detailType}, {K: "source", V: "aws.iam"}, {K: "account", V: "123456789012"},
		{K: "time", V: "2024-03-01T12:15:00Z"}, {K: "region", V: "us-east-1"}, {K: "resources", V: []any{}},
		{K: "detail", V: detail}}
}

// TestCloudTrailThroughEventBridge: the rules read the CloudTrail record
// an EventBridge event carries as their own fields, nested ones too; the
// envelope's fields fill in what the record lacks, and the record's win
// over them.
func TestCloudTrailThroughEventBridge(t *testing.T) {
	rule := func(sel string) string {
		return "title: t\nid: 00000000-0000-4000-8000-0000000000b1\nlogsource: {product: aws, service: cloudtrail}\n" +
			"detection: {sel: {" + sel + "}, condition: sel}\n"
	}
	record := append(fixture.Map{{K: "source", V: "the record's own"}}, cloudTrailRecord...)
	for _, tc := range []struct {
		name, sel string
		want      bool
	}{
		{"a field of the record", "eventName: CreateAccessKey", true},
		{"a nested field of the record", "userIdentity.arn|endswith: user/alice", true},
		{"a field only the envelope has", "account: '123456789012'", true},
		{"the record's field over the envelope's", "source: the record's own", true},
		{"the envelope's field under the record's", "source: aws.iam", false},
		{"the record's fields under detail.", "detail.eventName: CreateAccessKey", true},
	} {
		f := ruleFilter(t, Config{}, rule(tc.sel))
		if got := matches(t, f, eventBridge("AWS API Call via CloudTrail", record)); got != tc.want {
			t.Errorf("%s (%s): matched %v, want %v", tc.name, tc.sel, got, tc.want)
		}
	}
	// The event as text (CloudWatch Logs' message, a tail line): the same.
	f := ruleFilter(t, Config{}, rule("eventName: CreateAccessKey"))
	text := fixture.JSON(eventBridge("AWS API Call via CloudTrail", record))
	if !matches(t, f, fixture.Map{{K: "message", V: text}}) {
		t.Error("the event as JSON text in message: no match")
	}
}

func TestJSONLogsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	f := ruleFilter(t, Config{}, kindRules)
	var chunk []byte
	for _, body := range []fixture.Map{
		{{K: "eventSource", V: "iam.amazonaws.com"}, {K: "eventName", V: "ListUsers"}, {K: "awsRegion", V: "us-east-1"},
			{K: "userIdentity", V: fixture.Map{{K: "type", V: "IAMUser"}}}},
		{{K: "ts", V: 1.7e9}, {K: "_path", V: "DNS"}, {K: "query", V: "example.com"}},
		{{K: "category", V: "SignInLogs"}, {K: "resourceId", V: "/tenants/x"}, {K: "properties", V: fixture.Map{{K: "a", V: 1}}}},
		{{K: "msg", V: "plain"}, {K: "tags", V: []any{"a", "b"}}, {K: "resources", V: []any{fixture.Map{{K: "ARN", V: "x"}}}}},
		eventBridge("AWS API Call via CloudTrail", cloudTrailRecord),
	} {
		chunk = fixture.Event(chunk, ts, nil, body)
	}
	f.Process(nil, chunk) // warm the pools
	allocs := testing.AllocsPerRun(100, func() {
		if _, changed, _ := f.Process(nil, chunk); changed {
			t.Fatal("unexpected match")
		}
	})
	if allocs != 0 {
		t.Errorf("got %.1f allocations per chunk, want 0", allocs)
	}
}

// TestWindowsRecordsRunNoOtherProducts: a record with a Windows event log
// channel and a numeric event ID is a Windows record, whatever the channel
// (a channel key alone is not): rules of other
// products (here a Zeek rule that matches what lacks its fields) do not run
// on it, while rules without a product still do. Sysmon for Linux's channel
// makes it a Linux record.
func TestWindowsRecordsRunNoOtherProducts(t *testing.T) {
	src := `title: zeek
id: zeek
logsource: {product: zeek, service: rdp}
detection:
  sel: {id.resp_p: 3389}
  condition: not sel
---
title: any
id: any
detection:
  sel: {probe: x}
  condition: sel
---
title: linux
id: linux
logsource: {product: linux}
detection:
  sel: {probe: x}
  condition: sel
`
	f := ruleFilter(t, Config{}, src)
	for name, tc := range map[string]struct {
		body fixture.Map
		want string
	}{
		"unmapped Windows channel": {fixture.Map{{K: "Channel", V: "Microsoft-Windows-RPC/Debug"}, {K: "EventID", V: 5}, {K: "probe", V: "x"}}, "any"},
		"Sysmon for Linux":         {fixture.Map{{K: "Channel", V: "Linux-Sysmon/Operational"}, {K: "EventID", V: 1}, {K: "probe", V: "x"}}, "any,linux"},
		// No channel: not Windows, nor Zeek (whose records the filter
		// knows by _path and ts); linux's rules run on fields alone.
		"no channel": {fixture.Map{{K: "EventID", V: 5}, {K: "probe", V: "x"}}, "any,linux"},
		// A channel key without a numeric event ID is not a Windows event.
		"a channel, no event ID":   {fixture.Map{{K: "channel", V: "stable"}, {K: "probe", V: "x"}}, "any,linux"},
		"a channel, an event UUID": {fixture.Map{{K: "channel", V: "stable"}, {K: "EventID", V: "2f1c6a60-3c8e-4a8f-9b7e-1d2c3b4a5f60"}, {K: "probe", V: "x"}}, "any,linux"},
	} {
		var got []string
		out, changed, err := f.Process(nil, fixture.Event(nil, ts, nil, tc.body))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"zeek", "any", "linux"} {
			if changed && bytes.Contains(out, msgpack.AppendStr(msgpack.AppendStr(nil, "id"), id)) {
				got = append(got, id)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: matched %v, want %s", name, got, tc.want)
		}
	}
}

// intKeyFirst is the map {1: first, key: value}: msgpack allows keys that
// are not strings, which JSON cannot carry.
func intKeyFirst(first, key, value string) fixture.Raw {
	b := msgpack.AppendMapHeader(nil, 2)
	b = msgpack.AppendStr(msgpack.AppendInt(b, 1), first)
	return msgpack.AppendStr(msgpack.AppendStr(b, key), value)
}

// TestLinuxSysmonCategories: Sysmon for Linux's event ID says which Linux
// category a record is, so a process_creation rule does not run on a
// network connection or a process's end, and rules of other Linux
// services (auditd) on none of them.
func TestLinuxSysmonCategories(t *testing.T) {
	var docs []string
	for id, logsource := range map[string]string{"pc": "category: process_creation", "fe": "category: file_event",
		"auditd": "service: auditd", "linux": ""} {
		docs = append(docs, "title: "+id+"\nid: "+id+"\nlogsource: {product: linux"+strings.TrimSuffix(", "+logsource, ", ")+
			"}\ndetection:\n  sel: {Image|endswith: /curl}\n  condition: sel\n")
	}
	src := strings.Join(docs, "---\n")
	f := ruleFilter(t, Config{}, src)
	for id, want := range map[int]string{1: "pc,linux", 3: "linux", 5: "linux", 11: "fe,linux", 16: "linux"} {
		body := fixture.Map{{K: "Channel", V: "Linux-Sysmon/Operational"}, {K: "EventID", V: id}, {K: "Image", V: "/usr/bin/curl"}}
		out, changed, err := f.Process(nil, fixture.Event(nil, ts, nil, body))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rule := range []string{"pc", "fe", "auditd", "linux"} {
			if changed && bytes.Contains(out, msgpack.AppendStr(msgpack.AppendStr(nil, "id"), rule)) {
				got = append(got, rule)
			}
		}
		if strings.Join(got, ",") != want {
			t.Errorf("event ID %d: matched %v, want %s", id, got, want)
		}
	}
}

// ownLogRules name, without a product, categories of logs of their own
// (a database's, a DNS resolver's) and one a product's logs carry
// (antivirus: Windows Defender's events).
const ownLogRules = `title: sql
id: 00000000-0000-4000-8000-0000000000b1
logsource: {category: database}
detection: {sel: {probe: x}, condition: sel}
---
title: dns
id: 00000000-0000-4000-8000-0000000000b2
logsource: {category: dns}
detection: {sel: {probe: x}, condition: sel}
---
title: av
id: 00000000-0000-4000-8000-0000000000b3
logsource: {category: antivirus}
detection: {sel: {probe: x}, condition: sel}
---
title: web
id: 00000000-0000-4000-8000-0000000000b4
logsource: {category: webserver}
detection: {sel: {probe: x}, condition: sel}
`

// TestOwnLogRulesStayOnTheirLogs: a rule for a database's, a DNS
// resolver's or a web server's log, which names no product, does not run
// on a record that says it is an event log product's (a Windows event, a
// CloudTrail record), only on records of its category and on records of
// other kinds (Zeek's, a product a user declares) or that say nothing. An
// IIS log read from its Windows channel is a web server's. Antivirus
// rules still run on Windows events.
func TestOwnLogRulesStayOnTheirLogs(t *testing.T) {
	// One filter of all the rules, as a deployment loads them.
	titles := func(cfg Config, body fixture.Map) string {
		f := ruleFilter(t, cfg, ownLogRules)
		rec := append(append(fixture.Map(nil), body...), fixture.KV{K: "probe", V: "x"})
		out, _, err := f.Process(nil, fixture.Event(nil, ts, nil, rec))
		if err != nil {
			t.Fatal(err)
		}
		var matched []string
		for id, title := range map[string]string{"b1": "sql", "b2": "dns", "b3": "av", "b4": "web"} {
			if bytes.Contains(out, msgpack.AppendStr(msgpack.AppendStr(nil, "id"), "00000000-0000-4000-8000-0000000000"+id)) {
				matched = append(matched, title)
			}
		}
		slices.Sort(matched)
		return strings.Join(matched, ",")
	}
	for _, tc := range []struct {
		name      string
		logsource string
		body      fixture.Map
		want      string
	}{
		{"Windows event", "", fixture.Map{{K: "Channel", V: "Security"}, {K: "EventID", V: 4688}}, "av"},
		{"IIS log from its channel", "", fixture.Map{{K: "Channel", V: "Microsoft-IIS-Logging/Logs"}, {K: "EventID", V: 6200}}, "web"},
		{"CloudTrail", "", fixture.Map{{K: "eventSource", V: "athena.amazonaws.com"}, {K: "eventName", V: "StartQueryExecution"}, {K: "awsRegion", V: "us-east-1"}}, "av"},
		{"Zeek dns", "", fixture.Map{{K: "ts", V: 1.7e9}, {K: "_path", V: "dns"}}, "av,dns,sql,web"},
		{"unknown JSON", "", fixture.Map{{K: "msg", V: "x"}}, "av,dns,sql,web"},
		{"declared a database's", "category=database", fixture.Map{{K: "msg", V: "x"}}, "sql"},
		{"declared a product's database log", "product=postgresql category=database", fixture.Map{{K: "msg", V: "x"}}, "sql"},
		{"declared a web server", "product=nginx", fixture.Map{{K: "msg", V: "x"}}, "av,dns,sql,web"},
		{"declared Zeek's DNS log", "product=zeek service=dns", fixture.Map{{K: "msg", V: "x"}}, "av,dns,sql,web"},
		{"declared an event log product", "product=okta service=okta", fixture.Map{{K: "msg", V: "x"}}, "av"},
	} {
		if got := titles(Config{Logsource: tc.logsource}, tc.body); got != tc.want {
			t.Errorf("%s: matched %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestAzureActivityRows: an AzureActivity row from Log Analytics answers
// to the export's operationName, which SigmaHQ's activity-log rules read,
// with its OperationNameValue (its OperationName is display text).
func TestAzureActivityRows(t *testing.T) {
	f := ruleFilter(t, Config{}, `title: kv
id: kv
logsource: {product: azure, service: activitylogs}
detection:
  sel: {operationName: MICROSOFT.KEYVAULT/VAULTS/DELETE}
  condition: sel
`)
	row := fixture.Map{{K: "TimeGenerated", V: "2024-03-01T12:00:00Z"}, {K: "Type", V: "AzureActivity"},
		{K: "CategoryValue", V: "Administrative"}, {K: "OperationName", V: "Delete Key Vault"},
		{K: "OperationNameValue", V: "MICROSOFT.KEYVAULT/VAULTS/DELETE"}}
	if !matches(t, f, row) {
		t.Error("AzureActivity row: no match")
	}
	export := fixture.Map{{K: "category", V: "Administrative"}, {K: "resourceId", V: "/subscriptions/x/vaults/kv1"},
		{K: "operationName", V: "MICROSOFT.KEYVAULT/VAULTS/DELETE"}}
	if !matches(t, f, export) {
		t.Error("diagnostic export: no match")
	}
}

// TestAzureExportFields: the Log Analytics columns Azure rules read are
// found where Azure's diagnostic export keeps them, at the top level in
// camel case or under properties; a field only rules of other products
// read is not.
func TestAzureExportFields(t *testing.T) {
	signin := fixture.Map{{K: "time", V: "2024-03-01T12:00:00Z"}, {K: "resourceId", V: "/tenants/x/providers/Microsoft.aadiam"},
		{K: "operationName", V: "Sign-in activity"}, {K: "category", V: "SignInLogs"}, {K: "resultType", V: "50053"},
		{K: "properties", V: fixture.Map{{K: "authenticationRequirement", V: "singleFactorAuthentication"},
			{K: "deviceDetail", V: fixture.Map{{K: "isCompliant", V: false}}}, {K: "image", V: "x.exe"}}}}
	azure := func(sel string) string {
		return "title: t\nid: 00000000-0000-4000-8000-0000000000d1\nlogsource: {product: azure, service: signinlogs}\n" +
			"detection: {sel: {" + sel + "}, condition: sel}\n"
	}
	for _, tc := range []struct {
		rule string
		want bool
	}{
		{azure("ResultType: 50053"), true},
		{azure("AuthenticationRequirement: singleFactorAuthentication"), true},
		{azure("DeviceDetail.isCompliant: 'false'"), true},
		{azure("ResultType: 0"), false},
		// A Windows rule's Image is not looked for under properties.
		{"title: t\nid: 00000000-0000-4000-8000-0000000000d2\ndetection: {sel: {Image|endswith: x.exe}, condition: sel}\n", false},
	} {
		if got := matches(t, ruleFilter(t, Config{}, tc.rule), signin); got != tc.want {
			t.Errorf("%q: matched %v, want %v", tc.rule, got, tc.want)
		}
	}
	auditRule := func(sel string) string {
		return "title: t\nid: 00000000-0000-4000-8000-0000000000d3\nlogsource: {product: azure, service: auditlogs}\n" +
			"detection: {sel: {" + sel + "}, condition: sel}\n"
	}
	// An audit log's Category is its properties.category, whatever the
	// order; the top-level category is the log's.
	audit := fixture.Map{{K: "properties", V: fixture.Map{{K: "category", V: "UserManagement"}}},
		{K: "category", V: "AuditLogs"}, {K: "resourceId", V: "/tenants/x/providers/Microsoft.aadiam"}, {K: "operationName", V: "Add user"}}
	for _, tc := range []struct {
		name string
		cfg  Config
		rule string
		body fixture.Map
		want bool
	}{
		{"an audit log's Category", Config{}, auditRule("Category: UserManagement"), audit, true},
		{"the record's own key wins", Config{}, auditRule("Category: Own"), append(fixture.Map{{K: "Category", V: "Own"}}, audit...), true},
		{"not an Azure record: properties are its own", Config{}, azure("AuthenticationRequirement: singleFactorAuthentication"),
			fixture.Map{{K: "properties", V: fixture.Map{{K: "authenticationRequirement", V: "singleFactorAuthentication"}}}}, false},
		{"an initialism lowered as camel case", Config{}, azure("IPAddress: 198.51.100.1"),
			append(fixture.Map{{K: "properties", V: fixture.Map{{K: "ipAddress", V: "198.51.100.1"}}}}, signin[:4]...), true},
		{"declared Azure and more: properties are the records' own", Config{Logsource: "product=windows, product=azure service=signinlogs"},
			azure("AuthenticationRequirement: singleFactorAuthentication"),
			fixture.Map{{K: "properties", V: fixture.Map{{K: "authenticationRequirement", V: "singleFactorAuthentication"}}}}, false},
		{"declared Azure by the logsource property", Config{Logsource: "product=azure service=signinlogs"},
			azure("AuthenticationRequirement: singleFactorAuthentication"),
			fixture.Map{{K: "properties", V: fixture.Map{{K: "authenticationRequirement", V: "singleFactorAuthentication"}}}}, true},
	} {
		if got := matches(t, ruleFilter(t, tc.cfg, tc.rule), tc.body); got != tc.want {
			t.Errorf("%s: matched %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestAzureExportCorrelation: a correlation grouped by a Log Analytics
// column (UserPrincipalName) counts Azure's export records by the value
// they keep under properties, whether only it reads the column or a rule
// of another product does too.
func TestAzureExportCorrelation(t *testing.T) {
	for _, other := range []string{"", windowsUPNRule} {
		if !azureCorrelationFires(t, other) {
			t.Errorf("with %q beside: the correlation did not fire on three failed sign-ins of one user", other)
		}
	}
}

const windowsUPNRule = `---
title: a Windows rule reading the column
id: 00000000-0000-4000-8000-0000000000e3
logsource: {product: windows, service: security}
detection: {sel: {UserPrincipalName: nobody}, condition: sel}
`

func azureCorrelationFires(t *testing.T, other string) bool {
	f := correlationFilter(t, Config{}, `title: failed sign-in
id: 00000000-0000-4000-8000-0000000000e1
name: failed_signin
logsource: {product: azure, service: signinlogs}
detection: {sel: {ResultType: 50126}, condition: sel}
---
title: repeated failed sign-ins
id: 00000000-0000-4000-8000-0000000000e2
correlation:
  type: event_count
  rules: [failed_signin]
  group-by: [UserPrincipalName]
  timespan: 10m
  condition: {gte: 3}
`+other)
	fired := false
	for i := range 3 {
		body := fixture.Map{{K: "category", V: "SignInLogs"}, {K: "resourceId", V: "/tenants/x/providers/Microsoft.aadiam"},
			{K: "operationName", V: "Sign-in activity"}, {K: "resultType", V: "50126"},
			{K: "properties", V: fixture.Map{{K: "userPrincipalName", V: "a@x"}}}}
		for _, rec := range run(t, f, at(time.Duration(i)*time.Second, body))[0] {
			for _, m := range matchesOf(rec) {
				fired = fired || m["id"] == "00000000-0000-4000-8000-0000000000e2"
			}
		}
	}
	return fired
}
