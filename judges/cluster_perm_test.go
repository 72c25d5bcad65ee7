package judges

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// welchT is the Welch statistic written out independently of the code
// under test: (x̄ − ȳ)/√(s_x²/n + s_y²/m).
func welchT(x, y []float64) float64 {
	mv := func(s []float64) (float64, float64) {
		var sum float64
		for _, v := range s {
			sum += v
		}
		mu := sum / float64(len(s))
		var ss float64
		for _, v := range s {
			ss += (v - mu) * (v - mu)
		}
		return mu, ss / float64(len(s)-1)
	}
	mx, vx := mv(x)
	my, vy := mv(y)
	return (mx - my) / math.Sqrt(vx/float64(len(x))+vy/float64(len(y)))
}

// permutationP enumerates every reassignment of the pooled pods to a
// canary cohort of len(x) pods and returns the one-sided permutation
// p-value P(T* ≥ T_obs) of the studentised statistic.
func permutationP(x, y []float64) float64 {
	pool := append(append([]float64(nil), x...), y...)
	n := len(x)
	obs := welchT(x, y)
	var hits, total int
	idx := make([]int, n)
	var rec func(start, depth int)
	rec = func(start, depth int) {
		if depth == n {
			in := make([]bool, len(pool))
			var cx, cy []float64
			for _, i := range idx {
				in[i] = true
			}
			for i, v := range pool {
				if in[i] {
					cx = append(cx, v)
				} else {
					cy = append(cy, v)
				}
			}
			total++
			if welchT(cx, cy) >= obs-1e-12 {
				hits++
			}
			return
		}
		for i := start; i < len(pool); i++ {
			idx[depth] = i
			rec(i+1, depth+1)
		}
	}
	rec(0, 0)
	return float64(hits) / float64(total)
}

// podMeans simulates k pods of reqs requests each, pod offsets N(0, podSD)
// plus request noise N(0, reqSD), and returns each pod's mean.
func podMeans(rng *rand.Rand, k, reqs int, shift, podSD, reqSD float64) []float64 {
	out := make([]float64, k)
	for i := range out {
		off := shift + podSD*rng.NormFloat64()
		var s float64
		for range reqs {
			s += off + reqSD*rng.NormFloat64()
		}
		out[i] = s / float64(reqs)
	}
	return out
}

// ClusterCompare's one-sided p-value against the exact permutation
// distribution over pods (all C(8,4) = 70 and C(10,5) = 252 reassignments)
// on normal data, 100 data sets each, from no shift to a shift of 2 pod
// sd. The t reference only approximates the permutation distribution: with
// 4 vs 4 pods the permutation p moves in steps of 1/70 ≈ 0.014 over 35
// distinct |t| values, and near the centre the smooth t tail is off by up
// to several steps (up to 0.105 in 400 data sets measured while writing
// this test; 0.07 for 5 vs 5). So each p must agree to 0.12 (4 vs 4) and
// 0.08 (5 vs 5), the mean absolute difference to 0.025 and 0.015 (measured
// 0.015 and 0.008), and the t reference must be closer to the permutation
// p on average than a normal reference (which treats the cluster variance
// as known): that is what the few degrees of freedom are for.
func TestClusterComparePermutation(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for _, c := range []struct {
		name         string
		k            int
		tolMax, tolM float64
	}{{"4 vs 4", 4, 0.12, 0.025}, {"5 vs 5", 5, 0.08, 0.015}} {
		t.Run(c.name, func(t *testing.T) {
			var sumAbs, sumAbsNormal float64
			const sets = 100
			for s := range sets {
				shift := []float64{0, 0.5, 1, 2}[s%4] * 0.02 // pod-sd units
				x := podMeans(rng, c.k, 200, shift, 0.02, 0.3)
				y := podMeans(rng, c.k, 200, 0, 0.02, 0.3)
				r, err := ClusterCompare(toClusters(x), toClusters(y), ClusterConfig{Scale: ScaleLinear, Confidence: 0.98})
				if err != nil {
					t.Fatal(err)
				}
				perm := permutationP(x, y)
				d := math.Abs(r.PGreater - perm)
				if d > c.tolMax {
					t.Errorf("set %d: p %.4f, permutation p %.4f", s, r.PGreater, perm)
				}
				sumAbs += d
				sumAbsNormal += math.Abs(distuv.UnitNormal.Survival(welchT(x, y)) - perm)
			}
			if m := sumAbs / sets; m > c.tolM {
				t.Errorf("mean |p − permutation p| = %.4f, want ≤ %v", m, c.tolM)
			}
			if sumAbs >= sumAbsNormal {
				t.Errorf("the t reference (mean |Δp| %.4f) is no closer to the permutation p than a normal one (%.4f)", sumAbs/sets, sumAbsNormal/sets)
			}
		})
	}
}

