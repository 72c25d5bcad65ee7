package kayentaapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/judges"
)

// standaloneStatus is Kayenta's CanaryAnalysisExecutionStatusResponse.
type standaloneStatus struct {
	Application                    string            `json:"application"`
	User                           string            `json:"user"`
	PipelineID                     string            `json:"pipelineId"`
	StageStatus                    []stageMetadata   `json:"stageStatus"`
	Complete                       bool              `json:"complete"`
	ExecutionStatus                string            `json:"executionStatus"`
	Status                         string            `json:"status"`
	Exception                      *exception        `json:"exception,omitempty"`
	CanaryAnalysisExecutionResult  *standaloneResult `json:"canaryAnalysisExecutionResult,omitempty"`
	CanaryAnalysisExecutionRequest json.RawMessage   `json:"canaryAnalysisExecutionRequest"`
	CanaryConfig                   json.RawMessage   `json:"canaryConfig"`
	CanaryConfigID                 string            `json:"canaryConfigId,omitempty"`
	times
	Warnings []string `json:"warnings"`
}

type stageMetadata struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// standaloneResult is Kayenta's CanaryAnalysisExecutionResult.
type standaloneResult struct {
	DidPassThresholds      bool              `json:"didPassThresholds"`
	HasWarnings            bool              `json:"hasWarnings"`
	CanaryScoreMessage     string            `json:"canaryScoreMessage"`
	CanaryScores           []float64         `json:"canaryScores"`
	CanaryExecutionResults []executionResult `json:"canaryExecutionResults"`
	BuildTimeIso           string            `json:"buildTimeIso"`
	StartTimeIso           string            `json:"startTimeIso"`
	EndTimeIso             string            `json:"endTimeIso,omitempty"`
}

// executionResult is one judgement (one augur interval).
type executionResult struct {
	ExecutionID              string        `json:"executionId"`
	ExecutionStatus          string        `json:"executionStatus"`
	Exception                *exception    `json:"exception,omitempty"`
	Result                   *canaryResult `json:"result,omitempty"`
	JudgementStartTimeIso    string        `json:"judgementStartTimeIso"`
	JudgementStartTimeMillis int64         `json:"judgementStartTimeMillis"`
	JudgementEndTimeIso      string        `json:"judgementEndTimeIso"`
	JudgementEndTimeMillis   int64         `json:"judgementEndTimeMillis"`
	Warnings                 []string      `json:"warnings"`
}

// maxJudgements bounds the judgements one status document lists.
const maxJudgements = 1000

func (a *api) standaloneStatus(c *gin.Context) {
	rec, x, ok := a.lookup(c, state.KayentaStandalone)
	if !ok {
		return
	}
	status, complete, exc := runState(x)
	doc := standaloneStatus{Application: rec.Application, User: "anonymous", PipelineID: x.ID, Complete: complete,
		ExecutionStatus: status, Status: strings.ToLower(status), Exception: exc,
		CanaryAnalysisExecutionRequest: rec.Request, CanaryConfig: rec.Config, CanaryConfigID: rec.ConfigID,
		times: statusTimes(x, complete), Warnings: nonNil(rec.Warnings)}
	doc.StageStatus = []stageMetadata{{Type: "runCanary", Name: "Run Canary Analysis", Status: status}}
	if complete && x.Run != "" {
		res, err := a.judgements(c, x)
		if err != nil {
			a.fail(c, err, "execution", x.ID)
			return
		}
		doc.CanaryAnalysisExecutionResult = res
	}
	c.JSON(http.StatusOK, doc)
}

// judgements are the run's intervals as Kayenta's judgements: every
// score, and whether the run passed (augur's final verdict is pass).
func (a *api) judgements(c *gin.Context, x analysis.Experiment) (*standaloneResult, error) {
	ivs, err := a.exps.Intervals(c.Request.Context(), x.Run, -1, maxJudgements)
	if err != nil {
		return nil, err
	}
	th := x.Spec.Thresholds
	res := &standaloneResult{CanaryScores: []float64{}, CanaryExecutionResults: []executionResult{},
		BuildTimeIso: iso(x.CreatedAt), StartTimeIso: iso(x.CreatedAt)}
	for _, iv := range ivs {
		v := iv.Verdict
		er := executionResult{ExecutionID: fmt.Sprintf("%s-%d", x.Run, iv.Index+1), ExecutionStatus: "SUCCEEDED",
			JudgementStartTimeIso: iso(v.Window.Start), JudgementStartTimeMillis: millis(v.Window.Start),
			JudgementEndTimeIso: iso(v.Window.End), JudgementEndTimeMillis: millis(v.Window.End), Warnings: []string{}}
		if v.Verdict == judges.OutcomeError {
			er.ExecutionStatus = "TERMINAL"
			er.Exception = &exception{ExceptionType: "AnalysisError", Details: exceptionDetails{Error: v.Reason, Errors: []string{v.Reason}}}
		} else {
			jr := judge(v, th)
			er.Result = &canaryResult{JudgeResult: jr, CanaryDuration: isoDuration(v.Window)}
			res.CanaryScores = append(res.CanaryScores, jr.Score.Score)
			res.HasWarnings = res.HasWarnings || jr.Score.Classification == "Marginal"
		}
		res.CanaryExecutionResults = append(res.CanaryExecutionResults, er)
	}
	if v := x.Verdict; v != nil {
		res.DidPassThresholds = v.Verdict == judges.OutcomePass
		res.CanaryScoreMessage = v.Reason
		res.EndTimeIso = iso(v.CompletedAt)
	}
	return res, nil
}
