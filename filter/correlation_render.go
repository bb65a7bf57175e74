package filter

import (
	"strings"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// This file writes correlation alerts: into the record that completed
// them (beside its rule matches, in every format), and as records of their
// own.

// Keys the flat format adds for correlation alerts, one array element per
// alert, in the order the alerts' ids appear in sigma_rule_ids.
const (
	FlatCorrelationTypes  = "sigma_correlation_types"
	FlatCorrelationGroups = "sigma_correlation_groups"
	FlatCorrelationValues = "sigma_correlation_values"
	FlatCorrelationStarts = "sigma_correlation_window_starts"
	FlatCorrelationEnds   = "sigma_correlation_window_ends"
)

// appendCorrelationMatch appends a correlation's entry in sigma.matches:
// a rule's entry plus type, group, value, window and rules.
func (f *Filter) appendCorrelationMatch(b []byte, i int, a *correlate.Alert) []byte {
	static := f.outputs[i].sigma // a fixmap of matchPairs: its pairs follow the header byte
	b = msgpack.AppendMapHeader(b, matchPairs+5)
	b = append(b, static[1:]...)
	return f.appendAlertFacts(b, a)
}

// appendAlertFacts appends the five alert pairs.
func (f *Filter) appendAlertFacts(b []byte, a *correlate.Alert) []byte {
	c := &f.set.Correlations()[a.Spec]
	b = msgpack.AppendStr(msgpack.AppendStr(b, "type"), string(c.Type))
	names, values := f.group(a)
	b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "group"), len(values))
	for g, v := range values {
		b = msgpack.AppendStr(msgpack.AppendStr(b, names[g]), v)
	}
	b = appendNumber(msgpack.AppendStr(b, "value"), a.Value)
	b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "window"), 2)
	b = msgpack.AppendStr(msgpack.AppendStr(b, "start"), unixTime(a.Start))
	b = msgpack.AppendStr(msgpack.AppendStr(b, "end"), unixTime(a.End))
	b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "rules"), len(a.Refs))
	for _, pos := range a.Refs {
		b = msgpack.AppendStr(b, f.refID(c.Refs[pos], c.RefNames[pos]))
	}
	return b
}

// refID names a referenced rule or correlation by id, else as written.
func (f *Filter) refID(ref rules.Ref, written string) string {
	i := ref.Rule
	if i < 0 {
		i = f.ruleCount + ref.Correlation
	}
	if i >= 0 && f.metas[i].ID != "" {
		return f.metas[i].ID
	}
	return written
}

// appendNumber writes a correlation's value, a count or a sum, average or
// percentile, always as a float: a field whose first value is whole would
// be mapped as an integer by Elasticsearch, which then truncates 2.5 to 2.
// (Fluent Bit writes a whole float as 10.0 in JSON.)
func appendNumber(b []byte, v float64) []byte { return msgpack.AppendFloat(b, v) }

// addECSCorrelations writes add_key: {"correlations": [...]} beside the
// ECS fields: ECS has no field for a correlation's group, value or window,
// and custom fields go under a namespace of their own.
func (f *Filter) addECSCorrelations(a *additions, alerts []correlate.Alert) {
	if len(alerts) == 0 {
		return
	}
	a.add(f.addKey, replace, func(b []byte) []byte {
		b = msgpack.AppendMapHeader(b, 1)
		b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "correlations"), len(alerts))
		for k := range alerts {
			meta := &f.metas[f.ruleCount+alerts[k].Spec]
			b = msgpack.AppendMapHeader(b, 2+5)
			b = msgpack.AppendStr(msgpack.AppendStr(b, "id"), meta.ID)
			b = msgpack.AppendStr(msgpack.AppendStr(b, "title"), meta.Title)
			b = f.appendAlertFacts(b, &alerts[k])
		}
		return b
	})
}

