package rules

import "strings"

// Conditions are parsed here rather than by sigma-go, whose lexer rejects
// identifier patterns with a digit before the '*' ("1 of selection_1_*"),
// which the Sigma specification allows. The grammar:
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | "(" expr ")" | quant | ident
//	quant   = ("1" | "all" | "any") "of" (ident-or-pattern | "them")
//
// Keywords are case-insensitive; identifiers are not. A pipe (an
// aggregation) is reported as unsupported.

// maxConditionDepth bounds nesting so a hostile condition cannot exhaust
// the stack.
const maxConditionDepth = 64

type condParser struct {
	toks     []string
	pos      int
	depth    int
	names    []string // sorted search identifiers
	searches map[string]node
}

func tokenizeCondition(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case c == '|':
			return nil, errorf(KindUnsupportedConstruct, "%w: aggregation in condition", ErrUnsupported)
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, errorf(KindBadCondition, "condition: unexpected character %q at %d", c, i+1)
		}
	}
	return toks, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '*' || c == '-' || c == '.' || c == '?' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// compileCondition parses and compiles one condition string.
func compileCondition(cond string, names []string, searches map[string]node) (node, error) {
	toks, err := tokenizeCondition(cond)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errorf(KindBadCondition, "condition: empty")
	}
	p := &condParser{toks: toks, names: names, searches: searches}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errorf(KindBadCondition, "condition: unexpected %q", p.toks[p.pos])
	}
	return n, nil
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) keyword(kw string) bool {
	if strings.EqualFold(p.peek(), kw) {
		p.pos++
		return true
	}
	return false
}

func (p *condParser) expr() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxConditionDepth {
		return nil, errorf(KindBadCondition, "condition: nested deeper than %d", maxConditionDepth)
	}
	ns, err := p.list("or", p.and)
	if err != nil || len(ns) == 1 {
		return first(ns), err
	}
	return orNode(ns), nil
}

func (p *condParser) and() (node, error) {
	ns, err := p.list("and", p.unary)
	if err != nil || len(ns) == 1 {
		return first(ns), err
	}
	return andNode(ns), nil
}

// list parses operand { op operand }.
func (p *condParser) list(op string, operand func() (node, error)) ([]node, error) {
	var ns []node
	for {
		n, err := operand()
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
		if !p.keyword(op) {
			return ns, nil
		}
	}
}

func first(ns []node) node {
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}

func (p *condParser) unary() (node, error) {
	tok := p.peek()
	switch {
	case tok == "":
		return nil, errorf(KindBadCondition, "condition: ends too early")
	case strings.EqualFold(tok, "not"):
		p.pos++
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxConditionDepth {
			return nil, errorf(KindBadCondition, "condition: nested deeper than %d", maxConditionDepth)
		}
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case tok == "(":
		p.pos++
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			return nil, errorf(KindBadCondition, "condition: missing )")
		}
		return n, nil
	case tok == ")":
		return nil, errorf(KindBadCondition, "condition: unexpected )")
	case tok == "1" || strings.EqualFold(tok, "all") || strings.EqualFold(tok, "any"):
		if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of") {
			all := strings.EqualFold(tok, "all")
			p.pos += 2
			target := p.peek()
			if target == "" || target == "(" || target == ")" {
				return nil, errorf(KindBadCondition, "condition: %s of what?", tok)
			}
			p.pos++
			return p.quantifier(all, target)
		}
	}
	for _, kw := range []string{"and", "or", "of"} {
		if strings.EqualFold(tok, kw) {
			return nil, errorf(KindBadCondition, "condition: unexpected %q", tok)
		}
	}
	p.pos++
	n, ok := p.searches[tok]
	if !ok {
		return nil, errorf(KindBadCondition, "condition names unknown search %q", tok)
	}
	return n, nil
}

// quantifier compiles "1 of target" or "all of target". Names starting
// with '_' are left out, for "them" and for a pattern alike: the
// specification has a pattern be "the same as 1/all of them, but
// restricted to matching search identifiers" (as pySigma reads it). A
// pattern that itself starts with '_' (1 of _filter*) names them on
// purpose, and takes them: pySigma would refuse the rule.
func (p *condParser) quantifier(all bool, target string) (node, error) {
	them := strings.EqualFold(target, "them")
	underscored := strings.HasPrefix(target, "_")
	var ns []node
	for _, name := range p.names {
		if strings.HasPrefix(name, "_") && !underscored || !them && !identMatch(target, name) {
			continue
		}
		ns = append(ns, p.searches[name])
	}
	if len(ns) == 0 {
		return nil, errorf(KindBadCondition, "pattern %q matches no search", target)
	}
	if len(ns) == 1 {
		return ns[0], nil
	}
	if all {
		return andNode(ns), nil
	}
	return orNode(ns), nil
}

// identMatch matches a search identifier against a pattern in which '*'
// stands for any run of characters (case-sensitive, like identifiers).
func identMatch(pattern, name string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == name
	}
	if !strings.HasPrefix(name, pattern[:star]) {
		return false
	}
	rest := pattern[star+1:]
	name = name[star:]
	for i := 0; i <= len(name); i++ {
		if identMatch(rest, name[i:]) {
			return true
		}
	}
	return false
}
