package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// Controls are a run's control buttons (start, pause, resume, abort), as
// the "controls" template (templates/_controls.html) draws them. A page
// shows them by embedding Controls, filled by UI.controlsFor, in its data
// and leaving a {{block "controls" .}}{{end}} hook where they go.
type Controls struct {
	ID     string   // the experiment
	Status string   // created, or its latest run's
	Token  string   // the form's token
	Allow  []string // the actions its status allows, in order
}

// runControls lets the template find Controls embedded in a page's data.
func (c Controls) runControls() Controls { return c }

// controlsOf returns the Controls in v (a page, or its data); nil when it
// holds none.
func controlsOf(v any) *Controls {
	if p, ok := v.(page); ok {
		v = p.Data
	}
	if h, ok := v.(interface{ runControls() Controls }); ok {
		c := h.runControls()
		if c.ID != "" {
			return &c
		}
	}
	return nil
}

// allowed lists the actions each status allows.
func allowed(status string) []string {
	switch status {
	case analysis.StatusCreated, string(analysis.RunCompleted), string(analysis.RunAborted):
		return []string{"start"}
	case string(analysis.RunRunning):
		return []string{"pause", "abort"}
	case string(analysis.RunPaused):
		return []string{"resume", "abort"}
	}
	return nil
}

// controlsFor returns x's controls.
func (u *UI) controlsFor(x analysis.Experiment) Controls {
	return Controls{ID: x.ID, Status: x.Status, Token: u.forms.token("control:" + x.ID), Allow: allowed(x.Status)}
}

// control acts on the run of the form's experiment (pages without
// script; the script calls the API), then shows its report.
func (u *UI) control(c *gin.Context) {
	id := c.Param("id")
	report := "/experiments/" + url.PathEscape(id)
	if err := u.forms.check(c.Request, "control:"+id); err != nil {
		u.problem(c, http.StatusForbidden, "Refused", "Refused: "+err.Error()+".", report, "Back to the report")
		return
	}
	actions := map[string]func(context.Context, string) (analysis.Run, error){
		"start": u.deps.Experiments.StartRun, "pause": u.deps.Experiments.Pause,
		"resume": u.deps.Experiments.Resume, "abort": u.deps.Experiments.Abort,
	}
	action := c.Request.PostFormValue("action")
	act, ok := actions[action]
	if !ok {
		u.problem(c, http.StatusBadRequest, "Unknown action", fmt.Sprintf("Unknown action %q: want start, pause, resume or abort.", action), report, "Back to the report")
		return
	}
	_, err := act(c.Request.Context(), id)
	switch {
	case errors.Is(err, analysis.ErrConflict):
		u.problem(c, http.StatusConflict, "Not now", fmt.Sprintf("Cannot %s experiment %s now: %v.", action, id, err), report, "Back to the report")
	case err != nil:
		u.failPage(c, err)
	default:
		c.Redirect(http.StatusSeeOther, report)
	}
}

// postRoutes are the forms' targets.
func (u *UI) postRoutes() []route {
	return []route{
		{"/new", u.editorPost},
		{"/experiments/:id/edit", u.editPost},
		{"/experiments/:id/control", u.control},
		{"/ui/validate", u.validateJSON},
	}
}
