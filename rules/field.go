package rules

// This file holds the compilation of one "Field|modifiers: values" line:
// compileField reads the modifiers and the values, then hands them to one
// compile step per kind of comparison, as a recursive-descent parser has
// one function per production.

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
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
	f.exists = spec.comparator == "exists"
	if spec.neq && f.test != nil {
		f.test = &notTest{inner: f.test}
	}
	// Only null was listed (exists always has a value: compileExists
	// checks).
	if len(values) == 0 {
		f.test = nil
	}
	// "neq: null": the field differs from null, so it is there and holds
	// a value.
	if spec.neq && f.matchAbsent && !f.exists {
		f.matchAbsent = false
		if f.test == nil {
			f.test = existsTest{}
		}
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

// compileRegex is the re modifier, with the i, m and s flags that follow
// it. The specification names PCRE; Go's RE2 agrees with it on every
// construct the specification lists but one, which is rewritten: without
// m, PCRE's '$' also matches before a newline that ends the text. What RE2
// cannot express at all (look-arounds, back-references, atomic groups,
// possessive quantifiers) fails the rule with a reason that says so.
func compileRegex(_ *compiler, spec fieldSpec, values []string) (valueTest, bool, error) {
	t := &regexTest{all: spec.all}
	var flags string
	if spec.reFlags != "" {
		flags = "(?" + spec.reFlags + ")"
	}
	for _, v := range values {
		re, err := compilePCRE(flags + v)
		if err != nil {
			return nil, false, errorf(KindBadRegex, "%w: regular expression %q: %v", ErrUnsupported, v, err)
		}
		t.res = append(t.res, re)
		t.gates = append(t.gates, newRegexGate(re))
		t.splits = append(t.splits, newRegexSplit(re))
		t.runs = append(t.runs, newRuneRunOf(re))
		t.counts = append(t.counts, newLiteralRepeatOf(re))
	}
	return t, false, nil
}

// compilePCRE compiles a PCRE expression with RE2, giving '$' its PCRE
// meaning where RE2's differs.
func compilePCRE(expr string) (*regexp.Regexp, error) {
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, explainPCRE(err)
	}
	if !hasDollar(tree) {
		return regexp.Compile(expr)
	}
	return regexp.Compile(pcreDollar(tree).String())
}

// hasDollar reports whether tree holds a '$' outside multi-line mode: RE2
// parses it as end of text, marked WasDollar ('\z' is not marked).
func hasDollar(tree *syntax.Regexp) bool {
	if tree.Op == syntax.OpEndText && tree.Flags&syntax.WasDollar != 0 {
		return true
	}
	for _, sub := range tree.Sub {
		if hasDollar(sub) {
			return true
		}
	}
	return false
}

// pcreDollar replaces each such '$' in tree with "\n?\z", PCRE's end of
// subject: the end, or before a final newline. Escaped dollars, dollars
// in character classes and m-mode dollars are other ops and stay.
func pcreDollar(tree *syntax.Regexp) *syntax.Regexp {
	if tree.Op == syntax.OpEndText && tree.Flags&syntax.WasDollar != 0 {
		newline := &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{'\n'}}
		optional := &syntax.Regexp{Op: syntax.OpQuest, Sub: []*syntax.Regexp{newline}}
		end := &syntax.Regexp{Op: syntax.OpEndText}
		return &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{optional, end}}
	}
	for i, sub := range tree.Sub {
		tree.Sub[i] = pcreDollar(sub)
	}
	return tree
}

// explainPCRE turns RE2's parse error into a reason naming the PCRE
// feature RE2 lacks, when that is what failed.
func explainPCRE(err error) error {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case strings.HasPrefix(se.Expr, "(?=") || strings.HasPrefix(se.Expr, "(?!") ||
		strings.HasPrefix(se.Expr, "(?<=") || strings.HasPrefix(se.Expr, "(?<!"):
		return fmt.Errorf("look-around %s is PCRE syntax RE2 cannot express (matching stays linear-time): %w", se.Expr, err)
	case se.Code == syntax.ErrInvalidPerlOp && strings.HasPrefix(se.Expr, "(?>"):
		return fmt.Errorf("atomic group %s is PCRE syntax RE2 cannot express: %w", se.Expr, err)
	case se.Code == syntax.ErrInvalidEscape && len(se.Expr) == 2 && se.Expr[1] >= '1' && se.Expr[1] <= '9':
		return fmt.Errorf("back-reference %s is PCRE syntax RE2 cannot express: %w", se.Expr, err)
	case se.Code == syntax.ErrInvalidRepeatOp && strings.HasSuffix(se.Expr, "+"):
		return fmt.Errorf("possessive quantifier %s is PCRE syntax RE2 cannot express: %w", se.Expr, err)
	case se.Code == syntax.ErrInvalidRepeatSize:
		return fmt.Errorf("repeat count %s is past 1000, RE2's limit (PCRE's is 65535): %w", se.Expr, err)
	}
	return err
}

// compileCIDR is the cidr modifier: IPv4 and IPv6 prefixes.
func compileCIDR(_ *compiler, spec fieldSpec, values []string) (valueTest, bool, error) {
	t := &cidrTest{all: spec.all}
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
	t := &numberTest{op: spec.comparator, all: spec.all}
	for _, v := range values {
		n, ok := parseNumber([]byte(v))
		if !ok {
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
	t := &fieldrefTest{position: spec.position, all: spec.all, cased: spec.cased}
	for _, v := range values {
		t.slots = append(t.slots, c.slot(v))
	}
	return t, false, nil
}

// compilePatterns compiles plain and wildcard values: the transforms in the
// order the rule gives them, then the position modifier.
func (c *compiler) compilePatterns(values []string, spec *fieldSpec) (valueTest, error) {
	t := &patternTest{all: spec.all}
	groups := make([]patternTest, 0, len(values))
	expanded := false
	for _, v := range values {
		variants, err := c.transform(v, spec.transforms)
		if err != nil {
			return nil, err
		}
		expanded = expanded || len(variants) > 1
		var group patternTest
		for _, toks := range variants {
			group.patterns = append(group.patterns, compilePatternCased(placeAt(toks, spec.position), spec.cased))
		}
		t.patterns = append(t.patterns, group.patterns...)
		groups = append(groups, group)
	}
	// With |all, each value must match in at least one of its variants.
	if spec.all && expanded {
		return &variantGroupsTest{groups: groups}, nil
	}
	if !t.all {
		t.index = newPatternIndex(t.patterns)
	}
	return t, nil
}

// transform parses the value v and applies the transforms in turn to every
// variant of it. expand reads v as written, before it is parsed: whether a
// percent sign is escaped (\%) or follows an escaped backslash (\\%) is
// lost once Sigma's escapes are resolved; so it must come first.
func (c *compiler) transform(v string, transforms []namedTransform) ([][]token, error) {
	variants := [][]token{parseValue(v)}
	if len(transforms) > 0 && transforms[0].name == "expand" {
		var err error
		if variants, err = expandPlaceholders(v, c.placeholders); err != nil {
			return nil, fmt.Errorf("expand: %w", err)
		}
		transforms = transforms[1:]
	}
	for i, tr := range transforms {
		if tr.name == "expand" {
			before := "expand" // a second expand; the first was applied above
			if i > 0 {
				before = transforms[i-1].name
			}
			return nil, errorf(KindModifierCombination, "expand must come first among the value transforms, once (here after %s)", before)
		}
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
