package filter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// NoRulesError is New's error when loading ended with an empty set. It
// says where the rules came from and why none is left, so a user can tell
// a selection that leaves nothing (min_level, status, tags, ids) from rules
// that could not be compiled (a missing placeholder, a broken file).
type NoRulesError struct {
	Source string // the rule paths, or "the embedded default rule"
	Report rules.Report
}

func (e *NoRulesError) Error() string {
	var b strings.Builder
	r := e.Report
	fmt.Fprintf(&b, "no Sigma rule could be loaded from %s: %d file(s) read", e.Source, r.Files)
	if r.Filtered > 0 {
		fmt.Fprintf(&b, ", %d rule(s) left out by the selection (min_level, status, include_tags, exclude_tags, rule_ids)", r.Filtered)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, ", %d rule(s) or file(s) skipped: ", len(r.Skipped))
		for i, reason := range r.Reasons() {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%d: %s", reason.Count, reason.Text)
		}
		fmt.Fprintf(&b, " (the first: %v)", r.Skipped[0])
	}
	if r.Files == 0 {
		b.WriteString(", no *.yml or *.yaml file found")
	}
	return b.String()
}

// Unwrap lets errors.Is(err, rules.ErrNoRules) hold.
func (e *NoRulesError) Unwrap() error { return rules.ErrNoRules }

// RuleSource names where cfg takes its rules from, for messages.
func RuleSource(cfg Config) string {
	if len(cfg.RulePaths) == 0 {
		return "the embedded default rule"
	}
	return strings.Join(cfg.RulePaths, ",")
}

// noRules turns rules.ErrNoRules into a *NoRulesError; other errors pass.
func noRules(err error, cfg Config, report rules.Report) error {
	if errors.Is(err, rules.ErrNoRules) {
		return &NoRulesError{Source: RuleSource(cfg), Report: report}
	}
	return err
}
