package main

import (
	"math"
)

// refAlpha is the two-sided level of both references: Kayenta's 98 %
// interval, and the per-pod t-tests at the same α.
const refAlpha = 0.02

// reference is what the two reference methods concluded for one
// replicate: true means the replicate was failed.
type reference struct {
	kayenta bool
	perPod  bool
}

// references judges a replicate by Kayenta's method and by the per-pod
// reference. Both read the generated data directly, not the server.
//
// Kayenta's method applies its MannWhitney rule (98 % two-sided
// Hodges–Lehmann interval by the normal approximation, the ¼·|estimate|
// tolerance band, an increase is bad) to the pooled points of the hour,
// each pod-minute one point: the p99 latency (histogram_quantile of the
// minute's buckets, what the spec's latency_p99 query returns), and the
// error rate. Either metric High fails the replicate, as a Kayenta score
// of 50 does.
//
// The per-pod reference summarises each pod over the hour (its mean
// latency and p99, both on the log scale, and its error rate) and tests
// the canary pods against the baseline pods with Welch's t (the pooled t
// when a cohort has a single pod; no test with one pod each), failing when
// the canary is significantly worse at two-sided α = 0.02, Bonferroni over
// the three summaries.
func references(r replicate, bounds []float64) reference {
	var cp99, bp99, cerr, berr []float64       // points
	var cmean, bmean, cq, bq, cr, br []float64 // one value per pod
	for _, p := range r.pods {
		hour := make([]int32, len(bounds)+1)
		reqs, errs, sum := 0, 0, 0.0
		for t := 0; t < p.minutes; t++ {
			for i, c := range p.buckets[t] {
				hour[i] += c
			}
			reqs += p.requests[t]
			errs += p.errors[t]
			sum += p.sum[t]
			if p.requests[t] == 0 {
				continue
			}
			q := bucketQuantile(0.99, bounds, p.buckets[t])
			rate := float64(p.errors[t]) / float64(p.requests[t])
			if p.canary {
				cp99, cerr = append(cp99, q), append(cerr, rate)
			} else {
				bp99, berr = append(bp99, q), append(berr, rate)
			}
		}
		if reqs == 0 {
			continue
		}
		mean := math.Log(sum / float64(reqs))
		q := math.Log(bucketQuantile(0.99, bounds, hour))
		rate := float64(errs) / float64(reqs)
		if p.canary {
			cmean, cq, cr = append(cmean, mean), append(cq, q), append(cr, rate)
		} else {
			bmean, bq, br = append(bmean, mean), append(bq, q), append(br, rate)
		}
	}
	var ref reference
	ref.kayenta = kayentaHigh(cp99, bp99) || kayentaHigh(cerr, berr)
	for _, pair := range [][2][]float64{{cmean, bmean}, {cq, bq}, {cr, br}} {
		if p, ok := tTest(pair[0], pair[1]); ok && p < refAlpha/2/3 {
			ref.perPod = true
		}
	}
	return ref
}
