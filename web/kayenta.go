package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/kayenta"
)

// kayentaImport is the answer of POST /api/v1/import/kayenta: the
// converted spec (or, with ?create=true, the experiment made of it) and
// what did not carry over.
type kayentaImport struct {
	Spec       *analysis.Spec       `json:"spec,omitempty"`
	Experiment *analysis.Experiment `json:"experiment,omitempty"`
	Warnings   []string             `json:"warnings"`
}

// importKayenta converts a Kayenta canary config (with the cohorts or
// scopes, thresholds and timing of a canary execution request) into an
// augur/v1 spec. With ?create=true the experiment is created (and started
// unless ?start=false).
func (a api) importKayenta(c *gin.Context) {
	create, err := boolParam(c, "create", false)
	if err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	start, err := boolParam(c, "start", true)
	if err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	req, err := kayenta.DecodeImportRequest(http.MaxBytesReader(c.Writer, c.Request.Body, MaxSpecBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxSpecBytes))
		return
	case err != nil:
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	spec, warnings, err := req.Spec()
	if err != nil {
		var fields []fieldError
		for _, leaf := range leaves(err) {
			fields = append(fields, splitField(leaf.Error())...)
		}
		c.JSON(http.StatusUnprocessableEntity, apiError{Error: "cannot import the Kayenta config: " + summary(fields), Fields: fields})
		return
	}
	if warnings == nil {
		warnings = []string{}
	}
	spec.SetDefaults()
	if !create {
		c.JSON(http.StatusOK, kayentaImport{Spec: &spec, Warnings: warnings})
		return
	}
	x, err := a.exps.Create(c.Request.Context(), spec, start)
	if err != nil {
		a.fail(c, err, "experiment", "")
		return
	}
	c.Header("Location", experimentPath(x.ID))
	etag(c, x)
	c.JSON(http.StatusCreated, kayentaImport{Experiment: &x, Warnings: warnings})
}

func boolParam(c *gin.Context, name string, def bool) (bool, error) {
	s, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return def, fmt.Errorf("invalid parameter %s %q: want true or false", name, s)
	}
	return b, nil
}
