package rules

import "slices"

// Vetoes: what rules out a rule without a full evaluation. A rule whose
// condition requires no literal (all of it under "not", a fieldref, a
// regular expression without one) is evaluated on every event of its
// logsource, but many such rules are "not A and not 1 of filter_*", where
// A and the filters are plain values: finding one of those values in its
// field rules the rule out. SigmaHQ's "Execution of Suspicious File Type
// Extension" requires that Image not end with ".exe": the Image scan,
// which runs anyway, finds that and spares the evaluation on nearly every
// process creation.
//
// A veto is a literal whose finding decides its pattern (see
// decisiveNeed) and, through the condition, the rule: a pattern of a
// field that is alone in its selection map makes the selection hold; one
// of "1 of" makes it hold; a search under "not", a term of "and", fails
// the rule. Only a field's one value, read by scanOne, vetoes: scanOne
// notes each literal it finds (litSeen), and a rule about to be evaluated
// is skipped when one of its vetoes was noted this event (Set.vetoed).
//
// A rule with clauses gets only the vetoes that cost no scan (see
// addFreeVetoes): its candidates that fail by a filter ("selection and not
// filter") are the evaluations most events of a match-heavy stream pay.

// scannedVetoes returns those of a rule's vetoes (ruleVetoes) worth
// adding to the scans: not a contains value of one or two bytes, which nearly
// every value holds, as clauses of such literals are dropped when their
// rule has a stronger one (weakStrength). One of two bytes would make the
// field's automaton stop at nearly every byte; one of one byte (Image's
// "\") would have every value of the field walked for it, which costs
// every kind of event reading the field more than the one rule's
// evaluation it spares: those that are not letters are byteVetoes.
func scannedVetoes(vetoes []need) []need {
	return slices.DeleteFunc(slices.Clone(vetoes), func(v need) bool {
		return v.at == anywhere && len(v.lit) <= weakStrength
	})
}

// byteVeto is a veto of one byte that is not a letter (Image's "\"):
// rather than have every value of its field walked for it by the scans,
// it is looked for in the field's value when its rule is about to be
// evaluated, one IndexByte. Folding cannot make or unmake such a byte.
type byteVeto struct {
	slot int
	b    byte
}

// byteVetoes returns those of a rule's vetoes (ruleVetoes) that are
// byteVetoes.
func byteVetoes(vetoes []need) []byteVeto {
	var out []byteVeto
	for _, v := range vetoes {
		if c := v.lit; v.at == anywhere && len(c) == 1 && !('a' <= c[0] && c[0] <= 'z') {
			out = append(out, byteVeto{v.slot, c[0]})
		}
	}
	return out
}

// ruleVetoes returns the needs whose finding makes n false.
func ruleVetoes(n node) []need {
	switch n := n.(type) {
	case andNode:
		var all []need
		for _, c := range n {
			all = append(all, ruleVetoes(c)...)
		}
		return all
	case notNode:
		return sufficient(n.n)
	default:
		return nil
	}
}

// sufficient returns the needs whose finding makes n true.
func sufficient(n node) []need {
	switch n := n.(type) {
	case orNode:
		var needs []need
		for _, c := range n {
			needs = append(needs, sufficient(c)...)
		}
		return needs
	case notNode:
		return ruleVetoes(n.n)
	case *searchNode:
		var needs []need
		for _, all := range n.alternatives {
			if len(all) == 1 {
				needs = append(needs, all[0].sufficient()...)
			}
		}
		return needs
	default:
		return nil
	}
}

// sufficient returns the needs whose finding in the field's one value
// makes the field matcher hold: each pattern's, when any pattern makes
// the test hold and the pattern is decided by its literal.
func (f *fieldMatcher) sufficient() []need {
	t, ok := f.test.(*patternTest)
	if !ok || f.slot < 0 || t.all && len(t.patterns) > 1 {
		return nil
	}
	var needs []need
	for i := range t.patterns {
		if n, ok := t.patterns[i].decisiveNeed(f.slot); ok {
			needs = append(needs, n)
		}
	}
	return needs
}

// decisiveNeed returns the need of slot whose finding decides that p
// matches: its whole literal, ASCII, folded as the scans fold, anchored
// as p is. The anchored lookup compares the value's folded ends with the
// literal and the automaton reports ASCII literals exactly, so the scan
// finds the need exactly when p matches. Globs and cased patterns have
// none.
func (p *pattern) decisiveNeed(slot int) (need, bool) {
	if p.cased || !p.asciiLit || len(p.lit) == 0 || len(p.lit) > maxNeedLen {
		return need{}, false
	}
	at := anywhere
	switch p.kind {
	case exactPattern:
		at = whole
	case prefixPattern:
		at = atStart
	case suffixPattern:
		at = atEnd
	case containsPattern:
	default:
		return need{}, false
	}
	return need{slot: slot, lit: string(p.lit), at: at}, true
}
