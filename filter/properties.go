package filter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/correlate"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// Property types, as Fluent Bit's config map names them.
const (
	TypeString = "string"
	TypeBool   = "bool"
)

// Property is one configuration property of the sigma filter. Properties
// is the single source of them: ParseConfig reads them, the plugin's
// Fluent Bit config map is generated from them (plugin/configmap.h, by go
// generate), sigma-check derives its flags from them, and a test holds the
// README's table to them.
type Property struct {
	Name string
	Type string // TypeString or TypeBool
	// Default is the value applied when the property is unset, and the one
	// Fluent Bit shows with -h; "" when there is none.
	Default     string
	Description string
	// Offline: the property means something outside Fluent Bit too, so
	// sigma-check offers it as a flag (the intervals do not: sigma-check
	// neither polls nor runs long).
	Offline bool
	// AliasOf names the property this deprecated name stands for. An
	// alias has no default of its own; setting it and its target is an
	// error.
	AliasOf string
	// set parses v into cfg; its error names what is wrong with v.
	set func(cfg *Config, v string) error
}

// Check reports whether v is a valid value of p, without a Config.
func (p Property) Check(v string) error {
	var scratch Config
	return p.set(&scratch, v)
}

// Properties lists every property the filter accepts, in the order
// ParseConfig reads them (and so reports the first invalid one).
var Properties = []Property{
	{
		Name: "rules", Type: TypeString, Offline: true,
		Description: "Comma-separated Sigma rule files and directories (searched recursively for *.yml and *.yaml). Replaces the embedded default rule.",
		set: func(c *Config, v string) error {
			return setList(&c.RulePaths, v, "no path given")
		},
	},
	{
		Name: "filters", Type: TypeString, Offline: true,
		Description: "Comma-separated Sigma filter files and directories: filters whose condition is ANDed with the rules they name (write condition: not selection to suppress matches). Filters in the rules paths load too.",
		set: func(c *Config, v string) error {
			return setList(&c.Rules.FilterPaths, v, "no path given")
		},
	},
	{
		Name: "add_key", Type: TypeString, Default: DefaultAddKey, Offline: true,
		Description: "Record key that receives the matches of a record; an existing key of that name is replaced.",
		set: func(c *Config, v string) error {
			return setNonEmpty(&c.AddKey, v, "must not be empty")
		},
	},
	{
		Name: "format", Type: TypeString, Default: "sigma", Offline: true,
		Description: "How matches are written: sigma (one add_key map), ecs (Elastic Common Schema alert fields) or flat (sigma_rule_ids, sigma_titles, sigma_level, sigma_tags).",
		set: func(c *Config, v string) error {
			format, known := ParseFormat(v)
			if !known {
				return fmt.Errorf("%q is not a format (sigma, ecs, flat)", v)
			}
			c.Format = format
			return nil
		},
	},
	{
		Name: "tag_key", Type: TypeString, Offline: true,
		Description: "Also set this key to the string \"true\" in matching records, a marker for grep and rewrite_tag (e.g. sigma_match).",
		set: func(c *Config, v string) error {
			return setNonEmpty(&c.TagKey, v, "must not be empty")
		},
	},
	{
		Name: "match_only", Type: TypeBool, Default: "off", Offline: true,
		Description: "Drop records that match no rule.",
		set: func(c *Config, v string) error {
			return setBool(&c.MatchOnly, v)
		},
	},
	{
		Name: "batch_key", Type: TypeString, Offline: true,
		Description: "Comma-separated top-level keys whose array of maps holds a batch of events (Azure's records through Event Hubs, a CloudTrail file's Records, CloudWatch Logs' logEvents): such a record is split into a record per element, with its timestamp, metadata and other keys, before the rules run. Unset: no record is split.",
		set: func(c *Config, v string) error {
			return setList(&c.BatchKeys, v, "no key given")
		},
	},
	{
		Name: "shard_key", Type: TypeString,
		Description: "Comma-separated Sigma field names (found in every record shape, as rules find them): write their values, joined with |, into every record under shard_key_name, for out_kafka's message_key_field or rewrite_tag to send each group to one aggregator.",
		set: func(c *Config, v string) error {
			return setList(&c.ShardKey, v, "no field given")
		},
	},
	{
		Name: "shard_key_name", Type: TypeString, Default: DefaultShardKeyName,
		Description: "The top-level string key shard_key writes; an existing key of that name is replaced.",
		set: func(c *Config, v string) error {
			return setNonEmpty(&c.ShardKeyName, v, "must not be empty")
		},
	},
	{
		Name: "shards", Type: TypeString, Default: "0",
		Description: "With shard_key: write a shard number 0 to shards-1 (FNV-1a 64 of the joined values, modulo shards) instead of the values; 0 writes the values.",
		set: func(c *Config, v string) (err error) {
			c.Shards, err = parseShards(v)
			return err
		},
	},
	{
		Name: "workers", Type: TypeString, Default: "2",
		Description: "How many goroutines filter one chunk: a chunk of 64 KiB or more is cut into runs of records that they take in turn, one on Fluent Bit's thread, and the output is the same, byte for byte, as on one (with correlations they find the matches, and one pass in order counts them). At most the CPUs Go may use; 1 filters on Fluent Bit's thread alone.",
		set: func(c *Config, v string) (err error) {
			c.Workers, err = parseWorkers(v)
			return err
		},
	},
	{
		Name: "min_level", Type: TypeString, Offline: true,
		Description: "Load only rules of this level or higher: informational, low, medium, high or critical.",
		set: func(c *Config, v string) error {
			level, known := rules.ParseLevel(v)
			if !known {
				return fmt.Errorf("%q is not a level (informational, low, medium, high, critical)", v)
			}
			c.Rules.MinLevel = level
			return nil
		},
	},
	{
		Name: "status", Type: TypeString, Default: strings.Join(rules.DefaultStatusNames, ","), Offline: true,
		Description: "Comma-separated rule statuses to load (rules without a status always load); add deprecated or unsupported to load those too.",
		set:         setStatuses,
	},
	{
		Name: "include_tags", Type: TypeString, Offline: true,
		Description: "Comma-separated tags: load only rules with at least one of them (case-insensitive, e.g. attack.t1129).",
		set: func(c *Config, v string) error {
			c.Rules.IncludeTags = splitList(v)
			return nil
		},
	},
	{
		Name: "exclude_tags", Type: TypeString, Offline: true,
		Description: "Comma-separated tags: do not load rules with any of them.",
		set: func(c *Config, v string) error {
			c.Rules.ExcludeTags = splitList(v)
			return nil
		},
	},
	{
		Name: "rule_ids", Type: TypeString, Offline: true,
		Description: "Comma-separated rule ids: load only these rules.",
		set: func(c *Config, v string) error {
			return setList(&c.Rules.RuleIDs, v, "no id given")
		},
	},
	{
		Name: "placeholders", Type: TypeString, Offline: true,
		Description: "YAML file of placeholder values for the expand modifier (name: value or list of values).",
		set: func(c *Config, v string) error {
			return setNonEmpty(&c.PlaceholdersFile, v, "no file given")
		},
	},
	{
		Name: "text_key", Type: TypeString, Default: strings.Join(DefaultTextKeys, ","), Offline: true,
		Description: "Comma-separated keys whose string value may carry the event as JSON or Windows event XML; read when the record itself has no event ID. Set to none to disable.",
		set:         setTextKeys,
	},
	{
		Name: "json_key", Type: TypeString, AliasOf: "text_key", Offline: true,
		Description: "Deprecated: the former name of text_key, still accepted; setting both is an error.",
		set:         setTextKeys,
	},
	{
		Name: "field_map", Type: TypeString, Offline: true,
		Description: "YAML file mapping Sigma field names to record paths (dotted, \\. for a dot inside a key), for shapes the filter does not know.",
		set: func(c *Config, v string) error {
			return setNonEmpty(&c.FieldMapFile, v, "no file given")
		},
	},
	{
		Name: "logsource", Type: TypeString, Offline: true,
		Description: "What this instance's records are, so only rules of that logsource (and rules without one) run: comma-separated items of space-separated product=, category=, service= pairs (e.g. product=aws service=cloudtrail, product=kubernetes service=audit). Unset: well-known JSON logs are recognised by their keys.",
		set: func(c *Config, v string) error {
			list, err := rules.ParseLogsourceList(v)
			if err != nil {
				return err
			}
			c.Logsource = list
			return nil
		},
	},
	{
		Name: "refresh_interval", Type: TypeString, Default: "0",
		Description: "Poll the rule, filter, placeholder and field_map files this often (seconds, or a duration such as 30s or 5m) and swap in the new rules when they change; 0 disables. A set that fails to load is not swapped in.",
		set: func(c *Config, v string) (err error) {
			c.RefreshInterval, err = parseInterval(v)
			return err
		},
	},
	{
		Name: "stats_interval", Type: TypeString, Default: "0",
		Description: "Log the counters (records, matches, top rules, malformed chunks, recovered panics) at info this often (seconds or a duration); 0 logs them only at exit.",
		set: func(c *Config, v string) (err error) {
			c.StatsInterval, err = parseInterval(v)
			return err
		},
	},
	{
		Name: "time_key", Type: TypeString, Offline: true,
		Description: "Field holding the event time correlations count by (a Sigma field name, resolved as rules resolve fields: RFC 3339, Sysmon UtcTime, SystemTime, epoch seconds or milliseconds); unset or unreadable: the record's Fluent Bit timestamp.",
		set: func(c *Config, v string) error {
			return setNonEmpty(&c.TimeKey, v, "no field given")
		},
	},
	{
		Name: "correlation_max_delay", Type: TypeString, Offline: true,
		Description: "How late (in event time) a record may arrive behind the newest of its correlation group and still count (seconds, or a duration such as 90s, 5m, 2h, 1d); later ones are counted as late and ignored for correlation. Unset: each correlation's timespan.",
		set: func(c *Config, v string) (err error) {
			c.CorrelationMaxDelay, err = parseSpan(v)
			return err
		},
	},
	{
		Name: "correlation_max_groups", Type: TypeString, Default: strconv.Itoa(correlate.DefaultMaxGroups), Offline: true,
		Description: "Most groups (distinct group-by values) kept per correlation; the least recently updated group is evicted first, and counted.",
		set: func(c *Config, v string) error {
			n, ok := parseIntIn(v, 1, 100_000_000)
			if !ok {
				return fmt.Errorf("%q is not a number of groups from 1 to 100000000", v)
			}
			c.CorrelationMaxGroups = n
			return nil
		},
	},
	{
		Name: "correlation_suppress", Type: TypeString, Default: "0", Offline: true,
		Description: "After a correlation fires for a group, mute further firings of it for that group this long (event time; seconds or a duration); 0 mutes nothing.",
		set: func(c *Config, v string) (err error) {
			c.CorrelationSuppress, err = parseSpan(v)
			return err
		},
	},
	{
		Name: "correlation_record", Type: TypeBool, Default: "off", Offline: true,
		Description: "Also write each correlation alert as a record of its own (same tag), after the record that completed it, holding the alert and the group values. Alerts decided when a window closes always come out this way.",
		set: func(c *Config, v string) error {
			return setBool(&c.CorrelationRecord, v)
		},
	},
	{
		Name: "state_file", Type: TypeString,
		Description: "File the correlation state is saved to (atomically, every state_checkpoint and at exit) and restored from at start, so windows survive restarts; a missing file is an empty start, a damaged state file is reported and ignored, and a file that is not a state file this version reads fails the start (it is not written over). Two instances may not name the same file.",
		set: func(c *Config, v string) error {
			return setNonEmpty(&c.StateFile, v, "no file given")
		},
	},
	{
		Name: "state_checkpoint", Type: TypeString, Default: "60",
		Description: "How often the correlation state is written to state_file (seconds or a duration, 1s to 24h).",
		set: func(c *Config, v string) (err error) {
			c.StateCheckpoint, err = parseInterval(v)
			if err == nil && c.StateCheckpoint == 0 {
				err = fmt.Errorf("%q: the state is checkpointed at least every 24h (0 is not allowed)", v)
			}
			return err
		},
	},
	{
		Name: "strict", Type: TypeBool, Default: "off", Offline: true,
		Description: "Fail the start when any rule cannot be loaded, instead of skipping it.",
		set: func(c *Config, v string) error {
			return setBool(&c.Strict, v)
		},
	},
}

