package app

import (
	"fmt"
	"io"
	"strconv"

	"github.com/augurhq/augur/judges"
)

// SamplesArgs are the inputs of the two-sample judge commands.
type SamplesArgs struct {
	Baseline, Canary string // sample files, "-" for stdin
	Alternative      judges.Alternative
	Method           judges.Method // ks only
	Confidence       float64       // welch only
	Format           string
}

type welchJSON struct {
	Test         string   `json:"test"`
	NBaseline    int      `json:"n_baseline"`
	NCanary      int      `json:"n_canary"`
	T            *float64 `json:"t"`
	DF           *float64 `json:"df"`
	PValue       *float64 `json:"p_value"`
	Alternative  string   `json:"alternative"`
	MeanBaseline *float64 `json:"mean_baseline"`
	MeanCanary   *float64 `json:"mean_canary"`
	Diff         *float64 `json:"diff"`
	CILow        *float64 `json:"ci_low"`
	CIHigh       *float64 `json:"ci_high"`
	Confidence   float64  `json:"confidence"`
	Note         string   `json:"note,omitempty"`
}

// JudgeWelch runs Welch's t test offline.
func JudgeWelch(out io.Writer, stdin io.Reader, a SamplesArgs) error {
	if err := checkFormat(a.Format); err != nil {
		return err
	}
	canary, baseline, err := readPair(a.Baseline, a.Canary, stdin)
	if err != nil {
		return err
	}
	r, err := judges.Welch(canary, baseline, a.Alternative, a.Confidence)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	j := welchJSON{Test: "welch", NBaseline: r.NBaseline, NCanary: r.NCanary, T: finite(r.T), DF: finite(r.DF),
		PValue: finite(r.PValue), Alternative: string(r.Alternative), MeanBaseline: finite(r.MeanBaseline),
		MeanCanary: finite(r.MeanCanary), Diff: finite(r.Diff), CILow: finite(r.CILow), CIHigh: finite(r.CIHigh),
		Confidence: r.Confidence, Note: r.Note}
	return emit(out, a.Format, j, [][2]string{
		{"n (baseline, canary)", fmt.Sprintf("%d, %d", j.NBaseline, j.NCanary)},
		{"t", show(j.T)},
		{"df", show(j.DF)},
		{"p-value (" + j.Alternative + ")", show(j.PValue)},
		{"mean difference (canary − baseline)", show(j.Diff)},
		{fmt.Sprintf("%g%% CI", a.Confidence*100), show(j.CILow) + " .. " + show(j.CIHigh)},
		{"note", j.Note},
	})
}

type ksJSON struct {
	Test        string   `json:"test"`
	NBaseline   int      `json:"n_baseline"`
	NCanary     int      `json:"n_canary"`
	D           *float64 `json:"d"`
	PValue      *float64 `json:"p_value"`
	Alternative string   `json:"alternative"`
	Method      string   `json:"method"`
	Note        string   `json:"note,omitempty"`
}

// JudgeKS runs the two-sample Kolmogorov–Smirnov test offline.
func JudgeKS(out io.Writer, stdin io.Reader, a SamplesArgs) error {
	if err := checkFormat(a.Format); err != nil {
		return err
	}
	canary, baseline, err := readPair(a.Baseline, a.Canary, stdin)
	if err != nil {
		return err
	}
	r, err := judges.KolmogorovSmirnov(canary, baseline, a.Alternative, a.Method)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	j := ksJSON{Test: "ks", NBaseline: r.NBaseline, NCanary: r.NCanary, D: finite(r.D), PValue: finite(r.PValue),
		Alternative: string(r.Alternative), Method: string(r.Method), Note: r.Note}
	return emit(out, a.Format, j, [][2]string{
		{"n (baseline, canary)", fmt.Sprintf("%d, %d", j.NBaseline, j.NCanary)},
		{"D", show(j.D)},
		{fmt.Sprintf("p-value (%s, %s)", j.Alternative, j.Method), show(j.PValue)},
		{"note", j.Note},
	})
}

// ProportionsArgs are the error counts of the two cohorts.
type ProportionsArgs struct {
	BaselineErrors, BaselineTotal, CanaryErrors, CanaryTotal int64
	Format                                                   string
}

type proportionsJSON struct {
	Test            string   `json:"test"`
	BaselineRate    *float64 `json:"baseline_rate"`
	CanaryRate      *float64 `json:"canary_rate"`
	ZPooled         *float64 `json:"z_pooled"`
	PValue          *float64 `json:"p_value"`
	PChi2Yates      *float64 `json:"p_chi2_yates"`
	PFisher         *float64 `json:"p_fisher"`
	ProbCanaryWorse *float64 `json:"prob_canary_worse"`
	Note            string   `json:"note,omitempty"`
}

// JudgeProportions compares error counts offline: pooled two-proportion z
// (two-sided), Yates χ², Fisher exact, and the Bayesian probability that
// the canary's error rate is higher (uniform priors).
func JudgeProportions(out io.Writer, a ProportionsArgs) error {
	if err := checkFormat(a.Format); err != nil {
		return err
	}
	r, err := judges.Proportions(a.CanaryErrors, a.CanaryTotal, a.BaselineErrors, a.BaselineTotal)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	j := proportionsJSON{Test: "proportions", BaselineRate: finite(r.BaselineRate), CanaryRate: finite(r.CanaryRate),
		ZPooled: finite(r.Z), PValue: finite(r.PValueZ), PChi2Yates: finite(r.PValueYates), PFisher: finite(r.PValueFisher), Note: r.Note}
	if p, err := judges.ProbCanaryWorse(a.CanaryErrors, a.CanaryTotal, a.BaselineErrors, a.BaselineTotal, judges.UniformPrior()); err == nil {
		j.ProbCanaryWorse = finite(p)
	} else if j.Note == "" {
		j.Note = err.Error()
	}
	return emit(out, a.Format, j, [][2]string{
		{"error rate (baseline, canary)", show(j.BaselineRate) + ", " + show(j.CanaryRate)},
		{"z (pooled)", show(j.ZPooled)},
		{"p-value (z, two-sided)", show(j.PValue)},
		{"p-value (Yates χ²)", show(j.PChi2Yates)},
		{"p-value (Fisher exact)", show(j.PFisher)},
		{"P(canary worse), uniform priors", show(j.ProbCanaryWorse)},
		{"note", j.Note},
	})
}

type adjustJSON struct {
	Method   string     `json:"method"`
	Adjusted []*float64 `json:"adjusted"`
}

// JudgeAdjust adjusts p-values for multiple comparisons, in input order.
func JudgeAdjust(out io.Writer, method string, args []string, format string) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	ps := make([]float64, len(args))
	for i, s := range args {
		p, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%w: p-value %d: %q is not a number", ErrBadInput, i+1, s)
		}
		ps[i] = p
	}
	adj, err := judges.Adjust(judges.AdjustMethod(method), ps)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	j := adjustJSON{Method: method, Adjusted: make([]*float64, len(adj))}
	rows := make([][2]string, len(adj))
	for i, p := range adj {
		j.Adjusted[i] = finite(p)
		rows[i] = [2]string{args[i], show(j.Adjusted[i])}
	}
	return emit(out, format, j, rows)
}
