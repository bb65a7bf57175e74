package rules

// This file holds the compilation of one "Field|modifiers: values" line:
// compileField reads the modifiers and the values, then hands them to one
// compile step per kind of comparison, as a recursive-descent parser has
// one function per production.

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

func (c *compiler) compileField(fm sigma.FieldMatcher) (fieldMatcher, error) {
	spec, err := parseModifiers(fm.Modifiers)
	if err != nil {
		return fieldMatcher{}, err
	}
	f := fieldMatcher{slot: -1}
	values, err := fieldValues(fm.Values, &f)
	if err != nil {
		return fieldMatcher{}, err
	}
	if f.matchAbsent && (spec.all || spec.comparator != "") {
		return fieldMatcher{}, errorf(KindModifierCombination, "null cannot be combined with this modifier")
	}
	if spec.compile != nil {
		var absent bool
		f.test, absent, err = spec.compile(c, spec, values)
		f.matchAbsent = f.matchAbsent || absent
	} else {
		if fm.Field == "" && spec.position == "" {
			spec.position = "contains" // keywords match anywhere in a value
		}
		f.test, err = c.compilePatterns(values, &spec)
	}
	if err != nil {
		return fieldMatcher{}, err
	}
	if spec.neq && f.test != nil {
		f.test = &notTest{inner: f.test}
	}
	// Only null was listed (exists always has a value: compileExists
	// checks).
	if len(values) == 0 {
		f.test = nil
	}
	if fm.Field == "" {
		if f.matchAbsent {
			return fieldMatcher{}, errorf(KindBadValue, "a keyword cannot be null")
		}
	} else {
		f.slot = c.slot(fm.Field)
	}
	return f, nil
}

// fieldValues turns the YAML values into text. A null sets f.matchAbsent
// instead: the field matches when the event lacks it.
func fieldValues(raw []any, f *fieldMatcher) ([]string, error) {
	var values []string
	for _, v := range raw {
		text, isNull, err := valueText(v)
		if err != nil {
			return nil, err
		}
		if isNull {
			f.matchAbsent = true
			continue
		}
		values = append(values, text)
	}
	return values, nil
}

// valueText turns a YAML scalar into the text Sigma compares: numbers and
// booleans compare as their string form.
func valueText(v any) (text string, isNull bool, err error) {
	switch v := v.(type) {
	case nil:
		return "", true, nil
	case string:
		return v, false, nil
	case int:
		return strconv.Itoa(v), false, nil
	case int64:
		return strconv.FormatInt(v, 10), false, nil
	case uint64:
		return strconv.FormatUint(v, 10), false, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), false, nil
	case bool:
		return strconv.FormatBool(v), false, nil
	default:
		return "", false, errorf(KindUnsupportedValue, "%w: value of type %T", ErrUnsupported, v)
	}
}

// compileRegex is the re modifier: RE2 syntax, with the i, m and s flags
// that follow it.
func compileRegex(_ *compiler, spec fieldSpec, values []string) (valueTest, bool, error) {
	t := &regexTest{all: spec.all}
	var flags string
	if spec.reFlags != "" {
		flags = "(?" + spec.reFlags + ")"
	}
	for _, v := range values {
		re, err := regexp.Compile(flags + v)
		if err != nil {
			return nil, false, errorf(KindBadRegex, "%w: regular expression %q: %v", ErrUnsupported, v, err)
		}
		t.res = append(t.res, re)
	}
	return t, false, nil
}

// compileCIDR is the cidr modifier: IPv4 and IPv6 prefixes.
func compileCIDR(_ *compiler, _ fieldSpec, values []string) (valueTest, bool, error) {
	t := &cidrTest{}
	for _, v := range values {
		p, err := netip.ParsePrefix(strings.TrimSpace(v))
		if err != nil {
			return nil, false, errorf(KindBadCIDR, "cidr %q: %v", v, err)
		}
		t.prefixes = append(t.prefixes, p.Masked())
	}
	return t, false, nil
}

// compileNumber is lt, lte, gt and gte: the values are the limits.
func compileNumber(_ *compiler, spec fieldSpec, values []string) (valueTest, bool, error) {
	t := &numberTest{op: spec.comparator}
	for _, v := range values {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, false, errorf(KindBadNumber, "%s: %q is not a number", spec.comparator, v)
		}
		t.limits = append(t.limits, n)
	}
	return t, false, nil
}

// compileExists is the exists modifier: true matches any present value,
// false only an absent field.
func compileExists(_ *compiler, _ fieldSpec, values []string) (valueTest, bool, error) {
	if len(values) != 1 || (values[0] != "true" && values[0] != "false") {
		return nil, false, errorf(KindBadValue, "exists takes true or false")
	}
	if values[0] == "true" {
		return existsTest{}, false, nil
	}
	return nil, true, nil
}

// compileFieldref is the fieldref modifier: each value names another field
// of the same event, which gets a slot.
func compileFieldref(c *compiler, spec fieldSpec, values []string) (valueTest, bool, error) {
	t := &fieldrefTest{position: spec.position, all: spec.all}
	for _, v := range values {
		t.slots = append(t.slots, c.slot(v))
	}
	return t, false, nil
}

// compilePatterns compiles plain and wildcard values: the transforms in the
// order the rule gives them, then the position modifier.
func (c *compiler) compilePatterns(values []string, spec *fieldSpec) (valueTest, error) {
	t := &patternTest{all: spec.all}
	for _, v := range values {
		variants, err := c.transform(parseValue(v), spec.transforms)
		if err != nil {
			return nil, err
		}
		// With |all, one value must match in at least one of its variants.
		if spec.all && len(variants) > 1 {
			return nil, errorf(KindModifierCombination, "%w: all combined with a modifier that expands values", ErrUnsupported)
		}
		for _, toks := range variants {
			t.patterns = append(t.patterns, compilePatternCased(placeAt(toks, spec.position), spec.cased))
		}
	}
	return t, nil
}

// transform applies the transforms in turn to every variant of a value.
func (c *compiler) transform(toks []token, transforms []namedTransform) ([][]token, error) {
	variants := [][]token{toks}
	for _, tr := range transforms {
		var next [][]token
		for _, toks := range variants {
			out, err := tr.fn(c, toks)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", tr.name, err)
			}
			next = append(next, out...)
		}
		variants = next
	}
	return variants, nil
}

// placeAt surrounds toks with the wildcards the position modifier implies.
func placeAt(toks []token, position string) []token {
	star := token{kind: starToken}
	switch position {
	case "contains":
		return append(append([]token{star}, toks...), star)
	case "startswith":
		return append(append([]token(nil), toks...), star)
	case "endswith":
		return append([]token{star}, toks...)
	}
	return toks
}
