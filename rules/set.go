package rules

// This file holds the compiled set: the rules, their compiled detections,
// the fields they read and the index Match consults, with the accessors
// callers use. The index is built in index.go and used in match.go.

import (
	"sync"
	"sync/atomic"
)

// Rule is what a match reports about the rule that matched.
type Rule struct {
	ID          string
	Title       string
	Status      string
	Level       Level
	Description string
	Author      string
	Tags        []string // in the rule's order
	References  []string
	File        string // where the rule was loaded from
	// LogsourceMapped is false when the rule's logsource could not be
	// turned into guards, so it is evaluated on its fields alone.
	LogsourceMapped bool
	// Product is the rule's logsource product, lower case ("" for none).
	Product string
	// OwnLog: the rule names no product but the category or service of
	// logs of their own (a web server's, a database's: see ownLogKinds).
	OwnLog bool
	// Name is the rule's name attribute, by which correlations may
	// reference it.
	Name string
	// Silent is true when loaded correlations reference the rule (or the
	// correlation) and none of them says generate: true: its matches feed
	// them but are not written into records.
	Silent bool
}

// Set is a compiled rule set. It is immutable and safe for concurrent use.
type Set struct {
	rules    []Rule
	compiled []compiledRule
	fields   []string
	// ruleFields: fields[:ruleFields] are read by rules (and perhaps by
	// correlations), the rest by correlations only.
	ruleFields int

	// Correlations (see correlation.go) and, per rule and per
	// correlation, the correlations referencing it.
	correlations []Correlation
	ruleUsers    [][]RefUse
	corrUsers    [][]RefUse

	// The index (see prefilter.go): rules grouped by logsource guards, and
	// per field an automaton over the literals rules require.
	groups     []ruleGroup
	guards     []guard // distinct guards; groups share them
	guardSlots []int   // the fields guards read
	scans      []slotScan
	// litBase: per field scan, where its literals start in a matcher's
	// litSeen (seenlits.go), the automaton's and then the anchored ones;
	// litTotal: how many there are.
	litBase  []int32
	litTotal int
	// vetoes: per rule, the litSeen indexes of its vetoes (veto.go);
	// byteVetoes, per rule without clauses, its one-byte vetoes, or nil.
	vetoes     [][]int32
	byteVetoes [][]byteVeto
	clauses    [][]int32 // per rule: clauses that must all be satisfied
	// checks: per rule, the clauses checked when it is a candidate
	// instead of marked (index.go's chooseChecks), each as the litSeen
	// indexes of its literals.
	checks  [][][]int32
	groupOf []int32 // per rule: its group
	// Keyword scans merged per combination that applies together, built
	// when a matcher first meets it (matchcache.go).
	kwMerged      sync.Map // key of the scans' indexes -> *slotScan
	kwMergedCount atomic.Int32
	// Which groups apply, per combination of guard values met.
	decisions decisions
}

type ruleGroup struct {
	guards    []int32 // indexes into Set.guards
	rules     []int32
	unclaused []int32  // its rules without clauses: evaluated whenever the group applies, unless vetoed
	scans     []uint64 // bitset over Set.scans: the fields its rules' literals are in
}

// slotScan finds the literals of one slot: those that may occur anywhere
// with an automaton, the anchored ones by lookup (anchored.go). Either may
// be nil.
type slotScan struct {
	slot     int
	ac       *acAutomaton
	anchored *anchoredLits
	// clauses lists per literal the marks (index.go's clauseMark) of the
	// clauses it satisfies: the automaton's literal i at i, the lookup's
	// at nAc+i.
	clauses [][]int32
	nAc     int32
	// grams, for a keyword scan, tells from the event's raw bytes that
	// none of its literals occurs (nil: it cannot).
	grams *gramFilter
	// The slot's literals, and where each is in clauses; kept for
	// keyword scans only, which are merged (matchcache.go).
	lits  []valueLit
	local []int32
}

// RuleFields returns how many of Fields() rules read: the fields after
// them are read only by correlations, so a caller may leave them unread
// until a record matched a rule some correlation references.
func (s *Set) RuleFields() int { return s.ruleFields }

// Rules returns the rules of the set; Match reports indexes into it. The
// caller must not modify the slice.
func (s *Set) Rules() []Rule { return s.rules }

// Len returns the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Fields returns the field names the set reads; slot i of Event.Field is
// Fields()[i]. The caller must not modify the slice.
func (s *Set) Fields() []string { return s.fields }

// Stats describes the index, for load-time reporting.
type Stats struct {
	Groups      int // distinct logsource guards
	Prefiltered int // rules with a literal requirement
	Literals    int // distinct (field, literal) pairs
	IndexBytes  int // memory of the automata and anchored lookups
}

// Stats returns figures about the index.
func (s *Set) Stats() Stats {
	st := Stats{Groups: len(s.groups)}
	for _, c := range s.clauses {
		if len(c) > 0 {
			st.Prefiltered++
		}
	}
	for _, sc := range s.scans {
		st.Literals += len(sc.clauses)
		if sc.ac != nil {
			st.IndexBytes += sc.ac.bytes()
		}
		if sc.anchored != nil {
			st.IndexBytes += sc.anchored.bytes()
		}
	}
	return st
}

// ProductFields returns the names of the fields the rules of product
// (lower case) read, each once, in slot order.
func (s *Set) ProductFields(product string) []string {
	read := make([]bool, len(s.fields))
	for i := range s.compiled {
		if s.rules[i].Product != product {
			continue
		}
		forEachField(s.compiled[i].cond, func(f *fieldMatcher) {
			if f.slot >= 0 && f.slot < len(read) {
				read[f.slot] = true
			}
		})
	}
	var names []string
	for slot, r := range read {
		if r {
			names = append(names, s.fields[slot])
		}
	}
	return names
}
