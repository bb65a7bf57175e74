package evtx

import (
	"errors"
	"fmt"
)

// parseFragment reads binary XML from r to its end (or an EOF token) into
// resolved nodes: template instances are filled with their values.
// nest counts the templates and binary XML values being read within each
// other.
func (c *chunkReader) parseFragment(r *cursor, nest int) ([]node, error) {
	if nest > maxNesting {
		return nil, errTooDeep
	}
	return c.parseContent(r, 0, nest, false)
}

// parseContent reads nodes until an end element token (inElement) or the
// end of the fragment.
func (c *chunkReader) parseContent(r *cursor, depth, nest int, inElement bool) ([]node, error) {
	var nodes []node
	for {
		if r.p >= r.end && !inElement {
			return nodes, nil
		}
		tok, err := r.u8()
		if err != nil {
			return nil, err
		}
		switch tok &^ tokFlagMore {
		case tokEOF:
			if inElement {
				return nil, fmt.Errorf("%w: end of fragment inside an element", errBadToken)
			}
			return nodes, nil
		case tokEnd:
			if !inElement {
				return nil, fmt.Errorf("%w: end element outside an element", errBadToken)
			}
			return nodes, nil
		case tokFragment:
			if tok != tokFragment || r.need(3) != nil {
				return nil, fmt.Errorf("%w: fragment header", errBadToken)
			}
			r.p += 3 // major, minor version, flags
		case tokOpenStart:
			el, err := c.parseElement(r, tok&tokFlagMore != 0, depth+1, nest)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, el)
		case tokTemplate:
			if tok != tokTemplate {
				return nil, fmt.Errorf("%w: 0x%02x", errBadToken, tok)
			}
			inst, err := c.parseTemplateInstance(r, nest+1)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, inst...)
		case tokPITarget, tokPIData:
			if err := skipPI(r, tok); err != nil {
				return nil, err
			}
		default:
			n, err := c.parseValueToken(r, tok)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		}
	}
}

// parseValueToken reads the tokens that may stand in content or in an
// attribute's value: text, CDATA, references and substitutions.
func (c *chunkReader) parseValueToken(r *cursor, tok byte) (node, error) {
	switch tok &^ tokFlagMore {
	case tokValue:
		typ, err := r.u8()
		if err != nil {
			return node{}, err
		}
		if typ != typeString {
			return node{}, fmt.Errorf("%w: value text of type 0x%02x", errBadToken, typ)
		}
		return c.stringNode(r)
	case tokCDATA:
		return c.stringNode(r)
	case tokCharRef:
		ch, err := r.u16()
		if err != nil {
			return node{}, err
		}
		return node{kind: nodeValue, val: value{kind: kindString, s: string(rune(ch))}}, nil
	case tokEntityRef:
		name, err := r.name()
		if err != nil {
			return node{}, err
		}
		s := entity(name)
		if err := c.charge(1, len(s)); err != nil {
			return node{}, err
		}
		return node{kind: nodeValue, val: value{kind: kindString, s: s}}, nil
	case tokSubst, tokOptSubst:
		if tok&tokFlagMore != 0 {
			break
		}
		idx, err := r.u16()
		if err != nil {
			return node{}, err
		}
		if _, err := r.u8(); err != nil { // the value type, which the value descriptor repeats
			return node{}, err
		}
		return node{kind: nodeSubst, index: int(idx), optional: tok == tokOptSubst}, nil
	}
	return node{}, fmt.Errorf("%w: 0x%02x", errBadToken, tok)
}

// stringNode reads a length-prefixed UTF-16 string.
func (c *chunkReader) stringNode(r *cursor) (node, error) {
	n, err := r.u16()
	if err != nil {
		return node{}, err
	}
	s, err := r.utf16String(int(n))
	if err != nil {
		return node{}, err
	}
	return node{kind: nodeValue, val: value{kind: kindString, s: s}}, nil
}

