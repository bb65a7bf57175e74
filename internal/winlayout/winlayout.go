// Package winlayout knows the layouts of the Windows events Sigma rules
// read: the order in which a provider's manifest declares each event's
// data fields, for transports that ship the values by position (Fluent
// Bit's in_winevtlog StringInserts). Sysmon's layouts are its own package's;
// this one adds the Security auditing events and the System log's service
// installation.
package winlayout

import (
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
)

// The providers whose layouts are known, by the name their events carry.
const (
	Security              = "Microsoft-Windows-Security-Auditing"
	ServiceControlManager = "Service Control Manager"
)

// Providers lists every provider with known layouts, Sysmon first.
func Providers() []string {
	return []string{sysmon.Provider, Security, ServiceControlManager}
}

// Layouts returns the field orders of a provider's event id, newest
// version first, or nil when they are not known. No two layouts of one
// event have the same length, so the number of values identifies the
// version.
func Layouts(provider string, id int) [][]string {
	var table map[int][]string
	switch {
	case strings.EqualFold(provider, sysmon.Provider):
		return sysmon.Schemas(id)
	case strings.EqualFold(provider, Security):
		table = security
	case strings.EqualFold(provider, ServiceControlManager):
		table = serviceControlManager
	}
	versions := table[id]
	if versions == nil {
		return nil
	}
	out := make([][]string, len(versions))
	for i, v := range versions {
		out[i] = strings.Fields(v)
	}
	return out
}

// EventIDs returns the event ids of provider with known layouts.
func EventIDs(provider string) []int {
	var ids []int
	switch {
	case strings.EqualFold(provider, sysmon.Provider):
		for id := 0; id <= 255; id++ {
			if sysmon.Schemas(id) != nil {
				ids = append(ids, id)
			}
		}
	case strings.EqualFold(provider, Security):
		ids = keys(security)
	case strings.EqualFold(provider, ServiceControlManager):
		ids = keys(serviceControlManager)
	}
	return ids
}

func keys(table map[int][]string) []int {
	ids := make([]int, 0, len(table))
	for id := range table {
		ids = append(ids, id)
	}
	return ids
}

// serviceControlManager: "A service was installed in the system" (7045),
// the System log event SigmaHQ's service rules read.
var serviceControlManager = map[int][]string{
	7045: {"ServiceName ImagePath ServiceType StartType AccountName"},
}
