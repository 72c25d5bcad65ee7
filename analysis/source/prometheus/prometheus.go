package prometheus

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/internal/queryapi"
)

// Source queries one Prometheus-compatible server.
type Source struct{ c *queryapi.Client }

// New returns a Source for spec (its url, timeout, credentials, headers,
// TLS and org_id). A nil logger discards; the logger receives the
// warnings servers attach to answers.
func New(spec analysis.SourceSpec, logger *slog.Logger) (*Source, error) {
	if spec.Type != "" && spec.Type != analysis.SourcePrometheus {
		return nil, fmt.Errorf("prometheus: source type is %q", spec.Type)
	}
	c, err := queryapi.NewClient(analysis.SourcePrometheus, spec, logger)
	if err != nil {
		return nil, err
	}
	return &Source{c: c}, nil
}

// Close closes the source's idle connections to the server. The source
// stays usable: a later Fetch connects again.
func (s *Source) Close() error { return s.c.Close() }

// Fetch makes one attempt at q: a range query over [q.Start, q.End] every
// q.Step, or an instant query at q.End when q.Step is 0. Malformed queries
// and refused credentials are permanent errors. Native histograms (the
// API's histogram and histograms fields) come back as Series.Histograms.
func (s *Source) Fetch(ctx context.Context, q analysis.Query) ([]analysis.Series, error) {
	params := url.Values{"query": {q.Expr}}
	path := "/api/v1/query_range"
	if q.Instant() {
		path = "/api/v1/query"
		params.Set("time", queryapi.Seconds(q.End))
	} else {
		params.Set("start", queryapi.Seconds(q.Start))
		params.Set("end", queryapi.Seconds(q.End))
		params.Set("step", queryapi.DurationSeconds(q.Step))
	}
	return s.c.Do(ctx, queryapi.Request{Method: http.MethodPost, Path: path, Params: params, Expr: q.Expr})
}
