package rules

import (
	"errors"
	"fmt"
	"path"
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
	slot        int
	patterns    []pattern
	all         bool // the |all modifier: every pattern must match
	matchAbsent bool // the value list holds null: an absent field matches
}

func (f *fieldMatcher) eval(m *matcher) bool {
	v, ok := m.ev.Field(f.slot)
	if !ok {
		return f.matchAbsent
	}
	if len(f.patterns) == 0 {
		return false // only null was listed, and the field is present
	}
	done := false
	for i := range f.patterns {
		hit := f.patterns[i].matchValue(v, &m.folded, &done)
		if hit != f.all {
			return hit
		}
	}
	return f.all
}

// compiledRule is one rule ready to evaluate.
type compiledRule struct {
	guards []guard
	cond   node
}

// compiler turns sigma-go rules into compiledRules, assigning a slot to
// every field name the rules read.
type compiler struct {
	fields []string
	slots  map[string]int
}

func newCompiler() *compiler {
	return &compiler{slots: map[string]int{}}
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
func (c *compiler) compileRule(r *sigma.Rule) (compiledRule, bool, error) {
	if len(r.Detection.Conditions) == 0 {
		return compiledRule{}, false, errors.New("detection has no condition")
	}
	// A rule that fails to compile must leave no field slots behind.
	mark := len(c.fields)
	rule, mapped, err := c.compileDetection(r)
	if err != nil {
		for _, name := range c.fields[mark:] {
			delete(c.slots, name)
		}
		c.fields = c.fields[:mark]
	}
	return rule, mapped, err
}

func (c *compiler) compileDetection(r *sigma.Rule) (compiledRule, bool, error) {
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

	var conds orNode
	for _, cond := range r.Detection.Conditions {
		if cond.Aggregation != nil {
			return compiledRule{}, false, errorAt(cond, fmt.Errorf("%w: aggregation in condition", ErrUnsupported))
		}
		n, err := compileExpr(cond.Search, names, searches)
		if err != nil {
			return compiledRule{}, false, errorAt(cond, err)
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
		return nil, errorAt(s, fmt.Errorf("%w: keyword search", ErrUnsupported))
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
			all = append(all, f)
		}
		n.alternatives = append(n.alternatives, all)
	}
	return n, nil
}

func (c *compiler) compileField(fm sigma.FieldMatcher) (fieldMatcher, error) {
	if fm.Field == "" {
		return fieldMatcher{}, fmt.Errorf("%w: keyword map (field without a name)", ErrUnsupported)
	}
	var (
		prefix, suffix string
		all            bool
		position       string
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
		default:
			return fieldMatcher{}, fmt.Errorf("%w: modifier %q", ErrUnsupported, mod)
		}
	}
	switch position {
	case "contains":
		prefix, suffix = "*", "*"
	case "startswith":
		suffix = "*"
	case "endswith":
		prefix = "*"
	}

	f := fieldMatcher{all: all}
	for _, v := range fm.Values {
		text, isNull, err := valueText(v)
		if err != nil {
			return fieldMatcher{}, err
		}
		if isNull {
			f.matchAbsent = true
			continue
		}
		// The modifier adds wildcards to the value as written, so an escaped
		// '\*' at either end stays literal.
		f.patterns = append(f.patterns, compilePattern(parseValue(prefix+text+suffix)))
	}
	if f.all && f.matchAbsent {
		return fieldMatcher{}, errors.New("null cannot be combined with the all modifier")
	}
	f.slot = c.slot(fm.Field)
	return f, nil
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

// compileExpr compiles a condition expression. names is the sorted list of
// search identifiers so pattern expansion is deterministic.
func compileExpr(e sigma.SearchExpr, names []string, searches map[string]node) (node, error) {
	switch e := e.(type) {
	case sigma.And:
		return compileList(e, names, searches, func(ns []node) node { return andNode(ns) })
	case sigma.Or:
		return compileList(e, names, searches, func(ns []node) node { return orNode(ns) })
	case sigma.Not:
		n, err := compileExpr(e.Expr, names, searches)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case sigma.SearchIdentifier:
		n, ok := searches[e.Name]
		if !ok {
			return nil, fmt.Errorf("condition names unknown search %q", e.Name)
		}
		return n, nil
	case sigma.OneOfIdentifier:
		return compileExpr(e.Ident, names, searches)
	case sigma.AllOfIdentifier:
		return compileExpr(e.Ident, names, searches)
	case sigma.OneOfPattern:
		ns, err := expand(e.Pattern, false, names, searches)
		return orNode(ns), err
	case sigma.AllOfPattern:
		ns, err := expand(e.Pattern, false, names, searches)
		return andNode(ns), err
	case sigma.OneOfThem:
		ns, err := expand("*", true, names, searches)
		return orNode(ns), err
	case sigma.AllOfThem:
		ns, err := expand("*", true, names, searches)
		return andNode(ns), err
	default:
		return nil, fmt.Errorf("%w: condition element %T", ErrUnsupported, e)
	}
}

func compileList(es []sigma.SearchExpr, names []string, searches map[string]node, build func([]node) node) (node, error) {
	ns := make([]node, 0, len(es))
	for _, sub := range es {
		n, err := compileExpr(sub, names, searches)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	if len(ns) == 1 {
		return ns[0], nil
	}
	return build(ns), nil
}

// expand returns the searches whose names match pattern. For "them"
// (skipHidden) names starting with '_' are left out, as the Sigma
// specification says.
func expand(pattern string, skipHidden bool, names []string, searches map[string]node) ([]node, error) {
	var ns []node
	for _, name := range names {
		if skipHidden && strings.HasPrefix(name, "_") {
			continue
		}
		if ok, err := path.Match(pattern, name); err != nil {
			return nil, fmt.Errorf("bad search pattern %q: %w", pattern, err)
		} else if ok {
			ns = append(ns, searches[name])
		}
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("pattern %q matches no search", pattern)
	}
	return ns, nil
}
