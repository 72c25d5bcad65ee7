package kayentaapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis/kayenta"
	"github.com/augurhq/augur/analysis/state"
)

// configName is the name Kayenta's config store accepts.
var configName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// configSummary is one entry of GET /canaryConfig, as Kayenta lists them
// (Argo Rollouts picks the entry whose name it was given).
type configSummary struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	UpdatedTimestamp    int64    `json:"updatedTimestamp"`
	UpdatedTimestampIso string   `json:"updatedTimestampIso"`
	Applications        []string `json:"applications"`
}

// configResponse answers a stored config: Kayenta's
// CanaryConfigUpdateResponse, with the conversion's warnings.
type configResponse struct {
	CanaryConfigID string   `json:"canaryConfigId"`
	Warnings       []string `json:"warnings"`
}

func (a *api) listConfigs(c *gin.Context) {
	list, err := a.store.ListKayentaConfigs(c.Request.Context(), applications(c))
	if err != nil {
		a.fail(c, err, "canary config", "")
		return
	}
	out := make([]configSummary, 0, len(list))
	for _, k := range list {
		out = append(out, configSummary{ID: k.ID, Name: k.Name, UpdatedTimestamp: millis(k.UpdatedAt),
			UpdatedTimestampIso: iso(k.UpdatedAt), Applications: k.Applications})
	}
	c.JSON(http.StatusOK, out)
}

func (a *api) getConfig(c *gin.Context) {
	id := c.Param("id")
	k, err := a.store.GetKayentaConfig(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err, "canary config", id)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", k.Body)
}

func (a *api) deleteConfig(c *gin.Context) {
	id := c.Param("id")
	if err := a.store.DeleteKayentaConfig(c.Request.Context(), id); err != nil {
		a.fail(c, err, "canary config", id)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *api) createConfig(c *gin.Context) {
	ctx := c.Request.Context()
	k, warnings, err := a.readConfig(c, "")
	if err != nil {
		a.fail(c, err, "canary config", "")
		return
	}
	if err := a.store.CreateKayentaConfig(ctx, k); err != nil {
		a.fail(c, err, "canary config", k.ID)
		return
	}
	c.JSON(http.StatusOK, configResponse{CanaryConfigID: k.ID, Warnings: warnings})
}

func (a *api) updateConfig(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	old, err := a.store.GetKayentaConfig(ctx, id)
	if err != nil {
		a.fail(c, err, "canary config", id)
		return
	}
	k, warnings, err := a.readConfig(c, id)
	if err != nil {
		a.fail(c, err, "canary config", id)
		return
	}
	k.CreatedAt = old.CreatedAt
	if err := a.store.UpdateKayentaConfig(ctx, k); err != nil {
		a.fail(c, err, "canary config", id)
		return
	}
	c.JSON(http.StatusOK, configResponse{CanaryConfigID: id, Warnings: warnings})
}

// readConfig reads, validates and stamps the config in the body; id is
// the config's ID on update, "" on create.
func (a *api) readConfig(c *gin.Context, id string) (state.KayentaConfig, []string, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		return state.KayentaConfig{}, nil, err
	}
	return prepareConfig(raw, id, a.now())
}

// prepareConfig validates a config and sets Kayenta's bookkeeping fields:
// the ID (given, else new on create; on update the path's), the creation
// time (given, else now) and the update time (now on update; on create
// given, else the creation time).
func prepareConfig(raw []byte, id string, now time.Time) (state.KayentaConfig, []string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return state.KayentaConfig{}, nil, badRequest("", "the body must be a Kayenta canary config, a JSON object with name, applications and metrics")
	}
	var head struct {
		ID               string   `json:"id"`
		Name             string   `json:"name"`
		Applications     []string `json:"applications"`
		CreatedTimestamp *int64   `json:"createdTimestamp"`
		UpdatedTimestamp *int64   `json:"updatedTimestamp"`
		Metrics          []struct {
			Name string `json:"name"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return state.KayentaConfig{}, nil, badRequest("", "canary config: %v", err)
	}
	switch {
	case head.Name == "":
		return state.KayentaConfig{}, nil, badRequest("name", "name: a canary config must have a name")
	case !configName.MatchString(head.Name):
		return state.KayentaConfig{}, nil, badRequest("name", "name %q: use only letters, digits, dashes (-) and underscores (_), as Kayenta requires", head.Name)
	case len(head.Applications) == 0:
		return state.KayentaConfig{}, nil, badRequest("applications", `applications: a canary config must name at least one application, e.g. "applications": ["checkout"] (clients find configs by application)`)
	case id != "" && head.ID != "" && head.ID != id:
		return state.KayentaConfig{}, nil, badRequest("id", "id %q differs from the config ID %q in the path: omit it or make them equal", head.ID, id)
	}
	seen := map[string]bool{}
	for i, m := range head.Metrics {
		switch {
		case m.Name == "":
			return state.KayentaConfig{}, nil, badRequest(fmt.Sprintf("metrics[%d].name", i), "metrics[%d].name: every metric must have a name", i)
		case seen[m.Name]:
			return state.KayentaConfig{}, nil, badRequest(fmt.Sprintf("metrics[%d].name", i), "metrics[%d].name %q: metric names must be unique", i, m.Name)
		}
		seen[m.Name] = true
	}
	warnings, err := kayenta.Check(raw)
	if err != nil {
		return state.KayentaConfig{}, nil, unprocessable("the canary config", err)
	}
	k := state.KayentaConfig{ID: head.ID, Name: head.Name, Applications: head.Applications, UpdatedAt: now}
	if id != "" {
		k.ID = id
	} else if k.ID == "" {
		k.ID = newID()
	}
	k.CreatedAt = now
	if head.CreatedTimestamp != nil {
		k.CreatedAt = time.UnixMilli(*head.CreatedTimestamp).UTC()
	}
	if id == "" {
		k.UpdatedAt = k.CreatedAt
		if head.UpdatedTimestamp != nil {
			k.UpdatedAt = time.UnixMilli(*head.UpdatedTimestamp).UTC()
		}
	}
	set := func(key string, v any) {
		b, _ := json.Marshal(v)
		fields[key] = b
	}
	set("id", k.ID)
	set("createdTimestamp", millis(k.CreatedAt))
	set("createdTimestampIso", iso(k.CreatedAt))
	set("updatedTimestamp", millis(k.UpdatedAt))
	set("updatedTimestampIso", iso(k.UpdatedAt))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return state.KayentaConfig{}, nil, err
	}
	k.Body = bytes.TrimSpace(buf.Bytes())
	return k, warnings, nil
}
