package judges

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

type sequentialReference struct {
	EProcess []struct {
		Rho, A, B, Theta0 float64
		C, N              float64
		LogEUp            float64 `json:"log_e_up"`
		LogEDown          float64 `json:"log_e_down"`
		LogEFull          float64 `json:"log_e_full"`
		PriorBelow        float64 `json:"prior_below"`
	} `json:"eprocess"`
	QuantileTOpt  float64 `json:"quantile_t_opt"`
	QuantileRadii []struct {
		Q, T, Alpha float64
		FLo         *float64 `json:"f_lo"`
		FHi         *float64 `json:"f_hi"`
	} `json:"quantile_radii"`
	QuantileMixture []struct {
		Q, T, K  float64
		AlphaOpt float64 `json:"alpha_opt"`
		LogM     float64 `json:"log_m"`
	} `json:"quantile_mixture"`
}

func loadSequentialReference(t *testing.T) sequentialReference {
	t.Helper()
	raw, err := os.ReadFile("testdata/sequential_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref sequentialReference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// betaGrid is a grid on log θ whose weights are a Beta(a, b) prior on the
// canary's share π of the events at a constant share ρ of the trials:
// π = ρθ/(ρθ+1−ρ), so the density of log θ is Beta(π)·π(1−π). The points
// lie half a step either side of log θ0, so that each one-sided sum is the
// midpoint rule for its integral (error O(step²); a point at θ0 would make
// it O(step)).
func betaGrid(rho, a, b, theta0 float64, points int, span float64) countGrid {
	lt := make([]float64, points)
	step := 2 * span / float64(points)
	for i := range lt {
		lt[i] = math.Log(theta0) + (float64(i-points/2)+0.5)*step
	}
	lrho := math.Log(rho / (1 - rho))
	return newCountGrid(lt, math.Log(theta0), func(x float64) float64 {
		p := 1 / (1 + math.Exp(-(x + lrho)))
		return a*math.Log(p) + b*math.Log1p(-p) - lbeta(a, b)
	})
}

// With a constant trial share and a Beta prior on the canary's share of the
// events, the grid mixture is Lindon & Malek's beta-binomial e-value: the
// one-sided parts against scipy's closed form with the incomplete beta
// function, and their prior-weighted sum against scipy's betabinom pmf.
func TestCountEProcessBetaBinomialReference(t *testing.T) {
	ref := loadSequentialReference(t)
	for _, tc := range []struct {
		name   string
		points int
		span   float64
		tol    float64 // absolute, on log e-values
	}{
		{"fine grid", 200000, 40, 1e-5},
		// The default grid's spacing: within 5 % of the continuous
		// mixture up to 1000 events.
		{"default spacing", int(80 / (2 * countGridSpan / float64(countGridPoints-1))), 40, 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range ref.EProcess {
				cfg := CountEProcessConfig{Margin: c.Theta0 - 1}
				e := newCountEProcessGrid(cfg, betaGrid(c.Rho, c.A, c.B, c.Theta0, tc.points, tc.span))
				// The same events in uneven chunks at the same share ρ.
				ce, be := c.C, c.N-c.C
				for i, frac := range []float64{0.25, 0.5, 0.25} {
					trials := 1000 * frac
					cc, bb := math.Floor(c.C*frac), math.Floor((c.N-c.C)*frac)
					if i == 2 {
						cc, bb = ce, be
					}
					ce, be = ce-cc, be-bb
					if err := e.Observe(cc, trials*c.Rho, bb, trials*(1-c.Rho)); err != nil {
						t.Fatal(err)
					}
				}
				if got := e.state.CanaryEvents + e.state.BaselineEvents; got != c.N {
					t.Fatalf("chunks hold %v events, want %v", got, c.N)
				}
				up, down := e.LogEValue(), e.LogNonInferiorEValue()
				full := math.Log((1-c.PriorBelow)*math.Exp(up) + c.PriorBelow*math.Exp(down))
				for _, x := range []struct {
					name      string
					got, want float64
				}{{"up", up, c.LogEUp}, {"down", down, c.LogEDown}, {"full", full, c.LogEFull}} {
					if math.Abs(x.got-x.want) > tc.tol {
						t.Errorf("ρ %v Beta(%v,%v) θ0 %v c %v/%v: log e %s = %.9g, want %.9g", c.Rho, c.A, c.B, c.Theta0, c.C, c.N, x.name, x.got, x.want)
					}
				}
			}
		})
	}
}

// A chunk whose events fall exactly at the rate of the null contributes
// nothing; before any event both e-values are 1; direction decrease
// mirrors increase.
func TestCountEProcessBasics(t *testing.T) {
	e, err := NewCountEProcess(CountEProcessConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e.EValue()-1) > 1e-12 || math.Abs(e.NonInferiorEValue()-1) > 1e-12 {
		t.Fatalf("empty e-values %v %v, want 1", e.EValue(), e.NonInferiorEValue())
	}
	if err := e.Observe(0, 500, 0, 500); err != nil {
		t.Fatal(err)
	}
	if math.Abs(e.EValue()-1) > 1e-12 {
		t.Fatalf("e-value after a chunk without events %v, want 1", e.EValue())
	}
	lo, hi := e.RatioCS(0.05)
	if lo != 0 || !math.IsInf(hi, 1) {
		t.Fatalf("confidence sequence before events (%v, %v), want (0, +Inf)", lo, hi)
	}

	// Mirror: canary and baseline swapped under Decrease gives the same
	// e-values as Increase.
	inc, _ := NewCountEProcess(CountEProcessConfig{Margin: 0.1})
	dec, _ := NewCountEProcess(CountEProcessConfig{Margin: 1 - 1/1.1, Direction: Decrease})
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		ct, bt := 100+r.Float64()*900, 100+r.Float64()*900
		ce, be := float64(r.IntN(10)), float64(r.IntN(10))
		if err := inc.Observe(ce, ct, be, bt); err != nil {
			t.Fatal(err)
		}
		if err := dec.Observe(be, bt, ce, ct); err != nil {
			t.Fatal(err)
		}
	}
	// The grid is symmetric in log θ and log θ0 is mirrored, so the
	// e-values agree up to the prior's grid points (within a step).
	if d := math.Abs(inc.LogEValue() - dec.LogEValue()); d > 0.05*math.Abs(inc.LogEValue())+0.05 {
		t.Errorf("increase log e %v, mirrored decrease %v", inc.LogEValue(), dec.LogEValue())
	}
	if d := math.Abs(inc.LogNonInferiorEValue() - dec.LogNonInferiorEValue()); d > 0.05*math.Abs(inc.LogNonInferiorEValue())+0.05 {
		t.Errorf("increase log non-inferior e %v, mirrored decrease %v", inc.LogNonInferiorEValue(), dec.LogNonInferiorEValue())
	}
}

