package ahocorasick

import "unsafe"

// Fold appends the case-folded form of src to dst. It must map 'A'-'Z' to
// 'a'-'z' and leave every other ASCII byte as it is: the automaton reads
// ASCII text without calling it.
type Fold func(dst, src []byte) []byte

// Automaton is an Aho-Corasick automaton over case-folded bytes, built by
// New. It is immutable and safe for concurrent use.
type Automaton struct {
	fold   Fold
	class  [256]uint8 // byte -> class; see the package comment
	nclass int
	ndense int32 // states 0..ndense-1 have dense rows, row == id
	// dense holds the rows of the dense states: dense[s*nclass+c] is the
	// state after reading class c in state s, flagged with outFlag.
	dense []int32
	// edgeCls and edgeTo hold the children of the sparse states, sorted
	// by class; st[s].edgeLo:edgeHi delimits those of s.
	edgeCls []uint8
	edgeTo  []int32
	st      []state
	// rootStay: ASCII bytes on which the root goes back to the root.
	rootStay [256]bool
	// pairs: the pairs of classes with which some pattern may begin
	// (classPairs).
	pairs classPairs
	// rare: the rarest pair of each pattern; no pattern begins more than
	// rareLead bytes before the next such pair (see rare.go). nil when
	// some pattern is one byte long, or when the pairs are too common to
	// skip by.
	rare     *rarePairs
	rareLead int
	// depth: each state's depth in the trie, the length of the text it
	// stands for (and of the pattern ending there, if one does).
	depth []int32
	// canon maps each pattern to the id the scan reports for it: its own,
	// or that of an earlier pattern with the same class string.
	canon []int32
}

// state packs what a scan reads of one state into one record.
type state struct {
	edgeLo, edgeHi int32 // sparse children: edgeCls/edgeTo[edgeLo:edgeHi]
	fail           int32
	term           int32 // pattern id ending here, or -1
	dict           int32 // nearest state on the failure chain with term >= 0, or -1
}

// outFlag marks, in a transition target, a state where patterns end.
const outFlag = 1 << 30

// denseDepth: states at this depth or less get dense rows. Literals of 8
// bytes and more, which the rules package leaves to the automaton unless a
// field has many of 16 bytes and more (those it samples), walk deep: a
// fourth dense level made the SigmaHQ benchmarks 1 to 3% faster for about
// 1 MiB.
const denseDepth = 4

// Canonical returns, for each pattern i, the id Scan reports for it: i
// itself, or the id of the first pattern that reads alike (the same folded
// text, or the same up to bytes >= 0x80). The slice is the automaton's
// own; the caller must not modify it.
func (a *Automaton) Canonical() []int32 { return a.canon }

// Bytes returns the memory the automaton's tables take, for reporting.
func (a *Automaton) Bytes() int {
	n := int(unsafe.Sizeof(state{}))*len(a.st) + 4*(len(a.depth)+len(a.dense)+len(a.edgeTo)) + len(a.edgeCls) + a.pairs.bytes()
	if a.rare != nil {
		n += len(a.rare.first) + a.rare.pairs.bytes()
	}
	return n
}

// classPairs is a set of pairs of classes, a bit per pair. A pair of
// bytes is looked up by its classes: a small automaton's set is a cache
// line or two where a bit per pair of bytes took 8 KiB, of which a text
// reads a line per first byte. Every byte of a class reads alike, so the
// set holds the same pairs of bytes.
type classPairs struct {
	bits   []uint64
	nclass int
}

func newClassPairs(nclass int) classPairs {
	return classPairs{bits: make([]uint64, (nclass*nclass+63)/64), nclass: nclass}
}

func (p *classPairs) set(c0, c1 uint8) {
	i := int(c0)*p.nclass + int(c1)
	p.bits[i/64] |= 1 << (i % 64)
}

func (p *classPairs) has(c0, c1 uint8) bool {
	i := int(c0)*p.nclass + int(c1)
	return p.bits[i/64]&(1<<(i%64)) != 0
}

func (p *classPairs) bytes() int { return 8 * len(p.bits) }
