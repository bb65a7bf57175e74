package filter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// Property describes one configuration property of the sigma filter. The
// plugin's Fluent Bit config map declares the same list; a test keeps the
// two in step.
type Property struct {
	Name        string
	Type        string // "string" or "bool", as Fluent Bit's config map says
	Default     string // "" when there is none
	Description string
}

// Properties lists every property the filter accepts.
var Properties = []Property{
	{
		Name:        "rules",
		Type:        "string",
		Description: "Comma-separated Sigma rule files and directories (searched recursively for *.yml and *.yaml). Replaces the embedded default rule.",
	},
	{
		Name:        "add_key",
		Type:        "string",
		Default:     DefaultAddKey,
		Description: "Record key that receives the matches of a record; an existing key of that name is replaced.",
	},
	{
		Name:        "match_only",
		Type:        "bool",
		Default:     "off",
		Description: "Drop records that match no rule.",
	},
}

// DefaultAddKey is the default of the add_key property.
const DefaultAddKey = "sigma"

// Config is the filter's configuration.
type Config struct {
	// RulePaths are rule files and directories; empty means the embedded
	// default rule.
	RulePaths []string
	// Rules selects rules and carries placeholders.
	Rules     rules.Options
	AddKey    string
	MatchOnly bool
}

// ErrBadProperty marks an invalid property value.
var ErrBadProperty = errors.New("invalid property")

// ParseConfig builds a Config from property values. get returns a
// property's value and whether the user set it; unset properties take their
// defaults. Fluent Bit itself rejects unknown property names.
func ParseConfig(get func(name string) (string, bool)) (Config, error) {
	cfg := Config{AddKey: DefaultAddKey}
	if v, ok := get("rules"); ok {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.RulePaths = append(cfg.RulePaths, p)
			}
		}
		if len(cfg.RulePaths) == 0 {
			return Config{}, fmt.Errorf("filter: %w: rules: no path given", ErrBadProperty)
		}
	}
	if v, ok := get("add_key"); ok {
		v = strings.TrimSpace(v)
		if v == "" {
			return Config{}, fmt.Errorf("filter: %w: add_key: must not be empty", ErrBadProperty)
		}
		cfg.AddKey = v
	}
	if v, ok := get("match_only"); ok {
		b, err := parseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("filter: %w: match_only: %v", ErrBadProperty, err)
		}
		cfg.MatchOnly = b
	}
	return cfg, nil
}

// parseBool accepts the spellings Fluent Bit accepts for booleans.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use on/off, true/false, yes/no)", v)
}
