package rules

// This file parses correlation documents. sigma-go does not know them, so
// the YAML nodes are read here, which also gives every error the line and
// column of the key at fault.

import (
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// pendingCorrelation is a parsed correlation before its references are
// resolved against the other documents.
type pendingCorrelation struct {
	c        Correlation // Refs, GroupSlots, FieldSlot, Digest and Silent come at resolution
	refNodes []*yaml.Node
	aliases  []corrAlias // in document order
	selected bool
	// mark is where in its `correlation` map the document is, for errors
	// that concern the whole definition.
	mark *yaml.Node
}

// corrAlias is one `aliases` entry: on events of rule (a name or id), the
// group-by name alias reads field.
type corrAlias struct {
	alias, rule, field string
	at                 *yaml.Node
}

// correlationMeta is the metadata a correlation shares with rules.
type correlationMeta struct {
	ID, Title, Name, Status, Description, Author, Level string
	Tags, References                                    []string
}

// isCorrelationDocument says whether a document is a correlation rule: a
// map with a correlation key.
func isCorrelationDocument(doc *yaml.Node) bool {
	root := documentRoot(doc)
	return root.Kind == yaml.MappingNode && mapValue(root, "correlation") != nil
}

// mapValue returns the key node of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// parseCorrelation parses one correlation document. It never panics: the
// input is arbitrary.
func parseCorrelation(doc *yaml.Node) (p pendingCorrelation, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errorf(KindInternal, "internal error while compiling: %v", r)
		}
	}()
	root := documentRoot(doc)
	var meta correlationMeta
	if err := root.Decode(&meta); err != nil {
		_ = root.Decode(&struct{ ID, Title *string }{&p.c.ID, &p.c.Title})
		return p, errorf(KindParse, "parse: %w", err)
	}
	p.c.Rule = Rule{ID: meta.ID, Title: meta.Title, Name: meta.Name, Status: meta.Status, Description: meta.Description,
		Author: meta.Author, Tags: meta.Tags, References: meta.References}
	p.c.FieldSlot = -1
	if meta.Level != "" {
		level, ok := ParseLevel(meta.Level)
		if !ok {
			return p, errorf(KindMetadata, "unknown level %q", meta.Level)
		}
		p.c.Level = level
	}
	key := mapValue(root, "correlation")
	body := valueOf(root, key)
	if body.Kind != yaml.MappingNode {
		return p, at(key, errorf(KindBadCorrelation, "correlation must be a map of type, rules, group-by, timespan and condition"))
	}
	p.mark = key
	if err := p.parseBody(body); err != nil {
		return p, err
	}
	if err := p.topLevelGenerate(root, body); err != nil {
		return p, err
	}
	return p, p.validate()
}

// topLevelGenerate reads generate where the specification lists it, among
// the rule's top-level attributes (its JSON schema too); pySigma reads it
// in the correlation map, as parseBody does. Both may be given if they
// agree.
func (p *pendingCorrelation) topLevelGenerate(root, body *yaml.Node) error {
	key := mapValue(root, "generate")
	if key == nil {
		return nil
	}
	generate, err := parseGenerate(valueOf(root, key))
	if err != nil {
		return at(key, err)
	}
	if mapValue(body, "generate") != nil && generate != p.c.Generate {
		return at(key, errorf(KindBadCorrelation, "generate is %v here and %v in the correlation", generate, p.c.Generate))
	}
	p.c.Generate = generate
	return nil
}

// parseGenerate reads a generate value: a YAML boolean.
func parseGenerate(value *yaml.Node) (bool, error) {
	var generate bool
	if value.Kind != yaml.ScalarNode || value.Tag != "!!bool" || value.Decode(&generate) != nil {
		return false, errorf(KindBadCorrelation, "generate must be true or false")
	}
	return generate, nil
}

// valueOf returns the value node following key in mapping m.
func valueOf(m, key *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i] == key {
			return m.Content[i+1]
		}
	}
	return &yaml.Node{}
}

// parseBody reads the keys of the correlation map. Unknown keys are
// refused: a misspelt group-by would otherwise count every event in one
// group.
func (p *pendingCorrelation) parseBody(body *yaml.Node) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(body.Content); i += 2 {
		key, value := body.Content[i], body.Content[i+1]
		if seen[key.Value] {
			return at(key, errorf(KindBadCorrelation, "%s given twice", key.Value))
		}
		seen[key.Value] = true
		var err error
		switch key.Value {
		case "type":
			err = p.parseType(value)
		case "rules":
			p.c.RefNames, p.refNodes, err = stringList(value, "rules", "a rule id or name")
		case "group-by":
			p.c.GroupBy, _, err = stringList(value, "group-by", "a field name")
			if err == nil {
				err = checkGroupBy(p.c.GroupBy)
			}
		case "aliases":
			p.aliases, err = parseAliases(value)
		case "timespan":
			p.c.Timespan, err = parseTimespan(value)
		case "condition":
			err = p.parseCondition(value)
		case "generate":
			p.c.Generate, err = parseGenerate(value)
		default:
			err = errorf(KindBadCorrelation, "unknown key %q in correlation (type, rules, group-by, aliases, timespan, condition, generate)", key.Value)
		}
		if err != nil {
			return at(key, err)
		}
	}
	return nil
}

