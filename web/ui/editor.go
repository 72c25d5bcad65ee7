package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/web"
)

// exampleSpec prefills the editor: a small canary experiment, commented.
const exampleSpec = `# An experiment compares a canary cohort with its baseline, metric by
# metric, interval by interval. Validate checks it as "augur check" does.
apiVersion: augur/v1
kind: canary              # canary, abn or slo
name: checkout-v2-canary
labels:                   # for filtering and notification routing
  team: payments
cohorts:
  # Label matchers selecting each cohort's series; a query's ${cohort}
  # is replaced by them.
  baseline: 'service_version="v1"'
  canary: 'service_version="v2"'
timing:
  interval: 5m            # judge every five minutes
  lifetime: 1h            # for an hour, then give the verdict
metrics:
  - name: latency_p99
    query: 'histogram_quantile(0.99, sum by (le, service_instance_id) (rate(augur_span_duration_seconds_bucket{service_name="checkout",${cohort}}[2m])))'
    judge: {type: mannwhitney, direction: increase}
  - name: error_rate
    critical: true        # a failing critical metric fails the run
    query: 'sum by (service_instance_id) (increase(augur_span_errors_total{service_name="checkout",${cohort}}[${window}]))'
    total_query: 'sum by (service_instance_id) (increase(augur_span_requests_total{service_name="checkout",${cohort}}[${window}]))'
    judge: {type: proportion}
`

// Editor actions, the value of the form's submit buttons.
const (
	actValidate = "validate"
	actCreate   = "create"
	actStart    = "start"
	actSave     = "save"
)

// editorData is the spec editor's page.
type editorData struct {
	Spec    string
	Token   string
	Action  string // where the form posts
	EditID  string // the experiment being edited, "" for a new one
	Version int64  // its version when read
	Problem *web.SpecProblem
	Valid   string // what Validate found, when the spec is valid
}

// editorPage shows the editor with the example spec.
func (u *UI) editorPage(c *gin.Context) {
	u.editor(c, http.StatusOK, editorData{Spec: exampleSpec})
}

// editPage shows the editor with an experiment's spec.
func (u *UI) editPage(c *gin.Context) {
	x, err := u.deps.Experiments.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		u.failPage(c, err)
		return
	}
	b, err := yaml.Marshal(x.Spec)
	if err != nil {
		u.failPage(c, fmt.Errorf("ui: spec of %s as YAML: %w", x.ID, err))
		return
	}
	u.editor(c, http.StatusOK, editorData{Spec: string(b), EditID: x.ID, Version: x.Version})
}

func (u *UI) editor(c *gin.Context, status int, d editorData) {
	title, what := "New experiment", "new"
	d.Action = "/new"
	if d.EditID != "" {
		title, what = "Edit "+d.EditID, "edit:"+d.EditID
		d.Action = "/experiments/" + url.PathEscape(d.EditID) + "/edit"
	}
	d.Token = u.forms.token(what)
	u.r.render(c, status, "editor", page{Title: title, Nav: "new", Data: d})
}

// readSpecForm reads the editor's form; on failure it has answered.
func (u *UI) readSpecForm(c *gin.Context, what string) (spec, action string, ok bool) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 2*web.MaxSpecBytes)
	if err := c.Request.ParseForm(); err != nil {
		u.problem(c, http.StatusRequestEntityTooLarge, "Spec too large", fmt.Sprintf("The form could not be read (%v); a spec holds at most %d bytes.", err, web.MaxSpecBytes), "/new", "Back to the editor")
		return "", "", false
	}
	if err := u.forms.check(c.Request, what); err != nil {
		u.problem(c, http.StatusForbidden, "Refused", "Refused: "+err.Error()+".", "/new", "Back to the editor")
		return "", "", false
	}
	spec = strings.ReplaceAll(c.Request.PostFormValue("spec"), "\r\n", "\n")
	return spec, c.Request.PostFormValue("action"), true
}

