package filter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

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
		Name:        "format",
		Type:        "string",
		Default:     "sigma",
		Description: "How matches are written: sigma (one add_key map), ecs (Elastic Common Schema alert fields) or flat (sigma_rule_ids, sigma_titles, sigma_level, sigma_tags).",
	},
	{
		Name:        "tag_key",
		Type:        "string",
		Description: "Also set this key to true in matching records, a marker for grep and rewrite_tag (e.g. sigma_match).",
	},
	{
		Name:        "match_only",
		Type:        "bool",
		Default:     "off",
		Description: "Drop records that match no rule.",
	},
	{
		Name:        "min_level",
		Type:        "string",
		Description: "Load only rules of this level or higher: informational, low, medium, high or critical.",
	},
	{
		Name:        "status",
		Type:        "string",
		Default:     "stable,test,experimental",
		Description: "Comma-separated rule statuses to load (rules without a status always load); add deprecated or unsupported to load those too.",
	},
	{
		Name:        "include_tags",
		Type:        "string",
		Description: "Comma-separated tags: load only rules with at least one of them (case-insensitive, e.g. attack.t1129).",
	},
	{
		Name:        "exclude_tags",
		Type:        "string",
		Description: "Comma-separated tags: do not load rules with any of them.",
	},
	{
		Name:        "rule_ids",
		Type:        "string",
		Description: "Comma-separated rule ids: load only these rules.",
	},
	{
		Name:        "placeholders",
		Type:        "string",
		Description: "YAML file of placeholder values for the expand modifier (name: value or list of values).",
	},
	{
		Name:        "json_key",
		Type:        "string",
		Default:     strings.Join(DefaultTextKeys, ","),
		Description: "Comma-separated keys whose string value may carry the event as JSON or Windows event XML; read when the record itself has no event ID. Set to none to disable.",
	},
	{
		Name:        "field_map",
		Type:        "string",
		Description: "YAML file mapping Sigma field names to record paths (dotted, \\. for a dot inside a key), for shapes the filter does not know.",
	},
	{
		Name:        "refresh_interval",
		Type:        "string",
		Default:     "0",
		Description: "Poll the rule, placeholder and field_map files this often (seconds, or a duration such as 30s or 5m) and swap in the new rules when they change; 0 disables. A set that fails to load is not swapped in.",
	},
	{
		Name:        "stats_interval",
		Type:        "string",
		Default:     "0",
		Description: "Log the counters (records, matches, top rules, malformed chunks, recovered panics) at info this often (seconds or a duration); 0 logs them only at exit.",
	},
	{
		Name:        "strict",
		Type:        "bool",
		Default:     "off",
		Description: "Fail the start when any rule cannot be loaded, instead of skipping it.",
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
	// Format is how matches are written; TagKey, when set, is also set to
	// true in matching records.
	Format Format
	TagKey string
	// PlaceholdersFile is read by New into Rules.Placeholders.
	PlaceholdersFile string
	// Strict turns any skipped rule into an error from New.
	Strict bool
	// TextKeys are the keys that may carry the event as JSON or XML text;
	// nil means DefaultTextKeys, empty none.
	TextKeys []string
	// FieldMapFile is read by New into FieldMap.
	FieldMapFile string
	// FieldMap holds extra record paths per field, searched first.
	FieldMap map[string][][]string
	// RefreshInterval: how often Live polls the files; 0 never.
	RefreshInterval time.Duration
	// StatsInterval: how often the plugin logs the counters; 0 only at exit.
	StatsInterval time.Duration
}

// ErrBadProperty marks an invalid property value.
var ErrBadProperty = errors.New("invalid property")

