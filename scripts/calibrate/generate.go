package main

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"
)

// z98 is the standard normal's 98th percentile: the tail regression moves
// the requests above it.
const z98 = 2.053748910631823

// pod is one pod's hour, minute by minute: what its span metrics counted
// in minute t (the requests ending in (start+t, start+t+1]).
type pod struct {
	name   string // pod and service_instance_id
	canary bool
	// minutes with data (60, or fewer when the pod stopped reporting).
	minutes  int
	requests []int
	errors   []int
	sum      []float64 // seconds
	// buckets[t][i] counts minute t's requests in bucket i (not
	// cumulative); the last is +Inf.
	buckets [][]int32
}

// replicate is one experiment's data: both cohorts' pods.
type replicate struct {
	rep  int
	pods []*pod
}

// generator draws replicates of one class.
type generator struct {
	c      class
	bounds []float64 // classic bucket upper bounds, seconds
	seed   uint64
}

// classSeed mixes the run's seed with the class name so that classes are
// independent and a replicate is reproducible on its own.
func classSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return seed ^ h.Sum64()
}

// generate draws replicate rep.
func (g generator) generate(rep int) replicate {
	c := g.c
	rng := rand.New(rand.NewPCG(classSeed(g.seed, c.name), uint64(rep)))
	r := replicate{rep: rep}
	for i := 0; i < c.baselinePods; i++ {
		r.pods = append(r.pods, g.pod(rng, false, i))
	}
	for i := 0; i < c.canaryPods; i++ {
		r.pods = append(r.pods, g.pod(rng, true, i))
	}
	return r
}

// pod draws one pod's hour.
func (g generator) pod(rng *rand.Rand, canary bool, i int) *pod {
	c := g.c
	p := &pod{name: "baseline-" + strconv.Itoa(i), canary: canary, minutes: hourMinutes}
	if canary {
		p.name = "canary-" + strconv.Itoa(i)
		if c.canaryStopsAfter > 0 {
			p.minutes = c.canaryStopsAfter
		}
	}
	offset := math.Exp(c.podOffset * rng.NormFloat64())
	errRate := c.errorRate * math.Exp(c.errorSpread*rng.NormFloat64())
	latency, tail := 1.0, 1.0
	if canary {
		if c.canaryErrors > 0 {
			errRate *= c.canaryErrors
		}
		if c.canaryLatency > 0 {
			latency = c.canaryLatency
		}
		if c.canaryTail > 0 {
			tail = c.canaryTail
		}
	}
	spiked := canary && i == 0 && c.spikeFactor > 0
	drift := c.driftSD * rng.NormFloat64() // stationary start
	innov := c.driftSD * math.Sqrt(1-c.driftRho*c.driftRho)
	logTail := math.Log(tail)
	nb := len(g.bounds) + 1
	poisson := distuv.Poisson{Src: rng}
	p.requests = make([]int, p.minutes)
	p.errors = make([]int, p.minutes)
	p.sum = make([]float64, p.minutes)
	p.buckets = make([][]int32, p.minutes)
	for t := 0; t < p.minutes; t++ {
		if t > 0 {
			drift = c.driftRho*drift + innov*rng.NormFloat64()
		}
		rate := c.perPodPerMinute()
		if c.diurnal {
			rate *= 1 + 0.5*math.Sin(2*math.Pi*(float64(t)+0.5)/hourMinutes)
		}
		poisson.Lambda = rate
		n := int(poisson.Rand())
		mult := offset * latency * math.Exp(drift)
		if spiked && t >= c.spikeFrom && t < c.spikeTo {
			mult *= c.spikeFactor
		}
		logCentre := math.Log(latencyMedian * mult)
		counts := make([]int32, nb)
		sum, errs := 0.0, 0
		for k := 0; k < n; k++ {
			z := rng.NormFloat64()
			lx := logCentre + latencyLogSD*z
			if z > z98 {
				lx += logTail
			}
			x := math.Exp(lx)
			counts[g.bucket(x)]++
			sum += x
			if rng.Float64() < errRate {
				errs++
			}
		}
		p.requests[t], p.errors[t], p.sum[t], p.buckets[t] = n, errs, sum, counts
	}
	return p
}

// bucket is the index of the first bound ≥ x (len(bounds) for +Inf).
func (g generator) bucket(x float64) int {
	b := g.bounds
	lo, hi := 0, len(b)
	for lo < hi {
		m := (lo + hi) / 2
		if x <= b[m] {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}
