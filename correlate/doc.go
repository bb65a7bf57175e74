// Package correlate is the stateful engine behind Sigma correlation rules:
// it counts matches of referenced rules per (correlation, group-by values)
// over event time and reports the groups that meet a condition. It knows
// nothing of rules or records; the filter translates a correlation into a
// Spec and each match into an Event. All times are int64 nanoseconds since
// the Unix epoch, taken from the events (never the wall clock).
//
// # Windows and decisions
//
// A condition whose bounds are all gt/gte (more events can only make it
// true) is checked on every event over the sliding window [t-Window, t],
// t being the group's newest event time, and fires as soon as it holds.
// The group's state then restarts, so a burst of 2N events over a
// threshold of N fires twice. (For value_avg, value_percentile and a
// value_sum over negative numbers "can only become true" is not strictly
// so; they still fire as soon as the sliding window meets the bounds.)
//
// Any other condition (lt, lte, eq, neq, a range with an upper bound) is
// decided when event time passes the window's end: a group's window opens
// at its first counted event s and ends at s+Window (inclusive). The
// engine's watermark is the newest event time it has seen; Observe (at the
// watermark) and Advance(now) decide every window whose end is before the
// watermark/now, emitting an Alert with Closed set when the condition
// holds. The group then restarts with the events after that end. Observe
// decides the windows of the shard it touches; Advance those of every
// shard, at the cost of one atomic load per shard when nothing is due.
//
// value_percentile read as rarity (Kind ValueShare) is judged on each
// event: the share, in percent, of the group's events in the sliding window
// (this one included) whose value equals this event's. It fires on that
// event and never restarts the group (the sample is the baseline).
// Temporal kinds without bounds require all Refs; with bounds they compare
// the number of distinct rules seen (temporal) or the length of the prefix
// of the rules list seen in order (temporal_ordered; equal times count as
// in order).
//
// # Late events
//
// An event older than its group's newest event but within MaxDelay
// (default Window) counts by its own time in the current window; for a
// sliding event_count of up to 4096 (timesAgg) it also completes any
// window holding it, up to a Window late, and the count then restarts
// after that window's end. A group of a spec whose window slides is freed
// one Window later than others: a record not yet late may need it. Older
// ones, events at or
// before the end of the group's last decided window, and events older than
// watermark-Window-MaxDelay (their group may already be freed) are counted
// in Counters.Late and ignored. Decisions are never revisited. In a
// window-close spec, a late event older than the open window's start (but
// after the previous window's end) counts in the open window.
//
// # Memory
//
// Per group, bounded by the condition: event_count keeps the newest 2N-1
// event times of the last Window and min(MaxDelay, Window) before it for
// lower bounds (N the smallest count meeting them; the time before for
// late events), as 32-bit
// offsets in units of Window/2^30 (so a count may include an event up to
// that unit, two for a window a late event completes, about 3.4 µs a unit
// for 1h, older than the window; beyond N = 4096
// it counts in buckets like value_sum), and a single counter for window-close
// conditions; value_count at most N (sliding) or max bound + 1 (window
// close) distinct values, and the reported count is exact up to there;
// temporal kinds 8 times per referenced rule (for temporal_ordered those
// a sequence can still use); value_sum and
// value_avg a sum and count for window-close conditions and 33 buckets of
// Window/32 for sliding ones, so up to Window/32 of events older than the
// window's start may count; value_percentile (both readings) a sample of
// the newest 1024 events of the window: exact below that, the newest 1024
// above it. Measured (BenchmarkGroupsMemory, 100,000 groups): 251 bytes per
// group for event_count gte 10, 191 for lt 10, about 400 for value_count
// and temporal, 1 KB for sliding value_sum.
//
// At most MaxGroups groups per spec (default 100000): a new group beyond
// that evicts a least recently updated one (Counters.Evicted). Groups are
// split over up to 64 shards (one per 1024 groups of MaxGroups, so limits
// under 2048 use one shard); the victim is the least recently updated group
// of the shard the new group lands in, which with many groups is close to
// the global one and below 2048 is exact. Groups whose newest event is
// older than watermark-Window-MaxDelay, with no open window and no running
// suppression, are freed as event time advances: a few per Observe (from
// its shard's LRU tail) and one shard per Advance.
//
// # Alerts
//
// Alert.Start/End is the window that met the condition: [t-Window, t] for
// sliding conditions, [s, s+Window] for window-close ones. Suppress mutes
// alerts of the same spec and group whose End is within Suppress of the
// last emitted alert's End (Counters.Suppressed); the state restarts as if
// it had fired.
//
// # Concurrency
//
// Observe, Advance, Counters and Save may be called from several
// goroutines. Groups are sharded by a hash of their key, one mutex per
// shard; the watermark and counters are atomics.
package correlate
