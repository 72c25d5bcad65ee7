package jaeger

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Reserved selector labels; every other matcher is a tag filter.
const (
	labelService     = "service"
	labelOperation   = "operation"
	labelMinDuration = "min_duration"
	labelMaxDuration = "max_duration"
	labelLimit       = "limit"
)

// Trace limits: how many traces one query asks for unless it says
// limit="N", and the most it may ask for.
const (
	DefaultLimit = 1000
	MaxLimit     = 10000
)

// search is a parsed trace selector.
type search struct {
	service   string
	operation string
	// tags are span, process or log tags the matched spans must carry.
	tags                     map[string]string
	minDuration, maxDuration time.Duration
	limit                    int
}

// parseSelector reads a trace selector such as
//
//	{service="checkout", operation="GET /cart", "service.version"="v2", min_duration="5ms"}
//
// Every matcher must be an equality. service is required; operation,
// min_duration, max_duration (Go durations: 500us, 5ms, 1.5s) and limit
// (1..MaxLimit) are optional; any other label is a tag filter.
func parseSelector(expr string) (search, error) {
	ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(expr)
	if err != nil {
		return search{}, fmt.Errorf("trace selector %s: %w", expr, err)
	}
	s := search{tags: map[string]string{}, limit: DefaultLimit}
	seen := map[string]bool{}
	for _, m := range ms {
		if m.Name == model.MetricNameLabel {
			return search{}, fmt.Errorf("trace selector %s: a trace selector has no metric name, write {service=%q, ...}", expr, m.Value)
		}
		if m.Type != labels.MatchEqual {
			return search{}, fmt.Errorf("trace selector %s: matcher %s: only equality (=) is supported, Jaeger cannot search by %s", expr, m, m.Type)
		}
		if seen[m.Name] {
			return search{}, fmt.Errorf("trace selector %s: label %q is given twice", expr, m.Name)
		}
		seen[m.Name] = true
		if err := s.set(m.Name, m.Value); err != nil {
			return search{}, fmt.Errorf("trace selector %s: matcher %s: %w", expr, m, err)
		}
	}
	if s.service == "" {
		return search{}, fmt.Errorf("trace selector %s: service is required, e.g. {service=\"checkout\"}", expr)
	}
	if s.maxDuration > 0 && s.minDuration > s.maxDuration {
		return search{}, fmt.Errorf("trace selector %s: min_duration %s is above max_duration %s", expr, s.minDuration, s.maxDuration)
	}
	return s, nil
}

// set applies one equality matcher.
func (s *search) set(name, value string) error {
	switch name {
	case labelService:
		s.service = value
	case labelOperation:
		s.operation = value
	case labelMinDuration, labelMaxDuration:
		d, err := parseDuration(value)
		if err != nil {
			return err
		}
		if name == labelMinDuration {
			s.minDuration = d
		} else {
			s.maxDuration = d
		}
	case labelLimit:
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > MaxLimit {
			return fmt.Errorf("limit must be a whole number of traces within 1..%d", MaxLimit)
		}
		s.limit = n
	default:
		if value == "" {
			return fmt.Errorf("tag %q needs a value: Jaeger cannot search for a missing tag", name)
		}
		s.tags[name] = value
	}
	return nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 500us, 5ms or 1.5s: %w", err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration must be positive, got %s", d)
	}
	return d, nil
}
