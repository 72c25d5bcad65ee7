package app

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// PrintVerdict writes the per-metric table and the verdict line.
func PrintVerdict(out io.Writer, v analysis.Verdict) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tBASELINE median\tCANARY median\tSHIFT (CI)\tRESULT\tREASON")
	for _, m := range v.Metrics {
		shift := "-"
		if m.Shift != nil {
			shift = signed(*m.Shift)
			if m.CILow != nil && m.CIHigh != nil {
				conf := ""
				if m.Confidence != nil {
					conf = judges.FormatConfidence(*m.Confidence) + " "
				}
				shift += fmt.Sprintf(" (%s%s..%s)", conf, signed(*m.CILow), signed(*m.CIHigh))
			}
		} else if m.Cluster != nil {
			shift = clusterEffect(*m.Cluster)
		}
		name := m.Name
		if m.Variant != "" && m.Variant != "canary" && m.Variant != "target" {
			name = m.Variant + "/" + name
		}
		if m.Critical {
			name += " (critical)"
		}
		if m.DryRun {
			name += " (dry run)"
		}
		base, can := value(m.Baseline.Median), value(m.Canary.Median)
		if m.Kind == analysis.KindHistogram && m.Baseline.Median == nil && m.Canary.Median == nil {
			// buckets have no median of their own: show how many requests
			base, can = fmt.Sprintf("n=%d", m.Baseline.N), fmt.Sprintf("n=%d", m.Canary.N)
		}
		if m.BaselineRate != nil && m.CanaryRate != nil {
			base, can = fmt.Sprintf("rate %.3g%%", 100**m.BaselineRate), fmt.Sprintf("rate %.3g%%", 100**m.CanaryRate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, base, can,
			shift, strings.ToUpper(string(m.Classification)), oneLine(m.Reason))
	}
	_ = tw.Flush()
	if v.SRM != nil && v.SRM.Mismatch {
		fmt.Fprintf(out, "\nsample ratio mismatch: observed %v, expected %v\n", v.SRM.Observed, v.SRM.Expected)
	}
	fmt.Fprintf(out, "\nverdict: %s (score %s): %s\n", strings.ToUpper(string(v.Verdict)), analysis.ScoreText(v.Score), v.Reason)
}

// clusterEffect writes the pod-level comparison with the smallest p-value:
// "p99 ×1.25 (99.5% 1.12..1.4)" on the log scale, a difference otherwise.
func clusterEffect(c analysis.ClusterInfo) string {
	var best *analysis.ClusterTest
	for i, t := range c.Tests {
		if t.Estimate != nil && t.PValue != nil && (best == nil || *t.PValue < *best.PValue) {
			best = &c.Tests[i]
		}
	}
	if best == nil {
		return "-"
	}
	f := signed
	if c.Scale == "log" {
		f = func(v float64) string { return fmt.Sprintf("×%.3g", v) }
	}
	s := best.Name + " " + f(*best.Estimate)
	if best.CILow != nil && best.CIHigh != nil && best.Confidence != nil {
		s += fmt.Sprintf(" (%s %s..%s)", judges.FormatConfidence(*best.Confidence), f(*best.CILow), f(*best.CIHigh))
	}
	return s
}

func value(p *float64) string {
	if p == nil {
		return "no data"
	}
	return fmt.Sprintf("%.4g", *p)
}

func signed(f float64) string { return fmt.Sprintf("%+.4g", f) }

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
