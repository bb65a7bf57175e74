package rules

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/ahocorasick"
)

// The prefilter. Most rules cannot match an event unless some fields of it
// contain some literals of the rule: "CommandLine|contains: ' -enc '" needs
// " -enc " in CommandLine. For each rule, compile derives such a necessary
// condition in conjunctive form (clauses, each a list of (field, literal)
// of which one must occur), and the Set builds per field a finder over
// all the literals of all rules: hash lookups of the value's ends for the
// literals that must end, begin or be the value (anchored.go), and for
// the others an Aho-Corasick automaton, with a sampling search for many
// long ones (package ahocorasick).
// Matching an event scans each field value once, marks the clauses whose
// literals occur, and fully evaluates only the rules whose clauses are all
// met (marked, or checked against what the scans found: index.go's
// chooseChecks), and those without clauses, unless a veto rules them out
// (see veto.go). Clauses are necessary, never sufficient: the full evaluation
// decides. This file derives the clauses.

// need is one literal that must occur (case-folded) in a field's value;
// slot keywordSlot means in any string value of the event (the index gives
// each group's keywords a slot of their own below it).
type need struct {
	slot int
	lit  string // folded
	at   anchor
}

// anchor is where in the value a need's literal must occur. Anchored
// literals are pure ASCII (so folding cannot move them) and are checked
// by table lookups (anchored.go) rather than by the field's automaton.
type anchor uint8

const (
	anywhere anchor = iota // contains: the automaton finds it
	atEnd                  // the value ends with it
	atStart                // the value begins with it
	whole                  // the value is it
)

// valueLit is the literal one value requires and where.
type valueLit struct {
	lit string
	at  anchor
}

const keywordSlot = -1

// clause is a disjunction of needs.
type clause []need

// cnf is a conjunction of clauses; empty means nothing is known.
type cnf []clause

// maxClauses bounds the clauses kept per rule (the most selective ones).
const maxClauses = 4

// strength is how selective a clause is: its shortest literal.
func (c clause) strength() int {
	m := -1
	for _, n := range c {
		if m < 0 || len(n.lit) < m {
			m = len(n.lit)
		}
	}
	return m
}

// or combines alternatives: one of them holds, so for any choice of one
// clause from each alternative, the disjunction of the chosen clauses is
// necessary ((a and b) or c = (a or c) and (b or c)). The products are
// kept, up to maxProducts of the lightest (see weight), instead of one
// clause of each alternative's lightest: a literal as common as Image's
// "\windows\" could then stand for its alternative alone and make the
// rule a candidate on nearly every event, where the alternative's other
// clause ("\..\..\" in CommandLine) almost never holds. Empty if any
// alternative knows nothing. A single alternative keeps all its clauses:
// it holds.
func or(alts []cnf) cnf {
	if len(alts) == 1 {
		return alts[0]
	}
	products := cnf{nil}
	for _, a := range alts {
		if len(a) == 0 {
			return nil
		}
		next := make(cnf, 0, len(products)*len(a))
		for _, p := range products {
			for _, cl := range a {
				next = append(next, union(p, cl))
			}
		}
		products = minimal(next).lightest(maxProducts)
	}
	return products
}

// maxProducts bounds the clauses or keeps of the alternatives' products.
const maxProducts = 2 * maxClauses

// union returns a new clause of the needs of a and then those of b that a
// does not have.
func union(a, b clause) clause {
	u := append(make(clause, 0, len(a)+len(b)), a...)
	for _, n := range b {
		if !slices.Contains(u, n) {
			u = append(u, n)
		}
	}
	return u
}

// minimal returns the clauses of c but those that hold every need of
// another clause (which requires more) or of an equal one before them.
func minimal(c cnf) cnf {
	out := make(cnf, 0, len(c))
	for i := range c {
		if !redundant(c, i) {
			out = append(out, c[i])
		}
	}
	return out
}

// redundant reports whether some other clause of c requires all that
// clause i does: it holds none of i's needs but i's own, or it is equal
// and comes first.
func redundant(c cnf, i int) bool {
	for j := range c {
		if j != i && subset(c[j], c[i]) && (j < i || !subset(c[i], c[j])) {
			return true
		}
	}
	return false
}

