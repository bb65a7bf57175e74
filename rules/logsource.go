package rules

import (
	"strconv"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

// A guard restricts a rule to events of its logsource. It passes when the
// event lacks the field (a record that does not say what it is may still be
// the right kind; but see keyedProducts) or when the field equals one of
// the values; an event that says it is something else never reaches the
// rule's detection.
type guard struct {
	slot   int
	values []pattern // case-insensitive
	// negate: the field, when present, must match none of the values.
	negate bool
	// kind: a guard on FieldLogsource, passing when the record's
	// logsource list has an item compatible with the rule's logsource.
	kind *logsourceKind
}

func (g *guard) pass(m *matcher) bool {
	v, ok := m.guardValue(g.slot)
	if !ok {
		return g.kind == nil || g.kind.passAbsent()
	}
	if g.kind != nil {
		return g.kind.passKind(v)
	}
	for i := range g.values {
		if g.values[i].match(v) {
			return !g.negate
		}
	}
	return g.negate
}

const (
	sysmonChannel  = "Microsoft-Windows-Sysmon/Operational"
	sysmonProvider = "Microsoft-Windows-Sysmon"
)

// sysmonCategories maps the Sigma taxonomy's Windows categories that Sysmon
// produces to their Sysmon event IDs (Sigma taxonomy appendix; pySigma's
// sysmon pipeline).
var sysmonCategories = map[string][]int{
	"process_creation":         {1},
	"file_change":              {2},
	"network_connection":       {3},
	"sysmon_status":            {4, 16},
	"process_termination":      {5},
	"driver_load":              {6},
	"image_load":               {7},
	"create_remote_thread":     {8},
	"raw_access_thread":        {9},
	"process_access":           {10},
	"file_event":               {11},
	"registry_add":             {12},
	"registry_delete":          {12},
	"registry_set":             {13},
	"registry_rename":          {14},
	"registry_event":           {12, 13, 14},
	"create_stream_hash":       {15},
	"pipe_created":             {17, 18},
	"wmi_event":                {19, 20, 21},
	"dns_query":                {22},
	"file_delete":              {23, 26},
	"clipboard_capture":        {24},
	"process_tampering":        {25},
	"file_delete_detected":     {26},
	"file_block_executable":    {27},
	"file_block_shredding":     {28},
	"file_executable_detected": {29},
	"sysmon_error":             {255},
}

// windowsServiceChannels maps Sigma's Windows services to event log
// channels (Sigma taxonomy appendix; pySigma's Windows pipeline).
var windowsServiceChannels = map[string][]string{
	"application":               {"Application"},
	"security":                  {"Security"},
	"system":                    {"System"},
	"sysmon":                    {sysmonChannel},
	"powershell":                {"Microsoft-Windows-PowerShell/Operational"},
	"powershell-classic":        {"Windows PowerShell"},
	"taskscheduler":             {"Microsoft-Windows-TaskScheduler/Operational"},
	"wmi":                       {"Microsoft-Windows-WMI-Activity/Operational"},
	"dns-server":                {"DNS Server"},
	"dns-server-analytic":       {"Microsoft-Windows-DNS-Server/Analytical"},
	"dns-client":                {"Microsoft-Windows-DNS Client Events/Operational"},
	"bits-client":               {"Microsoft-Windows-Bits-Client/Operational"},
	"windefend":                 {"Microsoft-Windows-Windows Defender/Operational"},
	"firewall-as":               {"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"},
	"codeintegrity-operational": {"Microsoft-Windows-CodeIntegrity/Operational"},
	"appxdeployment-server":     {"Microsoft-Windows-AppXDeploymentServer/Operational"},
	"appxpackaging-om":          {"Microsoft-Windows-AppxPackaging/Operational"},
	"appmodel-runtime":          {"Microsoft-Windows-AppModel-Runtime/Admin"},
	"applocker": {"Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
		"Microsoft-Windows-AppLocker/Packaged app-Deployment", "Microsoft-Windows-AppLocker/Packaged app-Execution"},
	"msexchange-management":                      {"MSExchange Management"},
	"microsoft-servicebus-client":                {"Microsoft-ServiceBus-Client"},
	"ntlm":                                       {"Microsoft-Windows-NTLM/Operational"},
	"security-mitigations":                       {"Microsoft-Windows-Security-Mitigations/Kernel Mode", "Microsoft-Windows-Security-Mitigations/User Mode"},
	"printservice-admin":                         {"Microsoft-Windows-PrintService/Admin"},
	"printservice-operational":                   {"Microsoft-Windows-PrintService/Operational"},
	"terminalservices-localsessionmanager":       {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"},
	"smbclient-security":                         {"Microsoft-Windows-SmbClient/Security"},
	"smbclient-connectivity":                     {"Microsoft-Windows-SmbClient/Connectivity"},
	"smbserver-connectivity":                     {"Microsoft-Windows-SMBServer/Connectivity"},
	"shell-core":                                 {"Microsoft-Windows-Shell-Core/Operational"},
	"certificateservicesclient-lifecycle-system": {"Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"},
	"driver-framework":                           {"Microsoft-Windows-DriverFrameworks-UserMode/Operational"},
	"ldap":                                       {"Microsoft-Windows-LDAP-Client/Debug"},
	"diagnosis-scripted":                         {"Microsoft-Windows-Diagnosis-Scripted/Operational"},
	"lsa-server":                                 {"Microsoft-Windows-LSA/Operational"},
	"openssh":                                    {"OpenSSH/Operational"},
	"capi2":                                      {"Microsoft-Windows-CAPI2/Operational"},
	"iis-configuration":                          {"Microsoft-IIS-Configuration/Operational"},
}

// windowsCategories maps the Windows categories Sysmon does not produce:
// PowerShell's script block, module and classic events.
var windowsCategories = map[string]struct {
	channel string
	ids     []int
}{
	"ps_script":                 {"Microsoft-Windows-PowerShell/Operational", []int{4104}},
	"ps_module":                 {"Microsoft-Windows-PowerShell/Operational", []int{4103}},
	"ps_classic_start":          {"Windows PowerShell", []int{400}},
	"ps_classic_provider_start": {"Windows PowerShell", []int{600}},
	"ps_classic_script":         {"Windows PowerShell", []int{800}},
}

// windowsChannels are the patterns of Windows event-log channels. A rule
// for another product never meets an event that carries one.
var windowsChannels = []string{"microsoft-windows-*", "security", "system", "application", "windows powershell",
	"dns server", "directory service", "setup", "forwardedevents"}

// compileLogsource returns the guards for ls and whether ls could be
// mapped to the events it means. When it cannot, the rule is evaluated on
// its fields alone, but kept off events that are certainly of another kind:
// a rule for another product never meets an event from a Windows event log,
// and a Windows or product-less rule that is not about Sysmon never meets a
// Sysmon event.
func compileLogsource(ls sigma.Logsource, slot func(string) int) ([]guard, bool) {
	guards, mapped := windowsGuards(ls, slot)
	if g, ok := kindGuard(ls, slot); ok {
		guards = append(guards, g)
	}
	return guards, mapped
}

// windowsGuards returns the guards on the Windows fields (channel, event
// id, provider) for ls, and whether ls is mapped to Windows events.
func windowsGuards(ls sigma.Logsource, slot func(string) int) ([]guard, bool) {
	product := strings.ToLower(ls.Product)
	category := strings.ToLower(ls.Category)
	service := strings.ToLower(ls.Service)
	exact := func(vals ...string) []pattern {
		out := make([]pattern, len(vals))
		for i, v := range vals {
			out[i] = newPattern(exactPattern, []byte(foldString(v)))
		}
		return out
	}
	ids := func(ids []int) []pattern {
		var text []string
		for _, id := range ids {
			text = append(text, strconv.Itoa(id))
		}
		return exact(text...)
	}
	notSysmon := []guard{{slot: slot(FieldChannel), negate: true, values: exact(sysmonChannel)}}

	if product != "" && product != "windows" {
		g := guard{slot: slot(FieldChannel), negate: true}
		for _, c := range windowsChannels {
			g.values = append(g.values, compilePattern(parseValue(c)))
		}
		return []guard{g}, false
	}
	if eventIDs, ok := sysmonCategories[category]; ok {
		return []guard{
			{slot: slot(FieldEventID), values: ids(eventIDs)},
			{slot: slot(FieldChannel), values: exact(sysmonChannel)},
			{slot: slot(FieldProvider), values: exact(sysmonProvider)},
		}, true
	}
	if product == "" {
		if category != "" || service != "" {
			return notSysmon, false
		}
		return nil, false
	}
	if wc, ok := windowsCategories[category]; ok {
		return []guard{
			{slot: slot(FieldEventID), values: ids(wc.ids)},
			{slot: slot(FieldChannel), values: exact(wc.channel)},
		}, true
	}
	if category != "" {
		return notSysmon, false
	}
	if service != "" {
		channels, ok := windowsServiceChannels[service]
		if !ok {
			return notSysmon, false
		}
		return []guard{{slot: slot(FieldChannel), values: exact(channels...)}}, true
	}
	return nil, false
}
