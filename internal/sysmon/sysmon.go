// Package sysmon knows the layout of Sysmon's events: the order in which
// its manifest declares each event's data fields, for transports that ship
// the values by position (Fluent Bit's in_winevtlog StringInserts), and the
// names of its provider and channel.
package sysmon

import "strings"

// The names Sysmon for Windows logs under.
const (
	Provider = "Microsoft-Windows-Sysmon"
	Channel  = "Microsoft-Windows-Sysmon/Operational"
)

// IsSysmon reports whether a provider or channel name is Sysmon's for
// Windows (compared as Windows does, ignoring case).
func IsSysmon(providerOrChannel []byte) bool {
	return equalFoldASCII(providerOrChannel, Provider) || equalFoldASCII(providerOrChannel, Channel)
}

// equalFoldASCII compares b with the ASCII name s ignoring case, without
// the copy a string conversion makes of names over 32 bytes (other
// providers' names, read for every record that carries StringInserts).
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// Schemas returns the field orders of event id, newest schema first, or
// nil for an id Sysmon does not log. Older Sysmon versions wrote fewer
// fields: each older schema in the list lacks fields the newer ones added
// (User in most events with schema 4.80, ParentUser, OriginalFileName in
// 4.20, EventType of the pipe events after 4.2, RuleName in 4.1, Contents
// and Hash details for stream events; olderSchemas before 4.1). The
// layouts were checked against the schemas Sysmon prints (sysmon -s) of
// versions 8.00 (schema 4.2) and 15 (4.90), against Sysinternals'
// manifest of every schema from 2.0 to 4.81, and against real events of
// the versions between.
// No two schemas of one event have the same length, so the number of
// values identifies the schema.
func Schemas(id int) [][]string {
	if id < 0 || id >= len(schemas) {
		if id == 255 {
			return errorSchemas
		}
		return nil
	}
	return schemas[id]
}

var errorSchemas = [][]string{{"UtcTime", "ID", "Description"}}

