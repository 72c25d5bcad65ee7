package kayentaapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/kayenta"
	"github.com/augurhq/augur/analysis/state"
)

// canaryRequest is Kayenta's CanaryExecutionRequest.
type canaryRequest struct {
	Scopes     kayenta.Scopes           `json:"scopes"`
	Thresholds *analysis.ScoreThreshold `json:"thresholds"`
	Metadata   json.RawMessage          `json:"metadata,omitempty"`
	SiteLocal  json.RawMessage          `json:"siteLocal,omitempty"`
}

// standaloneRequest is Kayenta's CanaryAnalysisExecutionRequest.
type standaloneRequest struct {
	Scopes               kayenta.Scopes           `json:"scopes"`
	Thresholds           *analysis.ScoreThreshold `json:"thresholds"`
	LifetimeDurationMins *kayenta.Minutes         `json:"lifetimeDurationMins,omitempty"`
	BeginAfterMins       *kayenta.Minutes         `json:"beginAfterMins,omitempty"`
	LookbackMins         *kayenta.Minutes         `json:"lookbackMins,omitempty"`
	AnalysisIntervalMins *kayenta.Minutes         `json:"analysisIntervalMins,omitempty"`
	SiteLocal            json.RawMessage          `json:"siteLocal,omitempty"`
}

// The fields Kayenta defines, by object, and what to use for fields it
// does not (the names other Kayenta and Spinnaker bodies use).
var (
	canaryFields     = []string{"scopes", "thresholds", "metadata", "siteLocal"}
	standaloneFields = []string{"scopes", "thresholds", "lifetimeDurationMins", "beginAfterMins", "lookbackMins", "analysisIntervalMins", "siteLocal"}
	scopeFields      = []string{"scope", "location", "region", "start", "end", "step", "extendedScopeParams"}
	listScopeFields  = []string{"scopeName", "controlScope", "controlLocation", "controlOffsetInMinutes", "experimentScope",
		"experimentLocation", "startTimeIso", "endTimeIso", "step", "extendedScopeParams"}
	adhocFields = []string{"canaryConfig", "executionRequest"}
	hints       = map[string]string{
		"canaryConfig":                 "send a config inline to POST /kayenta/canary (or /kayenta/standalone_canary_analysis) as {canaryConfig, executionRequest}; POST .../{configId} takes the execution request alone",
		"executionRequest":             "POST .../{configId} takes the execution request itself; {canaryConfig, executionRequest} goes to the route without a config ID",
		"lifetimeDurationMins":         "multi-interval timing belongs to the standalone API: POST /kayenta/standalone_canary_analysis",
		"analysisIntervalMins":         "multi-interval timing belongs to the standalone API: POST /kayenta/standalone_canary_analysis",
		"beginAfterMins":               "multi-interval timing belongs to the standalone API: POST /kayenta/standalone_canary_analysis",
		"lookbackMins":                 "multi-interval timing belongs to the standalone API: POST /kayenta/standalone_canary_analysis",
		"canaryAnalysisIntervalMins":   "use analysisIntervalMins",
		"beginCanaryAnalysisAfterMins": "use beginAfterMins",
		"lifetimeDuration":             "use lifetimeDurationMins (a number of minutes)",
		"scoreThresholds":              "use thresholds {pass, marginal}",
		"startTimeIso":                 "a canary execution's scope takes start and end; startTimeIso and endTimeIso are the standalone API's",
		"endTimeIso":                   "a canary execution's scope takes start and end; startTimeIso and endTimeIso are the standalone API's",
		"start":                        "a standalone scope takes startTimeIso and endTimeIso",
		"end":                          "a standalone scope takes startTimeIso and endTimeIso",
		"controlOffsetInMinutes":       "a canary execution's scopes give the control's own start and end",
		"metricsAccountName":           "account names are query parameters, and augur reads every metric from its own store",
		"storageAccountName":           "account names are query parameters, and augur keeps executions in its state store",
	}
)