// subset reports whether every need of sub is in cl.
func subset(sub, cl clause) bool {
	for _, n := range sub {
		if !slices.Contains(cl, n) {
			return false
		}
	}
	return true
}

// lightest sorts c by weight, in a stable order, and returns its first n
// clauses (all when it has no more).
func (c cnf) lightest(n int) cnf {
	type weighed struct {
		cl clause
		w  float64
	}
	ws := make([]weighed, len(c))
	for i, cl := range c {
		ws[i] = weighed{cl, cl.weight()}
	}
	slices.SortStableFunc(ws, func(a, b weighed) int { return cmp.Compare(a.w, b.w) })
	for i := range ws {
		c[i] = ws[i].cl
	}
	return c[:min(n, len(c))]
}

// weight estimates how often a clause holds: the sum over its needs of
// 4^-length, each byte of a literal taken to rule out three values of
// four. A clause of one rare literal or two weighs less than one that
// also lists a common one. Only lengths count: a long literal that nearly
// every value holds ("\windows\") weighs as little as a rare one.
func (c clause) weight() float64 {
	w := 0.0
	for _, n := range c {
		w += math.Pow(4, -float64(len(n.lit)))
	}
	return w
}

// cnfOf derives a node's necessary literals.
func cnfOf(n node) cnf {
	switch n := n.(type) {
	case andNode:
		var all cnf
		for _, c := range n {
			all = append(all, cnfOf(c)...)
		}
		return all
	case orNode:
		alts := make([]cnf, len(n))
		for i, c := range n {
			alts[i] = cnfOf(c)
		}
		return or(alts)
	case *searchNode:
		alts := make([]cnf, len(n.alternatives))
		for i, alt := range n.alternatives {
			for j := range alt {
				alts[i] = append(alts[i], alt[j].clauses()...)
			}
		}
		return or(alts)
	default: // notNode and anything else: nothing is required
		return nil
	}
}

// weakStrength is the strength up to which a clause is dropped when its
// rule has a stronger one: a literal of one or two bytes (" ", "-", "/c")
// occurs in nearly every value, so its clause hardly ever spares the
// rule's evaluation, while it makes the field's automaton stop at nearly
// every byte (see ahocorasick's rare-pair skip).
const weakStrength = 2

// ruleCNF is the rule's requirement, limited to its strongest clauses.
// Any subset of the clauses is still necessary.
func ruleCNF(n node) cnf {
	c := cnfOf(n)
	if slices.ContainsFunc(c, func(cl clause) bool { return cl.strength() > weakStrength }) {
		c = slices.DeleteFunc(c, func(cl clause) bool { return cl.strength() <= weakStrength })
	}
	if len(c) > maxClauses {
		c = slices.Clone(c).lightest(maxClauses)
	}
	return c
}

// clauses of one field matcher: with patterns, one of the patterns' longest
// literals must occur (with |all, each pattern's own); with a regular
// expression, a literal every match contains.
func (f *fieldMatcher) clauses() cnf {
	if f.matchAbsent {
		return nil
	}
	var lits []valueLit
	var all bool
	switch t := f.test.(type) {
	case *patternTest:
		for i := range t.patterns {
			lits = append(lits, t.patterns[i].requiredLiteral())
		}
		all = t.all
	case *regexTest:
		if f.slot < 0 {
			return nil
		}
		return regexClauses(f.slot, t)
	default:
		return nil
	}
	return valueClauses(f.slot, lits, all)
}

// regexClauses: every match of a regular expression contains one of a
// set of literals (regexLiteralAlternatives: `\.[ "']` requires one of
// `. `, `."` and `.'`, far rarer than `.`); a field with several
// expressions needs one of all their sets, or with |all each set.
func regexClauses(slot int, t *regexTest) cnf {
	var any clause
	var each cnf
	for _, re := range t.res {
		alts := regexLiteralAlternatives(re.String())
		if len(alts) == 0 {
			if t.all {
				continue
			}
			return nil
		}
		var c clause
		for _, l := range alts {
			c = append(c, need{slot: slot, lit: selectiveTail(l), at: anywhere})
		}
		if t.all {
			each = append(each, c)
		} else {
			any = append(any, c...)
		}
	}
	if t.all {
		return each
	}
	if any == nil {
		return nil
	}
	return cnf{any}
}

