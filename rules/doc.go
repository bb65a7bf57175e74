// Package rules compiles Sigma rules into an immutable, concurrency-safe Set
// and matches it against events.
//
// Rules are parsed by github.com/bradleyjkemp/sigma-go (its YAML model and
// condition parser) but evaluated by this package: every value is turned into
// a case-folded pattern once, every search identifier pattern ("1 of
// filter_*", "them") is expanded once, and the logsource becomes a guard on
// the event's ID, channel and provider. Matching reads an event only through
// the Event interface, so the package knows nothing of msgpack, JSON or
// Fluent Bit; the filter package implements Event over raw records.
package rules
