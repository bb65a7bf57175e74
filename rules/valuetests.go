package rules

// This file holds the value tests: the comparisons a field matcher runs on
// an event's value at match time. The modifiers that build them are in
// modifiers.go; compile-time value transforms are in transforms.go.

import (
	"bytes"
	"cmp"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unsafe"
)

// valueTest decides a field's value (present and not null).
type valueTest interface {
	test(v []byte, m *matcher) bool
}

// patternTest: wildcard patterns, any (or, with |all, every) must match.
type patternTest struct {
	patterns []pattern
	all      bool
	index    *patternIndex // for a long any-of list: its anchored patterns by lookup
	// slot, scan and lits: the field, its scan and, per pattern, its
	// required literal there (seenlits.go); lits nil when not linked.
	// whole: per pattern, whether finding the literal decides it.
	slot, scan int
	lits       []int32
	whole      []bool
}

func (t *patternTest) test(v []byte, m *matcher) bool {
	if t.index != nil {
		if hit, ok := t.index.anyMatch(t, v, m); ok {
			return hit
		}
	}
	done := false
	for i := range t.patterns {
		hit := t.matchValue(i, v, m, &done)
		if hit != t.all {
			return hit
		}
	}
	return t.all
}

// regexTest: the re modifier. RE2 syntax, linear time; each expression
// behind its gate (regex.go), which rejects most values without running it.
type regexTest struct {
	res    []*regexp.Regexp
	gates  []regexGate      // per expression
	splits []*regexSplit    // per expression: nil, or a faster way to decide it
	runs   []*runeRun       // per expression: nil, or the run of a class it is
	counts []*literalRepeat // per expression: nil, or the literal it repeats
	all    bool
}

func (t *regexTest) test(v []byte, m *matcher) bool {
	done := false
	for i := range t.res {
		if hit := t.match(i, v, m, &done); hit != t.all {
			return hit
		}
	}
	return t.all
}

// cidrTest: the cidr modifier, IPv4 and IPv6; with all, the address must
// be in every prefix, else in one.
type cidrTest struct {
	prefixes []netip.Prefix
	all      bool
}

func (t *cidrTest) test(v []byte, _ *matcher) bool {
	v = bytes.TrimSpace(v)
	if !maybeAddr(v) {
		return false
	}
	// A view of v, not a copy: ParseAddr keeps nothing of its argument
	// (a zone it returns is interned, a copy), so Sysmon's network events
	// cost no allocation.
	addr, err := netip.ParseAddr(unsafe.String(&v[0], len(v)))
	if err != nil {
		return false
	}
	// A zone (fe80::1%12) says which interface, not which address; an
	// IPv4-mapped address (::ffff:10.0.0.1) is in IPv4 prefixes and in
	// IPv6 ones (::ffff:0:0/96) alike.
	addr = addr.WithZone("")
	unmapped := addr.Unmap()
	for _, p := range t.prefixes {
		if hit := p.Contains(addr) || p.Contains(unmapped); hit != t.all {
			return hit
		}
	}
	return t.all
}

// maybeAddr reports whether v may be an IP address: ParseAddr accepts
// nothing but hex digits, ':' and '.' before an IPv6 zone ('%'). Ruling
// out the rest here keeps host names and "-" from costing ParseAddr's
// error, an allocation.
func maybeAddr(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		switch {
		case c == '%':
			return true // the zone may hold anything
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == ':', c == '.':
		default:
			return false
		}
	}
	return true
}

// numberTest: lt, lte, gt, gte; with all, the value must meet every
// limit, else one. A value that is not a number never matches.
// Integers compare exactly, whatever their size; when either side is not
// an integer both compare as float64 (the specification is silent on
// mixed comparisons; this is what JSON numbers mean to most backends).
type numberTest struct {
	op     string
	limits []number
	all    bool
}

func (t *numberTest) test(v []byte, _ *matcher) bool {
	n, ok := parseNumber(v)
	if !ok {
		return false
	}
	for _, lim := range t.limits {
		c := n.compare(lim)
		var hit bool
		switch t.op {
		case "lt":
			hit = c < 0
		case "lte":
			hit = c <= 0
		case "gt":
			hit = c > 0
		default:
			hit = c >= 0
		}
		if hit != t.all {
			return hit
		}
	}
	return t.all
}

// number is an integer held exactly (sign and magnitude, so every int64
// and uint64 fits) or a float.
type number struct {
	isInt bool
	neg   bool    // isInt: negative
	mag   uint64  // isInt: magnitude
	f     float64 // always set: the value as float64
}

