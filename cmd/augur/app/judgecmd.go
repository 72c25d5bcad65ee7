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

// MannWhitneyArgs are the judge mannwhitney command's inputs.
type MannWhitneyArgs struct {
	Baseline, Canary string // sample files, "-" for stdin
	Alternative      judges.Alternative
	Method           judges.Method
	Confidence       float64
	Format           string // json or table
}

// directionFor maps a test's alternative to the harmful direction the
// classification uses: a one-sided test looks for that side only.
func directionFor(a judges.Alternative) judges.Direction {
	switch a {
	case judges.Greater:
		return judges.Increase
	case judges.Less:
		return judges.Decrease
	}
	return judges.Either
}

// JudgeMannWhitney compares two sample files offline and prints the test,
// the Hodges–Lehmann shift with its interval and the classification.
func JudgeMannWhitney(out io.Writer, stdin io.Reader, a MannWhitneyArgs) error {
	if err := checkFormat(a.Format); err != nil {
		return err
	}
	canary, baseline, err := readPair(a.Baseline, a.Canary, stdin)
	if err != nil {
		return err
	}
	mw, err := judges.MannWhitneyTest(canary, baseline, judges.MannWhitneyOptions{Alternative: a.Alternative, Method: a.Method, Confidence: a.Confidence})
	if err != nil && !errors.Is(err, judges.ErrNoData) {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	cls := judges.ClassifyMannWhitney(canary, baseline, judges.MannWhitneyConfig{Direction: directionFor(a.Alternative), Confidence: a.Confidence})
	j := mannWhitneyJSON{Test: "mannwhitney", Alternative: string(mw.Alternative), Method: string(mw.Method),
		Confidence: a.Confidence, NBaseline: mw.NBaseline, NCanary: mw.NCanary,
		Classification: string(cls.Classification), Reason: cls.Reason}
	if err == nil {
		j.U, j.PValue, j.HLEstimate = finite(mw.U), finite(mw.PValue), finite(mw.Estimate)
		j.CILow, j.CIHigh, j.CLES, j.MeanRatio = finite(mw.CILow), finite(mw.CIHigh), finite(mw.CLES), finite(mw.MeanRatio)
	}
	return emit(out, a.Format, j, [][2]string{
		{"n (baseline, canary)", fmt.Sprintf("%d, %d", j.NBaseline, j.NCanary)},
		{"U (canary)", show(j.U)},
		{fmt.Sprintf("p-value (%s, %s)", j.Alternative, j.Method), show(j.PValue)},
		{"Hodges–Lehmann shift", show(j.HLEstimate)},
		{fmt.Sprintf("%g%% CI", a.Confidence*100), show(j.CILow) + " .. " + show(j.CIHigh)},
		{"CLES", show(j.CLES)},
		{"mean ratio", show(j.MeanRatio)},
		{"classification", j.Classification},
		{"reason", j.Reason},
	})
}

func checkFormat(f string) error {
	if f != "json" && f != "table" {
		return fmt.Errorf("%w: --format: want json or table, got %q", ErrBadInput, f)
	}
	return nil
}

// readPair reads the baseline and canary files; at most one may be stdin.
func readPair(baselinePath, canaryPath string, stdin io.Reader) (canary, baseline []float64, err error) {
	if baselinePath == "-" && canaryPath == "-" {
		return nil, nil, fmt.Errorf("%w: only one of --baseline and --canary can read stdin", ErrBadInput)
	}
	if baseline, err = ReadSamples(baselinePath, stdin); err != nil {
		return nil, nil, err
	}
	if canary, err = ReadSamples(canaryPath, stdin); err != nil {
		return nil, nil, err
	}
	return canary, baseline, nil
}

// emit writes v as indented JSON, or rows as a two-column table.
func emit(out io.Writer, format string, v any, rows [][2]string) error {
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
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
