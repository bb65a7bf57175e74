package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

// ErrUnsupported marks rules that use a Sigma feature this engine does not
// evaluate yet. Such rules are skipped rather than evaluated wrongly.
var ErrUnsupported = errors.New("unsupported")

// CompileError says why one rule could not be compiled, and where.
type CompileError struct {
	File   string
	RuleID string
	Line   int // 1-based; 0 when unknown
	Column int
	Err    error
}

func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString("rules: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.RuleID != "" {
		fmt.Fprintf(&b, "rule %s: ", e.RuleID)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *CompileError) Unwrap() error { return e.Err }

// positioned is what sigma-go's condition, search and field matcher share.
type positioned interface{ Position() (int, int) }

func errorAt(p positioned, err error) error {
	line, col := p.Position()
	return &posError{line: line + 1, col: col + 1, err: err}
}

// posError carries a position up to compileRule, which folds it into the
// CompileError it returns.
type posError struct {
	line, col int
	err       error
}

func (e *posError) Error() string { return e.err.Error() }
func (e *posError) Unwrap() error { return e.err }

// A node is one compiled piece of a condition.
type node interface {
	eval(m *matcher) bool
}

type (
	andNode []node
	orNode  []node
	notNode struct{ n node }
)

func (n andNode) eval(m *matcher) bool {
	for _, c := range n {
		if !c.eval(m) {
			return false
		}
	}
	return true
}

func (n orNode) eval(m *matcher) bool {
	for _, c := range n {
		if c.eval(m) {
			return true
		}
	}
	return false
}

func (n notNode) eval(m *matcher) bool { return !n.n.eval(m) }

// searchNode is one search identifier: a list of maps, OR of ANDs.
type searchNode struct {
	alternatives [][]fieldMatcher
}

