package gates

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func fp(v float64) *float64 { return &v }

func TestKEDA(t *testing.T) {
	const key = "argo/checkout/shop/checkout/c1"
	f := newFake(checkoutTemplate(""))
	f.spec.Metrics = []analysis.MetricSpec{
		{Name: "p99", Judge: analysis.JudgeSpec{Type: analysis.JudgeThreshold, Upper: fp(0.5)}},
		{Name: "availability", Judge: analysis.JudgeSpec{Type: analysis.JudgeThreshold, Lower: fp(0.99)}},
		{Name: "errors", Judge: analysis.JudgeSpec{Type: "mannwhitney"}},
	}
	r := newRouter(f, Options{})
	if code, body := call(r, "GET", argoQuery, ""); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	kedaURL := "/api/v1/gates/keda/checkout?key=" + key
	code, body := call(r, "GET", kedaURL, "")
	var m kedaMetrics
	if err := json.Unmarshal([]byte(body), &m); code != 200 || err != nil || m.Healthy != 1 || m.Final != 0 || m.Score != nil || m.SLOHeadroom != nil {
		t.Fatalf("before the first interval: %d %s", code, body)
	}
	f.judge(key, 1, judges.OutcomePass, 100, false,
		analysis.MetricResult{Name: "p99", Classification: judges.Pass, Aggregate: fp(0.4)},
		analysis.MetricResult{Name: "availability", Classification: judges.Pass, Aggregate: fp(0.999)},
		analysis.MetricResult{Name: "errors", Classification: judges.Pass, Aggregate: fp(100)})
	for _, tt := range []struct {
		name, target, accept string
		prom                 bool
	}{
		{"json", kedaURL, "", false},
		{"format=prometheus", kedaURL + "&format=prometheus", "", true},
		{"Accept text/plain", kedaURL, "text/plain", true},
		{"experiment json", "/api/v1/experiments/exp-1/keda", "", false},
		{"experiment prometheus", "/api/v1/experiments/exp-1/keda?format=prometheus", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.target, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != 200 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			got := map[string]float64{}
			if tt.prom {
				parser := expfmt.NewTextParser(model.UTF8Validation)
				fams, err := parser.TextToMetricFamilies(strings.NewReader(w.Body.String()))
				if err != nil {
					t.Fatalf("%v: %s", err, w.Body)
				}
				for name, fam := range fams {
					got[name] = fam.GetMetric()[0].GetGauge().GetValue()
					if l := fam.GetMetric()[0].GetLabel(); len(l) != 3 {
						t.Errorf("%s labels %v", name, l)
					}
				}
			} else {
				var m kedaMetrics
				if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || m.Score == nil || m.SLOHeadroom == nil {
					t.Fatalf("%v: %s", err, w.Body)
				}
				got = map[string]float64{"augur_gate_healthy": float64(m.Healthy), "augur_gate_final": float64(m.Final),
					"augur_gate_score": *m.Score, "augur_gate_slo_headroom": *m.SLOHeadroom}
			}
			// p99 0.4 against 0.5 leaves 20 %; availability 0.999 against 0.99 leaves 0.9 %.
			want := map[string]float64{"augur_gate_healthy": 1, "augur_gate_final": 0, "augur_gate_score": 100, "augur_gate_slo_headroom": (0.999 - 0.99) / 0.99}
			for k, v := range want {
				if g, ok := got[k]; !ok || g < v-1e-12 || g > v+1e-12 {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
		})
	}
	f.judge(key, 3, judges.OutcomeFail, 20, true, analysis.MetricResult{Name: "p99", Classification: judges.High, Aggregate: fp(0.75)})
	code, body = call(r, "GET", kedaURL, "")
	if err := json.Unmarshal([]byte(body), &m); code != 200 || err != nil || m.Healthy != 0 || m.Final != 1 || *m.SLOHeadroom != -0.5 {
		t.Errorf("after a final fail: %d %s", code, body)
	}
	for _, tt := range []struct {
		target string
		code   int
		want   string
	}{
		{"/api/v1/gates/keda/checkout", http.StatusUnprocessableEntity, "missing query parameter key"},
		{"/api/v1/gates/keda/checkout?key=other", http.StatusNotFound, "instance other of template checkout not found"},
		{"/api/v1/gates/keda/nope?key=" + key, http.StatusNotFound, "template nope not found"},
		{"/api/v1/experiments/exp-9/keda", http.StatusNotFound, "experiment exp-9 not found"},
	} {
		if code, body := call(r, "GET", tt.target, ""); code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tt.target, code, body, tt.code, tt.want)
		}
	}
}
