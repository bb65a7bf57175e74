package rules

// This file holds Sigma filters (specification v2.1.0,
// sigma-filters-specification.md): YAML documents with a logsource and a
// filter: {rules, <searches>, condition} that tune the rules they name.
// They are applied as pySigma applies them (sigma/filters.py,
// SigmaFilter.apply_on_rule): the filter's condition is ANDed with each
// condition of each rule it applies to, so a filter that suppresses
// matches is written "condition: not selection".

import (
	"fmt"
	"sort"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"
)

// compiledFilter is one filter document, compiled.
type compiledFilter struct {
	id, title, file string
	// anyRule: "rules: any" or "all" (or an empty list), a pySigma
	// extension outside the specification's schema: every rule of the
	// logsource.
	anyRule   bool
	refs      []string // rule ids (case-insensitive) or names (exact)
	logsource sigma.Logsource
	cond      node
}

// ruleRef is what a filter knows a loaded rule by.
type ruleRef struct {
	id, name  string
	logsource sigma.Logsource
}

// isFilterDocument says whether a document is a Sigma filter: a map with
// a filter key and no detection (a rule that happens to have a filter key
// stays a rule).
func isFilterDocument(root *yaml.Node) bool {
	root = documentRoot(root)
	if root.Kind != yaml.MappingNode {
		return false
	}
	var filter, detection bool
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "filter":
			filter = true
		case "detection":
			detection = true
		}
	}
	return filter && !detection
}

func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

// filterMeta is the filter document's top level.
type filterMeta struct {
	ID        string
	Title     string
	Logsource *sigma.Logsource
	Filter    yaml.Node
}

// compileFilter compiles one filter document. Like compileDocument it
// never panics: the input is arbitrary.
func compileFilter(c *compiler, doc *yaml.Node) (f compiledFilter, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errorf(KindInternal, "internal error while compiling: %v", r)
		}
	}()
	var meta filterMeta
	if err := documentRoot(doc).Decode(&meta); err != nil {
		return compiledFilter{}, errorf(KindParse, "parse: %w", err)
	}
	f = compiledFilter{id: meta.ID, title: meta.Title}
	if meta.Logsource == nil {
		return f, errorf(KindParse, "a filter needs a logsource")
	}
	f.logsource = *meta.Logsource
	body := &meta.Filter
	if body.Kind != yaml.MappingNode {
		return f, errorf(KindParse, "filter must be a map of rules, searches and condition")
	}
	searches := &yaml.Node{Kind: yaml.MappingNode}
	var cond *yaml.Node
	var haveRules bool
	for i := 0; i+1 < len(body.Content); i += 2 {
		key, value := body.Content[i], body.Content[i+1]
		switch key.Value {
		case "rules":
			haveRules = true
			if f.anyRule, f.refs, err = filterTargets(value); err != nil {
				return f, errorAt(nodePos{key}, err)
			}
		case "condition":
			cond = value
		default:
			searches.Content = append(searches.Content, key, value)
		}
	}
	switch {
	case !haveRules:
		return f, errorf(KindParse, "filter has no rules: name rule ids or names, or any for every rule of the logsource")
	case cond == nil:
		return f, errorf(KindBadCondition, "filter has no condition")
	case cond.Kind != yaml.ScalarNode:
		return f, errorAt(nodePos{cond}, errorf(KindBadCondition, "a filter's condition must be one string"))
	case len(searches.Content) == 0:
		return f, errorf(KindBadSearch, "filter has no search")
	}
	f.cond, err = c.compileFilterDetection(searches, cond.Value)
	return f, err
}

// nodePos gives a yaml node the Position method errorAt wants (0-based, as
// sigma-go's).
type nodePos struct{ n *yaml.Node }

func (p nodePos) Position() (int, int) { return p.n.Line - 1, p.n.Column - 1 }

// filterTargets reads filter.rules: a list of rule ids or names, one id or
// name, or (pySigma) any, all or an empty list for every rule.
func filterTargets(n *yaml.Node) (anyRule bool, refs []string, err error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.EqualFold(n.Value, "any") || strings.EqualFold(n.Value, "all") {
			return true, nil, nil
		}
		if n.Value == "" {
			return false, nil, errorf(KindParse, "filter rules: empty rule reference")
		}
		return false, []string{n.Value}, nil
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Value == "" {
				return false, nil, errorf(KindParse, "filter rules: each item must be a rule id or name")
			}
			refs = append(refs, item.Value)
		}
		return len(refs) == 0, refs, nil
	}
	return false, nil, errorf(KindParse, "filter rules must be a list of rule ids or names, or any")
}

