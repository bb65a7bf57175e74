package rules

import (
	"strconv"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

// A guard restricts a rule to events of its logsource. It passes when the
// event lacks the field (a record that does not say what it is may still be
// the right kind) or when the field equals one of the values; an event that
// says it is something else never reaches the rule's detection.
type guard struct {
	slot   int
	values []pattern // case-insensitive
	// negate: the field, when present, must match none of the values.
	negate bool
}

func (g *guard) pass(m *matcher) bool {
	v, ok := m.ev.Field(g.slot)
	if !ok {
		return true
	}
	done := false
	for i := range g.values {
		if g.values[i].matchValue(v, &m.folded, &done) {
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

// windowsServiceChannels maps Sigma's Windows services to event log channels.
var windowsServiceChannels = map[string]string{
	"application":               "Application",
	"security":                  "Security",
	"system":                    "System",
	"sysmon":                    sysmonChannel,
	"powershell":                "Microsoft-Windows-PowerShell/Operational",
	"powershell-classic":        "Windows PowerShell",
	"taskscheduler":             "Microsoft-Windows-TaskScheduler/Operational",
	"wmi":                       "Microsoft-Windows-WMI-Activity/Operational",
	"dns-server":                "DNS Server",
	"windefend":                 "Microsoft-Windows-Windows Defender/Operational",
	"bits-client":               "Microsoft-Windows-Bits-Client/Operational",
	"codeintegrity-operational": "Microsoft-Windows-CodeIntegrity/Operational",
}

// windowsChannels are the patterns of Windows event-log channels. A rule
// for another product never meets an event that carries one.
var windowsChannels = []string{"microsoft-windows-*", "security", "system", "application", "windows powershell",
	"dns server", "directory service", "setup", "forwardedevents"}

// compileLogsource returns the guards for ls and whether ls could be mapped.
// A logsource of another product than Windows yields one guard: the event
// must not come from a Windows event log. Otherwise the rule is evaluated
// on its fields alone.
func compileLogsource(ls sigma.Logsource, slot func(string) int) ([]guard, bool) {
	if ls.Product != "" && !strings.EqualFold(ls.Product, "windows") {
		g := guard{slot: slot(FieldChannel), negate: true}
		for _, c := range windowsChannels {
			g.values = append(g.values, compilePattern(parseValue(c)))
		}
		return []guard{g}, false
	}
	if ls.Product == "" {
		if _, sysmon := sysmonCategories[strings.ToLower(ls.Category)]; !sysmon && ls.Category != "" {
			// A category of its own (webserver, proxy, antivirus, ...): no
			// Sysmon event is one, whatever else may be.
			return []guard{{slot: slot(FieldChannel), negate: true,
				values: []pattern{compilePattern(parseValue(sysmonChannel))}}}, false
		}
		return nil, false
	}
	if !strings.EqualFold(ls.Product, "windows") {
		return nil, false
	}
	fold := func(vals ...string) []pattern {
		out := make([]pattern, len(vals))
		for i, v := range vals {
			out[i] = newPattern(exactPattern, []byte(foldString(v)))
		}
		return out
	}
	var guards []guard
	mapped := false
	if ids, ok := sysmonCategories[strings.ToLower(ls.Category)]; ok {
		idText := make([]string, len(ids))
		for i, id := range ids {
			idText[i] = strconv.Itoa(id)
		}
		guards = append(guards,
			guard{slot: slot(FieldEventID), values: fold(idText...)},
			guard{slot: slot(FieldChannel), values: fold(sysmonChannel)},
			guard{slot: slot(FieldProvider), values: fold(sysmonProvider)},
		)
		mapped = true
	}
	if ls.Service != "" {
		channel, ok := windowsServiceChannels[strings.ToLower(ls.Service)]
		if !ok {
			return guards, false
		}
		if !mapped { // a Sysmon category already pins the channel
			guards = append(guards, guard{slot: slot(FieldChannel), values: fold(channel)})
		}
		mapped = true
	}
	return guards, mapped
}
