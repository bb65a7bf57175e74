package filter

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// Sharding: with shard_key set, every record (matching or not) gets one
// more top-level string key, shard_key_name, that a routing tier hands to
// out_kafka's message_key_field or to rewrite_tag, so that every record of
// one correlation group reaches the same aggregator. The key's fields get
// slots in the field index like any rule field, so they are found in
// every record shape the rules are.

// DefaultShardKeyName is the default of the shard_key_name property.
const DefaultShardKeyName = "sigma_shard"

// shardSeparator joins the values of several shard_key fields.
const shardSeparator = '|'

// sharding is what shard_key writes into each record.
type sharding struct {
	name   string // shard_key_name
	slots  []int  // per shard_key field, in order: its slot in the field index
	shards uint64 // 0: the joined values themselves; N: shardOf(joined, N)
}

// shardOf is the shard number, 0 to shards-1, of a joined shard_key
// value: FNV-1a 64 (offset basis 14695981039346656037, prime
// 1099511628211) of its bytes, modulo shards. It is part of the plugin's
// contract: routing tiers of different versions must agree on it, so it
// never changes (a test pins it). shards must not be 0.
func shardOf(joined []byte, shards uint64) uint64 {
	const (
		offsetBasis = 14695981039346656037
		prime       = 1099511628211
	)
	h := uint64(offsetBasis)
	for _, c := range joined {
		h ^= uint64(c)
		h *= prime
	}
	return h % shards
}

// shardFields returns the field names the filter's index needs: the rule
// set's, then each shard_key field the rules do not read. Slots of the
// rule set's fields stay where the rules expect them. It also returns the
// sharding cfg asks for, nil when shard_key is unset.
func shardFields(cfg Config, ruleFields []string) ([]string, *sharding) {
	if len(cfg.ShardKey) == 0 {
		return ruleFields, nil
	}
	fields := slices.Clip(ruleFields) // appending copies: the set's slice is not ours
	sh := &sharding{name: cfg.ShardKeyName, shards: uint64(max(cfg.Shards, 0))}
	if sh.name == "" {
		sh.name = DefaultShardKeyName
	}
	for _, name := range cfg.ShardKey {
		slot := slices.Index(fields, name)
		if slot < 0 {
			slot = len(fields)
			fields = append(fields, name)
		}
		sh.slots = append(sh.slots, slot)
	}
	return fields, sh
}

// appendAddition builds the shard key's value for the record r holds into
// vals and adds it to adds. The value is a string: the fields' text joined
// with shardSeparator (a field the record lacks, or holds as null, a map
// or several values, is empty), or that text's shard number in decimal.
func (sh *sharding) appendAddition(vals []byte, adds []addition, r *record) ([]byte, []addition) {
	// The joined text is built at the end of vals and the value appended
	// after it: appending from vals to itself is safe, since a
	// reallocation leaves the old array (and the text in it) intact.
	start := len(vals)
	for i, slot := range sh.slots {
		if i > 0 {
			vals = append(vals, shardSeparator)
		}
		if text, ok := r.Field(slot); ok {
			vals = append(vals, text...)
		}
	}
	joined := vals[start:]
	valueStart := len(vals)
	if sh.shards > 0 {
		var digits [20]byte
		vals = msgpack.AppendStrBytes(vals, strconv.AppendUint(digits[:0], shardOf(joined, sh.shards), 10))
	} else {
		vals = msgpack.AppendStrBytes(vals, joined)
	}
	return vals, append(adds, addition{key: sh.name, start: valueStart, end: len(vals), mode: replace})
}

// checkShard reports a shard configuration that cannot work: a key name
// that matches would also write (the record would hold it twice) or that
// names a shard_key field, or a negative number of shards.
func checkShard(cfg Config) error {
	if len(cfg.ShardKey) == 0 {
		return nil
	}
	if cfg.Shards < 0 {
		return fmt.Errorf("filter: %w: shards: %d is negative", ErrBadProperty, cfg.Shards)
	}
	name, addKey := cfg.ShardKeyName, cfg.AddKey
	if name == "" {
		name = DefaultShardKeyName
	}
	if addKey == "" {
		addKey = DefaultAddKey
	}
	if slices.Contains(cfg.Format.WrittenKeys(addKey), name) || name == cfg.TagKey {
		return fmt.Errorf("filter: %w: shard_key_name: %q is a key matches write (format %s, or tag_key); choose another (e.g. %s)",
			ErrBadProperty, name, cfg.Format, DefaultShardKeyName)
	}
	if field, ok := shardSource(cfg, name); ok {
		// Writing the key would replace the value it is computed from.
		return fmt.Errorf("filter: %w: shard_key_name: %q is where records keep the shard_key field %s, which the key would replace; choose another (e.g. %s)",
			ErrBadProperty, name, field, DefaultShardKeyName)
	}
	return nil
}

// shardSource returns the shard_key field that some record shape keeps
// under the top-level key name (the field itself, the map of a nested
// path: "source" of source.ip, "winlog" of Winlogbeat's fields, a
// field_map path's first key, a text key such as log, whose JSON or XML
// event holds every field).
func shardSource(cfg Config, name string) (string, bool) {
	if slices.Contains(textKeysOr(cfg.TextKeys), name) && len(cfg.ShardKey) > 0 {
		return cfg.ShardKey[0], true // a record carried as text keeps every field there
	}
	for _, field := range cfg.ShardKey {
		paths := append(fieldPaths(field), cfg.FieldMap[field]...)
		for _, p := range paths {
			if len(p) > 0 && p[0] == name {
				return field, true
			}
		}
	}
	return "", false
}

// parseShards reads the shards property: an integer from 0.
func parseShards(v string) (int, error) {
	n, ok := parseIntIn(v, 0, math.MaxInt)
	if !ok {
		return 0, fmt.Errorf("%q is not a number of shards (0 writes the key values, N >= 1 a shard number 0..N-1)", v)
	}
	return n, nil
}