// binomialBounds is the central interval of Binomial(n, p) holding at
// least 1 − 2·tail of the mass (exact, by summing the pmf).
func binomialBounds(n int, p, tail float64) (lo, hi int) {
	pmf := func(k int) float64 {
		lg := func(v float64) float64 { r, _ := math.Lgamma(v); return r }
		return math.Exp(lg(float64(n+1)) - lg(float64(k+1)) - lg(float64(n-k+1)) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
	}
	var cum float64
	for lo = 0; ; lo++ {
		if cum+pmf(lo) > tail {
			break
		}
		cum += pmf(lo)
	}
	cum = 0
	for hi = n; ; hi-- {
		if cum+pmf(hi) > tail {
			break
		}
		cum += pmf(hi)
	}
	return lo, hi
}

// A/A calibration with pod offsets: 10 pods per cohort, 5000 requests per
// pod with log-latency sd 0.5, pod offsets of log-sd 2 % and 5 %. Each pod
// is summarised by its sufficient statistics (the mean of its log
// latencies is N(offset, 0.5²/5000), its sum of squares 0.5²·χ²(4999)),
// which is the same in distribution as drawing its 5000 requests. The
// one-sided cluster test at α = 0.01 must reject within the central
// 99.9 % binomial interval around 1 % of the replicates; the same test on
// the pooled requests (Welch on 50 000 vs 50 000 log latencies) must
// reject far more (beyond 5 %), which is the defect this unit of analysis
// removes.
func TestClusterCompareAACalibration(t *testing.T) {
	const (
		reps, pods, reqs = 3000, 10, 5000
		reqSD, alpha     = 0.5, 0.01
	)
	chi := distuv.ChiSquared{K: reqs - 1, Src: rand.New(rand.NewPCG(8, 9))}
	rng := rand.New(rand.NewPCG(6, 7))
	lo, hi := binomialBounds(reps, alpha, 0.0005)
	for _, podSD := range []float64{0.02, 0.05} {
		var clusterRej, pooledRej int
		for range reps {
			var cohorts [2][]Cluster
			var mean, ss [2]float64
			for c := range cohorts {
				means := make([]float64, pods)
				var within float64
				for i := range means {
					means[i] = podSD*rng.NormFloat64() + reqSD/math.Sqrt(reqs)*rng.NormFloat64()
					within += reqSD * reqSD * chi.Rand()
				}
				var s float64
				for _, m := range means {
					s += m
				}
				mean[c] = s / pods
				between := 0.0
				for _, m := range means {
					between += reqs * (m - mean[c]) * (m - mean[c])
				}
				ss[c] = within + between
				for i, m := range means {
					cohorts[c] = append(cohorts[c], Cluster{ID: string(rune('a' + i)), Value: 100 * math.Exp(m), Weight: reqs})
				}
			}
			r, err := ClusterCompare(cohorts[0], cohorts[1], ClusterConfig{Scale: ScaleLog, Confidence: 0.98})
			if err != nil {
				t.Fatal(err)
			}
			if r.PGreater < alpha {
				clusterRej++
			}
			n := float64(pods * reqs)
			se := math.Sqrt(ss[0]/(n-1)/n + ss[1]/(n-1)/n)
			if distuv.UnitNormal.Survival((mean[0]-mean[1])/se) < alpha {
				pooledRej++
			}
		}
		t.Logf("pod sd %v: cluster test rejects %d/%d (want %d..%d), pooled requests %d", podSD, clusterRej, reps, lo, hi, pooledRej)
		if clusterRej < lo || clusterRej > hi {
			t.Errorf("pod sd %v: cluster test rejects %d of %d A/A replicates at α = 0.01, want %d..%d", podSD, clusterRej, reps, lo, hi)
		}
		if pooledRej < reps/20 {
			t.Errorf("pod sd %v: pooled requests reject only %d of %d: the contrast is lost", podSD, pooledRej, reps)
		}
	}
}

// A/A calibration of ClusterRates: 10 pods per cohort, 3600 requests per
// pod, error rates lognormal around 2 % with log-sd 0.3 (the issue's
// "each pod's error rate differs"). The one-sided test at α = 0.01 with
// the t reference must reject within the central 99.9 % binomial interval
// around 1 %; the pooled two-proportion z test (requests as the unit)
// rejects far more. The normal reference on the same delta-method
// variance is reported for comparison.
func TestClusterRatesAACalibration(t *testing.T) {
	const reps, pods, reqs, alpha = 3000, 10, 3600, 0.01
	src := rand.New(rand.NewPCG(12, 13))
	lo, hi := binomialBounds(reps, alpha, 0.0005)
	var tRej, normalRej, pooledRej int
	for range reps {
		var cohorts [2][]ClusterCount
		var events [2]float64
		for c := range cohorts {
			for range pods {
				p := 0.02 * math.Exp(0.3*src.NormFloat64())
				e := distuv.Binomial{N: reqs, P: p, Src: src}.Rand()
				cohorts[c] = append(cohorts[c], ClusterCount{ID: "p", Events: e, Trials: reqs})
				events[c] += e
			}
		}
		r, err := ClusterRates(cohorts[0], cohorts[1], 0.98)
		if err != nil {
			t.Fatal(err)
		}
		if r.PGreater < alpha {
			tRej++
		}
		if distuv.UnitNormal.Survival(r.T) < alpha {
			normalRej++
		}
		n := float64(pods * reqs)
		pp := (events[0] + events[1]) / (2 * n)
		z := (events[0] - events[1]) / n / math.Sqrt(pp*(1-pp)*2/n)
		if distuv.UnitNormal.Survival(z) < alpha {
			pooledRej++
		}
	}
	t.Logf("rejections of %d: delta method with t %d (want %d..%d), with normal %d, pooled z %d", reps, tRej, lo, hi, normalRej, pooledRej)
	if tRej < lo || tRej > hi {
		t.Errorf("delta method rejects %d of %d A/A replicates at α = 0.01, want %d..%d", tRej, reps, lo, hi)
	}
	if pooledRej < 2*hi {
		t.Errorf("pooled z rejects only %d: the contrast is lost", pooledRej)
	}
}