// valueClauses turns the literals of a field's values ("" where a value has
// none) into clauses: one clause of all of them when any value may match;
// with |all, one clause per literal, since every value must match.
func valueClauses(slot int, lits []valueLit, all bool) cnf {
	var c clause
	var each cnf
	for _, vl := range lits {
		n := need{slot: slot, lit: vl.lit, at: vl.at}
		switch {
		case vl.lit == "" && all:
			continue
		case vl.lit == "":
			return nil
		case all:
			each = append(each, clause{n})
		default:
			c = append(c, n)
		}
	}
	if all {
		return each
	}
	if c == nil {
		return nil
	}
	return cnf{c}
}

// maxNeedLen bounds the literals of needs: any piece of a literal that must
// occur must occur too, and the last bytes of a literal are its most
// selective ("\\rundll32.exe" rather than "c:\\windows\\"). Shorter
// literals keep the automata small and the scan in shallow states.
const maxNeedLen = 24

// selectiveTail is lit cut to its last maxNeedLen bytes.
func selectiveTail(lit string) string {
	if len(lit) > maxNeedLen {
		return lit[len(lit)-maxNeedLen:]
	}
	return lit
}

// requiredLiteral returns the pattern's longest literal, case-folded and
// cut to maxNeedLen bytes, and where in the value it must be. A literal
// that begins (ends) the pattern must begin (end) the value, so it keeps
// its head (tail) when cut; others keep their most selective tail.
// Literals with bytes >= 0x80 are left to the automaton: folding may
// change their length, so only its scan of the folded value finds them.
func (p *pattern) requiredLiteral() valueLit {
	var lit []byte
	at := anywhere
	switch p.kind {
	case anyPattern:
		return valueLit{}
	case globPattern:
		for i, t := range p.glob {
			if t.kind == literalToken && len(t.lit) > len(lit) {
				lit, at = t.lit, anywhere
				switch i {
				case 0:
					at = atStart
				case len(p.glob) - 1:
					at = atEnd
				}
			}
		}
	case exactPattern:
		lit, at = p.lit, whole
	case prefixPattern:
		lit, at = p.lit, atStart
	case suffixPattern:
		lit, at = p.lit, atEnd
	default:
		lit = p.lit
	}
	if !isASCII(lit) {
		at = anywhere
	}
	if p.cased {
		lit = foldAppend(nil, lit)
	}
	return cutLiteral(string(lit), at)
}

// cutLiteral cuts lit to maxNeedLen bytes, keeping what stays anchored: a
// whole value too long to look up becomes its tail, which the value must
// end with.
func cutLiteral(lit string, at anchor) valueLit {
	if len(lit) <= maxNeedLen {
		return valueLit{lit, at}
	}
	if at == atStart {
		return valueLit{lit[:maxNeedLen], atStart}
	}
	if at == whole {
		at = atEnd
	}
	return valueLit{selectiveTail(lit), at}
}

// acAutomaton finds which of one field's literals occur anywhere in a
// value, as the Set reads it (see package ahocorasick): the one-byte ASCII
// ones by a byte search each; the long ASCII ones (16 bytes and more), when
// there are many, by sampling every few bytes of the value
// (ahocorasick.Sampled); the others with an automaton. Any part may be
// nil. One-byte literals stay out of the automaton because a single one
// ("\\", "`", ">") disables its rare-pair skip, making it walk every byte
// of every value; long ones because a field's thousands of hashes make
// the automaton megabytes, a cache miss a byte.
type acAutomaton struct {
	// single[b] is 1 + the id of the one-byte literal byte b folds to,
	// or 0; singleBytes lists those bytes b.
	single      *[256]int32
	singleBytes []byte
	ac          *ahocorasick.Automaton
	acIDs       []int32 // the automaton's pattern i is literal acIDs[i]
	long        *ahocorasick.Sampled
	// longIDs: the Sampled's pattern i is literal longIDs[i].
	longIDs []int32
	// canon maps each literal to the id scan reports for it: its own, or
	// that of an earlier literal that reads alike.
	canon []int32
}

