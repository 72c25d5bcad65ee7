// Command augur is the augur binary: serve, demo, judge and version. It only
// parses flags and signals and hands over to package app.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/augurhq/augur/cmd/augur/app"
	"github.com/augurhq/augur/judges"
)

func main() {
	a := kingpin.New("augur", "Observability and automated canary analysis: is the new version worse?")
	a.HelpFlag.Short('h')

	serve := a.Command("serve", "Run the server: ingest telemetry, store it, run experiments, serve the API.")
	configFile := serve.Flag("config", "YAML configuration file.").String()
	var listenSet, dataSet bool
	listen := serve.Flag("listen", "HTTP listen address (default 127.0.0.1:8080).").IsSetByUser(&listenSet).String()
	dataDir := serve.Flag("data-dir", "Data directory (default ./data).").IsSetByUser(&dataSet).String()

	demo := a.Command("demo", "Simulate a canary rollout end to end and print the verdict.")
	healthy := demo.Flag("healthy", "Inject no regression: the verdict must be pass.").Bool()
	demoVerbose := demo.Flag("verbose", "Print the server's log.").Bool()

	judge := a.Command("judge", "Run a judge offline on sample files.")
	mw := judge.Command("mannwhitney", "Mann–Whitney U with Hodges–Lehmann shift and confidence interval.")
	mwBaseline := mw.Flag("baseline", "Baseline samples: one number per line, or - for stdin.").Required().String()
	mwCanary := mw.Flag("canary", "Canary samples: one number per line, or - for stdin.").Required().String()
	mwAlternative := mw.Flag("alternative", "Alternative hypothesis, in the canary's terms.").Default("two-sided").Enum("two-sided", "greater", "less")
	mwMethod := mw.Flag("method", "p-value: auto (exact when n, m < 50 without ties, as R), exact or asymptotic.").Default("auto").Enum("auto", "exact", "asymptotic")
	mwConfidence := mw.Flag("confidence", "Confidence level of the interval.").Default("0.98").Float64()
	mwFormat := mw.Flag("format", "Output format: json or table.").Default("table").Enum("json", "table")

	version := a.Command("version", "Print the version.")

	cmd, err := a.Parse(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "augur: %v (try --help)\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case serve.FullCommand():
		cfg := app.DefaultConfig()
		if *configFile != "" {
			if cfg, err = app.LoadConfig(*configFile); err != nil {
				fail(err, 2)
			}
		}
		if listenSet {
			cfg.Listen = *listen
		}
		if dataSet {
			cfg.Store.Dir = *dataDir
		}
		fail(app.Serve(ctx, cfg, os.Stderr), 1)
	case demo.FullCommand():
		opts := app.DemoOptions{Healthy: *healthy}
		if *demoVerbose {
			opts.Logger = app.DefaultConfig().Log.NewLogger(os.Stderr)
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		_, err := app.Demo(ctx, os.Stdout, opts)
		fail(err, 1)
	case mw.FullCommand():
		err := app.JudgeMannWhitney(os.Stdout, os.Stdin, app.MannWhitneyArgs{Baseline: *mwBaseline, Canary: *mwCanary,
			Alternative: judges.Alternative(*mwAlternative), Method: judges.Method(*mwMethod), Confidence: *mwConfidence, Format: *mwFormat})
		if errors.Is(err, app.ErrBadInput) {
			fail(err, 2)
		}
		fail(err, 1)
	case version.FullCommand():
		fmt.Println("augur", app.Version)
	}
}

func fail(err error, code int) {
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "augur: %v\n", err)
	os.Exit(code)
}
