package tests

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	jsoniter "github.com/json-iterator/go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/winlayout"
)

// The sharded topology of the README's "Scaling out", in one process: a
// routing tier (a sigma filter with shard_key) writes sigma_shard into every
// record; each record goes to a Kafka topic of n partitions keyed by it, as
// out_kafka's message_key_field does; n consumers in one consumer group
// take the partitions, as n in_kafka aggregators do. The broker is kfake,
// an in-process Kafka-protocol broker.

// shardTopic is the topic the routing tier produces to.
const shardTopic = "security"

// failedLogons returns a chunk of n Windows 4625 events as in_winevtlog
// ships them (event_data_as_map), from users user-0..users-1 at addresses
// 10.0.0.0..ips-1 (every seventh without an IpAddress), one second apart.
func failedLogons(n, users, ips int) []byte {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var chunk []byte
	for i := 0; i < n; i++ {
		var data fixture.Map
		for _, name := range winlayout.Layouts(winlayout.Security, 4625)[0] {
			switch {
			case name == "TargetUserName":
				data = append(data, fixture.KV{K: name, V: fmt.Sprintf("user-%d", i%users)})
			case name == "IpAddress" && i%7 == 6:
			case name == "IpAddress":
				data = append(data, fixture.KV{K: name, V: fmt.Sprintf("10.0.0.%d", i%ips)})
			case name == "LogonType":
				data = append(data, fixture.KV{K: name, V: "3"})
			default:
				data = append(data, fixture.KV{K: name, V: "-"})
			}
		}
		body := fixture.Map{{K: "ProviderName", V: winlayout.Security}, {K: "EventID", V: 4625}, {K: "Channel", V: "Security"},
			{K: "EventRecordID", V: 1000 + i}, {K: "Computer", V: "dc-01.corp.example.com"}, {K: "EventData", V: data}}
		chunk = fixture.Event(chunk, fixture.Time(start.Add(time.Duration(i)*time.Second)), nil, body)
	}
	return chunk
}

// chunkEvent is one record of a chunk of current-shape events with
// EventTime timestamps, as the fixtures write them.
type chunkEvent struct {
	seconds float64 // the Fluent Bit timestamp
	body    []byte
}

// chunkEvents splits such a chunk into its records.
func chunkEvents(t *testing.T, chunk []byte) []chunkEvent {
	t.Helper()
	var events []chunkEvent
	for off := 0; off < len(chunk); {
		_, p, err := msgpack.ReadArrayHeader(chunk, off) // [[ts, meta], body]
		if err == nil {
			_, p, err = msgpack.ReadArrayHeader(chunk, p)
		}
		// ts: fixext 8 of type 0, big-endian seconds and nanoseconds.
		if err != nil || p+10 > len(chunk) || chunk[p] != 0xd7 || chunk[p+1] != 0 {
			t.Fatalf("event at %d: not [[EventTime, metadata], body]", off)
		}
		seconds := float64(binary.BigEndian.Uint32(chunk[p+2:])) + float64(binary.BigEndian.Uint32(chunk[p+6:]))/1e9
		body, err := msgpack.Skip(chunk, p+10) // past the metadata
		if err != nil {
			t.Fatal(err)
		}
		end, err := msgpack.Skip(chunk, body)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, chunkEvent{seconds: seconds, body: chunk[body:end]})
		off = end
	}
	return events
}

// topValue returns the text of key's value in the map body (a string as
// it is, a number in decimal) and whether it is a string; found is false
// when the map lacks the key.
func topValue(t *testing.T, body []byte, key string) (text string, isStr, found bool) {
	t.Helper()
	n, p, err := msgpack.ReadMapHeader(body, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		k, vp, _, err := msgpack.ReadStr(body, p)
		if err != nil {
			t.Fatal(err)
		}
		if string(k) == key {
			v, _ := msgpack.ScalarText(body, vp, nil)
			return string(v), vp < len(body) && msgpack.IsStr(body[vp]), true
		}
		if p, err = msgpack.Skip(body, vp); err != nil {
			t.Fatal(err)
		}
	}
	return "", false, false
}

