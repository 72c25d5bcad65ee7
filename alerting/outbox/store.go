package outbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Store is the part of the state store the outbox uses (analysis/state
// implements it on SQLite and PostgreSQL). Leases make every event routed
// once and every delivery attempted by one replica at a time.
type Store interface {
	// PendingEvents returns up to limit outbox events not yet routed,
	// oldest first (by At, then ID).
	PendingEvents(ctx context.Context, limit int) ([]analysis.OutboxEvent, error)
	// AcquireRouter takes or renews the router lease for owner until
	// now+lease and returns the router state last committed (nil if none).
	// ok is false while another owner holds an unexpired lease.
	AcquireRouter(ctx context.Context, owner string, now time.Time, lease time.Duration) (state json.RawMessage, ok bool, err error)
	// CommitRouting writes c in one transaction if owner still holds the
	// router lease (analysis.ErrLeaseLost otherwise, and nothing is
	// written).
	CommitRouting(ctx context.Context, owner string, c analysis.RoutingCommit) error
	// ReleaseRouter gives the router lease up.
	ReleaseRouter(ctx context.Context, owner string) error

	// ClaimDeliveries leases to owner, until now+lease, up to limit pending
	// deliveries whose NextAttempt ≤ now and that no unexpired lease holds,
	// by NextAttempt then ID, leaving out those to the receivers in skip.
	// Concurrent callers never get the same delivery.
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]analysis.OutboxDelivery, error)
	// CommitAttempt records an attempt and the delivery's new status, and
	// releases the lease, if owner holds it (analysis.ErrLeaseLost
	// otherwise, and nothing is written).
	CommitAttempt(ctx context.Context, owner string, o analysis.AttemptOutcome) error
	// ListDeliveries returns an experiment's deliveries, newest first,
	// each with its History.
	ListDeliveries(ctx context.Context, experimentID string) ([]analysis.OutboxDelivery, error)
	// GetDelivery returns one delivery with its History
	// (analysis.ErrNotFound).
	GetDelivery(ctx context.Context, id string) (analysis.OutboxDelivery, error)
	// RetryDelivery makes a dead delivery pending again, due at now; its
	// history is kept (analysis.ErrNotFound, analysis.ErrNotDead).
	RetryDelivery(ctx context.Context, id string, now time.Time) (analysis.OutboxDelivery, error)
	// PruneOutbox deletes routed events older than before.
	PruneOutbox(ctx context.Context, before time.Time) (int, error)
}
