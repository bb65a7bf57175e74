// Package attack reads MITRE ATT&CK references out of Sigma rule tags:
// attack.t1574.001 is a sub-technique, attack.stealth a tactic, attack.g0032
// a group, attack.s0002 a software. Tags it does not know are kept as they
// are by the caller.
package attack

import (
	"slices"
	"strings"
)

// Tactic is one ATT&CK tactic.
type Tactic struct {
	ID   string // TA0005
	Name string // Stealth
	Tag  string // the Sigma tag suffix: stealth
}

// Technique is a technique or sub-technique.
type Technique struct {
	ID     string // T1574.001
	Name   string // "" when the id is not in ATT&CK v18
	Parent string // T1574 for a sub-technique, "" for a technique
}

// Info is what a rule's tags say about ATT&CK, in tag order, without
// repeats.
type Info struct {
	Tactics    []Tactic
	Techniques []Technique
	Groups     []string // G0032
	Software   []string // S0002
}

// tactics are the Enterprise tactics by their Sigma tag. ATT&CK v19 split
// Defense Evasion into Stealth and Defense Impairment (TA0112); Stealth
// keeps Defense Evasion's id, TA0005, and rules still tagged
// attack.defense-evasion keep its old name.
var tactics = map[string]Tactic{}

func init() {
	for _, t := range []Tactic{
		{"TA0043", "Reconnaissance", "reconnaissance"},
		{"TA0042", "Resource Development", "resource-development"},
		{"TA0001", "Initial Access", "initial-access"},
		{"TA0002", "Execution", "execution"},
		{"TA0003", "Persistence", "persistence"},
		{"TA0004", "Privilege Escalation", "privilege-escalation"},
		{"TA0005", "Stealth", "stealth"},
		{"TA0112", "Defense Impairment", "defense-impairment"},
		{"TA0005", "Defense Evasion", "defense-evasion"},
		{"TA0006", "Credential Access", "credential-access"},
		{"TA0007", "Discovery", "discovery"},
		{"TA0008", "Lateral Movement", "lateral-movement"},
		{"TA0009", "Collection", "collection"},
		{"TA0011", "Command and Control", "command-and-control"},
		{"TA0010", "Exfiltration", "exfiltration"},
		{"TA0040", "Impact", "impact"},
	} {
		tactics[t.Tag] = t
	}
}

// Parse reads the ATT&CK tags among tags ("attack.t1129", case-insensitive)
// and ignores the others.
func Parse(tags []string) (info Info) {
	seen := map[string]bool{}
	for _, tag := range tags {
		rest, ok := cutPrefixFold(tag, "attack.")
		if !ok {
			continue
		}
		rest = strings.ToLower(rest)
		if t, ok := tactics[rest]; ok {
			if !seen[t.Tag] {
				seen[t.Tag] = true
				info.Tactics = append(info.Tactics, t)
			}
			continue
		}
		if id, ok := objectID(rest, 't'); ok {
			if seen[id] {
				continue
			}
			seen[id] = true
			tech := Technique{ID: id, Name: techniqueNames[id]}
			if parent, _, sub := strings.Cut(id, "."); sub {
				tech.Parent = parent
			}
			info.Techniques = append(info.Techniques, tech)
			continue
		}
		if id, ok := objectID(rest, 'g'); ok {
			info.Groups = appendNew(info.Groups, id)
			continue
		}
		if id, ok := objectID(rest, 's'); ok {
			info.Software = appendNew(info.Software, id)
		}
	}
	return info
}

// objectID recognises t1234, t1234.001, g0032, s0002 and returns the id in
// ATT&CK's spelling (T1234.001).
func objectID(s string, kind byte) (string, bool) {
	if len(s) < 5 || s[0] != kind || !digits(s[1:5]) {
		return "", false
	}
	switch {
	case len(s) == 5:
	case kind == 't' && len(s) == 9 && s[5] == '.' && digits(s[6:]):
	default:
		return "", false
	}
	return strings.ToUpper(s), true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// TechniqueName returns the name of a technique id (T1574), or "".
func TechniqueName(id string) string { return techniqueNames[id] }
