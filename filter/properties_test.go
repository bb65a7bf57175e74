package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

func parseProps(props map[string]string) (Config, error) {
	return ParseConfig(func(k string) (string, bool) { v, ok := props[k]; return v, ok })
}

func TestParseConfig(t *testing.T) {
	// The defaults ParseConfig applies, written out: each case below
	// changes this.
	defaults := func() Config {
		return Config{AddKey: "sigma", Format: FormatSigma, TextKeys: []string{"log", "message", "System", "MESSAGE"}, ShardKeyName: "sigma_shard",
			Rules:                rules.Options{Statuses: []string{"stable", "test", "experimental", ""}},
			CorrelationMaxGroups: 100000, StateCheckpoint: time.Minute, Workers: 2}
	}
	tests := []struct {
		name  string
		props map[string]string
		want  func(c *Config) // nil with err
		err   bool
	}{
		{name: "defaults", props: nil, want: func(c *Config) {}},
		{name: "all set", props: map[string]string{"rules": " /a , /b/c.yml,", "add_key": "detections", "match_only": "On"},
			want: func(c *Config) { c.RulePaths, c.AddKey, c.MatchOnly = []string{"/a", "/b/c.yml"}, "detections", true }},
		{name: "bool spellings", props: map[string]string{"match_only": "yes"}, want: func(c *Config) { c.MatchOnly = true }},
		{name: "bool false", props: map[string]string{"match_only": "false"}, want: func(c *Config) {}},
		{name: "bad bool", props: map[string]string{"match_only": "maybe"}, err: true},
		{name: "selection", props: map[string]string{"min_level": "High", "status": "stable, test", "include_tags": "attack.t1129,attack.execution",
			"exclude_tags": "attack.stealth", "rule_ids": "a,b", "placeholders": "/etc/p.yml", "strict": "on"},
			want: func(c *Config) {
				c.Strict, c.PlaceholdersFile = true, "/etc/p.yml"
				c.Rules = rules.Options{MinLevel: rules.LevelHigh, Statuses: []string{"stable", "test", ""},
					IncludeTags: []string{"attack.t1129", "attack.execution"}, ExcludeTags: []string{"attack.stealth"}, RuleIDs: []string{"a", "b"}}
			}},
		{name: "bad level", props: map[string]string{"min_level": "severe"}, err: true},
		{name: "bad status", props: map[string]string{"status": "stable,beta"}, err: true},
		{name: "bad strict", props: map[string]string{"strict": "2"}, err: true},
		{name: "empty rule_ids", props: map[string]string{"rule_ids": ","}, err: true},
		{name: "empty rules", props: map[string]string{"rules": " , "}, err: true},
		{name: "empty add_key", props: map[string]string{"add_key": " "}, err: true},
		{name: "text_key", props: map[string]string{"text_key": "payload, raw"}, want: func(c *Config) { c.TextKeys = []string{"payload", "raw"} }},
		{name: "text_key none", props: map[string]string{"text_key": "None"}, want: func(c *Config) { c.TextKeys = []string{} }},
		{name: "empty text_key", props: map[string]string{"text_key": ","}, err: true},
		{name: "json_key alias", props: map[string]string{"json_key": "payload, raw"}, want: func(c *Config) { c.TextKeys = []string{"payload", "raw"} }},
		{name: "empty json_key", props: map[string]string{"json_key": ","}, err: true},
		{name: "text_key and json_key", props: map[string]string{"text_key": "a", "json_key": "a"}, err: true},
		{name: "field_map", props: map[string]string{"field_map": " /etc/map.yaml "}, want: func(c *Config) { c.FieldMapFile = "/etc/map.yaml" }},
		{name: "empty field_map", props: map[string]string{"field_map": ""}, err: true},
		{name: "format", props: map[string]string{"format": "ECS", "tag_key": "sigma_match"}, want: func(c *Config) { c.Format, c.TagKey = FormatECS, "sigma_match" }},
		{name: "bad format", props: map[string]string{"format": "json"}, err: true},
		{name: "empty tag_key", props: map[string]string{"tag_key": " "}, err: true},
		{name: "intervals", props: map[string]string{"refresh_interval": "30", "stats_interval": "5m"},
			want: func(c *Config) { c.RefreshInterval, c.StatsInterval = 30*time.Second, 5*time.Minute }},
		{name: "interval off", props: map[string]string{"refresh_interval": "0"}, want: func(c *Config) {}},
		{name: "bad interval", props: map[string]string{"refresh_interval": "soon"}, err: true},
		// 2^64 + 1 s would wrap to a small duration if multiplied as it is.
		{name: "interval too many seconds", props: map[string]string{"refresh_interval": "18446744075"}, err: true},
		{name: "interval too short", props: map[string]string{"stats_interval": "10ms"}, err: true},
		{name: "interval too long", props: map[string]string{"stats_interval": "1000h"}, err: true},
		{name: "correlation properties", props: map[string]string{"time_key": "UtcTime", "correlation_max_delay": "2d",
			"correlation_max_groups": "500", "correlation_suppress": "90", "correlation_record": "on",
			"state_file": "/var/lib/sigma/state", "state_checkpoint": "10s"},
			want: func(c *Config) {
				c.TimeKey, c.CorrelationMaxDelay, c.CorrelationMaxGroups = "UtcTime", 48*time.Hour, 500
				c.CorrelationSuppress, c.CorrelationRecord = 90*time.Second, true
				c.StateFile, c.StateCheckpoint = "/var/lib/sigma/state", 10*time.Second
			}},
		{name: "max delay in weeks and Go units", props: map[string]string{"correlation_max_delay": "1w", "correlation_suppress": "1h30m"},
			want: func(c *Config) { c.CorrelationMaxDelay, c.CorrelationSuppress = 7*24*time.Hour, 90*time.Minute }},
		{name: "bad max delay", props: map[string]string{"correlation_max_delay": "soonish"}, err: true},
		{name: "max delay too long", props: map[string]string{"correlation_max_delay": "400d"}, err: true},
		{name: "max delay too many seconds", props: map[string]string{"correlation_max_delay": "18446744075"}, err: true},
		{name: "suppress too many seconds", props: map[string]string{"correlation_suppress": "18446744075"}, err: true},
		{name: "negative suppress", props: map[string]string{"correlation_suppress": "-5s"}, err: true},
		{name: "zero groups", props: map[string]string{"correlation_max_groups": "0"}, err: true},
		{name: "groups not a number", props: map[string]string{"correlation_max_groups": "many"}, err: true},
		{name: "checkpoint off", props: map[string]string{"state_checkpoint": "0"}, err: true},
		{name: "empty state_file", props: map[string]string{"state_file": " "}, err: true},
		{name: "empty time_key", props: map[string]string{"time_key": ""}, err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProps(tc.props)
			if tc.err {
				if !errors.Is(err, ErrBadProperty) {
					t.Errorf("got %v, want ErrBadProperty", err)
				}
				return
			}
			want := defaults()
			tc.want(&want)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

// TestParseConfigErrorOrder: of several invalid properties, the first in
// Properties is reported, every time (a map would pick one at random).
func TestParseConfigErrorOrder(t *testing.T) {
	props := map[string]string{"strict": "2", "min_level": "severe", "format": "xml", "stats_interval": "soon"}
	for i := 0; i < 20; i++ {
		_, err := parseProps(props)
		if want := `filter: invalid property: format: "xml" is not a format (sigma, ecs, flat)`; err == nil || err.Error() != want {
			t.Fatalf("run %d: got %v, want %s", i, err, want)
		}
	}
	delete(props, "format")
	if _, err := parseProps(props); err == nil || !strings.HasPrefix(err.Error(), "filter: invalid property: min_level:") {
		t.Errorf("without format: got %v, want the min_level error", err)
	}
}

// TestDeprecatedAlias: json_key is read as text_key, errors name the name
// used, and setting both names both.
func TestDeprecatedAlias(t *testing.T) {
	if _, err := parseProps(map[string]string{"json_key": " , "}); err == nil || !strings.Contains(err.Error(), "json_key: no key given") {
		t.Errorf("bad json_key: %v", err)
	}
	_, err := parseProps(map[string]string{"json_key": "a", "text_key": "b"})
	if err == nil || !strings.Contains(err.Error(), "text_key and json_key are both set") {
		t.Errorf("both set: %v", err)
	}
	for _, p := range Properties {
		if p.AliasOf == "" {
			continue
		}
		i := slices.IndexFunc(Properties, func(q Property) bool { return q.Name == p.AliasOf })
		if i < 0 || Properties[i].AliasOf != "" {
			t.Errorf("%s is an alias of %q, which is not a property", p.Name, p.AliasOf)
			continue
		}
		if p.Default != "" || p.Type != Properties[i].Type || !strings.HasPrefix(p.Description, "Deprecated") {
			t.Errorf("alias %s: want no default, the type of %s and a description saying it is deprecated", p.Name, p.AliasOf)
		}
	}
}

// TestPropertyTable: names are unique, types known, and every default
// parses; the status default is what the rules package loads without one.
func TestPropertyTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Properties {
		if seen[p.Name] {
			t.Errorf("%s listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.Type != TypeString && p.Type != TypeBool {
			t.Errorf("%s: type %q", p.Name, p.Type)
		}
		if p.set == nil || p.Description == "" {
			t.Errorf("%s: no setter or description", p.Name)
		}
		if p.Default != "" {
			if err := p.Check(p.Default); err != nil {
				t.Errorf("%s: default %q: %v", p.Name, p.Default, err)
			}
		}
	}
	cfg, err := parseProps(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Rules.Statuses, rules.DefaultStatuses) || !slices.Equal(cfg.TextKeys, DefaultTextKeys) {
		t.Errorf("defaults: statuses %q, text keys %q; want %q and %q", cfg.Rules.Statuses, cfg.TextKeys, rules.DefaultStatuses, DefaultTextKeys)
	}
}

// TestTagKeyMustNotBeAFormatKey: a tag_key the format writes itself would
// give a matching record the key twice.
func TestTagKeyMustNotBeAFormatKey(t *testing.T) {
	for _, tc := range []map[string]string{
		{"tag_key": "sigma"},
		{"tag_key": "alerts", "add_key": "alerts"},
		{"tag_key": "tags", "format": "ecs"},
		{"tag_key": "sigma_level", "format": "flat"},
	} {
		get := func(k string) (string, bool) { v, ok := tc[k]; return v, ok }
		if _, err := ParseConfig(get); err == nil || !strings.Contains(err.Error(), "tag_key") {
			t.Errorf("%v: got %v, want a tag_key error", tc, err)
		}
	}
	get := func(k string) (string, bool) {
		v, ok := map[string]string{"tag_key": "sigma", "format": "flat"}[k]
		return v, ok
	}
	if _, err := ParseConfig(get); err != nil {
		t.Errorf("tag_key sigma with format flat: %v", err)
	}
}
