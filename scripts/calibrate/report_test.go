package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func results(c class, verdicts ...string) classResult {
	res := classResult{c: c}
	for i, v := range verdicts {
		r := repResult{rep: i, out: outcome{verdict: v, interval: i + 1, classes: map[string]string{"errors": "pass", "latency_buckets": "pass"}}}
		if v == "fail" {
			r.out.classes["latency_buckets"] = "high"
		}
		if v == "" {
			r.err = errors.New("no verdict in time")
		}
		res.reps = append(res.reps, r)
	}
	return res
}

func TestSummaryTargets(t *testing.T) {
	all := map[string]class{}
	for _, c := range classes() {
		all[c.name] = c
	}
	many := func(v string, n int) []string { return strings.Split(strings.Repeat(v+",", n)[:len(v)*n+n-1], ",") }
	for _, tc := range []struct {
		name     string
		class    string
		verdicts []string
		met      bool
	}{
		{"A/A at 1 %", "independent", append(many("pass", 99), "fail"), true},
		{"A/A at 2 %", "independent", append(many("pass", 98), "fail", "fail"), false},
		{"A/A with a missing verdict", "independent", append(many("pass", 99), ""), false},
		{"detected 19 of 20", "latency-10", append(many("fail", 19), "pass"), true},
		{"detected 18 of 20", "latency-10", append(many("fail", 18), "pass", "inconclusive"), false},
		{"stopped never passes", "stopped", many("inconclusive", 10), true},
		{"stopped passed once", "stopped", append(many("inconclusive", 9), "pass"), false},
		// Runs fail at intervals 1, 2, …: medians 15.5 and 25.5 min.
		{"monitoring fails at a median of 15.5 min", "monitor-latency-10", many("fail", 30), true},
		{"monitoring fails at a median of 25.5 min", "monitor-latency-10", many("fail", 50), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := summarise(results(all[tc.class], tc.verdicts...))
			if sum := s.fails + s.inconclusive + s.passes + s.marginal + s.errors + s.missing; sum != s.n || s.n != len(tc.verdicts) {
				t.Errorf("outcomes add up to %d, %d replicates, want %d", sum, s.n, len(tc.verdicts))
			}
			if s.metricFails["latency_buckets"] != s.fails {
				t.Errorf("latency_buckets failed in %d runs, want %d", s.metricFails["latency_buckets"], s.fails)
			}
			what, met := s.target()
			if met != tc.met {
				t.Errorf("target %q met %v, want %v", what, met, tc.met)
			}
		})
	}
}

func TestPrintTable(t *testing.T) {
	s := summarise(results(classes()[0], "pass", "fail"))
	var md, text bytes.Buffer
	for _, tb := range []table{{&md, true}, {&text, false}} {
		tb.header()
		tb.row(s.row())
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 3 || strings.Count(lines[0], "|") != len(header)+1 || strings.Count(lines[2], "|") != len(header)+1 {
		t.Errorf("Markdown table:\n%s", md.String())
	}
	if !strings.Contains(lines[2], "50.0 % (") || !strings.Contains(text.String(), "independent") {
		t.Errorf("rows: %s\n%s", md.String(), text.String())
	}
}

// TestTimeToFailFromOnset: a spike's time to fail counts from its first
// minute (50), every other regression's from the data's start.
func TestTimeToFailFromOnset(t *testing.T) {
	all := map[string]class{}
	for _, c := range classes() {
		all[c.name] = c
	}
	for _, tc := range []struct {
		class     string
		intervals []int
		median    float64
	}{
		{"monitor-pod-spike", []int{51, 52, 53, 58}, 2.5},
		{"pod-spike", []int{11, 11, 12}, 5},
		{"monitor-latency-10", []int{3, 4, 9}, 4},
		{"latency-10", []int{1, 2}, 7.5},
	} {
		t.Run(tc.class, func(t *testing.T) {
			res := classResult{c: all[tc.class]}
			for i, iv := range tc.intervals {
				res.reps = append(res.reps, repResult{rep: i, out: outcome{verdict: "fail", interval: iv}})
			}
			if m, ok := summarise(res).medianTimeToFail(); !ok || m != tc.median {
				t.Errorf("median time to fail %v (%v), want %v", m, ok, tc.median)
			}
		})
	}
}
