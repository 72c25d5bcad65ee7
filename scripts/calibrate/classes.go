package main

import (
	"fmt"
	"strings"
)

// class is one kind of cohort pair the suite generates: healthy (A/A,
// where a fail is a false fail) or regressed (where a fail is a
// detection). The zero value of every knob is "no effect".
type class struct {
	name string
	// healthy: the canary is no worse than its baseline.
	healthy bool
	// baselinePods and canaryPods per replicate.
	baselinePods, canaryPods int
	// requestsPerHour per cohort of 10 pods; a cohort with fewer pods gets
	// the same traffic per pod (0: 36,000).
	requestsPerHour float64
	// errorRate of every request (0: 1 %); errorSpread is the log-sd of
	// each pod's error rate around it.
	errorRate, errorSpread float64
	// podOffset is the log-sd of each pod's latency multiplier.
	podOffset float64
	// drift: each pod's latency drifts as an AR(1) per minute with
	// coefficient driftRho and stationary log-sd driftSD.
	driftRho, driftSD float64
	// diurnal makes the traffic rate vary ×0.5–1.5 over the hour.
	diurnal bool
	// canaryLatency multiplies every canary request's latency (0: 1).
	canaryLatency float64
	// canaryErrors multiplies the canary's error rate (0: 1).
	canaryErrors float64
	// canaryTail multiplies the canary requests above the 98th percentile
	// of their pod's distribution (p99 moves, p50 and p90 do not).
	canaryTail float64
	// spike: one canary pod's latency is spikeFactor× during minutes
	// [spikeFrom, spikeTo) of the hour.
	spikeFactor        float64
	spikeFrom, spikeTo int
	// canaryStopsAfter: the canary reports only its first minutes (0: all).
	canaryStopsAfter int
	// interval between looks (0: 5 minutes; 1: monitoring, 60 looks).
	intervalMinutes int
	// spec is the built-in spec under specs/ the class is judged with
	// ("": canary.yaml); -spec overrides it for every class.
	spec string
}

// Defaults of the generator.
const (
	defaultRequestsPerHour = 36000
	defaultErrorRate       = 0.01
	defaultInterval        = 5
	defaultSpec            = "canary.yaml"
	// sequentialSpec judges the monitoring classes: always-valid judges
	// may look every minute.
	sequentialSpec = "sequential.yaml"
	latencyMedian  = 0.100 // seconds
	latencyLogSD   = 0.5
	hourMinutes    = 60
)

// classes lists every class in the order the table prints them. Names are
// stable: CLASSES selects them.
func classes() []class {
	aa := func(name string, c class) class {
		c.name, c.healthy = name, true
		return c.withDefaults()
	}
	reg := func(name string, c class) class {
		c.name = name
		return c.withDefaults()
	}
	return []class{
		aa("independent", class{}),
		aa("pod-offset-2", class{podOffset: 0.02}),
		aa("pod-offset-5", class{podOffset: 0.05}),
		aa("ar1", class{driftRho: 0.8, driftSD: 0.05}),
		aa("diurnal", class{diurnal: true}),
		aa("pods-1v3", class{baselinePods: 3, canaryPods: 1, podOffset: 0.02}),
		aa("pods-1v1", class{baselinePods: 1, canaryPods: 1}),
		aa("pods-3v3", class{baselinePods: 3, canaryPods: 3}),
		aa("error-spread", class{errorSpread: 0.3}),
		aa("sparse-errors-10k", class{requestsPerHour: 10000, errorRate: 0.005}),
		aa("sparse-errors-50k", class{requestsPerHour: 50000, errorRate: 0.005}),
		aa("monitor", class{intervalMinutes: 1, spec: sequentialSpec}),
		reg("latency-10", class{canaryLatency: 1.10}),
		reg("errors-2x", class{requestsPerHour: 25000, canaryErrors: 2}),
		reg("tail-p99-15", class{canaryTail: 1.15}),
		reg("pod-spike", class{spikeFactor: 100, spikeFrom: 50, spikeTo: 57}),
		reg("pod-offset-5-latency-10", class{podOffset: 0.05, canaryLatency: 1.10}),
		reg("stopped", class{canaryStopsAfter: 3}),
		reg("monitor-latency-10", class{canaryLatency: 1.10, intervalMinutes: 1, spec: sequentialSpec}),
		reg("monitor-errors-2x", class{requestsPerHour: 25000, canaryErrors: 2, intervalMinutes: 1, spec: sequentialSpec}),
		reg("monitor-tail-p99-15", class{canaryTail: 1.15, intervalMinutes: 1, spec: sequentialSpec}),
		reg("monitor-pod-spike", class{spikeFactor: 100, spikeFrom: 50, spikeTo: 57, intervalMinutes: 1, spec: sequentialSpec}),
	}
}

func (c class) withDefaults() class {
	if c.baselinePods == 0 && c.canaryPods == 0 {
		c.baselinePods, c.canaryPods = 10, 10
	}
	if c.requestsPerHour == 0 {
		c.requestsPerHour = defaultRequestsPerHour
	}
	if c.errorRate == 0 {
		c.errorRate = defaultErrorRate
	}
	if c.intervalMinutes == 0 {
		c.intervalMinutes = defaultInterval
	}
	if c.spec == "" {
		c.spec = defaultSpec
	}
	return c
}

// monitoring: judged every minute.
func (c class) monitoring() bool { return c.intervalMinutes == 1 }

// onset is the minute of the hour at which the regression begins: a
// spike's first minute, else 0.
func (c class) onset() int {
	if c.spikeFactor > 0 {
		return c.spikeFrom
	}
	return 0
}

// looks is the number of intervals judged.
func (c class) looks() int { return hourMinutes / c.intervalMinutes }

// perPodPerMinute is the mean number of requests of one pod in one minute
// at the average traffic rate.
func (c class) perPodPerMinute() float64 { return c.requestsPerHour / 10 / hourMinutes }

// selectClasses returns the classes named in list (comma-separated, all
// when empty), refusing unknown names.
func selectClasses(list string) ([]class, error) {
	all := classes()
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	byName := map[string]class{}
	var names []string
	for _, c := range all {
		byName[c.name] = c
		names = append(names, c.name)
	}
	var out []class
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		c, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("CLASSES: unknown class %q; the classes are %s", n, strings.Join(names, ", "))
		}
		out = append(out, c)
	}
	return out, nil
}
