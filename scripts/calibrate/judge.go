package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/template"
	"time"
)

//go:embed specs/*.yaml
var specFiles embed.FS

// specFields fill a spec template.
type specFields struct {
	Name     string
	Rep      int
	Start    string // RFC 3339: the data's first minute
	Interval string // 5m, or 1m when monitoring
}

// loadTemplate parses a spec template: a file path, or the name of one
// under specs/ (built in).
func loadTemplate(name string) (*template.Template, error) {
	b, err := specFiles.ReadFile("specs/" + name)
	if err != nil {
		return template.ParseFiles(name)
	}
	return template.New(name).Option("missingkey=error").Parse(string(b))
}

// outcome is what augur concluded for one replicate.
type outcome struct {
	verdict string // pass, marginal, fail, inconclusive, error; "" when none arrived
	// interval is the interval at which the run ended (1-based).
	interval int
	// classes is each metric's classification in the final verdict.
	classes map[string]string
	// reasons is each metric's reason in the final verdict.
	reasons map[string]string
	reason  string
}

// apiVerdict is the part of the verdict endpoint's answer the tool reads.
type apiVerdict struct {
	Status   string `json:"status"`
	Verdict  string `json:"verdict"`
	Reason   string `json:"reason"`
	Interval int    `json:"interval"`
	Metrics  []struct {
		Name           string `json:"name"`
		Classification string `json:"classification"`
		Reason         string `json:"reason"`
	} `json:"metrics"`
}

// api talks to augur's experiments API.
type api struct {
	base   string
	client *http.Client
}

// create posts a spec (YAML) and returns the experiment's id; the server
// starts its run at once.
func (a api) create(ctx context.Context, spec []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/api/v1/experiments", bytes.NewReader(spec))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := a.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("create experiment: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create experiment: %d %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	var x struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &x); err != nil || x.ID == "" {
		return "", fmt.Errorf("create experiment: no id in %s", bytes.TrimSpace(b))
	}
	return x.ID, nil
}

// await long-polls the experiment's verdict until its run has ended or
// ctx ends.
func (a api) await(ctx context.Context, id string) (outcome, error) {
	for {
		v, final, err := a.verdict(ctx, id)
		if err != nil {
			return outcome{}, err
		}
		if final {
			o := outcome{verdict: v.Verdict, interval: v.Interval, reason: v.Reason, classes: map[string]string{}, reasons: map[string]string{}}
			for _, m := range v.Metrics {
				o.classes[m.Name] = m.Classification
				o.reasons[m.Name] = m.Reason
			}
			return o, nil
		}
		if ctx.Err() != nil {
			return outcome{}, ctx.Err()
		}
	}
}

// verdict asks once, waiting up to 30 s for the run to end.
func (a api) verdict(ctx context.Context, id string) (apiVerdict, bool, error) {
	var v apiVerdict
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/api/v1/experiments/"+id+"/verdict?wait=30s", nil)
	if err != nil {
		return v, false, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return v, false, fmt.Errorf("verdict of %s: %w", id, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	// 503 carries the final verdict "error".
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return v, false, fmt.Errorf("verdict of %s: %d %s", id, resp.StatusCode, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, false, fmt.Errorf("verdict of %s: %w", id, err)
	}
	return v, v.Verdict != "" && v.Verdict != "pending", nil
}

// render fills the template for one replicate.
func render(t *template.Template, c class, rep int, start time.Time) ([]byte, error) {
	var buf bytes.Buffer
	err := t.Execute(&buf, specFields{
		Name:     "calibrate-" + c.name + "-" + strconv.Itoa(rep),
		Rep:      rep,
		Start:    start.UTC().Format(time.RFC3339),
		Interval: strconv.Itoa(c.intervalMinutes) + "m",
	})
	return buf.Bytes(), err
}
