package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/augurhq/augur/judges"
)

// Reference values for the judge commands, computed independently:
//
//	/usr/bin/python3: from scipy import stats
//	  x=[10,12,13,15,11]; y=[8,9,10,9,11]
//	  stats.ttest_ind(x, y, equal_var=False)      → t 2.8, p 0.028629386570221595
//	  stats.ks_2samp(x, y, method='exact')         → D 0.6, p 0.35714285714285715
//	  stats.chi2_contingency([[30,970],[10,990]], correction=False)[1] → 0.001401301580960214
//	  stats.chi2_contingency([[30,970],[10,990]], correction=True)[1]  → 0.002408040467287961
//	R: t.test(x, y)$parameter                      → df 6.5019505851755541
//	   fisher.test(matrix(c(30,10,970,990),2))$p.value → 0.0020083335618300102
//	   p.adjust(c(0.01,0.04,0.03,0.2), "BH")       → 0.04 0.05333333 0.05333333 0.2
func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func near(got any, want, rel float64) bool {
	f, ok := got.(float64)
	return ok && math.Abs(f-want) <= rel*math.Abs(want)
}

func TestJudgeWelchAndKS(t *testing.T) {
	base, can := writeFile(t, "8\n9\n10\n9\n11\n"), writeFile(t, "10\n12\n13\n15\n11\n")
	var out bytes.Buffer
	if err := JudgeWelch(&out, nil, SamplesArgs{Baseline: base, Canary: can, Alternative: judges.TwoSided, Confidence: 0.95, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	w := decodeJSON(t, out.Bytes())
	if !near(w["t"], 2.8, 1e-12) || !near(w["p_value"], 0.028629386570221595, 1e-8) || !near(w["df"], 6.5019505851755541, 1e-8) {
		t.Errorf("welch: %s", out.String())
	}
	out.Reset()
	if err := JudgeKS(&out, nil, SamplesArgs{Baseline: base, Canary: can, Alternative: judges.TwoSided, Method: judges.MethodExact, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	k := decodeJSON(t, out.Bytes())
	if !near(k["d"], 0.6, 1e-12) || !near(k["p_value"], 0.35714285714285715, 1e-9) || k["method"] != "exact" {
		t.Errorf("ks: %s", out.String())
	}
	out.Reset()
	if err := JudgeKS(&out, nil, SamplesArgs{Baseline: base, Canary: can, Alternative: judges.TwoSided, Method: judges.MethodAuto, Format: "table"}); err != nil || !strings.Contains(out.String(), "D") {
		t.Errorf("ks table: %v %s", err, out.String())
	}
	if err := JudgeWelch(&out, nil, SamplesArgs{Baseline: "-", Canary: "-", Format: "json"}); !errors.Is(err, ErrBadInput) {
		t.Errorf("both stdin: %v", err)
	}
}

func TestJudgeProportions(t *testing.T) {
	var out bytes.Buffer
	err := JudgeProportions(&out, ProportionsArgs{BaselineErrors: 10, BaselineTotal: 1000, CanaryErrors: 30, CanaryTotal: 1000, Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	p := decodeJSON(t, out.Bytes())
	if !near(p["p_value"], 0.001401301580960214, 1e-9) || !near(p["p_chi2_yates"], 0.002408040467287961, 1e-9) ||
		!near(p["p_fisher"], 0.0020083335618300102, 1e-6) {
		t.Errorf("proportions: %s", out.String())
	}
	if z, _ := p["z_pooled"].(float64); z <= 0 {
		t.Errorf("z must be positive when the canary fails more: %v", p["z_pooled"])
	}
	if pw, _ := p["prob_canary_worse"].(float64); pw < 0.99 || pw > 1 {
		t.Errorf("prob_canary_worse: %v", p["prob_canary_worse"])
	}
	out.Reset()
	// No errors anywhere: the tests are not computable and say so (null).
	if err := JudgeProportions(&out, ProportionsArgs{BaselineTotal: 100, CanaryTotal: 100, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	p = decodeJSON(t, out.Bytes())
	if p["p_value"] != nil || p["p_fisher"] != nil || p["note"] == "" {
		t.Errorf("zero margin: %s", out.String())
	}
	if err := JudgeProportions(&out, ProportionsArgs{BaselineErrors: 5, BaselineTotal: 3, CanaryTotal: 1, Format: "json"}); !errors.Is(err, ErrBadInput) {
		t.Errorf("errors above total: %v", err)
	}
}

func TestJudgeAdjust(t *testing.T) {
	var out bytes.Buffer
	if err := JudgeAdjust(&out, "bh", []string{"0.01", "0.04", "0.03", "0.2"}, "json"); err != nil {
		t.Fatal(err)
	}
	a := decodeJSON(t, out.Bytes())
	got, _ := a["adjusted"].([]any)
	want := []float64{0.04, 0.05333333333333333, 0.05333333333333333, 0.2}
	if a["method"] != "bh" || len(got) != len(want) {
		t.Fatalf("adjust: %s", out.String())
	}
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Errorf("adjusted[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if err := JudgeAdjust(&out, "bh", []string{"0.1", "x"}, "json"); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("bad p: %v", err)
	}
	if err := JudgeAdjust(&out, "bh", []string{"1.5"}, "json"); !errors.Is(err, ErrBadInput) {
		t.Errorf("p above 1: %v", err)
	}
}