func (n *searchNode) eval(m *matcher) bool {
	for _, all := range n.alternatives {
		ok := true
		for i := range all {
			if !all[i].eval(m) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// fieldMatcher is one "Field|modifiers: values" line.
type fieldMatcher struct {
	slot        int  // -1: a keyword, matched against every string of the event
	matchAbsent bool // null among the values, or exists: false
	test        valueTest
}

func (f *fieldMatcher) eval(m *matcher) bool {
	if f.slot < 0 {
		m.visit = keywordVisit{test: f.test, m: m}
		return m.ev.EachString(&m.visit)
	}
	v, ok := m.ev.Field(f.slot)
	if !ok {
		return f.matchAbsent
	}
	if f.test == nil {
		return false // only null (or exists: false) was listed, and the field is present
	}
	return f.test.test(v, m)
}

// keywordVisit adapts a valueTest to Event.EachString.
type keywordVisit struct {
	test valueTest
	m    *matcher
}

func (k *keywordVisit) Visit(v []byte) bool { return k.test.test(v, k.m) }

// existsTest is the exists modifier with true: any present value matches.
type existsTest struct{}

func (existsTest) test([]byte, *matcher) bool { return true }

// compiledRule is one rule ready to evaluate.
type compiledRule struct {
	guards []guard
	cond   node
}

// compiler turns sigma-go rules into compiledRules, assigning a slot to
// every field name the rules read.
type compiler struct {
	fields       []string
	slots        map[string]int
	placeholders map[string][]string
}

func newCompiler(placeholders map[string][]string) *compiler {
	return &compiler{slots: map[string]int{}, placeholders: placeholders}
}

func (c *compiler) slot(name string) int {
	if s, ok := c.slots[name]; ok {
		return s
	}
	s := len(c.fields)
	c.fields = append(c.fields, name)
	c.slots[name] = s
	return s
}

// compileRule compiles r. It returns whether the logsource was mapped to
// guards; an error wraps ErrUnsupported when r uses a feature the engine
// lacks.
func (c *compiler) compileRule(r *sigma.Rule, conditions []string) (compiledRule, bool, error) {
	// A rule that fails to compile must leave no field slots behind.
	mark := len(c.fields)
	rule, mapped, err := c.compileDetection(r, conditions)
	if err != nil {
		for _, name := range c.fields[mark:] {
			delete(c.slots, name)
		}
		c.fields = c.fields[:mark]
	}
	return rule, mapped, err
}

func (c *compiler) compileDetection(r *sigma.Rule, conditions []string) (compiledRule, bool, error) {
	names := make([]string, 0, len(r.Detection.Searches))
	for name := range r.Detection.Searches {
		names = append(names, name)
	}
	sort.Strings(names)

	searches := make(map[string]node, len(names))
	for _, name := range names {
		n, err := c.compileSearch(r.Detection.Searches[name])
		if err != nil {
			return compiledRule{}, false, fmt.Errorf("search %q: %w", name, err)
		}
		searches[name] = n
	}

	if len(conditions) == 0 {
		return compiledRule{}, false, errors.New("detection has no condition")
	}
	var conds orNode
	for _, cond := range conditions {
		n, err := compileCondition(cond, names, searches)
		if err != nil {
			return compiledRule{}, false, err
		}
		conds = append(conds, n)
	}
	var cond node = conds
	if len(conds) == 1 {
		cond = conds[0]
	}
	guards, mapped := compileLogsource(r.Logsource, c.slot)
	return compiledRule{guards: guards, cond: cond}, mapped, nil
}

func (c *compiler) compileSearch(s sigma.Search) (node, error) {
	if len(s.Keywords) > 0 {
		values := make([]any, len(s.Keywords))
		for i, k := range s.Keywords {
			values[i] = k
		}
		f, err := c.compileField(sigma.FieldMatcher{Values: values})
		if err != nil {
			return nil, errorAt(s, fmt.Errorf("keywords: %w", err))
		}
		return &searchNode{alternatives: [][]fieldMatcher{{f}}}, nil
	}
	if len(s.EventMatchers) == 0 {
		return nil, errorAt(s, errors.New("empty search"))
	}
	n := &searchNode{alternatives: make([][]fieldMatcher, 0, len(s.EventMatchers))}
	for _, em := range s.EventMatchers {
		all := make([]fieldMatcher, 0, len(em))
		for _, fm := range em {
			f, err := c.compileField(fm)
			if err != nil {
				return nil, errorAt(fm, fmt.Errorf("field %q: %w", fm.Field, err))
			}
			// "'|all': [a, b]": every keyword must occur somewhere in the
			// event, not all in one value: one matcher per keyword.
			if pt, ok := f.test.(*patternTest); ok && f.slot < 0 && pt.all {
				for _, p := range pt.patterns {
					all = append(all, fieldMatcher{slot: f.slot, test: &patternTest{patterns: []pattern{p}}})
				}
				continue
			}
			all = append(all, f)
		}
		n.alternatives = append(n.alternatives, all)
	}
	return n, nil
}

func (c *compiler) compileField(fm sigma.FieldMatcher) (fieldMatcher, error) {
	var (
		position   string // contains, startswith, endswith
		transforms []string
		all, cased bool
		neq        bool
		kind       string // "", re, cidr, lt/lte/gt/gte, exists, fieldref
		reFlags    string
	)
	for _, mod := range fm.Modifiers {
		switch mod {
		case "contains", "startswith", "endswith":
			if position != "" {
				return fieldMatcher{}, fmt.Errorf("modifiers %q and %q cannot be combined", position, mod)
			}
			position = mod
		case "all":
			all = true
		case "cased":
			cased = true
		case "neq":
			neq = true
		case "i", "m", "s":
			if kind != "re" {
				return fieldMatcher{}, fmt.Errorf("modifier %q needs re before it", mod)
			}
			reFlags += mod
		case "re", "cidr", "lt", "lte", "gt", "gte", "exists", "fieldref":
			if kind != "" {
				return fieldMatcher{}, fmt.Errorf("modifiers %q and %q cannot be combined", kind, mod)
			}
			kind = mod
		case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "windash", "expand":
			transforms = append(transforms, mod)
		default:
			return fieldMatcher{}, fmt.Errorf("%w: modifier %q", ErrUnsupported, mod)
		}
	}

	f := fieldMatcher{slot: -1}
	var values []string
	for _, v := range fm.Values {
		text, isNull, err := valueText(v)
		if err != nil {
			return fieldMatcher{}, err
		}
		if isNull {
			f.matchAbsent = true
			continue
		}
		values = append(values, text)
	}
	if f.matchAbsent && (all || kind != "") {
		return fieldMatcher{}, errors.New("null cannot be combined with this modifier")
	}

	var err error
	switch kind {
	case "re":
		t := &regexTest{all: all}
		for _, v := range values {
			re, rerr := regexp.Compile(regexFlags(reFlags) + v)
			if rerr != nil {
				return fieldMatcher{}, fmt.Errorf("%w: regular expression %q: %v", ErrUnsupported, v, rerr)
			}
			t.res = append(t.res, re)
		}
		f.test = t
	case "cidr":
		t := &cidrTest{}
		for _, v := range values {
			p, perr := netip.ParsePrefix(strings.TrimSpace(v))
			if perr != nil {
				return fieldMatcher{}, fmt.Errorf("cidr %q: %v", v, perr)
			}
			t.prefixes = append(t.prefixes, p.Masked())
		}
		f.test = t
	case "lt", "lte", "gt", "gte":
		t := &numberTest{op: kind}
		for _, v := range values {
			n, nerr := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if nerr != nil {
				return fieldMatcher{}, fmt.Errorf("%s: %q is not a number", kind, v)
			}
			t.limits = append(t.limits, n)
		}
		f.test = t
	case "exists":
		if len(values) != 1 || (values[0] != "true" && values[0] != "false") {
			return fieldMatcher{}, errors.New("exists takes true or false")
		}
		if values[0] == "true" {
			f.test = existsTest{}
		} else {
			f.matchAbsent = true
		}
	case "fieldref":
		t := &fieldrefTest{position: position, all: all}
		for _, v := range values {
			t.slots = append(t.slots, c.slot(v))
		}
		f.test = t
	default:
		if fm.Field == "" && position == "" {
			position = "contains"
		}
		f.test, err = c.compilePatterns(values, transforms, position, all, cased)
		if err != nil {
			return fieldMatcher{}, err
		}
	}
	if neq && f.test != nil {
		f.test = &notTest{inner: f.test}
	}
	if len(values) == 0 && kind != "exists" {
		f.test = nil
	}
	if fm.Field == "" {
		if f.matchAbsent {
			return fieldMatcher{}, errors.New("a keyword cannot be null")
		}
	} else {
		f.slot = c.slot(fm.Field)
	}
	return f, nil
}

// compilePatterns applies the value transformations in the order the rule
// gives them, then the position modifier, and compiles the patterns.
// Keywords (no field) match anywhere in a value: contains is implied.
func (c *compiler) compilePatterns(values, transforms []string, position string, all, cased bool) (valueTest, error) {
	t := &patternTest{all: all}
	for _, v := range values {
		variants := [][]token{parseValue(v)}
		for _, tr := range transforms {
			var next [][]token
			for _, toks := range variants {
				var out [][]token
				var err error
				switch tr {
				case "base64":
					out, err = base64Encode(toks)
				case "base64offset":
					out, err = base64Offsets(toks)
				case "utf16le", "utf16be", "utf16", "wide":
					out, err = utf16Encode(tr, toks)
				case "windash":
					out, err = windashVariants(toks)
				case "expand":
					out, err = expandPlaceholders(toks, c.placeholders)
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %w", tr, err)
				}
				next = append(next, out...)
			}
			variants = next
		}
		// With |all, one value must match in at least one of its variants.
		var group []pattern
		for _, toks := range variants {
			switch position {
			case "contains":
				toks = append(append([]token{{kind: starToken}}, toks...), token{kind: starToken})
			case "startswith":
				toks = append(append([]token(nil), toks...), token{kind: starToken})
			case "endswith":
				toks = append([]token{{kind: starToken}}, toks...)
			}
			group = append(group, compilePatternCased(toks, cased))
		}
		if all && len(group) > 1 {
			return nil, fmt.Errorf("%w: all combined with a modifier that expands values", ErrUnsupported)
		}
		t.patterns = append(t.patterns, group...)
	}
	return t, nil
}

func regexFlags(flags string) string {
	if flags == "" {
		return ""
	}
	return "(?" + flags + ")"
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
		return "", false, fmt.Errorf("%w: value of type %T", ErrUnsupported, v)
	}
}
