package judges

import (
	"encoding/binary"
	"math"
	"testing"
)

// fuzzSamples decodes data into canary and baseline samples. Byte 0 picks
// the split; then each 2-byte word is a value: small integers (many ties)
// scaled by scale, or a special value (±Inf, NaN, −0, ±MaxFloat64).
func fuzzSamples(data []byte, scale float64) (x, y []float64) {
	if len(data) == 0 {
		return nil, nil
	}
	split, data := int(data[0]), data[1:]
	var vals []float64
	for len(data) >= 2 {
		w := binary.LittleEndian.Uint16(data)
		data = data[2:]
		var v float64
		switch w {
		case 0xFFFF:
			v = math.Inf(1)
		case 0xFFFE:
			v = math.Inf(-1)
		case 0xFFFD:
			v = math.NaN()
		case 0xFFFC:
			v = math.Copysign(0, -1)
		case 0xFFFB:
			v = math.MaxFloat64
		case 0xFFFA:
			v = -math.MaxFloat64
		default:
			v = float64(int16(w)) * scale
		}
		vals = append(vals, v)
	}
	split = min(split, len(vals))
	return vals[:split], vals[split:]
}

func FuzzClassifyMannWhitney(f *testing.F) {
	f.Add([]byte{4, 10, 0, 20, 0, 30, 0, 40, 0, 1, 0, 2, 0, 3, 0, 4, 0}, 1.0, uint8(0), 0.98)
	f.Add([]byte{2, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0x00, 0x00}, 1.0, uint8(1), 0.9)
	f.Add([]byte{3, 1, 0, 1, 0, 1, 0, 2, 0, 2, 0, 2, 0}, 1e-300, uint8(2), 0.5)
	f.Add([]byte{1, 0xFD, 0xFF, 0xFC, 0xFF, 0, 0}, math.Inf(1), uint8(0), 0.0)
	f.Add([]byte{0, 5, 0}, math.NaN(), uint8(3), 1.0)
	f.Fuzz(func(t *testing.T, data []byte, scale float64, dir uint8, confidence float64) {
		x, y := fuzzSamples(data, scale)
		cfg := MannWhitneyConfig{
			Direction:  []Direction{Increase, Decrease, Either, ""}[dir%4],
			Confidence: confidence,
		}
		if dir&4 != 0 {
			cfg.AllowedIncrease, cfg.CriticalIncrease = 1.1, 1.5
			cfg.AllowedDecrease, cfg.CriticalDecrease = 0.9, 0.5
		}
		res := ClassifyMannWhitney(x, y, cfg)
		switch res.Classification {
		case Pass, High, Low:
			mw := res.MannWhitney
			if mw == nil {
				t.Fatalf("%s without statistics", res.Classification)
			}
			if name := mw.nanStatistic(); name != "" {
				t.Fatalf("%s with NaN %s: %+v", res.Classification, name, *mw)
			}
			if mw.levelNotAchieved() {
				t.Fatalf("%s on an interval of level %v < %v", res.Classification, mw.AchievedConfidence, mw.Confidence)
			}
			if mw.PValue < 0 || mw.PValue > 1 || mw.CILow > mw.CIHigh ||
				!(mw.CILow <= mw.Estimate && mw.Estimate <= mw.CIHigh) {
				t.Fatalf("inconsistent statistics %+v", *mw)
			}
			// Exactness against the brute force on small inputs.
			if mw.NCanary*mw.NBaseline <= 4096 {
				u, est, lo, hi := bruteForce(x, y, mw.Confidence)
				if mw.U != u || mw.Estimate != est || mw.CILow != lo || mw.CIHigh != hi {
					t.Fatalf("got U %v %v [%v, %v], brute force U %v %v [%v, %v]",
						mw.U, mw.Estimate, mw.CILow, mw.CIHigh, u, est, lo, hi)
				}
			}
		case Inconclusive:
			if mw := res.MannWhitney; mw == nil || !mw.levelNotAchieved() {
				t.Fatalf("inconclusive without an unreachable level: %s", res.Reason)
			}
		case NoData, Error:
		default:
			t.Fatalf("unknown classification %q", res.Classification)
		}
		if res.Reason == "" {
			t.Fatal("empty reason")
		}
		if res.Critical && res.Classification != High && res.Classification != Low {
			t.Fatalf("critical %s", res.Classification)
		}
	})
}

