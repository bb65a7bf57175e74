package filter

import (
	"strings"
	"unicode"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/attack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// ruleOutput is what a rule contributes to a record, prepared in New.
type ruleOutput struct {
	sigma  []byte // its entry in sigma.matches
	attack attack.Info
	// description is the rule's, less the trailing newline a YAML "|"
	// block leaves (rule.description in ECS).
	description string
}

func newRuleOutput(r rules.Rule) ruleOutput {
	info := attack.Parse(r.Tags)
	return ruleOutput{sigma: encodeMatch(r, info), attack: info,
		description: strings.TrimRightFunc(r.Description, unicode.IsSpace)}
}

// matchPairs is how many pairs a rule's entry in matches has; a
// correlation's entry has these and five more (appendCorrelationMatch).
// Below 16, the header is one byte.
const matchPairs = 8

// encodeMatch encodes a rule's entry in the matches array:
//
//	{"id", "title", "level", "status", "author", "tags": [...],
//	 "references": [...], "attack": {"technique_ids": [...],
//	 "tactics": [{"id", "name"}, ...]}}
func encodeMatch(r rules.Rule, info attack.Info) []byte {
	b := msgpack.AppendMapHeader(nil, matchPairs)
	for _, kv := range [][2]string{{"id", r.ID}, {"title", r.Title}, {"level", r.Level.String()},
		{"status", r.Status}, {"author", r.Author}} {
		b = msgpack.AppendStr(msgpack.AppendStr(b, kv[0]), kv[1])
	}
	b = appendStrings(msgpack.AppendStr(b, "tags"), r.Tags)
	b = appendStrings(msgpack.AppendStr(b, "references"), r.References)
	b = msgpack.AppendMapHeader(msgpack.AppendStr(b, "attack"), 2)
	b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "technique_ids"), len(info.Techniques))
	for _, t := range info.Techniques {
		b = msgpack.AppendStr(b, t.ID)
	}
	b = msgpack.AppendArrayHeader(msgpack.AppendStr(b, "tactics"), len(info.Tactics))
	for _, t := range info.Tactics {
		b = msgpack.AppendMapHeader(b, 2)
		b = msgpack.AppendStr(msgpack.AppendStr(b, "id"), t.ID)
		b = msgpack.AppendStr(msgpack.AppendStr(b, "name"), t.Name)
	}
	return b
}

func appendStrings(b []byte, list []string) []byte {
	b = msgpack.AppendArrayHeader(b, len(list))
	for _, s := range list {
		b = msgpack.AppendStr(b, s)
	}
	return b
}
