package promapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// Metadata opens queriers for label and series lookups.
type Metadata interface {
	Querier(mint, maxt int64) (storage.Querier, error)
}

// RegisterMetadata mounts /api/v1/labels, /api/v1/label/{name}/values and
// /api/v1/series (GET and POST), which Grafana's query editor uses.
func RegisterMetadata(r gin.IRoutes, md Metadata) {
	h := metadataHandler{md: md, parser: parser.NewParser(parser.Options{})}
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r.Handle(m, "/api/v1/labels", h.labelNames)
		r.Handle(m, "/api/v1/label/:name/values", h.labelValues)
		r.Handle(m, "/api/v1/series", h.series)
	}
}

type metadataHandler struct {
	md     Metadata
	parser parser.Parser
}

// lookup is the parsed common parameters: match[], start, end, limit.
type lookup struct {
	sets       [][]*labels.Matcher
	mint, maxt int64
	limit      int
}

func (h metadataHandler) parse(c *gin.Context, needMatch bool) (lookup, bool) {
	var l lookup
	if err := c.Request.ParseForm(); err != nil {
		badData(c, fmt.Errorf("parse form: %w", err))
		return l, false
	}
	matches := c.Request.Form["match[]"]
	if needMatch && len(matches) == 0 {
		badData(c, errors.New("no match[] parameter provided"))
		return l, false
	}
	for _, m := range matches {
		ms, err := h.parser.ParseMetricSelector(m)
		if err != nil {
			badData(c, fmt.Errorf(`invalid parameter "match[]": %w`, err))
			return l, false
		}
		l.sets = append(l.sets, ms)
	}
	l.mint, l.maxt = math.MinInt64/2, math.MaxInt64/2
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"start", &l.mint}, {"end", &l.maxt}} {
		if s := c.Request.FormValue(p.name); s != "" {
			t, err := ParseTime(s)
			if err != nil {
				badData(c, fmt.Errorf("invalid parameter %q: %w", p.name, err))
				return l, false
			}
			*p.dst = t.UnixMilli()
		}
	}
	if s := c.Request.FormValue("limit"); s != "" {
		if _, err := fmt.Sscanf(s, "%d", &l.limit); err != nil || l.limit < 0 {
			badData(c, fmt.Errorf(`invalid parameter "limit": %q`, s))
			return l, false
		}
	}
	return l, true
}

// open parses the parameters and opens a querier over their time range; it
// answers the client itself when it cannot.
func (h metadataHandler) open(c *gin.Context, needMatch bool) (lookup, storage.Querier, bool) {
	l, ok := h.parse(c, needMatch)
	if !ok {
		return l, nil, false
	}
	q, err := h.md.Querier(l.mint, l.maxt)
	if err != nil {
		execError(c, err)
		return l, nil, false
	}
	return l, q, true
}

func (h metadataHandler) labelNames(c *gin.Context) {
	h.strings(c, func(q storage.Querier, l lookup, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelNames(c.Request.Context(), &storage.LabelHints{Limit: l.limit}, ms...)
	})
}

func (h metadataHandler) labelValues(c *gin.Context) {
	name := c.Param("name")
	if name == "" {
		badData(c, errors.New("invalid label name"))
		return
	}
	h.strings(c, func(q storage.Querier, l lookup, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelValues(c.Request.Context(), name, &storage.LabelHints{Limit: l.limit}, ms...)
	})
}

// strings answers the union of a lookup over every match[] set (or one
// unfiltered lookup without match[]), sorted and de-duplicated.
func (h metadataHandler) strings(c *gin.Context, get func(storage.Querier, lookup, []*labels.Matcher) ([]string, annotations.Annotations, error)) {
	l, q, ok := h.open(c, false)
	if !ok {
		return
	}
	defer q.Close()
	sets := l.sets
	if len(sets) == 0 {
		sets = [][]*labels.Matcher{nil}
	}
	var out []string
	var annots annotations.Annotations
	for _, ms := range sets {
		vals, a, err := get(q, l, ms)
		if err != nil {
			execError(c, err)
			return
		}
		out = append(out, vals...)
		annots = annots.Merge(a)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	if l.limit > 0 && len(out) > l.limit {
		out = out[:l.limit]
	}
	success(c, out, annots)
}

func (h metadataHandler) series(c *gin.Context) {
	l, q, ok := h.open(c, true)
	if !ok {
		return
	}
	defer q.Close()
	hints := &storage.SelectHints{Start: l.mint, End: l.maxt, Func: "series", Limit: l.limit}
	var sets []storage.SeriesSet
	for _, ms := range l.sets {
		sets = append(sets, q.Select(c.Request.Context(), true, hints, ms...))
	}
	set := storage.NewMergeSeriesSet(sets, 0, storage.ChainedSeriesMerge)
	out := []labels.Labels{}
	for set.Next() {
		out = append(out, set.At().Labels())
		if l.limit > 0 && len(out) >= l.limit {
			break
		}
	}
	if err := set.Err(); err != nil {
		execError(c, err)
		return
	}
	success(c, out, set.Warnings())
}
