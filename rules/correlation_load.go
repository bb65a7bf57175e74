package rules

// This file resolves correlations against the other documents of a load
// and decides what loads: the selected rules, the selected correlations
// whose references all resolve, and whatever those reference (rules and
// correlations, transitively) whatever its own level, status or tags.

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// pooledRule is a compiled rule kept until the correlations are resolved:
// one the selection left out still loads when a correlation references it.
type pooledRule struct {
	rule     Rule
	compiled compiledRule
	ref      ruleRef
	selected bool
}

// target is what a reference names: a rule of loader.pool or a
// correlation of loader.corrs.
type target struct {
	corr bool
	i    int
}

// Resolution states of a correlation.
const (
	unvisited uint8 = iota
	visiting
	resolved
	broken
)

// resolver resolves references: by id (case-insensitive) first, then by
// name (exact), as filters resolve theirs.
type resolver struct {
	l       *loader
	byID    map[string]target
	byName  map[string][]target
	state   []uint8
	errs    []error
	targets [][]target // per correlation, its references resolved
	stack   []int      // correlations being resolved, for cycles
	cycle   []error    // per correlation, the cycle it is on
}

func newResolver(l *loader) *resolver {
	r := &resolver{l: l, byID: map[string]target{}, byName: map[string][]target{},
		state: make([]uint8, len(l.corrs)), errs: make([]error, len(l.corrs)),
		targets: make([][]target, len(l.corrs)), cycle: make([]error, len(l.corrs))}
	add := func(t target, id, name string) {
		if _, dup := r.byID[strings.ToLower(id)]; id != "" && !dup {
			r.byID[strings.ToLower(id)] = t
		}
		if name != "" {
			r.byName[name] = append(r.byName[name], t)
		}
	}
	for i := range l.pool {
		add(target{i: i}, l.pool[i].rule.ID, l.pool[i].rule.Name)
	}
	for i := range l.corrs {
		add(target{corr: true, i: i}, l.corrs[i].c.ID, l.corrs[i].c.Name)
	}
	return r
}

// meta returns the metadata of what t names.
func (r *resolver) meta(t target) *Rule {
	if t.corr {
		return &r.l.corrs[t.i].c.Rule
	}
	return &r.l.pool[t.i].rule
}

// lookup resolves one reference as written.
func (r *resolver) lookup(ref string) (target, error) {
	if t, ok := r.byID[strings.ToLower(ref)]; ok {
		return t, nil
	}
	switch ts := r.byName[ref]; len(ts) {
	case 1:
		return ts[0], nil
	case 0:
		if err, failed := r.l.failed["id:"+strings.ToLower(ref)]; failed {
			return target{}, errorf(KindBadReference, "referenced %q was not loaded: %s", ref, skipReason(err))
		}
		if err, failed := r.l.failed["name:"+ref]; failed {
			return target{}, errorf(KindBadReference, "referenced %q was not loaded: %s", ref, skipReason(err))
		}
		return target{}, errorf(KindBadReference, "no rule or correlation has the id or name %q", ref)
	default:
		var files []string
		for _, t := range ts {
			files = append(files, r.meta(t).File)
		}
		return target{}, errorf(KindBadReference, "the name %q is ambiguous: %d documents have it (%s)", ref, len(ts), strings.Join(files, ", "))
	}
}

// visit resolves correlation i and, first, the correlations it
// references; it returns why i cannot load.
func (r *resolver) visit(i int) error {
	switch r.state[i] {
	case resolved:
		return nil
	case broken:
		return r.errs[i]
	case visiting:
		return r.closeCycle(i)
	}
	r.state[i] = visiting
	r.stack = append(r.stack, i)
	err := r.resolve(i)
	r.stack = r.stack[:len(r.stack)-1]
	if err != nil {
		if r.cycle[i] != nil {
			// Say "cycle" rather than which member failed first.
			err = at(r.l.corrs[i].mark, r.cycle[i])
		}
		r.state[i], r.errs[i] = broken, err
		return err
	}
	r.state[i] = resolved
	return nil
}

// closeCycle reports the cycle that reaches i again and marks its members.
func (r *resolver) closeCycle(i int) error {
	from := len(r.stack) - 1
	for from > 0 && r.stack[from] != i {
		from--
	}
	names := make([]string, 0, len(r.stack)-from+1)
	for _, j := range r.stack[from:] {
		names = append(names, corrLabel(&r.l.corrs[j].c))
	}
	names = append(names, corrLabel(&r.l.corrs[i].c))
	err := errorf(KindBadReference, "correlation cycle: %s", strings.Join(names, " -> "))
	for _, j := range r.stack[from:] {
		r.cycle[j] = err
	}
	return err
}

