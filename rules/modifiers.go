package rules

// This file holds the modifier registry: every Sigma modifier the engine
// knows, sorted by kind, and the reading of a field's modifier list into a
// fieldSpec that the compile steps in field.go follow.

// modifierKind says what a modifier does to a field matcher.
type modifierKind uint8

const (
	// positionModifier (contains, startswith, endswith) says where in the
	// field's value the rule's value must occur. At most one.
	positionModifier modifierKind = iota
	// transformModifier (base64, wide, windash, expand, ...) rewrites each
	// value into the values compared, at compile time, in the rule's order.
	transformModifier
	// comparatorModifier (re, cidr, lt, exists, fieldref, ...) replaces
	// the wildcard comparison with its own test. At most one.
	comparatorModifier
	// optionModifier (all, cased, neq) changes how the values combine or
	// compare.
	optionModifier
	// regexFlagModifier (i, m, s) is a flag of the re before it.
	regexFlagModifier
	// extractModifier (minute, hour, day, week, month, year; timemods.go)
	// replaces the field's value with a part of its timestamp, which the
	// comparator after it compares. At most one.
	extractModifier
)

// A modifier describes one Sigma modifier; which fields are set depends on
// its kind.
type modifier struct {
	kind      modifierKind
	transform transformFunc             // transformModifier
	compile   compileStep               // comparatorModifier
	set       func(fieldSpec) fieldSpec // optionModifier, extractModifier
}

// transformFunc turns one value (as tokens, wildcards and all) into the
// values the field is compared with.
type transformFunc func(c *compiler, toks []token) ([][]token, error)

// compileStep compiles a comparator's values into the test of the field's
// value; matchAbsent says that an absent field matches (exists: false).
// The spec is passed by value: through a function value a pointer would
// put it on the heap, for every field of every rule.
type compileStep func(c *compiler, spec fieldSpec, values []string) (test valueTest, matchAbsent bool, err error)

// modifiers is the registry. A name missing here is an unsupported
// modifier; the rule is skipped.
var modifiers = map[string]modifier{
	"contains":   {kind: positionModifier},
	"startswith": {kind: positionModifier},
	"endswith":   {kind: positionModifier},

	"base64":       {kind: transformModifier, transform: pure(base64Encode)},
	"base64offset": {kind: transformModifier, transform: pure(base64Offsets)},
	"utf16le":      {kind: transformModifier, transform: pure(utf16Encoder(false, false))},
	"utf16be":      {kind: transformModifier, transform: pure(utf16Encoder(true, false))},
	"utf16":        {kind: transformModifier, transform: pure(utf16Encoder(false, true))},
	"wide":         {kind: transformModifier, transform: pure(utf16Encoder(false, false))},
	"windash":      {kind: transformModifier, transform: pure(windashVariants)},
	// expand is applied to the value as written, by compiler.transform.
	"expand": {kind: transformModifier, transform: func(*compiler, []token) ([][]token, error) { return nil, nil }},

	"re":       {kind: comparatorModifier, compile: compileRegex},
	"cidr":     {kind: comparatorModifier, compile: compileCIDR},
	"lt":       {kind: comparatorModifier, compile: compileNumber},
	"lte":      {kind: comparatorModifier, compile: compileNumber},
	"gt":       {kind: comparatorModifier, compile: compileNumber},
	"gte":      {kind: comparatorModifier, compile: compileNumber},
	"exists":   {kind: comparatorModifier, compile: compileExists},
	"fieldref": {kind: comparatorModifier, compile: compileFieldref},

	"all":   {kind: optionModifier, set: func(s fieldSpec) fieldSpec { s.all = true; return s }},
	"cased": {kind: optionModifier, set: func(s fieldSpec) fieldSpec { s.cased = true; return s }},
	"neq":   {kind: optionModifier, set: func(s fieldSpec) fieldSpec { s.neq = true; return s }},

	"minute": timeModifier(minutePart),
	"hour":   timeModifier(hourPart),
	"day":    timeModifier(dayPart),
	"week":   timeModifier(weekPart),
	"month":  timeModifier(monthPart),
	"year":   timeModifier(yearPart),

	"i": {kind: regexFlagModifier},
	"m": {kind: regexFlagModifier},
	"s": {kind: regexFlagModifier},
}

// pure adapts a transform that needs nothing from the compiler.
func pure(fn func([]token) ([][]token, error)) transformFunc {
	return func(_ *compiler, toks []token) ([][]token, error) { return fn(toks) }
}

// fieldSpec is a field's modifier list sorted out by kind.
type fieldSpec struct {
	position   string // "", "contains", "startswith" or "endswith"
	transforms []namedTransform
	comparator string      // the comparator's name; "" compares wildcard patterns
	compile    compileStep // the comparator's compile step
	reFlags    string      // i, m, s in the rule's order
	all        bool
	cased      bool
	neq        bool
	timePart   timePart // an extractModifier's part; noTimePart without one
}

type namedTransform struct {
	name string // for messages
	fn   transformFunc
}

// parseModifiers looks each modifier up in the registry, in the rule's
// order, and rejects the combinations that have no meaning.
func parseModifiers(names []string) (fieldSpec, error) {
	var spec fieldSpec
	for _, name := range names {
		mod, ok := modifiers[name]
		if !ok {
			return fieldSpec{}, errorf(KindUnsupportedModifier, "%w: modifier %q", ErrUnsupported, name)
		}
		switch mod.kind {
		case positionModifier:
			if spec.position != "" {
				return fieldSpec{}, errorf(KindModifierCombination, "modifiers %q and %q cannot be combined", spec.position, name)
			}
			spec.position = name
		case transformModifier:
			spec.transforms = append(spec.transforms, namedTransform{name, mod.transform})
		case comparatorModifier:
			if spec.comparator != "" {
				return fieldSpec{}, errorf(KindModifierCombination, "modifiers %q and %q cannot be combined", spec.comparator, name)
			}
			spec.comparator, spec.compile = name, mod.compile
		case optionModifier:
			spec = mod.set(spec)
		case regexFlagModifier:
			if spec.comparator != "re" {
				return fieldSpec{}, errorf(KindModifierCombination, "modifier %q needs re before it", name)
			}
			spec.reFlags += name
		case extractModifier:
			if spec.timePart != noTimePart || spec.comparator != "" {
				return fieldSpec{}, errorf(KindModifierCombination, "modifier %q must come before the comparator, and a field takes one of minute, hour, day, week, month, year", name)
			}
			spec = mod.set(spec)
		}
	}
	if spec.timePart != noTimePart {
		return timeSpec(spec)
	}
	if spec.compile != nil && len(spec.transforms) > 0 {
		// The comparators read the value as written (a regular
		// expression, a prefix, a number, a field name); transforms make
		// patterns of it. Applied to neither, the transform would be
		// silently lost: expand|re would search for "%name%" itself.
		return fieldSpec{}, errorf(KindModifierCombination, "%w: value transform %q with %q: it applies to plain and wildcard values only", ErrUnsupported, spec.transforms[0].name, spec.comparator)
	}
	return spec, nil
}