// checkFields refuses a key of obj (at path) that Kayenta does not define
// there, naming it, the fields that are, and the alternative if known.
func checkFields(path string, obj json.RawMessage, allowed []string) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(obj, &keys); err != nil {
		return badRequest(path, "%s: must be a JSON object", strings.TrimPrefix(path, "."))
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if known {
			continue
		}
		field := strings.TrimPrefix(path+"."+k, ".")
		msg := fmt.Sprintf("unknown field %s: Kayenta's request here has %s", field, strings.Join(allowed, ", "))
		if h, ok := hints[k]; ok {
			msg += "; " + h
		}
		return badRequest(field, "%s", msg)
	}
	return nil
}

// checkScopes checks the fields of every scope: an object by scope name of
// {controlScope, experimentScope} (a canary request) or a list of
// standalone scopes.
func checkScopes(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return badRequest("scopes", "scopes: %v", err)
		}
		for i, s := range list {
			if err := checkFields(fmt.Sprintf("scopes[%d]", i), s, listScopeFields); err != nil {
				return err
			}
		}
		return nil
	}
	var pairs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return badRequest("scopes", `scopes: must be an object by scope name, {"default": {"controlScope": {..}, "experimentScope": {..}}}`)
	}
	for name, p := range pairs {
		path := "scopes." + name
		if err := checkFields(path, p, []string{"controlScope", "experimentScope"}); err != nil {
			return err
		}
		var sides map[string]json.RawMessage
		_ = json.Unmarshal(p, &sides)
		for _, side := range []string{"controlScope", "experimentScope"} {
			s, ok := sides[side]
			if !ok {
				return badRequest(path+"."+side, "%s.%s: missing; each scope gives the control's and the experiment's", path, side)
			}
			if err := checkFields(path+"."+side, s, scopeFields); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeRequest checks body's fields (allowed at the top) and decodes it
// strictly into v.
func decodeRequest(body json.RawMessage, allowed []string, v any) error {
	if err := checkFields("", body, allowed); err != nil {
		return err
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(body, &top)
	if err := checkScopes(top["scopes"]); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("", "execution request: %v", err)
	}
	return nil
}

// readBody reads a request body, at most MaxBodyBytes, that must be a JSON
// object.
func readBody(c *gin.Context) (json.RawMessage, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return nil, badRequest("", "the body must be a JSON object")
	}
	return raw, nil
}

// adHoc is the application of an execution of an inline config sent
// without ?application=.
const adHoc = "ad-hoc"

// execution is what a POST resolved: the config, the request, the spec
// converted from both and the conversion's warnings.
type execution struct {
	configID string
	config   json.RawMessage
	request  json.RawMessage
	spec     analysis.Spec
	warnings []string
}

// resolve reads the body of a POST to kind's route: with a config ID in
// the path the execution request alone, else {canaryConfig,
// executionRequest}.
func (a *api) resolve(c *gin.Context, kind string) (execution, error) {
	var x execution
	body, err := readBody(c)
	if err != nil {
		return x, err
	}
	x.configID, x.request = c.Param("id"), body
	if x.configID == "" {
		var adhoc struct {
			CanaryConfig     json.RawMessage `json:"canaryConfig"`
			ExecutionRequest json.RawMessage `json:"executionRequest"`
		}
		if err := checkFields("", body, adhocFields); err != nil {
			return x, err
		}
		_ = json.Unmarshal(body, &adhoc)
		switch {
		case len(adhoc.CanaryConfig) == 0 || string(adhoc.CanaryConfig) == "null":
			return x, badRequest("canaryConfig", "canaryConfig must be provided: POST {canaryConfig, executionRequest}, or POST the execution request to .../{configId} to use a stored config")
		case len(adhoc.ExecutionRequest) == 0 || string(adhoc.ExecutionRequest) == "null":
			return x, badRequest("executionRequest", "executionRequest must be provided with the canaryConfig")
		}
		x.config, x.request = adhoc.CanaryConfig, adhoc.ExecutionRequest
	} else {
		k, err := a.store.GetKayentaConfig(c.Request.Context(), x.configID)
		if err != nil {
			return x, err
		}
		x.config = k.Body
	}
	imp := kayenta.ImportRequest{CanaryConfig: x.config}
	if kind == state.KayentaCanary {
		var r canaryRequest
		if err := decodeRequest(x.request, canaryFields, &r); err != nil {
			return x, err
		}
		imp.Scopes, imp.Thresholds = r.Scopes, r.Thresholds
		if err := checkWindows(r.Scopes); err != nil {
			return x, err
		}
	} else {
		var r standaloneRequest
		if err := decodeRequest(x.request, standaloneFields, &r); err != nil {
			return x, err
		}
		imp.Scopes, imp.Thresholds = r.Scopes, r.Thresholds
		imp.LifetimeDurationMins, imp.BeginAfterMins, imp.LookbackMins, imp.AnalysisIntervalMins =
			r.LifetimeDurationMins, r.BeginAfterMins, r.LookbackMins, r.AnalysisIntervalMins
	}
	if len(imp.Scopes) == 0 {
		return x, badRequest("scopes", `scopes: at least one scope is required, e.g. {"default": {"controlScope": {"scope": "checkout-v1", ..}, "experimentScope": {"scope": "checkout-v2", ..}}}`)
	}
	spec, warnings, err := imp.Spec()
	if err != nil {
		return x, unprocessable("the config with this execution request", err)
	}
	spec.SetDefaults()
	x.spec, x.warnings = spec, warnings
	return x, nil
}

// start creates and starts the experiment for a POST to kind's route and
// records the execution; it returns the execution ID.
func (a *api) start(c *gin.Context, kind string) (string, bool) {
	ctx := c.Request.Context()
	x, err := a.resolve(c, kind)
	if err != nil {
		a.fail(c, err, "canary config", c.Param("id"))
		return "", false
	}
	exp, err := a.exps.Create(ctx, x.spec, true)
	if err != nil {
		var invalid *analysis.ValidationError
		if errors.As(err, &invalid) {
			err = unprocessable("the config with this execution request", invalid.Err)
		}
		a.fail(c, err, "experiment", "")
		return "", false
	}
	app := c.Query("application")
	if app == "" && x.configID == "" {
		app = adHoc // as Kayenta names the application of an inline config
	}
	rec := state.KayentaExecution{ID: exp.ID, Kind: kind, ConfigID: x.configID, Application: app,
		Config: x.config, Request: x.request, Warnings: x.warnings}
	if err := a.store.CreateKayentaExecution(ctx, rec); err != nil {
		if derr := a.exps.Delete(ctx, exp.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		a.fail(c, err, "execution", exp.ID)
		return "", false
	}
	return exp.ID, true
}

func (a *api) startCanary(c *gin.Context) {
	if id, ok := a.start(c, state.KayentaCanary); ok {
		// Exactly 200: Argo Rollouts' provider counts any other status,
		// 201 and 202 included, as an error.
		c.JSON(http.StatusOK, gin.H{"canaryExecutionId": id})
	}
}

func (a *api) startStandalone(c *gin.Context) {
	if id, ok := a.start(c, state.KayentaStandalone); ok {
		c.JSON(http.StatusOK, gin.H{"canaryAnalysisExecutionId": id})
	}
}

// checkWindows refuses a canary scope without start or end: a canary
// execution judges that window once (Kayenta's CanaryScope requires both).
func checkWindows(scopes kayenta.Scopes) error {
	names := make([]string, 0, len(scopes))
	for n := range scopes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := scopes[n]
		for _, side := range []struct {
			name string
			s    kayenta.Scope
		}{{"controlScope", p.Control}, {"experimentScope", p.Experiment}} {
			for _, f := range []struct {
				name string
				zero bool
			}{{"start", side.s.Start.IsZero()}, {"end", side.s.End.IsZero()}} {
				if !f.zero {
					continue
				}
				field := fmt.Sprintf("scopes.%s.%s.%s", n, side.name, f.name)
				return &requestError{code: http.StatusUnprocessableEntity,
					msg: field + ": missing; a canary execution judges the window from start to end: give both as RFC 3339 times " +
						"(with Argo Rollouts, set start and end of controlScope and experimentScope in the template); " +
						"to judge from now on, POST /kayenta/standalone_canary_analysis with lifetimeDurationMins",
					fields: []fieldError{{Field: field, Message: "missing: give an RFC 3339 time"}}}
			}
		}
	}
	return nil
}
