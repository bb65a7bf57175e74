package rules

// This file holds the value tests: the comparisons a field matcher runs on
// an event's value at match time. The modifiers that build them are in
// modifiers.go; compile-time value transforms are in transforms.go.

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// valueTest decides a field's value (present and not null).
type valueTest interface {
	test(v []byte, m *matcher) bool
}

// patternTest: wildcard patterns, any (or, with |all, every) must match.
type patternTest struct {
	patterns []pattern
	all      bool
}

func (t *patternTest) test(v []byte, m *matcher) bool {
	done := false
	for i := range t.patterns {
		if hit := t.patterns[i].matchValue(v, &m.folded, &done); hit != t.all {
			return hit
		}
	}
	return t.all
}

// regexTest: the re modifier. RE2 syntax, linear time.
type regexTest struct {
	res []*regexp.Regexp
	all bool
}

func (t *regexTest) test(v []byte, _ *matcher) bool {
	for _, re := range t.res {
		if hit := re.Match(v); hit != t.all {
			return hit
		}
	}
	return t.all
}

// cidrTest: the cidr modifier, IPv4 and IPv6.
type cidrTest struct {
	prefixes []netip.Prefix
}

func (t *cidrTest) test(v []byte, _ *matcher) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(string(v)))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// numberTest: lt, lte, gt, gte. A value that is not a number never matches.
type numberTest struct {
	op     string
	limits []float64
}

func (t *numberTest) test(v []byte, _ *matcher) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
	if err != nil {
		return false
	}
	for _, lim := range t.limits {
		var hit bool
		switch t.op {
		case "lt":
			hit = f < lim
		case "lte":
			hit = f <= lim
		case "gt":
			hit = f > lim
		default:
			hit = f >= lim
		}
		if hit {
			return true
		}
	}
	return false
}

// fieldrefTest: the fieldref modifier; the value names another field of the
// same event, compared case-insensitively (or as the position modifier says).
type fieldrefTest struct {
	slots    []int
	position string // "", "contains", "startswith", "endswith"
	all      bool
}

func (t *fieldrefTest) test(v []byte, m *matcher) bool {
	for _, slot := range t.slots {
		other, ok := m.ev.Field(slot)
		hit := false
		if ok {
			m.refA = foldAppend(m.refA[:0], v)
			m.refB = foldAppend(m.refB[:0], other)
			a, b := m.refA, m.refB
			switch t.position {
			case "contains":
				hit = strings.Contains(string(a), string(b))
			case "startswith":
				hit = strings.HasPrefix(string(a), string(b))
			case "endswith":
				hit = strings.HasSuffix(string(a), string(b))
			default:
				hit = string(a) == string(b)
			}
		}
		if hit != t.all {
			return hit
		}
	}
	return t.all
}

// notTest: the neq modifier, true when the value equals none of the values.
type notTest struct{ inner valueTest }

func (t *notTest) test(v []byte, m *matcher) bool { return !t.inner.test(v, m) }

// existsTest is the exists modifier with true: any present value matches.
type existsTest struct{}

func (existsTest) test([]byte, *matcher) bool { return true }
