package ui

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// The list's page size: ?limit= (at most maxPageSize) and ?offset= page
// through a long list.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// listStatuses and listVerdicts are the filter's choices.
var (
	listStatuses = []string{analysis.StatusCreated, string(analysis.RunRunning), string(analysis.RunPaused),
		string(analysis.RunCompleted), string(analysis.RunAborted)}
	listVerdicts = []string{string(judges.OutcomePass), string(judges.OutcomeMarginal), string(judges.OutcomeFail),
		string(judges.OutcomeInconclusive), string(judges.OutcomeError), "none"}
)

// listQuery is the list's filter and page, read from the query string.
type listQuery struct {
	Text, Verdict, Status, Template string
	Labels                          []string // name=value
	Limit, Offset                   int
}

// expRow is one experiment in the list.
type expRow struct {
	ID, Name, Status, Verdict, Reason, Kind, Template, Key string
	Score                                                  *float64
	Start, End                                             time.Time
	Judged, Intervals                                      int
	Labels                                                 []string
}

// listData is the experiments page.
type listData struct {
	Query              listQuery
	Problems           []string // invalid filter parameters
	Rows               []expRow
	Total, First, Last int // matching experiments; the page's 1-based range
	Prev, Next         string
	RowsURL            string // the page's rows alone, for live updates
	Live               bool   // a run is in progress
	Statuses, Verdicts []string
	Filtered           bool
}

// readListQuery reads ?text=, ?verdict=, ?status=, ?template=, repeated
// ?label=name=value, ?limit= and ?offset=; problems name each invalid one
// (which is then ignored).
func readListQuery(c *gin.Context) (q listQuery, f analysis.ExperimentFilter, problems []string) {
	q.Text = strings.TrimSpace(c.Query("text"))
	q.Template = strings.TrimSpace(c.Query("template"))
	f.Template = q.Template
	if s := c.Query("status"); s != "" {
		if slices.Contains(listStatuses, s) {
			q.Status, f.Status = s, s
		} else {
			problems = append(problems, fmt.Sprintf("status %q is none of %s", s, strings.Join(listStatuses, ", ")))
		}
	}
	if v := c.Query("verdict"); v != "" {
		if slices.Contains(listVerdicts, v) {
			q.Verdict = v
		} else {
			problems = append(problems, fmt.Sprintf("verdict %q is none of %s", v, strings.Join(listVerdicts, ", ")))
		}
	}
	var labels []string
	for _, l := range c.QueryArray("label") {
		// One field may hold several, separated by spaces or commas.
		labels = append(labels, strings.FieldsFunc(l, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			problems = append(problems, fmt.Sprintf("label %q: want name=value", l))
			continue
		}
		if prev, dup := f.Labels[k]; dup && prev != v {
			problems = append(problems, fmt.Sprintf("label %q: %s is already required to be %q", l, k, prev))
			continue
		}
		if f.Labels == nil {
			f.Labels = map[string]string{}
		}
		f.Labels[k] = v
		q.Labels = append(q.Labels, k+"="+v)
	}
	q.Limit, q.Offset = defaultPageSize, 0
	if s := c.Query("limit"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= maxPageSize {
			q.Limit = n
		} else {
			problems = append(problems, fmt.Sprintf("limit %q: want 1 to %d", s, maxPageSize))
		}
	}
	if s := c.Query("offset"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			q.Offset = n
		} else {
			problems = append(problems, fmt.Sprintf("offset %q: want 0 or more", s))
		}
	}
	return q, f, problems
}

// values is q as a query string, with the page at offset.
func (q listQuery) values(offset int) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("text", q.Text)
	set("verdict", q.Verdict)
	set("status", q.Status)
	set("template", q.Template)
	for _, l := range q.Labels {
		v.Add("label", l)
	}
	if q.Limit != defaultPageSize {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return v
}

// Self is the URL of the page q shows.
func (q listQuery) Self() string { return q.url(q.Offset) }

