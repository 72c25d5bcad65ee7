package judges

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"
)

// lognormalLatencies draws n latency-like values around median.
func lognormalLatencies(rng *rand.Rand, n int, median float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = median * math.Exp(0.4*rng.NormFloat64())
	}
	return s
}

// benchSamples is the benchmark data for n = m: canary around 120,
// baseline around 110.
func benchSamples(n int) (x, y []float64) {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	return lognormalLatencies(rng, n, 120), lognormalLatencies(rng, n, 110)
}

func benchMW(b *testing.B, sizes []int, opts MannWhitneyOptions) {
	for _, n := range sizes {
		x, y := benchSamples(n)
		b.Run(fmt.Sprintf("n=m=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := MannWhitneyTest(x, y, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMannWhitney times U and the asymptotic p only (copy, sort,
// merge): what scipy.stats.mannwhitneyu computes.
func BenchmarkMannWhitney(b *testing.B) {
	benchMW(b, []int{1e3, 1e4, 1e5, 1e6}, MannWhitneyOptions{SkipShift: true})
}

// BenchmarkMannWhitneyHL times the whole MannWhitney call (copy, sort, U, p,
// Hodges–Lehmann estimate and 98% CI).
func BenchmarkMannWhitneyHL(b *testing.B) {
	benchMW(b, []int{1e3, 1e4, 1e5, 1e6}, MannWhitneyOptions{})
}

// BenchmarkMannWhitneyLarge is n = m = 1e7, kept apart so that
// `go test -bench .` stays quick; select it by name.
func BenchmarkMannWhitneyLarge(b *testing.B) {
	if testing.Short() {
		b.Skip("n = m = 1e7")
	}
	x, y := benchSamples(1e7)
	for _, tc := range []struct {
		name string
		opts MannWhitneyOptions
	}{{"U+p", MannWhitneyOptions{SkipShift: true}}, {"U+p+HL+CI", MannWhitneyOptions{}}} {
		b.Run(tc.name+"/n=m=10000000", func(b *testing.B) {
			for b.Loop() {
				if _, err := MannWhitneyTest(x, y, tc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMannWhitneyVsSort times, in one run and interleaved, one
// slices.Sort of the pooled 2n values and the full MannWhitney call
// (U, p, Hodges–Lehmann estimate, 98% CI) at n = m = 1e6. It reports
// hl/sort (the target is ≤ 2), u/sort for U and p alone, and the bytes
// allocated per sample by the full call (an upper bound on its peak heap
// use; the target is < 100).
func BenchmarkMannWhitneyVsSort(b *testing.B) {
	const n = 1_000_000
	x, y := benchSamples(n)
	pooled := append(slices.Clone(x), y...)
	work := make([]float64, len(pooled))
	var tSort, tHL, tU time.Duration
	var alloc uint64
	var ms runtime.MemStats
	for b.Loop() {
		copy(work, pooled)
		t0 := time.Now()
		slices.Sort(work)
		t1 := time.Now()
		runtime.ReadMemStats(&ms)
		a0 := ms.TotalAlloc
		t2 := time.Now()
		if _, err := MannWhitney(x, y, 0.98); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		runtime.ReadMemStats(&ms)
		alloc += ms.TotalAlloc - a0
		t4 := time.Now()
		if _, err := MannWhitneyTest(x, y, MannWhitneyOptions{SkipShift: true}); err != nil {
			b.Fatal(err)
		}
		tU += time.Since(t4)
		tSort += t1.Sub(t0)
		tHL += t3.Sub(t2)
	}
	b.ReportMetric(float64(tSort.Nanoseconds())/float64(b.N), "sort-ns/op")
	b.ReportMetric(float64(tHL.Nanoseconds())/float64(b.N), "hl-ns/op")
	b.ReportMetric(float64(tU.Nanoseconds())/float64(b.N), "u-ns/op")
	b.ReportMetric(float64(tHL)/float64(tSort), "hl/sort")
	b.ReportMetric(float64(tU)/float64(tSort), "u/sort")
	b.ReportMetric(float64(alloc)/float64(b.N)/(2*n), "B/sample")
}

// BenchmarkMannWhitneyFile runs U and p on the samples that
// scripts/bench_scipy.py writes (little-endian float64 files named by
// AUGUR_MWU_BENCH_X and AUGUR_MWU_BENCH_Y), so both sides time the same
// data; it logs U and p for the script to check. Skipped without the files.
func BenchmarkMannWhitneyFile(b *testing.B) {
	read := func(env string) []float64 {
		path := os.Getenv(env)
		if path == "" {
			b.Skip("AUGUR_MWU_BENCH_X/Y not set (see scripts/bench_scipy.py)")
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		s := make([]float64, len(raw)/8)
		for i := range s {
			s[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		return s
	}
	x, y := read("AUGUR_MWU_BENCH_X"), read("AUGUR_MWU_BENCH_Y")
	opts := MannWhitneyOptions{Method: MethodAsymptotic, SkipShift: true}
	var r MannWhitneyResult
	for b.Loop() {
		var err error
		if r, err = MannWhitneyTest(x, y, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("n=%d m=%d U=%.17g p=%.17g", r.NCanary, r.NBaseline, r.U, r.PValue)
}