// compileFilterDetection compiles a filter's searches and its condition
// into one node. A filter that fails leaves no field slots behind.
func (c *compiler) compileFilterDetection(searchMap *yaml.Node, cond string) (node, error) {
	mark := len(c.fields)
	n, err := c.filterNode(searchMap, cond)
	if err != nil {
		for _, name := range c.fields[mark:] {
			delete(c.slots, name)
		}
		c.fields = c.fields[:mark]
	}
	return n, err
}

func (c *compiler) filterNode(searchMap *yaml.Node, cond string) (node, error) {
	var det sigma.Detection
	if err := searchMap.Decode(&det); err != nil {
		return nil, errorf(KindParse, "parse: %w", err)
	}
	names := make([]string, 0, len(det.Searches))
	for name := range det.Searches {
		names = append(names, name)
	}
	sort.Strings(names)
	searches := make(map[string]node, len(names))
	for _, name := range names {
		n, err := c.compileSearch(det.Searches[name])
		if err != nil {
			return nil, &placeError{place: fmt.Sprintf("search %q", name), err: err}
		}
		searches[name] = n
	}
	return compileCondition(cond, names, searches)
}

// appliesTo says whether the filter applies to a rule, as pySigma decides:
// the rule's logsource must be within the filter's (each of category,
// product and service the filter gives is the rule's, compared without
// case), and the filter must name the rule by id or name, or say any.
func (f *compiledFilter) appliesTo(r ruleRef) bool {
	within := func(filterValue, ruleValue string) bool {
		return filterValue == "" || strings.EqualFold(filterValue, ruleValue)
	}
	if !within(f.logsource.Category, r.logsource.Category) ||
		!within(f.logsource.Product, r.logsource.Product) ||
		!within(f.logsource.Service, r.logsource.Service) {
		return false
	}
	if f.anyRule {
		return true
	}
	for _, ref := range f.refs {
		if r.id != "" && strings.EqualFold(ref, r.id) || r.name != "" && ref == r.name {
			return true
		}
	}
	return false
}

// applyFilters ANDs each filter's condition into the rules of set it
// applies to (refs[i] describes set's rule i). It returns how many rules
// one filter or more applies to, and the filters that apply to none.
func applyFilters(set *Set, refs []ruleRef, filters []compiledFilter) (applied int, unused []Skipped) {
	hit := make([]bool, len(refs))
	for _, f := range filters {
		used := false
		for i, r := range refs {
			if !f.appliesTo(r) {
				continue
			}
			set.compiled[i].cond = andNode{set.compiled[i].cond, f.cond}
			hit[i], used = true, true
		}
		if !used {
			unused = append(unused, Skipped{File: f.file, ID: f.id, Title: f.title, Err: f.unusedError(set)})
		}
	}
	for _, h := range hit {
		if h {
			applied++
		}
	}
	return applied, unused
}

func (f *compiledFilter) unusedError(set *Set) error {
	what := "any rule"
	if !f.anyRule {
		what = strings.Join(f.refs, ", ")
		// A correlation is loaded but no rule: say why it is not one.
		for _, c := range set.Correlations() {
			for _, ref := range f.refs {
				if c.ID != "" && strings.EqualFold(ref, c.ID) || c.Name != "" && ref == c.Name {
					return &CompileError{File: f.file, Err: fmt.Errorf("filter %s applies to no loaded rule: %s is a correlation, which filters do not apply to (as pySigma; filter the rules it references)",
						f.name(), ref)}
				}
			}
		}
	}
	ls := "any logsource"
	var parts []string
	for _, kv := range [][2]string{{"category", f.logsource.Category}, {"product", f.logsource.Product}, {"service", f.logsource.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) > 0 {
		ls = "logsource " + strings.Join(parts, " ")
	}
	return &CompileError{File: f.file, Err: fmt.Errorf("filter %s applies to no loaded rule: no rule loaded among %s with %s",
		f.name(), what, ls)}
}

// name is how messages call the filter: its id, else its title.
func (f *compiledFilter) name() string {
	if f.id != "" {
		return f.id
	}
	return fmt.Sprintf("%q", f.title)
}
