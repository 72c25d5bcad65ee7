package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// Templates is what the template, instance and event API needs from the
// experiment manager (*analysis.Manager implements it).
type Templates interface {
	PutTemplateVersion(ctx context.Context, t analysis.Template, ifVersion int64) (analysis.TemplateRecord, bool, error)
	GetTemplate(ctx context.Context, name string) (analysis.TemplateRecord, error)
	ListTemplates(ctx context.Context) ([]analysis.TemplateRecord, error)
	DeleteTemplate(ctx context.Context, name string) error
	Instantiate(ctx context.Context, req analysis.InstanceRequest) (analysis.Instance, error)
	Instance(ctx context.Context, key string) (analysis.Instance, error)
	RecordEvent(ctx context.Context, ev analysis.Event) error
	Events(ctx context.Context, experimentID string) ([]analysis.Event, error)
}

// MaxInstanceRequestBytes bounds an instance request's body.
const MaxInstanceRequestBytes = 256 << 10

// registerTemplates mounts the template, instance and event routes.
func registerTemplates(r gin.IRoutes, a api, t Templates) {
	h := templateAPI{api: a, t: t}
	r.GET(Prefix+"/templates", h.list)
	r.PUT(Prefix+"/templates/:name", h.put)
	r.GET(Prefix+"/templates/:name", h.get)
	r.DELETE(Prefix+"/templates/:name", h.delete)
	r.POST(Prefix+"/templates/:name/instances", h.instantiate)
	// A catch-all, so that keys holding "/" (escaped or not) resolve.
	r.GET(Prefix+"/instances/*key", h.instance)
	r.GET(Prefix+"/experiments/:id/events", h.events)
	r.POST(Prefix+"/experiments/:id/events", h.recordEvent)
}

type templateAPI struct {
	api
	t Templates
}

// invalid answers 422 for a validation error, naming each field, with what
// was refused ("template", "instance request", "event").
func invalid(c *gin.Context, what string, err error) bool {
	var v *analysis.ValidationError
	if !errors.As(err, &v) {
		return false
	}
	var fields []fieldError
	for _, leaf := range leaves(v.Err) {
		fields = append(fields, splitField(leaf.Error())...)
	}
	c.JSON(http.StatusUnprocessableEntity, apiError{Error: "invalid " + what + ": " + summary(fields), Fields: fields})
	return true
}

// readBody reads at most limit bytes of a non-empty body; on failure it has
// answered.
func readBody(c *gin.Context, limit int64, what string) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s larger than %d bytes", what, limit))
	case err != nil:
		writeError(c, http.StatusBadRequest, "read body: "+err.Error())
	case len(bytes.TrimSpace(body)) == 0:
		writeError(c, http.StatusBadRequest, "empty body: send the "+what)
	default:
		return body, true
	}
	return nil, false
}

func templatePath(name string) string { return Prefix + "/templates/" + url.PathEscape(name) }

func templateETag(c *gin.Context, rec analysis.TemplateRecord) {
	c.Header("ETag", strconv.Quote(strconv.FormatInt(rec.Version, 10)))
}

// put creates or replaces a template (201 or 200). If-Match, when sent,
// must be the stored version (409 otherwise, as for experiments).
func (h templateAPI) put(c *gin.Context) {
	name := c.Param("name")
	var ifVersion int64
	if m := c.GetHeader("If-Match"); m != "" {
		v, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(m), `"`), 10, 64)
		if err != nil || v < 1 {
			writeError(c, http.StatusBadRequest, fmt.Sprintf("invalid If-Match %q: want the template's version, such as \"3\"", m))
			return
		}
		ifVersion = v
	}
	body, ok := readBody(c, MaxSpecBytes, "template (YAML or JSON)")
	if !ok {
		return
	}
	t, err := analysis.ParseTemplate(bytes.NewReader(body))
	if err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case t.Name == "":
		t.Name = name
	case t.Name != name:
		c.JSON(http.StatusUnprocessableEntity, apiError{
			Error:  fmt.Sprintf("invalid template: name: %q differs from the path's %q", t.Name, name),
			Fields: []fieldError{{Field: "name", Message: fmt.Sprintf("%q differs from the path's %q", t.Name, name)}}})
		return
	}
	rec, created, err := h.t.PutTemplateVersion(c.Request.Context(), t, ifVersion)
	switch {
	case invalid(c, "template", err):
		return
	case errors.Is(err, analysis.ErrConflict):
		writeError(c, http.StatusConflict, fmt.Sprintf("template %s changed since version %d: read it again and resend with its current version", name, ifVersion))
		return
	case err != nil:
		h.fail(c, err, "template", name)
		return
	}
	templateETag(c, rec)
	code := http.StatusOK
	if created {
		c.Header("Location", templatePath(rec.Name))
		code = http.StatusCreated
	}
	c.JSON(code, rec)
}