// at gives err the position of n, unless a deeper position is already in it.
func at(n *yaml.Node, err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return err
	}
	return errorAt(nodePos{n}, err)
}

func (p *pendingCorrelation) parseType(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		for _, t := range correlationTypes {
			if n.Value == string(t) {
				p.c.Type = t
				return nil
			}
		}
	}
	return errorf(KindBadCorrelation, "unknown correlation type %q (event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile)", n.Value)
}

// stringList reads one string or a list of strings, none empty, with the
// node of each.
// MaxGroupBy bounds the group-by fields of a correlation: a group key
// is built from them for every event counted.
const MaxGroupBy = 16

// checkGroupBy refuses repeated group-by names (the alert's group would
// hold the key twice) and more than MaxGroupBy of them.
func checkGroupBy(names []string) error {
	if len(names) > MaxGroupBy {
		return errorf(KindBadCorrelation, "group-by lists %d fields; at most %d", len(names), MaxGroupBy)
	}
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return errorf(KindBadCorrelation, "group-by lists %q twice", n)
		}
	}
	return nil
}

func stringList(n *yaml.Node, what, item string) ([]string, []*yaml.Node, error) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	if len(items) == 0 {
		return nil, nil, errorf(KindBadCorrelation, "%s is empty", what)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Value == "" || it.Tag == "!!null" {
			return nil, nil, at(it, errorf(KindBadCorrelation, "%s: each entry must be %s", what, item))
		}
		out = append(out, it.Value)
	}
	return out, items, nil
}

// parseAliases reads aliases: {alias: {rule name: field}}.
func parseAliases(n *yaml.Node) ([]corrAlias, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errorf(KindBadCorrelation, "aliases must be a map of alias: {rule name: field}")
	}
	var out []corrAlias
	for i := 0; i+1 < len(n.Content); i += 2 {
		alias, mapping := n.Content[i], n.Content[i+1]
		if alias.Kind != yaml.ScalarNode || mapping.Kind != yaml.MappingNode {
			return nil, at(alias, errorf(KindBadCorrelation, "aliases: each alias must map rule names to fields"))
		}
		for j := 0; j+1 < len(mapping.Content); j += 2 {
			rule, field := mapping.Content[j], mapping.Content[j+1]
			if rule.Kind != yaml.ScalarNode || field.Kind != yaml.ScalarNode || field.Value == "" {
				return nil, at(rule, errorf(KindBadCorrelation, "aliases: %s: each entry must be rule name: field", alias.Value))
			}
			out = append(out, corrAlias{alias: alias.Value, rule: rule.Value, field: field.Value, at: rule})
		}
	}
	return out, nil
}

// timespanUnits are the timespan units as pySigma reads them
// (sigma/correlations.py, SigmaCorrelationTimespan): the specification's
// s, m, h, d, and w, M (a mean Gregorian month) and y (a mean Gregorian
// year). Lower-case m is minutes.
var timespanUnits = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour, 'M': 2629746 * time.Second, 'y': 31556952 * time.Second,
}

var timespanSyntax = regexp.MustCompile(`^([0-9]+)([smhdwMy])$`)

func parseTimespan(n *yaml.Node) (time.Duration, error) {
	m := timespanSyntax.FindStringSubmatch(n.Value)
	if n.Kind != yaml.ScalarNode || m == nil {
		return 0, errorf(KindBadCorrelation, "timespan %q: want a number and a unit, s, m, h, d, w, M or y (10m, 1h, 7d)", n.Value)
	}
	unit := timespanUnits[m[2][0]]
	count, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || count <= 0 || count > math.MaxInt64/int64(unit) {
		return 0, errorf(KindBadCorrelation, "timespan %q: the number must be above zero and the span under 292 years", n.Value)
	}
	return time.Duration(count) * unit, nil
}

