package app

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/augurhq/augur/judges"
)

// ErrBadInput marks input errors (exit code 2).
var ErrBadInput = errors.New("bad input")

// ReadSamples reads one number per line from path ("-" is stdin). Blank
// lines and # comments are ignored; NaN, Inf, +Inf and -Inf are accepted.
// A line that is not a number is an ErrBadInput naming FILE:LINE.
func ReadSamples(path string, stdin io.Reader) ([]float64, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		defer f.Close()
		r = f
	}
	var out []float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %q is not a number", ErrBadInput, path, line, s)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadInput, path, err)
	}
	return out, nil
}

// mannWhitneyJSON is the CLI's JSON; absent values are null.
type mannWhitneyJSON struct {
	Test           string   `json:"test"`
	NBaseline      int      `json:"n_baseline"`
	NCanary        int      `json:"n_canary"`
	U              *float64 `json:"u"`
	PValue         *float64 `json:"p_value"`
	Alternative    string   `json:"alternative"`
	Method         string   `json:"method"`
	HLEstimate     *float64 `json:"hl_estimate"`
	CILow          *float64 `json:"ci_low"`
	CIHigh         *float64 `json:"ci_high"`
	Confidence     float64  `json:"confidence"`
	CLES           *float64 `json:"cles"`
	MeanRatio      *float64 `json:"mean_ratio"`
	Classification string   `json:"classification"`
	Reason         string   `json:"reason"`
}

// JudgeMannWhitney compares two sample files offline and prints the result.
func JudgeMannWhitney(out io.Writer, stdin io.Reader, baselinePath, canaryPath string, direction string, confidence float64, format string) error {
	if format != "json" && format != "table" {
		return fmt.Errorf("%w: --format: want json or table, got %q", ErrBadInput, format)
	}
	baseline, err := ReadSamples(baselinePath, stdin)
	if err != nil {
		return err
	}
	canary, err := ReadSamples(canaryPath, stdin)
	if err != nil {
		return err
	}
	res := judges.ClassifyMannWhitney(canary, baseline, judges.MannWhitneyConfig{Direction: judges.Direction(direction), Confidence: confidence})
	j := mannWhitneyJSON{Test: "mannwhitney", Alternative: "two-sided", Confidence: confidence,
		Classification: string(res.Classification), Reason: res.Reason}
	if mw := res.MannWhitney; mw != nil {
		j.NBaseline, j.NCanary, j.Method = mw.NBaseline, mw.NCanary, string(mw.Method)
		j.U, j.PValue, j.HLEstimate = finite(mw.U), finite(mw.PValue), finite(mw.Estimate)
		j.CILow, j.CIHigh, j.CLES, j.MeanRatio = finite(mw.CILow), finite(mw.CIHigh), finite(mw.CLES), finite(mw.MeanRatio)
	}
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(j)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("n (baseline, canary)", fmt.Sprintf("%d, %d", j.NBaseline, j.NCanary))
	row("U (canary)", show(j.U))
	row("p-value (two-sided, "+j.Method+")", show(j.PValue))
	row("Hodges–Lehmann shift", show(j.HLEstimate))
	row(fmt.Sprintf("%g%% CI", confidence*100), show(j.CILow)+" .. "+show(j.CIHigh))
	row("CLES", show(j.CLES))
	row("mean ratio", show(j.MeanRatio))
	row("classification", j.Classification)
	row("reason", j.Reason)
	return tw.Flush()
}

func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func show(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*p, 'g', 10, 64)
}
