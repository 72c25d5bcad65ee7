package main

import (
	"math"
	"reflect"
	"testing"

	"github.com/augurhq/augur/collector"
)

// hourQuantile is q of a cohort's requests over the hour (pooled pods),
// and its error rate.
func hourQuantile(r replicate, bounds []float64, canary bool, q float64) (float64, float64) {
	counts := make([]int32, len(bounds)+1)
	reqs, errs := 0, 0
	for _, p := range r.pods {
		if p.canary != canary {
			continue
		}
		for t := 0; t < p.minutes; t++ {
			for i, c := range p.buckets[t] {
				counts[i] += c
			}
			reqs += p.requests[t]
			errs += p.errors[t]
		}
	}
	return bucketQuantile(q, bounds, counts), float64(errs) / float64(reqs)
}

// TestGeneratedClasses checks that each class's data have the effect it
// names, on the canary's pooled hour against the baseline's.
func TestGeneratedClasses(t *testing.T) {
	bounds := collector.DefaultDurationBuckets()
	for _, tc := range []struct {
		class                string
		p50, p90, p99, error [2]float64 // canary/baseline ratio ranges
	}{
		{"independent", [2]float64{0.97, 1.03}, [2]float64{0.96, 1.04}, [2]float64{0.92, 1.08}, [2]float64{0.75, 1.33}},
		{"latency-10", [2]float64{1.07, 1.13}, [2]float64{1.06, 1.14}, [2]float64{1.02, 1.18}, [2]float64{0.75, 1.33}},
		{"tail-p99-15", [2]float64{0.97, 1.03}, [2]float64{0.96, 1.04}, [2]float64{1.08, 1.22}, [2]float64{0.75, 1.33}},
		{"errors-2x", [2]float64{0.97, 1.03}, [2]float64{0.96, 1.04}, [2]float64{0.92, 1.08}, [2]float64{1.6, 2.5}},
	} {
		t.Run(tc.class, func(t *testing.T) {
			g := generator{c: mustClass(t, tc.class), bounds: bounds, seed: 3}
			r := g.generate(0)
			for _, m := range []struct {
				name string
				q    float64
				want [2]float64
			}{{"p50", 0.5, tc.p50}, {"p90", 0.9, tc.p90}, {"p99", 0.99, tc.p99}} {
				c, _ := hourQuantile(r, bounds, true, m.q)
				b, _ := hourQuantile(r, bounds, false, m.q)
				if ratio := c / b; ratio < m.want[0] || ratio > m.want[1] {
					t.Errorf("%s canary/baseline %.3f, want %v", m.name, ratio, m.want)
				}
			}
			_, ce := hourQuantile(r, bounds, true, 0.5)
			_, be := hourQuantile(r, bounds, false, 0.5)
			if ratio := ce / be; ratio < tc.error[0] || ratio > tc.error[1] {
				t.Errorf("error rate canary/baseline %.3f, want %v", ratio, tc.error)
			}
			if got := g.generate(0); !reflect.DeepEqual(got, r) {
				t.Error("a replicate is not reproducible from the seed")
			}
		})
	}
}

func TestGeneratedShape(t *testing.T) {
	bounds := collector.DefaultDurationBuckets()
	t.Run("pods and traffic", func(t *testing.T) {
		g := generator{c: mustClass(t, "pods-1v3"), bounds: bounds, seed: 3}
		r := g.generate(5)
		canary, baseline := 0, 0
		for _, p := range r.pods {
			total := 0
			for _, n := range p.requests {
				total += n
			}
			// 3,600 requests an hour per pod, Poisson: ±5 sd is ±300.
			if total < 3300 || total > 3900 || p.minutes != 60 {
				t.Errorf("pod %s: %d requests in %d minutes, want ≈ 3,600 in 60", p.name, total, p.minutes)
			}
			if p.canary {
				canary++
			} else {
				baseline++
			}
		}
		if canary != 1 || baseline != 3 {
			t.Errorf("%d canary and %d baseline pods, want 1 and 3", canary, baseline)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		r := generator{c: mustClass(t, "stopped"), bounds: bounds, seed: 3}.generate(0)
		for _, p := range r.pods {
			if want := map[bool]int{true: 3, false: 60}[p.canary]; p.minutes != want || len(p.requests) != want {
				t.Errorf("pod %s reports %d minutes, want %d", p.name, p.minutes, want)
			}
		}
	})
	t.Run("pod spike", func(t *testing.T) {
		r := generator{c: mustClass(t, "pod-spike"), bounds: bounds, seed: 3}.generate(0)
		for _, p := range r.pods {
			for minute := 45; minute < 60; minute++ {
				med := bucketQuantile(0.5, bounds, p.buckets[minute])
				spiked := p.name == "canary-0" && minute >= 50 && minute < 57
				if spiked != (med > 3) {
					t.Errorf("pod %s minute %d: median %.3f s (spiked: %v)", p.name, minute, med, spiked)
				}
			}
		}
	})
	t.Run("diurnal", func(t *testing.T) {
		r := generator{c: mustClass(t, "diurnal"), bounds: bounds, seed: 3}.generate(0)
		var first, third int // the first and third quarter of the hour
		for _, p := range r.pods {
			for minute := 0; minute < 15; minute++ {
				first += p.requests[minute]
				third += p.requests[minute+30]
			}
		}
		// ×(1 + 0.5·sin): the first quarter averages ≈ 1.32, the third ≈ 0.68.
		if ratio := float64(first) / float64(third); math.Abs(ratio-1.32/0.68) > 0.1 {
			t.Errorf("first/third quarter traffic %.2f, want ≈ %.2f", ratio, 1.32/0.68)
		}
	})
}

func TestBucketIndex(t *testing.T) {
	g := generator{bounds: []float64{0.001, 0.002, 0.004}}
	for _, tc := range []struct {
		x    float64
		want int
	}{{0, 0}, {0.001, 0}, {0.0011, 1}, {0.004, 2}, {0.0041, 3}, {100, 3}} {
		if got := g.bucket(tc.x); got != tc.want {
			t.Errorf("bucket(%v) = %d, want %d (le is inclusive)", tc.x, got, tc.want)
		}
	}
}

func TestSelectClasses(t *testing.T) {
	all, err := selectClasses("")
	if err != nil || len(all) != len(classes()) {
		t.Fatalf("all: %d classes, %v", len(all), err)
	}
	got, err := selectClasses("monitor, latency-10")
	if err != nil || len(got) != 2 || got[0].name != "monitor" || got[0].looks() != 60 || got[1].looks() != 12 {
		t.Errorf("monitor, latency-10: %+v, %v", got, err)
	}
	if _, err := selectClasses("independent,nope"); err == nil {
		t.Error("an unknown class is accepted")
	}
}
