// Package ahocorasick finds which of a fixed set of patterns occur in a
// text, in one pass over the text, case-insensitively.
//
// # What it matches
//
// New builds an Automaton over patterns; Scan reports, for every position
// of a text where patterns end, the id of each of them (an id once per
// occurrence, overlapping and nested occurrences included). Patterns that
// read alike share the id of the first of them (Canonical). The empty
// pattern is never reported.
//
// # Folding
//
// Patterns and text are compared in case-folded form, both folded by the
// Fold given to New, so a pattern is reported wherever its folded form
// occurs in the folded text. ASCII text is never folded: upper-case ASCII
// letters read as their lower-case forms through the byte classes, which
// is why a Fold must lower-case ASCII and leave other ASCII bytes alone.
// Scan folds text with a byte >= 0x80 whole, into scratch memory the
// caller owns, before it scans it.
//
// Matching is exact on ASCII and coarser beyond it: every byte >= 0x80
// reads as the same byte. A pattern with non-ASCII text is therefore
// reported wherever its ASCII bytes and its count of other bytes line up,
// a superset of its true occurrences. That suits a prefilter, which may
// report more but must never report fewer, and keeps the tables narrow.
//
// # Thread safety
//
// An Automaton is immutable once New returns and safe for concurrent use:
// Scan writes only to the hits and scratch its caller passes.
//
// # Memory layout
//
// The layout serves a scan that runs once per byte of every field of every
// event, over automata of up to some ten thousand patterns:
//
//   - Bytes map to classes: only bytes that occur in some pattern get
//     their own; all others share class 0, and all bytes >= 0x80 one
//     more. Rows are as wide as the classes, not 256.
//   - States near the root, which the scan visits most, get dense rows
//     with every transition resolved. Deeper states, nearly all with one
//     child, keep only their children and fall back along failure links.
//     That keeps a large rule set's automata at a few MiB where dense rows
//     for every state would take tens.
//   - The dense states are numbered first, breadth-first, so they are
//     0..n-1 and a state's row is its id; the sparse ones follow depth
//     first, so a walk along a long pattern reads neighbouring records. A
//     transition target carries a flag when patterns end there, so a step
//     without output reads nothing more.
//   - What a step reads of a sparse state is packed into one record, one
//     cache line rather than one per array (a state's depth, which only
//     the end of a segment's walk reads, is apart).
//   - One of each pattern's rarest byte pairs lets a scan start shortly
//     before the first such pair of the text, or skip a text without one
//     (rare.go).
//   - Sets of byte pairs are kept as pairs of classes (classPairs): a
//     small automaton's is a cache line or two, not 8 KiB.
//   - A text of minSplit bytes or more is walked as four segments at once
//     (split.go): with thousands of patterns every step waits on a table
//     load, and four independent walks wait together. A shorter text is
//     walked once, skipping at the root, by the set of the pairs
//     patterns begin with, two bytes at a time, and to shortly before the
//     next rare pair.
//
// # Sampled
//
// Sampled finds long ASCII patterns (hashes, long arguments, 16 bytes and
// more) by reading the text only every few bytes (sampled.go): where
// thousands of such patterns make an automaton of megabytes, one cache
// miss a byte, Sampled tests 8 bytes of text against a small bitmap every
// 9 to 16 bytes. It reports what an Automaton over the same patterns
// reports, in another order.
package ahocorasick
