package rules

import "strings"

// Statuses are the rule statuses Sigma defines, in its order from most to
// least trusted. The filter's status property accepts these.
var Statuses = []string{"stable", "test", "experimental", "deprecated", "unsupported"}

// KnownStatus reports whether s (case-insensitive) is one of Statuses.
func KnownStatus(s string) bool {
	return containsFold(Statuses, strings.TrimSpace(s))
}
