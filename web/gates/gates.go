package gates

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// Manager is what the gates need from the experiment manager
// (*analysis.Manager implements it). Unknown templates, instances,
// experiments and runs are errors wrapping analysis.ErrNotFound; a key
// reused with different args wraps analysis.ErrConflict; a missing
// required arg is an *analysis.ValidationError.
type Manager interface {
	GetTemplate(ctx context.Context, name string) (analysis.TemplateRecord, error)
	Instantiate(ctx context.Context, req analysis.InstanceRequest) (analysis.Instance, error)
	Instance(ctx context.Context, key string) (analysis.Instance, error)
	RecordEvent(ctx context.Context, ev analysis.Event) error
	Get(ctx context.Context, id string) (analysis.Experiment, error)
	Run(ctx context.Context, runID string) (analysis.Run, error)
	LatestInterval(ctx context.Context, runID string) (analysis.IntervalResult, bool, error)
}

// Options configure the gates.
type Options struct {
	// ExternalURL is the base of report links ("" derives it from each
	// request).
	ExternalURL string
}

// Prefix is the path every gate route starts with.
const Prefix = "/api/v1"

// MaxBodyBytes bounds a gate call's body.
const MaxBodyBytes = 1 << 20

// Register mounts the gates on r. logger (nil: discard) gets the internal
// errors that clients are answered only an error ID for.
func Register(r gin.IRoutes, m Manager, opts Options, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	g := &gates{m: m, opts: opts, logger: logger}
	r.GET(Prefix+"/gates/argo/:template", g.argo)
	r.POST(Prefix+"/gates/argo/:template", g.argo)
	r.POST(Prefix+"/gates/flagger/:template", g.flagger)
	r.GET(Prefix+"/gates/keda/:template", g.kedaTemplate)
	r.GET(Prefix+"/experiments/:id/keda", g.kedaExperiment)
}

type gates struct {
	m      Manager
	opts   Options
	logger *slog.Logger
}

// Verdicts a gate answers.
const (
	VerdictPass         = "pass"
	VerdictFail         = "fail"
	VerdictRunning      = "running"
	VerdictInconclusive = "inconclusive"
	VerdictError        = "error"
)

// Status is a gate's view of an instance's run: the JSON Argo Rollouts'
// web provider reads.
type Status struct {
	Verdict      string    `json:"verdict"`
	Final        bool      `json:"final"`
	Score        *float64  `json:"score"`
	Reason       string    `json:"reason"`
	Intervals    Intervals `json:"intervals"`
	ExperimentID string    `json:"experiment_id"`
	RunID        string    `json:"run_id"`
	Key          string    `json:"key,omitempty"`
	Template     string    `json:"template,omitempty"`
	ReportURL    string    `json:"report_url"`
	// latest is the verdict the answer reads (the final one, or the
	// latest interval's).
	latest *analysis.Verdict
}

// Intervals counts a run's judged and planned intervals.
type Intervals struct {
	Judged int `json:"judged"`
	Total  int `json:"total"`
}