// corrLabel names a correlation in messages: its id, else its name, else
// its title.
func corrLabel(c *Correlation) string {
	switch {
	case c.ID != "":
		return c.ID
	case c.Name != "":
		return c.Name
	}
	return strconv.Quote(c.Title)
}

// resolve looks up the references of correlation i, visiting referenced
// correlations, and checks its aliases name its rules.
func (r *resolver) resolve(i int) error {
	p := &r.l.corrs[i]
	ts := make([]target, len(p.c.RefNames))
	for k, ref := range p.c.RefNames {
		t, err := r.lookup(ref)
		if err == nil && t.corr {
			if cerr := r.visit(t.i); cerr != nil {
				err = errorf(KindBadReference, "referenced correlation %q is not loaded: %s", ref, skipReason(cerr))
			}
		}
		for _, prev := range ts[:k] {
			if err == nil && prev == t {
				err = errorf(KindBadCorrelation, "rules names %q twice", ref)
			}
		}
		if err != nil {
			return at(p.refNodes[k], err)
		}
		ts[k] = t
	}
	r.targets[i] = ts
	for _, a := range p.aliases {
		if r.aliasRef(p, ts, a.rule) < 0 {
			return at(a.at, errorf(KindBadCorrelation, "aliases: %s: %q is none of the correlation's rules", a.alias, a.rule))
		}
	}
	return nil
}

// aliasRef returns the position in p's rules of the rule an alias entry
// names (as written in rules, by name or by id), or -1.
func (r *resolver) aliasRef(p *pendingCorrelation, ts []target, name string) int {
	for k, t := range ts {
		m := r.meta(t)
		if name == p.c.RefNames[k] || name == m.Name && m.Name != "" || m.ID != "" && strings.EqualFold(name, m.ID) {
			return k
		}
	}
	return -1
}

// markLoaded marks correlation i and everything it references as loaded.
func (r *resolver) markLoaded(i int, rules, corrs []bool) {
	if corrs[i] {
		return
	}
	corrs[i] = true
	for _, t := range r.targets[i] {
		if t.corr {
			r.markLoaded(t.i, rules, corrs)
		} else {
			rules[t.i] = true
		}
	}
}

