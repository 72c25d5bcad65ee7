package gates

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func strp(s string) *string { return &s }

// checkoutTemplate declares the args the shipped Argo templates pass.
func checkoutTemplate(onError string) analysis.Template {
	return analysis.Template{Name: "checkout", OnError: onError, Args: []analysis.TemplateArg{
		{Name: "namespace", Required: true}, {Name: "rollout", Required: true},
		{Name: "canary-hash", Required: true}, {Name: "stable-hash", Required: true},
		{Name: "window", Default: strp("1m")},
	}, Spec: "name: checkout-${args.rollout}"}
}

func newRouter(f *fakeManager, opts Options) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	Register(r, f, opts, nil)
	return r
}

func call(r http.Handler, method, target, body string) (int, string) {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

const argoQuery = "/api/v1/gates/argo/checkout?namespace=shop&rollout=checkout&canary-hash=c1&stable-hash=s1"

func TestArgoRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, method, target, body string
		code                       int
		want                       string
	}{
		{"unknown template", "GET", "/api/v1/gates/argo/nope?key=k", "", 404, "template nope not found"},
		{"missing required arg", "GET", "/api/v1/gates/argo/checkout?namespace=shop&rollout=checkout&canary-hash=c1", "", 422, "missing required arg(s) stable-hash"},
		{"no key and no identity", "GET", "/api/v1/gates/argo/free?rollout=checkout", "", 422, "missing: namespace, canary-hash"},
		{"unknown arg", "GET", argoQuery + "&windw=5m", "", 422, "unknown arg(s) windw"},
		{"body arg not a string", "POST", "/api/v1/gates/argo/checkout", `{"namespace":"shop","count":3}`, 400, "arg count: want a string value"},
		{"field beside args", "POST", "/api/v1/gates/argo/checkout", `{"args":{},"extra":"x"}`, 400, "body.extra: unknown field"},
		{"body not an object", "POST", "/api/v1/gates/argo/checkout", `["x"]`, 400, "want a JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(checkoutTemplate(""), analysis.Template{Name: "free", Args: []analysis.TemplateArg{{Name: "rollout"}}})
			code, body := call(newRouter(f, Options{}), tt.method, tt.target, tt.body)
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d mentioning %q", code, body, tt.code, tt.want)
			}
			if n := f.count(); n != 0 {
				t.Errorf("a refused call created %d instance(s)", n)
			}
		})
	}
}

func TestArgoKeyReusedWithDifferentArgs(t *testing.T) {
	f := newFake(checkoutTemplate(""))
	r := newRouter(f, Options{})
	if code, body := call(r, "GET", argoQuery, ""); code != 200 {
		t.Fatalf("first call: %d %s", code, body)
	}
	code, body := call(r, "GET", argoQuery+"&window=5m", "")
	if code != http.StatusConflict || !strings.Contains(body, "window") {
		t.Errorf("got %d %s, want 409 naming window", code, body)
	}
	if f.count() != 1 {
		t.Errorf("%d instances, want 1", f.count())
	}
}

func decode(t *testing.T, body string) Status {
	t.Helper()
	var s Status
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return s
}

