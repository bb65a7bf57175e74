package rules

import "sync"

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
}

// Set is a compiled rule set. It is immutable and safe for concurrent use.
type Set struct {
	rules    []Rule
	compiled []compiledRule
	fields   []string
}

// Rules returns the rules of the set; Match reports indexes into it. The
// caller must not modify the slice.
func (s *Set) Rules() []Rule { return s.rules }

// Len returns the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Fields returns the field names the set reads; slot i of Event.Field is
// Fields()[i]. The caller must not modify the slice.
func (s *Set) Fields() []string { return s.fields }

// matcher is the per-call scratch of Match: the event and a buffer for
// case-folded values. Pooled so Match allocates nothing.
type matcher struct {
	ev     Event
	folded []byte
}

var matcherPool = sync.Pool{New: func() any { return &matcher{folded: make([]byte, 0, 512)} }}

// Match appends to dst the indexes (into Rules) of the rules that ev
// matches, in rule order, and returns the extended slice.
func (s *Set) Match(ev Event, dst []int) []int {
	m := matcherPool.Get().(*matcher)
	m.ev = ev
	for i := range s.compiled {
		if s.compiled[i].matches(m) {
			dst = append(dst, i)
		}
	}
	m.ev = nil
	matcherPool.Put(m)
	return dst
}

func (r *compiledRule) matches(m *matcher) bool {
	for i := range r.guards {
		if !r.guards[i].pass(m) {
			return false
		}
	}
	return r.cond.eval(m)
}