// parseCondition reads the condition map: comparisons (several form a
// range), field and pySigma's percentile. Whether they suit the type is
// checked in validate, once the type is known.
func (p *pendingCorrelation) parseCondition(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		// pySigma's extended temporal condition, "a and not b".
		return errorf(KindUnsupportedConstruct, "%w: a condition expression over rule names", ErrUnsupported)
	case n.Kind != yaml.MappingNode:
		return errorf(KindBadCorrelation, "condition must be a map of gt, gte, lt, lte, eq, neq and field")
	}
	ops := map[string]float64{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		err := p.conditionKey(key.Value, value, ops)
		if err != nil {
			return at(key, err)
		}
	}
	for _, op := range boundOps {
		if v, ok := ops[op]; ok {
			p.c.Bounds = append(p.c.Bounds, Bound{Op: op, Value: v})
		}
	}
	return nil
}

// conditionKey reads one key of the condition map into ops or p.
func (p *pendingCorrelation) conditionKey(key string, value *yaml.Node, ops map[string]float64) error {
	switch key {
	case "gt", "gte", "lt", "lte", "eq", "neq":
		if _, dup := ops[key]; dup {
			return errorf(KindBadCorrelation, "condition: %s given twice", key)
		}
		v, err := conditionNumber(value)
		if err != nil {
			return errorf(KindBadCorrelation, "condition: %s: %w", key, err)
		}
		ops[key] = v
	case "field":
		fields, _, err := stringList(value, "condition field", "a field name")
		if err != nil {
			return err
		}
		if len(fields) > 1 {
			return errorf(KindUnsupportedConstruct, "%w: several condition fields", ErrUnsupported)
		}
		p.c.Field = fields[0]
	case "percentile":
		v, err := conditionNumber(value)
		if err != nil || v <= 0 || v > 100 {
			return errorf(KindBadCorrelation, "condition: percentile %q: want a number above 0 and at most 100", value.Value)
		}
		p.c.Percentile = v
	default:
		return errorf(KindBadCorrelation, "condition: unknown key %q (gt, gte, lt, lte, eq, neq, field, percentile)", key)
	}
	return nil
}

// conditionNumber reads an int or float threshold; a quoted number is
// accepted as pySigma accepts it.
func conditionNumber(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, errors.New("want a number")
	}
	var v float64
	var err error
	switch n.Tag {
	case "!!int", "!!float":
		err = n.Decode(&v)
	case "!!str":
		v, err = strconv.ParseFloat(n.Value, 64)
	default:
		err = errors.New("not a number")
	}
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("want a number, found " + strconv.Quote(n.Value))
	}
	return v, nil
}

// MaxCorrelationRefs is how many rules one correlation may reference: the
// correlation engine tells each of a group's events by a bit of a 64-bit
// mask (correlate's maxRefs; filter's tests hold the two together).
const MaxCorrelationRefs = 64

// MaxValueCount is the largest number a value_count condition may name:
// the correlation engine tells apart up to one more distinct value per
// group (correlate.MaxDistinct; filter's tests hold the two together).
const MaxValueCount = 1<<16 - 1

// validate checks what the type requires once all keys are read: every
// type needs rules and a timespan, all but the temporal ones a condition,
// value_* types a field.
func (p *pendingCorrelation) validate() error {
	c := &p.c
	var err error
	switch {
	case c.Type == "":
		err = errorf(KindBadCorrelation, "correlation has no type")
	case len(c.RefNames) == 0:
		err = errorf(KindBadCorrelation, "correlation has no rules")
	case len(c.RefNames) > MaxCorrelationRefs:
		err = errorf(KindUnsupportedConstruct, "%w: a correlation references at most %d rules, this one %d", ErrUnsupported, MaxCorrelationRefs, len(c.RefNames))
	case c.Timespan == 0:
		err = errorf(KindBadCorrelation, "correlation has no timespan")
	case !c.Type.temporal() && len(c.Bounds) == 0:
		err = errorf(KindBadCorrelation, "%s needs a condition with gt, gte, lt, lte, eq or neq", c.Type)
	case c.Type.valued() && c.Field == "":
		err = errorf(KindBadCorrelation, "%s needs a condition field", c.Type)
	case !c.Type.valued() && c.Field != "":
		err = errorf(KindBadCorrelation, "%s takes no condition field (value_* types do)", c.Type)
	case c.Percentile != 0 && c.Type != ValuePercentile:
		err = errorf(KindBadCorrelation, "percentile applies to value_percentile only")
	case c.Type == ValueCount && slices.ContainsFunc(c.Bounds, func(b Bound) bool { return b.Value > MaxValueCount }):
		err = errorf(KindUnsupportedConstruct, "%w: value_count compares at most %d distinct values (a group keeps no more)", ErrUnsupported, MaxValueCount)
	}
	if err != nil {
		return at(p.mark, err)
	}
	return nil
}