// parseNumber reads decimal text, surrounding spaces allowed, without
// allocating: an integer when it is one that fits 64 bits of magnitude,
// otherwise a decimal number (digits, one point, an exponent) as
// strconv.ParseFloat reads it. Infinities, NaN, hexadecimal floats and
// digit separators, which ParseFloat also takes, are not numbers a log
// writes.
func parseNumber(v []byte) (number, bool) {
	v = bytes.TrimSpace(v)
	if n, ok := parseInteger(v); ok {
		return n, true
	}
	if !isDecimal(v) {
		return number{}, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsNaN(f) {
		return number{}, false
	}
	return number{f: f}, true
}

// isDecimal reports whether v is an optionally signed decimal number:
// digits with at most one point, and an optionally signed exponent.
func isDecimal(v []byte) bool {
	if len(v) > 0 && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	digits, point := 0, false
	for len(v) > 0 && (v[0] >= '0' && v[0] <= '9' || v[0] == '.' && !point) {
		if v[0] == '.' {
			point = true
		} else {
			digits++
		}
		v = v[1:]
	}
	if digits == 0 {
		return false
	}
	if len(v) > 0 && (v[0] == 'e' || v[0] == 'E') {
		v = v[1:]
		if len(v) > 0 && (v[0] == '+' || v[0] == '-') {
			v = v[1:]
		}
		if len(v) == 0 {
			return false
		}
		for len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
			v = v[1:]
		}
	}
	return len(v) == 0
}

// parseInteger reads an optionally signed run of decimal digits.
func parseInteger(v []byte) (number, bool) {
	var n number
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		n.neg = v[0] == '-'
		v = v[1:]
	}
	if len(v) == 0 {
		return number{}, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return number{}, false
		}
		d := uint64(c - '0')
		if n.mag > (math.MaxUint64-d)/10 {
			return number{}, false // too large: read as a float
		}
		n.mag = n.mag*10 + d
	}
	n.isInt = true
	n.neg = n.neg && n.mag != 0
	n.f = float64(n.mag)
	if n.neg {
		n.f = -n.f
	}
	return n, true
}

// compare returns -1, 0 or +1 as n is less than, equal to or greater than
// o: exactly between integers, as float64 otherwise.
func (n number) compare(o number) int {
	if !n.isInt || !o.isInt {
		return cmp.Compare(n.f, o.f)
	}
	switch {
	case n.neg != o.neg && n.neg:
		return -1
	case n.neg != o.neg:
		return 1
	case n.neg:
		return cmp.Compare(o.mag, n.mag)
	}
	return cmp.Compare(n.mag, o.mag)
}

// fieldrefTest: the fieldref modifier; the value names another field of the
// same event, compared case-insensitively unless cased, where the position
// modifier says.
type fieldrefTest struct {
	slots    []int
	position string // "", "contains", "startswith", "endswith"
	all      bool
	cased    bool // compare as written, not case-folded
}

// refText copies (or, unless cased, case-folds) v into dst.
func (t *fieldrefTest) refText(dst, v []byte) []byte {
	if t.cased {
		return append(dst[:0], v...)
	}
	return foldAppend(dst[:0], v)
}

func (t *fieldrefTest) test(v []byte, m *matcher) bool {
	// Equal values have equal lengths when compared as written, or when
	// both are ASCII (folding keeps an ASCII value's length): most pairs
	// of paths differ there, and need no folding. Read before Field.
	n, ascii := len(v), isASCII(v)
	// v may live in the event's own scratch (a number's text), which the
	// first Field call overwrites: copy it once, before any.
	m.refA = t.refText(m.refA, v)
	for _, slot := range t.slots {
		other, ok := m.ev.Field(slot)
		hit := false
		if ok && t.position == "" && len(other) != n && (t.cased || ascii && isASCII(other)) {
			ok = false // unequal
		}
		if ok {
			m.refB = t.refText(m.refB, other)
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
// A field present with null never reaches a value test; fieldMatcher.eval
// asks the event (see FieldPresence).
type existsTest struct{}

func (existsTest) test([]byte, *matcher) bool { return true }

// FieldPresence is implemented by events that can tell a field holding
// null (or a map or array, which has no text) from an absent field. The
// exists modifier uses it: it "only verifies the presence of a field, not
// its value, be it empty or null". An event without it is taken to hold
// nothing it cannot give as text.
type FieldPresence interface {
	Present(slot int) bool
}

// FieldMap is implemented by events that can tell a field holding a map
// (which has no text, as null has none) from one holding null: null does
// not match a map, which is a value.
type FieldMap interface {
	HoldsMap(slot int) bool
}

// holdsMap reports whether ev's field in slot holds a map.
func holdsMap(ev Event, slot int) bool {
	p, ok := ev.(FieldMap)
	return ok && p.HoldsMap(slot)
}

// fieldPresent reports whether ev has the field in slot, whatever it holds.
func fieldPresent(ev Event, slot int) bool {
	if p, ok := ev.(FieldPresence); ok {
		return p.Present(slot)
	}
	_, ok := ev.Field(slot)
	return ok
}

// variantGroupsTest is |all over values that a transform (windash,
// base64offset, expand...) turned into several variants each: every value
// must match in at least one of its variants, the AND over values of the
// OR over variants, as pySigma builds it.
type variantGroupsTest struct {
	groups []patternTest // one per value, each an OR over its variants
}

func (t *variantGroupsTest) test(v []byte, m *matcher) bool {
	for i := range t.groups {
		if !t.groups[i].test(v, m) {
			return false
		}
	}
	return true
}
