package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// MaxSpecBytes bounds a submitted spec; larger bodies get 413.
const MaxSpecBytes = 1 << 20

// readSpec decodes the request body (YAML or JSON) strictly and validates
// it. On failure it has answered the request and reports false.
func readSpec(c *gin.Context) (analysis.Spec, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxSpecBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("spec larger than %d bytes", MaxSpecBytes))
		return analysis.Spec{}, false
	case err != nil:
		writeError(c, http.StatusBadRequest, "read body: "+err.Error())
		return analysis.Spec{}, false
	case len(bytes.TrimSpace(body)) == 0:
		writeError(c, http.StatusBadRequest, "empty body: send the spec as YAML or JSON")
		return analysis.Spec{}, false
	}
	spec, err := analysis.ParseSpec(bytes.NewReader(body))
	if err != nil {
		code, e := specError(body, err)
		c.JSON(code, e)
		return analysis.Spec{}, false
	}
	return spec, true
}

func experimentPath(id string) string { return Prefix + "/experiments/" + url.PathEscape(id) }

// etag writes the experiment's version as its entity tag, the value PUT
// expects back in If-Match.
func etag(c *gin.Context, x analysis.Experiment) {
	c.Header("ETag", strconv.Quote(strconv.FormatInt(x.Version, 10)))
}

func (a api) create(c *gin.Context) {
	start := true
	if s, ok := c.GetQuery("start"); ok {
		b, err := strconv.ParseBool(s)
		if err != nil {
			writeError(c, http.StatusBadRequest, fmt.Sprintf("invalid parameter start %q: want true or false", s))
			return
		}
		start = b
	}
	spec, ok := readSpec(c)
	if !ok {
		return
	}
	x, err := a.exps.Create(c.Request.Context(), spec, start)
	if err != nil {
		a.fail(c, err, "experiment", "")
		return
	}
	c.Header("Location", experimentPath(x.ID))
	etag(c, x)
	c.JSON(http.StatusCreated, x)
}

// experimentStatuses are the values of ?status=.
var experimentStatuses = []string{analysis.StatusCreated, string(analysis.RunRunning), string(analysis.RunPaused),
	string(analysis.RunCompleted), string(analysis.RunAborted)}

// listFilter reads ?name=, ?template=, ?key=, ?status= and repeated
// ?label=k=v. A nonzero code is the error answer.
func listFilter(c *gin.Context) (f analysis.ExperimentFilter, code int, msg string) {
	f.Name, f.Template, f.Key, f.Status = c.Query("name"), c.Query("template"), c.Query("key"), c.Query("status")
	if f.Status != "" && !slices.Contains(experimentStatuses, f.Status) {
		return f, http.StatusBadRequest, fmt.Sprintf("invalid parameter status %q: want one of %s", f.Status, strings.Join(experimentStatuses, ", "))
	}
	for _, l := range c.QueryArray("label") {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return f, http.StatusBadRequest, fmt.Sprintf("invalid parameter label %q: want name=value", l)
		}
		if f.Labels == nil {
			f.Labels = map[string]string{}
		}
		if prev, dup := f.Labels[k]; dup && prev != v {
			return f, http.StatusBadRequest, fmt.Sprintf("invalid parameter label %q: label %s is already required to be %q", l, k, prev)
		}
		f.Labels[k] = v
	}
	return f, 0, ""
}

func (a api) list(c *gin.Context) {
	f, code, msg := listFilter(c)
	if code != 0 {
		writeError(c, code, msg)
		return
	}
	xs, err := a.exps.Find(c.Request.Context(), f)
	if err != nil {
		a.fail(c, err, "experiments", "")
		return
	}
	if xs == nil {
		xs = []analysis.Experiment{}
	}
	c.JSON(http.StatusOK, gin.H{"experiments": xs})
}

func (a api) get(c *gin.Context) {
	id := c.Param("id")
	x, err := a.exps.Get(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err, "experiment", id)
		return
	}
	etag(c, x)
	c.JSON(http.StatusOK, x)
}

// update replaces the spec. The client names the version it read (If-Match
// or ?version=): none is 428, a stale one 409.
func (a api) update(c *gin.Context) {
	id := c.Param("id")
	version, code, msg := requestVersion(c)
	if code != 0 {
		writeError(c, code, msg)
		return
	}
	spec, ok := readSpec(c)
	if !ok {
		return
	}
	x, err := a.exps.Update(c.Request.Context(), id, spec, version)
	if errors.Is(err, analysis.ErrConflict) {
		writeError(c, http.StatusConflict, fmt.Sprintf(
			"experiment %s changed since version %d: read it again and resend with its current version (%v)", id, version, err))
		return
	}
	if err != nil {
		a.fail(c, err, "experiment", id)
		return
	}
	etag(c, x)
	c.JSON(http.StatusOK, x)
}

// requestVersion reads the version a PUT is based on from If-Match ("3")
// or ?version=3. A nonzero code is the error answer.
func requestVersion(c *gin.Context) (version int64, code int, msg string) {
	given := [][2]string{{"If-Match", c.GetHeader("If-Match")}, {"version", c.Query("version")}}
	for _, g := range given {
		if g[1] == "" {
			continue
		}
		v, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(g[1]), `"`), 10, 64)
		if err != nil || v < 1 {
			return 0, http.StatusBadRequest, fmt.Sprintf("invalid %s %q: want the experiment's version, such as \"3\"", g[0], g[1])
		}
		if version != 0 && v != version {
			return 0, http.StatusBadRequest, fmt.Sprintf("If-Match %s and version %s disagree", given[0][1], given[1][1])
		}
		version = v
	}
	if version == 0 {
		return 0, http.StatusPreconditionRequired,
			`updating needs the version you read: send If-Match: "<version>" (the ETag of GET) or ?version=<version>`
	}
	return version, 0, ""
}

func (a api) delete(c *gin.Context) {
	id := c.Param("id")
	if err := a.exps.Delete(c.Request.Context(), id); err != nil {
		a.fail(c, err, "experiment", id)
		return
	}
	c.Status(http.StatusNoContent)
}
