package judges

import (
	"math"
	"strings"
	"testing"
)

// fuzzScored decodes metrics, 3 bytes each: classification and no-data
// policy; group and flags; weight. An odd trailing byte is ignored.
func fuzzScored(data []byte) []Scored {
	classes := []Classification{Pass, High, Low, NoData, Error}
	policies := []NoDataPolicy{"", NoDataInconclusive, NoDataFail, NoDataIgnore}
	groups := []string{"", "latency", "errors", "saturation"}
	var ms []Scored
	for i := 0; i+3 <= len(data); i += 3 {
		a, b, w := data[i], data[i+1], data[i+2]
		m := Scored{
			Name:           string(rune('a' + len(ms)%26)),
			Classification: classes[int(a)%len(classes)],
			NoDataPolicy:   policies[int(a/8)%len(policies)],
			Group:          groups[int(b)%len(groups)],
			Critical:       b&0x10 != 0,
			CriticalBreach: b&0x20 != 0 && b&0x80 != 0,
			Weight:         float64(w%16) + 0.5,
		}
		if b&0x40 != 0 && m.Classification == NoData {
			m.MustHaveDataBreach = true
		}
		switch w {
		case 0xFF:
			m.Weight = math.NaN()
		case 0xFE:
			m.Weight = 0
		}
		ms = append(ms, m)
	}
	return ms
}

func FuzzScoreRun(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 1, 1}, []byte{}, []byte{2, 10, 0, 20, 0, 0xFD, 0xFF}, uint8(0), 75.0, 50.0)
	f.Add([]byte{0, 1, 1, 3, 2, 1, 3 + 16, 2, 1}, []byte{1, 2, 3}, []byte{1, 0xFD, 0xFF, 1, 0}, uint8(1), 90.0, 75.0)
	f.Add([]byte{3 + 24, 0, 1, 3 + 24, 1, 1}, []byte{}, []byte{}, uint8(2), 0.0, 0.0)
	f.Add([]byte{4, 0x50, 3, 0, 0x41, 3}, []byte{0, 5, 5, 5}, []byte{3, 0xFF, 0xFF, 0xFE, 0xFF, 0, 0, 0, 0}, uint8(3), 100.0, 100.0)
	f.Fuzz(func(t *testing.T, metricBytes, weightBytes, samples []byte, dir uint8, pass, marginal float64) {
		ms := fuzzScored(metricBytes)
		// One metric judged from real samples: NaN and ±Inf in the data may
		// make it Error or NoData; the score must take that into account.
		x, y := fuzzSamples(samples, 1)
		cfg := MannWhitneyConfig{Direction: []Direction{Increase, Decrease, Either}[dir%3], MustHaveData: dir&4 != 0}
		if dir&8 != 0 {
			cfg.NaNStrategy = NaNReplace
		}
		if dir&16 != 0 {
			cfg.Outliers = OutliersRemove
		}
		r := ClassifyMannWhitney(x, y, cfg)
		ms = append(ms, Scored{Name: "judged", Classification: r.Classification, Weight: 1, Group: "latency",
			CriticalBreach: r.Critical, MustHaveDataBreach: r.MustHaveDataBreach, Critical: dir&32 != 0})

		var weights map[string]float64
		if len(weightBytes) > 0 {
			weights = map[string]float64{}
			for i, g := range []string{"", "latency", "errors", "saturation"} {
				if i+1 < len(weightBytes) && weightBytes[i+1] != 0 {
					weights[g] = float64(weightBytes[i+1])
				}
			}
			if weightBytes[0] == 0xFF {
				weights["latency"] = math.Inf(1)
			}
		}
		th := Thresholds{Pass: pass, Marginal: marginal}
		s := ScoreGroups(ms, th, weights)

		if s.Reason == "" || strings.Contains(s.Reason, "\n") {
			t.Fatalf("reason %q", s.Reason)
		}
		if !(s.Score >= 0 && s.Score <= 100) {
			t.Fatalf("score %v", s.Score)
		}
		if s.Outcome == OutcomeError || len(s.Groups) == 0 {
			return // rejected input
		}
		for _, m := range ms {
			noVerdict := m.Classification == Error ||
				m.Classification == NoData && policyOf(m) == NoDataInconclusive && !m.MustHaveDataBreach
			if noVerdict && (s.Outcome == OutcomePass || s.Outcome == OutcomeMarginal) {
				t.Fatalf("%s with %s %s (policy %q): %s", s.Outcome, m.Name, m.Classification, m.NoDataPolicy, s.Reason)
			}
			if (m.MustHaveDataBreach || m.CriticalBreach) && s.Outcome != OutcomeFail {
				t.Fatalf("%s with a breach on %s: %s", s.Outcome, m.Name, s.Reason)
			}
			if m.Critical && m.Classification != Pass && s.Outcome == OutcomePass {
				t.Fatalf("pass with critical %s %s", m.Name, m.Classification)
			}
		}
		if r.Classification == Error && r.MannWhitney != nil && s.Outcome == OutcomePass {
			t.Fatalf("pass with a NaN statistic: %s", r.Reason)
		}
		if ScoreGroups(ms, th, weights).Reason != s.Reason {
			t.Fatal("not deterministic")
		}
	})
}