// docScalar returns the string value of a top-level key of a document,
// such as the id or name of a document that failed to load.
func docScalar(doc *yaml.Node, key string) string {
	root := documentRoot(doc)
	if root.Kind != yaml.MappingNode {
		return ""
	}
	if k := mapValue(root, key); k != nil {
		if v := valueOf(root, k); v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// noteFailed remembers a document that failed, so that a correlation
// referencing it says why rather than that nothing has its id or name.
func (l *loader) noteFailed(doc *yaml.Node, err error) {
	if id := docScalar(doc, "id"); id != "" {
		l.failed["id:"+strings.ToLower(id)] = err
	}
	if name := docScalar(doc, "name"); name != "" {
		l.failed["name:"+name] = err
	}
}

// correlation parses one correlation document and keeps it for
// resolution, unless it fails, repeats an id or comes from the filters
// property.
func (l *loader) correlation(src Source, doc *yaml.Node, filtersOnly bool) {
	p, err := parseCorrelation(doc)
	if err == nil && filtersOnly {
		err = errorf(KindNotARule, "not a Sigma filter: the filters property names files of filters only (load correlations through rules)")
	}
	if err == nil && p.c.ID != "" {
		if first, dup := l.seen[strings.ToLower(p.c.ID)]; dup {
			err = errorf(KindDuplicate, "duplicate rule id, already loaded from %s", first)
		}
	}
	if err != nil {
		l.skip(src.Name, p.c.ID, p.c.Title, err)
		l.noteFailed(doc, err)
		return
	}
	p.c.File = src.Name
	if p.c.ID != "" {
		l.seen[strings.ToLower(p.c.ID)] = src.Name
	}
	p.selected = l.opts.selects(&p.c.Rule)
	l.corrs = append(l.corrs, p)
}

// settle decides what loads and fills the set's rules and correlations:
// selected rules, selected correlations that resolve, and what those
// reference. Anything else compiled is counted as left out by the
// selection.
func (l *loader) settle() {
	r := newResolver(l)
	loadRule := make([]bool, len(l.pool))
	loadCorr := make([]bool, len(l.corrs))
	for i := range l.pool {
		loadRule[i] = l.pool[i].selected
	}
	for i := range l.corrs {
		p := &l.corrs[i]
		if !p.selected {
			continue
		}
		if err := r.visit(i); err != nil {
			l.skip(p.c.File, p.c.ID, p.c.Title, err)
			continue
		}
		r.markLoaded(i, loadRule, loadCorr)
	}
	r.markSilent(loadCorr)
	ruleAt := l.placeRules(loadRule)
	corrAt := make([]int, len(l.corrs))
	for i := range l.corrs {
		corrAt[i] = -1
		if loadCorr[i] {
			corrAt[i] = len(l.set.correlations)
			l.set.correlations = append(l.set.correlations, Correlation{})
		} else if !l.corrs[i].selected {
			l.report.Filtered++
		}
	}
	for i, at := range corrAt {
		if at >= 0 {
			l.set.correlations[at] = r.place(i, ruleAt, corrAt)
		}
	}
	l.set.linkUsers()
	l.report.Correlations = len(l.set.correlations)
	l.pool = nil
}

// markSilent sets Silent on what the loaded correlations reference when
// none of those referencing it says generate: true.
func (r *resolver) markSilent(loadCorr []bool) {
	generated := map[target]bool{}
	referenced := map[target]bool{}
	for i, loaded := range loadCorr {
		if !loaded {
			continue
		}
		for _, t := range r.targets[i] {
			referenced[t] = true
			generated[t] = generated[t] || r.l.corrs[i].c.Generate
		}
	}
	for t := range referenced {
		r.meta(t).Silent = !generated[t]
	}
}

// placeRules puts the rules that load into the set, in load order, and
// returns each pooled rule's index in the set (-1: left out).
func (l *loader) placeRules(load []bool) []int {
	at := make([]int, len(l.pool))
	for i := range l.pool {
		pr := &l.pool[i]
		if !load[i] {
			at[i] = -1
			l.report.Filtered++
			continue
		}
		at[i] = len(l.set.rules)
		if !pr.rule.LogsourceMapped {
			l.report.Unmapped++
		}
		l.set.rules = append(l.set.rules, pr.rule)
		l.set.compiled = append(l.set.compiled, pr.compiled)
		l.refs = append(l.refs, pr.ref)
	}
	return at
}

// place builds the loaded form of correlation i: references as set
// indexes, the slots of the fields it reads (through the compiler, so
// they are named exactly as rules name theirs) and its digest.
func (r *resolver) place(i int, ruleAt, corrAt []int) Correlation {
	p := &r.l.corrs[i]
	c := p.c
	c.Refs = make([]Ref, len(r.targets[i]))
	c.GroupSlots = make([][]int, len(r.targets[i]))
	refKeys := make([]string, len(r.targets[i]))
	fields := make([][]string, len(r.targets[i]))
	for k, t := range r.targets[i] {
		c.Refs[k] = Ref{Rule: -1, Correlation: -1}
		if t.corr {
			c.Refs[k].Correlation = corrAt[t.i]
		} else {
			c.Refs[k].Rule = ruleAt[t.i]
		}
		m := r.meta(t)
		refKeys[k] = m.ID
		if m.ID == "" {
			refKeys[k] = "name:" + m.Name
		}
		fields[k] = r.groupFields(i, k)
		c.GroupSlots[k] = make([]int, len(fields[k]))
		for g, f := range fields[k] {
			c.GroupSlots[k][g] = r.l.c.slot(f)
		}
	}
	if c.Field != "" {
		c.FieldSlot = r.l.c.slot(c.Field)
	}
	c.Digest = definitionDigest(&c, refKeys, fields)
	return c
}

// groupFields returns the field read for each group-by name on events of
// reference k: the alias's field for that rule when aliases define one,
// else the group-by name itself.
func (r *resolver) groupFields(i, k int) []string {
	p := &r.l.corrs[i]
	out := make([]string, len(p.c.GroupBy))
	for g, name := range p.c.GroupBy {
		out[g] = name
		for _, a := range p.aliases {
			if a.alias == name && r.aliasRef(p, r.targets[i], a.rule) == k {
				out[g] = a.field
				break
			}
		}
	}
	return out
}

// linkUsers records, per rule and per correlation, the correlations that
// reference it and where.
func (s *Set) linkUsers() {
	s.ruleUsers = make([][]RefUse, len(s.rules))
	s.corrUsers = make([][]RefUse, len(s.correlations))
	for ci, c := range s.correlations {
		for pos, ref := range c.Refs {
			use := RefUse{Correlation: ci, Position: pos}
			if ref.Rule >= 0 {
				s.ruleUsers[ref.Rule] = append(s.ruleUsers[ref.Rule], use)
			} else {
				s.corrUsers[ref.Correlation] = append(s.corrUsers[ref.Correlation], use)
			}
		}
	}
}
