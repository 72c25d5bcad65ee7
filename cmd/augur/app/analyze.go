package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source"
	"github.com/augurhq/augur/analysis/source/prometheus"
	"github.com/augurhq/augur/judges"
)

// Exit codes of augur analyze (and check).
const (
	ExitPass         = 0
	ExitFail         = 1
	ExitInconclusive = 2 // inconclusive or marginal
	ExitError        = 3 // could not analyse, or an invalid spec
)

// AnalyzeArgs configures augur analyze.
type AnalyzeArgs struct {
	// SpecFile is the spec's path ("-": standard input).
	SpecFile string
	// Server is a running augur's base URL: metrics on the embedded source
	// read its Prometheus-compatible query API.
	Server string
	// Format is text (default) or json for the final verdict.
	Format string
	// Progress draws a progress bar (a terminal); otherwise one line per
	// interval.
	Progress bool
}

// ExitCode maps a final verdict to augur analyze's exit code.
func ExitCode(o judges.Outcome) int {
	switch o {
	case judges.OutcomePass:
		return ExitPass
	case judges.OutcomeFail:
		return ExitFail
	case judges.OutcomeInconclusive, judges.OutcomeMarginal:
		return ExitInconclusive
	default:
		return ExitError
	}
}

func readSpec(path string, stdin io.Reader) (analysis.Spec, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return analysis.Spec{}, err
		}
		defer f.Close()
		r = f
	}
	s, err := analysis.ParseSpec(r)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Check validates a spec file, printing every invalid field; it returns
// the exit code (0 valid, 1 invalid or unreadable).
func Check(out, errOut io.Writer, stdin io.Reader, path string) int {
	s, err := readSpec(path, stdin)
	if err != nil {
		fmt.Fprintln(errOut, "invalid:", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 1
	}
	sch := s.Schedule(time.Now())
	fmt.Fprintf(out, "%s: valid %s experiment %q: %d metrics, %d comparison(s), %d interval(s) of %s\n",
		path, s.Kind, s.Name, len(s.Metrics), len(s.Comparisons()), sch.Count, s.Timing.Interval)
	return 0
}

// Analyze runs one experiment against its sources without a server and
// returns the exit code.
func Analyze(ctx context.Context, out, errOut io.Writer, stdin io.Reader, a AnalyzeArgs) int {
	spec, err := readSpec(a.SpecFile, stdin)
	if err != nil {
		fmt.Fprintln(errOut, "augur analyze:", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return ExitError
	}
	var embedded analysis.Source
	if a.Server != "" {
		u, err := url.Parse(a.Server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintf(errOut, "augur analyze: --server must be an http(s) URL, got %q\n", a.Server)
			return ExitError
		}
		def := analysis.SourceSpec{Type: analysis.SourcePrometheus, URL: a.Server}
		def.SetDefaults()
		src, err := prometheus.New(def, nil)
		if err != nil {
			fmt.Fprintln(errOut, "augur analyze:", err)
			return ExitError
		}
		embedded = analysis.WithRetry(src, *def.Retries, def.Backoff.Std())
	}
	reg, err := source.NewRegistry(embedded, nil, true, nil)
	if err != nil {
		fmt.Fprintln(errOut, "augur analyze:", err)
		return ExitError
	}
	defer reg.Close()
	if embedded == nil {
		for _, m := range spec.Metrics {
			if _, ok := spec.Sources[m.Source]; !ok && m.Source == analysis.DefaultSource {
				fmt.Fprintf(errOut, "augur analyze: metric %q reads the embedded store: pass --server http://augur:8080 to read a running augur, or give the metric a source\n", m.Name)
				return ExitError
			}
		}
	}
	p := newProgress(errOut, spec, a.Progress)
	defer p.stop()
	final, _, err := analysis.RunLocal(ctx, spec, reg, p.interval)
	p.stop()
	if err != nil {
		fmt.Fprintln(errOut, "augur analyze:", err)
		return ExitError
	}
	if a.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(final); err != nil {
			return ExitError
		}
	} else {
		PrintVerdict(out, final)
		if final.Stopped != "" {
			fmt.Fprintf(out, "stopped after interval %d of %d: %s\n", final.Interval, final.Intervals, final.Stopped)
		}
	}
	return ExitCode(final.Verdict)
}
