// Command augur is the augur binary: serve, demo, judge and version. It only
// parses flags and signals and hands over to package app.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
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
	var grpcSet, jaegerSet bool
	grpcListen := serve.Flag("otlp-grpc-listen", "OTLP/gRPC listen address, also serving Jaeger's collector service (default 127.0.0.1:4317; empty turns it off).").IsSetByUser(&grpcSet).String()
	jaegerListen := serve.Flag("jaeger-listen", "Standalone Jaeger gRPC collector address (default 127.0.0.1:14250; empty turns it off).").IsSetByUser(&jaegerSet).String()

	demo := a.Command("demo", "Simulate a canary rollout end to end and print the verdict.")
	healthy := demo.Flag("healthy", "Inject no regression: the verdict must be pass.").Bool()
	demoVerbose := demo.Flag("verbose", "Print the server's log.").Bool()
	demoKeep := demo.Flag("keep", "Keep serving after the verdict, until interrupted, so that the report can be opened in a browser.").Bool()

	analyze := a.Command("analyze", "Run one experiment against its sources, without a server (for CD pipelines). Exit code: 0 pass, 1 fail, 2 inconclusive or marginal, 3 error.")
	var aa app.AnalyzeArgs
	analyze.Flag("file", "Experiment spec (YAML or JSON), or - for stdin.").Short('f').Required().StringVar(&aa.SpecFile)
	analyze.Flag("server", "A running augur's URL: metrics on the embedded source read its query API.").StringVar(&aa.Server)
	analyze.Flag("output", "Final verdict as text or json.").Short('o').Default("text").EnumVar(&aa.Format, "text", "json")
	check := a.Command("check", "Validate an experiment spec, or with --config the server configuration (printing its receivers, routing tree, inhibit rules and time intervals): exit 0 when valid, 1 naming every invalid field.")
	checkFile := check.Arg("spec", "Experiment spec (YAML or JSON), or - for stdin; not with --config.").String()
	var cc app.CheckConfigArgs
	check.Flag("config", "Validate this server configuration instead of a spec.").StringVar(&cc.ConfigFile)
	check.Flag("route-test", "With --config: a label=value of a message to route (repeatable, one message); prints the receivers it goes to, in order.").StringsVar(&cc.RouteTests)

	judge := a.Command("judge", "Run a judge offline on sample files.")
	mw := judge.Command("mannwhitney", "Mann–Whitney U with Hodges–Lehmann shift and confidence interval.")
	mwBaseline := mw.Flag("baseline", "Baseline samples: one number per line, or - for stdin.").Required().String()
	mwCanary := mw.Flag("canary", "Canary samples: one number per line, or - for stdin.").Required().String()
	mwAlternative := mw.Flag("alternative", "Alternative hypothesis, in the canary's terms.").Default("two-sided").Enum("two-sided", "greater", "less")
	mwMethod := mw.Flag("method", "p-value: auto (exact when n, m < 50 without ties, as R), exact or asymptotic.").Default("auto").Enum("auto", "exact", "asymptotic")
	mwConfidence := mw.Flag("confidence", "Confidence level of the interval.").Default("0.98").Float64()
	mwFormat := mw.Flag("format", "Output format: json or table.").Default("table").Enum("json", "table")

	twoSample := func(name, help string) (cmd *kingpin.CmdClause, args *app.SamplesArgs, alt, format *string) {
		cmd = judge.Command(name, help)
		args = &app.SamplesArgs{}
		cmd.Flag("baseline", "Baseline samples: one number per line, or - for stdin.").Required().StringVar(&args.Baseline)
		cmd.Flag("canary", "Canary samples: one number per line, or - for stdin.").Required().StringVar(&args.Canary)
		alt = cmd.Flag("alternative", "Alternative hypothesis, in the canary's terms.").Default("two-sided").Enum("two-sided", "greater", "less")
		format = cmd.Flag("format", "Output format: json or table.").Default("table").Enum("json", "table")
		return cmd, args, alt, format
	}
	welch, welchArgs, welchAlt, welchFormat := twoSample("welch", "Welch's two-sample t test with a confidence interval for the mean difference.")
	welch.Flag("confidence", "Confidence level of the interval.").Default("0.95").Float64Var(&welchArgs.Confidence)
	ks, ksArgs, ksAlt, ksFormat := twoSample("ks", "Two-sample Kolmogorov–Smirnov test.")
	ksMethod := ks.Flag("method", "p-value: auto, exact or asymptotic.").Default("auto").Enum("auto", "exact", "asymptotic")

	props := judge.Command("proportions", "Compare error counts: pooled z, Yates χ², Fisher exact, Bayesian P(canary worse).")
	var pa app.ProportionsArgs
	props.Flag("baseline-errors", "Baseline error count.").Required().Int64Var(&pa.BaselineErrors)
	props.Flag("baseline-total", "Baseline request count.").Required().Int64Var(&pa.BaselineTotal)
	props.Flag("canary-errors", "Canary error count.").Required().Int64Var(&pa.CanaryErrors)
	props.Flag("canary-total", "Canary request count.").Required().Int64Var(&pa.CanaryTotal)
	props.Flag("format", "Output format: json or table.").Default("json").EnumVar(&pa.Format, "json", "table")

	adjust := judge.Command("adjust", "Adjust p-values for multiple comparisons (as R's p.adjust), in input order.")
	adjustMethod := adjust.Flag("method", "bonferroni, holm, hochberg, bh or by.").Required().Enum("bonferroni", "holm", "hochberg", "bh", "by")
	adjustFormat := adjust.Flag("format", "Output format: json or table.").Default("json").Enum("json", "table")
	adjustP := adjust.Arg("p", "p-values.").Required().Strings()

	storeCmd := a.Command("store", "Offline maintenance of the embedded store; run it with augur serve stopped.")
	repair := storeCmd.Command("repair", "Rewrite the store without the samples outside a time window, for a store poisoned by samples far ahead of (or behind) the clock. The replaced files are kept in a backup directory; the experiment state is not touched.")
	var ra app.RepairArgs
	repair.Flag("config", "YAML configuration of augur serve: the store section gives the data directory and the defaults.").StringVar(&ra.ConfigFile)
	repair.Flag("data-dir", "Data directory (default store.dir, ./data).").StringVar(&ra.DataDir)
	repair.Flag("drop-after", "Drop samples after this time: RFC 3339 or now±duration (default now+store.max_future, now+10m).").StringVar(&ra.DropAfter)
	repair.Flag("drop-before", "Drop samples before this time: RFC 3339 or now±duration (default now-store.retention, now-360h).").StringVar(&ra.DropBefore)
	repair.Flag("backup-dir", "Where the replaced files go (default DATA_DIR/store-backup-<UTC time>).").StringVar(&ra.BackupDir)
	repair.Flag("dry-run", "Only count the samples that would be dropped.").BoolVar(&ra.DryRun)

	templates := app.TemplateCommands(a)

	gate := app.NewGateCommand(a)
	notifyCmd := app.NewNotifyCommand(a)
	version := a.Command("version", "Print the version.")

	cmd, err := a.Parse(joinStdinValues(os.Args[1:]))
	if err != nil {
		fmt.Fprintf(os.Stderr, "augur: %v (try --help)\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case serve.FullCommand():
		// load reads the file and applies the flags over it, at start and
		// on every reload (SIGHUP, POST /-/reload).
		load := func() (app.Config, error) {
			cfg := app.DefaultConfig()
			if *configFile != "" {
				var err error
				if cfg, err = app.LoadConfig(*configFile); err != nil {
					return cfg, err
				}
			}
			if listenSet {
				cfg.Listen = *listen
			}
			if dataSet {
				cfg.Store.Dir = *dataDir
			}
			if grpcSet {
				cfg.OTLPGRPC.Listen = *grpcListen
			}
			if jaegerSet {
				cfg.Jaeger.Listen = *jaegerListen
			}
			return cfg, nil
		}
		cfg, err := load()
		if err != nil {
			fail(err, 2)
		}
		var reload app.Loader
		if *configFile != "" {
			reload = load
		}
		fail(app.ServeReloading(ctx, cfg, reload, os.Stderr), 1)
	case gate.FullCommand():
		os.Exit(gate.Run(ctx))
	case notifyCmd.FullCommand():
		os.Exit(notifyCmd.Run(ctx))
	case demo.FullCommand():
		opts := app.DemoOptions{Healthy: *healthy, Keep: *demoKeep}
		if *demoVerbose {
			opts.Logger = app.DefaultConfig().Log.NewLogger(os.Stderr)
		}
		if !opts.Keep { // with --keep, it runs until interrupted
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
		}
		_, err := app.Demo(ctx, os.Stdout, opts)
		fail(err, 1)
	case mw.FullCommand():
		judgeExit(app.JudgeMannWhitney(os.Stdout, os.Stdin, app.MannWhitneyArgs{Baseline: *mwBaseline, Canary: *mwCanary,
			Alternative: judges.Alternative(*mwAlternative), Method: judges.Method(*mwMethod), Confidence: *mwConfidence, Format: *mwFormat}))
	case welch.FullCommand():
		welchArgs.Alternative, welchArgs.Format = judges.Alternative(*welchAlt), *welchFormat
		judgeExit(app.JudgeWelch(os.Stdout, os.Stdin, *welchArgs))
	case ks.FullCommand():
		ksArgs.Alternative, ksArgs.Method, ksArgs.Format = judges.Alternative(*ksAlt), judges.Method(*ksMethod), *ksFormat
		judgeExit(app.JudgeKS(os.Stdout, os.Stdin, *ksArgs))
	case props.FullCommand():
		judgeExit(app.JudgeProportions(os.Stdout, pa))
	case adjust.FullCommand():
		judgeExit(app.JudgeAdjust(os.Stdout, *adjustMethod, *adjustP, *adjustFormat))
	case analyze.FullCommand():
		aa.Progress = app.IsTerminal(os.Stderr)
		os.Exit(app.Analyze(ctx, os.Stdout, os.Stderr, os.Stdin, aa))
	case check.FullCommand():
		os.Exit(app.CheckCommand(os.Stdout, os.Stderr, os.Stdin, *checkFile, cc))
	case repair.FullCommand():
		judgeExit(app.StoreRepair(ctx, os.Stdout, app.DefaultConfig().Log.NewLogger(os.Stderr), ra))
	case templates.Apply, templates.List, templates.Get, templates.Delete:
		os.Exit(templates.Run(ctx, cmd, os.Stdout, os.Stderr, os.Stdin))
	case version.FullCommand():
		fmt.Println("augur", app.Version)
	}
}

// joinStdinValues turns "--flag -" into "--flag=-": kingpin takes a lone
// "-" for a short-flag marker, not a value, and "-" means stdin here.
func joinStdinValues(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "-" && i > 0 && strings.HasPrefix(args[i-1], "--") && !strings.Contains(args[i-1], "=") && len(out) > 0 {
			out[len(out)-1] += "=-"
			continue
		}
		out = append(out, a)
	}
	return out
}

// judgeExit exits 2 for bad input, 1 for any other failure.
func judgeExit(err error) {
	if errors.Is(err, app.ErrBadInput) {
		fail(err, 2)
	}
	fail(err, 1)
}

func fail(err error, code int) {
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "augur: %v\n", err)
	os.Exit(code)
}
