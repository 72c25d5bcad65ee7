package kayentaapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// argoRequest is the body Argo Rollouts' kayenta provider POSTs
// (metricproviders/kayenta/kayenta.go, AnalysisRequest): region is sent
// as location, step as a number, thresholds as integers. step is a
// string here, as real Spinnaker stages write it.
const argoRequest = `{"scopes":{"default":{
	"controlScope":{"scope":"v1","location":"eu-west-1","step":"15","start":"2026-05-01T11:50:00Z","end":"2026-05-01T12:00:00Z"},
	"experimentScope":{"scope":"v2","location":"eu-west-1","step":15,"start":"2026-05-01T11:50:00Z","end":"2026-05-01T12:00:00Z"}}},
	"thresholds":{"pass":90,"marginal":75}}`

// argoQuery is the query string of the provider's job URL.
const argoQuery = "?application=checkout&metricsAccountName=prom&configurationAccountName=cfg&storageAccountName=store"

func f(v float64) *float64 { return &v }

func metric(name, group string, c judges.Classification) analysis.MetricResult {
	return analysis.MetricResult{Name: name, Group: group, Classification: c, Reason: string(c),
		Baseline: analysis.CohortSummary{N: 40, Mean: f(0.1)}, Canary: analysis.CohortSummary{N: 40, Mean: f(0.2)}, MeanRatio: f(2)}
}

func verdict(o judges.Outcome, score *float64, ms ...analysis.MetricResult) *analysis.Verdict {
	start := time.Date(2026, 5, 1, 11, 50, 0, 0, time.UTC)
	return &analysis.Verdict{Verdict: o, Score: score, Reason: "because " + string(o), Metrics: ms,
		Window: analysis.TimeRange{Start: start, End: start.Add(10 * time.Minute)}, CompletedAt: start.Add(11 * time.Minute)}
}

