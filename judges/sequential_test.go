package judges

import (
	"math"
	"testing"
)

func TestSequentialReference(t *testing.T) {
	ref := loadTestsReference(t)
	if len(ref.Sequential) < 5 {
		t.Fatalf("%d sequential streams, want ≥ 5", len(ref.Sequential))
	}
	for _, c := range ref.Sequential {
		t.Run(c.ID, func(t *testing.T) {
			s, err := NewSequential(SequentialConfig{Theta0: c.Theta0, Tau2: c.Tau2, VarCanary: c.VarCanary, VarBaseline: c.VarBaseline})
			if err != nil {
				t.Fatal(err)
			}
			for k, iv := range c.Intervals {
				err := s.Update(Summary{N: int64(iv.Canary[0]), Mean: iv.Canary[1], Variance: iv.Canary[2]},
					Summary{N: int64(iv.Baseline[0]), Mean: iv.Baseline[1], Variance: iv.Baseline[2]})
				if err != nil {
					t.Fatal(err)
				}
				lo, hi := s.CI(c.Alpha)
				wantLo, wantHi := float64(c.CILow[k]), float64(c.CIHigh[k])
				if wantLo > wantHi {
					wantLo, wantHi = math.NaN(), math.NaN()
				}
				if !refRelClose(s.PValue(), float64(c.P[k]), 1e-9) || !refRelClose(s.Estimate(), float64(c.Estimate[k]), 1e-9) ||
					!refAbsClose(lo, wantLo, 1e-9) || !refAbsClose(hi, wantHi, 1e-9) {
					t.Errorf("step %d: p %.17g est %.17g CI [%.17g, %.17g]; numpy p %.17g est %.17g CI [%.17g, %.17g]",
						k, s.PValue(), s.Estimate(), lo, hi, c.P[k], c.Estimate[k], wantLo, wantHi)
				}
				if s.Stop(c.Alpha) != (float64(c.P[k]) <= c.Alpha) {
					t.Errorf("step %d: Stop %v at p %v", k, s.Stop(c.Alpha), c.P[k])
				}
			}
			if !refRelClose(s.Tau2(), float64(c.Tau2Used), 1e-12) {
				t.Errorf("τ² = %v, numpy %v", s.Tau2(), c.Tau2Used)
			}
		})
	}
}

// Under H0 with known variance (deterministic data whose interval means are
// equal), p never increases, the interval always contains the running
// estimate and the null, and shrinks; the test never stops.
func TestSequentialPropertiesH0(t *testing.T) {
	s, err := NewSequential(SequentialConfig{Tau2: 0.5, VarCanary: 1, VarBaseline: 1})
	if err != nil {
		t.Fatal(err)
	}
	prevP, prevW := 1.0, math.Inf(1)
	for k := 1; k <= 200; k++ {
		mu := math.Sin(float64(k)) // both cohorts see the same drift
		if err := s.Update(Summary{N: int64(5 + k%7), Mean: mu, Variance: 1}, Summary{N: int64(3 + k%5), Mean: mu, Variance: 1.3}); err != nil {
			t.Fatal(err)
		}
		lo, hi := s.CI(0.05)
		est := s.Estimate()
		if p := s.PValue(); p > prevP || p < 0 || p > 1 {
			t.Fatalf("step %d: p %v after %v", k, p, prevP)
		}
		prevP = s.PValue()
		if !(lo <= est && est <= hi) || !(lo <= 0 && 0 <= hi) || hi-lo > prevW {
			t.Fatalf("step %d: CI [%v, %v] estimate %v width before %v", k, lo, hi, est, prevW)
		}
		prevW = hi - lo
		if s.Stop(0.05) {
			t.Fatalf("step %d: stopped under H0 with zero observed difference", k)
		}
	}
}

// Stop(α) is exactly "Theta0 is outside CI(α)": the interval inverts the
// mixture likelihood-ratio test.
func TestSequentialDuality(t *testing.T) {
	for _, shift := range []float64{0, 0.05, 0.2, 1} {
		s, _ := NewSequential(SequentialConfig{Tau2: 0.1, VarCanary: 1, VarBaseline: 2})
		for k := 1; k <= 60; k++ {
			_ = s.Update(Summary{N: 20, Mean: shift + 0.1*math.Cos(float64(k)), Variance: 1}, Summary{N: 20, Mean: 0, Variance: 2})
			for _, alpha := range []float64{0.01, 0.05, 0.2} {
				lo, hi := s.CI(alpha)
				outside := math.IsNaN(lo) || lo > 0 || hi < 0
				if outside != s.Stop(alpha) {
					t.Fatalf("shift %v step %d α %v: Stop %v but CI [%v, %v] (p %v)", shift, k, alpha, s.Stop(alpha), lo, hi, s.PValue())
				}
			}
		}
	}
}

func TestSequentialInputs(t *testing.T) {
	if _, err := NewSequential(SequentialConfig{Tau2: -1}); err == nil {
		t.Error("negative τ² accepted")
	}
	if _, err := NewSequential(SequentialConfig{Theta0: math.NaN()}); err == nil {
		t.Error("NaN θ0 accepted")
	}
	s, _ := NewSequential(SequentialConfig{})
	if lo, hi := s.CI(0.05); !math.IsInf(lo, -1) || !math.IsInf(hi, 1) || s.PValue() != 1 || !math.IsNaN(s.Estimate()) {
		t.Errorf("empty: CI [%v, %v] p %v est %v", lo, hi, s.PValue(), s.Estimate())
	}
	for _, bad := range []Summary{{N: -1}, {N: 3, Mean: math.Inf(1)}, {N: 3, Mean: 1, Variance: -2}, {N: 3, Mean: 1, Variance: math.NaN()}} {
		if err := s.Update(bad, Summary{N: 3, Mean: 1, Variance: 1}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := s.Observe([]float64{1, 2, math.NaN(), 3}, []float64{2, 3, 4}); err != nil || s.Estimate() != -1 {
		t.Errorf("Observe: %v, estimate %v", err, s.Estimate())
	}
}

func FuzzSequential(f *testing.F) {
	f.Add([]byte{3, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0}, 1.0, 0.0, 0.0)
	f.Add([]byte{2, 1, 0, 1, 0, 1, 0, 1, 0}, 1e300, 1.0, 1e-300)
	f.Fuzz(func(t *testing.T, data []byte, scale, tau2, v float64) {
		s, err := NewSequential(SequentialConfig{Tau2: tau2, VarCanary: v, VarBaseline: v})
		if err != nil {
			return
		}
		for len(data) > 4 {
			n := min(int(data[0]%16)*2+1, len(data)-1)
			x, y := fuzzSamples(data[:n], scale)
			data = data[n:]
			_ = s.Observe(x, y)
			if p := s.PValue(); !(p >= 0 && p <= 1) {
				t.Fatalf("p = %v", p)
			}
			if lo, hi := s.CI(0.05); lo > hi {
				t.Fatalf("CI [%v, %v]", lo, hi)
			}
		}
	})
}
