package rules

import "strings"

// Level is a Sigma rule level. The zero value is LevelUnknown, which sorts
// below every known level.
type Level uint8

const (
	LevelUnknown Level = iota
	LevelInformational
	LevelLow
	LevelMedium
	LevelHigh
	LevelCritical
)

var levelNames = [...]string{"", "informational", "low", "medium", "high", "critical"}

// String returns the level as written in Sigma rules ("" for LevelUnknown).
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return ""
}

// ParseLevel returns the level named s (case-insensitive) and whether s names one.
func ParseLevel(s string) (Level, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, name := range levelNames {
		if i > 0 && name == s {
			return Level(i), true
		}
	}
	return LevelUnknown, false
}
