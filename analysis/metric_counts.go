package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/augurhq/augur/judges"
)

// proportion compares failure rates (query: failures, total_query: trials).
// The request-level test (Fisher's exact test by default, the pooled z test
// or Yates' χ²) and, when the series keep their pods, a quasi-binomial test
// whose dispersion is measured between the pods of both cohorts
// (judges.ClusterRatesQuasi) each run at the metric's level;
// the metric fails only when both establish the worsening (the conjunction
// of two valid tests is valid at the same level). With one pod per cohort,
// or without a pod label, the request-level test decides alone and the
// reason says so.
func (iv *interval) proportion(r MetricResult, m MetricSpec, refFail, treatFail, refTotal, treatTotal []Series) MetricResult {
	cf, ct := total(treatFail), total(treatTotal)
	bf, bt := total(refFail), total(refTotal)
	r.Canary.Count, r.Canary.Total = num(cf), num(ct)
	r.Baseline.Count, r.Baseline.Total = num(bf), num(bt)
	if ct > 0 {
		r.Canary.N = int(math.Round(ct))
	}
	if bt > 0 {
		r.Baseline.N = int(math.Round(bt))
	}
	if side := nonFinite(append(Values(treatFail), Values(treatTotal)...), append(Values(refFail), Values(refTotal)...), r.Variant); side != "" {
		r.Classification, r.Reason = judges.Inconclusive, side+": not judged (never a pass)"
		return r
	}
	if !(ct > 0) || !(bt > 0) {
		r.Classification = judges.NoData
		r.Reason = fmt.Sprintf("no trials (%s %g, baseline %g)", r.Variant, ct, bt)
		if m.MustHaveData {
			r.MustHaveDataBreach = true
			r.Reason += "; the metric must have data: fails the run"
		}
		return r
	}
	// increase() extrapolates: counts are rounded to whole events.
	ci, ti, bi, bti := roundCount(cf), roundCount(ct), roundCount(bf), roundCount(bt)
	res, err := judges.Proportions(min(ci, ti), ti, min(bi, bti), bti)
	if err != nil {
		r.Classification, r.Reason = judges.Error, err.Error()
		return r
	}
	r.CanaryRate, r.BaselineRate = num(res.CanaryRate), num(res.BaselineRate)
	j := m.Judge
	alpha := iv.alpha(m)
	if !(alpha > 0) {
		nb := noBudget()
		r.Classification, r.Reason = nb.Classification, nb.Reason
		return r
	}
	r.Confidence = num(intervalConfidence(alpha, j.Direction))
	p := requestP(res, j)
	if math.IsNaN(p) && ci == 0 && bi == 0 {
		p = 1 // no failures anywhere: no evidence of a worsening
	}
	rates := fmt.Sprintf("rate %s %s (%d/%d) vs baseline %s (%d/%d)", r.Variant, ratePct(res.CanaryRate), ci, ti, ratePct(res.BaselineRate), bi, bti)
	if math.IsNaN(p) {
		r.Classification, r.Reason = judges.Inconclusive, rates+": not computable ("+res.Note+"); not judged (never a pass)"
		return r
	}
	r.PValue = num(p)
	name := map[string]string{"fisher": "Fisher", "z": "z", "yates": "Yates χ²"}[j.Test]
	worse := res.Diff > 0
	switch j.Direction {
	case judges.Decrease:
		worse = res.Diff < 0
	case judges.Either:
		worse = res.Diff != 0
	}
	reqWorse := worse && p <= alpha
	// The margin as a difference of rates.
	limit, hasMargin := 0.0, j.Margin != nil
	if hasMargin {
		limit = j.Margin.Value
		if !j.Margin.Absolute {
			limit = j.Margin.Value * res.BaselineRate
		}
	}
	conf := intervalConfidence(alpha, j.Direction)
	lo, hi := newcombe(ci, ti, bi, bti, conf)
	b := bounded{est: res.Diff, lo: lo, hi: hi, limit: limit, margin: hasMargin}
	reqD := judgeBounded(b, j.Direction)
	reason := fmt.Sprintf("%s: %s p = %s (α %s), difference %s at %s", rates, name, sig3(p), sig3(alpha), ppText(res.Diff), confPct(conf)+" ["+ppText(lo)+", "+ppText(hi)+"]")

	ch := resolveCluster(m, treatTotal, refTotal, treatFail, refFail)
	cluster, note := iv.clusterRates(&r, m, ch, treatFail, treatTotal, refFail, refTotal, conf)
	d := decision{class: judges.Pass}
	switch {
	case ch.missing:
		d = decision{class: judges.Inconclusive, reason: fmt.Sprintf("cluster_by %s: some series lack the label %q, so the pods cannot be told apart; not judged (never a pass)", ch.label, ch.label)}
	case cluster == nil:
		reason += "; " + note
		d = marginRule(reqWorse, hasMargin, reqD, reqD)
	default:
		cd := judgeBounded(bounded{est: cluster.Estimate, lo: cluster.CILow, hi: cluster.CIHigh, limit: limit, margin: hasMargin}, j.Direction)
		cp := pValue(*cluster, j.Direction)
		reason += fmt.Sprintf("; %d vs %d %s, quasi-binomial over pods: %s at %s (p = %s)", cluster.Canary, cluster.Baseline, plural(ch.label),
			ppText(cluster.Estimate), confPct(cluster.Confidence)+" ["+ppText(cluster.CILow)+", "+ppText(cluster.CIHigh)+"]", sig3(cp))
		d = marginRule(reqWorse && worse && cp <= alpha, hasMargin, reqD, cd)
	}
	if (d.class == judges.High || d.class == judges.Low) && res.Diff < 0 {
		d.class = judges.Low
	} else if d.class == judges.Low && res.Diff > 0 {
		d.class = judges.High
	}
	r.Classification = d.class
	switch d.class {
	case judges.High, judges.Low:
		r.Reason = reason + ": worse" + beyond(m)
	case judges.Pass:
		r.Reason = reason + ": no significant worsening"
		if hasMargin {
			r.Reason = reason + ": within the margin " + j.Margin.String()
		}
	default:
		if d.reason != "" {
			r.Reason = reason + ": " + d.reason
		} else {
			r.Reason = reason + ": the interval straddles the margin " + j.Margin.String() + "; " + needMore(d, ct, "requests", iv.windowSeconds())
		}
	}
	return r
}