// TestCanaryExecution replays Argo Rollouts' kayenta provider: POST
// /canary/{configId} must answer exactly 200 with canaryExecutionId, and
// GET /canary/{id} must carry complete and, once complete,
// result.judgeResult.score.score (Kayenta's CanaryExecutionStatusResponse).
func TestCanaryExecution(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     analysis.RunStatus
		verdict    *analysis.Verdict
		wantStatus string
		wantScore  any // nil: no result
		wantClass  string
		wantMetric []string
		wantGroup  float64
	}{
		{"pass", analysis.RunCompleted, verdict(judges.OutcomePass, f(100), metric("p90 latency", "latency", judges.Pass), metric("p50 server span latency", "latency", judges.Pass)),
			"succeeded", 100.0, "Pass", []string{"Pass", "Pass"}, 100},
		{"fail on the score", analysis.RunCompleted, verdict(judges.OutcomeFail, f(50), metric("p90 latency", "latency", judges.High), metric("p50 server span latency", "latency", judges.Pass)),
			"succeeded", 50.0, "Fail", []string{"High", "Pass"}, 50},
		{"critical failure scores 0", analysis.RunCompleted, verdict(judges.OutcomeFail, f(96), metric("p90 latency", "latency", judges.Low), metric("p50 server span latency", "latency", judges.Pass)),
			"succeeded", 0.0, "Fail", []string{"Low", "Pass"}, 50},
		{"inconclusive is Nodata", analysis.RunCompleted, verdict(judges.OutcomeInconclusive, nil, metric("p90 latency", "latency", judges.NoData), metric("p50 server span latency", "latency", judges.Inconclusive)),
			"succeeded", 0.0, "Nodata", []string{"Nodata", "Nodata"}, 0},
		{"error is terminal", analysis.RunCompleted, verdict(judges.OutcomeError, nil), "terminal", nil, "", nil, 0},
		{"aborted is canceled", analysis.RunAborted, verdict(judges.OutcomeInconclusive, nil), "canceled", nil, "", nil, 0},
		{"ended as fail by an alert is a failed judgement", analysis.RunAborted, verdict(judges.OutcomeFail, f(0)), "succeeded", 0.0, "Fail", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			cfgID := s.storeConfig(t)
			code, raw := s.raw(t, http.MethodPost, "/kayenta/canary/"+cfgID+argoQuery, argoRequest)
			if code != http.StatusOK {
				t.Fatalf("POST /canary: %d %s, want exactly 200", code, raw)
			}
			var started map[string]any
			if err := json.Unmarshal(raw, &started); err != nil {
				t.Fatal(err)
			}
			id, _ := started["canaryExecutionId"].(string)
			x, err := s.exps.Get(t.Context(), id)
			if err != nil {
				t.Fatalf("canaryExecutionId %q is no experiment: %v", id, err)
			}
			if x.Spec.Cohorts.Baseline.Selector != `service_version="v1"` || x.Spec.Cohorts.Canary.Selector != `service_version="v2"` ||
				x.Spec.Thresholds != (analysis.ScoreThreshold{Pass: 90, Marginal: 75}) || x.Spec.Step != analysis.Duration(15*time.Second) ||
				x.Spec.Timing.Lifetime != analysis.Duration(10*time.Minute) {
				t.Errorf("experiment spec: cohorts %+v %+v thresholds %+v step %s lifetime %s", x.Spec.Cohorts.Baseline, x.Spec.Cohorts.Canary, x.Spec.Thresholds, x.Spec.Step, x.Spec.Timing.Lifetime)
			}

			code, doc := s.call(t, http.MethodGet, "/kayenta/canary/"+id, "")
			if code != http.StatusOK || doc["complete"] != false || doc["status"] != "running" || doc["executionStatus"] != "RUNNING" {
				t.Fatalf("running: %d complete %v status %v", code, doc["complete"], doc["status"])
			}
			if doc["canaryConfigId"] != cfgID || doc["application"] != "checkout" || path(doc, "config", "name") != "checkout-latency" ||
				path(doc, "canaryExecutionRequest", "thresholds", "pass") != 90.0 || doc["pipelineId"] != id || doc["startTimeIso"] == nil {
				t.Errorf("status document: %v", doc)
			}

			s.exps.finish(id, tc.status, tc.verdict)
			code, doc = s.call(t, http.MethodGet, "/kayenta/canary/"+id, "")
			if code != http.StatusOK || doc["complete"] != true || doc["status"] != tc.wantStatus {
				t.Fatalf("ended: %d complete %v status %v, want true %s", code, doc["complete"], doc["status"], tc.wantStatus)
			}
			if got := path(doc, "result", "judgeResult", "score", "score"); got != tc.wantScore {
				t.Fatalf("score %v, want %v", got, tc.wantScore)
			}
			if tc.wantScore == nil {
				if tc.wantStatus == "terminal" && path(doc, "exception", "details", "error") != "because error" {
					t.Errorf("exception %v, want the verdict's reason", doc["exception"])
				}
				return
			}
			if got := path(doc, "result", "judgeResult", "score", "classification"); got != tc.wantClass {
				t.Errorf("score classification %v, want %s", got, tc.wantClass)
			}
			for i, want := range tc.wantMetric {
				if got := path(doc, "result", "judgeResult", "results", i, "classification"); got != want {
					t.Errorf("results[%d].classification %v, want %s", i, got, want)
				}
			}
			// A run ended by an alert judged no metric: no group scores.
			if got := path(doc, "result", "judgeResult", "groupScores", 0, "score"); tc.wantMetric != nil && (got != tc.wantGroup || path(doc, "result", "judgeResult", "groupScores", 0, "name") != "latency") {
				t.Errorf("groupScores %v, want latency %v", path(doc, "result", "judgeResult", "groupScores"), tc.wantGroup)
			}
			if doc["endTimeIso"] == nil || path(doc, "result", "canaryDuration") != "PT600S" {
				t.Errorf("end %v, duration %v", doc["endTimeIso"], path(doc, "result", "canaryDuration"))
			}
		})
	}
}

// TestInlineCanary: Kayenta's POST /canary takes {canaryConfig,
// executionRequest} (CanaryController.initiateCanaryWithConfig).
func TestInlineCanary(t *testing.T) {
	s := newServer(t)
	code, out := s.call(t, http.MethodPost, "/kayenta/canary", `{"canaryConfig":`+checkoutConfig(t)+`,"executionRequest":`+argoRequest+`}`)
	if code != http.StatusOK || out["canaryExecutionId"] == nil {
		t.Fatalf("POST /canary: %d %v", code, out)
	}
	code, doc := s.call(t, http.MethodGet, "/kayenta/canary/"+out["canaryExecutionId"].(string), "")
	if code != http.StatusOK || path(doc, "config", "name") != "checkout-latency" || doc["canaryConfigId"] != nil || doc["application"] != "ad-hoc" {
		t.Errorf("status: %d %v", code, doc)
	}
}

