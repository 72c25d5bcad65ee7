package judges

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// clusterReference is testdata/cluster_reference.json, written by
// testdata/gen_cluster.py (R t.test, statsmodels cluster-robust OLS and
// acf).
type clusterReference struct {
	Compare []struct {
		ID               string
		Scale            ClusterScale
		Confidence       float64
		VarEqual         bool `json:"var_equal"`
		Canary, Baseline []float64
		Want             map[string]float64
	}
	Worst []struct {
		ID               string
		Scale            ClusterScale
		Direction        Direction
		Alpha            float64
		Canary, Baseline []float64
		Want             map[string]float64
	}
	Rates []struct {
		ID               string
		Confidence       float64
		Canary, Baseline [][2]float64
		Want             map[string]any
	}
	Ess []struct {
		ID   string
		X    []float64
		Lag  int
		Want float64
	}
}

func loadClusterReference(t *testing.T) clusterReference {
	t.Helper()
	b, err := os.ReadFile("testdata/cluster_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref clusterReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Compare) == 0 || len(ref.Worst) == 0 || len(ref.Rates) == 0 || len(ref.Ess) == 0 {
		t.Fatal("empty reference")
	}
	return ref
}

func toClusters(vals []float64) []Cluster {
	out := make([]Cluster, len(vals))
	for i, v := range vals {
		out[i] = Cluster{ID: fmt.Sprintf("pod-%d", i), Value: v, Weight: 100}
	}
	return out
}

// closeTo compares with a relative tolerance (absolute near 0).
func closeTo(got, want, tol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

// ClusterCompare against R's t.test: Welch with ≥ 2 clusters per cohort,
// the pooled t (var.equal = TRUE) with one cluster in a cohort.
func TestClusterCompareReference(t *testing.T) {
	for _, c := range loadClusterReference(t).Compare {
		t.Run(c.ID, func(t *testing.T) {
			r, err := ClusterCompare(toClusters(c.Canary), toClusters(c.Baseline), ClusterConfig{Scale: c.Scale, Confidence: c.Confidence})
			if err != nil {
				t.Fatal(err)
			}
			wantMethod := ClusterWelch
			if c.VarEqual {
				wantMethod = ClusterPooled
			}
			if r.Method != wantMethod || r.Canary != len(c.Canary) || r.Baseline != len(c.Baseline) {
				t.Errorf("method %s with %d/%d clusters, want %s with %d/%d", r.Method, r.Canary, r.Baseline, wantMethod, len(c.Canary), len(c.Baseline))
			}
			for _, f := range []struct {
				name      string
				got, want float64
				tol       float64
			}{
				{"t", r.T, c.Want["t"], 1e-10}, {"df", r.DF, c.Want["df"], 1e-10},
				{"p", r.P, c.Want["p"], 1e-9}, {"p greater", r.PGreater, c.Want["p_greater"], 1e-9},
				{"p less", r.PLess, c.Want["p_less"], 1e-9},
				{"ci low", r.CILow, c.Want["ci_low"], 1e-9}, {"ci high", r.CIHigh, c.Want["ci_high"], 1e-9},
			} {
				if !closeTo(f.got, f.want, f.tol) {
					t.Errorf("%s = %.17g, R %.17g", f.name, f.got, f.want)
				}
			}
			if !(r.CILow <= r.Estimate && r.Estimate <= r.CIHigh) {
				t.Errorf("estimate %v outside [%v, %v]", r.Estimate, r.CILow, r.CIHigh)
			}
		})
	}
}

// WorstCluster against the prediction t in R (pt for p, qt for the limit).
func TestWorstClusterReference(t *testing.T) {
	for _, c := range loadClusterReference(t).Worst {
		t.Run(c.ID, func(t *testing.T) {
			x := toClusters(c.Canary)
			r, err := WorstCluster(x, toClusters(c.Baseline), c.Direction, c.Scale)
			if err != nil {
				t.Fatal(err)
			}
			if r.Worst != x[int(c.Want["index"])] {
				t.Errorf("worst %+v, want canary cluster %v", r.Worst, c.Want["index"])
			}
			limit := r.LimitAt(c.Alpha)
			if !closeTo(r.T, c.Want["t"], 1e-10) || r.DF != c.Want["df"] || !closeTo(r.P, c.Want["p"], 1e-9) ||
				!closeTo(limit, c.Want["limit"], 1e-9) {
				t.Errorf("T %.17g DF %v P %.17g limit %.17g, R %.17g %v %.17g %.17g", r.T, r.DF, r.P, limit,
					c.Want["t"], c.Want["df"], c.Want["p"], c.Want["limit"])
			}
		})
	}
}

// ClusterRates against statsmodels' cluster-robust variance per cohort
// (and the pooled fallback's direct transcription).
func TestClusterRatesReference(t *testing.T) {
	for _, c := range loadClusterReference(t).Rates {
		t.Run(c.ID, func(t *testing.T) {
			counts := func(pairs [][2]float64) []ClusterCount {
				out := make([]ClusterCount, len(pairs))
				for i, p := range pairs {
					out[i] = ClusterCount{ID: fmt.Sprintf("pod-%d", i), Events: p[0], Trials: p[1]}
				}
				return out
			}
			r, err := ClusterRates(counts(c.Canary), counts(c.Baseline), c.Confidence)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Method) != c.Want["method"] {
				t.Errorf("method %s, want %s", r.Method, c.Want["method"])
			}
			for _, f := range []struct {
				name string
				got  float64
				key  string
				tol  float64
			}{
				{"estimate", r.Estimate, "estimate", 1e-12}, {"t", r.T, "t", 1e-10}, {"df", r.DF, "df", 1e-10},
				{"p", r.P, "p", 1e-9}, {"p greater", r.PGreater, "p_greater", 1e-9}, {"p less", r.PLess, "p_less", 1e-9},
				{"ci low", r.CILow, "ci_low", 1e-9}, {"ci high", r.CIHigh, "ci_high", 1e-9},
			} {
				if want := c.Want[f.key].(float64); !closeTo(f.got, want, f.tol) {
					t.Errorf("%s = %.17g, reference %.17g", f.name, f.got, want)
				}
			}
		})
	}
}

// EffectiveSampleSize against statsmodels' acf with Bartlett weights.
func TestEffectiveSampleSizeReference(t *testing.T) {
	for _, c := range loadClusterReference(t).Ess {
		t.Run(c.ID, func(t *testing.T) {
			if got := EffectiveSampleSize(c.X); !closeTo(got, c.Want, 1e-10) {
				t.Errorf("n=%d lag %d: ESS %.17g, reference %.17g", len(c.X), c.Lag, got, c.Want)
			}
		})
	}
}
