package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augurhq/augur/judges"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.txt")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadSamples(t *testing.T) {
	got, err := ReadSamples(writeFile(t, "# header\n1\n\n  2.5  # note\nNaN\n+Inf\n-Inf\nInf\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[0] != 1 || got[1] != 2.5 || !math.IsNaN(got[2]) || !math.IsInf(got[3], 1) || !math.IsInf(got[4], -1) || !math.IsInf(got[5], 1) {
		t.Errorf("got %v", got)
	}
	p := writeFile(t, "1\n2\nthree\n")
	_, err = ReadSamples(p, nil)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), p+":3:") {
		t.Errorf("bad line: %v", err)
	}
	got, err = ReadSamples("-", strings.NewReader("4\n5\n"))
	if err != nil || len(got) != 2 {
		t.Errorf("stdin: %v %v", got, err)
	}
}

// Kayenta's published example: x = [10,20,30,40] (canary), y = [1,2,3,4]:
// HL estimate 22.5, 98% CI [6, 39]; U = 16 (every canary value is larger).
// Small and tie-free, so auto picks the exact test as R does:
// wilcox.test(x, y, conf.int=TRUE, conf.level=0.98) gives p = 0.02857143
// and the same interval, whose level is really 97.1 %.
func TestJudgeMannWhitneyJSON(t *testing.T) {
	var out bytes.Buffer
	err := JudgeMannWhitney(&out, nil, MannWhitneyArgs{Baseline: writeFile(t, "1\n2\n3\n4\n"), Canary: writeFile(t, "10\n20\n30\n40\n"),
		Alternative: judges.TwoSided, Method: judges.MethodAuto, Confidence: 0.98, Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(out.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j["u"] != 16.0 || j["hl_estimate"] != 22.5 || j["ci_low"] != 6.0 || j["ci_high"] != 39.0 || j["n_canary"] != 4.0 {
		t.Errorf("got %s", out.String())
	}
	if p, _ := j["p_value"].(float64); math.Abs(p-0.02857143) > 1e-8 || j["method"] != "exact" {
		t.Errorf("p = %v", j["p_value"])
	}
	// R warns "requested conf.level not achievable": 4 vs 4 values reach
	// at most 97.1 %, so the metric is not classified on that interval.
	if reason, _ := j["reason"].(string); j["classification"] != "inconclusive" || !strings.Contains(reason, "not achievable") || !strings.Contains(reason, "97.14%") {
		t.Errorf("classification %v reason %v", j["classification"], j["reason"])
	}

	out.Reset()
	if err := JudgeMannWhitney(&out, nil, MannWhitneyArgs{Baseline: writeFile(t, "1\n"), Canary: writeFile(t, "2\n"),
		Alternative: judges.TwoSided, Method: judges.MethodAuto, Confidence: 0.98, Format: "table"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "classification") {
		t.Errorf("table: %s", out.String())
	}
	if err := JudgeMannWhitney(&out, nil, MannWhitneyArgs{Baseline: "/no/such/file", Canary: "/no/such/file", Format: "json"}); !errors.Is(err, ErrBadInput) {
		t.Errorf("missing file: %v", err)
	}
}
