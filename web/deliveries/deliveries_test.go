package deliveries

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/web"
	"github.com/augurhq/augur/web/gates"
)

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// fakeStore keeps experiments and deliveries in memory; err, when set, is
// returned by every call (a database that fails).
type fakeStore struct {
	mu          sync.Mutex
	experiments map[string]bool
	deliveries  []analysis.OutboxDelivery // newest first
	err         error
	// raceTo, when set, is the status a delivery takes between GetDelivery
	// and RetryDelivery (the loop sent it, or another retry won).
	raceTo   analysis.DeliveryStatus
	retryNow time.Time
}

func newStore() *fakeStore {
	att := func(n int, ok bool, e string) analysis.DeliveryAttempt {
		return analysis.DeliveryAttempt{N: n, At: t0.Add(time.Duration(n) * time.Minute), Replica: "r1", OK: ok, Error: e, DurationMS: 12}
	}
	msg := json.RawMessage(`{"id":"msg","event":"verdict","name":"checkout","verdict":"fail"}`)
	d := func(id, exp, receiver string, st analysis.DeliveryStatus, created time.Duration, hist ...analysis.DeliveryAttempt) analysis.OutboxDelivery {
		return analysis.OutboxDelivery{ID: id, Receiver: receiver, ExperimentID: exp, RunID: "run-" + exp, Event: "verdict",
			Message: msg, Status: st, Attempts: len(hist), CreatedAt: t0.Add(created), UpdatedAt: t0.Add(created), History: hist}
	}
	return &fakeStore{
		experiments: map[string]bool{"exp-1": true, "exp-2": true, "exp-empty": true},
		deliveries: []analysis.OutboxDelivery{
			d("d4", "exp-1", "slack", analysis.DeliveryPending, 4*time.Hour, att(1, false, "slack: 503 Service Unavailable")),
			d("d3", "exp-1", "pagerduty", analysis.DeliveryDead, 3*time.Hour,
				att(1, false, "pagerduty: 500 Internal Server Error"), analysis.DeliveryAttempt{N: 2, At: t0.Add(2 * time.Minute), Replica: "r2", Error: "pagerduty: 400 Bad Request: invalid routing key", Permanent: true}),
			d("d2", "exp-1", "slack", analysis.DeliveryDelivered, 2*time.Hour, att(1, true, "")),
			d("d1", "exp-2", "slack", analysis.DeliveryDead, time.Hour, att(1, false, "slack: 404 Not Found: no_service")),
		},
	}
}

func (f *fakeStore) GetExperiment(_ context.Context, id string) (analysis.ExperimentRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return analysis.ExperimentRecord{}, f.err
	}
	if !f.experiments[id] {
		return analysis.ExperimentRecord{}, fmt.Errorf("experiment %s: %w", id, analysis.ErrNotFound)
	}
	return analysis.ExperimentRecord{ID: id}, nil
}

func (f *fakeStore) ListDeliveries(_ context.Context, exp string) ([]analysis.OutboxDelivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []analysis.OutboxDelivery
	for _, d := range f.deliveries {
		if d.ExperimentID == exp {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeStore) find(id string) int {
	return slices.IndexFunc(f.deliveries, func(d analysis.OutboxDelivery) bool { return d.ID == id })
}

func (f *fakeStore) GetDelivery(_ context.Context, id string) (analysis.OutboxDelivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return analysis.OutboxDelivery{}, f.err
	}
	i := f.find(id)
	if i < 0 {
		return analysis.OutboxDelivery{}, fmt.Errorf("delivery %s: %w", id, analysis.ErrNotFound)
	}
	d := f.deliveries[i]
	if f.raceTo != "" {
		f.deliveries[i].Status = f.raceTo
	}
	return d, nil
}

func (f *fakeStore) RetryDelivery(_ context.Context, id string, now time.Time) (analysis.OutboxDelivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(id)
	if i < 0 {
		return analysis.OutboxDelivery{}, fmt.Errorf("delivery %s: %w", id, analysis.ErrNotFound)
	}
	d := &f.deliveries[i]
	if d.Status != analysis.DeliveryDead {
		return analysis.OutboxDelivery{}, fmt.Errorf("delivery %s: %w", id, analysis.ErrNotDead)
	}
	f.retryNow = now
	d.Status, d.NextAttempt, d.UpdatedAt = analysis.DeliveryPending, now, now
	return *d, nil
}

func (f *fakeStore) status(id string) analysis.DeliveryStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deliveries[f.find(id)].Status
}

type waker struct{ n int }

func (w *waker) Wake() { w.n++ }

func newRouter(st Store, w Waker) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	register(r, &api{st: st, w: w, now: func() time.Time { return t0.Add(24 * time.Hour) }})
	return r
}

func call(r http.Handler, method, target string) (int, string) {
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code, rec.Body.String()
}