// ParseConfig builds a Config from property values. get returns a
// property's value and whether the user set it; unset properties take their
// defaults. Fluent Bit itself rejects unknown property names.
func ParseConfig(get func(name string) (string, bool)) (Config, error) {
	cfg := Config{AddKey: DefaultAddKey}
	if v, ok := get("rules"); ok {
		cfg.RulePaths = splitList(v)
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
	if v, ok := get("format"); ok {
		format, known := ParseFormat(v)
		if !known {
			return Config{}, fmt.Errorf("filter: %w: format: %q is not a format (sigma, ecs, flat)", ErrBadProperty, v)
		}
		cfg.Format = format
	}
	if v, ok := get("tag_key"); ok {
		if cfg.TagKey = strings.TrimSpace(v); cfg.TagKey == "" {
			return Config{}, fmt.Errorf("filter: %w: tag_key: must not be empty", ErrBadProperty)
		}
	}
	for name, dst := range map[string]*bool{"match_only": &cfg.MatchOnly, "strict": &cfg.Strict} {
		if v, ok := get(name); ok {
			b, err := parseBool(v)
			if err != nil {
				return Config{}, fmt.Errorf("filter: %w: %s: %v", ErrBadProperty, name, err)
			}
			*dst = b
		}
	}
	if v, ok := get("min_level"); ok {
		level, known := rules.ParseLevel(v)
		if !known {
			return Config{}, fmt.Errorf("filter: %w: min_level: %q is not a level (informational, low, medium, high, critical)", ErrBadProperty, v)
		}
		cfg.Rules.MinLevel = level
	}
	if v, ok := get("status"); ok {
		known := map[string]bool{"stable": true, "test": true, "experimental": true, "deprecated": true, "unsupported": true}
		list := splitList(v)
		for _, st := range list {
			if !known[strings.ToLower(st)] {
				return Config{}, fmt.Errorf("filter: %w: status: %q is not a rule status (stable, test, experimental, deprecated, unsupported)", ErrBadProperty, st)
			}
		}
		if len(list) == 0 {
			return Config{}, fmt.Errorf("filter: %w: status: no status given", ErrBadProperty)
		}
		cfg.Rules.Statuses = append(list, "") // rules without a status always load
	}
	if v, ok := get("include_tags"); ok {
		cfg.Rules.IncludeTags = splitList(v)
	}
	if v, ok := get("exclude_tags"); ok {
		cfg.Rules.ExcludeTags = splitList(v)
	}
	if v, ok := get("rule_ids"); ok {
		cfg.Rules.RuleIDs = splitList(v)
		if len(cfg.Rules.RuleIDs) == 0 {
			return Config{}, fmt.Errorf("filter: %w: rule_ids: no id given", ErrBadProperty)
		}
	}
	if v, ok := get("placeholders"); ok {
		if cfg.PlaceholdersFile = strings.TrimSpace(v); cfg.PlaceholdersFile == "" {
			return Config{}, fmt.Errorf("filter: %w: placeholders: no file given", ErrBadProperty)
		}
	}
	if v, ok := get("json_key"); ok {
		keys := splitList(v)
		if len(keys) == 0 {
			return Config{}, fmt.Errorf("filter: %w: json_key: no key given (use none to disable)", ErrBadProperty)
		}
		cfg.TextKeys = keys
		if len(keys) == 1 && strings.EqualFold(keys[0], "none") {
			cfg.TextKeys = []string{}
		}
	}
	if v, ok := get("field_map"); ok {
		if cfg.FieldMapFile = strings.TrimSpace(v); cfg.FieldMapFile == "" {
			return Config{}, fmt.Errorf("filter: %w: field_map: no file given", ErrBadProperty)
		}
	}
	for name, dst := range map[string]*time.Duration{"refresh_interval": &cfg.RefreshInterval, "stats_interval": &cfg.StatsInterval} {
		if v, ok := get(name); ok {
			d, err := parseInterval(v)
			if err != nil {
				return Config{}, fmt.Errorf("filter: %w: %s: %v", ErrBadProperty, name, err)
			}
			*dst = d
		}
	}
	return cfg, nil
}

// parseInterval reads seconds ("30") or a Go duration ("30s", "5m"): 0,
// or from 1 second to 24 hours.
func parseInterval(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of seconds or a duration (30, 30s, 5m)", v)
	}
	if d != 0 && (d < time.Second || d > 24*time.Hour) {
		return 0, fmt.Errorf("%q is out of range: 0 (off) or from 1s to 24h", v)
	}
	return d, nil
}

// splitList splits a comma-separated property value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
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