func TestArgoVerdicts(t *testing.T) {
	const key = "argo/checkout/shop/checkout/c1"
	metric := analysis.MetricResult{Name: "errors", Classification: judges.Error, Error: "source prom: connection refused"}
	for _, tt := range []struct {
		name    string
		onError string
		judge   func(f *fakeManager)
		code    int
		verdict string
		final   bool
		reason  string
	}{
		{"before the first interval", "", func(*fakeManager) {}, 200, "running", false, "0 of 3 intervals judged"},
		{"latest interval passed", "", func(f *fakeManager) { f.judge(key, 1, judges.OutcomePass, 100, false) }, 200, "pass", false, "interval 1 of 3"},
		{"failed interval within failure_limit", "", func(f *fakeManager) { f.judge(key, 2, judges.OutcomeFail, 20, false) }, 200, "running", false, "interval 2 of 3: fail so far"},
		{"marginal interval while running", "", func(f *fakeManager) { f.judge(key, 1, judges.OutcomeMarginal, 80, false) }, 200, "running", false, "marginal so far"},
		{"inconclusive interval while running", "", func(f *fakeManager) { f.judge(key, 1, judges.OutcomeInconclusive, 0, false) }, 200, "running", false, "inconclusive so far"},
		{"source outage, default on_error", "", func(f *fakeManager) { f.judge(key, 1, judges.OutcomeError, 0, false, metric) }, 200, "inconclusive", false, "on_error inconclusive"},
		{"source outage, on_error error", "error", func(f *fakeManager) { f.judge(key, 1, judges.OutcomeError, 0, false, metric) }, 503, "error", false, "on_error error"},
		{"final pass", "", func(f *fakeManager) { f.judge(key, 3, judges.OutcomePass, 97, true) }, 200, "pass", true, "pass reason"},
		{"final fail", "", func(f *fakeManager) { f.judge(key, 3, judges.OutcomeFail, 10, true) }, 200, "fail", true, "fail reason"},
		{"final marginal is not a pass", "", func(f *fakeManager) { f.judge(key, 3, judges.OutcomeMarginal, 80, true) }, 200, "inconclusive", true, "marginal, not a pass"},
		{"final error, on_error error", "error", func(f *fakeManager) { f.judge(key, 3, judges.OutcomeError, 0, true) }, 503, "error", true, "could not analyse"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(checkoutTemplate(tt.onError))
			r := newRouter(f, Options{})
			if code, body := call(r, "GET", argoQuery, ""); code != 200 {
				t.Fatalf("first call: %d %s", code, body)
			}
			tt.judge(f)
			code, body := call(r, "GET", argoQuery, "")
			s := decode(t, body)
			if code != tt.code || s.Verdict != tt.verdict || s.Final != tt.final || !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("got %d %s, want %d verdict %s final %v reason mentioning %q", code, body, tt.code, tt.verdict, tt.final, tt.reason)
			}
			if strings.Contains(tt.reason, "on_error") && s.Score != nil {
				t.Errorf("a source failure answered score %v, want null", *s.Score)
			}
			if s.Key != key || s.ExperimentID != "exp-1" || s.RunID != "run-1" || s.Intervals.Total != 3 || s.ReportURL != "http://example.com/api/v1/experiments/exp-1" {
				t.Errorf("identity: %+v", s)
			}
			if f.count() != 1 {
				t.Errorf("%d instances, want 1", f.count())
			}
		})
	}
}

func TestArgoArgsAndReportURL(t *testing.T) {
	for _, tt := range []struct {
		name, method, target, body, ext, wantKey, wantURL string
	}{
		{"flat jsonBody", "POST", "/api/v1/gates/argo/checkout", `{"namespace":"shop","rollout":"checkout","canary-hash":"c9","stable-hash":"s1"}`,
			"", "argo/checkout/shop/checkout/c9", "http://example.com/api/v1/experiments/exp-1"},
		{"nested jsonBody with key", "POST", "/api/v1/gates/argo/checkout", `{"key":"deploy-42","args":{"namespace":"shop","rollout":"checkout","canary-hash":"c9","stable-hash":"s1"}}`,
			"https://augur.example.com/", "deploy-42", "https://augur.example.com/api/v1/experiments/exp-1"},
		{"query key", "GET", argoQuery + "&key=pipeline-7", "", "https://augur.example.com/base", "pipeline-7", "https://augur.example.com/base/api/v1/experiments/exp-1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(checkoutTemplate(""))
			code, body := call(newRouter(f, Options{ExternalURL: tt.ext}), tt.method, tt.target, tt.body)
			s := decode(t, body)
			if code != 200 || s.Key != tt.wantKey || s.ReportURL != tt.wantURL {
				t.Errorf("got %d %s, want key %s and report_url %s", code, body, tt.wantKey, tt.wantURL)
			}
			in, err := f.Instance(t.Context(), tt.wantKey)
			if err != nil || in.Args["canary-hash"] == "" || in.Args["window"] != "" && in.Args["window"] != "1m" {
				t.Errorf("instance %+v, %v", in, err)
			}
		})
	}
}

func TestArgoKeyOfAnotherTemplate(t *testing.T) {
	other := checkoutTemplate("")
	other.Name = "payments"
	f := newFake(checkoutTemplate(""), other)
	r := newRouter(f, Options{})
	if code, body := call(r, "GET", argoQuery+"&key=deploy-1", ""); code != 200 {
		t.Fatalf("first call: %d %s", code, body)
	}
	code, body := call(r, "GET", strings.Replace(argoQuery, "/checkout?", "/payments?", 1)+"&key=deploy-1", "")
	if code != http.StatusConflict || !strings.Contains(body, "belongs to an instance of template checkout") {
		t.Errorf("got %d %s, want 409 naming the key's template", code, body)
	}
	// Derived keys differ per template: both templates judge the revision.
	if code, body := call(r, "GET", strings.Replace(argoQuery, "/checkout?", "/payments?", 1), ""); code != 200 || !strings.Contains(body, `"key":"argo/payments/shop/checkout/c1"`) {
		t.Errorf("got %d %s", code, body)
	}
}
