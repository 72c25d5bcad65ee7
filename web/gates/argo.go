package gates

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// argo serves Argo Rollouts' web metric provider: it instantiates the
// template under the call's key (or finds the instance) and answers the
// run's status.
func (g *gates) argo(c *gin.Context) {
	ctx, name := c.Request.Context(), c.Param("template")
	args, err := callArgs(c)
	if err != nil {
		g.refused(c, err)
		return
	}
	t, err := g.m.GetTemplate(ctx, name)
	if err != nil {
		code, msg := g.classify(c, err, "template "+name)
		c.JSON(code, apiError{Error: msg})
		return
	}
	pass, err := instanceArgs(t.Template, args)
	if err != nil {
		g.refused(c, err)
		return
	}
	key, err := argoKey(name, args)
	if err != nil {
		g.refused(c, err)
		return
	}
	inst, err := g.m.Instantiate(ctx, analysis.InstanceRequest{Template: name, Key: key, Args: pass})
	if err != nil {
		code, msg := g.classify(c, err, "template "+name)
		c.JSON(code, apiError{Error: msg})
		return
	}
	if inst.Template != "" && inst.Template != name {
		c.JSON(http.StatusConflict, apiError{Error: "key " + key + " belongs to an instance of template " + inst.Template + ", not " + name})
		return
	}
	st, err := g.status(ctx, inst.RunID, t.OnError)
	if err != nil {
		code, msg := g.classify(c, err, "run "+inst.RunID)
		c.JSON(code, apiError{Error: msg})
		return
	}
	st.Key, st.Template, st.ReportURL = inst.Key, name, g.reportURL(c, st.ExperimentID)
	code := http.StatusOK
	if st.Verdict == VerdictError {
		code = http.StatusServiceUnavailable
	}
	c.JSON(code, st)
}

// refused answers a badRequest (or a 500 for anything else).
func (g *gates) refused(c *gin.Context, err error) {
	var br *badRequest
	if errors.As(err, &br) {
		c.JSON(br.code, apiError{Error: br.msg})
		return
	}
	code, msg := g.classify(c, err, "")
	c.JSON(code, apiError{Error: msg})
}