func (q listQuery) url(offset int, extra ...string) string {
	v := q.values(offset)
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// matches applies what the store's filter cannot: the verdict and the text
// (a case-insensitive part of the name).
func (q listQuery) matches(x analysis.Experiment) bool {
	if q.Text != "" && !strings.Contains(strings.ToLower(x.Spec.Name), strings.ToLower(q.Text)) {
		return false
	}
	switch {
	case q.Verdict == "":
	case q.Verdict == "none":
		return x.Verdict == nil
	case x.Verdict == nil || string(x.Verdict.Verdict) != q.Verdict:
		return false
	}
	return true
}

func row(x analysis.Experiment) expRow {
	r := expRow{ID: x.ID, Name: x.Spec.Name, Status: x.Status, Kind: x.Spec.Kind, Template: x.Template, Key: x.Key,
		Judged: x.Judged, Intervals: x.Intervals}
	if x.Verdict != nil {
		r.Verdict, r.Reason, r.Score = string(x.Verdict.Verdict), x.Verdict.Reason, x.Verdict.Score
	}
	if x.Window != nil {
		r.Start, r.End = x.Window.Start, x.Window.End
	}
	for _, k := range slices.Sorted(maps.Keys(x.Spec.Labels)) {
		r.Labels = append(r.Labels, k+"="+x.Spec.Labels[k])
	}
	return r
}

// experimentsPage lists the experiments, newest first, filtered by the
// query. ?fragment=rows answers the table's body alone, which the page's
// script fetches to update the list while runs are in progress.
func (u *UI) experimentsPage(c *gin.Context) {
	q, f, problems := readListQuery(c)
	xs, err := u.deps.Experiments.Find(c.Request.Context(), f)
	if err != nil {
		u.failPage(c, err)
		return
	}
	d := listData{Query: q, Problems: problems, Statuses: listStatuses, Verdicts: listVerdicts,
		Filtered: q.Text != "" || q.Verdict != "" || q.Status != "" || q.Template != "" || len(q.Labels) > 0}
	var match []analysis.Experiment
	for _, x := range xs {
		if q.matches(x) {
			match = append(match, x)
		}
	}
	d.Total = len(match)
	shown := match[min(q.Offset, len(match)):min(q.Offset+q.Limit, len(match))]
	for _, x := range shown {
		d.Rows = append(d.Rows, row(x))
		d.Live = d.Live || x.Status == string(analysis.RunRunning)
	}
	if len(shown) > 0 {
		d.First, d.Last = q.Offset+1, q.Offset+len(shown)
	}
	if q.Offset > 0 {
		d.Prev = q.url(max(q.Offset-q.Limit, 0))
	}
	if q.Offset+q.Limit < len(match) {
		d.Next = q.url(q.Offset + q.Limit)
	}
	d.RowsURL = q.url(q.Offset, "fragment", "rows")
	if c.Query("fragment") == "rows" {
		u.fragment(c, "experiments", "rows", d)
		return
	}
	u.r.render(c, http.StatusOK, "experiments", page{Title: "Experiments", Nav: "experiments", Data: d})
}

// fragment writes one template of a page's set, without the layout.
func (u *UI) fragment(c *gin.Context, pageName, tmpl string, data any) {
	var buf bytes.Buffer
	if err := u.r.pages[pageName].ExecuteTemplate(&buf, tmpl, data); err != nil {
		u.logger.Error("ui: rendering a fragment", "page", pageName, "template", tmpl, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// problemData is the problem page: what went wrong and where to go.
type problemData struct {
	Message, Back, BackText string
}

// problem answers a page saying what went wrong, with a link back.
func (u *UI) problem(c *gin.Context, status int, title, msg, back, backText string) {
	u.r.render(c, status, "problem", page{Title: title, Data: problemData{Message: msg, Back: back, BackText: backText}})
}

// failPage answers an error of the manager: not found is the 404 page,
// anything else is logged and answered without its details.
func (u *UI) failPage(c *gin.Context, err error) {
	if errors.Is(err, analysis.ErrNotFound) {
		u.notFound(c)
		return
	}
	u.logger.Error("ui: reading state", "path", c.Request.URL.Path, "err", err)
	u.problem(c, http.StatusInternalServerError, "Error", "augur could not read its state; the server log has the details.", "/", "Back to the experiments")
}
