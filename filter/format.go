package filter

import "strings"

// Format is how the filter writes what matched into a record.
type Format uint8

const (
	// FormatSigma: one key (add_key) holding the matches, with ATT&CK
	// parsed from the tags.
	FormatSigma Format = iota
	// FormatECS: Elastic Common Schema alert fields: event.kind,
	// event.severity, rule.*, threat.*, tags.
	FormatECS
	// FormatFlat: top-level scalar and array keys for simple sinks.
	FormatFlat
)

var formatNames = [...]string{"sigma", "ecs", "flat"}

func (f Format) String() string { return formatNames[f] }

// ParseFormat returns the format named s (case-insensitive).
func ParseFormat(s string) (Format, bool) {
	for i, name := range formatNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Format(i), true
		}
	}
	return 0, false
}

// Top-level keys of the ecs format.
const (
	keyEvent  = "event"
	keyRule   = "rule"
	keyThreat = "threat"
	keyTags   = "tags"
)

// Keys of the flat format.
const (
	FlatRuleIDs = "sigma_rule_ids"
	FlatTitles  = "sigma_titles"
	FlatLevel   = "sigma_level"
	FlatTags    = "sigma_tags"
)

// Keys returns the top-level keys format f writes into a matching record,
// add_key being addKey: tag_key must be none of them, or a record would
// hold the key twice.
func (f Format) Keys(addKey string) []string {
	switch f {
	case FormatECS:
		return []string{keyEvent, keyRule, keyThreat, keyTags}
	case FormatFlat:
		return []string{FlatRuleIDs, FlatTitles, FlatLevel, FlatTags}
	}
	return []string{addKey}
}

// CorrelationKeys returns the top-level keys format f writes besides Keys
// into a record that completes a correlation, and into alert records: ecs
// writes the correlations' facts under add_key, flat its
// sigma_correlation_* arrays.
func (f Format) CorrelationKeys(addKey string) []string {
	switch f {
	case FormatECS:
		return []string{addKey}
	case FormatFlat:
		return []string{FlatCorrelationTypes, FlatCorrelationGroups, FlatCorrelationValues, FlatCorrelationStarts, FlatCorrelationEnds}
	}
	return nil
}

// WrittenKeys returns every top-level key format f may write: tag_key and
// shard_key_name must be none of them.
func (f Format) WrittenKeys(addKey string) []string {
	return append(f.Keys(addKey), f.CorrelationKeys(addKey)...)
}
