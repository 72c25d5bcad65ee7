package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Targets of the issue (whole run, default settings).
const (
	targetFalseFail   = 0.01 // A/A
	targetDetection   = 0.95 // regressions
	targetMonitorTime = 20.0 // minutes, median time to fail under monitoring
)

// summary counts a class's outcomes.
type summary struct {
	c                                             class
	spec                                          string // the spec the class was judged with
	n                                             int
	fails, inconclusive, passes, marginal, errors int
	missing                                       int // no final verdict
	kayenta, perPod                               int
	timeToFail                                    []float64 // minutes after the regression's onset, failed runs
	metricFails                                   map[string]int
	elapsed, serverCPU                            time.Duration
}

func summarise(res classResult) summary {
	s := summary{c: res.c, spec: res.spec, n: len(res.reps), metricFails: map[string]int{}, elapsed: res.elapsed, serverCPU: res.serverCPU}
	for _, r := range res.reps {
		if r.ref.kayenta {
			s.kayenta++
		}
		if r.ref.perPod {
			s.perPod++
		}
		if r.err != nil || r.out.verdict == "" {
			s.missing++
			continue
		}
		switch r.out.verdict {
		case "fail":
			s.fails++
			s.timeToFail = append(s.timeToFail, float64(r.out.interval*res.c.intervalMinutes-res.c.onset()))
			for name, cl := range r.out.classes {
				if cl == "high" || cl == "low" {
					s.metricFails[name]++
				}
			}
		case "inconclusive":
			s.inconclusive++
		case "pass":
			s.passes++
		case "marginal":
			s.marginal++
		default:
			s.errors++
		}
	}
	return s
}

// medianTimeToFail in minutes; NaN-free: ok is false without failed runs.
func (s summary) medianTimeToFail() (float64, bool) {
	if len(s.timeToFail) == 0 {
		return 0, false
	}
	v := slices.Clone(s.timeToFail)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// target says whether the class meets the target, and which.
func (s summary) target() (string, bool) {
	if s.n == 0 {
		return "no replicates", false
	}
	rate := float64(s.fails) / float64(s.n)
	c := s.c
	switch {
	case c.canaryStopsAfter > 0:
		return "never a pass", s.passes == 0 && s.marginal == 0 && s.missing == 0
	case c.healthy:
		return "fails ≤ 1 %", rate <= targetFalseFail && s.missing == 0
	}
	ok := rate >= targetDetection && s.missing == 0
	what := "detects ≥ 95 %"
	if c.podOffset > 0 {
		what += ", ≥ per-pod"
		ok = ok && s.fails >= s.perPod
	}
	if c.monitoring() {
		what += ", median ≤ 20 min"
		m, has := s.medianTimeToFail()
		ok = ok && has && m <= targetMonitorTime
	}
	return what, ok
}

func pct(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(k)/float64(n))
}

func pctCI(k, n int) string {
	if n == 0 {
		return "–"
	}
	lo, hi := wilson(k, n)
	return fmt.Sprintf("%.1f %% (%.1f–%.1f)", 100*float64(k)/float64(n), 100*lo, 100*hi)
}

// row is one class's cells, in header order.
func (s summary) row() []string {
	kind := "A/A"
	if !s.c.healthy {
		kind = "regression"
	}
	ttf := "–"
	if m, ok := s.medianTimeToFail(); ok && (!s.c.healthy || s.c.monitoring()) {
		ttf = fmt.Sprintf("%.0f min", m)
	}
	what, ok := s.target()
	met := "NO"
	if ok {
		met = "yes"
	}
	return []string{
		s.c.name, kind, s.spec, fmt.Sprint(s.n), pctCI(s.fails, s.n), pct(s.inconclusive, s.n), pct(s.passes, s.n),
		fmt.Sprintf("%d/%d/%d", s.marginal, s.errors, s.missing),
		pctCI(s.kayenta, s.n), pctCI(s.perPod, s.n), ttf, s.failingMetrics(), met + " (" + what + ")",
		s.time(),
	}
}

// time is the class's wall time, and its servers' CPU time when known.
func (s summary) time() string {
	t := s.elapsed.Round(time.Second).String()
	if s.serverCPU > 0 {
		t += " (server CPU " + s.serverCPU.Round(time.Second).String() + ")"
	}
	return t
}

// failingMetrics lists the metrics classified high or low in failed runs,
// with the share of replicates.
func (s summary) failingMetrics() string {
	var names []string
	for n := range s.metricFails {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, n+" "+pct(s.metricFails[n], s.n))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

var header = []string{
	"class", "kind", "spec", "reps", "augur fails (95 % CI)", "inconclusive", "pass", "marginal/error/none",
	"Kayenta method fails", "per-pod reference fails", "median time to fail", "metrics failing", "target", "time",
}

// table prints rows as they come: Markdown, or text in fixed columns.
type table struct {
	w        io.Writer
	markdown bool
}

// textWidths are the text columns' widths (the last is free).
var textWidths = []int{24, 10, 15, 5, 22, 12, 8, 19, 22, 23, 19, 40, 40, 0}

func (t table) header() {
	if t.markdown {
		fmt.Fprintln(t.w, "| "+strings.Join(header, " | ")+" |")
		fmt.Fprintln(t.w, "|"+strings.Repeat("---|", len(header)))
		return
	}
	t.line(header)
}

func (t table) row(cells []string) {
	if t.markdown {
		fmt.Fprintln(t.w, "| "+strings.Join(cells, " | ")+" |")
		return
	}
	t.line(cells)
}

func (t table) line(cells []string) {
	var b strings.Builder
	for i, c := range cells {
		b.WriteString(c)
		if pad := textWidths[i] - len([]rune(c)); i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", max(pad, 0)+2))
		}
	}
	fmt.Fprintln(t.w, b.String())
}
