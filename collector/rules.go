package collector

import (
	"math"
	"time"
)

// The rules every receiver applies to what it stores, whatever the
// protocol: sample times are inside the window the store accepts.

// TimeChecker is a store that bounds the sample times it accepts
// (collector/store.Store does): the derivations ask it per span, data point
// or log record before grouping, so that only the offending one is
// rejected. The store's appenders refuse the same times, so a path that
// does not ask is still bounded, only less finely.
type TimeChecker interface {
	CheckTime(t int64) error
}

// TimeCheck returns target's sample time check when it is a TimeChecker,
// or else one accepting every time.
func TimeCheck(target any) func(t int64) error {
	if c, ok := target.(TimeChecker); ok {
		return c.CheckTime
	}
	return func(int64) error { return nil }
}

// nanosToMillis converts an OTLP timestamp (unsigned nanoseconds) to
// milliseconds, saturating instead of wrapping past int64.
func nanosToMillis(ns uint64) int64 {
	if ns > math.MaxInt64 {
		return math.MaxInt64 / int64(time.Millisecond)
	}
	return int64(ns) / int64(time.Millisecond)
}
