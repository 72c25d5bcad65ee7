package judges

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// defaultLayout is the collector's default classic bucket layout: 1 ms to
// about 65 s, four buckets per doubling.
func defaultLayout() []float64 {
	var b []float64
	for k := 0; k <= 64; k++ {
		b = append(b, 0.001*math.Pow(2, float64(k)/4))
	}
	return b
}

// drawHistogram bins n lognormal requests (median 100 ms, log-sd 0.5)
// into bounds by sequential binomial draws (a multinomial sample).
func drawHistogram(r *rand.Rand, bounds []float64, n int) Histogram {
	return drawHistogramAt(r, bounds, n, 0)
}

// drawHistogramAt is drawHistogram with the median ×e^off.
func drawHistogramAt(r *rand.Rand, bounds []float64, n int, off float64) Histogram {
	ln := distuv.LogNormal{Mu: math.Log(0.1) + off, Sigma: 0.5}
	counts := make([]float64, len(bounds)+1)
	left, prevCDF := float64(n), 0.0
	for i, b := range bounds {
		cdf := ln.CDF(b)
		p := (cdf - prevCDF) / (1 - prevCDF)
		prevCDF = cdf
		if left == 0 || !(p > 0) {
			continue
		}
		if p >= 1 {
			counts[i], left = left, 0
			continue
		}
		k := distuv.Binomial{N: left, P: p, Src: r}.Rand()
		counts[i], left = k, left-k
	}
	counts[len(bounds)] = left
	return Histogram{Bounds: bounds, Counts: counts}
}

