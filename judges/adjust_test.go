package judges

import (
	"math"
	"slices"
	"testing"
)

func TestAdjustReference(t *testing.T) {
	ref := loadTestsReference(t)
	if len(ref.Adjust) < 30 {
		t.Fatalf("%d adjust cases, want ≥ 30", len(ref.Adjust))
	}
	for _, c := range ref.Adjust {
		t.Run(c.ID+" "+string(c.Method), func(t *testing.T) {
			p := refFloats(c.P)
			got, err := Adjust(c.Method, p)
			if err != nil {
				t.Fatal(err)
			}
			want := refFloats(c.R)
			if len(p) == 0 {
				want = []float64{}
			}
			if len(got) != len(want) {
				t.Fatalf("%d values, R %d", len(got), len(want))
			}
			for i := range got {
				if !refAbsClose(got[i], want[i], 1e-12) {
					t.Errorf("[%d] p=%v: %.17g, R %.17g", i, p[i], got[i], want[i])
				}
			}
		})
	}
}

func TestAdjustInputs(t *testing.T) {
	if _, err := Adjust("sidak", []float64{0.1}); err == nil {
		t.Error("unknown method accepted")
	}
	for _, bad := range [][]float64{{0.1, -0.1}, {1.5}, {math.Inf(1), 0.2}} {
		if _, err := Adjust(AdjustHolm, bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	in := []float64{0.04, math.NaN(), 0.01}
	orig := slices.Clone(in)
	if _, err := Adjust(AdjustBH, in); err != nil || !slices.EqualFunc(in, orig, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) {
		t.Errorf("input modified: %v (%v)", in, err)
	}
}

// Adjusted p-values are ≥ p, ≤ 1, and monotone in p; FWER methods are
// ordered Bonferroni ≥ Holm ≥ Hochberg, and BY ≥ BH.
func TestAdjustProperties(t *testing.T) {
	methods := []AdjustMethod{AdjustBonferroni, AdjustHolm, AdjustHochberg, AdjustBH, AdjustBY}
	for seed := range 30 {
		x, _ := propertySamplesWelch(seed)
		p := make([]float64, len(x)+3)
		for i := range x {
			p[i] = math.Mod(x[i]*0.137, 1)
		}
		p[len(x)], p[len(x)+1], p[len(x)+2] = p[0], 0, 1 // a tie, 0 and 1
		adj := map[AdjustMethod][]float64{}
		for _, m := range methods {
			q, err := Adjust(m, p)
			if err != nil {
				t.Fatal(err)
			}
			adj[m] = q
			for i := range p {
				if !(q[i] >= p[i] && q[i] <= 1) {
					t.Errorf("seed %d %s: q[%d] = %v for p = %v", seed, m, i, q[i], p[i])
				}
				for j := range p {
					if p[i] < p[j] && q[i] > q[j] {
						t.Errorf("seed %d %s: not monotone: p %v→%v, q %v→%v", seed, m, p[i], p[j], q[i], q[j])
					}
				}
			}
		}
		for i := range p {
			b, h, hb := adj[AdjustBonferroni][i], adj[AdjustHolm][i], adj[AdjustHochberg][i]
			if !(b >= h && h >= hb) || adj[AdjustBY][i] < adj[AdjustBH][i] {
				t.Errorf("seed %d [%d]: bonferroni %v holm %v hochberg %v bh %v by %v", seed, i, b, h, hb, adj[AdjustBH][i], adj[AdjustBY][i])
			}
		}
	}
}

func FuzzAdjust(f *testing.F) {
	f.Add([]byte{10, 200, 0, 255, 30, 30}, uint8(0))
	f.Add([]byte{}, uint8(3))
	f.Add([]byte{1}, uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, meth uint8) {
		p := make([]float64, len(data))
		for i, b := range data {
			switch b {
			case 254:
				p[i] = math.NaN()
			case 253:
				p[i] = 1e-300
			default:
				p[i] = min(1, float64(b)/252)
			}
		}
		m := []AdjustMethod{AdjustBonferroni, AdjustHolm, AdjustHochberg, AdjustBH, AdjustBY}[int(meth)%5]
		q, err := Adjust(m, p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range q {
			if math.IsNaN(p[i]) != math.IsNaN(q[i]) || (!math.IsNaN(q[i]) && !(q[i] >= p[i] && q[i] <= 1)) {
				t.Fatalf("p %v → %v", p[i], q[i])
			}
		}
	})
}
