package rules

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// This file holds the keyword scans' gram filter. A keyword scan runs its
// automaton over every string of an event, and walking the record to
// find them costs as much as scanning them. Keyword literals are few and
// long (Mimikatz's "sekurlsa::", "gentilkiwi.com": at least 9 bytes), so
// one pass over the record's bytes (see RawStrings), reading one 4-byte
// gram every stride bytes, can tell that none occurs: each literal gives
// the set the grams at stride consecutive offsets of it (a window), and
// an occurrence of the literal has a read gram at one of them. Only when
// some read gram is in the set does the scan walk the strings. Windows
// are chosen away from what every record has (".dll", "\\win").

// gramLen is the length of the grams; gramBits the size of the set;
// stride how far apart grams are read, so literals shorter than
// gramLen+stride-1 get no filter.
const (
	gramLen    = 4
	gramBits   = 16
	gramStride = 6
)

// gramFilter is the set of the grams of a keyword scan's literals, as
// hashed by gramHash.
type gramFilter struct {
	set    [1 << gramBits / 64]uint64
	stride int
}

// foldsToASCII are the UTF-8 encodings of the runes that fold to ASCII
// letters (U+0130 and U+0131 to i, U+017F to s, U+212A to k; the test
// tries every rune): where one occurs, the folded text has a letter the
// bytes do not, and the filter cannot tell. Looking for the encodings,
// not their first bytes, lets records with other text in those blocks
// ("–", "™", Polish and Turkish letters) be ruled out.
// They are in order, so those with the same first byte are adjacent.
var foldsToASCII = [][]byte{[]byte("\u0130"), []byte("\u0131"), []byte("\u017f"), []byte("\u212a")}

// scalarText holds the bytes the text of a number or boolean is made of
// (strconv's integers and floats, NaN, +Inf, true, false), folded.
const scalarText = "0123456789+-.eainflrstu"

// newGramFilter returns the filter of lits, or nil when some literal is
// too short for the stride, is not ASCII, or is made only of bytes a
// number's or boolean's text can have (those are not in RawStrings).
func newGramFilter(lits []valueLit) *gramFilter {
	if len(lits) == 0 {
		return nil
	}
	f := &gramFilter{stride: gramStride}
	for _, l := range lits {
		lit := []byte(l.lit)
		if len(lit) < gramLen+gramStride-1 || !isASCII(lit) || onlyOf(lit, scalarText) {
			return nil
		}
		at := rareWindow(lit)
		for j := at; j < at+gramStride; j++ {
			h1, h2 := gramHash(lit[j:])
			f.set[h1/64] |= 1 << (h1 % 64)
			f.set[h2/64] |= 1 << (h2 % 64)
		}
	}
	return f
}

// rareWindow returns the offset of the window of lit whose grams and
// bytes are the least common in event text (see commonText, textWeight).
func rareWindow(lit []byte) int {
	span := gramLen + gramStride - 1
	best, bestWeight := 0, -1
	for at := 0; at+span <= len(lit); at++ {
		w := 0
		for _, c := range lit[at : at+span] {
			w += textWeight(c)
		}
		for j := at; j < at+gramStride; j++ {
			if strings.Contains(commonText, string(lit[j:j+gramLen])) {
				w += 100
			}
		}
		if bestWeight < 0 || w < bestWeight {
			best, bestWeight = at, w
		}
	}
	return best
}

// onlyOf reports whether every byte of b is in set.
func onlyOf(b []byte, set string) bool {
	for _, c := range b {
		if !bytes.ContainsRune([]byte(set), rune(c)) {
			return false
		}
	}
	return true
}

// gramHash hashes the 4 bytes at b, each with bit 0x20 set: ASCII
// letters of either case read alike (as folded text does), and so may a
// few other bytes, which only makes the filter pass more often. The set
// is a Bloom filter: a gram is in it when both its bits, the hash's two
// halves, are set.
func gramHash(b []byte) (h1, h2 uint32) {
	g := uint64(binary.LittleEndian.Uint32(b) | 0x20202020)
	h := g * 0x9e3779b97f4a7c15
	return uint32(h >> (64 - gramBits)), uint32(h>>(64-2*gramBits)) & (1<<gramBits - 1)
}