// TestClusterCompareQuantileSteps: pods' p99s interpolated in buckets that
// hold a dozen requests come in steps, so three baseline pods agree far
// more often than normal values would, and the pooled t of one canary pod
// against them (df 2) fails healthy canaries at a small level far more
// often than the level. With each pod's rank-interval standard error
// (QuantileSE) as the floor of the spread, the test keeps its level. The
// pods are identical here (no pod offsets), the case where the steps matter
// most; the rates are checked against the level with a binomial bound.
func TestClusterCompareQuantileSteps(t *testing.T) {
	const (
		reps  = 8000
		alpha = 0.01
		n     = 120 // two minutes at one request a second
	)
	bounds := defaultLayout()
	r := rand.New(rand.NewPCG(11, 12))
	var withFloor, without int
	for range reps {
		var pods [4]Cluster
		for i := range pods {
			h := drawHistogram(r, bounds, n)
			pods[i] = Cluster{ID: string(rune('a' + i)), Value: HistogramQuantile(h, 0.99), Weight: n, SE: QuantileSE(h, 0.99)}
		}
		cfg := ClusterConfig{Scale: ScaleLog, Confidence: 1 - 2*alpha}
		res, err := ClusterCompare(pods[:1], pods[1:], cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.PGreater < alpha {
			withFloor++
		}
		bare := pods
		for i := range bare {
			bare[i].SE = 0
		}
		res, err = ClusterCompare(bare[:1], bare[1:], cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.PGreater < alpha {
			without++
		}
	}
	// One-sided binomial bound: 4 standard deviations above the level.
	limit := reps*alpha + 4*math.Sqrt(reps*alpha*(1-alpha))
	t.Logf("false rejections at α %v over %d: %d with the floor, %d without (limit %.0f)", alpha, reps, withFloor, without, limit)
	if float64(withFloor) > limit {
		t.Errorf("with the sampling-noise floor: %d false rejections of %d at α %v (limit %.0f)", withFloor, reps, alpha, limit)
	}
	if float64(without) <= limit {
		t.Errorf("without the floor: %d false rejections, within the limit %.0f: the case no longer shows the steps", without, limit)
	}
}

// TestClusterFloor: where the clusters agree more closely than their own
// sampling noise, the test uses that noise, written out here: the pooled
// t of one canary pod against three baseline pods with the mean squared
// relative SE of the baseline pods as the variance (df 2); Welch with each
// cohort's spread raised to its own noise and the Satterthwaite df of the
// raw spreads when that is smaller; the worst-pod prediction test on the
// baseline's noise. A spread above the noise is left alone.
func TestClusterFloor(t *testing.T) {
	tq := func(df, p float64) float64 { return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p) }
	t.Run("pooled", func(t *testing.T) {
		canary := []Cluster{{ID: "c", Value: 1.10, Weight: 100, SE: 0.05}}
		base := []Cluster{{ID: "a", Value: 1.0, Weight: 100, SE: 0.04}, {ID: "b", Value: 1.0001, Weight: 100, SE: 0.06}, {ID: "d", Value: 0.9999, Weight: 100, SE: 0.05}}
		res, err := ClusterCompare(canary, base, ClusterConfig{Scale: ScaleLog, Confidence: 0.98})
		if err != nil {
			t.Fatal(err)
		}
		var w float64
		for _, c := range base {
			w += (c.SE / c.Value) * (c.SE / c.Value) / 3
		}
		var my float64
		for _, c := range base {
			my += math.Log(c.Value) / 3
		}
		d := math.Log(1.10) - my
		se := math.Sqrt(w * (1 + 1.0/3))
		if math.Abs(res.T-d/se) > 1e-9 || res.DF != 2 {
			t.Fatalf("t %v df %v, want %v and 2", res.T, res.DF, d/se)
		}
		if want := math.Exp(d - tq(2, 0.99)*se); math.Abs(res.CILow-want) > 1e-9 {
			t.Fatalf("lower bound %v, want %v", res.CILow, want)
		}
	})
	t.Run("welch", func(t *testing.T) {
		canary := []Cluster{{ID: "c1", Value: 10, Weight: 1, SE: 1}, {ID: "c2", Value: 10.01, Weight: 1, SE: 1}, {ID: "c3", Value: 9.99, Weight: 1, SE: 1}}
		base := []Cluster{{ID: "a", Value: 8, Weight: 1, SE: 0.1}, {ID: "b", Value: 9, Weight: 1, SE: 0.1}, {ID: "d", Value: 10, Weight: 1, SE: 0.1}}
		res, err := ClusterCompare(canary, base, ClusterConfig{Scale: ScaleLinear, Confidence: 0.98})
		if err != nil {
			t.Fatal(err)
		}
		vx, vy := 1.0, 1.0 // canary raised to its noise (1²); baseline's own spread is 1
		se := math.Sqrt(vx/3 + vy/3)
		rawVX := (0.0 + 0.0001 + 0.0001) / 2
		a, b := rawVX/3, vy/3
		df0 := (a + b) * (a + b) / (a*a/2 + b*b/2)
		if math.Abs(res.T-(10-9)/se) > 1e-9 || math.Abs(res.DF-df0) > 1e-9 {
			t.Fatalf("t %v df %v, want %v and %v", res.T, res.DF, 1/se, df0)
		}
	})
	t.Run("not below the spread", func(t *testing.T) {
		canary := []Cluster{{ID: "c1", Value: 10, Weight: 1, SE: 0.01}, {ID: "c2", Value: 12, Weight: 1, SE: 0.01}}
		base := []Cluster{{ID: "a", Value: 8, Weight: 1, SE: 0.01}, {ID: "b", Value: 9, Weight: 1, SE: 0.01}}
		withSE, err := ClusterCompare(canary, base, ClusterConfig{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range canary {
			canary[i].SE, base[i].SE = 0, 0
		}
		bare, err := ClusterCompare(canary, base, ClusterConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if withSE.T != bare.T || withSE.DF != bare.DF || withSE.Note != bare.Note {
			t.Fatalf("a spread above the noise changed the test: %+v vs %+v", withSE, bare)
		}
	})
	t.Run("worst pod", func(t *testing.T) {
		canary := []Cluster{{ID: "c1", Value: 1, Weight: 1}, {ID: "c2", Value: 3, Weight: 1}}
		base := []Cluster{{ID: "a", Value: 1, Weight: 1, SE: 0.5}, {ID: "b", Value: 1, Weight: 1, SE: 0.5}, {ID: "d", Value: 1, Weight: 1, SE: 0.5}}
		res, err := WorstCluster(canary, base, Increase, ScaleLinear)
		if err != nil {
			t.Fatal(err)
		}
		want := (3 - 1) / (0.5 * math.Sqrt(1+1.0/3))
		if math.Abs(res.T-want) > 1e-9 || res.DF != 2 {
			t.Fatalf("t %v df %v, want %v and 2 (%s)", res.T, res.DF, want, res.Note)
		}
	})
}

// TestQuantileSE: the rank-interval standard error of a histogram
// quantile matches the spread of the quantile over repeated samples (the
// reference: 2,000 multinomial draws per case), to within the slight
// overstatement of linear interpolation in a bucket.
func TestQuantileSE(t *testing.T) {
	bounds := defaultLayout()
	for _, n := range []int{1200, 12000} {
		for _, q := range []float64{0.5, 0.9, 0.99} {
			r := rand.New(rand.NewPCG(uint64(n), uint64(q*100)))
			var logs []float64
			var se2 float64
			const reps = 2000
			for range reps {
				h := drawHistogram(r, bounds, n)
				v := HistogramQuantile(h, q)
				logs = append(logs, math.Log(v))
				s := QuantileSE(h, q) / v
				se2 += s * s / reps
			}
			_, v := meanVar(logs)
			ratio := math.Sqrt(se2 / v)
			if ratio < 0.9 || ratio > 1.3 {
				t.Errorf("n %d q %v: rms QuantileSE / empirical sd = %.3f, want 0.9–1.3", n, q, ratio)
			}
		}
	}
	if se := QuantileSE(Histogram{Bounds: []float64{1}, Counts: []float64{0, 0}}, 0.5); se != 0 {
		t.Errorf("empty histogram: SE %v, want 0", se)
	}
}