func (h templateAPI) get(c *gin.Context) {
	name := c.Param("name")
	rec, err := h.t.GetTemplate(c.Request.Context(), name)
	if err != nil {
		h.fail(c, err, "template", name)
		return
	}
	templateETag(c, rec)
	c.JSON(http.StatusOK, rec)
}

func (h templateAPI) list(c *gin.Context) {
	recs, err := h.t.ListTemplates(c.Request.Context())
	if err != nil {
		h.fail(c, err, "templates", "")
		return
	}
	if recs == nil {
		recs = []analysis.TemplateRecord{}
	}
	c.JSON(http.StatusOK, gin.H{"templates": recs})
}

func (h templateAPI) delete(c *gin.Context) {
	name := c.Param("name")
	if err := h.t.DeleteTemplate(c.Request.Context(), name); err != nil {
		h.fail(c, err, "template", name)
		return
	}
	c.Status(http.StatusNoContent)
}

// instanceRequest is the body of POST /templates/{name}/instances.
type instanceRequest struct {
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

func instancePath(key string) string { return Prefix + "/instances/" + url.PathEscape(key) }

// instantiate answers 201 with the instance it created, 200 with the one
// stored under the key.
func (h templateAPI) instantiate(c *gin.Context) {
	name := c.Param("name")
	body, ok := readBody(c, MaxInstanceRequestBytes, `instance request {"key": "...", "args": {...}}`)
	if !ok {
		return
	}
	var req instanceRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(c, http.StatusBadRequest, fmt.Sprintf(`invalid instance request: %v; want {"key": "...", "args": {"name": "value"}} with string values`, err))
		return
	}
	in, err := h.t.Instantiate(c.Request.Context(), analysis.InstanceRequest{Template: name, Key: req.Key, Args: req.Args})
	if invalid(c, "instance request", err) {
		return
	}
	if err != nil {
		h.fail(c, err, "template", name)
		return
	}
	c.Header("Location", instancePath(in.Key))
	code := http.StatusOK
	if in.Created {
		code = http.StatusCreated
	}
	c.JSON(code, in)
}

func (h templateAPI) instance(c *gin.Context) {
	key := strings.TrimPrefix(c.Param("key"), "/")
	in, err := h.t.Instance(c.Request.Context(), key)
	if err != nil {
		h.fail(c, err, "instance", strconv.Quote(key))
		return
	}
	c.JSON(http.StatusOK, in)
}

func (h templateAPI) events(c *gin.Context) {
	id := c.Param("id")
	evs, err := h.t.Events(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err, "experiment", id)
		return
	}
	if evs == nil {
		evs = []analysis.Event{}
	}
	c.JSON(http.StatusOK, gin.H{"events": evs})
}

// eventRequest is the body of POST /experiments/{id}/events.
type eventRequest struct {
	Type    string          `json:"type"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// recordEvent keeps a client's event (source "api") with the experiment.
func (h templateAPI) recordEvent(c *gin.Context) {
	id := c.Param("id")
	body, ok := readBody(c, analysis.MaxEventDataBytes+analysis.MaxEventMessageBytes+1024, `event {"type": "...", "message": "..."}`)
	if !ok {
		return
	}
	var req eventRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(c, http.StatusBadRequest, fmt.Sprintf(`invalid event: %v; want {"type": "...", "message": "...", "data": {...}}`, err))
		return
	}
	ev := analysis.Event{ExperimentID: id, Source: "api", Type: req.Type, Message: req.Message, Data: req.Data,
		At: time.Now().UTC().Truncate(time.Microsecond)}
	err := h.t.RecordEvent(c.Request.Context(), ev)
	if invalid(c, "event", err) {
		return
	}
	if err != nil {
		h.fail(c, err, "experiment", id)
		return
	}
	c.JSON(http.StatusCreated, ev)
}
