package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// RunStatus is where a run is in its life.
type RunStatus string

// Run statuses. Running and paused runs are active; the rest are final.
const (
	RunRunning   RunStatus = "running"   // intervals are being judged as they come due
	RunPaused    RunStatus = "paused"    // nothing is judged until resumed
	RunCompleted RunStatus = "completed" // a final verdict was reached
	RunAborted   RunStatus = "aborted"   // stopped by a user (verdict inconclusive) or a matching alert (fail)
)

// Active reports whether the run may still judge intervals.
func (s RunStatus) Active() bool { return s == RunRunning || s == RunPaused }

// Store errors.
var (
	// ErrNotFound: no experiment or run with that ID.
	ErrNotFound = errors.New("not found")
	// ErrLeaseLost: the caller no longer holds the run's lease (it expired
	// and another replica took the run over); its work must be dropped.
	ErrLeaseLost = errors.New("run lease lost")
	// ErrConflict: the change contradicts the stored state (a second active
	// run, an interval recorded twice, a stale version).
	ErrConflict = errors.New("conflict")
)

// ExperimentRecord is a stored experiment: a spec and its identity. What
// happened to it is in its runs.
type ExperimentRecord struct {
	ID        string    `json:"id"`
	Spec      Spec      `json:"spec"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version grows by one with every update (optimistic concurrency).
	Version int64 `json:"version"`
	// Template and Key name the template and idempotency key the
	// experiment was instantiated from ("" when created directly).
	Template string `json:"template,omitempty"`
	Key      string `json:"key,omitempty"`
}

// Run is one execution of an experiment: its intervals are judged as they
// come due until a final verdict. Spec is the experiment's spec when the
// run started, so editing an experiment never changes a run in flight.
type Run struct {
	ID           string    `json:"id"`
	ExperimentID string    `json:"experiment_id"`
	Spec         Spec      `json:"spec"`
	Status       RunStatus `json:"status"`
	// StartedAt anchors the run's interval schedule.
	StartedAt time.Time `json:"started_at"`
	// NextIndex is the next interval to judge (0-based); NextDue is when it
	// comes due (its window end plus the settle delay).
	NextIndex int       `json:"next_index"`
	NextDue   time.Time `json:"next_due"`
	// State is the engine's carried state (limit counters, sequential
	// test state), opaque to the store.
	State json.RawMessage `json:"state,omitempty"`
	// Verdict is the final verdict, set once when the run ends. It goes
	// out as the run's outbox event, committed with it (see OutboxEvent):
	// whether a receiver took it is the outbox deliveries' status.
	Verdict    *Verdict   `json:"verdict,omitempty"`
	LeaseOwner string     `json:"lease_owner,omitempty"`
	LeaseUntil time.Time  `json:"lease_until,omitzero"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
}

// IntervalResult is the judgement of one interval of a run.
type IntervalResult struct {
	RunID string `json:"run_id"`
	Index int    `json:"index"`
	// Verdict holds the interval's window, outcome, score and metrics.
	Verdict   Verdict   `json:"verdict"`
	CreatedAt time.Time `json:"created_at"`
	// Replica is the replica that judged it.
	Replica string `json:"replica,omitempty"`
}

// Store keeps experiments, runs, interval results and final verdicts, and
// hands out run leases so that each interval is judged by exactly one
// replica. Implementations: analysis/state (SQLite, PostgreSQL).
type Store interface {
	CreateExperiment(ctx context.Context, e ExperimentRecord) error
	GetExperiment(ctx context.Context, id string) (ExperimentRecord, error)
	// ListExperiments returns experiments newest first.
	ListExperiments(ctx context.Context) ([]ExperimentRecord, error)
	// UpdateExperiment replaces the spec if e.Version is the stored
	// version (ErrConflict otherwise) and stores it with Version+1.
	UpdateExperiment(ctx context.Context, e ExperimentRecord) (ExperimentRecord, error)
	// DeleteExperiment removes the experiment with its runs and results.
	DeleteExperiment(ctx context.Context, id string) error

	// CreateRun stores a new run; ErrConflict if the experiment already
	// has an active run.
	CreateRun(ctx context.Context, r Run) error
	GetRun(ctx context.Context, id string) (Run, error)
	// ListRuns returns an experiment's runs, newest first.
	ListRuns(ctx context.Context, experimentID string) ([]Run, error)
	// ListIntervals returns up to limit (> 0) of a run's interval results
	// with an index above after, in index order; after -1 starts at the
	// first.
	ListIntervals(ctx context.Context, runID string, after, limit int) ([]IntervalResult, error)
	// LatestInterval returns the run's interval result of the highest
	// index; ok is false when none was judged yet.
	LatestInterval(ctx context.Context, runID string) (res IntervalResult, ok bool, err error)
	// SetRunStatus changes an active run's status (pause, resume, abort),
	// and with abort sets its final verdict; resuming sets NextDue.
	// ErrConflict if the run is no longer active.
	SetRunStatus(ctx context.Context, runID string, status RunStatus, nextDue time.Time, final *Verdict) error

	// ClaimDue leases to owner, until now+lease, up to limit runs that are
	// running with NextDue ≤ now and that no unexpired lease holds; a
	// paused or ended run is never claimed. Runs come in queue order: by
	// NextDue, except that a run that yielded is queued at the time it
	// yielded. Concurrent callers never get the same run (PostgreSQL: FOR
	// UPDATE SKIP LOCKED).
	ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Run, error)
	// RenewLease extends owner's lease on a run; ErrLeaseLost if owner
	// does not hold it.
	RenewLease(ctx context.Context, runID, owner string, until time.Time) error
	// CommitInterval records res and the run's new state (NextIndex,
	// NextDue, State, and Status, Verdict, EndedAt when it ended) in one
	// transaction, only if owner still holds the lease (ErrLeaseLost
	// otherwise) and the run is still running (ErrConflict otherwise:
	// paused or aborted meanwhile). An interval is recorded at most once.
	CommitInterval(ctx context.Context, owner string, r Run, res IntervalResult) error
	// ReleaseLease gives the lease up (done for now, or shutting down).
	ReleaseLease(ctx context.Context, runID, owner string) error
	// YieldLease gives the lease up on a running run that still has
	// intervals due, queueing it at at: ClaimDue hands out the runs due
	// before at first.
	YieldLease(ctx context.Context, runID, owner string, at time.Time) error
	TemplateStore
	Close() error
}