// without returns fields with the named ones left out.
func without(fields []string, drop ...string) []string {
	var out []string
next:
	for _, f := range fields {
		for _, d := range drop {
			if f == d {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

// withOlder returns the current schema followed by the schemas that lack
// each successive group of newer fields.
func withOlder(current []string, groups ...[]string) [][]string {
	out := [][]string{current}
	dropped := []string{}
	for _, g := range groups {
		dropped = append(dropped, g...)
		out = append(out, without(current, dropped...))
	}
	return out
}

var (
	processCreate = []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description",
		"Product", "Company", "OriginalFileName", "CommandLine", "CurrentDirectory", "User", "LogonGuid", "LogonId",
		"TerminalSessionId", "IntegrityLevel", "Hashes", "ParentProcessGuid", "ParentProcessId", "ParentImage",
		"ParentCommandLine", "ParentUser"}
	imageLoad = []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "ImageLoaded", "FileVersion",
		"Description", "Product", "Company", "OriginalFileName", "Hashes", "Signed", "Signature", "SignatureStatus", "User"}
	registryCreateDelete = []string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetObject", "User"}
	pipe                 = []string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "PipeName", "Image", "User"}
	fileDelete           = []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes", "IsExecutable"}
)

// schemas is indexed by event id. Sysmon schema 4.90 (Sysmon 15) is the
// current one.
var schemas = [...][][]string{
	1: withOlder(processCreate, []string{"ParentUser"}, []string{"OriginalFileName"}, []string{"RuleName"}),
	2: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetFilename", "CreationUtcTime",
		"PreviousCreationUtcTime", "User"}, []string{"User"}),
	3: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "User", "Protocol", "Initiated",
		"SourceIsIpv6", "SourceIp", "SourceHostname", "SourcePort", "SourcePortName", "DestinationIsIpv6", "DestinationIp",
		"DestinationHostname", "DestinationPort", "DestinationPortName"}, []string{"RuleName"}),
	4: {{"UtcTime", "State", "Version", "SchemaVersion"}},
	5: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "User"}, []string{"User"}),
	6: {{"RuleName", "UtcTime", "ImageLoaded", "Hashes", "Signed", "Signature", "SignatureStatus"}},
	7: withOlder(imageLoad, []string{"User"}, []string{"OriginalFileName"}),
	8: withOlder([]string{"RuleName", "UtcTime", "SourceProcessGuid", "SourceProcessId", "SourceImage", "TargetProcessGuid",
		"TargetProcessId", "TargetImage", "NewThreadId", "StartAddress", "StartModule", "StartFunction", "SourceUser",
		"TargetUser"}, []string{"SourceUser", "TargetUser"}),
	9: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "Device", "User"}, []string{"User"}),
	10: withOlder([]string{"RuleName", "UtcTime", "SourceProcessGUID", "SourceProcessId", "SourceThreadId", "SourceImage",
		"TargetProcessGUID", "TargetProcessId", "TargetImage", "GrantedAccess", "CallTrace", "SourceUser", "TargetUser"},
		[]string{"SourceUser", "TargetUser"}),
	11: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetFilename", "CreationUtcTime",
		"User"}, []string{"User"}),
	12: withOlder(registryCreateDelete, []string{"User"}),
	13: withOlder([]string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetObject", "Details",
		"User"}, []string{"User"}),
	14: withOlder([]string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetObject", "NewName",
		"User"}, []string{"User"}),
	15: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetFilename", "CreationUtcTime",
		"Hash", "Contents", "User"}, []string{"User"}, []string{"Contents"}),
	16: {{"UtcTime", "Configuration", "ConfigurationFileHash"}},
	17: withOlder(pipe, []string{"User"}, []string{"EventType"}),
	18: withOlder(pipe, []string{"User"}, []string{"EventType"}),
	19: {{"RuleName", "EventType", "UtcTime", "Operation", "User", "EventNamespace", "Name", "Query"}},
	20: {{"RuleName", "EventType", "UtcTime", "Operation", "User", "Name", "Type", "Destination"}},
	21: {{"RuleName", "EventType", "UtcTime", "Operation", "User", "Consumer", "Filter"}},
	22: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "QueryName", "QueryStatus", "QueryResults",
		"Image", "User"}, []string{"User"}),
	23: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes",
		"IsExecutable", "Archived"}),
	24: {{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "Session", "ClientInfo", "Hashes", "Archived", "User"}},
	25: withOlder([]string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "Type", "User"}, []string{"User"}),
	26: {fileDelete},
	27: {{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes"}},
	28: {fileDelete},
	29: {{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes"}},
}

// olderSchemas are the layouts of Sysmon's schemas before 4.1 (Sysmon 7
// and older: no RuleName, and before 4.0 fewer fields still) and of
// ClipboardChange before User (4.40 to 4.70), as Sysinternals' own
// manifest (SysmonCommon's manifest.xml, every schema from 2.0) declares
// them; a length a newer layout of the event has, or schema 2.0's
// (SequenceNumber first), is left out. Schemas lists them after the
// others.
var olderSchemas = map[int][][]string{
	1: {
		strings.Fields("UtcTime ProcessGuid ProcessId Image CommandLine CurrentDirectory User LogonGuid LogonId TerminalSessionId IntegrityLevel Hashes ParentProcessGuid ParentProcessId ParentImage ParentCommandLine"), // to schema 3.4
	},
	2: {
		strings.Fields("UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime PreviousCreationUtcTime"), // to schema 4.0
	},
	4: {
		strings.Fields("UtcTime State"), // to schema 3.10
	},
	5: {
		strings.Fields("UtcTime ProcessGuid ProcessId Image"), // to schema 4.0
	},
	6: {
		strings.Fields("UtcTime ImageLoaded Hashes Signed Signature SignatureStatus"), // to schema 4.0
		strings.Fields("UtcTime ImageLoaded Hashes Signed Signature"),                 // to schema 3.10
	},
	7: {
		strings.Fields("UtcTime ProcessGuid ProcessId Image ImageLoaded FileVersion Description Product Company Hashes Signed Signature SignatureStatus"), // to schema 4.0
		strings.Fields("UtcTime ProcessGuid ProcessId Image ImageLoaded Hashes Signed Signature SignatureStatus"),                                         // to schema 3.4
		strings.Fields("UtcTime ProcessGuid ProcessId Image ImageLoaded Hashes Signed Signature"),                                                         // to schema 3.10
	},
	8: {
		strings.Fields("UtcTime SourceProcessGuid SourceProcessId SourceImage TargetProcessGuid TargetProcessId TargetImage NewThreadId StartAddress StartModule StartFunction"), // to schema 4.0
	},
	9: {
		strings.Fields("UtcTime ProcessGuid ProcessId Image Device"), // to schema 4.0
	},
	10: {
		strings.Fields("UtcTime SourceProcessGUID SourceProcessId SourceThreadId SourceImage TargetProcessGUID TargetProcessId TargetImage GrantedAccess CallTrace"), // to schema 4.0
	},
	11: {
		strings.Fields("UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime"), // to schema 4.0
	},
	12: {
		strings.Fields("EventType UtcTime ProcessGuid ProcessId Image TargetObject"), // to schema 4.0
	},
	13: {
		strings.Fields("EventType UtcTime ProcessGuid ProcessId Image TargetObject Details"), // to schema 4.0
	},
	14: {
		strings.Fields("EventType UtcTime ProcessGuid ProcessId Image TargetObject NewName"), // to schema 4.0
	},
	15: {
		strings.Fields("UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime Hash"), // to schema 4.0
	},
	17: {
		strings.Fields("UtcTime ProcessGuid ProcessId PipeName Image"), // to schema 4.0
	},
	18: {
		strings.Fields("UtcTime ProcessGuid ProcessId PipeName Image"), // to schema 4.0
	},
	19: {
		strings.Fields("EventType UtcTime Operation User EventNamespace Name Query"), // to schema 4.0
	},
	20: {
		strings.Fields("EventType UtcTime Operation User Name Type Destination"), // to schema 4.0
	},
	21: {
		strings.Fields("EventType UtcTime Operation User Consumer Filter"), // to schema 4.0
	},
	24: {
		strings.Fields("RuleName UtcTime ProcessGuid ProcessId Image Session ClientInfo Hashes Archived"), // to schema 4.70
	},
}

func init() {
	for id, older := range olderSchemas {
		schemas[id] = append(schemas[id], older...)
	}
}
