package promapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
)

// BuildInfo is what /api/v1/status/buildinfo answers, in Prometheus'
// shape.
type BuildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

// ExemplarQueryable opens queriers over stored exemplars.
type ExemplarQueryable interface {
	ExemplarQuerier(ctx context.Context) (storage.ExemplarQuerier, error)
}

// MetricMetadata is a metric family's type, help and unit, as
// /api/v1/metadata lists them.
type MetricMetadata struct {
	Type string `json:"type"`
	Help string `json:"help"`
	Unit string `json:"unit"`
}

// MetadataSource lists the metric families whose metadata is known, by
// family name.
type MetadataSource interface {
	MetricMetadata(ctx context.Context) (map[string][]MetricMetadata, error)
}

// Status is what the status, metadata, exemplar, rule and format routes
// serve from.
type Status struct {
	Build     BuildInfo
	Exemplars ExemplarQueryable
	Metadata  MetadataSource
}

// RegisterStatus mounts the rest of the Prometheus API that Grafana's
// data source calls: /api/v1/query_exemplars and /api/v1/format_query
// (GET and POST), /api/v1/metadata, /api/v1/status/buildinfo,
// /api/v1/rules and /api/v1/alerts (GET; augur evaluates no rules, so
// both are empty).
func RegisterStatus(r gin.IRoutes, s Status) {
	h := statusHandler{s: s, parser: parser.NewParser(parser.Options{})}
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r.Handle(m, "/api/v1/query_exemplars", h.queryExemplars)
		r.Handle(m, "/api/v1/format_query", h.formatQuery)
	}
	r.GET("/api/v1/metadata", h.metadata)
	r.GET("/api/v1/status/buildinfo", func(c *gin.Context) { success(c, s.Build, nil) })
	r.GET("/api/v1/rules", func(c *gin.Context) { success(c, ruleDiscovery{Groups: []struct{}{}}, nil) })
	r.GET("/api/v1/alerts", func(c *gin.Context) { success(c, alertDiscovery{Alerts: []struct{}{}}, nil) })
}

type ruleDiscovery struct {
	Groups []struct{} `json:"groups"`
}

type alertDiscovery struct {
	Alerts []struct{} `json:"alerts"`
}

type statusHandler struct {
	s      Status
	parser parser.Parser
}

func (h statusHandler) formatQuery(c *gin.Context) {
	expr, err := h.parser.ParseExpr(c.Request.FormValue("query"))
	if err != nil {
		badData(c, fmt.Errorf(`invalid parameter "query": %w`, err))
		return
	}
	success(c, expr.Pretty(0), nil)
}

// exemplarResult and exemplarJSON are Prometheus' exemplar answer: label
// objects, the value as a string, the timestamp in float seconds.
type exemplarResult struct {
	SeriesLabels labels.Labels  `json:"seriesLabels"`
	Exemplars    []exemplarJSON `json:"exemplars"`
}

type exemplarJSON struct {
	Labels    labels.Labels `json:"labels"`
	Value     string        `json:"value"`
	Timestamp json.Number   `json:"timestamp"`
}

func (h statusHandler) queryExemplars(c *gin.Context) {
	start, end := time.UnixMilli(math.MinInt64/2), time.UnixMilli(math.MaxInt64/2)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"start", &start}, {"end", &end}} {
		if s := c.Request.FormValue(p.name); s != "" {
			t, err := ParseTime(s)
			if err != nil {
				badData(c, fmt.Errorf("invalid parameter %q: %w", p.name, err))
				return
			}
			*p.dst = t
		}
	}
	if end.Before(start) {
		badData(c, errors.New(`invalid parameter "end": end timestamp must not be before start timestamp`))
		return
	}
	expr, err := h.parser.ParseExpr(c.Request.FormValue("query"))
	if err != nil {
		badData(c, fmt.Errorf(`invalid parameter "query": %w`, err))
		return
	}
	out := []exemplarResult{}
	selectors := parser.ExtractSelectors(expr)
	if len(selectors) == 0 || h.s.Exemplars == nil {
		success(c, out, nil)
		return
	}
	eq, err := h.s.Exemplars.ExemplarQuerier(c.Request.Context())
	if err != nil {
		execError(c, err)
		return
	}
	res, err := eq.Select(start.UnixMilli(), end.UnixMilli(), selectors...)
	if err != nil {
		execError(c, err)
		return
	}
	for _, r := range res {
		out = append(out, exemplarResult{SeriesLabels: r.SeriesLabels, Exemplars: exemplarsJSON(r.Exemplars)})
	}
	success(c, out, nil)
}

func exemplarsJSON(es []exemplar.Exemplar) []exemplarJSON {
	out := make([]exemplarJSON, 0, len(es))
	for _, e := range es {
		out = append(out, exemplarJSON{
			Labels:    e.Labels,
			Value:     strconv.FormatFloat(e.Value, 'f', -1, 64),
			Timestamp: json.Number(strconv.FormatFloat(float64(e.Ts)/1000, 'f', -1, 64)),
		})
	}
	return out
}

func (h statusHandler) metadata(c *gin.Context) {
	limit, perMetric := -1, -1
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"limit_per_metric", &perMetric}} {
		if s := c.Request.FormValue(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				badData(c, fmt.Errorf("%s must be a number, got %q", p.name, s))
				return
			}
			*p.dst = n
		}
	}
	out := map[string][]MetricMetadata{}
	if h.s.Metadata == nil {
		success(c, out, nil)
		return
	}
	all, err := h.s.Metadata.MetricMetadata(c.Request.Context())
	if err != nil {
		execError(c, err)
		return
	}
	metric := c.Request.FormValue("metric")
	names := make([]string, 0, len(all))
	for name := range all {
		if metric == "" || name == metric {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if limit >= 0 && len(out) >= limit {
			break
		}
		ms := all[name]
		if perMetric > 0 && len(ms) > perMetric {
			ms = ms[:perMetric]
		}
		out[name] = ms
	}
	success(c, out, nil)
}

// GathererMetadata is the metadata of a registry's metric families.
type GathererMetadata struct{ Gatherer prometheus.Gatherer }

// MetricMetadata implements MetadataSource. A family the registry could
// not gather completely is still listed.
func (g GathererMetadata) MetricMetadata(context.Context) (map[string][]MetricMetadata, error) {
	mfs, err := g.Gatherer.Gather()
	if err != nil && len(mfs) == 0 {
		return nil, err
	}
	out := make(map[string][]MetricMetadata, len(mfs))
	for _, mf := range mfs {
		out[mf.GetName()] = []MetricMetadata{{Type: metricType(mf.GetType()), Help: mf.GetHelp(), Unit: mf.GetUnit()}}
	}
	return out, nil
}

// metricType is a family's type as Prometheus' API writes it.
func metricType(t dto.MetricType) string {
	switch t {
	case dto.MetricType_COUNTER:
		return "counter"
	case dto.MetricType_GAUGE:
		return "gauge"
	case dto.MetricType_SUMMARY:
		return "summary"
	case dto.MetricType_HISTOGRAM:
		return "histogram"
	case dto.MetricType_GAUGE_HISTOGRAM:
		return "gaugehistogram"
	}
	return "unknown"
}
