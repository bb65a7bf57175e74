package rules

// This file holds Sigma correlation rules (specification v2.1.0,
// sigma-correlation-rules-specification.md) as the set carries them once
// loaded: their definition, resolved to indexes into the set, and the
// fields they read. Parsing is in correlation_parse.go, resolution and
// loading in correlation_load.go. Counting events over time is not done
// here: the filter hands these definitions to package correlate.

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// CorrelationType is a correlation's `type`.
type CorrelationType string

const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
	ValueSum        CorrelationType = "value_sum"
	ValueAvg        CorrelationType = "value_avg"
	ValuePercentile CorrelationType = "value_percentile"
)

var correlationTypes = []CorrelationType{EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile}

// temporal says whether the type counts referenced rules rather than
// events or values: its condition is optional.
func (t CorrelationType) temporal() bool { return t == Temporal || t == TemporalOrdered }

// valued says whether the type aggregates a field: `field` is required.
func (t CorrelationType) valued() bool {
	return t == ValueCount || t == ValueSum || t == ValueAvg || t == ValuePercentile
}

// Bound is one key of a correlation's condition: Op is gt, gte, lt, lte,
// eq or neq.
type Bound struct {
	Op    string
	Value float64
}

// boundOps are the condition operators in the order Bounds lists them.
var boundOps = []string{"gt", "gte", "lt", "lte", "eq", "neq"}

// Ref is one entry of a correlation's `rules`: an index into Set.Rules()
// or into Set.Correlations(); the other is -1.
type Ref struct{ Rule, Correlation int }

// Correlation is one loaded correlation rule.
type Correlation struct {
	Rule // metadata; Silent when a correlation referencing it does not generate
	Type CorrelationType
	// Refs are the referenced rules and correlations in the order of
	// `rules`; RefNames the references as written (id or name).
	Refs     []Ref
	RefNames []string
	// GroupBy are the group-by names as written (aliases or fields);
	// GroupSlots[r][g] is the slot in Set.Fields() read for GroupBy[g] on
	// events of Refs[r]: the alias's field for that rule, else the name.
	GroupBy    []string
	GroupSlots [][]int
	// Field is the condition's field (value_* types, else ""), FieldSlot
	// its slot in Set.Fields() (-1 without one).
	Field     string
	FieldSlot int
	// Bounds are the condition's comparisons, ordered gt, gte, lt, lte, eq,
	// neq; several form a range. Empty for a temporal type without
	// condition: every referenced rule must match.
	Bounds []Bound
	// Percentile is pySigma's `percentile` key of value_percentile (the
	// N-th percentile of Field); 0 when absent, where the condition
	// compares the share of the group's events holding this value.
	Percentile float64
	Timespan   time.Duration
	Generate   bool
	// Digest identifies the definition (16 hex digits): state kept for a
	// correlation carries over a reload only to one with the same ID and
	// Digest. Metadata such as the title or level is not part of it.
	Digest string
}

// RefUse is one place a rule or correlation is referenced: the
// correlation (index into Set.Correlations()) and the position in its
// `rules`.
type RefUse struct{ Correlation, Position int }

// Correlations returns the loaded correlations. The caller must not modify
// the slice.
func (s *Set) Correlations() []Correlation { return s.correlations }

// RuleUsers returns where rule i (an index into Rules()) is referenced;
// nil for a rule no correlation references. The caller must not modify it.
func (s *Set) RuleUsers(rule int) []RefUse {
	if rule < 0 || rule >= len(s.ruleUsers) {
		return nil
	}
	return s.ruleUsers[rule]
}

// CorrelationUsers returns where correlation i is referenced by other
// correlations (chains). The caller must not modify it.
func (s *Set) CorrelationUsers(corr int) []RefUse {
	if corr < 0 || corr >= len(s.corrUsers) {
		return nil
	}
	return s.corrUsers[corr]
}

// correlationDigestLen is how many hex digits Correlation.Digest keeps:
// 64 bits, so two definitions of one id practically never collide.
const correlationDigestLen = 16

// definitionDigest hashes what decides a correlation's state: the type,
// what it references (by id, else name), the fields read per referenced
// rule (aliases resolved), the condition and the timespan. refKeys are the
// referenced rules' ids or names in order, fields[r][g] the field read for
// group-by g on events of reference r.
func definitionDigest(c *Correlation, refKeys []string, fields [][]string) string {
	var b strings.Builder
	field := func(s string) { b.WriteString(strconv.Quote(s)); b.WriteByte(' ') }
	field(string(c.Type))
	for r, key := range refKeys {
		field("ref")
		field(key)
		for _, f := range fields[r] {
			field(f)
		}
	}
	for _, g := range c.GroupBy {
		field("group")
		field(g)
	}
	field("field")
	field(c.Field)
	for _, bd := range c.Bounds {
		field(bd.Op)
		field(strconv.FormatFloat(bd.Value, 'g', -1, 64))
	}
	field("percentile")
	field(strconv.FormatFloat(c.Percentile, 'g', -1, 64))
	field("timespan")
	field(c.Timespan.String())
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:correlationDigestLen]
}
