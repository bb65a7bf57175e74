package filter

import (
	"slices"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/attack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

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

// Keys of the flat format.
const (
	FlatRuleIDs = "sigma_rule_ids"
	FlatTitles  = "sigma_titles"
	FlatLevel   = "sigma_level"
	FlatTags    = "sigma_tags"
)

// ecsSeverity maps levels to event.severity: Elastic Security's default
// risk scores for its severities, informational below low.
var ecsSeverity = [...]int64{rules.LevelUnknown: 0, rules.LevelInformational: 1, rules.LevelLow: 21,
	rules.LevelMedium: 47, rules.LevelHigh: 73, rules.LevelCritical: 99}

// ruleOutput is what a rule contributes to a record, prepared in New.
type ruleOutput struct {
	sigma  []byte // its entry in sigma.matches
	attack attack.Info
}

func newRuleOutput(r rules.Rule) ruleOutput {
	info, _ := attack.Parse(r.Tags)
	return ruleOutput{sigma: encodeMatch(r, info), attack: info}
}

// encodeMatch encodes a rule's entry in the matches array:
//
//	{"id", "title", "level", "status", "author", "tags": [...],
//	 "references": [...], "attack": {"technique_ids": [...],
//	 "tactics": [{"id", "name"}, ...]}}
func encodeMatch(r rules.Rule, info attack.Info) []byte {
	b := msgpack.AppendMapHeader(nil, 8)
	for _, kv := range [][2]string{{"id", r.ID}, {"title", r.Title}, {"level", r.Level.String()},
		{"status", r.Status}, {"author", r.Author}} {
		b = msgpack.AppendStr(msgpack.AppendStr(b, kv[0]), kv[1])
	}
	b = appendStrings(msgpack.AppendStr(b, "tags"), r.Tags)
	b = appendStrings(msgpack.AppendStr(b, "references"), r.References)
	b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "attack"), 2)
	b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "technique_ids"), len(info.Techniques))
	for _, t := range info.Techniques {
		b = msgpack.AppendStr(b, t.ID)
	}
	b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "tactics"), len(info.Tactics))
	for _, t := range info.Tactics {
		b = msgpack.AppendMapHeader(b, 2)
		b = msgpack.AppendStr(msgpack.AppendStr(b, "id"), t.ID)
		b = msgpack.AppendStr(msgpack.AppendStr(b, "name"), t.Name)
	}
	return b
}

func appendStrings(b []byte, list []string) []byte {
	b = msgpack.AppendArrayHeader(b, len(list))
	for _, s := range list {
		b = msgpack.AppendStr(b, s)
	}
	return b
}

// mergeMode says how an added top-level key meets one the record has.
type mergeMode uint8

const (
	// replace: the record's value is replaced where it stands.
	replace mergeMode = iota
	// combine: maps are merged key by key; where both have a key, the
	// values become one array, the record's first: nothing is lost.
	combine
	// overwrite: maps are merged key by key; where both have a key, the
	// added value wins (event.kind, event.severity).
	overwrite
)

// addition is one top-level key written into a matching record; its value
// is out[start:end] of the buffer it was built in.
type addition struct {
	key        string
	start, end int
	mode       mergeMode
}

