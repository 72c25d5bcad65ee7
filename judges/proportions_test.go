package judges

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestProportionsReference(t *testing.T) {
	ref := loadTestsReference(t)
	if len(ref.Proportions) < 40 {
		t.Fatalf("%d tables, want ≥ 40", len(ref.Proportions))
	}
	for _, c := range ref.Proportions {
		t.Run(c.ID+" "+c.Name, func(t *testing.T) {
			r, err := Proportions(c.CanaryErrors, c.CanaryTotal, c.BaselineErrors, c.BaselineTotal)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Computable {
				for _, p := range []float64{r.PValueZ, r.PValueZGreater, r.PValueYates, r.PValueFisher, r.PValueFisherGreater, r.Z} {
					if !math.IsNaN(p) {
						t.Errorf("zero margin gave %v, want NaN", p)
					}
				}
				if !strings.Contains(r.Note, "not computable") {
					t.Errorf("note %q", r.Note)
				}
				return
			}
			const tolZ, tolFisher = 1e-9, 1e-6
			for _, chk := range []struct {
				what      string
				got, want float64
				tol       float64
			}{
				{"χ² vs scipy", r.ChiSquare, float64(c.ScipyChi2), tolZ},
				{"χ² vs R", r.ChiSquare, float64(c.RChi2), tolZ},
				{"p(z) vs scipy", r.PValueZ, float64(c.ScipyP), tolZ},
				{"p(z) vs R", r.PValueZ, float64(c.RP), tolZ},
				{"Yates χ² vs scipy", r.ChiSquareYates, float64(c.ScipyChi2Yates), tolZ},
				{"Yates χ² vs R", r.ChiSquareYates, float64(c.RChi2Yates), tolZ},
				{"Yates p vs scipy", r.PValueYates, float64(c.ScipyPYates), tolZ},
				{"Yates p vs R", r.PValueYates, float64(c.RPYates), tolZ},
				{"Fisher vs R", r.PValueFisher, float64(c.RFisher), tolFisher},
				{"Fisher greater vs R", r.PValueFisherGreater, float64(c.RFisherGreater), tolFisher},
			} {
				ok := refRelClose(chk.got, chk.want, chk.tol)
				if chk.want < 1e-300 { // below R's and scipy's resolution
					ok = chk.got < 1e-290
				}
				if chk.want < 1e-12 && chk.tol == tolZ && (strings.HasPrefix(chk.what, "χ²") || strings.HasPrefix(chk.what, "Yates χ²")) {
					// tiny χ² from cancellation in Σ(O−E)²/E: compare absolutely
					ok = math.Abs(chk.got-chk.want) <= 1e-12
				}
				if !ok {
					t.Errorf("%s: %.17g, reference %.17g", chk.what, chk.got, chk.want)
				}
			}
			// One-sided z: half the two-sided p on the side of the sign.
			if want := r.PValueZ / 2; r.Z > 0 && !refRelClose(r.PValueZGreater, want, 1e-12) {
				t.Errorf("one-sided z p %v, want %v", r.PValueZGreater, want)
			}
		})
	}
}

func TestProportionsInputs(t *testing.T) {
	for _, c := range [][4]int64{{-1, 10, 0, 10}, {11, 10, 0, 10}, {0, 10, 0, -1}, {0, 10, 3, 2}, {0, 1 << 51, 0, 10}} {
		if _, err := Proportions(c[0], c[1], c[2], c[3]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

// Totals of 1e8 with a wide hypergeometric support stay fast.
func TestProportionsLargeTotals(t *testing.T) {
	start := time.Now()
	r, err := Proportions(50_000_000, 100_000_000, 49_990_000, 100_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
	// Normal approximation is excellent here: Fisher ≈ Yates.
	if math.Abs(r.PValueFisher-r.PValueYates) > 1e-4 || !(r.PValueFisher > 0 && r.PValueFisher < 1) {
		t.Errorf("Fisher %v, Yates %v", r.PValueFisher, r.PValueYates)
	}
}

// More canary errors never make the "canary worse" p-values larger, and
// swapping the cohorts mirrors z and keeps the two-sided p-values.
func TestProportionsProperties(t *testing.T) {
	for ce := int64(0); ce <= 40; ce += 3 {
		a, _ := Proportions(ce, 1000, 10, 1200)
		b, _ := Proportions(ce+1, 1000, 10, 1200)
		if !(b.PValueZGreater <= a.PValueZGreater) || !(b.PValueFisherGreater <= a.PValueFisherGreater+1e-15) {
			t.Errorf("ce %d: z %v → %v, Fisher %v → %v", ce, a.PValueZGreater, b.PValueZGreater, a.PValueFisherGreater, b.PValueFisherGreater)
		}
		s, _ := Proportions(10, 1200, ce+1, 1000)
		if s.Z != -b.Z || math.Abs(s.PValueFisher-b.PValueFisher) > 1e-12 || !refRelClose(s.PValueYates, b.PValueYates, 1e-13) {
			t.Errorf("swap: z %v/%v Fisher %v/%v Yates %v/%v", b.Z, s.Z, b.PValueFisher, s.PValueFisher, b.PValueYates, s.PValueYates)
		}
	}
}

func FuzzProportions(f *testing.F) {
	f.Add(int64(5), int64(100), int64(1), int64(100))
	f.Add(int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(3), int64(10_000_000), int64(0), int64(10_000_000))
	f.Add(int64(1<<49), int64(1<<50), int64(7), int64(1<<50))
	f.Fuzz(func(t *testing.T, ce, ct, be, bt int64) {
		// Keep Fisher's O(√N) walk short enough for the fuzzer.
		if ct > 1e9 || bt > 1e9 {
			ct, bt = ct%1_000_000_000, bt%1_000_000_000
		}
		r, err := Proportions(ce, ct, be, bt)
		if err != nil {
			return
		}
		for _, p := range []float64{r.PValueZ, r.PValueZGreater, r.PValueYates, r.PValueFisher, r.PValueFisherGreater} {
			checkFuzzP(t, p, r.Note)
		}
	})
}