func TestCountEProcessBadInput(t *testing.T) {
	for _, cfg := range []CountEProcessConfig{
		{Margin: -0.1}, {Margin: math.NaN()}, {Margin: math.Inf(1)}, {Margin: 30},
		{Margin: 1, Direction: Decrease}, {Direction: Either}, {Direction: "up"},
	} {
		if _, err := NewCountEProcess(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	e, _ := NewCountEProcess(CountEProcessConfig{})
	if err := e.Observe(3, 1000, 5, 1000); err != nil {
		t.Fatal(err)
	}
	before := e.State()
	for _, in := range [][4]float64{
		{-1, 10, 0, 10}, {0, math.NaN(), 0, 10}, {0, 10, math.Inf(1), 10}, {1, 0, 0, 10}, {0, 10, 1, 0},
	} {
		if err := e.Observe(in[0], in[1], in[2], in[3]); err == nil {
			t.Errorf("chunk %v accepted", in)
		}
	}
	if after := e.State(); !slices.Equal(after.LogLik, before.LogLik) || after.LogLik0 != before.LogLik0 || after.CanaryTrials != before.CanaryTrials {
		t.Error("a refused chunk changed the state")
	}
}

// Fractional counts: the likelihood counts whole events as the increase of
// the rounded cumulative count, so fractions add up across chunks.
func TestCountEProcessFractionalCounts(t *testing.T) {
	frac, _ := NewCountEProcess(CountEProcessConfig{})
	whole, _ := NewCountEProcess(CountEProcessConfig{})
	for range 10 {
		if err := frac.Observe(0.4, 100, 0.6, 100); err != nil {
			t.Fatal(err)
		}
	}
	// 4 canary and 6 baseline events at share ½.
	if err := whole.Observe(4, 1000, 6, 1000); err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(frac.LogEValue() - whole.LogEValue()); d > 1e-12 {
		t.Errorf("fractional chunks log e %v, whole events %v", frac.LogEValue(), whole.LogEValue())
	}
}

// The state survives JSON after every look and the restored process ends
// exactly where the uninterrupted one does.
func TestCountEProcessStateRoundTrip(t *testing.T) {
	cfg := CountEProcessConfig{Margin: 0.05}
	whole, _ := NewCountEProcess(cfg)
	st := whole.State()
	r := rand.New(rand.NewPCG(5, 6))
	for range 30 {
		ce, be := float64(r.IntN(8)), float64(r.IntN(30))
		ct, bt := 200+r.Float64()*100, 1000+r.Float64()*500
		if err := whole.Observe(ce, ct, be, bt); err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		var back CountEProcessState
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		resumed, err := RestoreCountEProcess(cfg, back)
		if err != nil {
			t.Fatal(err)
		}
		if err := resumed.Observe(ce, ct, be, bt); err != nil {
			t.Fatal(err)
		}
		st = resumed.State()
		if resumed.EValue() != whole.EValue() || resumed.NonInferiorEValue() != whole.NonInferiorEValue() {
			t.Fatalf("restored e-values %v %v, uninterrupted %v %v", resumed.EValue(), resumed.NonInferiorEValue(), whole.EValue(), whole.NonInferiorEValue())
		}
	}
	if len(st.LogLik) != countGridPoints {
		t.Fatalf("state holds %d grid values", len(st.LogLik))
	}
	for name, mutate := range map[string]func(*CountEProcessState){
		"short grid":    func(s *CountEProcessState) { s.LogLik = s.LogLik[:10] },
		"other margin":  func(s *CountEProcessState) { s.Theta0 = 1.2 },
		"nan":           func(s *CountEProcessState) { s.LogLik[3] = math.NaN() },
		"positive ll":   func(s *CountEProcessState) { s.LogLik0 = 2 },
		"negative sums": func(s *CountEProcessState) { s.BaselineTrials = -1 },
	} {
		bad := whole.State()
		mutate(&bad)
		if _, err := RestoreCountEProcess(cfg, bad); err == nil {
			t.Errorf("%s: state accepted", name)
		}
	}
}

func BenchmarkCountEProcess(b *testing.B) {
	b.Run("Observe", func(b *testing.B) {
		e, _ := NewCountEProcess(CountEProcessConfig{Margin: 0.05})
		for i := 0; b.Loop(); i++ {
			if err := e.Observe(float64(i%7), 500, float64(i%23), 4500); err != nil {
				b.Fatal(err)
			}
		}
	})
	e, _ := NewCountEProcess(CountEProcessConfig{Margin: 0.05})
	for i := range 60 {
		_ = e.Observe(float64(i%7), 500, float64(i%23), 4500)
	}
	b.Run("EValue", func(b *testing.B) {
		for b.Loop() {
			_ = e.EValue()
		}
	})
	b.Run("RatioCS", func(b *testing.B) {
		for b.Loop() {
			_, _ = e.RatioCS(0.01)
		}
	})
	b.Run("StateJSON", func(b *testing.B) {
		for b.Loop() {
			raw, _ := json.Marshal(e.State())
			var st CountEProcessState
			_ = json.Unmarshal(raw, &st)
			if _, err := RestoreCountEProcess(CountEProcessConfig{Margin: 0.05}, st); err != nil {
				b.Fatal(err)
			}
		}
	})
}
