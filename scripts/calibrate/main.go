// Command calibrate measures augur's verdicts on generated telemetry: for
// each class of healthy (A/A) and regressed cohort pairs it generates
// replicates of an hour of span metrics per pod, remote-writes them into a
// fresh `augur serve`, judges each replicate with the experiment a user
// would write (specs/canary.yaml; specs/sequential.yaml, the sequential
// judges, for the classes judged every minute), and prints per class augur's false-fail
// or detection rate with its Wilson 95 % interval next to two references
// computed here from the generated data: Kayenta's MannWhitney rule over
// pooled points, and a t-test over one value per pod.
// scripts/calibrate.sh builds augur and runs it; docs/calibration.md
// describes the classes and how to read the table.
//
// It only starts servers on loopback, bounds every wait, and exits 0 when
// every replicate got a final verdict (with -strict, only when every
// class also meets its target).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/augurhq/augur/collector"
)

func main() { os.Exit(run()) }

// run measures the classes the flags name and returns the exit code.
func run() int {
	bin := flag.String("augur-bin", "bin/augur", "the augur binary to measure")
	reps := flag.Int("reps", 500, "replicates per class")
	list := flag.String("classes", "", "comma-separated classes to run (default all)")
	batch := flag.Int("batch", 100, "replicates per server (a fresh store each)")
	senders := flag.Int("senders", 4, "concurrent remote-write senders")
	seed := flag.Uint64("seed", 1, "random seed (a replicate depends only on it, its class and its index)")
	spec := flag.String("spec", "", "spec template for every class: a file, or the name of a built-in under specs/ (default: each class's own, canary.yaml or sequential.yaml)")
	timeout := flag.Duration("timeout", 30*time.Minute, "longest wait for one batch's verdicts")
	markdown := flag.Bool("markdown", false, "print a Markdown table")
	tmpDir := flag.String("tmp", defaultTmp(), "where the servers' data directories go (tmpfs by default: the state store's fsyncs would dominate otherwise)")
	strict := flag.Bool("strict", false, "exit 1 when a class misses its target")
	failedPath := flag.String("failed", "", "write each failed replicate's failing metrics and their reasons to this file")
	flag.Parse()

	cs, err := selectClasses(*list)
	if err == nil && (*reps < 1 || *batch < 1 || *senders < 1) {
		err = fmt.Errorf("-reps %d, -batch %d, -senders %d: each must be at least 1", *reps, *batch, *senders)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "calibrate:", err)
		return 2
	}
	specs, err := loadSpecs(cs, *spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "calibrate: -spec:", err)
		return 2
	}
	path, err := absBin(*bin)
	if err == nil {
		_, err = os.Stat(path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "calibrate: -augur-bin:", err)
		return 2
	}
	dir, err := os.MkdirTemp(*tmpDir, "augur-calibrate-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "calibrate:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	r := &runner{
		backend: processBackend{bin: path, dir: dir, cpu: new(atomic.Int64)}, specs: specs, override: *spec, bounds: collector.DefaultDurationBuckets(),
		reps: *reps, batch: *batch, senders: *senders, seriesPerWrite: 2000, seed: *seed,
		timeout: *timeout, endLag: 3 * time.Minute, progress: os.Stderr, now: time.Now,
	}
	if *failedPath != "" {
		f, err := os.Create(*failedPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "calibrate: -failed:", err)
			return 2
		}
		defer f.Close()
		r.failed = f
	}
	specNote := "each class's own"
	if *spec != "" {
		specNote = *spec
	}
	fmt.Printf("augur calibration: %s, %d replicates per class, seed %d, spec %s\n\n", path, *reps, *seed, specNote)
	out := table{w: os.Stdout, markdown: *markdown}
	out.header()
	missed, incomplete := 0, 0
	for _, c := range cs {
		res, err := r.runClass(ctx, c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "calibrate:", err)
			return 1
		}
		s := summarise(res)
		if _, ok := s.target(); !ok {
			missed++
		}
		if s.missing > 0 {
			incomplete++
			for _, rr := range res.reps {
				if rr.err != nil {
					fmt.Fprintf(os.Stderr, "calibrate: %s replicate %d: %v\n", c.name, rr.rep, rr.err)
					break
				}
			}
		}
		out.row(s.row())
	}
	fmt.Printf("\n%d of %d classes miss their target\n", missed, len(cs))
	switch {
	case incomplete > 0:
		fmt.Printf("%d class(es) have replicates without a final verdict\n", incomplete)
		return 1
	case *strict && missed > 0:
		return 1
	}
	return 0
}

// defaultTmp is /dev/shm when it is a writable directory, else the
// system's temporary directory.
func defaultTmp() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp("/dev/shm", "augur-calibrate-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return os.TempDir()
}
