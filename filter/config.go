package filter

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

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
	// BatchKeys are the top-level keys whose array of maps holds a batch
	// of events, split into a record each (batch.go); nil splits nothing.
	BatchKeys []string
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
	// FieldMap holds extra record paths per field, beside the built-in
	// shapes' (the one a record holds last gives the value).
	FieldMap map[string][][]string
	// Logsource is what every record of this instance is, normalised by
	// rules.ParseLogsourceList; "" recognises well-known JSON logs.
	Logsource string
	// RefreshInterval: how often Live polls the files; 0 never.
	RefreshInterval time.Duration
	// StatsInterval: how often the plugin logs the counters; 0 only at exit.
	StatsInterval time.Duration
	// TimeKey is the field correlations read event time from; "" means
	// the Fluent Bit timestamp. Offline (sigma-check) also reads
	// OfflineTimeFields when it is unset.
	TimeKey string
	Offline bool
	// Correlation state: how late an event may be (0: the timespan), how
	// many groups per correlation, how long a group is muted after it
	// fired, and whether alerts also come out as records of their own.
	CorrelationMaxDelay  time.Duration
	CorrelationMaxGroups int
	CorrelationSuppress  time.Duration
	CorrelationRecord    bool
	// StateFile, when set, is where Live saves the correlation state every
	// StateCheckpoint and at Close, and restores it from at start.
	StateFile       string
	StateCheckpoint time.Duration
	// ShardKey names the Sigma fields whose values every record carries
	// under ShardKeyName ("" means DefaultShardKeyName): joined with |,
	// or with Shards > 0 their shard number (shard.go). Empty: off.
	ShardKey     []string
	ShardKeyName string
	Shards       int
	// Workers is how many goroutines filter one chunk (parallel.go); 0
	// or 1 means the calling one alone.
	Workers int
}

// ErrBadProperty marks an invalid property value.
var ErrBadProperty = errors.New("invalid property")

// ParseConfig builds a Config from property values. get returns a
// property's value and whether the user set it; unset properties take the
// defaults of Properties. Properties are read in table order, so of
// several invalid ones the first in Properties is reported. Fluent Bit
// itself rejects unknown property names.
func ParseConfig(get func(name string) (string, bool)) (Config, error) {
	var cfg Config
	for _, p := range Properties {
		if p.AliasOf != "" {
			continue // read with its target
		}
		name, v, ok, err := lookup(p, get)
		if err != nil {
			return Config{}, err
		}
		if !ok {
			if p.Default == "" {
				continue
			}
			v = p.Default
		}
		if err := p.set(&cfg, v); err != nil {
			return Config{}, fmt.Errorf("filter: %w: %s: %w", ErrBadProperty, name, err)
		}
	}
	if cfg.Format == FormatECS && slices.Contains(cfg.Format.Keys(cfg.AddKey), cfg.AddKey) {
		return Config{}, fmt.Errorf("filter: %w: add_key: %q is an ECS field format ecs writes itself (correlations go under add_key); choose another (e.g. sigma)",
			ErrBadProperty, cfg.AddKey)
	}
	if slices.Contains(cfg.Format.WrittenKeys(cfg.AddKey), cfg.TagKey) {
		return Config{}, fmt.Errorf("filter: %w: tag_key: %q is a key format %s writes itself; choose another (e.g. sigma_match)",
			ErrBadProperty, cfg.TagKey, cfg.Format)
	}
	if err := checkShard(cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// lookup reads p or one of its deprecated aliases, returning the name the
// value was set under; setting both is an error naming both.
func lookup(p Property, get func(name string) (string, bool)) (name, value string, ok bool, err error) {
	name = p.Name
	value, ok = get(p.Name)
	for _, alias := range Properties {
		if alias.AliasOf != p.Name {
			continue
		}
		v, set := get(alias.Name)
		if !set {
			continue
		}
		if ok {
			return "", "", false, fmt.Errorf("filter: %w: %s and %s are both set; %s is the deprecated name of %s, keep only %s",
				ErrBadProperty, name, alias.Name, alias.Name, p.Name, p.Name)
		}
		name, value, ok = alias.Name, v, true
	}
	return name, value, ok, nil
}

// secondsOf is n seconds, held at the Duration's range: a count too
// large for it must read as out of range, not wrap to a small one.
func secondsOf(n int) time.Duration {
	const most = math.MaxInt64 / int64(time.Second)
	return time.Duration(max(min(int64(n), most), -most)) * time.Second
}

// parseInterval reads seconds ("30") or a Go duration ("30s", "5m"): 0,
// or from 1 second to 24 hours.
func parseInterval(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = secondsOf(n), nil
	}
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of seconds or a duration (30, 30s, 5m)", v)
	}
	if d != 0 && (d < time.Second || d > 24*time.Hour) {
		return 0, fmt.Errorf("%q is out of range: 0 (off) or from 1s to 24h", v)
	}
	return d, nil
}

// parseSpan reads a duration of event time: seconds ("90"), a Go
// duration ("90s", "5m", "2h") or days and weeks as Sigma writes them
// ("1d", "2w"); at most 366 days.
func parseSpan(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	bad := fmt.Errorf("%q is not a number of seconds or a duration (90, 90s, 5m, 2h, 1d)", v)
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = secondsOf(n)
	} else if unit := strings.TrimLeft(v, "0123456789"); (unit == "d" || unit == "w") && len(unit) < len(v) {
		n, err := strconv.Atoi(v[:len(v)-1])
		if err != nil || n > 366 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
		if unit == "w" {
			d *= 7
		}
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, bad
	}
	if d < 0 || d > 366*24*time.Hour {
		return 0, fmt.Errorf("%q is out of range: from 0 to 366 days", v)
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
