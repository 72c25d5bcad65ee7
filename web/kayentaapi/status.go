package kayentaapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/judges"
)

// canaryStatus is Kayenta's CanaryExecutionStatusResponse.
type canaryStatus struct {
	Application            string            `json:"application,omitempty"`
	PipelineID             string            `json:"pipelineId"`
	StageStatus            map[string]string `json:"stageStatus"`
	Complete               bool              `json:"complete"`
	Status                 string            `json:"status"`
	ExecutionStatus        string            `json:"executionStatus"`
	Exception              *exception        `json:"exception,omitempty"`
	Result                 *canaryResult     `json:"result,omitempty"`
	Config                 json.RawMessage   `json:"config"`
	CanaryConfigID         string            `json:"canaryConfigId,omitempty"`
	CanaryExecutionRequest json.RawMessage   `json:"canaryExecutionRequest"`
	times
	// Warnings are what the conversion of the config and request could
	// not carry over (augur's addition).
	Warnings []string `json:"warnings"`
}

// times are a status document's build, start and end times.
type times struct {
	BuildTimeMillis int64  `json:"buildTimeMillis"`
	BuildTimeIso    string `json:"buildTimeIso"`
	StartTimeMillis int64  `json:"startTimeMillis"`
	StartTimeIso    string `json:"startTimeIso"`
	EndTimeMillis   *int64 `json:"endTimeMillis,omitempty"`
	EndTimeIso      string `json:"endTimeIso,omitempty"`
}

// exception is the failed stage's exception, in the shape Kayenta's
// pipelines give it.
type exception struct {
	ExceptionType string           `json:"exceptionType"`
	Details       exceptionDetails `json:"details"`
	ShouldRetry   bool             `json:"shouldRetry"`
}

type exceptionDetails struct {
	Error  string   `json:"error"`
	Errors []string `json:"errors"`
}

type canaryResult struct {
	JudgeResult judgeResult `json:"judgeResult"`
	// CanaryDuration is the judged window's length, ISO 8601.
	CanaryDuration string `json:"canaryDuration,omitempty"`
}

// judgeResult is Kayenta's CanaryJudgeResult.
type judgeResult struct {
	JudgeName   string           `json:"judgeName"`
	Results     []analysisResult `json:"results"`
	GroupScores []groupScore     `json:"groupScores"`
	Score       judgeScore       `json:"score"`
}

type analysisResult struct {
	Name                 string            `json:"name"`
	ID                   string            `json:"id"`
	Tags                 map[string]string `json:"tags"`
	Classification       string            `json:"classification"`
	ClassificationReason string            `json:"classificationReason,omitempty"`
	Groups               []string          `json:"groups"`
	ExperimentMetadata   map[string]any    `json:"experimentMetadata"`
	ControlMetadata      map[string]any    `json:"controlMetadata"`
	ResultMetadata       map[string]any    `json:"resultMetadata"`
	Critical             bool              `json:"critical"`
	Muted                bool              `json:"muted"`
}

type groupScore struct {
	Name           string  `json:"name"`
	Score          float64 `json:"score"`
	Classification string  `json:"classification"`
}

type judgeScore struct {
	Score                float64 `json:"score"`
	Classification       string  `json:"classification"`
	ClassificationReason string  `json:"classificationReason"`
}

// judgeName names augur's judge in results.
const judgeName = "augur-mannwhitney"

// runState is Kayenta's (Orca's) execution status of an experiment:
// the enum name (executionStatus), whether it is complete, and the
// exception of an errored verdict.
func runState(x analysis.Experiment) (status string, complete bool, exc *exception) {
	switch analysis.RunStatus(x.Status) {
	case analysis.RunRunning:
		return "RUNNING", false, nil
	case analysis.RunPaused:
		return "PAUSED", false, nil
	case analysis.RunAborted:
		if x.Verdict != nil && x.Verdict.Verdict == judges.OutcomeFail {
			// Ended as fail by a production alert (abort_on_alert): a
			// judged canary, failed, not a cancelled one.
			return "SUCCEEDED", true, nil
		}
		return "CANCELED", true, nil
	case analysis.RunCompleted:
		if x.Verdict != nil && x.Verdict.Verdict == judges.OutcomeError {
			return "TERMINAL", true, &exception{ExceptionType: "AnalysisError",
				Details: exceptionDetails{Error: x.Verdict.Reason, Errors: []string{x.Verdict.Reason}}}
		}
		return "SUCCEEDED", true, nil
	}
	return "NOT_STARTED", false, nil
}

// statusTimes are x's times: built and started when created, ended when
// its verdict was reached.
func statusTimes(x analysis.Experiment, complete bool) times {
	t := times{BuildTimeMillis: millis(x.CreatedAt), BuildTimeIso: iso(x.CreatedAt),
		StartTimeMillis: millis(x.CreatedAt), StartTimeIso: iso(x.CreatedAt)}
	if complete && x.Verdict != nil {
		end := millis(x.Verdict.CompletedAt)
		t.EndTimeMillis, t.EndTimeIso = &end, iso(x.Verdict.CompletedAt)
	}
	return t
}

