package ui

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// Templates is what the template pages read (*analysis.Manager).
type Templates interface {
	ListTemplates(ctx context.Context) ([]analysis.TemplateRecord, error)
	GetTemplate(ctx context.Context, name string) (analysis.TemplateRecord, error)
}

// templatesPage lists the stored templates.
func (u *UI) templatesPage(c *gin.Context) {
	var ts []analysis.TemplateRecord
	if u.deps.Templates != nil {
		var err error
		if ts, err = u.deps.Templates.ListTemplates(c.Request.Context()); err != nil {
			u.failPage(c, err)
			return
		}
	}
	u.r.render(c, http.StatusOK, "templates", page{Title: "Templates", Nav: "templates", Data: ts})
}

// templateData is one template's page: the template and its instances.
type templateData struct {
	T         analysis.TemplateRecord
	Instances []expRow
}

// templatePage shows a template: its arguments, its spec and the
// experiments instantiated from it.
func (u *UI) templatePage(c *gin.Context) {
	if u.deps.Templates == nil {
		u.notFound(c)
		return
	}
	ctx := c.Request.Context()
	t, err := u.deps.Templates.GetTemplate(ctx, c.Param("name"))
	if err != nil {
		u.failPage(c, err)
		return
	}
	d := templateData{T: t}
	xs, err := u.deps.Experiments.Find(ctx, analysis.ExperimentFilter{Template: t.Name})
	if err != nil {
		u.failPage(c, err)
		return
	}
	for _, x := range xs {
		d.Instances = append(d.Instances, row(x))
	}
	u.r.render(c, http.StatusOK, "template", page{Title: "Template " + t.Name, Nav: "templates", Data: d})
}
