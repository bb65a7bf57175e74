package rules

import "strings"

// Statuses are the rule statuses Sigma defines, in its order from most to
// least trusted. The filter's status property accepts these.
var Statuses = []string{"stable", "test", "experimental", "deprecated", "unsupported"}

// DefaultStatusNames are the statuses loaded by default: all but
// deprecated and unsupported.
var DefaultStatusNames = Statuses[:3:3]

// DefaultStatuses are the statuses loaded when Options.Statuses is nil:
// DefaultStatusNames, and "" for rules without a status.
var DefaultStatuses = append(DefaultStatusNames, "")

// KnownStatus reports whether s (case-insensitive) is one of Statuses.
func KnownStatus(s string) bool {
	return containsFold(Statuses, strings.TrimSpace(s))
}
