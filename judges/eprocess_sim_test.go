package judges

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// Simulations of the count e-process: validity under the null with
// diurnal traffic, the published example, detection and early passes.

// countSim runs one chunked stream of Binomial errors: chunk j has
// trials[j] requests of which a share rho[j] go to the canary, with
// per-request error rates base·ratio (canary) and base (baseline). It
// returns the first chunk at which EValue ≥ 1/alpha (NonInferiorEValue
// with nonInferior; −1 if none) and the number of events seen by then.
func countSim(e *CountEProcess, r *rand.Rand, trials, rho []float64, base, ratio, alpha float64, nonInferior ...bool) (look int, events float64) {
	logE := e.LogEValue
	if len(nonInferior) > 0 && nonInferior[0] {
		logE = e.LogNonInferiorEValue
	}
	src := rand.NewPCG(r.Uint64(), r.Uint64())
	thr := math.Log(1 / alpha)
	for j := range trials {
		ct := math.Round(trials[j] * rho[j])
		bt := trials[j] - ct
		ce := distuv.Binomial{N: ct, P: base * ratio, Src: src}.Rand()
		be := distuv.Binomial{N: bt, P: base, Src: src}.Rand()
		if err := e.Observe(ce, ct, be, bt); err != nil {
			panic(err)
		}
		if logE() >= thr {
			st := e.State()
			return j, st.CanaryEvents + st.BaselineEvents
		}
	}
	return -1, 0
}

// binomialUpper is a one-sided upper bound for a binomial proportion
// (normal approximation with continuity correction, z = 3.09: 0.1 %).
func binomialUpper(p float64, n int) float64 {
	return p + 3.09*math.Sqrt(p*(1-p)/float64(n)) + 0.5/float64(n)
}

// Under the null (equal per-request rates, or exactly at the margin) with
// diurnal traffic and a drifting canary share, the e-value crosses 1/α
// over 60 looks in at most α of the runs; so does the non-inferiority
// e-value (an early pass) when the canary is worse by exactly the margin.
func TestCountEProcessNullDiurnal(t *testing.T) {
	trials, rho := make([]float64, 60), make([]float64, 60)
	for j := range trials {
		trials[j] = 400 + 300*math.Sin(float64(j)/60*2*math.Pi)
		rho[j] = 0.2 + 0.15*math.Sin(float64(j)/9)
	}
	for _, tc := range []struct {
		name          string
		margin, alpha float64
		dir           Direction
		reps          int
		nonInferior   bool
	}{
		{"no margin α 0.05", 0, 0.05, Increase, 2000, false},
		{"no margin α 0.01", 0, 0.01, Increase, 2000, false},
		{"margin 10% at the margin", 0.1, 0.05, Increase, 1000, false},
		{"decrease at the margin", 0.1, 0.05, Decrease, 1000, false},
		{"non-inferior at the margin", 0.1, 0.05, Increase, 1000, true},
		{"non-inferior decrease at the margin", 0.1, 0.05, Decrease, 1000, true},
	} {
		reps := tc.reps
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, uint64(len(tc.name))))
			ratio := 1.0
			if tc.dir == Decrease {
				ratio = 1 - tc.margin
			} else {
				ratio += tc.margin
			}
			crossed := 0
			for range reps {
				e, err := NewCountEProcess(CountEProcessConfig{Margin: tc.margin, Direction: tc.dir})
				if err != nil {
					t.Fatal(err)
				}
				if look, _ := countSim(e, r, trials, rho, 0.02, ratio, tc.alpha, tc.nonInferior); look >= 0 {
					crossed++
				}
			}
			rate := float64(crossed) / float64(reps)
			t.Logf("crossed 1/α in %d of %d null runs (%.2f%%, α %v)", crossed, reps, 100*rate, tc.alpha)
			if rate > binomialUpper(tc.alpha, reps) {
				t.Errorf("false crossings %.4f exceed α %v", rate, tc.alpha)
			}
		})
	}
}

// Lindon & Malek's example: a 1.65× event rate on a 20 % canary is flagged
// after a couple of hundred events (their run: 210). The events arrive
// ten at a time; α = 0.05.
func TestCountEProcessPublishedExample(t *testing.T) {
	const reps = 500
	r := rand.New(rand.NewPCG(21, 22))
	var events []float64
	for range reps {
		e, _ := NewCountEProcess(CountEProcessConfig{})
		pi := 0.2 * 1.65 / (0.2*1.65 + 0.8)
		n := 0.0
		for n < 5000 {
			c := 0.0
			for range 10 {
				if r.Float64() < pi {
					c++
				}
			}
			if err := e.Observe(c, 200, 10-c, 800); err != nil {
				t.Fatal(err)
			}
			n += 10
			if e.EValue() >= 1/0.05 {
				break
			}
		}
		events = append(events, n)
	}
	slices.Sort(events)
	med := events[reps/2]
	t.Logf("events to flag: median %v, quartiles %v–%v", med, events[reps/4], events[3*reps/4])
	if med < 100 || med > 400 {
		t.Errorf("median events to flag %v, want a few hundred (100–400)", med)
	}
}