func setStatuses(c *Config, v string) error {
	list := splitList(v)
	for _, st := range list {
		if !rules.KnownStatus(st) {
			return fmt.Errorf("%q is not a rule status (%s)", st, strings.Join(rules.Statuses, ", "))
		}
	}
	if len(list) == 0 {
		return errors.New("no status given")
	}
	c.Rules.Statuses = append(list, "") // rules without a status always load
	return nil
}

func setTextKeys(c *Config, v string) error {
	keys := splitList(v)
	if len(keys) == 0 {
		return errors.New("no key given (use none to disable)")
	}
	if len(keys) == 1 && strings.EqualFold(keys[0], "none") {
		keys = []string{}
	}
	c.TextKeys = keys
	return nil
}

func setNonEmpty(dst *string, v, empty string) error {
	if v = strings.TrimSpace(v); v == "" {
		return errors.New(empty)
	}
	*dst = v
	return nil
}

func setList(dst *[]string, v, empty string) error {
	list := splitList(v)
	if len(list) == 0 {
		return errors.New(empty)
	}
	*dst = list
	return nil
}

func setBool(dst *bool, v string) (err error) {
	*dst, err = parseBool(v)
	return err
}

// parseIntIn reads v, spaces around it aside, as an integer from lo to hi.
func parseIntIn(v string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil && n >= lo && n <= hi
}
