package collector

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// The rules every receiver applies to what it stores, whatever the
// protocol: label names and values are valid UTF-8 (a series or stream that
// breaks it is rejected, never repaired), and sample times are inside the
// window the store accepts.

// ValidateLabel reports why one label cannot be stored: an empty or
// invalid UTF-8 name, a value that is not valid UTF-8, or an empty metric
// name. It is Prometheus' UTF-8 label rule, with a message naming the label.
func ValidateLabel(name, value string) error {
	switch {
	case name == "":
		return errors.New("empty label name")
	case !utf8.ValidString(name):
		return fmt.Errorf("label name %q is not valid UTF-8", truncate(name, 64))
	case !utf8.ValidString(value):
		return fmt.Errorf("label %s: value %q is not valid UTF-8", truncate(name, 64), truncate(value, 64))
	case name == model.MetricNameLabel && value == "":
		return errors.New("empty metric name")
	}
	return nil
}

// ValidateLabels reports the first label of ls that ValidateLabel refuses.
func ValidateLabels(ls labels.Labels) error {
	var err error
	ls.Range(func(l labels.Label) {
		if err == nil {
			err = ValidateLabel(l.Name, l.Value)
		}
	})
	return err
}

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
