package judges

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// WorstCluster against the prediction test written out here with gonum's
// Student t CDF (the package uses the incomplete beta).
func TestWorstClusterPredictionTest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 100 {
		scale := []ClusterScale{ScaleLog, ScaleLinear}[i%2]
		dir := []Direction{Increase, Decrease, Either}[i%3]
		x := lognormalClusters(rng, 1+rng.IntN(10), 1, 0.05)
		y := lognormalClusters(rng, 2+rng.IntN(10), 1, 0.05)
		x[rng.IntN(len(x))].Value *= []float64{1.3, 0.7, 1.1, 1}[i%4]
		r, err := WorstCluster(x, y, dir, scale)
		if err != nil {
			t.Fatal(err)
		}
		f := func(v float64) float64 {
			if scale == ScaleLog {
				return math.Log(v)
			}
			return v
		}
		ys := make([]float64, len(y))
		for j, c := range y {
			ys[j] = f(c.Value)
		}
		my, vy := meanVar(ys)
		m := float64(len(ys))
		se := math.Sqrt(vy * (1 + 1/m))
		td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: m - 1}
		bestT, bestP := 0.0, math.Inf(1)
		for _, c := range x {
			tv := (f(c.Value) - my) / se
			var p float64
			switch dir {
			case Increase:
				p = td.Survival(tv)
			case Decrease:
				p = td.CDF(tv)
			default:
				p = 2 * td.Survival(math.Abs(tv))
			}
			if p < bestP {
				bestT, bestP = tv, p
			}
		}
		want := min(1, float64(len(x))*bestP)
		if !closeTo(r.T, bestT, 1e-9) || !closeTo(r.P, want, 1e-9) || r.DF != m-1 {
			t.Fatalf("%s %s: T %v P %v DF %v, want %v %v %v", scale, dir, r.T, r.P, r.DF, bestT, want, m-1)
		}
		// A canary cluster exactly at the limit is rejected at exactly α.
		at := []Cluster{{ID: "at", Value: r.Limit, Weight: 1}}
		for range len(x) - 1 {
			at = append(at, Cluster{ID: "centre", Value: r.Center, Weight: 1})
		}
		ra, err := WorstCluster(at, y, dir, scale)
		if err != nil {
			t.Fatal(err)
		}
		if !closeTo(ra.P, DefaultWorstClusterAlpha, 1e-6) || ra.Worst.ID != "at" {
			t.Fatalf("%s %s: a cluster at Limit %v gives P %v (worst %s), want %v", scale, dir, r.Limit, ra.P, ra.Worst.ID, DefaultWorstClusterAlpha)
		}
	}
}

// One pod 100× slower (Spinnaker issue 6278's case) fails the worst-pod
// test although the cohort's centre hides it from the mean comparison;
// healthy pods are flagged at most at the Bonferroni level.
func TestWorstClusterOneBadPod(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, y := lognormalClusters(rng, 10, 1, 0.05), lognormalClusters(rng, 10, 1, 0.05)
	x[3].Value *= 2.2 // a pod whose mean is 2.2× (100× for 7 of its 10 minutes is more)
	r, err := WorstCluster(x, y, Increase, ScaleLog)
	if err != nil {
		t.Fatal(err)
	}
	if r.Worst.ID != x[3].ID || !(r.P < 0.001) || !(r.Effect > 2) || !(x[3].Value > r.Limit) {
		t.Errorf("bad pod not found: %+v", r)
	}
	const reps = 2000
	rejected := 0
	for range reps {
		x, y := lognormalClusters(rng, 10, 1, 0.05), lognormalClusters(rng, 10, 1, 0.05)
		r, err := WorstCluster(x, y, Increase, ScaleLog)
		if err != nil {
			t.Fatal(err)
		}
		if r.P < 0.01 {
			rejected++
		}
	}
	if _, hi := binomialBounds(reps, 0.01, 0.0005); rejected > hi {
		t.Errorf("A/A: worst pod flagged in %d of %d replicates at α = 0.01, want ≤ %d", rejected, reps, hi)
	}
}

func TestWorstClusterEdges(t *testing.T) {
	c := func(id string, v float64) Cluster { return Cluster{ID: id, Value: v, Weight: 1} }
	two := []Cluster{c("b1", 100), c("b2", 104)}
	for _, tc := range []struct {
		name string
		x, y []Cluster
		dir  Direction
		err  string
		note string
	}{
		{name: "one baseline cluster", x: two, y: two[:1], dir: Increase, err: "needs at least 2 baseline clusters with data, have 1"},
		{name: "baseline clusters left out", x: two, y: []Cluster{c("a", 1), c("b", math.NaN())}, dir: Increase, err: "have 1"},
		{name: "no canary", x: nil, y: two, dir: Increase, err: "canary: no cluster with data"},
		{name: "bad direction", x: two, y: two, dir: "up", err: `unknown direction "up"`},
		{name: "constant baseline", x: two, y: []Cluster{c("a", 5), c("b", 5)}, dir: Increase, note: "do not vary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := WorstCluster(tc.x, tc.y, tc.dir, ScaleLog)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !allNaN(r.T, r.P, r.Limit) || !strings.Contains(r.Note, tc.note) {
				t.Errorf("want NaN statistics and a note %q: %+v", tc.note, r)
			}
		})
	}
	// Either: the more extreme side wins, two-sided.
	y := []Cluster{c("b1", 100), c("b2", 102), c("b3", 98), c("b4", 101)}
	r, err := WorstCluster([]Cluster{c("high", 104), c("low", 80)}, y, Either, ScaleLinear)
	if err != nil {
		t.Fatal(err)
	}
	if r.Worst.ID != "low" || !(r.T < 0) || !(r.Limit < r.Center) {
		t.Errorf("either: %+v", r)
	}
}