// addFlatCorrelations writes the flat format's correlation arrays.
func (f *Filter) addFlatCorrelations(a *additions, alerts []correlate.Alert) {
	if len(alerts) == 0 {
		return
	}
	each := func(key string, value func(b []byte, al *correlate.Alert) []byte) {
		a.add(key, replace, func(b []byte) []byte {
			b = msgpack.AppendArrayHeader(b, len(alerts))
			for k := range alerts {
				b = value(b, &alerts[k])
			}
			return b
		})
	}
	each(FlatCorrelationTypes, func(b []byte, al *correlate.Alert) []byte {
		return msgpack.AppendStr(b, string(f.set.Correlations()[al.Spec].Type))
	})
	each(FlatCorrelationGroups, func(b []byte, al *correlate.Alert) []byte {
		return msgpack.AppendStr(b, f.groupText(al))
	})
	each(FlatCorrelationValues, func(b []byte, al *correlate.Alert) []byte { return appendNumber(b, al.Value) })
	each(FlatCorrelationStarts, func(b []byte, al *correlate.Alert) []byte { return msgpack.AppendStr(b, unixTime(al.Start)) })
	each(FlatCorrelationEnds, func(b []byte, al *correlate.Alert) []byte { return msgpack.AppendStr(b, unixTime(al.End)) })
}

// group returns an alert's group-by fields and values, one value per
// field. An alert has as many; one restored from a state file that says
// otherwise (crafted: its checksum held) shows the values the fields name.
func (f *Filter) group(al *correlate.Alert) (names, values []string) {
	names = f.set.Correlations()[al.Spec].GroupBy
	n := min(len(names), len(al.Group))
	return names[:n], al.Group[:n]
}

// groupText writes an alert's group as "Field=value, Field=value".
func (f *Filter) groupText(al *correlate.Alert) string {
	names, values := f.group(al)
	var sb strings.Builder
	for g, v := range values {
		if g > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(names[g])
		sb.WriteByte('=')
		sb.WriteString(v)
	}
	return sb.String()
}

// appendAlertRecords appends a record of its own for each alert, stamped
// t, or, when t is 0, its window's end (a decision at window close).
func (f *Filter) appendAlertRecords(dst []byte, alerts []correlate.Alert, t int64, s *scratch) []byte {
	for _, a := range alerts {
		stamp := t
		if stamp == 0 {
			stamp = a.End
		}
		dst = f.appendAlertRecord(dst, stamp, a, s)
	}
	return dst
}

// appendAlertRecord appends a record of its own for an alert, stamped t:
// the group values as top-level keys (a SIEM can key on them; not in
// format ecs), and what the format writes for the correlation.
func (f *Filter) appendAlertRecord(dst []byte, t int64, al correlate.Alert, s *scratch) []byte {
	alerts := []correlate.Alert{al}
	s.vals, s.adds = f.appendAdditions(s.vals[:0], s.adds[:0], []int{f.ruleCount + al.Spec}, alerts)
	// The rules package refuses a group-by name listed twice; one that is
	// a key the format writes is left to the format.
	names, values := f.group(&al)
	var keep []int
	for g, name := range names {
		// In ECS a group-by name may be an object's (host, user_agent):
		// a string there would make Elasticsearch refuse the record. The
		// values are in the correlations' group beside.
		if findAddition(s.adds, []byte(name), true) < 0 && f.format != FormatECS {
			keep = append(keep, g)
		}
	}
	dst = msgpack.AppendArrayHeader(dst, 2)
	dst = msgpack.AppendArrayHeader(dst, 2)
	dst = appendEventTime(dst, t)
	dst = msgpack.AppendMapHeader(dst, 0)
	dst = msgpack.AppendMapHeader(dst, len(keep)+len(s.adds))
	for _, g := range keep {
		dst = msgpack.AppendStr(msgpack.AppendStr(dst, names[g]), values[g])
	}
	for _, a := range s.adds {
		dst = msgpack.AppendStr(dst, a.key)
		dst = append(dst, s.vals[a.start:a.end]...)
	}
	return dst
}

// appendEventTime appends event time t (nanoseconds) as Fluent Bit's
// EventTime.
func appendEventTime(b []byte, t int64) []byte {
	return msgpack.AppendEventTime(b, time.Unix(0, max(t, 0)))
}
