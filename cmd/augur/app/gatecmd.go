package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/web/gates"
)

// GateArgs configures augur gate.
type GateArgs struct {
	// Server is the running augur's base URL.
	Server string
	// Template names the stored template to instantiate.
	Template string
	// Key is the idempotency key: a rerun of the pipeline step with the
	// same key follows the same run.
	Key string
	// Args are the template's args, k=v each.
	Args []string
	// Poll is how often the gate is asked.
	Poll time.Duration
	// Format is text (default) or json for the final verdict.
	Format string
	// Progress draws a progress bar (a terminal); otherwise one line per
	// interval.
	Progress bool
}

// GateCommand is augur gate's command line.
type GateCommand struct {
	cmd  *kingpin.CmdClause
	args GateArgs
}

// NewGateCommand declares augur gate on a.
func NewGateCommand(a *kingpin.Application) *GateCommand {
	g := &GateCommand{}
	g.cmd = a.Command("gate", "Instantiate a template on a running augur and wait for its final verdict (for CD pipelines). Exit code: 0 pass, 1 fail, 2 inconclusive or marginal, 3 error.")
	g.cmd.Flag("server", "The running augur's URL.").Required().StringVar(&g.args.Server)
	g.cmd.Flag("template", "The stored template to instantiate.").Required().StringVar(&g.args.Template)
	g.cmd.Flag("key", "Idempotency key: the same key follows the same run (e.g. the pipeline's commit and environment).").Required().StringVar(&g.args.Key)
	g.cmd.Flag("arg", "A template arg, name=value (repeatable).").StringsVar(&g.args.Args)
	g.cmd.Flag("poll", "How often to ask for the verdict.").Default("5s").DurationVar(&g.args.Poll)
	g.cmd.Flag("output", "Final verdict as text or json.").Short('o').Default("text").EnumVar(&g.args.Format, "text", "json")
	return g
}

// FullCommand is the command's name for the dispatcher.
func (g *GateCommand) FullCommand() string { return g.cmd.FullCommand() }

// Run runs augur gate on the standard streams and returns the exit code.
func (g *GateCommand) Run(ctx context.Context) int {
	g.args.Progress = IsTerminal(os.Stderr)
	return Gate(ctx, os.Stdout, os.Stderr, g.args)
}

// Gate instantiates a template through the Argo gate (or finds the run
// the key already has), follows its intervals and returns augur
// analyze's exit code for its final verdict.
func Gate(ctx context.Context, out, errOut io.Writer, a GateArgs) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(errOut, "augur gate: "+format+"\n", args...)
		return ExitError
	}
	u, err := url.Parse(a.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail("--server must be an http(s) URL, got %q", a.Server)
	}
	if a.Poll <= 0 {
		return fail("--poll must be positive, got %s", a.Poll)
	}
	args := map[string]string{}
	for _, kv := range a.Args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fail("--arg %q: want name=value", kv)
		}
		args[k] = v
	}
	c := gateClient{base: strings.TrimRight(a.Server, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	body, _ := json.Marshal(map[string]any{"key": a.Key, "args": args})
	var (
		p      *progress
		run    analysis.Run
		after  = -1
		warned bool
	)
	defer func() {
		if p != nil {
			p.stop()
		}
	}()
	for {
		st, err := c.gate(ctx, a.Template, body)
		var refused *gateRefusal
		switch {
		case errors.As(err, &refused):
			return fail("%s", refused.Error())
		case err != nil && ctx.Err() != nil:
			return fail("stopped waiting: %v", ctx.Err())
		case err != nil:
			if !warned {
				fmt.Fprintf(errOut, "augur gate: %v; asking again every %s\n", err, a.Poll)
				warned = true
			}
		default:
			warned = false
			if p == nil {
				if run, err = c.run(ctx, st.RunID); err != nil {
					return fail("%v", err)
				}
				p = newProgress(errOut, runAnchored(run), a.Progress)
				fmt.Fprintf(errOut, "experiment %s, run %s: %s\n", st.ExperimentID, st.RunID, st.ReportURL)
			}
			if after, err = c.follow(ctx, run, after, p); err != nil {
				return fail("%v", err)
			}
			if st.Final {
				if run, err = c.run(ctx, st.RunID); err != nil {
					return fail("%v", err)
				}
				if run.Verdict == nil {
					return fail("run %s ended without a verdict", st.RunID)
				}
				p.stop()
				return printGateVerdict(out, a.Format, *run.Verdict, st.ReportURL)
			}
		}
		t := time.NewTimer(a.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail("stopped waiting: %v", ctx.Err())
		case <-t.C:
		}
	}
}

func printGateVerdict(out io.Writer, format string, v analysis.Verdict, report string) int {
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return ExitError
		}
	} else {
		PrintVerdict(out, v)
		fmt.Fprintf(out, "report: %s\n", report)
	}
	return ExitCode(v.Verdict)
}

// gateClient talks to augur's API.
type gateClient struct {
	base string
	http *http.Client
}

// gateRefusal is a call the server refused (4xx): asking again would not
// help.
type gateRefusal struct {
	code int
	msg  string
}

func (e *gateRefusal) Error() string { return fmt.Sprintf("%d: %s", e.code, e.msg) }

// gate asks the Argo gate; a 503 with a status body is an answer (a
// source failure under on_error: error).
func (c gateClient) gate(ctx context.Context, template string, body []byte) (gates.Status, error) {
	var st gates.Status
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+gates.Prefix+"/gates/argo/"+url.PathEscape(template), bytes.NewReader(body))
	if err != nil {
		return st, err
	}
	req.Header.Set("Content-Type", "application/json")
	code, b, err := c.do(req)
	if err != nil {
		return st, err
	}
	if code == http.StatusOK || code == http.StatusServiceUnavailable {
		if err := json.Unmarshal(b, &st); err == nil && st.RunID != "" {
			return st, nil
		}
	}
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if code >= 400 && code < 500 {
		return st, &gateRefusal{code: code, msg: msg}
	}
	return st, fmt.Errorf("gate answered %d: %s", code, msg)
}

func (c gateClient) do(req *http.Request) (int, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, b, err
}

func (c gateClient) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	code, b, err := c.do(req)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, code, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, v)
}

func (c gateClient) run(ctx context.Context, id string) (analysis.Run, error) {
	var r analysis.Run
	err := c.getJSON(ctx, "/api/v1/runs/"+url.PathEscape(id), &r)
	return r, err
}

// follow reports the run's intervals judged after index after, and
// returns the last one's index.
func (c gateClient) follow(ctx context.Context, run analysis.Run, after int, p *progress) (int, error) {
	for {
		var page struct {
			Intervals []analysis.IntervalResult `json:"intervals"`
			NextAfter *int                      `json:"next_after"`
		}
		if err := c.getJSON(ctx, fmt.Sprintf("/api/v1/runs/%s/intervals?after=%d", url.PathEscape(run.ID), after), &page); err != nil {
			return after, err
		}
		sch := run.Spec.Schedule(run.StartedAt)
		for _, res := range page.Intervals {
			_, _, next := sch.Window(res.Index + 1)
			p.interval(res.Verdict, next)
			after = res.Index
		}
		if page.NextAfter == nil {
			return after, nil
		}
	}
}

// runAnchored is the run's spec with its schedule pinned to the run's
// start, so that the progress shows when the run's intervals come due.
func runAnchored(run analysis.Run) analysis.Spec {
	spec := run.Spec
	begin := spec.Schedule(run.StartedAt).Begin
	spec.Timing.Start, spec.Timing.BeginAfter = &analysis.StartTime{At: &begin}, 0
	return spec
}
