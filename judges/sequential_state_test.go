package judges

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// A test stored after every look and restored must end exactly where one
// uninterrupted test ends.
func TestSequentialStateRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	batch := func(mean float64) []float64 {
		xs := make([]float64, 50)
		for i := range xs {
			xs[i] = mean + r.NormFloat64()
		}
		return xs
	}
	cfg := SequentialConfig{}
	whole, err := NewSequential(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var st SequentialState
	for look := 0; look < 8; look++ {
		c, b := batch(0.3), batch(0)
		if err := whole.Observe(c, b); err != nil {
			t.Fatal(err)
		}
		var resumed *Sequential
		if look == 0 {
			resumed, _ = NewSequential(cfg)
		} else {
			raw, _ := json.Marshal(st)
			var back SequentialState
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if resumed, err = RestoreSequential(cfg, back); err != nil {
				t.Fatal(err)
			}
		}
		if err := resumed.Observe(c, b); err != nil {
			t.Fatal(err)
		}
		st = resumed.State()
		if got, want := resumed.PValue(), whole.PValue(); got != want {
			t.Fatalf("look %d: restored p %v, uninterrupted p %v", look, got, want)
		}
		glo, ghi := resumed.CI(0.05)
		wlo, whi := whole.CI(0.05)
		if glo != wlo || ghi != whi {
			t.Fatalf("look %d: CI [%v,%v] vs [%v,%v]", look, glo, ghi, wlo, whi)
		}
	}
	if whole.PValue() >= 1 {
		t.Fatalf("a 0.3σ shift over 400 samples per cohort should move p below 1, got %v", whole.PValue())
	}
	if _, err := RestoreSequential(cfg, SequentialState{P: 0}); err == nil {
		t.Error("a state with p = 0 must be refused")
	}
}