// minLongLits is how many long literals a field needs before they are
// sampled: for a few, the automaton's cost hardly depends on them.
// Literals of 8 to 15 bytes stay in the automaton: a rolling hash at
// every byte for them, measured, cost more on the mixed stream.
const minLongLits = 64

// buildAutomaton builds the finder over a field's literals, folded as the
// event values they are compared with are.
func buildAutomaton(lits []string) *acAutomaton {
	a := &acAutomaton{canon: make([]int32, len(lits))}
	folded := make([][]byte, len(lits))
	long := 0
	for i, l := range lits {
		folded[i] = foldAppend(nil, []byte(l))
		if isLong(folded[i]) {
			long++
		}
	}
	var short, sampled []string
	for i, l := range lits {
		f, id := folded[i], int32(i)
		switch {
		case len(f) == 1 && f[0] < utf8.RuneSelf:
			a.addSingle(id, f[0])
		case long >= minLongLits && isLong(f):
			sampled = append(sampled, l)
			a.longIDs = append(a.longIDs, id)
		default:
			short = append(short, l)
			a.acIDs = append(a.acIDs, id)
		}
	}
	if len(short) > 0 {
		a.ac = ahocorasick.New(short, foldAppend)
		a.setCanon(a.acIDs, a.ac.Canonical())
	}
	if len(sampled) > 0 {
		a.long = ahocorasick.NewSampled(sampled, foldAppend)
		a.setCanon(a.longIDs, a.long.Canonical())
	}
	return a
}

// isLong reports whether a folded literal is one Sampled takes.
func isLong(f []byte) bool {
	return len(f) >= ahocorasick.MinSampled && isASCII(f)
}

// setCanon records the canonical literals a part reports: its pattern k
// is literal ids[k], reported as literal ids[canon[k]].
func (a *acAutomaton) setCanon(ids, canon []int32) {
	for k, c := range canon {
		a.canon[ids[k]] = ids[c]
	}
}

// addSingle puts lit (literal id), which folds to the one ASCII byte f,
// in the byte table. A literal that reads like an earlier one is reported
// as that one (canon).
func (a *acAutomaton) addSingle(id int32, f byte) {
	if a.single == nil {
		a.single = new([256]int32)
	}
	for c := range utf8.RuneSelf {
		if ahocorasick.Lower(byte(c)) != f {
			continue
		}
		if a.single[c] == 0 {
			a.single[c] = id + 1
			a.singleBytes = append(a.singleBytes, byte(c))
		}
		a.canon[id] = a.single[c] - 1
	}
}

// scanSingles appends the id of each one-byte literal that the text
// holds: one search per byte that reads as one (bytes.IndexByte, which
// reads many bytes at a time) instead of a table test at every byte of
// the value. A literal is appended once for each such byte found (a
// letter's two cases: up to twice).
func (a *acAutomaton) scanSingles(text []byte, hits []int32) []int32 {
	for _, b := range a.singleBytes {
		if bytes.IndexByte(text, b) >= 0 {
			hits = append(hits, a.single[b]-1)
		}
	}
	return hits
}

// scan appends to hits the id of every literal that occurs in the
// case-folded value, at least once for each literal found: the caller
// reads them as a set. The value is as the scans read it (readable):
// ASCII, which no part checks again, or folded once for all of a field's
// lookups.
func (a *acAutomaton) scan(t scanText, hits []int32) []int32 {
	if a.single != nil {
		hits = a.scanSingles(t.b, hits)
	}
	start := len(hits)
	if a.ac != nil {
		hits = a.ac.ScanFolded(t.b, hits)
		for i := start; i < len(hits); i++ {
			hits[i] = a.acIDs[hits[i]]
		}
	}
	if a.long != nil {
		start = len(hits)
		hits = a.long.ScanFolded(t.b, hits)
		for i := start; i < len(hits); i++ {
			hits[i] = a.longIDs[hits[i]]
		}
	}
	return hits
}

// bytes is the memory of the finder's tables.
func (a *acAutomaton) bytes() int {
	n := 4 * (len(a.acIDs) + len(a.longIDs) + len(a.canon))
	if a.single != nil {
		n += 4 * len(a.single)
	}
	if a.ac != nil {
		n += a.ac.Bytes()
	}
	if a.long != nil {
		n += a.long.Bytes()
	}
	return n
}