func TestExecutionRefused(t *testing.T) {
	withScope := func(field string) string {
		return strings.Replace(argoRequest, `"scope":"v2",`, `"scope":"v2",`+field+`,`, 1)
	}
	for _, tc := range []struct {
		name, path, body string
		code             int
		want             []string
	}{
		{"unknown config", "/kayenta/canary/nope", argoRequest, 404, []string{`canary config "nope" not found`}},
		{"unknown field", "/kayenta/canary/{id}", strings.Replace(argoRequest, `"thresholds"`, `"lifetimeDurationMins":30,"thresholds"`, 1), 400,
			[]string{"unknown field lifetimeDurationMins", "standalone_canary_analysis"}},
		{"config sent to the stored route", "/kayenta/canary/{id}", `{"canaryConfig":{},"executionRequest":{}}`, 400,
			[]string{"unknown field canaryConfig", "POST /kayenta/canary"}},
		{"unknown scope field", "/kayenta/canary/{id}", withScope(`"startTimeIso":"2026-05-01T11:50:00Z"`), 400,
			[]string{"scopes.default.experimentScope.startTimeIso", "start and end"}},
		{"step not a number", "/kayenta/canary/{id}", strings.Replace(argoRequest, `"step":"15"`, `"step":"15s"`, 1), 400, []string{"step", "seconds"}},
		{"no scopes", "/kayenta/canary/{id}", `{"thresholds":{"pass":90,"marginal":75}}`, 400, []string{"scopes", "at least one scope"}},
		{"missing experiment scope", "/kayenta/canary/{id}", `{"scopes":{"default":{"controlScope":{"scope":"v1"}}}}`, 400, []string{"scopes.default.experimentScope", "missing"}},
		// Argo Rollouts v1.8.3 sends start and end only when the template
		// sets them; Kayenta's CanaryScope requires both.
		{"scopes without a window", "/kayenta/canary/{id}", `{"scopes":{"default":{"controlScope":{"scope":"v1","region":"","step":60},
			"experimentScope":{"scope":"v2","region":"","step":60}}},"thresholds":{"pass":90,"marginal":75}}`, 422,
			[]string{"scopes.default.controlScope.start", "RFC 3339", "standalone_canary_analysis"}},
		{"inline without config", "/kayenta/canary", `{"executionRequest":` + argoRequest + `}`, 400, []string{"canaryConfig must be provided"}},
		{"end before start", "/kayenta/canary/{id}", strings.ReplaceAll(argoRequest, `"end":"2026-05-01T12:00:00Z"`, `"end":"2026-05-01T11:00:00Z"`), 422, []string{"not after its start"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			id := s.storeConfig(t)
			code, out := s.call(t, http.MethodPost, strings.Replace(tc.path, "{id}", id, 1), tc.body)
			msg, _ := out["error"].(string)
			if code != tc.code {
				t.Fatalf("%d %v, want %d", code, out, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(strings.ToLower(msg), "sql") {
				t.Errorf("error leaks internals: %q", msg)
			}
			if n := s.exps.count(); n != 0 {
				t.Errorf("a refused call created %d experiments", n)
			}
		})
	}
}

func TestUnknownExecution(t *testing.T) {
	s := newServer(t)
	for _, p := range []string{"/kayenta/canary/nope", "/kayenta/standalone_canary_analysis/nope"} {
		if code, out := s.call(t, http.MethodGet, p, ""); code != http.StatusNotFound || !strings.Contains(out["error"].(string), `"nope"`) {
			t.Errorf("GET %s: %d %v, want 404 naming it", p, code, out)
		}
	}
	// An execution of one kind is not found on the other's route.
	id := s.storeConfig(t)
	_, out := s.call(t, http.MethodPost, "/kayenta/canary/"+id, argoRequest)
	if code, _ := s.call(t, http.MethodGet, "/kayenta/standalone_canary_analysis/"+out["canaryExecutionId"].(string), ""); code != http.StatusNotFound {
		t.Errorf("canary execution on the standalone route: %d, want 404", code)
	}
}

// standaloneRequest is a CanaryAnalysisExecutionRequest as Spinnaker's
// kayenta stage sends it to Kayenta's standalone API (step as a string).
const standaloneBody = `{"scopes":[{"scopeName":"default","controlScope":"v1","controlLocation":"eu-west-1",
	"experimentScope":"v2","experimentLocation":"eu-west-1","step":"15","extendedScopeParams":{}}],
	"thresholds":{"pass":90,"marginal":75},"lifetimeDurationMins":30,"analysisIntervalMins":10,"beginAfterMins":0,"lookbackMins":0,
	"siteLocal":{"pipeline":"deploy-checkout"}}`

// TestStandalone replays Kayenta's standalone canary analysis
// (StandaloneCanaryAnalysisController): POST with {canaryConfig,
// executionRequest} or a stored config, then GET until complete.
func TestStandalone(t *testing.T) {
	s := newServer(t)
	cfgID := s.storeConfig(t)
	for _, tc := range []struct{ name, path, body string }{
		{"inline config", "/kayenta/standalone_canary_analysis?application=checkout&user=ci", `{"canaryConfig":` + checkoutConfig(t) + `,"executionRequest":` + standaloneBody + `}`},
		{"stored config", "/kayenta/standalone_canary_analysis/" + cfgID + "?application=checkout", standaloneBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := s.call(t, http.MethodPost, tc.path, tc.body)
			id, _ := out["canaryAnalysisExecutionId"].(string)
			if code != http.StatusOK || id == "" {
				t.Fatalf("POST: %d %v", code, out)
			}
			x, _ := s.exps.Get(t.Context(), id)
			if x.Spec.Timing.Lifetime != analysis.Duration(30*time.Minute) || x.Spec.Timing.Interval != analysis.Duration(10*time.Minute) {
				t.Errorf("timing %+v, want lifetime 30m interval 10m", x.Spec.Timing)
			}
			code, doc := s.call(t, http.MethodGet, "/kayenta/standalone_canary_analysis/"+id, "")
			if code != http.StatusOK || doc["complete"] != false || doc["executionStatus"] != "RUNNING" || doc["canaryAnalysisExecutionResult"] != nil ||
				path(doc, "canaryConfig", "name") != "checkout-latency" || path(doc, "canaryAnalysisExecutionRequest", "lifetimeDurationMins") != 30.0 {
				t.Fatalf("running: %d %v", code, doc)
			}
			pass := metric("p90 latency", "latency", judges.Pass)
			s.exps.finish(id, analysis.RunCompleted, verdict(judges.OutcomePass, f(100), pass),
				*verdict(judges.OutcomeMarginal, f(80), pass), *verdict(judges.OutcomePass, f(95), pass), *verdict(judges.OutcomePass, f(100), pass))
			code, doc = s.call(t, http.MethodGet, "/kayenta/standalone_canary_analysis/"+id, "")
			res := path(doc, "canaryAnalysisExecutionResult")
			if code != http.StatusOK || doc["complete"] != true || doc["status"] != "succeeded" || doc["executionStatus"] != "SUCCEEDED" || res == nil {
				t.Fatalf("complete: %d %v", code, doc)
			}
			if path(res, "didPassThresholds") != true || path(res, "hasWarnings") != true || path(res, "canaryScoreMessage") != "because pass" {
				t.Errorf("result %v", res)
			}
			scores, _ := json.Marshal(path(res, "canaryScores"))
			if string(scores) != "[80,95,100]" {
				t.Errorf("canaryScores %s, want [80,95,100]", scores)
			}
			if path(res, "canaryExecutionResults", 2, "result", "judgeResult", "score", "score") != 100.0 ||
				path(res, "canaryExecutionResults", 0, "executionStatus") != "SUCCEEDED" || path(res, "canaryExecutionResults", 0, "judgementEndTimeIso") == nil {
				t.Errorf("canaryExecutionResults %v", path(res, "canaryExecutionResults"))
			}
		})
	}
}

func TestStandaloneRefused(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct{ name, body, want string }{
		{"canary scope shape", `{"canaryConfig":` + checkoutConfig(t) + `,"executionRequest":{"scopes":[{"controlScope":"v1","experimentScope":"v2","start":"2026-05-01T11:50:00Z"}],"lifetimeDurationMins":30}}`,
			"scopes[0].start: Kayenta's request here has"},
		{"stage alias", `{"canaryConfig":` + checkoutConfig(t) + `,"executionRequest":{"scopes":[{"controlScope":"v1","experimentScope":"v2"}],"canaryAnalysisIntervalMins":10}}`,
			"use analysisIntervalMins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := s.call(t, http.MethodPost, "/kayenta/standalone_canary_analysis", tc.body)
			if code != http.StatusBadRequest || !strings.Contains(out["error"].(string), tc.want) {
				t.Fatalf("%d %v, want 400 with %q", code, out, tc.want)
			}
			if s.exps.count() != 0 {
				t.Error("a refused call created an experiment")
			}
		})
	}
}
