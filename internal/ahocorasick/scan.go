package ahocorasick

// Scan appends to hits the id of every pattern that occurs in the
// case-folded text, once per occurrence, and returns the extended slice.
// The ids come in the order the occurrences end (patterns ending at one
// position: the longest first), except from a text walked in segments
// (split.go), whose segments' ids interleave. ASCII text is scanned as it
// is; text with other bytes is folded into *scratch first, which the
// caller may reuse across calls (one per goroutine).
func (a *Automaton) Scan(text []byte, hits []int32, scratch *[]byte) []int32 {
	if IsASCII(text) {
		return a.ScanFolded(text, hits)
	}
	*scratch = a.fold((*scratch)[:0], text)
	return a.ScanFolded(*scratch, hits)
}

// ScanFolded is Scan for a text that is ASCII (its letters read as their
// lower case through the classes), or folded already with the automaton's
// fold (to share one folding among several scans of a value that is not
// ASCII): it is scanned as it is, whatever its bytes (those >= 0x80 share
// a class). A text of minSplit bytes or more is walked in
// segments, from shortly before its first rare pair when the automaton
// has them (rare.go).
func (a *Automaton) ScanFolded(text []byte, hits []int32) []int32 {
	if len(text) < minSplit {
		return a.walk(text, hits)
	}
	if a.rare != nil {
		at := a.nextRare(text, 0)
		if at == len(text) {
			return hits
		}
		if text = text[max(0, at-a.rareLead):]; len(text) < minSplit {
			return a.walk(text, hits)
		}
	}
	return a.scanSplit(text, hits)
}

// walk is the scans' one walk over a short text. At the root it skips
// the positions where no pattern can begin.
func (a *Automaton) walk(text []byte, hits []int32) []int32 {
	// The automaton's fields are read into locals once: the loop runs per
	// byte, and appends to hits would otherwise make the compiler reload
	// them.
	dense, ndense, nclass, class, stay := a.dense, a.ndense, int32(a.nclass), &a.class, &a.rootStay
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
		s = step(a, dense, ndense, nclass, s, int32(class[text[i]]))
		s, hits = a.emitFlagged(s, hits)
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
	return a.pairs.has(a.class[b0], a.class[b1])
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

// emitFlagged returns state s without its outFlag, having appended the
// patterns that end there when the flag was set.
func (a *Automaton) emitFlagged(s int32, hits []int32) (int32, []int32) {
	if s&outFlag == 0 {
		return s, hits
	}
	s &^= outFlag
	return s, a.emit(s, hits)
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
