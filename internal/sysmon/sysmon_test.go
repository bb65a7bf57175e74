package sysmon

import "testing"

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