// entity resolves the predefined XML entities; another name is kept as a
// reference.
func entity(name string) string {
	switch name {
	case "amp":
		return "&"
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "quot":
		return `"`
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}

// skipPI skips a processing instruction's target or data: events carry
// none that matter.
func skipPI(r *cursor, tok byte) error {
	if tok == tokPITarget {
		_, err := r.name()
		return err
	}
	if tok != tokPIData {
		return fmt.Errorf("%w: 0x%02x", errBadToken, tok)
	}
	n, err := r.u16()
	if err != nil {
		return err
	}
	if err := r.need(2 * int(n)); err != nil {
		return err
	}
	r.p += 2 * int(n)
	return nil
}

// parseElement reads an element after its open start token: dependency
// id (in a template definition), data size, name, attributes, then its
// content.
func (c *chunkReader) parseElement(r *cursor, hasAttrs bool, depth, nest int) (node, error) {
	if depth > maxElementDepth {
		return node{}, errTooDeep
	}
	skip := 4 // data size
	if r.inTemplate {
		skip += 2 // dependency id
	}
	if err := r.need(skip); err != nil {
		return node{}, err
	}
	r.p += skip
	name, err := r.name()
	if err != nil {
		return node{}, err
	}
	// Names count against the record's bounds as they are read, not only
	// when a template is instantiated: a record of many references to
	// one long name (10 bytes each) would otherwise expand without limit.
	if err := c.charge(1, len(name)); err != nil {
		return node{}, err
	}
	el := node{kind: nodeElement, name: name}
	if hasAttrs {
		if _, err := r.u32(); err != nil { // attribute list size
			return node{}, err
		}
		if el.attrs, err = c.parseAttributes(r); err != nil {
			return node{}, err
		}
	}
	tok, err := r.u8()
	if err != nil {
		return node{}, err
	}
	switch tok {
	case tokCloseEmpty:
		return el, nil
	case tokCloseStart:
		el.children, err = c.parseContent(r, depth, nest, true)
		return el, err
	}
	return node{}, fmt.Errorf("%w: 0x%02x after the start of <%s>", errBadToken, tok, name)
}

// parseAttributes reads attribute tokens and their values up to the token
// that closes the start element.
func (c *chunkReader) parseAttributes(r *cursor) ([]attr, error) {
	var attrs []attr
	for r.p < r.end && r.c.chunk[r.p]&^tokFlagMore == tokAttribute {
		r.p++
		name, err := r.name()
		if err != nil {
			return nil, err
		}
		if err := c.charge(1, len(name)); err != nil {
			return nil, err
		}
		a := attr{name: name}
		for r.p < r.end && isValueToken(r.c.chunk[r.p]) {
			tok := r.c.chunk[r.p]
			r.p++
			part, err := c.parseValueToken(r, tok)
			if err != nil {
				return nil, err
			}
			a.parts = append(a.parts, part)
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}

func isValueToken(tok byte) bool {
	switch tok &^ tokFlagMore {
	case tokValue, tokCDATA, tokCharRef, tokEntityRef:
		return true
	case tokSubst, tokOptSubst:
		return tok&tokFlagMore == 0
	}
	return false
}

// parseTemplateInstance reads a template instance after its token: the
// definition (inline the first time the chunk uses it, else referenced by
// offset), then the substitution values, and returns the definition
// filled with them.
func (c *chunkReader) parseTemplateInstance(r *cursor, nest int) ([]node, error) {
	if nest > maxNesting {
		return nil, errTooDeep
	}
	if err := r.need(9); err != nil {
		return nil, err
	}
	r.p += 5 // unknown byte, template id
	defOff, _ := r.u32()
	if int(defOff) == r.p { // the definition follows inline: skip it
		if err := r.need(templateHeaderSize); err != nil {
			return nil, err
		}
		size := int(le32(r.c.chunk[r.p+20:]))
		if err := r.need(templateHeaderSize + size); err != nil {
			return nil, err
		}
		r.p += templateHeaderSize + size
	}
	def, err := c.template(defOff, nest)
	if err != nil {
		return nil, err
	}
	vals, err := c.parseSubstitutions(r, nest)
	if err != nil {
		return nil, err
	}
	return c.instantiate(def.nodes, vals)
}

// templateHeaderSize: next template offset, GUID, data size.
const templateHeaderSize = 4 + 16 + 4

// template parses the definition at off, once per chunk.
func (c *chunkReader) template(off uint32, nest int) (*template, error) {
	if t, ok := c.templates[off]; ok {
		if t.busy {
			return nil, errTemplateRef
		}
		return t, t.err
	}
	start := int(off) + templateHeaderSize
	if off < chunkHeaderSize || start > len(c.chunk) {
		return nil, fmt.Errorf("evtx: template offset %d outside the chunk", off)
	}
	size := int(le32(c.chunk[off+20:]))
	if size > len(c.chunk)-start {
		return nil, fmt.Errorf("evtx: template at %d runs past the chunk", off)
	}
	t := &template{busy: true}
	c.templates[off] = t
	c.building++
	nodes, err := c.parseFragment(&cursor{c: c, p: start, end: start + size, inTemplate: true}, nest)
	c.building--
	t.nodes, t.busy = nodes, false
	if errors.Is(err, errTooLarge) {
		// The record's bounds ran out, which its other content shares:
		// the next record to use the template parses it again, on its
		// own bounds.
		delete(c.templates, off)
		return nil, fmt.Errorf("template at %d: %w", off, err)
	}
	if err != nil { // kept, so that records using it fail without parsing it again
		t.err = fmt.Errorf("template at %d: %w", off, err)
	}
	return t, t.err
}

// parseSubstitutions reads the value count, the descriptors (size, type)
// and the values.
func (c *chunkReader) parseSubstitutions(r *cursor, nest int) ([]value, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if n > maxSubsts || r.need(4*int(n)) != nil {
		return nil, fmt.Errorf("evtx: %d substitution values do not fit", n)
	}
	desc := r.p
	r.p += 4 * int(n)
	vals := make([]value, n)
	for i := range vals {
		size := int(le16(c.chunk[desc+4*i:]))
		typ := c.chunk[desc+4*i+2]
		if err := r.need(size); err != nil {
			return nil, fmt.Errorf("substitution %d: %w", i, err)
		}
		v, err := c.decodeValue(typ, r.p, size, nest)
		if err != nil {
			return nil, fmt.Errorf("substitution %d: %w", i, err)
		}
		vals[i] = v
		r.p += size
	}
	return vals, nil
}

// instantiate copies a template definition with its placeholders replaced
// by the values, dropping null ones, and counts what it builds against the
// record's bounds. The copies are carved from the record's slab.
func (c *chunkReader) instantiate(def []node, vals []value) ([]node, error) {
	size := instanceLen(def, vals)
	if size > maxNodes-c.nodes { // checked before the nodes are allocated
		return nil, errTooLarge
	}
	out := c.alloc(size)
	for _, n := range def {
		switch n.kind {
		case nodeValue:
			out = append(out, n)
			if err := c.charge(1, len(n.val.s)); err != nil {
				return nil, err
			}
		case nodeSubst:
			if n.index >= len(vals) || vals[n.index].kind == kindNull {
				continue
			}
			v := vals[n.index]
			if err := c.charge(1, v.weight); err != nil {
				return nil, err
			}
			if v.kind == kindXML {
				out = append(out, v.xml()...)
				continue
			}
			out = append(out, node{kind: nodeValue, val: v})
		case nodeElement:
			el, err := c.instantiateElement(n, vals)
			if err != nil {
				return nil, err
			}
			out = append(out, el)
		}
	}
	return out, nil
}

// instanceLen is how many nodes instantiate makes of def.
func instanceLen(def []node, vals []value) int {
	n := 0
	for i := range def {
		if def[i].kind != nodeSubst {
			n++
		} else if idx := def[i].index; idx < len(vals) {
			switch vals[idx].kind {
			case kindNull:
			case kindXML:
				n += len(vals[idx].xml())
			default:
				n++
			}
		}
	}
	return n
}

// alloc returns an empty slice of capacity n from the record's slab,
// which is reused from record to record: the nodes of a record live until
// its event is written. Template definitions, kept for the chunk, are
// never built from it.
func (c *chunkReader) alloc(n int) []node {
	if n == 0 {
		return nil
	}
	if c.building > 0 {
		return make([]node, 0, n)
	}
	if cap(c.slab)-len(c.slab) < n {
		c.slab = make([]node, 0, max(n, 4096))
	}
	start := len(c.slab)
	c.slab = c.slab[:start+n]
	return c.slab[start : start : start+n]
}

func (c *chunkReader) instantiateElement(n node, vals []value) (node, error) {
	el := node{kind: nodeElement, name: n.name}
	if err := c.charge(1, len(n.name)); err != nil {
		return node{}, err
	}
	if len(n.attrs) > 0 {
		el.attrs = make([]attr, 0, len(n.attrs))
	}
	for _, a := range n.attrs {
		parts, err := c.instantiate(a.parts, vals)
		if err != nil {
			return node{}, err
		}
		if len(parts) == 0 && len(a.parts) > 0 {
			continue // every part null: the attribute is left out
		}
		if err := c.charge(1, len(a.name)); err != nil {
			return node{}, err
		}
		el.attrs = append(el.attrs, attr{name: a.name, parts: parts})
	}
	var err error
	el.children, err = c.instantiate(n.children, vals)
	return el, err
}

// charge counts nodes and text bytes against the record's bounds.
func (c *chunkReader) charge(nodes, text int) error {
	c.nodes += nodes
	c.text += text
	if c.nodes > maxNodes || c.text > maxTextBytes {
		return errTooLarge
	}
	return nil
}
