package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// page is what every page template gets: its title, the navigation entry
// it belongs to, and its own data.
type page struct {
	Title string
	Nav   string // experiments, new, templates, kayenta
	Data  any
}

// renderer holds one parsed template set per page: the layout and the
// page's own file, so that pages cannot clash over block names.
type renderer struct {
	pages  map[string]*template.Template
	logger *slog.Logger
}

// funcs are the helpers every template may use. They return text that
// html/template escapes, except where their name says otherwise.
var funcs = template.FuncMap{
	"since": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return time.Since(t).Round(time.Second).String()
	},
	"rfc3339": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"short": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"upper":      strings.ToUpper,
	"controlsOf": controlsOf,
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"num": func(f *float64) string {
		if f == nil {
			return "—"
		}
		return trimFloat(*f)
	},
}

// trimFloat formats f with four significant digits.
func trimFloat(f float64) string { return fmt.Sprintf("%.4g", f) }

func newRenderer(logger *slog.Logger) (*renderer, error) {
	layout, err := fs.ReadFile(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(templateFiles, "templates")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]*template.Template{}, logger: logger}
	// Partials (_name.html) define blocks every page may use; a page's own
	// empty {{block}} of that name yields to them.
	var partials []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "_") {
			b, err := fs.ReadFile(templateFiles, "templates/"+e.Name())
			if err != nil {
				return nil, err
			}
			partials = append(partials, string(b))
		}
	}
	for _, e := range entries {
		name := e.Name()
		if name == "layout.html" || !strings.HasSuffix(name, ".html") || strings.HasPrefix(name, "_") {
			continue
		}
		body, err := fs.ReadFile(templateFiles, "templates/"+name)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err == nil {
			_, err = t.Parse(string(body))
		}
		for _, p := range partials {
			if err == nil {
				_, err = t.Parse(p)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		r.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return r, nil
}

// render writes the named page with status; a template error is logged
// and answered 500 without the half-written page.
func (r *renderer) render(c *gin.Context, status int, name string, p page) {
	t, ok := r.pages[name]
	if !ok {
		r.logger.Error("ui: no such page template", "page", name)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		r.logger.Error("ui: rendering a page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