// has reports whether the gram at b may be in the set.
func (f *gramFilter) has(b []byte) bool {
	h1, h2 := gramHash(b)
	return f.set[h1/64]&(1<<(h1%64)) != 0 && f.set[h2/64]&(1<<(h2%64)) != 0
}

// foldsToLetter reports whether raw holds a rune of foldsToASCII. Their
// first bytes are looked for first (one pass each: two runes share one),
// as the filter did before it told the runes apart.
func foldsToLetter(raw []byte) bool {
	for i, enc := range foldsToASCII {
		if i > 0 && foldsToASCII[i-1][0] == enc[0] {
			continue // that first byte was looked for
		}
		at := bytes.IndexByte(raw, enc[0])
		if at < 0 {
			continue
		}
		for _, e := range foldsToASCII[i:] {
			if e[0] == enc[0] && bytes.Contains(raw[at:], e) {
				return true
			}
		}
	}
	return false
}

// mayHold reports whether some literal of the filter may occur, folded,
// in a string in raw: false when none can.
func (f *gramFilter) mayHold(raw []byte) bool {
	if foldsToLetter(raw) {
		return true
	}
	return f.anyGram(raw)
}

// anyGram reports whether a gram read every stride bytes of raw may be
// in the set. Four grams' first bits are read at a time and tested
// together: their loads do not depend on each other, so they overlap, and
// nearly all are clear, so the test rarely branches to has.
func (f *gramFilter) anyGram(raw []byte) bool {
	j, step := 0, f.stride
	for ; j+3*step+gramLen <= len(raw); j += 4 * step {
		if f.firstBit(raw[j:j+gramLen])|f.firstBit(raw[j+step:j+step+gramLen])|
			f.firstBit(raw[j+2*step:j+2*step+gramLen])|f.firstBit(raw[j+3*step:j+3*step+gramLen]) == 0 {
			continue
		}
		for k := j; k <= j+3*step; k += step {
			if f.has(raw[k:]) {
				return true
			}
		}
	}
	for ; j+gramLen <= len(raw); j += step {
		if f.has(raw[j:]) {
			return true
		}
	}
	return false
}

// firstBit returns the first of the gram's two bits in the set, 0 or 1.
func (f *gramFilter) firstBit(b []byte) uint64 {
	h1, _ := gramHash(b)
	return f.set[h1/64] >> (h1 % 64) & 1
}

// commonText is folded text nearly every Windows record has, in its field
// names or values: a window with a gram of it would make the filter pass
// on nearly every record.
const commonText = `eventid eventtime eventdata eventrecordid hostname channel provider ` +
	`processid processguid image imageloaded commandline parentimage currentdirectory ` +
	`targetfilename targetobject details hashes sha1= md5= sha256= imphash= signature signed ` +
	`description company product originalfilename fileversion user integritylevel ` +
	`microsoft corporation windows sysmon/operational security ` +
	`c:\\windows\\system32\\ c:\\program files (x86)\\ c:\\users\\ appdata\\local ` +
	`.dll .exe .sys .com .txt .log .tmp .ps1`

// textWeight is a rough measure of how common c is in event text (paths,
// command lines, hashes, field names): separators, vowels and digits
// most, rare letters and other punctuation least.
func textWeight(c byte) int {
	switch {
	case bytes.IndexByte([]byte(`\\. -_`), c) >= 0:
		return 4
	case bytes.IndexByte([]byte("aeiou0123456789"), c) >= 0:
		return 3
	case bytes.IndexByte([]byte("bcdfghlmnprst"), c) >= 0:
		return 2
	case bytes.IndexByte([]byte("jkqvwxyz"), c) >= 0:
		return 1
	}
	return 0
}
