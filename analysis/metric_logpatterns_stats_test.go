package analysis

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"
)

// logPatternsReference is testdata/logpatterns_reference.json, written by
// testdata/gen_logpatterns.py (scipy's binomtest, statsmodels' Holm).
type logPatternsReference struct {
	BinomUpper []struct {
		X, N int64
		P    float64
		Want float64
	} `json:"binom_upper"`
	Cases []struct {
		Name             string
		CanaryExposure   float64 `json:"canary_exposure"`
		BaselineExposure float64 `json:"baseline_exposure"`
		Alpha, Margin    float64
		MaxJudged        int `json:"max_judged"`
		Counts           []patternCount
		Want             struct {
			P0               float64
			Testable, Judged int
			Tests            []struct {
				ID          string
				P, Adjusted float64
			}
			Failing []string
		}
	}
}

func readLogPatternsReference(t *testing.T) logPatternsReference {
	t.Helper()
	b, err := os.ReadFile("testdata/logpatterns_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref logPatternsReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// closeRel: relative error 1e-9, or both below 1e-300.
func closeRel(got, want float64) bool {
	if math.Abs(want) < 1e-300 {
		return math.Abs(got) < 1e-300
	}
	return math.Abs(got-want) <= 1e-9*math.Abs(want)
}

func TestBinomUpperReference(t *testing.T) {
	for _, c := range readLogPatternsReference(t).BinomUpper {
		if got := binomUpper(c.X, c.N, c.P); !closeRel(got, c.Want) {
			t.Errorf("P(X ≥ %d), n %d, p %g = %.12g, scipy %.12g", c.X, c.N, c.P, got, c.Want)
		}
	}
}

func TestJudgePatternsReference(t *testing.T) {
	ref := readLogPatternsReference(t)
	if len(ref.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			j := judgePatterns(c.Counts, c.CanaryExposure, c.BaselineExposure, c.Alpha, c.Margin, c.MaxJudged)
			if !closeRel(j.P0, c.Want.P0) {
				t.Errorf("p0 %g, want %g", j.P0, c.Want.P0)
			}
			if j.Testable != c.Want.Testable || j.Judged != c.Want.Judged {
				t.Fatalf("testable %d judged %d, want %d and %d", j.Testable, j.Judged, c.Want.Testable, c.Want.Judged)
			}
			for i, w := range c.Want.Tests {
				g := j.Tests[i]
				if g.ID != w.ID || !closeRel(g.P, w.P) || !closeRel(g.Adjusted, w.Adjusted) {
					t.Errorf("test %d: %s p %.10g adjusted %.10g, want %s p %.10g adjusted %.10g", i, g.ID, g.P, g.Adjusted, w.ID, w.P, w.Adjusted)
				}
			}
			for i := j.Judged; i < len(j.Tests); i++ {
				if !math.IsNaN(j.Tests[i].P) {
					t.Errorf("pattern %s beyond the judged ones has p %g", j.Tests[i].ID, j.Tests[i].P)
				}
			}
			var failing []string
			for _, i := range j.Failing {
				failing = append(failing, j.Tests[i].ID)
			}
			if !reflect.DeepEqual(failing, c.Want.Failing) && len(failing)+len(c.Want.Failing) > 0 {
				t.Errorf("failing %v, want %v", failing, c.Want.Failing)
			}
		})
	}
}