// A 2× error rate (1 % baseline) at 25k requests/h is flagged within the
// hour of one-minute looks at the run's default budget (α = 0.01), whether
// the 25k are the canary's traffic or the service's at a 50 % share. At
// 25k/h for the whole service and a 10 % share the canary sees 2.5k
// requests and the hour holds about 275 errors: a one-sided fixed-sample
// test run once at the end of the hour would have about 96 % power, the
// always-valid test looked at every minute has about 80 %.
func TestCountEProcessDetection(t *testing.T) {
	const reps = 1000
	for _, tc := range []struct {
		name         string
		share        float64
		canaryPerH   float64
		minDetection float64
	}{
		{"canary 25k/h at 10% share", 0.1, 25000, 0.95},
		{"canary 25k/h at 50% share", 0.5, 25000, 0.95},
		{"25k/h in all at 50% share", 0.5, 12500, 0.95},
		{"25k/h in all at 10% share", 0.1, 2500, 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total := tc.canaryPerH / tc.share / 60
			trials, rho := make([]float64, 60), make([]float64, 60)
			for j := range trials {
				trials[j], rho[j] = total, tc.share
			}
			r := rand.New(rand.NewPCG(31, uint64(tc.share*100)))
			var looks []int
			for range reps {
				e, _ := NewCountEProcess(CountEProcessConfig{})
				look, _ := countSim(e, r, trials, rho, 0.01, 2, 0.01)
				if look < 0 {
					look = 1000
				}
				looks = append(looks, look+1)
			}
			slices.Sort(looks)
			det := float64(sort60(looks)) / reps
			t.Logf("detected within the hour in %.1f%%, median %d min", 100*det, looks[reps/2])
			if det < tc.minDetection {
				t.Errorf("detection %.3f < %v", det, tc.minDetection)
			}
		})
	}
}

func sort60(looks []int) int {
	n := 0
	for _, l := range looks {
		if l <= 60 {
			n++
		}
	}
	return n
}

// The confidence sequence on the rate ratio covers the true ratio at every
// look in at least 1−α of the runs, and narrows.
func TestCountEProcessRatioCSCoverage(t *testing.T) {
	const reps, alpha = 300, 0.05
	trials, rho := make([]float64, 30), make([]float64, 30)
	for j := range trials {
		trials[j], rho[j] = 2000, 0.3
	}
	r := rand.New(rand.NewPCG(41, 42))
	miss := 0
	var width float64
	for range reps {
		e, _ := NewCountEProcess(CountEProcessConfig{})
		src := rand.NewPCG(r.Uint64(), r.Uint64())
		missed := false
		for j := range trials {
			ct := trials[j] * rho[j]
			ce := distuv.Binomial{N: ct, P: 0.015, Src: src}.Rand()
			be := distuv.Binomial{N: trials[j] - ct, P: 0.01, Src: src}.Rand()
			if err := e.Observe(ce, ct, be, trials[j]-ct); err != nil {
				t.Fatal(err)
			}
			lo, hi := e.RatioCS(alpha)
			if lo > 1.5 || hi < 1.5 {
				missed = true
			}
			if j == len(trials)-1 {
				width += math.Log(hi/lo) / reps
			}
		}
		if missed {
			miss++
		}
	}
	t.Logf("missed in %d of %d runs; mean final log width %.3f", miss, reps, width)
	if float64(miss)/reps > binomialUpper(alpha, reps) {
		t.Errorf("confidence sequence missed in %d of %d runs", miss, reps)
	}
	if width > 1.2 {
		t.Errorf("final log width %v: the sequence does not narrow", width)
	}
}

// A healthy canary passes early with a margin: equal error rates (2 %) at
// 100k requests/h per cohort (4000 errors in the hour), margin 20 %,
// α = 0.01. Passing early needs far more data than failing: at 50k
// requests/h it passes within the hour in about 80 % of runs, and with a
// 10 % margin even the best simple alternative (θ = 1 itself) would reach
// a likelihood ratio of only about e^2.3 < 1/α there.
func TestCountEProcessEarlyPass(t *testing.T) {
	const reps = 300
	trials, rho := make([]float64, 60), make([]float64, 60)
	for j := range trials {
		trials[j], rho[j] = 200000.0/60, 0.5
	}
	r := rand.New(rand.NewPCG(51, 52))
	var looks []int
	for range reps {
		e, _ := NewCountEProcess(CountEProcessConfig{Margin: 0.2})
		look, _ := countSim(e, r, trials, rho, 0.02, 1, 0.01, true)
		if look < 0 {
			look = 1000
		}
		looks = append(looks, look+1)
	}
	slices.Sort(looks)
	det := float64(sort60(looks)) / reps
	t.Logf("passed early within the hour in %.1f%%, median %d min", 100*det, looks[reps/2])
	if det < 0.95 {
		t.Errorf("early pass within the hour in %.3f of healthy runs, want ≥ 0.95", det)
	}
}
