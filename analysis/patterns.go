package analysis

import (
	"context"
	"time"
)

// PatternCatalog describes mined log patterns: their text, and recent
// example lines with trace IDs of the records a selector matches. A Sources
// that implements it gives logpatterns results their pattern text and
// examples; without it a result names patterns by ID and counts only.
// It is consulted only for metrics that read the embedded store, whose
// pattern IDs are the catalog's.
type PatternCatalog interface {
	// Pattern returns pattern id as seen in the records selector matches.
	// selector is label matchers without braces (service_name="checkout",
	// service_version="v2"): the matchers the metric's query applied to the
	// cohort's pattern series. found is false when the catalog does not
	// know id (never seen, or forgotten).
	Pattern(ctx context.Context, id, selector string) (info PatternInfo, found bool, err error)
}

// PatternInfo is what a PatternCatalog knows of one pattern.
type PatternInfo struct {
	// Template is the pattern's text, variable parts as <*>.
	Template string
	// Examples are recent lines of the selected records, oldest first.
	Examples []PatternExample
	// Note qualifies the examples, or says why there are none although the
	// pattern is known (e.g. the selector names labels the catalog cannot
	// tell apart).
	Note string
}

// PatternExample is one log line of a pattern.
type PatternExample struct {
	Time    time.Time `json:"time"`
	Line    string    `json:"line"`
	TraceID string    `json:"trace_id,omitempty"`
}
