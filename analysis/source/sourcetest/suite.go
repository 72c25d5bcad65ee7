package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Backend is what a source's test supplies to Run. Leave out what the
// backend cannot do; the matching cases are skipped, saying why.
type Backend struct {
	// Data runs the data cases; nil skips them.
	Data *Data
	// Endpoint returns a source for the server at addr (a loopback
	// host:port) whose attempts time out after timeout. Nil skips the
	// error cases (the embedded store has no endpoint).
	Endpoint func(t *testing.T, addr string, timeout time.Duration) analysis.Source
	// Probe is any well-formed query in the source's language, sent to
	// broken endpoints.
	Probe analysis.Query
	// Refuse starts a loopback server answering every request with f and
	// returns its address and the texts the source's error must contain.
	// HTTPRefuse serves HTTP APIs. Nil skips the fault cases.
	Refuse func(t *testing.T, f Fault) (addr string, mentions []string)
}

// Data is how a backend takes part in the data cases. A backend that
// cannot load the dataset (a trace store) leaves out Load and
// Queries.Cohort and still runs the no-data and cancellation cases.
type Data struct {
	Source analysis.Source
	// Load stores the dataset (or teaches a replaying fake its answers)
	// for the range and instant cases; nil skips them.
	Load    func(t *testing.T, d Dataset)
	Queries Queries
}

// Queries are the data cases' queries in the source's language.
type Queries struct {
	// Cohort selects the series of one version of metric; each result
	// series carries exactly the labels version and pod. Needed with
	// Data.Load.
	Cohort func(metric, version string) string
	// Nothing is well formed and matches no series. Always needed.
	Nothing string
	// Malformed must be refused as malformed, with an error containing
	// MalformedSays; "" skips that case.
	Malformed     string
	MalformedSays string
}

// PromQL are the queries for sources that speak PromQL.
func PromQL() Queries {
	return Queries{
		Cohort: func(metric, version string) string {
			return fmt.Sprintf("sum by (version, pod) (%s{version=%q})", metric, version)
		},
		Nothing:       `sum by (version, pod) (sourcetest_absent_metric{version="v1"})`,
		Malformed:     `sum by (version, pod) (sourcetest_latency_seconds{version="v1"}`,
		MalformedSays: "parse error",
	}
}

// Run runs every case the backend supports.
func Run(t *testing.T, b Backend) {
	t.Run("data", func(t *testing.T) {
		if b.Data == nil {
			t.Skip("the backend cannot load data")
		}
		runData(t, *b.Data)
	})
	t.Run("errors", func(t *testing.T) {
		if b.Endpoint == nil {
			t.Skip("the backend has no endpoint to break")
		}
		runErrors(t, b)
	})
}

func runData(t *testing.T, data Data) {
	switch {
	case data.Source == nil || data.Queries.Nothing == "":
		t.Fatal("sourcetest: Data needs a Source and Queries.Nothing")
	case data.Load != nil && data.Queries.Cohort == nil:
		t.Fatal("sourcetest: Data.Load needs Queries.Cohort")
	}
	d := newDataset(time.Now())
	t.Run("values", func(t *testing.T) {
		if data.Load == nil {
			t.Skip("the backend cannot load the dataset")
		}
		data.Load(t, d)
		runValues(t, data.Source, data.Queries, d)
	})
	q := data.Queries
	end := d.End()
	for _, step := range []time.Duration{d.Interval, 0} {
		t.Run(fmt.Sprintf("no data with step %s", step), func(t *testing.T) {
			got, err := data.Source.Fetch(context.Background(), analysis.Query{Expr: q.Nothing, Start: d.Start, End: end, Step: step})
			if err != nil || len(got) != 0 {
				t.Errorf("Fetch(%q) = %d series, %v; want none and no error", q.Nothing, len(got), err)
			}
		})
	}

	t.Run("malformed query", func(t *testing.T) {
		if q.Malformed == "" {
			t.Skip("the backend has no malformed query")
		}
		_, err := data.Source.Fetch(context.Background(), analysis.Query{Expr: q.Malformed, Start: d.Start, End: end, Step: d.Interval})
		if !errors.Is(err, analysis.ErrPermanent) {
			t.Fatalf("Fetch(%q) = %v; want a permanent error", q.Malformed, err)
		}
		if !strings.Contains(err.Error(), q.MalformedSays) {
			t.Errorf("Fetch(%q) = %v; want it to say %q", q.Malformed, err, q.MalformedSays)
		}
		t.Log(err)
	})

	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		begin := time.Now()
		_, err := data.Source.Fetch(ctx, analysis.Query{Expr: q.Nothing, Start: d.Start, End: end, Step: d.Interval})
		if took := time.Since(begin); took > 2*time.Second {
			t.Errorf("took %s to notice the cancelled context", took)
		}
		if err == nil || errors.Is(err, analysis.ErrPermanent) {
			t.Errorf("Fetch with a cancelled context = %v; want a retryable error", err)
		}
	})
}

// runValues checks range and instant queries over the loaded dataset.
func runValues(t *testing.T, src analysis.Source, q Queries, d Dataset) {
	end := d.End()
	cases := []struct {
		name    string
		version string
		start   time.Time
		end     time.Time
		step    time.Duration
	}{
		{"range over every sample", "v1", d.Start, end, d.Interval},
		{"range with NaN and infinities", "v2", d.Start, end, d.Interval},
		{"range at twice the sample interval, from the second sample", "v1", d.Start.Add(d.Interval), end, 2 * d.Interval},
		{"range between samples, at fractions of a second", "v2", d.Start.Add(1500 * time.Millisecond), end.Add(-8 * time.Second), d.Interval},
		{"instant at the last sample", "v1", time.Time{}, end, 0},
		{"instant between samples", "v2", time.Time{}, end.Add(10250 * time.Millisecond), 0},
		{"instant before the second sample", "v2", time.Time{}, d.Start.Add(d.Interval - time.Millisecond), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query := analysis.Query{Expr: q.Cohort(d.Metric, c.version), Start: c.start, End: c.end, Step: c.step}
			got, err := src.Fetch(context.Background(), query)
			if err != nil {
				t.Fatalf("Fetch(%q): %v", query.Expr, err)
			}
			if msg := Diff(got, d.Eval(c.version, c.start, c.end, c.step)); msg != "" {
				t.Errorf("Fetch(%q) from %s to %s every %s:\n%s", query.Expr, c.start, c.end, c.step, msg)
			}
		})
	}
}
