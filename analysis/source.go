package analysis

import (
	"context"
	"time"
)

// Query asks a Source for the values of one PromQL expression, evaluated
// every Step over [Start, End].
type Query struct {
	Expr       string
	Start, End time.Time
	Step       time.Duration
}

// Source fetches metric values. It returns the values of every step of
// every series the query yields (no values and no error when there is no
// data), and an error only when it could not answer: the engine turns that
// into an Error result, never a Fail.
type Source interface {
	Fetch(ctx context.Context, q Query) ([]float64, error)
}

// Notification is what a Sink delivers when a run ends.
type Notification struct {
	ExperimentID string
	Webhooks     []string
	Verdict      Verdict
}

// Sink publishes verdicts (webhooks, rollout gates, alert routing...).
type Sink interface {
	Publish(ctx context.Context, n Notification) error
}