// kafkaMessage renders a record as out_kafka's Format json does: the
// record's keys after the timestamp under @timestamp (seconds, a float).
func kafkaMessage(t *testing.T, ev chunkEvent) []byte {
	t.Helper()
	n, p, err := msgpack.ReadMapHeader(ev.body, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := msgpack.AppendMapHeader(nil, n+1)
	m = msgpack.AppendFloat(msgpack.AppendStr(m, "@timestamp"), ev.seconds)
	m = append(m, ev.body[p:]...)
	var buf bytes.Buffer
	s := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 1024)
	if _, err := textevent.WriteMsgpack(s, m, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// appendArrived appends a consumed message as an aggregator's pipeline
// sees it: in_kafka (Format json) wraps it as {topic, partition, offset,
// error, key, payload}, timestamped at consumption (here the message's
// own time), and the nest filter lifts payload's keys to the top.
func appendArrived(t *testing.T, dst []byte, r *kgo.Record) []byte {
	t.Helper()
	payload, err := textevent.AppendJSONValue(nil, jsoniter.ConfigDefault.BorrowIterator(r.Value))
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	n, p, err := msgpack.ReadMapHeader(payload, 0)
	if err != nil {
		t.Fatal(err)
	}
	dst = msgpack.AppendArrayHeader(msgpack.AppendArrayHeader(dst, 2), 2)
	dst = msgpack.AppendMapHeader(fixture.Encode(dst, fixture.Time(r.Timestamp)), 0)
	dst = msgpack.AppendMapHeader(dst, 5+n)
	dst = msgpack.AppendStr(msgpack.AppendStr(dst, "topic"), r.Topic)
	dst = msgpack.AppendInt(msgpack.AppendStr(dst, "partition"), int64(r.Partition))
	dst = msgpack.AppendInt(msgpack.AppendStr(dst, "offset"), r.Offset)
	dst = msgpack.AppendNil(msgpack.AppendStr(dst, "error"))
	dst = msgpack.AppendStrBytes(msgpack.AppendStr(dst, "key"), r.Key)
	return append(dst, payload[p:]...)
}

// consumer is one aggregator's Kafka client and what it received.
type consumer struct {
	client *kgo.Client
	mu     sync.Mutex
	owned  map[int32]bool
	got    []*kgo.Record // as they arrived
}

func (c *consumer) assigned(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range parts[shardTopic] {
		c.owned[p] = true
	}
}

func (c *consumer) revoked(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range parts[shardTopic] {
		delete(c.owned, p)
	}
}

func (c *consumer) partitions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.owned)
}

