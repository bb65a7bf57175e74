package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// Binary XML tokens (MS-EVEN6 2.2.12). The 0x40 bit of the element,
// value, attribute, CDATA and reference tokens is a flag: "has attributes"
// on an element, "more attributes follow" on an attribute.
const (
	tokEOF         = 0x00
	tokOpenStart   = 0x01
	tokCloseStart  = 0x02
	tokCloseEmpty  = 0x03
	tokEnd         = 0x04
	tokValue       = 0x05
	tokAttribute   = 0x06
	tokCDATA       = 0x07
	tokCharRef     = 0x08
	tokEntityRef   = 0x09
	tokPITarget    = 0x0a
	tokPIData      = 0x0b
	tokTemplate    = 0x0c
	tokSubst       = 0x0d
	tokOptSubst    = 0x0e
	tokFragment    = 0x0f
	tokFlagMore    = 0x40
	tokenKindMask  = 0x0f
	tokenFlagsMask = 0xf0
)

// Bounds on what one record may expand to. Real events are a few levels
// deep with tens of values; the bounds are far above that and far below
// what would hurt.
const (
	maxElementDepth = 32      // element nesting
	maxNesting      = 8       // templates and binary XML values within each other
	maxSubsts       = 4096    // substitution values of one template instance
	maxNodes        = 1 << 14 // nodes one record expands to
	maxTextBytes    = 1 << 20 // text one record expands to
)

var (
	errShort       = errors.New("evtx: binary XML runs past its data")
	errBadToken    = errors.New("evtx: unexpected binary XML token")
	errTooDeep     = errors.New("evtx: binary XML nested too deep")
	errTooLarge    = errors.New("evtx: record expands beyond the size limit")
	errTemplateRef = errors.New("evtx: template refers to itself")
)

// nodeKind tells the nodes of a parsed fragment apart.
type nodeKind uint8

const (
	nodeElement nodeKind = iota
	nodeValue            // text, CDATA, references and substituted values
	nodeSubst            // a substitution placeholder in a template definition
)

// node is an element, a value or, in a template definition, a
// substitution placeholder.
type node struct {
	kind     nodeKind
	name     string // element
	attrs    []attr // element
	children []node // element
	val      value  // nodeValue
	index    int    // nodeSubst
	optional bool   // nodeSubst: dropped when its value is null
}

type attr struct {
	name  string
	parts []node // values and substitutions
}

// template is a template definition parsed once per chunk.
type template struct {
	nodes []node
	busy  bool  // being parsed: a reference to it now is a loop
	err   error // why it cannot be parsed
}

// chunkReader parses the binary XML of one chunk. Offsets are relative to
// the chunk, as names and templates are referenced by chunk offset.
type chunkReader struct {
	chunk     []byte
	names     map[uint32]string
	templates map[uint32]*template
	nodes     int // expanded in the current record
	text      int
	slab      []node // the current record's nodes; see alloc
	// building is set while a template definition is parsed, so that
	// what it instantiates (a definition holding an instance) is not
	// carved from the slab it outlives.
	building int
}

func newChunkReader() *chunkReader {
	return &chunkReader{names: map[uint32]string{}, templates: map[uint32]*template{}}
}

// reset starts a new chunk: names and templates are per chunk.
func (c *chunkReader) reset(chunk []byte) {
	c.chunk = chunk
	clear(c.names)
	clear(c.templates)
}

// cursor reads the bytes [p, end) of the chunk.
type cursor struct {
	c   *chunkReader
	p   int
	end int
	// inTemplate: the bytes are a template definition, whose element
	// starts carry a dependency id that those of records and of binary
	// XML values lack.
	inTemplate bool
}

func (r *cursor) need(n int) error {
	if n < 0 || r.end-r.p < n {
		return errShort
	}
	return nil
}

func (r *cursor) u8() (byte, error) {
	if err := r.need(1); err != nil {
		return 0, err
	}
	r.p++
	return r.c.chunk[r.p-1], nil
}

func (r *cursor) u16() (uint16, error) {
	if err := r.need(2); err != nil {
		return 0, err
	}
	r.p += 2
	return binary.LittleEndian.Uint16(r.c.chunk[r.p-2:]), nil
}

func (r *cursor) u32() (uint32, error) {
	if err := r.need(4); err != nil {
		return 0, err
	}
	r.p += 4
	return binary.LittleEndian.Uint32(r.c.chunk[r.p-4:]), nil
}

// utf16String reads n UTF-16 code units.
func (r *cursor) utf16String(n int) (string, error) {
	if err := r.need(2 * n); err != nil {
		return "", err
	}
	s := decodeUTF16(r.c.chunk[r.p : r.p+2*n])
	r.p += 2 * n
	return s, nil
}

// decodeUTF16 decodes little-endian UTF-16, dropping trailing NULs.
func decodeUTF16(b []byte) string {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	ascii := true
	for i := 0; i < n; i++ {
		if b[2*i+1] != 0 || b[2*i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii { // the common case, without a []uint16
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = b[2*i]
		}
		return string(buf)
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// name reads a name reference: the chunk offset of the name, whose
// structure (next offset, hash, length, UTF-16, NUL) follows inline when
// the offset is where the reader stands.
func (r *cursor) name() (string, error) {
	off, err := r.u32()
	if err != nil {
		return "", err
	}
	if int(off) == r.p {
		_, n, err := r.c.readName(off)
		if err != nil {
			return "", err
		}
		r.p += n
	}
	s, _, err := r.c.readName(off)
	return s, err
}

// readName reads the name structure at off, returning it and its size.
func (c *chunkReader) readName(off uint32) (string, int, error) {
	if s, ok := c.names[off]; ok {
		return s, 10 + 2*len(s), nil // only for ASCII names is the size needed again; see below
	}
	r := cursor{c: c, p: int(off), end: len(c.chunk)}
	if off < chunkHeaderSize {
		return "", 0, fmt.Errorf("evtx: name offset %d inside the chunk header", off)
	}
	if err := r.need(8); err != nil {
		return "", 0, err
	}
	r.p += 6 // next name offset, hash
	n, _ := r.u16()
	s, err := r.utf16String(int(n))
	if err != nil {
		return "", 0, err
	}
	if _, err := r.u16(); err != nil { // NUL
		return "", 0, err
	}
	if len(s) == int(n) { // size is recomputable from an ASCII name: cache it
		c.names[off] = s
	}
	return s, r.p - int(off), nil
}
