package state

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/augurhq/augur/analysis"
)

// dbTime scans a stored time: microseconds since the epoch (SQLite) or a
// timestamptz (PostgreSQL), NULL as the zero time. It returns UTC.
type dbTime struct{ time.Time }

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
	case int64:
		t.Time = time.UnixMicro(v).UTC()
	case time.Time:
		t.Time = v.UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// ptr returns nil for the zero time.
func (t dbTime) ptr() *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

// jsonArg marshals v for a JSON column. Bound as a string: SQLite's STRICT
// TEXT columns refuse blobs, and pgx sends strings to json and jsonb alike.
func jsonArg(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("state: encode %s: %w", what, err)
	}
	return string(b), nil
}

// nullJSON is a nullable JSON column's parameter: NULL for an empty
// message.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// verdictArg encodes an optional verdict, NULL when nil.
func verdictArg(v *analysis.Verdict) (any, error) {
	if v == nil {
		return nil, nil
	}
	return jsonArg("verdict", v)
}

type scanner interface{ Scan(dest ...any) error }

const experimentColumns = "id, spec, created_at, updated_at, version, template_name, instance_key"

func scanExperiment(sc scanner) (analysis.ExperimentRecord, error) {
	var (
		e                analysis.ExperimentRecord
		spec             []byte
		created, updated dbTime
		template, key    sql.NullString
	)
	if err := sc.Scan(&e.ID, &spec, &created, &updated, &e.Version, &template, &key); err != nil {
		return e, err
	}
	e.CreatedAt, e.UpdatedAt = created.Time, updated.Time
	e.Template, e.Key = template.String, key.String
	if err := json.Unmarshal(spec, &e.Spec); err != nil {
		return e, fmt.Errorf("experiment %s: decode spec: %w", e.ID, err)
	}
	return e, nil
}

func scanRun(sc scanner) (analysis.Run, error) {
	r, _, err := scanQueuedRun(sc)
	return r, err
}

// scanQueuedRun scans runColumns and returns the run with its place in the
// claim queue (sched_at).
func scanQueuedRun(sc scanner) (analysis.Run, time.Time, error) {
	var (
		r                              analysis.Run
		spec, state, verdict           []byte
		leaseOwner                     sql.NullString
		started, due, leaseUntil       dbTime
		created, updated, ended, sched dbTime
	)
	if err := sc.Scan(&r.ID, &r.ExperimentID, &spec, &r.Status, &started, &r.NextIndex, &due,
		&state, &verdict, &leaseOwner, &leaseUntil, &created, &updated, &ended, &sched); err != nil {
		return r, sched.Time, err
	}
	r.StartedAt, r.NextDue, r.LeaseUntil = started.Time, due.Time, leaseUntil.Time
	r.CreatedAt, r.UpdatedAt, r.EndedAt = created.Time, updated.Time, ended.ptr()
	r.LeaseOwner = leaseOwner.String
	if len(state) > 0 {
		r.State = json.RawMessage(state)
	}
	if err := json.Unmarshal(spec, &r.Spec); err != nil {
		return r, sched.Time, fmt.Errorf("run %s: decode spec: %w", r.ID, err)
	}
	if len(verdict) > 0 {
		r.Verdict = new(analysis.Verdict)
		if err := json.Unmarshal(verdict, r.Verdict); err != nil {
			return r, sched.Time, fmt.Errorf("run %s: decode verdict: %w", r.ID, err)
		}
	}
	return r, sched.Time, nil
}

// schedAt is the place in the claim queue of a run stored as given: a
// running or paused run's NextDue; an ended run (never claimed) its end,
// else its creation.
func schedAt(r analysis.Run) time.Time {
	switch {
	case r.Status.Active():
		return r.NextDue
	case r.EndedAt != nil:
		return *r.EndedAt
	}
	return r.CreatedAt
}

const intervalColumns = "run_id, idx, verdict, replica, created_at"

func scanInterval(sc scanner) (analysis.IntervalResult, error) {
	var (
		res     analysis.IntervalResult
		verdict []byte
		created dbTime
	)
	if err := sc.Scan(&res.RunID, &res.Index, &verdict, &res.Replica, &created); err != nil {
		return res, err
	}
	res.CreatedAt = created.Time
	if err := json.Unmarshal(verdict, &res.Verdict); err != nil {
		return res, fmt.Errorf("interval %s/%d: decode verdict: %w", res.RunID, res.Index, err)
	}
	return res, nil
}
