package ui

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/web"
)

// Deps are what the pages read and act on.
type Deps struct {
	// Experiments is the experiment manager (*analysis.Manager).
	Experiments web.Experiments
	// Sources re-runs metrics' cohort queries for the report's charts (nil: the charts say so).
	Sources analysis.Sources
	// Events lists experiments' controller events for the report (nil: not shown).
	Events EventLister
	// Deliveries lists experiments' notifications for the report (nil: not shown).
	Deliveries DeliveryLister
	// Spans holds the slowest and failed spans per service and version (nil: not shown).
	Spans SpanLister
	// Templates lists and reads experiment templates (*analysis.Manager); nil: the pages say there are none.
	Templates Templates
	// Kayenta lists the stored Kayenta canary configs (*state.Store); nil: the page says there are none.
	Kayenta KayentaConfigs
}

// UI serves the pages.
type UI struct {
	deps   Deps
	r      *renderer
	logger *slog.Logger
	forms  *forms // CSRF protection of the pages' forms
}

// Register mounts the pages and their assets on r, and answers paths no
// route serves with a 404 page for browsers (JSON for API clients).
func Register(r *gin.Engine, deps Deps, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rend, err := newRenderer(logger)
	if err != nil {
		return err
	}
	u := &UI{deps: deps, r: rend, logger: logger, forms: newForms()}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return err
	}
	r.StaticFS("/ui/static", http.FS(static))
	for _, rt := range u.routes() {
		r.GET(rt.path, rt.handler)
	}
	for _, rt := range u.postRoutes() {
		r.POST(rt.path, rt.handler)
	}
	r.NoRoute(u.notFound)
	return nil
}

type route struct {
	path    string
	handler gin.HandlerFunc
}

// routes lists the pages; each page file adds its own.
func (u *UI) routes() []route {
	return []route{
		{"/", u.experimentsPage},
		{"/experiments/:id", u.reportLatest},
		{"/experiments/:id/runs/:run", u.reportRun},
		{"/experiments/:id/runs/:run/charts/*chart", u.reportChart},
		{"/templates", u.templatesPage}, {"/templates/:name", u.templatePage}, {"/kayenta", u.kayentaPage},
		{"/new", u.editorPage}, {"/experiments/:id/edit", u.editPage},
	}
}

// notFound answers an unknown path: a page with a link back for browsers,
// the API's JSON error for everyone else.
func (u *UI) notFound(c *gin.Context) {
	if !wantsHTML(c.Request) {
		c.JSON(http.StatusNotFound, gin.H{"error": "not found: " + c.Request.URL.Path})
		return
	}
	u.r.render(c, http.StatusNotFound, "notfound", page{Title: "Not found", Data: c.Request.URL.Path})
}

// wantsHTML reports whether the client asked for a page (a browser), not
// for JSON.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, web.Prefix+"/") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