func FuzzMannWhitneyTest(f *testing.F) {
	f.Add([]byte{4, 10, 0, 20, 0, 30, 0, 40, 0, 1, 0, 2, 0, 3, 0, 4, 0}, 1.0, uint8(0), 0.98)
	f.Add([]byte{2, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0x00, 0x00}, 1.0, uint8(4), 0.9)
	f.Add([]byte{3, 1, 0, 7, 0, 3, 0, 2, 0, 9, 0, 5, 0}, 1e-300, uint8(8), 0.5)
	f.Add([]byte{1, 0xFD, 0xFF, 0xFC, 0xFF, 0, 0}, math.Inf(1), uint8(7), 0.1)
	f.Fuzz(func(t *testing.T, data []byte, scale float64, sel uint8, confidence float64) {
		x, y := fuzzSamples(data, scale)
		opts := MannWhitneyOptions{
			Alternative: []Alternative{TwoSided, Greater, Less}[sel%3],
			Method:      []Method{MethodAuto, MethodExact, MethodAsymptotic}[(sel/3)%3],
			Confidence:  confidence,
		}
		r, err := MannWhitneyTest(x, y, opts)
		if err != nil {
			return // invalid confidence, no data, exact with ties: all reported
		}
		if math.IsNaN(r.PValue) || r.PValue < 0 || r.PValue > 1 || math.IsNaN(r.U) || math.IsNaN(r.CLES) {
			t.Fatalf("%+v: U %v p %v CLES %v", opts, r.U, r.PValue, r.CLES)
		}
		if r.Method != MethodExact && r.Method != MethodAsymptotic {
			t.Fatalf("method %q", r.Method)
		}
		if !(r.CILow <= r.CIHigh) {
			t.Fatalf("CI [%v, %v]", r.CILow, r.CIHigh)
		}
		if r.NCanary*r.NBaseline <= 4096 {
			u, est, lo, hi := bruteForceOpts(x, y, opts)
			if r.U != u || !same(r.Estimate, est) || r.CILow != lo || r.CIHigh != hi {
				t.Fatalf("%+v: got U %v %v [%v, %v], brute force U %v %v [%v, %v]",
					opts, r.U, r.Estimate, r.CILow, r.CIHigh, u, est, lo, hi)
			}
		}
	})
}

func FuzzMannWhitneyBinned(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(0))
	f.Add([]byte{1, 0, 0, 0, 9}, uint8(1))
	f.Add([]byte{0, 200, 3}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		if len(data) == 0 {
			return
		}
		nb, data := int(data[0])%16, data[1:]
		bounds := make([]float64, nb)
		for i := range bounds {
			bounds[i] = float64(i) * 0.5
		}
		x := Histogram{Bounds: bounds, Counts: make([]float64, nb+1)}
		y := Histogram{Bounds: bounds, Counts: make([]float64, nb+1)}
		for i, b := range data {
			c := float64(b) / 4 // fractional counts
			if i%2 == 0 {
				x.Counts[(i/2)%(nb+1)] += c
			} else {
				y.Counts[(i/2)%(nb+1)] += c
			}
		}
		r, err := MannWhitneyBinned(x, y, MannWhitneyOptions{Alternative: []Alternative{TwoSided, Greater, Less}[sel%3]})
		if err != nil {
			return
		}
		if math.IsNaN(r.PValue) || r.PValue < 0 || r.PValue > 1 || math.IsNaN(r.U) {
			t.Fatalf("U %v p %v for %v vs %v", r.U, r.PValue, x.Counts, y.Counts)
		}
	})
}
