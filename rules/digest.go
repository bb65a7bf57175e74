package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
)

// digestLen is how many hex digits of the SHA-256 a Report's Digest keeps:
// 48 bits, enough to tell rule sets apart in a log line.
const digestLen = 12

// digest identifies the rules loaded: the SHA-256 over the sorted pairs
// (rule id, SHA-256 of the file the rule came from), one per loaded rule,
// cut to digestLen hex digits. It depends on the rules' content and on
// which rules the selection kept, not on paths or load order: the same
// rule files give the same digest on every machine, mounted anywhere, and
// the embedded default equals rules/default loaded from disk. Compile
// passes the Sigma filters loaded as rules of their own, so they are part
// of it; placeholders and the filter's field_map are not.
func digest(loaded []Rule, srcs []Source) string {
	// Only the files rules were loaded from are hashed. Sources sharing a
	// name (possible through Compile) are hashed together, so a rule's
	// File names one hash.
	files := map[string]hash.Hash{}
	for _, r := range loaded {
		files[r.File] = nil
	}
	for _, src := range srcs {
		h, wanted := files[src.Name]
		if !wanted {
			continue
		}
		if h == nil {
			h = sha256.New()
			files[src.Name] = h
		}
		h.Write(src.Data)
	}
	keys := make([]string, 0, len(loaded))
	for _, r := range loaded {
		var sum []byte
		if h := files[r.File]; h != nil {
			sum = h.Sum(nil)
		}
		keys = append(keys, r.ID+"\x00"+hex.EncodeToString(sum))
	}
	slices.Sort(keys)
	all := sha256.New()
	for _, k := range keys {
		all.Write([]byte(k + "\n"))
	}
	return hex.EncodeToString(all.Sum(nil))[:digestLen]
}