// assess reads run (and its latest judged interval, nil when none) the
// way the gates answer; onError is the template's on_error.
func assess(run analysis.Run, latest *analysis.IntervalResult, onError string) Status {
	s := Status{ExperimentID: run.ExperimentID, RunID: run.ID,
		Intervals: Intervals{Judged: run.NextIndex, Total: run.Spec.IntervalCount()}}
	onErr := func(reason string) {
		// A score without the evidence behind it would be made up.
		s.Score = nil
		s.Verdict = VerdictInconclusive
		if onError == analysis.OnErrorError {
			s.Verdict = VerdictError
		}
		s.Reason = "could not analyse (on_error " + orDefault(onError, analysis.OnErrorInconclusive) + "): " + reason
	}
	if v := run.Verdict; v != nil && !run.Status.Active() {
		s.Final, s.Score, s.latest = true, v.Score, v
		switch v.Verdict {
		case judges.OutcomePass:
			s.Verdict, s.Reason = VerdictPass, v.Reason
		case judges.OutcomeFail:
			s.Verdict, s.Reason = VerdictFail, v.Reason
		case judges.OutcomeMarginal:
			s.Verdict, s.Reason = VerdictInconclusive, "marginal, not a pass: "+v.Reason
		case judges.OutcomeError:
			onErr(v.Reason)
		default:
			s.Verdict, s.Reason = VerdictInconclusive, v.Reason
			if run.Status == analysis.RunAborted {
				s.Reason = "aborted: " + v.Reason
			}
		}
		s.Reason = oneLine(s.Reason)
		return s
	}
	if latest == nil {
		s.Verdict = VerdictRunning
		_, _, due := run.Spec.Schedule(run.StartedAt).Window(run.NextIndex)
		s.Reason = fmt.Sprintf("0 of %d intervals judged; the first is due at %s", s.Intervals.Total, due.UTC().Format(time.RFC3339))
		if run.Status == analysis.RunPaused {
			s.Reason = fmt.Sprintf("paused before its first of %d intervals", s.Intervals.Total)
		}
		return s
	}
	v := latest.Verdict
	s.Score, s.latest = v.Score, &v
	prefix := fmt.Sprintf("interval %d of %d: ", v.Interval, v.Intervals)
	switch v.Verdict {
	case judges.OutcomePass:
		s.Verdict, s.Reason = VerdictPass, prefix+v.Reason
	case judges.OutcomeError:
		onErr(prefix + v.Reason)
	default:
		// Failed, marginal or inconclusive while the run is still active:
		// the spec's limits tolerate it (failure_limit 0, the default,
		// ends the run with the first failed interval, in the same commit),
		// so the run goes on and only its end decides.
		s.Verdict, s.Reason = VerdictRunning, prefix+string(v.Verdict)+" so far, the run goes on: "+v.Reason
	}
	if run.Status == analysis.RunPaused {
		s.Reason = "paused; " + s.Reason
	}
	s.Reason = oneLine(s.Reason)
	return s
}

// status loads an instance's run and assesses it.
func (g *gates) status(ctx context.Context, runID, onError string) (Status, error) {
	run, err := g.m.Run(ctx, runID)
	if err != nil {
		return Status{}, err
	}
	var latest *analysis.IntervalResult
	if run.NextIndex > 0 {
		res, ok, err := g.m.LatestInterval(ctx, runID)
		if err != nil {
			return Status{}, err
		}
		if ok {
			latest = &res
		}
	}
	return assess(run, latest, onError), nil
}

// reportURL is where the experiment is shown under the external URL: the
// experiments API's document of it (its spec, runs, verdict and link to
// its intervals).
func (g *gates) reportURL(c *gin.Context, id string) string {
	base := strings.TrimRight(g.opts.ExternalURL, "/")
	if base == "" {
		scheme := "http"
		if c.Request.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + c.Request.Host
	}
	return base + "/api/v1/experiments/" + id
}

// apiError is a JSON error answer.
type apiError struct {
	Error string `json:"error"`
}

// classify maps a manager error to a status code and a client-safe
// message; internal errors are logged under an ID.
func (g *gates) classify(c *gin.Context, err error, what string) (int, string) {
	var invalid *analysis.ValidationError
	switch {
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity, oneLine(invalid.Error())
	case errors.Is(err, analysis.ErrNotFound):
		return http.StatusNotFound, what + " not found"
	case errors.Is(err, analysis.ErrConflict):
		return http.StatusConflict, oneLine(err.Error())
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	g.logger.Error("gate request failed", "error_id", id, "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	return http.StatusInternalServerError, fmt.Sprintf("internal error %s: the request failed; the server log has the details under this ID", id)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// oneLine folds text onto one line (Flagger events, progress lines).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
