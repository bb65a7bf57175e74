package filter

import (
	"slices"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/attack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// addition is one top-level key written into a matching record; its value
// is buf[start:end] of the additions it was built in.
type addition struct {
	key        string
	start, end int
	mode       mergeMode
}

// additions are what a format writes into one record: each value is built
// into buf, and list holds its key, span and how it meets the record's.
type additions struct {
	buf  []byte
	list []addition
}

func (a *additions) add(key string, mode mergeMode, build func([]byte) []byte) {
	start := len(a.buf)
	a.buf = build(a.buf)
	a.list = append(a.list, addition{key: key, start: start, end: len(a.buf), mode: mode})
}

// appendAdditions builds what the format adds for the matched rules into
// buf, and returns the additions. matched indexes f.metas (rules, then
// correlations); alerts are the alerts of the correlations among them.
func (f *Filter) appendAdditions(buf []byte, adds []addition, matched []int, alerts []correlate.Alert) ([]byte, []addition) {
	a := additions{buf: buf, list: adds}
	top := rules.LevelUnknown
	for _, i := range matched {
		top = max(top, f.metas[i].Level)
	}
	switch f.format {
	case FormatSigma:
		f.addSigma(&a, matched, alerts, top)
	case FormatFlat:
		f.addFlat(&a, matched, top)
		f.addFlatCorrelations(&a, alerts)
	case FormatECS:
		f.addECS(&a, matched, top)
		f.addECSCorrelations(&a, alerts)
	}
	if f.tagKey != "" {
		// A string, not a boolean: grep's and rewrite_tag's regexes test
		// only string values.
		a.add(f.tagKey, replace, func(b []byte) []byte { return msgpack.AppendStr(b, "true") })
	}
	return a.buf, a.list
}

// addSigma writes add_key: {"matches": [...], "level", "count"}.
func (f *Filter) addSigma(a *additions, matched []int, alerts []correlate.Alert, top rules.Level) {
	a.add(f.addKey, replace, func(b []byte) []byte {
		b = msgpack.AppendMapHeader(b, 3)
		b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "matches"), len(matched))
		// The correlations follow the rules in matched, in the order of
		// their alerts (one correlation may fire twice on a record, for
		// two groups).
		k := 0
		for _, i := range matched {
			if i >= f.ruleCount && k < len(alerts) {
				b = f.appendCorrelationMatch(b, i, &alerts[k])
				k++
				continue
			}
			b = append(b, f.outputs[i].sigma...)
		}
		b = msgpack.AppendStr(msgpack.AppendStr(b, "level"), top.String())
		return msgpack.AppendInt(msgpack.AppendStr(b, "count"), int64(len(matched)))
	})
}

// addFlat writes the flat format's top-level keys.
func (f *Filter) addFlat(a *additions, matched []int, top rules.Level) {
	rs := f.metas
	a.add(FlatRuleIDs, replace, func(b []byte) []byte {
		return appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, rs[i].ID) })
	})
	a.add(FlatTitles, replace, func(b []byte) []byte {
		return appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, rs[i].Title) })
	})
	a.add(FlatLevel, replace, func(b []byte) []byte { return msgpack.AppendStr(b, top.String()) })
	a.add(FlatTags, replace, func(b []byte) []byte { return appendStrings(b, f.unionTags(matched)) })
}

// ecsSeverity maps levels to event.severity: Elastic Security's default
// risk scores for its severities, informational below low.
var ecsSeverity = [...]int64{rules.LevelUnknown: 0, rules.LevelInformational: 1, rules.LevelLow: 21,
	rules.LevelMedium: 47, rules.LevelHigh: 73, rules.LevelCritical: 99}

// addECS writes ECS alert fields: event.kind and event.severity overwrite
// the record's; rule, threat and tags are merged with what it holds.
func (f *Filter) addECS(a *additions, matched []int, top rules.Level) {
	a.add(keyEvent, overwrite, func(b []byte) []byte {
		b = msgpack.AppendMapHeader(b, 2)
		b = msgpack.AppendStr(msgpack.AppendStr(b, "kind"), "alert")
		return msgpack.AppendInt(msgpack.AppendStr(b, "severity"), ecsSeverity[top])
	})
	a.add(keyRule, combine, func(b []byte) []byte { return f.appendECSRule(b, matched) })
	if th := f.threatOf(matched); len(th.tacticIDs)+len(th.techIDs)+len(th.groupIDs)+len(th.softwareIDs) > 0 {
		a.add(keyThreat, combine, th.append)
	}
	if tags := f.unionTags(matched); len(tags) > 0 {
		a.add(keyTags, combine, func(b []byte) []byte { return appendStrings(b, tags) })
	}
}

