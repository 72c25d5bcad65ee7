// Package embedded is the analysis.Source over augur's own store: PromQL
// range and instant queries evaluated in process.
//
// It depends on a small interface (Range, Instant) that
// collector/store.Store satisfies; it must not import collector, web or
// alerting (its tests use the real store through
// collector/store/storetest and run the conformance suite of
// analysis/source/sourcetest).
package embedded
