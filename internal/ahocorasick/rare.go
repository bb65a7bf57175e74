package ahocorasick

// The rare-pair skip. At the root, the scan skips the positions where no
// pattern can begin (pairs), but patterns begin with common letters
// ("in", "se", "pr"), so in real text the root rarely skips far. Every
// pattern of two bytes or more also contains some pair that is rare in
// text ("::" of "sekurlsa::"): if none of the patterns' rarest pairs
// occurs from a position on, no pattern occurs from there, and if the
// next one is at q, no pattern begins before q-lead, lead being the
// farthest any pattern's rarest pair lies from its start. A short text is
// walked skipping to each next rare pair (walk); a long one is walked in
// segments from its first (ScanFolded).

// byteWeight estimates how often each folded ASCII byte occurs in event
// text (Windows paths, command lines, hashes, GUIDs, English words), in
// arbitrary units: only the order of pairs by weight matters.
var byteWeight = func() (w [256]float64) {
	for i := range w {
		w[i] = 0.1 // other punctuation, control bytes and bytes >= 0x80
	}
	// English letter frequencies, in percent.
	for i, f := range []float64{8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.8, 4.0, 2.4,
		6.7, 7.5, 1.9, 0.1, 6.0, 6.3, 9.1, 2.8, 1.0, 2.4, 0.15, 2.0, 0.07} {
		w['a'+i] = f
	}
	// Hashes and GUIDs make hex digits common.
	for c := '0'; c <= '9'; c++ {
		w[c] = 3
	}
	for c := 'a'; c <= 'f'; c++ {
		w[c] += 2
	}
	for c, f := range map[byte]float64{' ': 8, '\\': 5, '.': 3, '-': 1.5, '_': 0.8, ':': 0.6, '/': 0.6,
		'"': 0.5, '=': 0.4, ',': 0.4, '{': 0.2, '}': 0.2, '(': 0.1, ')': 0.1} {
		w[c] = f
	}
	for c := 'A'; c <= 'Z'; c++ {
		w[c] = w[c+'a'-'A']
	}
	return w
}()

// buildRare sets the rare-pair skip up: for each pattern the pair with
// the least weight, in every pair of bytes that reads like it (bytes
// >= 0x80 share one class). With a one-byte pattern there is no pair to
// require, and no skip.
func (a *Automaton) buildRare(lits []string) {
	r := &rarePairs{first: make([]bool, a.nclass), pairs: newClassPairs(a.nclass)}
	lead := 0
	for _, l := range lits {
		switch {
		case len(l) == 0:
			continue
		case len(l) == 1:
			return
		}
		best := 0
		for j := 1; j+1 < len(l); j++ {
			if byteWeight[l[j]]*byteWeight[l[j+1]] < byteWeight[l[best]]*byteWeight[l[best+1]] {
				best = j
			}
		}
		lead = max(lead, best)
		r.set(a.class[l[best]], a.class[l[best+1]])
	}
	if text := 1 / r.density(&a.class); text < rareGap*float64(lead) {
		// Rare pairs this common (the hundreds or thousands of
		// command-line fragments of a large rule set) skip nothing.
		return
	}
	a.rare, a.rareLead = r, lead
}

// rareGap: the skip is kept when the rare pairs lie, in text as
// byteWeight models it, at least this many times rareLead apart on
// average.
const rareGap = 2

// density estimates how often a rare pair begins at a position of
// ASCII text, with byteWeight as each byte's frequency.
func (r *rarePairs) density(class *[256]uint8) float64 {
	total := 0.0
	for b := range 0x80 {
		total += byteWeight[b]
	}
	d := 0.0
	for b0 := range 0x80 {
		for b1 := range 0x80 {
			if r.pairs.has(class[b0], class[b1]) {
				d += byteWeight[b0] / total * byteWeight[b1] / total
			}
		}
	}
	return d
}

// rarePairs is the set of rare pairs of classes, with the classes they
// begin with for a quick first test.
type rarePairs struct {
	first []bool // by class
	pairs classPairs
}

func (r *rarePairs) set(c0, c1 uint8) {
	r.first[c0] = true
	r.pairs.set(c0, c1)
}

// nextRare returns the first position p >= i with a rare pair at
// text[p:p+2], or len(text) when there is none.
func (a *Automaton) nextRare(text []byte, i int) int {
	r, class := a.rare, &a.class
	for ; i+1 < len(text); i++ {
		c0 := class[text[i]]
		if !r.first[c0] {
			continue
		}
		if r.pairs.has(c0, class[text[i+1]]) {
			return i
		}
	}
	return len(text)
}