// appendECSRule appends the rule object: id, name and description per
// matched rule, their authors and references without repeats.
func (f *Filter) appendECSRule(b []byte, matched []int) []byte {
	rs := f.metas
	b = msgpack.AppendMapHeader(b, 6)
	b = msgpack.AppendStr(b, "id")
	b = appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, rs[i].ID) })
	b = msgpack.AppendStr(b, "name")
	b = appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, rs[i].Title) })
	b = msgpack.AppendStr(msgpack.AppendStr(b, "ruleset"), "sigma")
	var authors, refs []string
	for _, i := range matched {
		authors = appendNew(authors, rs[i].Author)
		for _, ref := range rs[i].References {
			refs = appendNew(refs, ref)
		}
	}
	b = appendStrings(msgpack.AppendStr(b, "author"), authors)
	b = appendStrings(msgpack.AppendStr(b, "reference"), refs)
	b = msgpack.AppendStr(b, "description")
	return appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, f.outputs[i].description) })
}

// ecsThreat is the ATT&CK of the matched rules, without repeats, in ECS's
// threat.* layout: a sub-technique counts its parent as a technique.
// Groups and software are ids only (ECS's threat.group.id and
// threat.software.id): the tags name no more.
type ecsThreat struct {
	tacticIDs, tacticNames, techIDs, techNames, subIDs, subNames []string
	groupIDs, softwareIDs                                        []string
}

func (f *Filter) threatOf(matched []int) ecsThreat {
	var th ecsThreat
	for _, i := range matched {
		info := f.outputs[i].attack
		for _, id := range info.Groups {
			th.groupIDs = appendNew(th.groupIDs, id)
		}
		for _, id := range info.Software {
			th.softwareIDs = appendNew(th.softwareIDs, id)
		}
		for _, t := range info.Tactics {
			// By name: Stealth and Defense Evasion share TA0005.
			if !slices.Contains(th.tacticNames, t.Name) {
				th.tacticNames = append(th.tacticNames, t.Name)
				th.tacticIDs = append(th.tacticIDs, t.ID)
			}
		}
		for _, t := range info.Techniques {
			id, name := t.ID, t.Name
			if t.Parent != "" {
				if !slices.Contains(th.subIDs, id) {
					th.subIDs = append(th.subIDs, id)
					th.subNames = append(th.subNames, name)
				}
				id, name = t.Parent, attack.TechniqueName(t.Parent)
			}
			if !slices.Contains(th.techIDs, id) {
				th.techIDs = append(th.techIDs, id)
				th.techNames = append(th.techNames, name)
			}
		}
	}
	return th
}

func (th ecsThreat) append(b []byte) []byte {
	// group and software only when some rule names one: counted and
	// written from the one list.
	optional := [...]struct {
		key string
		ids []string
	}{{"group", th.groupIDs}, {"software", th.softwareIDs}}
	keys := 3
	for _, o := range optional {
		if len(o.ids) > 0 {
			keys++
		}
	}
	b = msgpack.AppendMapHeader(b, keys)
	b = msgpack.AppendStr(msgpack.AppendStr(b, "framework"), "MITRE ATT&CK")
	for _, o := range optional {
		if len(o.ids) > 0 {
			b = msgpack.AppendMapHeader(msgpack.AppendStr(b, o.key), 1)
			b = appendStrings(msgpack.AppendStr(b, "id"), o.ids)
		}
	}
	b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "tactic"), 2)
	b = appendStrings(msgpack.AppendStr(b, "id"), th.tacticIDs)
	b = appendStrings(msgpack.AppendStr(b, "name"), th.tacticNames)
	b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "technique"), 3)
	b = appendStrings(msgpack.AppendStr(b, "id"), th.techIDs)
	b = appendStrings(msgpack.AppendStr(b, "name"), th.techNames)
	b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "subtechnique"), 2)
	b = appendStrings(msgpack.AppendStr(b, "id"), th.subIDs)
	return appendStrings(msgpack.AppendStr(b, "name"), th.subNames)
}

func appendEach(b []byte, matched []int, each func([]byte, int) []byte) []byte {
	b = msgpack.AppendArrayHeader(b, len(matched))
	for _, i := range matched {
		b = each(b, i)
	}
	return b
}

func (f *Filter) unionTags(matched []int) []string {
	var tags []string
	for _, i := range matched {
		for _, t := range f.metas[i].Tags {
			tags = appendNew(tags, t)
		}
	}
	return tags
}

// appendNew appends v unless it is empty or already in list.
func appendNew(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}
