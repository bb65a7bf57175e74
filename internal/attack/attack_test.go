package attack

import (
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	tags := []string{"attack.execution", "attack.Stealth", "attack.defense-impairment", "attack.t1129", "attack.T1574.001",
		"attack.t1574.001", "attack.g0032", "attack.s0002", "attack.t99", "attack.html", "cve.2021-44228", "detection.threat-hunting",
		"attack.defense-evasion"}
	info := Parse(tags)
	if got := fmt.Sprint(info.Tactics); got != "[{TA0002 Execution execution} {TA0005 Stealth stealth} {TA0112 Defense Impairment defense-impairment} {TA0005 Defense Evasion defense-evasion}]" {
		t.Errorf("tactics: %s", got)
	}
	if got := fmt.Sprint(info.Techniques); got != "[{T1129 Shared Modules } {T1574.001 DLL T1574}]" {
		t.Errorf("techniques: %s", got)
	}
	if fmt.Sprint(info.Groups, info.Software) != "[G0032] [S0002]" {
		t.Errorf("groups, software: %v %v", info.Groups, info.Software)
	}
}

// Every technique tag in use resolves to a name; the table is not stale
// for the ids rules commonly carry.
func TestTechniqueNames(t *testing.T) {
	for id, want := range map[string]string{"T1129": "Shared Modules", "T1036.005": "Match Legitimate Resource Name or Location",
		"T1059.001": "PowerShell", "T1218.011": "Rundll32"} {
		if got := techniqueNames[id]; got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
}
