package winlayout

import (
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
)

// The number of values must tell the layouts of an event apart, and the
// events SigmaHQ's Security and System rules read most must be known.
func TestLayoutsHaveDistinctLengths(t *testing.T) {
	for _, p := range Providers() {
		for _, id := range EventIDs(p) {
			seen := map[int]bool{}
			for _, l := range Layouts(p, id) {
				if seen[len(l)] {
					t.Errorf("%s %d: two layouts of %d fields", p, id, len(l))
				}
				seen[len(l)] = true
				names := map[string]bool{}
				for _, f := range l {
					if names[f] {
						t.Errorf("%s %d: %s twice", p, id, f)
					}
					names[f] = true
				}
			}
		}
	}
	for _, id := range []int{4624, 4625, 4648, 4662, 4663, 4672, 4688, 4697, 4698, 4720, 4728, 4732, 4768, 4769,
		4776, 5140, 5145} {
		if Layouts(Security, id) == nil {
			t.Errorf("Security %d: no layout", id)
		}
	}
	if Layouts("service control manager", 7045) == nil || Layouts(ServiceControlManager, 7036) != nil {
		t.Error("System 7045")
	}
	if len(Layouts(sysmon.Provider, 1)) != len(sysmon.Schemas(1)) || Layouts("MSSQLSERVER", 18456) != nil {
		t.Error("providers")
	}
}

// TestLogonLayout pins the most read layout, 4624 version 2, to the order
// Microsoft's event documentation gives.
func TestLogonLayout(t *testing.T) {
	l := Layouts(Security, 4624)[0]
	want := []string{"SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "TargetUserSid",
		"TargetUserName", "TargetDomainName", "TargetLogonId", "LogonType", "LogonProcessName",
		"AuthenticationPackageName", "WorkstationName", "LogonGuid", "TransmittedServices", "LmPackageName",
		"KeyLength", "ProcessId", "ProcessName", "IpAddress", "IpPort", "ImpersonationLevel", "RestrictedAdminMode",
		"TargetOutboundUserName", "TargetOutboundDomainName", "VirtualAccount", "TargetLinkedLogonId", "ElevatedToken"}
	if len(l) != len(want) {
		t.Fatalf("4624: %d fields, want %d", len(l), len(want))
	}
	for i := range want {
		if l[i] != want[i] {
			t.Errorf("4624 position %d: %s, want %s", i, l[i], want[i])
		}
	}
}
