package judges

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

// achievedLevel is the coverage of the exact Hodges–Lehmann interval R
// builds for sizes n, m at the requested level, by exact enumeration of the
// null distribution of U (exactCounts): k = max(1, qwilcox(tail)), coverage
// 1 − sides·P(U ≤ k−1), as R's wilcox.test reports it in attr(conf.int).
func achievedLevel(n, m int, confidence float64, alt Alternative) float64 {
	counts := exactCounts(n, m)
	total := new(big.Int).Binomial(int64(n+m), int64(n))
	cdf := func(q int) float64 {
		cum := new(big.Int)
		for k := 0; k <= q && k < len(counts); k++ {
			cum.Add(cum, counts[k])
		}
		p, _ := new(big.Rat).SetFrac(cum, total).Float64()
		return p
	}
	tail, sides := 1-confidence, 1.0
	if alt == TwoSided {
		tail, sides = tail/2, 2
	}
	q := 0
	for cdf(q) < tail-1e-12 {
		q++
	}
	k := max(q, 1)
	return 1 - sides*cdf(k-1)
}

// With few values the exact interval cannot reach the requested level; the
// result must say which level it has (R: "requested conf.level not
// achievable", attr(conf.int, "conf.level")).
func TestExactIntervalAchievedLevel(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
		conf float64
		alt  Alternative
		want float64 // R: 1 - 2*pwilcox(k-1, n, m) (two-sided)
	}{
		{"1 vs 3", []float64{10}, []float64{1, 2, 3}, 0.98, TwoSided, 0.5},
		{"3 vs 3", []float64{10, 11, 12}, []float64{1, 2, 3}, 0.98, TwoSided, 0.9},
		{"3 vs 3 greater", []float64{10, 11, 12}, []float64{1, 2, 3}, 0.98, Greater, 0.95},
		{"5 vs 5 reachable", []float64{10, 11, 12, 13, 14}, []float64{1, 2, 3, 4, 5}, 0.98, TwoSided, 1 - 4.0/252},
		{"8 vs 9 reachable", []float64{1, 3, 5, 7, 9, 11, 13, 15}, []float64{2, 4, 6, 8, 10, 12, 14, 16, 18}, 0.99, Less, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := achievedLevel(len(c.x), len(c.y), c.conf, c.alt)
			if c.want != 0 && math.Abs(want-c.want) > 1e-12 {
				t.Fatalf("enumeration gives %v, expected %v", want, c.want)
			}
			r, err := MannWhitneyTest(c.x, c.y, MannWhitneyOptions{Alternative: c.alt, Method: MethodExact, Confidence: c.conf})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(r.AchievedConfidence-want) > 1e-12 {
				t.Errorf("AchievedConfidence %v, want %v", r.AchievedConfidence, want)
			}
			reachable := want >= c.conf
			if got := strings.Contains(r.Note, "not achievable"); got == reachable {
				t.Errorf("note %q: says not achievable = %v, want %v", r.Note, got, !reachable)
			}
		})
	}
}

// Issue item 7: one canary mean against three baseline means classified
// High on a "98 %" interval that was really a 50 % one, while the test's own
// p-value was 0.5. It must be Inconclusive and say which level is possible.
func TestClassifyMannWhitneyLevelNotAchievable(t *testing.T) {
	cases := []struct {
		name  string
		x, y  []float64
		level string
	}{
		{"1 vs 3", []float64{10}, []float64{1, 2, 3}, "50%"},
		{"3 vs 3", []float64{10, 11, 12}, []float64{1, 2, 3}, "90%"},
		{"1 vs 3 with ties (asymptotic)", []float64{10}, []float64{1, 2, 2}, "%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := ClassifyMannWhitney(c.x, c.y, MannWhitneyConfig{Direction: Increase, Confidence: 0.98})
			if res.Classification != Inconclusive {
				t.Fatalf("classification %s (%s), want inconclusive", res.Classification, res.Reason)
			}
			for _, want := range []string{"98%", "not achievable", c.level} {
				if !strings.Contains(res.Reason, want) {
					t.Errorf("reason %q lacks %q", res.Reason, want)
				}
			}
			if res.MannWhitney == nil || !(res.MannWhitney.AchievedConfidence < 0.98) {
				t.Errorf("result does not record the achieved level: %+v", res.MannWhitney)
			}
		})
	}
	// Enough values: classified as before.
	res := ClassifyMannWhitney([]float64{10, 11, 12, 13, 14, 15}, []float64{1, 2, 3, 4, 5, 6}, MannWhitneyConfig{Direction: Increase, Confidence: 0.98})
	if res.Classification != High {
		t.Errorf("6 vs 6 separated: %s (%s), want high", res.Classification, res.Reason)
	}
}
