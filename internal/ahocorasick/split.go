package ahocorasick

// Walking a text in segments. With thousands of patterns every step of a
// walk is a load from tables larger than the cache, and each step needs
// the state the one before it loaded: one walk over a text waits on
// memory at every byte. Cut into segments walked at once from the root,
// the text makes independent walks whose loads overlap.
//
// A segment's walk reports the occurrences that begin in its segment.
// Inside the segment it reports what any walk reports, since it started
// at the segment's start. Past the segment's end it reads on only while
// its state still reaches back before that end (the state's depth is the
// length of the text it stands for), reporting only occurrences longer
// than what it has read past the end. An occurrence that begins in the
// segment is, at every byte it covers, a prefix of a pattern that began
// in the segment, so the state reaches back at least to its start until
// it ends: the walk is still going when it does. Every occurrence begins
// in exactly one segment, so each is reported once, and the reading on
// past the end stops within the longest pattern's length, usually within
// a few bytes.

// minSplit: texts this long and longer are walked in four segments. On
// the command lines of SigmaHQ's regression events (80 bytes on average)
// against the 7,000 command-line literals of the whole rule set, that
// took 44% less time than the scan before it (one walk, or two halves
// for a text four times the longest literal) with the tables in cache,
// and 30% less with 1 MiB of other memory read between values. Two
// segments for the shorter texts, or four only from 24 or 32 bytes on,
// measured the same.
const minSplit = 16

// scanSplit is Scan for a text of minSplit bytes or more: it walks four
// equal segments at once, the last one taking the remainder of the
// division, then reads each walk but the last on past its segment
// (readOn). The four states are locals, not an array, so they stay in
// registers.
func (a *Automaton) scanSplit(text []byte, hits []int32) []int32 {
	dense, ndense, nclass, class := a.dense, a.ndense, int32(a.nclass), &a.class
	size := segmentSize(len(text))
	seg1, seg2, seg3 := text[size:2*size], text[2*size:3*size], text[3*size:]
	var s0, s1, s2, s3 int32
	for i, b := range text[:size] {
		s0 = step(a, dense, ndense, nclass, s0, int32(class[b]))
		s1 = step(a, dense, ndense, nclass, s1, int32(class[seg1[i]]))
		s2 = step(a, dense, ndense, nclass, s2, int32(class[seg2[i]]))
		s3 = step(a, dense, ndense, nclass, s3, int32(class[seg3[i]]))
		if (s0|s1|s2|s3)&outFlag != 0 {
			s0, hits = a.emitFlagged(s0, hits)
			s1, hits = a.emitFlagged(s1, hits)
			s2, hits = a.emitFlagged(s2, hits)
			s3, hits = a.emitFlagged(s3, hits)
		}
	}
	for _, b := range seg3[size:] {
		s3 = step(a, dense, ndense, nclass, s3, int32(class[b]))
		s3, hits = a.emitFlagged(s3, hits)
	}
	hits = a.readOn(text, size, s0, hits)
	hits = a.readOn(text, 2*size, s1, hits)
	return a.readOn(text, 3*size, s2, hits)
}

// segmentSize is the length of each of scanSplit's segments of a text of
// n bytes but the last, which takes the remainder as well.
func segmentSize(n int) int { return n / 4 }

// readOn continues a walk, in state s, past the end of its segment: while
// the state reaches back before end, it reads on and reports the
// occurrences that began before end.
func (a *Automaton) readOn(text []byte, end int, s int32, hits []int32) []int32 {
	dense, ndense, nclass, class := a.dense, a.ndense, int32(a.nclass), &a.class
	for i := end; i < len(text) && int(a.depth[s]) > i-end; i++ {
		s = step(a, dense, ndense, nclass, s, int32(class[text[i]]))
		if s&outFlag != 0 {
			s &^= outFlag
			hits = a.emitLonger(s, int32(i+1-end), hits)
		}
	}
	return hits
}

// emitLonger appends the patterns that end in state s and are longer than
// past bytes. The states on the chain from s are ever shallower, so the
// first that is not longer ends it.
func (a *Automaton) emitLonger(s, past int32, hits []int32) []int32 {
	for s > 0 && a.depth[s] > past {
		st := &a.st[s]
		if st.term >= 0 {
			hits = append(hits, st.term)
		}
		s = st.dict
	}
	return hits
}
