package rules

// This file holds the compiler of a rule's detection (searches, then
// conditions) and the tree of nodes it builds. One field line is compiled
// in field.go, the conditions are parsed in condition.go.

import (
	"fmt"
	"sort"

	sigma "github.com/bradleyjkemp/sigma-go"
)

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
	slot        int  // -1: a keyword, matched against every value of the event
	matchAbsent bool // null among the values, or exists: false
	exists      bool // the exists modifier: a field holding null is present
	test        valueTest
}

func (f *fieldMatcher) eval(m *matcher) bool {
	if f.slot < 0 {
		m.visit = keywordVisit{test: f.test, m: m}
		return m.ev.EachString(&m.visit)
	}
	v, ok := m.ev.Field(f.slot)
	if !ok {
		if m.holdsSeveral(f.slot) {
			return f.evalSeveral(m)
		}
		if f.exists && fieldPresent(m.ev, f.slot) {
			return !f.matchAbsent
		}
		if f.matchAbsent && holdsMap(m.ev, f.slot) {
			return false // null is absent or JSON null; a map is a value
		}
		return f.matchAbsent
	}
	if f.test == nil {
		return false // only null (or exists: false) was listed, and the field is present
	}
	m.direct = f.slot + 1 // v is the value the field's scan read (seenlits.go)
	hit := f.test.test(v, m)
	m.direct = 0
	return hit
}

// keywordVisit adapts a valueTest to Event.EachString.
type keywordVisit struct {
	test valueTest
	m    *matcher
}

func (k *keywordVisit) Visit(v []byte) bool { return k.test.test(v, k.m) }

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
			return compiledRule{}, false, &placeError{place: fmt.Sprintf("search %q", name), err: err}
		}
		searches[name] = n
	}

	if len(conditions) == 0 {
		return compiledRule{}, false, errorf(KindBadCondition, "detection has no condition")
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
			return nil, errorAt(s, &placeError{place: "keywords", err: err})
		}
		return &searchNode{alternatives: [][]fieldMatcher{{f}}}, nil
	}
	if len(s.EventMatchers) == 0 {
		return nil, errorAt(s, errorf(KindBadSearch, "empty search"))
	}
	n := &searchNode{alternatives: make([][]fieldMatcher, 0, len(s.EventMatchers))}
	for _, em := range s.EventMatchers {
		all := make([]fieldMatcher, 0, len(em))
		for _, fm := range em {
			f, err := c.compileField(fm)
			if err != nil {
				return nil, errorAt(fm, &placeError{place: fmt.Sprintf("field %q", fm.Field), err: err})
			}
			// "'|all': [a, b]": every keyword must occur somewhere in the
			// event, not all in one value: one matcher per keyword.
			if pt, ok := f.test.(*patternTest); ok && f.slot < 0 && pt.all {
				for _, p := range pt.patterns {
					all = append(all, fieldMatcher{slot: f.slot, test: &patternTest{patterns: []pattern{p}}})
				}
				continue
			}
			if vg, ok := f.test.(*variantGroupsTest); ok && f.slot < 0 {
				for i := range vg.groups {
					all = append(all, fieldMatcher{slot: f.slot, test: &vg.groups[i]})
				}
				continue
			}
			// The same for the other tests of several values with all
			// ('|re|all': each expression in some value of the event).
			if parts, ok := f.test.(allOfValues); ok && f.slot < 0 && parts.parts() > 1 {
				for i := range parts.parts() {
					all = append(all, fieldMatcher{slot: f.slot, test: &partTest{t: parts, i: i}})
				}
				continue
			}
			all = append(all, f)
		}
		n.alternatives = append(n.alternatives, all)
	}
	return n, nil
}
