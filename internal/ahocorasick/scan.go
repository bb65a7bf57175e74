package ahocorasick

// Scan appends to hits the id of every pattern that occurs in the
// case-folded text, once per occurrence, and returns the extended slice.
// The ids come in the order the occurrences end (patterns ending at one
// position: the longest first), except from a long text that scanTwo
// walks, whose two halves' ids interleave. ASCII text is scanned as it
// is; text with other bytes is folded into *scratch first, which the
// caller may reuse across calls (one per goroutine).
func (a *Automaton) Scan(text []byte, hits []int32, scratch *[]byte) []int32 {
	if a.twoWalks && len(text) >= minTwoWalks*a.maxLen && IsASCII(text) {
		return a.scanTwo(text, hits)
	}
	return a.walk(text, hits, scratch)
}

// ScanASCII is Scan for a text the caller knows holds no byte >= 0x80,
// so it is not checked again before a long one is walked in two.
func (a *Automaton) ScanASCII(text []byte, hits []int32) []int32 {
	if a.twoWalks && len(text) >= minTwoWalks*a.maxLen {
		return a.scanTwo(text, hits)
	}
	return a.walk(text, hits, nil)
}

// ScanFolded is Scan for a text the caller has folded already with the
// automaton's fold (to share one folding among several scans of a value
// that is not ASCII): it is scanned as it is, whatever its bytes.
func (a *Automaton) ScanFolded(text []byte, hits []int32) []int32 {
	return a.walk(text, hits, nil)
}

// walk is Scan's one walk over the text; with scratch nil the text is
// folded already and its bytes >= 0x80 are stepped through (they share a
// class) instead of folding it.
func (a *Automaton) walk(text []byte, hits []int32, scratch *[]byte) []int32 {
	// The automaton's fields are read into locals once: the loop runs per
	// byte, and appends to hits would otherwise make the compiler reload
	// them.
	dense, ndense, nclass, class, stay := a.dense, a.ndense, int32(a.nclass), &a.class, &a.rootStay
	start := len(hits)
	s := int32(0)
	rareAt := -1 // the next rare pair at or after i, when >= i
	for i := 0; i < len(text); i++ {
		if s == 0 && a.rare != nil {
			// At the root, no pattern begins before the next rare pair's
			// position less rareLead, nor at all without one.
			if rareAt < i {
				if rareAt = a.nextRare(text, i); rareAt == len(text) {
					break
				}
			}
			i = max(i, rareAt-a.rareLead)
		}
		if s == 0 {
			// At the root, skip the positions where no pattern can start:
			// by the next two bytes while there are two, then by one.
			for i+1 < len(text) && !a.startPair(text[i], text[i+1]) {
				i++
			}
			for i < len(text) && stay[text[i]] {
				i++
			}
			if i == len(text) {
				break
			}
		}
		b := text[i]
		if b >= 0x80 && scratch != nil {
			// Folding may change bytes (and lengths): start over on the
			// folded text.
			*scratch = a.fold((*scratch)[:0], text)
			return a.walk(*scratch, hits[:start], nil)
		}
		s = step(a, dense, ndense, nclass, s, int32(class[b]))
		if s&outFlag != 0 {
			s &^= outFlag
			hits = a.emit(s, hits)
		}
	}
	return hits
}

// minTwoWalks: scanTwo takes texts of at least this many times the
// longest pattern, so the second walk's overlap with the first (the
// longest pattern less a byte) stays small against the half it saves.
const minTwoWalks = 4

// scanTwo is Scan for a long ASCII text: it walks the text's two halves
// at once. Each step of a walk depends on the one before, and with
// thousands of patterns each is a load from tables larger than the cache,
// so one walk waits on memory at every byte; two independent walks wait
// together. The second starts from the root maxLen-1 bytes before the
// middle, so it sees every occurrence that ends in the second half whole,
// and reports only those; the first reports those ending before. It
// takes texts of at least 2*maxLen bytes, so the second walk is past the
// middle once the first has ended.
func (a *Automaton) scanTwo(text []byte, hits []int32) []int32 {
	dense, ndense, nclass, class := a.dense, a.ndense, int32(a.nclass), &a.class
	mid := len(text) / 2
	j := mid - (a.maxLen - 1)
	s, t := int32(0), int32(0)
	for i := 0; i < mid; i, j = i+1, j+1 {
		s = step(a, dense, ndense, nclass, s, int32(class[text[i]]))
		t = step(a, dense, ndense, nclass, t, int32(class[text[j]]))
		if s&outFlag != 0 {
			s &^= outFlag
			hits = a.emit(s, hits)
		}
		if t&outFlag != 0 {
			t &^= outFlag
			if j >= mid {
				hits = a.emit(t, hits)
			}
		}
	}
	for ; j < len(text); j++ {
		t = step(a, dense, ndense, nclass, t, int32(class[text[j]]))
		if t&outFlag != 0 {
			t &^= outFlag
			hits = a.emit(t, hits)
		}
	}
	return hits
}

// step returns the state after reading class c in state s, flagged with
// outFlag: a dense row's entry, else next. The scans pass the automaton's
// fields as the locals they keep them in.
func step(a *Automaton, dense []int32, ndense, nclass, s, c int32) int32 {
	if s < ndense {
		return dense[s*nclass+c]
	}
	return a.next(s, uint8(c))
}

func (a *Automaton) startPair(b0, b1 byte) bool {
	p := int(b0)<<8 | int(b1)
	return a.pairs[p/64]&(1<<(p%64)) != 0
}

// next returns the state after reading class c in state s, flagged with
// outFlag when patterns end there.
func (a *Automaton) next(s int32, c uint8) int32 {
	for {
		if s < a.ndense {
			return a.dense[int(s)*a.nclass+int(c)]
		}
		st := &a.st[s]
		for i := st.edgeLo; i < st.edgeHi; i++ {
			if a.edgeCls[i] == c {
				return a.edgeTo[i]
			}
		}
		s = st.fail
	}
}

// emit appends the patterns that end in state s.
func (a *Automaton) emit(s int32, hits []int32) []int32 {
	for s > 0 {
		st := &a.st[s]
		if st.term >= 0 {
			hits = append(hits, st.term)
		}
		s = st.dict
	}
	return hits
}