// runSharded sends the records of chunk through the sharded topology with
// n aggregators and returns, per aggregator, the chunk of records it
// received, in the order they arrived, as its pipeline hands them to its
// sigma filter (in_kafka's wrapper lifted by nest). The routing tier keys
// on IpAddress.
func runSharded(t *testing.T, chunk []byte, n int) [][]byte {
	t.Helper()
	router, err := filter.New(filter.Config{ShardKey: []string{"IpAddress"}})
	if err != nil {
		t.Fatal(err)
	}
	routed, changed, err := router.Process(nil, chunk)
	if err != nil || !changed {
		t.Fatalf("routing tier: changed=%v err=%v", changed, err)
	}
	cluster, err := kfake.NewCluster(kfake.Ports(0), kfake.SeedTopics(int32(n), shardTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	seeds := kgo.SeedBrokers(cluster.ListenAddrs()...)

	consumers := startConsumers(t, seeds, n)
	defer func() {
		for _, c := range consumers {
			c.client.Close()
		}
	}()

	producer, err := kgo.NewClient(seeds, kgo.DefaultProduceTopic(shardTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	events := chunkEvents(t, routed)
	var batch []*kgo.Record
	for _, ev := range events {
		r := &kgo.Record{Value: kafkaMessage(t, ev)}
		// out_kafka's message_key_field: the record's top-level string;
		// librdkafka places an empty key at random, as it does no key.
		if key, isStr, _ := topValue(t, ev.body, filter.DefaultShardKeyName); isStr && key != "" {
			r.Key = []byte(key)
		}
		batch = append(batch, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := producer.ProduceSync(ctx, batch...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	return collect(ctx, t, consumers, len(events))
}

// startConsumers starts n consumers in one group and waits until each
// owns one partition, so that no record is consumed before the group has
// settled (a rebalance later could deliver one twice, which Kafka allows
// and this test would take for a routing fault).
func startConsumers(t *testing.T, seeds kgo.Opt, n int) []*consumer {
	t.Helper()
	consumers := make([]*consumer, n)
	for i := range consumers {
		c := &consumer{owned: map[int32]bool{}}
		client, err := kgo.NewClient(seeds, kgo.ConsumerGroup("aggregators"), kgo.ConsumeTopics(shardTopic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.HeartbeatInterval(100*time.Millisecond),
			kgo.FetchMaxWait(100*time.Millisecond),
			kgo.OnPartitionsAssigned(c.assigned), kgo.OnPartitionsRevoked(c.revoked), kgo.OnPartitionsLost(c.revoked))
		if err != nil {
			t.Fatal(err)
		}
		c.client = client
		consumers[i] = c
		go c.poll()
	}
	deadline := time.Now().Add(15 * time.Second)
	for settled := false; !settled; {
		if time.Now().After(deadline) {
			t.Fatal("the consumer group did not give each consumer one partition within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
		settled = true
		for _, c := range consumers {
			settled = settled && c.partitions() == 1
		}
	}
	return consumers
}

// poll keeps what the consumer receives until its client is closed.
func (c *consumer) poll() {
	for {
		fetches := c.client.PollFetches(context.Background())
		if fetches.IsClientClosed() {
			return
		}
		c.mu.Lock()
		fetches.EachRecord(func(r *kgo.Record) { c.got = append(c.got, r) })
		c.mu.Unlock()
	}
}

// collect waits until want records have arrived in all, and a little
// longer for any delivered twice, and returns each consumer's records as a
// chunk.
func collect(ctx context.Context, t *testing.T, consumers []*consumer, want int) [][]byte {
	t.Helper()
	total := func() int {
		sum := 0
		for _, c := range consumers {
			c.mu.Lock()
			sum += len(c.got)
			c.mu.Unlock()
		}
		return sum
	}
	for total() < want {
		if ctx.Err() != nil {
			t.Fatalf("%d of %d records arrived", total(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	out := make([][]byte, len(consumers))
	for i, c := range consumers {
		c.mu.Lock()
		for _, r := range c.got {
			out[i] = appendArrived(t, out[i], r)
		}
		c.mu.Unlock()
	}
	return out
}

// networkLogonRule matches the failed network logons from one address.
const networkLogonRule = `title: failed network logon from 10.0.0.7
id: 3c1d7a2e-4f0b-4c55-9d61-5a2f0e8b7c10
status: test
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625, LogonType: 3, IpAddress: 10.0.0.7}
  condition: sel
level: low
`

// TestShardedKafka: through the routing tier, a 3-partition topic and
// three consumers of one group, every record arrives exactly once, every
// record of one key value at one aggregator, and the aggregators' sigma
// filters together match what one node matches.
func TestShardedKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker and a consumer group (a few seconds)")
	}
	const n, records = 3, 600
	chunk := failedLogons(records, 25, 40)
	arrived := runSharded(t, chunk, n)

	seen := map[string]int{}    // EventRecordID -> times arrived
	shardOf := map[string]int{} // sigma_shard -> the aggregator it reached
	for i, c := range arrived {
		events := chunkEvents(t, c)
		if len(events) == 0 {
			t.Errorf("aggregator %d received nothing", i)
		}
		for _, ev := range events {
			id, _, _ := topValue(t, ev.body, "EventRecordID")
			seen[id]++
			key, isStr, found := topValue(t, ev.body, filter.DefaultShardKeyName)
			if !found || !isStr {
				t.Fatalf("record %s arrived without a string %s", id, filter.DefaultShardKeyName)
			}
			if key == "" { // no IpAddress: no Kafka key, any partition
				continue
			}
			if j, ok := shardOf[key]; ok && j != i {
				t.Errorf("records of %s=%q reached aggregators %d and %d", filter.DefaultShardKeyName, key, j, i)
			}
			shardOf[key] = i
		}
	}
	for i := 0; i < records; i++ {
		if id := fmt.Sprint(1000 + i); seen[id] != 1 {
			t.Errorf("record %s arrived %d times", id, seen[id])
		}
	}
	if len(seen) != records || len(shardOf) != 40 {
		t.Errorf("%d distinct records and %d key values arrived, want %d and 40", len(seen), len(shardOf), records)
	}

	dir := t.TempDir()
	writeFile(t, dir+"/logon.yml", networkLogonRule)
	cfg := filter.Config{RulePaths: []string{dir}}
	sharded := 0
	for _, c := range arrived {
		sharded += shardMatches(t, cfg, c)
	}
	if single := shardMatches(t, cfg, chunk); sharded != single || single == 0 {
		t.Errorf("the aggregators matched %d records, one node %d", sharded, single)
	}

	// Correlations grouped by the shard key: the aggregators, each with its
	// share and event time from @timestamp (their records are stamped at
	// consumption), raise the same alerts as one node on the whole input.
	writeFile(t, dir+"/correlations.yml", shardCorrelations)
	cfg = filter.Config{RulePaths: []string{dir}, TimeKey: "@timestamp"}
	var shardedAlerts []string
	for _, c := range arrived {
		shardedAlerts = append(shardedAlerts, correlationAlerts(t, cfg, c)...)
	}
	single := correlationAlerts(t, cfg, chunk)
	sort.Strings(shardedAlerts)
	sort.Strings(single)
	t.Logf("%d correlation alerts, the same from %d aggregators as from one node", len(single), n)
	if len(single) < 20 || strings.Join(single, "\n") != strings.Join(shardedAlerts, "\n") {
		t.Errorf("%d alerts from %d aggregators, %d from one node:\n%s\n--\n%s", len(shardedAlerts), n, len(single),
			strings.Join(shardedAlerts, "\n"), strings.Join(single, "\n"))
	}
}

// shardCorrelations are grouped by IpAddress, the routing tier's key:
// failed logons per address, distinct accounts per address, and fewer
// than 20 per address in ten minutes (decided when a window closes).
const shardCorrelations = `title: failed logons from one address
id: 11111111-0000-0000-0000-000000000001
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 2m
  condition: {gte: 3}
---
title: many accounts from one address
id: 11111111-0000-0000-0000-000000000002
correlation:
  type: value_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 10m
  condition: {field: TargetUserName, gte: 4}
---
title: few failures from one address
id: 11111111-0000-0000-0000-000000000003
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 10m
  condition: {lt: 20}
---
title: failed logon
id: 11111111-0000-0000-0000-000000000004
name: failed_logon
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
`

// filterChunk runs chunk through a new filter of cfg, as one aggregator,
// and returns the filter and what it passed on.
func filterChunk(t *testing.T, cfg filter.Config, chunk []byte) (*filter.Filter, []byte) {
	t.Helper()
	f, err := filter.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, changed, err := f.Process(nil, chunk)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		out = chunk
	}
	return f, out
}

// correlationAlerts runs chunk through a new filter of cfg, as one
// aggregator, decides the windows still open at the end, and lists its
// correlation alerts as "id group value window".
func correlationAlerts(t *testing.T, cfg filter.Config, chunk []byte) []string {
	t.Helper()
	f, out := filterChunk(t, cfg, chunk)
	out = f.Flush(out)
	var alerts []string
	for _, ev := range chunkEvents(t, out) {
		var rec struct {
			Sigma struct {
				Matches []struct {
					ID     string
					Type   string
					Group  map[string]string
					Value  float64
					Window struct{ Start, End string }
				}
			}
		}
		var buf bytes.Buffer
		stream := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 1024)
		if _, err := textevent.WriteMsgpack(stream, ev.body, 0); err != nil {
			t.Fatal(err)
		}
		stream.Flush()
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		for _, m := range rec.Sigma.Matches {
			if m.Type != "" {
				alerts = append(alerts, fmt.Sprintf("%s %v %g %s..%s", m.ID, m.Group, m.Value, m.Window.Start, m.Window.End))
			}
		}
	}
	return alerts
}

// shardMatches runs chunk through a new filter of cfg, as one aggregator,
// and counts the records it enriched.
func shardMatches(t *testing.T, cfg filter.Config, chunk []byte) int {
	t.Helper()
	_, out := filterChunk(t, cfg, chunk)
	matched := 0
	for _, ev := range chunkEvents(t, out) {
		if _, _, found := topValue(t, ev.body, filter.DefaultAddKey); found {
			matched++
		}
	}
	return matched
}