func TestList(t *testing.T) {
	const base = "/api/v1/experiments/exp-1/deliveries"
	for _, tt := range []struct {
		name   string
		target string
		code   int
		ids    []string // in answer order
		errHas string
	}{
		{"all, newest first", base, 200, []string{"d4", "d3", "d2"}, ""},
		{"dead only", base + "?status=dead", 200, []string{"d3"}, ""},
		{"pending only", base + "?status=pending", 200, []string{"d4"}, ""},
		{"delivered only", base + "?status=delivered", 200, []string{"d2"}, ""},
		{"one receiver", base + "?receiver=slack", 200, []string{"d4", "d2"}, ""},
		{"receiver and status", base + "?receiver=slack&status=delivered", 200, []string{"d2"}, ""},
		{"a receiver with none", base + "?receiver=email", 200, []string{}, ""},
		{"no deliveries is an empty list", "/api/v1/experiments/exp-empty/deliveries", 200, []string{}, ""},
		{"bad status named", base + "?status=failed", 400, nil, `status: want pending, delivered or dead, got \"failed\"`},
		{"unknown experiment", "/api/v1/experiments/nope/deliveries", 404, nil, "experiment nope not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(newRouter(newStore(), nil), "GET", tt.target)
			if code != tt.code {
				t.Fatalf("got %d %s, want %d", code, body, tt.code)
			}
			if tt.ids == nil {
				var e map[string]any
				if err := json.Unmarshal([]byte(body), &e); err != nil || len(e) != 1 || !strings.Contains(body, tt.errHas) {
					t.Errorf("error answer %s: want only {\"error\": ...} mentioning %q", body, tt.errHas)
				}
				return
			}
			var l struct {
				Deliveries []analysis.OutboxDelivery `json:"deliveries"`
			}
			if err := json.Unmarshal([]byte(body), &l); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if l.Deliveries == nil {
				t.Fatalf("deliveries is null, want a list: %s", body)
			}
			var got []string
			for _, d := range l.Deliveries {
				got = append(got, d.ID)
			}
			if !slices.Equal(got, tt.ids) {
				t.Errorf("got %v, want %v", got, tt.ids)
			}
		})
	}
}

