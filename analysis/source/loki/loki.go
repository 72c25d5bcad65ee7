package loki

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/internal/queryapi"
)

// Source queries one Loki (or a Loki-compatible gateway).
type Source struct{ c *queryapi.Client }

// New returns a Source for spec (its url, timeout, credentials, headers,
// TLS and org_id, Loki's tenant). A nil logger discards.
func New(spec analysis.SourceSpec, logger *slog.Logger) (*Source, error) {
	if spec.Type != "" && spec.Type != analysis.SourceLoki {
		return nil, fmt.Errorf("loki: source type is %q", spec.Type)
	}
	c, err := queryapi.NewClient(analysis.SourceLoki, spec, logger)
	if err != nil {
		return nil, err
	}
	return &Source{c: c}, nil
}

// Close closes the source's idle connections to the server. The source
// stays usable: a later Fetch connects again.
func (s *Source) Close() error { return s.c.Close() }

// Fetch makes one attempt at q, a LogQL metric query: a range query over
// [q.Start, q.End] every q.Step, or an instant query at q.End when q.Step
// is 0. Times go to Loki as Unix nanoseconds.
func (s *Source) Fetch(ctx context.Context, q analysis.Query) ([]analysis.Series, error) {
	params := url.Values{"query": {q.Expr}}
	path := "/loki/api/v1/query_range"
	if q.Instant() {
		path = "/loki/api/v1/query"
		params.Set("time", strconv.FormatInt(q.End.UnixNano(), 10))
	} else {
		params.Set("start", strconv.FormatInt(q.Start.UnixNano(), 10))
		params.Set("end", strconv.FormatInt(q.End.UnixNano(), 10))
		params.Set("step", queryapi.DurationSeconds(q.Step))
	}
	series, err := s.c.Do(ctx, queryapi.Request{Method: http.MethodGet, Path: path, Params: params, Expr: q.Expr})
	var rt *queryapi.ResultTypeError
	if errors.As(err, &rt) && rt.Type == "streams" {
		return nil, fmt.Errorf("%w: this is a log query, which returns log lines; analysis needs a metric query such as sum(count_over_time({app=\"x\"} |= \"error\" [1m]))", err)
	}
	return series, err
}