// lookup returns the execution of kind with its experiment.
func (a *api) lookup(c *gin.Context, kind string) (state.KayentaExecution, analysis.Experiment, bool) {
	ctx, id := c.Request.Context(), c.Param("id")
	rec, err := a.store.GetKayentaExecution(ctx, id)
	if err == nil && rec.Kind != kind {
		err = fmt.Errorf("execution %s is a %s execution: %w", id, rec.Kind, analysis.ErrNotFound)
	}
	if err != nil {
		a.fail(c, err, "execution", id)
		return rec, analysis.Experiment{}, false
	}
	x, err := a.exps.Get(ctx, id)
	if err != nil {
		a.fail(c, err, "execution", id)
		return rec, x, false
	}
	return rec, x, true
}

func (a *api) canaryStatus(c *gin.Context) {
	rec, x, ok := a.lookup(c, state.KayentaCanary)
	if !ok {
		return
	}
	status, complete, exc := runState(x)
	doc := canaryStatus{Application: rec.Application, PipelineID: x.ID, Complete: complete, Status: strings.ToLower(status),
		ExecutionStatus: status, Exception: exc, Config: rec.Config, CanaryConfigID: rec.ConfigID,
		CanaryExecutionRequest: rec.Request, times: statusTimes(x, complete), Warnings: nonNil(rec.Warnings)}
	doc.StageStatus = map[string]string{"judge": strings.ToLower(status)}
	if status == "SUCCEEDED" && x.Verdict != nil {
		doc.Result = &canaryResult{JudgeResult: judge(*x.Verdict, x.Spec.Thresholds), CanaryDuration: isoDuration(x.Verdict.Window)}
	}
	c.JSON(http.StatusOK, doc)
}

// judge is a verdict as Kayenta's judge result. The score is the
// verdict's, except that an inconclusive verdict scores 0 (Nodata), and a
// failed one scores at most 0 when its score alone would not fail it (a
// critical metric failed), as Kayenta's judge scores a critical failure.
func judge(v analysis.Verdict, th analysis.ScoreThreshold) judgeResult {
	r := judgeResult{JudgeName: judgeName, Results: []analysisResult{}, GroupScores: []groupScore{}}
	type tally struct{ pass, total, metrics int }
	groups := map[string]*tally{}
	var order []string
	for _, m := range v.Metrics {
		if m.Variant != "" && m.Variant != "canary" {
			continue
		}
		res := analysisResult{Name: m.Name, ID: m.Name, Tags: map[string]string{}, Classification: classification(m),
			ClassificationReason: m.Reason, Groups: []string{}, Critical: m.Critical, Muted: m.DryRun,
			ExperimentMetadata: map[string]any{"stats": stats(m.Canary)}, ControlMetadata: map[string]any{"stats": stats(m.Baseline)},
			ResultMetadata: map[string]any{}}
		if m.MeanRatio != nil {
			res.ResultMetadata["ratio"] = *m.MeanRatio
		}
		if m.Group != "" {
			res.Groups = []string{m.Group}
			g, ok := groups[m.Group]
			if !ok {
				g = &tally{}
				groups[m.Group] = g
				order = append(order, m.Group)
			}
			g.metrics++
			switch res.Classification {
			case "Pass":
				g.pass++
				g.total++
			case "High", "Low", "NodataFailMetric":
				g.total++
			}
		}
		r.Results = append(r.Results, res)
	}
	for _, name := range order {
		g := groups[name]
		gs := groupScore{Name: name, Classification: "Nodata"}
		if g.total > 0 {
			gs.Score = 100 * float64(g.pass) / float64(g.total)
			gs.Classification = classifyScore(gs.Score, th)
		}
		r.GroupScores = append(r.GroupScores, gs)
	}
	score := 0.0
	if v.Score != nil {
		score = *v.Score
	}
	switch v.Verdict {
	case judges.OutcomeInconclusive:
		r.Score = judgeScore{Score: 0, Classification: "Nodata", ClassificationReason: v.Reason}
	case judges.OutcomeFail:
		if score >= th.Marginal {
			score = 0
		}
		r.Score = judgeScore{Score: score, Classification: "Fail", ClassificationReason: v.Reason}
	default:
		r.Score = judgeScore{Score: score, Classification: classifyScore(score, th), ClassificationReason: v.Reason}
	}
	return r
}

// classification is a metric's as Kayenta's judge names it.
func classification(m analysis.MetricResult) string {
	if m.MustHaveDataBreach {
		return "NodataFailMetric"
	}
	switch m.Classification {
	case judges.Pass:
		return "Pass"
	case judges.High:
		return "High"
	case judges.Low:
		return "Low"
	case judges.Error:
		return "Error"
	}
	return "Nodata"
}

// classifyScore is Kayenta's threshold score classifier.
func classifyScore(score float64, th analysis.ScoreThreshold) string {
	switch {
	case score >= th.Pass:
		return "Pass"
	case score >= th.Marginal:
		return "Marginal"
	}
	return "Fail"
}

func stats(s analysis.CohortSummary) map[string]any {
	out := map[string]any{"count": s.N}
	if s.Mean != nil {
		out["mean"] = *s.Mean
	}
	if s.Median != nil {
		out["median"] = *s.Median
	}
	return out
}

// isoDuration writes a window's length as ISO 8601 (PT30M).
func isoDuration(w analysis.TimeRange) string {
	d := w.End.Sub(w.Start).Round(time.Second)
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("PT%dS", int64(d/time.Second))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