// Every attempt is in the answer, as stored, and nothing but the stored
// fields: an answer cannot grow a receiver's URL or key.
func TestListShowsAttemptsAndOnlyStoredFields(t *testing.T) {
	code, body := call(newRouter(newStore(), nil), "GET", "/api/v1/experiments/exp-1/deliveries?status=dead")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var raw struct {
		Deliveries []map[string]json.RawMessage `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil || len(raw.Deliveries) != 1 {
		t.Fatalf("%v: %s", err, body)
	}
	allowed := []string{"id", "receiver", "experiment_id", "run_id", "event", "message", "status", "attempts",
		"next_attempt", "last_error", "created_at", "updated_at", "delivered_at", "history"}
	for k := range raw.Deliveries[0] {
		if !slices.Contains(allowed, k) {
			t.Errorf("answer has field %q, beyond what the outbox stores", k)
		}
	}
	var hist []analysis.DeliveryAttempt
	if err := json.Unmarshal(raw.Deliveries[0]["history"], &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].N != 1 || hist[1].N != 2 || !hist[1].Permanent || hist[1].Replica != "r2" ||
		hist[1].Error != "pagerduty: 400 Bad Request: invalid routing key" {
		t.Errorf("history %+v, want both attempts as stored", hist)
	}
}

func TestRetry(t *testing.T) {
	for _, tt := range []struct {
		name     string
		target   string
		raceTo   analysis.DeliveryStatus
		code     int
		errHas   string
		id       string                  // delivery whose status is checked after
		statusAf analysis.DeliveryStatus // its status after the call
		woken    bool
	}{
		{"dead letter is pending again", "/api/v1/experiments/exp-1/deliveries/d3/retry", "", 200, "", "d3", analysis.DeliveryPending, true},
		{"pending is a conflict", "/api/v1/experiments/exp-1/deliveries/d4/retry", "", 409, "delivery d4 is pending, not dead-lettered", "d4", analysis.DeliveryPending, false},
		{"delivered is a conflict", "/api/v1/experiments/exp-1/deliveries/d2/retry", "", 409, "delivery d2 is delivered, not dead-lettered", "d2", analysis.DeliveryDelivered, false},
		{"sent meanwhile is a conflict naming its new status", "/api/v1/experiments/exp-1/deliveries/d3/retry", analysis.DeliveryDelivered, 409, "delivery d3 is delivered", "d3", analysis.DeliveryDelivered, false},
		{"unknown delivery", "/api/v1/experiments/exp-1/deliveries/nope/retry", "", 404, "delivery nope of experiment exp-1 not found", "", "", false},
		{"another experiment's delivery", "/api/v1/experiments/exp-1/deliveries/d1/retry", "", 404, "delivery d1 of experiment exp-1 not found", "d1", analysis.DeliveryDead, false},
		{"unknown experiment", "/api/v1/experiments/nope/deliveries/d3/retry", "", 404, "not found", "d3", analysis.DeliveryDead, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, w := newStore(), &waker{}
			st.raceTo = tt.raceTo
			code, body := call(newRouter(st, w), "POST", tt.target)
			if code != tt.code || !strings.Contains(body, tt.errHas) {
				t.Fatalf("got %d %s, want %d mentioning %q", code, body, tt.code, tt.errHas)
			}
			if tt.id != "" && st.status(tt.id) != tt.statusAf {
				t.Errorf("%s is %s after the call, want %s", tt.id, st.status(tt.id), tt.statusAf)
			}
			if (w.n == 1) != tt.woken || w.n > 1 {
				t.Errorf("woken %d times, want woken=%v", w.n, tt.woken)
			}
			if code != 200 {
				return
			}
			var d analysis.OutboxDelivery
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				t.Fatal(err)
			}
			now := t0.Add(24 * time.Hour)
			if d.ID != tt.id || d.Status != analysis.DeliveryPending || !d.NextAttempt.Equal(now) || !st.retryNow.Equal(now) || len(d.History) != 2 {
				t.Errorf("answer %+v: want %s pending, due at %s, its 2 attempts kept", d, tt.id, now)
			}
		})
	}
}

func TestRetryWithoutWaker(t *testing.T) {
	st := newStore()
	if code, body := call(newRouter(st, nil), "POST", "/api/v1/experiments/exp-1/deliveries/d3/retry"); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if st.status("d3") != analysis.DeliveryPending {
		t.Errorf("d3 is %s, want pending", st.status("d3"))
	}
}

// A failing store answers 500 with an error ID only: the driver's text
// (SQL, a host name) never reaches the client.
func TestInternalErrorsAreNotLeaked(t *testing.T) {
	for _, tt := range []struct{ method, target string }{
		{"GET", "/api/v1/experiments/exp-1/deliveries"},
		{"POST", "/api/v1/experiments/exp-1/deliveries/d3/retry"},
	} {
		t.Run(tt.method, func(t *testing.T) {
			st := newStore()
			st.err = errors.New(`pq: relation "outbox_deliveries" does not exist at db.internal:5432`)
			code, body := call(newRouter(st, nil), tt.method, tt.target)
			if code != 500 || strings.Contains(body, "outbox_deliveries") || strings.Contains(body, "db.internal") || !strings.Contains(body, "internal error") {
				t.Errorf("got %d %s, want 500 with an error ID and no internals", code, body)
			}
		})
	}
}

// The routes mount beside the experiments API and the gates on one
// router: gin panics when one path segment gets two wildcard names.
func TestRegisterBesideTheExperimentsAPI(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.Register(r, noExperiments{}, nil)
	gates.Register(r, nil, gates.Options{}, nil)
	Register(r, newStore(), nil, nil)
	if code, body := call(r, "GET", "/api/v1/experiments/exp-1/deliveries?status=dead"); code != 200 || !strings.Contains(body, `"d3"`) {
		t.Errorf("got %d %s", code, body)
	}
}

// noExperiments is an experiments API with nothing behind it: only its
// routes matter here.
type noExperiments struct{}

var errNone = errors.New("no experiments here")

func (noExperiments) Create(context.Context, analysis.Spec, bool) (analysis.Experiment, error) {
	return analysis.Experiment{}, errNone
}
func (noExperiments) Get(context.Context, string) (analysis.Experiment, error) {
	return analysis.Experiment{}, errNone
}
func (noExperiments) List(context.Context) ([]analysis.Experiment, error) { return nil, errNone }
func (noExperiments) Find(context.Context, analysis.ExperimentFilter) ([]analysis.Experiment, error) {
	return nil, errNone
}
func (noExperiments) Update(context.Context, string, analysis.Spec, int64) (analysis.Experiment, error) {
	return analysis.Experiment{}, errNone
}
func (noExperiments) Delete(context.Context, string) error { return errNone }
func (noExperiments) StartRun(context.Context, string) (analysis.Run, error) {
	return analysis.Run{}, errNone
}
func (noExperiments) Pause(context.Context, string) (analysis.Run, error) {
	return analysis.Run{}, errNone
}
func (noExperiments) Resume(context.Context, string) (analysis.Run, error) {
	return analysis.Run{}, errNone
}
func (noExperiments) Abort(context.Context, string) (analysis.Run, error) {
	return analysis.Run{}, errNone
}
func (noExperiments) Runs(context.Context, string) ([]analysis.Run, error) { return nil, errNone }
func (noExperiments) Run(context.Context, string) (analysis.Run, error) {
	return analysis.Run{}, errNone
}
func (noExperiments) Intervals(context.Context, string, int, int) ([]analysis.IntervalResult, error) {
	return nil, errNone
}
func (noExperiments) LatestInterval(context.Context, string) (analysis.IntervalResult, bool, error) {
	return analysis.IntervalResult{}, false, errNone
}
func (noExperiments) Wait(context.Context, string) (analysis.Experiment, error) {
	return analysis.Experiment{}, errNone
}
