package sysmon

import (
	"strings"
	"testing"
)

// The number of values must tell the schemas of an event apart, and every
// event id Sysmon logs must have one.
func TestSchemasHaveDistinctLengths(t *testing.T) {
	for id := 1; id <= 29; id++ {
		schemas := Schemas(id)
		if len(schemas) == 0 {
			t.Errorf("event %d: no schema", id)
		}
		seen := map[int]bool{}
		for _, s := range schemas {
			if seen[len(s)] {
				t.Errorf("event %d: two schemas of %d fields", id, len(s))
			}
			seen[len(s)] = true
			names := map[string]bool{}
			for _, f := range s {
				if names[f] {
					t.Errorf("event %d: %s twice", id, f)
				}
				names[f] = true
			}
		}
	}
	if Schemas(0) != nil || Schemas(30) != nil || Schemas(-1) != nil || Schemas(255) == nil {
		t.Error("ids outside Sysmon's")
	}
	if !IsSysmon([]byte("microsoft-windows-sysmon/operational")) || IsSysmon([]byte("Linux-Sysmon")) {
		t.Error("IsSysmon")
	}
}

// schema42 is every event's field order in the schema Sysmon 8.00 prints
// (sysmon -s: schemaversion 4.2), the oldest published dump at hand: each
// must be one of the event's schemas, so StringInserts from that version
// are placed.
var schema42 = map[int]string{
	1: "RuleName UtcTime ProcessGuid ProcessId Image FileVersion Description Product Company CommandLine " +
		"CurrentDirectory User LogonGuid LogonId TerminalSessionId IntegrityLevel Hashes ParentProcessGuid " +
		"ParentProcessId ParentImage ParentCommandLine",
	2: "RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime PreviousCreationUtcTime",
	3: "RuleName UtcTime ProcessGuid ProcessId Image User Protocol Initiated SourceIsIpv6 SourceIp SourceHostname " +
		"SourcePort SourcePortName DestinationIsIpv6 DestinationIp DestinationHostname DestinationPort DestinationPortName",
	4: "UtcTime State Version SchemaVersion",
	5: "RuleName UtcTime ProcessGuid ProcessId Image",
	6: "RuleName UtcTime ImageLoaded Hashes Signed Signature SignatureStatus",
	7: "RuleName UtcTime ProcessGuid ProcessId Image ImageLoaded FileVersion Description Product Company Hashes " +
		"Signed Signature SignatureStatus",
	8: "RuleName UtcTime SourceProcessGuid SourceProcessId SourceImage TargetProcessGuid TargetProcessId TargetImage " +
		"NewThreadId StartAddress StartModule StartFunction",
	9: "RuleName UtcTime ProcessGuid ProcessId Image Device",
	10: "RuleName UtcTime SourceProcessGUID SourceProcessId SourceThreadId SourceImage TargetProcessGUID " +
		"TargetProcessId TargetImage GrantedAccess CallTrace",
	11:  "RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime",
	12:  "RuleName EventType UtcTime ProcessGuid ProcessId Image TargetObject",
	13:  "RuleName EventType UtcTime ProcessGuid ProcessId Image TargetObject Details",
	14:  "RuleName EventType UtcTime ProcessGuid ProcessId Image TargetObject NewName",
	15:  "RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime Hash",
	16:  "UtcTime Configuration ConfigurationFileHash",
	17:  "RuleName UtcTime ProcessGuid ProcessId PipeName Image",
	18:  "RuleName UtcTime ProcessGuid ProcessId PipeName Image",
	19:  "RuleName EventType UtcTime Operation User EventNamespace Name Query",
	20:  "RuleName EventType UtcTime Operation User Name Type Destination",
	21:  "RuleName EventType UtcTime Operation User Consumer Filter",
	255: "UtcTime ID Description",
}

func TestSchemasOfSysmon8(t *testing.T) {
	for id, layout := range schema42 {
		found := false
		for _, s := range Schemas(id) {
			found = found || strings.Join(s, " ") == layout
		}
		if !found {
			t.Errorf("event %d: Sysmon 8.00's layout is in no schema", id)
		}
	}
}

// TestSchemasBefore41: Sysmon 7 and older (schema 4.0 and before) wrote no
// RuleName, and ClipboardChange had no User before schema 4.80; their
// values are placed too (Sysinternals' manifest of those schemas).
func TestSchemasBefore41(t *testing.T) {
	has := func(id int, fields string) bool {
		for _, s := range Schemas(id) {
			if strings.Join(s, " ") == fields {
				return true
			}
		}
		return false
	}
	for id, fields := range map[int]string{
		11: "UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime",
		13: "EventType UtcTime ProcessGuid ProcessId Image TargetObject Details",
		7:  "UtcTime ProcessGuid ProcessId Image ImageLoaded FileVersion Description Product Company Hashes Signed Signature SignatureStatus",
		24: "RuleName UtcTime ProcessGuid ProcessId Image Session ClientInfo Hashes Archived",
	} {
		if !has(id, fields) {
			t.Errorf("event %d: no layout %q", id, fields)
		}
	}
}