func isFail(d decision) bool { return d.class == judges.High || d.class == judges.Low }

// marginRule decides a proportion: significant says the tests establish a
// worsening; with a margin, failing also needs both intervals (request
// and, when there are pods, cluster) beyond it, and passing needs the
// deciding interval (the cluster one when there are pods) within it.
func marginRule(significant, hasMargin bool, req, deciding decision) decision {
	switch {
	case significant && (!hasMargin || isFail(req) && isFail(deciding)):
		return decision{class: judges.High}
	case !hasMargin:
		return decision{class: judges.Pass}
	case deciding.class == judges.Pass:
		return deciding
	}
	d := deciding
	d.class = judges.Inconclusive
	return d
}

// requestP is the request-level p-value in the harmful direction.
func requestP(res judges.ProportionsResult, j JudgeSpec) float64 {
	switch {
	case j.Test == "z" && j.Direction == judges.Increase:
		return res.PValueZGreater
	case j.Test == "z":
		return res.PValueZ
	case j.Test == "yates":
		return res.PValueYates
	case j.Direction == judges.Increase:
		return res.PValueFisherGreater
	}
	return res.PValueFisher
}

// clusterRates runs the quasi-binomial test over pods when the series keep them;
// nil and the reason when it cannot.
func (iv *interval) clusterRates(r *MetricResult, m MetricSpec, ch clusterChoice, treatFail, treatTotal, refFail, refTotal []Series, conf float64) (*judges.ClusterResult, string) {
	if ch.missing {
		r.Cluster = &ClusterInfo{Label: ch.label, Method: "none"}
		return nil, ""
	}
	if ch.label == "" {
		r.Cluster = &ClusterInfo{Method: MethodPooledRequests}
		return nil, ch.note + "; the request-level test decides alone"
	}
	cc, cb := clusterCounts(treatFail, treatTotal, ch.label), clusterCounts(refFail, refTotal, ch.label)
	info := &ClusterInfo{Label: ch.label, Canary: len(cc), Baseline: len(cb), Method: MethodPooledRequests}
	r.Cluster = info
	if len(cc) <= 1 && len(cb) <= 1 {
		return nil, fmt.Sprintf("one %s per cohort: pod-to-pod variation cannot be estimated, so the request-level test decides alone", ch.label)
	}
	res, err := judges.ClusterRatesQuasi(cc, cb, conf)
	if err != nil || res.Method == judges.ClusterNone || math.IsNaN(res.CILow) {
		why := fmt.Sprintf("too few %s for a test over pods (%d vs %d)", plural(ch.label), len(cc), len(cb))
		if err != nil {
			why = "test over pods: " + err.Error()
		} else if res.Note != "" {
			why += " (" + res.Note + ")"
		}
		return nil, why + ", so the request-level test decides alone"
	}
	info.Method, info.Scale = string(res.Method), string(judges.ScaleLinear)
	alpha := 1 - conf
	if m.Judge.Direction != judges.Either {
		alpha /= 2
	}
	info.Tests = []ClusterTest{testOf("rate", res, m.Judge.Direction, alpha)}
	return &res, ""
}

// clusterCounts sums failures and trials per pod.
func clusterCounts(fail, tot []Series, label string) []judges.ClusterCount {
	kt, gt := groupSeries(tot, label)
	_, gf := groupSeries(fail, label)
	var out []judges.ClusterCount
	for _, k := range kt {
		t := total(gt[k])
		if !(t > 0) {
			continue
		}
		f := math.Min(total(gf[k]), t)
		out = append(out, judges.ClusterCount{ID: k, Events: math.Round(f), Trials: math.Round(t)})
	}
	return out
}

// newcombe is Newcombe's hybrid score interval for the difference of two
// proportions x1/n1 − x2/n2 at two-sided level conf (Newcombe 1998,
// method 10: from the two Wilson intervals).
func newcombe(x1, n1, x2, n2 int64, conf float64) (lo, hi float64) {
	z := distuv.UnitNormal.Quantile(1 - (1-conf)/2)
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	l1, u1 := wilson(p1, float64(n1), z)
	l2, u2 := wilson(p2, float64(n2), z)
	d := p1 - p2
	return d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2)), d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
}

// wilson is the Wilson score interval of a proportion p of n.
func wilson(p, n, z float64) (lo, hi float64) {
	z2 := z * z
	c := (p + z2/(2*n)) / (1 + z2/n)
	h := z / (1 + z2/n) * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return max(0, c-h), min(1, c+h)
}

// ratePct writes a rate as a percentage with 3 significant digits.
func ratePct(v float64) string { return sig3(100*v) + "%" }

// ppText writes a difference of rates in percentage points.
func ppText(v float64) string {
	if v >= 0 {
		return "+" + sig3(100*v) + " pp"
	}
	return sig3(100*v) + " pp"
}

func total(series []Series) float64 {
	s := 0.0
	for _, x := range Values(series) {
		if !math.IsNaN(x) {
			s += x
		}
	}
	return s
}

func roundCount(x float64) int64 {
	if !(x > 0) {
		return 0
	}
	return int64(math.Round(x))
}
