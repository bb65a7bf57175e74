package filter

import (
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
)

// msgRec is an in_winevtlog record of Sysmon event id with only its
// Message text.
func msgRec(id int, msg string) fixture.Map {
	return fixture.Map{{K: "ProviderName", V: sysmon.Provider}, {K: "EventID", V: id}, {K: "Channel", V: sysmon.Channel}, {K: "Message", V: msg}}
}

// proc renders Sysmon's event 1 Message in Sysmon's field order.
func proc(fileVersion, desc, cmd, parent string) string {
	return strings.Join([]string{"Process Create:", "RuleName: -", "UtcTime: 2026-01-01 00:00:00.000",
		"ProcessGuid: {1}", "ProcessId: 42", `Image: C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		"FileVersion: " + fileVersion, "Description: " + desc, "Product: -", "Company: -", "OriginalFileName: PowerShell.EXE",
		"CommandLine: " + cmd, `CurrentDirectory: C:\`, `User: CORP\jdoe`, "LogonGuid: {2}", "LogonId: 0x1",
		"TerminalSessionId: 1", "IntegrityLevel: Medium", "Hashes: SHA256=AB", "ParentProcessGuid: {3}", "ParentProcessId: 7",
		"ParentImage: " + parent, "ParentCommandLine: x", `ParentUser: CORP\jdoe`}, "\r\n")
}

const cmdRule = `title: c
id: c
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains: 'Invoke-Mimikatz'
  condition: sel
`
const parentRule = `title: p
id: p
logsource: {product: windows, category: process_creation}
detection:
  sel:
    ParentImage|endswith: '\WINWORD.EXE'
  condition: sel
`

func TestMessageBaseline(t *testing.T) {
	f := ruleFilter(t, Config{}, cmdRule)
	if !matches(t, f, msgRec(1, proc("1", "d", "powershell -c Invoke-Mimikatz", `C:\x.exe`))) {
		t.Fatal("baseline not matched")
	}
	p := ruleFilter(t, Config{}, parentRule)
	if !matches(t, p, msgRec(1, proc("1", "d", "powershell", `C:\Office\WINWORD.EXE`))) {
		t.Fatal("parent baseline not matched")
	}
}

// A command line of several lines is read whole: a value runs up to the
// line of the next field in the event's order.
func TestMessageMultilineCommandLine(t *testing.T) {
	f := ruleFilter(t, Config{}, cmdRule)
	for _, nl := range []string{"\n", "\r\n"} {
		if !matches(t, f, msgRec(1, proc("1", "d", "powershell -c \"$a=1"+nl+"Invoke-Mimikatz\"", `C:\x.exe`))) {
			t.Errorf("%q: CommandLine past its first line not read (missed detection)", nl)
		}
	}
}

// A command line holding a line that reads like a later field's
// (ParentImage) is part of the command line: the real ParentImage is read.
func TestMessageInjectParent(t *testing.T) {
	p := ruleFilter(t, Config{}, parentRule)
	rec := msgRec(1, proc("1", "d", "powershell -c x\r\nParentImage: C:\\Windows\\explorer.exe", `C:\Office\WINWORD.EXE`))
	if !matches(t, p, rec) {
		t.Error("CommandLine injected ParentImage: Word child not detected (evasion)")
	}
}

// The PE version resource (FileVersion, Description: the binary's
// author's text, rendered before CommandLine) cannot stand in for the
// CommandLine line.
func TestMessageInjectViaFileVersion(t *testing.T) {
	f := ruleFilter(t, Config{}, cmdRule)
	rec := msgRec(1, proc("1.0\r\nCommandLine: benign.exe", "d", "powershell -c Invoke-Mimikatz", `C:\x.exe`))
	if !matches(t, f, rec) {
		t.Error("FileVersion injected CommandLine: real CommandLine hidden (evasion)")
	}
}

// Event 7: a DLL's version resource cannot fake a signature.
func TestMessageInjectSigned(t *testing.T) {
	f := newFilter(t, Config{})
	msg := "Image loaded:\r\nRuleName: -\r\nUtcTime: x\r\nProcessGuid: {1}\r\nProcessId: 1\r\nImage: C:\\slack.exe\r\nImageLoaded: C:\\x\\keymapping.node\r\n" +
		"FileVersion: 1\r\nSigned: true\r\nSignature: Microsoft Windows\r\nSignatureStatus: Valid\r\nDescription: -\r\nProduct: -\r\nCompany: -\r\nOriginalFileName: -\r\nHashes: SHA256=AB\r\nSigned: false\r\nSignature: -\r\nSignatureStatus: Unavailable\r\nUser: x"
	if !matches(t, f, msgRec(7, msg)) {
		t.Error("FileVersion injected Signed: true: unsigned .node load not detected (evasion)")
	}
	// Control: without injection it matches.
	clean := strings.Replace(msg, "FileVersion: 1\r\nSigned: true\r\nSignature: Microsoft Windows\r\nSignatureStatus: Valid\r\n", "FileVersion: 1\r\n", 1)
	if !matches(t, f, msgRec(7, clean)) {
		t.Error("control not matched")
	}
}

// Registry event 13: Details (REG_SZ data, any text) is read whole, on
// one line or over several.
func TestMessageRegistryDetails(t *testing.T) {
	f := ruleFilter(t, Config{}, `title: r
id: r
logsource: {product: windows, category: registry_set}
detection:
  sel:
    Details|contains: 'powershell'
  condition: sel
`)
	head := "Registry value set:\r\nRuleName: -\r\nEventType: SetValue\r\nUtcTime: x\r\nProcessGuid: {1}\r\nProcessId: 1\r\nImage: C:\\x.exe\r\n" +
		"TargetObject: HKU\\S\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x\r\n"
	for _, details := range []string{"powershell -enc AAAA", "cmd /c echo\npowershell -enc AAAA"} {
		if !matches(t, f, msgRec(13, head+"Details: "+details+"\r\nUser: x")) {
			t.Errorf("Details %q not read whole", details)
		}
	}
}

// A non-ASCII value (Product) is read as it is.
func TestMessageForeignField(t *testing.T) {
	f := ruleFilter(t, Config{}, `title: o
id: o
logsource: {product: windows, category: process_creation}
detection:
  sel:
    OriginalFileName: 'PowerShell.EXE'
  filter:
    Product: 'Microsoft® Windows® Operating System'
  condition: sel and not filter
`)
	// Non-ASCII value, Product from the Message
	m := strings.Replace(proc("1", "d", "powershell", `C:\x.exe`), "Product: -", "Product: Microsoft® Windows® Operating System", 1)
	if matches(t, f, msgRec(1, m)) {
		t.Error("non-ASCII Product not read")
	}
}

// Trailing space in the command line is kept (Sysmon keeps it).
func TestMessageTrailing(t *testing.T) {
	f := ruleFilter(t, Config{}, `title: t
id: t
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine: 'svchost.exe -k netsvcs -p '
  condition: sel
`)
	if !matches(t, f, msgRec(1, proc("1", "d", "svchost.exe -k netsvcs -p ", `C:\x.exe`))) {
		t.Error("trailing space lost")
	}
	if !matches(t, f, msgRec(1, proc("1", "d", "svchost.exe -k netsvcs -p ", `C:\x.exe`)+"\r\n")) {
		t.Error("trailing CRLF breaks")
	}
}

// in_winevtlog with String_Inserts off: a record key a rule also reads
// (Computer, Level, Keywords, ...) is not Sysmon's data by name: the
// Message is still read.
func TestMessageSystemKeyDisablesMessage(t *testing.T) {
	src := cmdRule + "---\n" + `title: h
id: h
logsource: {product: windows, service: system}
detection:
  sel:
    Computer: 'dc01'
  condition: sel
`
	f := ruleFilter(t, Config{}, src)
	rec := msgRec(1, proc("1", "d", "powershell -c Invoke-Mimikatz", `C:\x.exe`))
	if !matches(t, f, rec) {
		t.Fatal("baseline")
	}
	rec = append(rec, fixture.Map{{K: "Computer", V: "ws01.corp"}, {K: "Level", V: 4}}...)
	if !matches(t, f, rec) {
		t.Error("a Computer key beside the Message stopped the Message being read (missed detection)")
	}
	rec2 := append(msgRec(1, proc("1", "d", "powershell -c Invoke-Mimikatz", `C:\x.exe`)), fixture.Map{{K: "StringInserts", V: []any{"a"}}, {K: "Computer", V: "ws01.corp"}}...)
	if !matches(t, f, rec2) {
		t.Error("with odd StringInserts")
	}
}