// appendAdditions builds what the format adds for the matched rules into
// buf, and returns the additions.
func (f *Filter) appendAdditions(buf []byte, adds []addition, matched []int) ([]byte, []addition) {
	add := func(key string, mode mergeMode, build func([]byte) []byte) {
		start := len(buf)
		buf = build(buf)
		adds = append(adds, addition{key: key, start: start, end: len(buf), mode: mode})
	}
	rs := f.set.Rules()
	top := rules.LevelUnknown
	for _, i := range matched {
		top = max(top, rs[i].Level)
	}
	switch f.format {
	case FormatSigma:
		add(f.addKey, replace, func(b []byte) []byte {
			b = msgpack.AppendMapHeader(b, 3)
			b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "matches"), len(matched))
			for _, i := range matched {
				b = append(b, f.outputs[i].sigma...)
			}
			b = msgpack.AppendStr(msgpack.AppendStr(b, "level"), top.String())
			return msgpack.AppendInt(msgpack.AppendStr(b, "count"), int64(len(matched)))
		})
	case FormatFlat:
		add(FlatRuleIDs, replace, func(b []byte) []byte {
			return appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, rs[i].ID) })
		})
		add(FlatTitles, replace, func(b []byte) []byte {
			return appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, rs[i].Title) })
		})
		add(FlatLevel, replace, func(b []byte) []byte { return msgpack.AppendStr(b, top.String()) })
		add(FlatTags, replace, func(b []byte) []byte { return appendStrings(b, f.unionTags(matched)) })
	case FormatECS:
		add("event", overwrite, func(b []byte) []byte {
			b = msgpack.AppendMapHeader(b, 2)
			b = msgpack.AppendStr(msgpack.AppendStr(b, "kind"), "alert")
			return msgpack.AppendInt(msgpack.AppendStr(b, "severity"), ecsSeverity[top])
		})
		add("rule", combine, func(b []byte) []byte {
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
			return appendEach(b, matched, func(b []byte, i int) []byte { return msgpack.AppendStr(b, rs[i].Description) })
		})
		var tacticIDs, tacticNames, techIDs, techNames, subIDs, subNames []string
		for _, i := range matched {
			info := f.outputs[i].attack
			for _, t := range info.Tactics {
				if !slices.Contains(tacticNames, t.Name) {
					tacticNames = append(tacticNames, t.Name)
					tacticIDs = append(tacticIDs, t.ID)
				}
			}
			for _, t := range info.Techniques {
				id, name := t.ID, t.Name
				if t.Parent != "" {
					if !slices.Contains(subIDs, id) {
						subIDs = append(subIDs, id)
						subNames = append(subNames, name)
					}
					id, name = t.Parent, attack.TechniqueName(t.Parent)
				}
				if !slices.Contains(techIDs, id) {
					techIDs = append(techIDs, id)
					techNames = append(techNames, name)
				}
			}
		}
		if len(tacticIDs)+len(techIDs) > 0 {
			add("threat", combine, func(b []byte) []byte {
				b = msgpack.AppendMapHeader(b, 3)
				b = msgpack.AppendStr(msgpack.AppendStr(b, "framework"), "MITRE ATT&CK")
				b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "tactic"), 2)
				b = appendStrings(msgpack.AppendStr(b, "id"), tacticIDs)
				b = appendStrings(msgpack.AppendStr(b, "name"), tacticNames)
				b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "technique"), 3)
				b = appendStrings(msgpack.AppendStr(b, "id"), techIDs)
				b = appendStrings(msgpack.AppendStr(b, "name"), techNames)
				b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "subtechnique"), 2)
				b = appendStrings(msgpack.AppendStr(b, "id"), subIDs)
				return appendStrings(msgpack.AppendStr(b, "name"), subNames)
			})
		}
		if tags := f.unionTags(matched); len(tags) > 0 {
			add("tags", combine, func(b []byte) []byte { return appendStrings(b, tags) })
		}
	}
	if f.tagKey != "" {
		add(f.tagKey, replace, func(b []byte) []byte { return msgpack.AppendBool(b, true) })
	}
	return buf, adds
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
		for _, t := range f.set.Rules()[i].Tags {
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

// appendEnriched appends ev with the format's keys added. The timestamp,
// metadata and every other key and value are copied byte for byte, in
// their order. A key the record already has is replaced or merged where it
// stands; should the record hold it more than once, the later copies are
// dropped so the output never has a duplicate key. New keys go at the end.
func (f *Filter) appendEnriched(dst, b []byte, ev event, matched []int, s *scratch) []byte {
	s.vals, s.adds = f.appendAdditions(s.vals[:0], s.adds[:0], matched)
	adds, vals := s.adds, s.vals
	// record.load has walked this body, so it is complete msgpack.
	n, first, _ := msgpack.ReadMapHeader(b, ev.body)
	found := s.found[:0]
	for range adds {
		found = append(found, false)
	}
	dropped := 0
	for i, p := 0, first; i < n; i++ {
		key, isStr, _, end := pairAt(b, p)
		if j := findAddition(adds, key, isStr); j >= 0 {
			if found[j] {
				dropped++
			}
			found[j] = true
		}
		p = end
	}
	missing := 0
	for j := range adds {
		if !found[j] {
			missing++
		}
		found[j] = false // now: written
	}
	dst = append(dst, b[ev.start:ev.body]...)
	dst = msgpack.AppendMapHeader(dst, n-dropped+missing)
	for i, p := 0, first; i < n; i++ {
		key, isStr, value, end := pairAt(b, p)
		j := findAddition(adds, key, isStr)
		switch {
		case j < 0:
			dst = append(dst, b[p:end]...)
		case !found[j]:
			a := adds[j]
			dst = append(dst, b[p:value]...)
			dst = mergeValue(dst, b[value:end], vals[a.start:a.end], a.mode)
			found[j] = true
		}
		p = end
	}
	for j, a := range adds {
		if !found[j] {
			dst = msgpack.AppendStr(dst, a.key)
			dst = append(dst, vals[a.start:a.end]...)
		}
	}
	s.found = found
	return dst
}

func findAddition(adds []addition, key []byte, isStr bool) int {
	if !isStr {
		return -1
	}
	for j := range adds {
		if adds[j].key == string(key) {
			return j
		}
	}
	return -1
}

// maxMergeDepth bounds the recursion of merging maps; the values the
// filter adds are three levels deep.
const maxMergeDepth = 4

// mergeValue appends the value where the record's value old meets the
// added value add (both complete msgpack).
func mergeValue(dst, old, add []byte, mode mergeMode) []byte {
	return mergeDepth(dst, old, add, mode, 0)
}

func mergeDepth(dst, old, add []byte, mode mergeMode, depth int) []byte {
	if mode == replace {
		return append(dst, add...)
	}
	on, op, oerr := msgpack.ReadMapHeader(old, 0)
	an, ap, aerr := msgpack.ReadMapHeader(add, 0)
	if oerr != nil || aerr != nil || depth >= maxMergeDepth {
		if mode == overwrite {
			return append(dst, add...)
		}
		return appendCombined(dst, old, add)
	}
	// Both maps: the record's keys in its order, merged where the added
	// map has them too, then the added map's other keys.
	type pair struct{ key, value []byte }
	var added [8]pair
	addPairs := added[:0]
	for i := 0; i < an; i++ {
		k, vp, _, _ := msgpack.ReadStr(add, ap)
		end, _ := msgpack.Skip(add, vp)
		addPairs = append(addPairs, pair{k, add[vp:end]})
		ap = end
	}
	used := make([]bool, len(addPairs))
	count := on
	for i := range addPairs {
		if !hasKey(old, op, on, addPairs[i].key) {
			count++
		}
	}
	dst = msgpack.AppendMapHeader(dst, count)
	for i := 0; i < on; i++ {
		k, isStr, vp, end := pairAt(old, op)
		dst = append(dst, old[op:vp]...)
		merged := false
		for j := range addPairs {
			if isStr && !used[j] && string(addPairs[j].key) == string(k) {
				dst = mergeDepth(dst, old[vp:end], addPairs[j].value, mode, depth+1)
				used[j], merged = true, true
				break
			}
		}
		if !merged {
			dst = append(dst, old[vp:end]...)
		}
		op = end
	}
	for j := range addPairs {
		if !used[j] {
			dst = msgpack.AppendStrBytes(dst, addPairs[j].key)
			dst = append(dst, addPairs[j].value...)
		}
	}
	return dst
}

func hasKey(m []byte, p, n int, key []byte) bool {
	for i := 0; i < n; i++ {
		k, isStr, _, end := pairAt(m, p)
		if isStr && string(k) == string(key) {
			return true
		}
		p = end
	}
	return false
}

// appendCombined appends one array of old's elements (or old itself) then
// add's (or add itself), leaving out added elements old already holds. The
// header is written before the elements, so both loops below must decide
// "duplicate" the same way: each asks containsValue, with no table that
// could run out.
func appendCombined(dst, old, add []byte) []byte {
	elems := func(v []byte) (n, p int) {
		if n, p, err := msgpack.ReadArrayHeader(v, 0); err == nil {
			return n, p
		}
		return 1, 0
	}
	on, op := elems(old)
	an, ap := elems(add)
	count := on
	for i, p := 0, ap; i < an; i++ {
		end, _ := msgpack.Skip(add, p)
		if !containsValue(old, on, op, add[p:end]) {
			count++
		}
		p = end
	}
	if count == on && op == 0 { // a scalar the record already holds: kept as it is
		return append(dst, old...)
	}
	dst = msgpack.AppendArrayHeader(dst, count)
	end := op
	for i := 0; i < on; i++ {
		end, _ = msgpack.Skip(old, end)
	}
	dst = append(dst, old[op:end]...)
	for i, p := 0, ap; i < an; i++ {
		e, _ := msgpack.Skip(add, p)
		if !containsValue(old, on, op, add[p:e]) {
			dst = append(dst, add[p:e]...)
		}
		p = e
	}
	return dst
}

func containsValue(arr []byte, n, p int, v []byte) bool {
	for i := 0; i < n; i++ {
		end, _ := msgpack.Skip(arr, p)
		if string(arr[p:end]) == string(v) {
			return true
		}
		p = end
	}
	return false
}

// pairAt reads the map pair at b[p:], which must be complete msgpack: the
// key (when it is a string), the value's offset and the pair's end.
func pairAt(b []byte, p int) (key []byte, isStr bool, value, end int) {
	key, value, isStr, _ = msgpack.ReadStr(b, p)
	if !isStr {
		value, _ = msgpack.Skip(b, p)
	}
	end, _ = msgpack.Skip(b, value)
	return key, isStr, value, end
}
