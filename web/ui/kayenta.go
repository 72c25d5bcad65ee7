package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis/state"
)

// KayentaConfigs is what the Kayenta page reads (*state.Store): the
// canary configs stored through augur's Kayenta API.
type KayentaConfigs interface {
	ListKayentaConfigs(ctx context.Context, applications []string) ([]state.KayentaConfig, error)
}

// kayentaConfig is one stored config as the page shows it.
type kayentaConfig struct {
	ID, Name     string
	Applications []string
	Metrics      int
	Updated      time.Time
	Body         string // indented JSON
}

// kayentaPage lists the stored Kayenta canary configs, each with its JSON.
func (u *UI) kayentaPage(c *gin.Context) {
	var out []kayentaConfig
	if u.deps.Kayenta != nil {
		cs, err := u.deps.Kayenta.ListKayentaConfigs(c.Request.Context(), nil)
		if err != nil {
			u.failPage(c, err)
			return
		}
		for _, k := range cs {
			kc := kayentaConfig{ID: k.ID, Name: k.Name, Applications: k.Applications, Updated: k.UpdatedAt, Body: string(k.Body)}
			var buf bytes.Buffer
			if json.Indent(&buf, k.Body, "", "  ") == nil {
				kc.Body = buf.String()
			}
			var shape struct {
				Metrics []json.RawMessage `json:"metrics"`
			}
			if json.Unmarshal(k.Body, &shape) == nil {
				kc.Metrics = len(shape.Metrics)
			}
			out = append(out, kc)
		}
	}
	u.r.render(c, http.StatusOK, "kayenta", page{Title: "Kayenta configs", Nav: "kayenta", Data: out})
}
