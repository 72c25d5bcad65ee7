package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
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

// TestJudgePatternsAAFalseFails: patterns logged at the same rates per
// unit of exposure by both cohorts (Poisson counts, from a few to
// thousands of events, unequal traffic) fail at most alpha of the time:
// Holm over Tarone's testable patterns controls the family-wise rate.
func TestJudgePatternsAAFalseFails(t *testing.T) {
	const (
		reps   = 2000
		alpha  = 0.05
		npat   = 60
		limit  = alpha + 3*0.0049 // three standard errors of a rate of alpha over reps
		canary = 2e4
		base   = 8e4
	)
	r := rand.New(rand.NewPCG(3, 14))
	rates := make([]float64, npat)
	for i := range rates {
		rates[i] = math.Exp(math.Log(1e-5) + r.Float64()*math.Log(1e4)) // 1e-5 .. 0.1 per record
	}
	fails := 0
	counts := make([]patternCount, npat)
	for range reps {
		for i, rate := range rates {
			counts[i] = patternCount{ID: fmt.Sprint(i), Canary: poissonDraw(r, rate*canary), Baseline: poissonDraw(r, rate*base)}
		}
		if j := judgePatterns(counts, canary, base, alpha, 0, MaxJudgedPatterns); len(j.Failing) > 0 {
			fails++
		}
	}
	t.Logf("A/A false fails %d of %d", fails, reps)
	if rate := float64(fails) / reps; rate > limit {
		t.Errorf("A/A false fails %.4f over %d runs, want at most %.3g", rate, reps, alpha)
	}
}

// poissonDraw is a Poisson count: Knuth's product for small means, the
// normal approximation past 500.
func poissonDraw(r *rand.Rand, mean float64) int64 {
	if mean > 500 {
		return max(0, int64(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), int64(0), 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func BenchmarkJudgePatterns(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := make([]patternCount, 10000)
	for i := range counts {
		m := math.Exp(r.Float64() * math.Log(1e4))
		counts[i] = patternCount{ID: fmt.Sprintf("%012x", i), Canary: poissonDraw(r, m), Baseline: poissonDraw(r, m)}
	}
	b.ReportAllocs()
	for b.Loop() {
		judgePatterns(counts, 1e6, 1e6, 0.01, 0, MaxJudgedPatterns)
	}
}