// editorPost validates, creates or creates and starts the spec of the
// editor's form (pages without script).
func (u *UI) editorPost(c *gin.Context) {
	text, action, ok := u.readSpecForm(c, "new")
	if !ok {
		return
	}
	d := editorData{Spec: text}
	spec, p := web.CheckSpec([]byte(text))
	if p != nil || action == actValidate {
		d.Problem = p
		u.answerCheck(c, d, spec)
		return
	}
	if action != actCreate && action != actStart {
		u.problem(c, http.StatusBadRequest, "Unknown action", fmt.Sprintf("Unknown action %q: want validate, create or start.", action), "/new", "Back to the editor")
		return
	}
	x, err := u.deps.Experiments.Create(c.Request.Context(), spec, action == actStart)
	if u.refused(c, d, text, err) {
		return
	}
	c.Redirect(http.StatusSeeOther, "/experiments/"+url.PathEscape(x.ID))
}

// editPost validates or saves an edited spec.
func (u *UI) editPost(c *gin.Context) {
	id := c.Param("id")
	text, action, ok := u.readSpecForm(c, "edit:"+id)
	if !ok {
		return
	}
	version, err := strconv.ParseInt(c.Request.PostFormValue("version"), 10, 64)
	if err != nil || version < 1 {
		u.problem(c, http.StatusBadRequest, "No version", "The form names no version of the experiment: reload the editor.", "/experiments/"+url.PathEscape(id)+"/edit", "Back to the editor")
		return
	}
	d := editorData{Spec: text, EditID: id, Version: version}
	spec, p := web.CheckSpec([]byte(text))
	if p != nil || action == actValidate {
		d.Problem = p
		u.answerCheck(c, d, spec)
		return
	}
	x, err := u.deps.Experiments.Update(c.Request.Context(), id, spec, version)
	if errors.Is(err, analysis.ErrConflict) {
		d.Problem = &web.SpecProblem{Status: http.StatusConflict, Error: fmt.Sprintf("experiment %s changed since version %d: reload the editor to edit its current spec", id, version)}
		u.editor(c, http.StatusConflict, d)
		return
	}
	if u.refused(c, d, text, err) {
		return
	}
	c.Redirect(http.StatusSeeOther, "/experiments/"+url.PathEscape(x.ID))
}

// answerCheck re-renders the editor with what Validate found.
func (u *UI) answerCheck(c *gin.Context, d editorData, spec analysis.Spec) {
	if d.Problem != nil {
		u.editor(c, d.Problem.Status, d)
		return
	}
	d.Valid = describe(spec)
	u.editor(c, http.StatusOK, d)
}

// refused answers a Create or Update that failed: the editor with the
// fields the manager refused, or the error page. It reports whether it
// answered.
func (u *UI) refused(c *gin.Context, d editorData, text string, err error) bool {
	if err == nil {
		return false
	}
	if p := web.SpecRefusal([]byte(text), err); p != nil {
		d.Problem = p
		u.editor(c, p.Status, d)
		return true
	}
	u.failPage(c, err)
	return true
}

// describe says what a valid spec is, as augur check does.
func describe(s analysis.Spec) string {
	return fmt.Sprintf("Valid %s experiment %q: %d metrics, judged every %s for %s.", s.Kind, s.Name, len(s.Metrics), s.Timing.Interval, s.Timing.Lifetime)
}

// validateJSON answers the editor's script: the spec in the body checked
// as the form's Validate does, as JSON ({valid, summary} or the API's
// error with each field's line). It changes nothing.
func (u *UI) validateJSON(c *gin.Context) {
	if err := sameOrigin(c.Request); err != nil {
		c.JSON(http.StatusForbidden, gin.H{"error": err.Error()})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, web.MaxSpecBytes))
	if err != nil {
		c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": fmt.Sprintf("spec larger than %d bytes", web.MaxSpecBytes)})
		return
	}
	spec, p := web.CheckSpec(body)
	if p != nil {
		c.JSON(http.StatusOK, gin.H{"valid": false, "error": p.Error, "fields": p.Fields})
		return
	}
	c.JSON(http.StatusOK, gin.H{"valid": true, "summary": describe(spec)})
}
