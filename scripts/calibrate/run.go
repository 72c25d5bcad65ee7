package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"text/template"
	"time"

	"github.com/prometheus/prometheus/prompb"
)

// backend starts a fresh augur server (empty store) and returns its base
// URL and a function that stops it and removes its data.
type backend interface {
	start(ctx context.Context) (base string, stop func(), err error)
}

// cpuMeter is a backend that knows the CPU time its servers used.
type cpuMeter interface{ serverCPU() time.Duration }

// runner measures classes against servers its backend starts.
type runner struct {
	backend backend
	// specs are the spec templates by name: each class's own, or the
	// override for every class when override is set.
	specs    map[string]*template.Template
	override string
	bounds   []float64
	// reps per class, batch replicates per server.
	reps, batch int
	// senders post remote-write requests concurrently; seriesPerWrite
	// series go in one request.
	senders, seriesPerWrite int
	seed                    uint64
	// timeout bounds one batch's wait for its verdicts.
	timeout time.Duration
	// endLag: the data end this long before now (whole minutes).
	endLag   time.Duration
	progress io.Writer
	// failed, when set, gets one line per metric that failed a replicate:
	// the class, the replicate, the interval and the metric's reason.
	failed io.Writer
	now    func() time.Time
}

// repResult is one replicate's outcome by augur and by the references.
type repResult struct {
	rep int
	out outcome
	ref reference
	err error // the replicate got no final verdict
}

// classResult is a class's replicates and how long they took.
type classResult struct {
	c class
	// spec names the spec template the class was judged with.
	spec    string
	reps    []repResult
	elapsed time.Duration
	// serverCPU is the CPU time of the class's servers (0: unknown).
	serverCPU time.Duration
}

// runClass measures one class, batch by batch.
func (r *runner) runClass(ctx context.Context, c class) (classResult, error) {
	began := time.Now()
	res := classResult{c: c, spec: r.specName(c)}
	if r.specs[res.spec] == nil {
		return res, fmt.Errorf("class %s: spec %s not loaded", c.name, res.spec)
	}
	meter, metered := r.backend.(cpuMeter)
	var cpu0 time.Duration
	if metered {
		cpu0 = meter.serverCPU()
	}
	for from := 0; from < r.reps; from += r.batch {
		to := min(from+r.batch, r.reps)
		got, err := r.runBatch(ctx, c, from, to)
		if err != nil {
			return res, fmt.Errorf("class %s, replicates %d–%d: %w", c.name, from, to-1, err)
		}
		res.reps = append(res.reps, got...)
		r.logf("%s: %d of %d replicates judged (%s)\n", c.name, len(res.reps), r.reps, time.Since(began).Round(time.Second))
	}
	res.elapsed = time.Since(began)
	if metered {
		res.serverCPU = meter.serverCPU() - cpu0
	}
	return res, nil
}

// specName is the spec class c is judged with: the override, else its own.
func (r *runner) specName(c class) string {
	if r.override != "" {
		return r.override
	}
	return c.spec
}

// loadSpecs loads the spec templates the classes need: override alone
// when set, else each class's own.
func loadSpecs(cs []class, override string) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, c := range cs {
		name := c.spec
		if override != "" {
			name = override
		}
		if out[name] != nil {
			continue
		}
		t, err := loadTemplate(name)
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func (r *runner) logf(format string, args ...any) {
	if r.progress != nil {
		fmt.Fprintf(r.progress, format, args...)
	}
}

// runBatch generates replicates [from, to) into a fresh server, judges
// each with one experiment and waits for every final verdict.
func (r *runner) runBatch(ctx context.Context, c class, from, to int) ([]repResult, error) {
	base, stop, err := r.backend.start(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	client := &http.Client{Timeout: 2 * time.Minute}
	end := r.now().UTC().Truncate(time.Minute).Add(-r.endLag)
	start := end.Add(-hourMinutes * time.Minute)

	results := make([]repResult, to-from)
	began := time.Now()
	if err := r.ingest(ctx, writer{base: base, client: client}, c, from, to, start, results); err != nil {
		return nil, err
	}

	ingested := time.Now()
	a := api{base: base, client: client}
	ids := make([]string, len(results))
	for i := range results {
		spec, err := render(r.specs[r.specName(c)], c, from+i, start)
		if err != nil {
			return nil, fmt.Errorf("spec template: %w", err)
		}
		if ids[i], err = a.create(ctx, spec); err != nil {
			return nil, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range results {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i].out, results[i].err = a.await(wctx, ids[i])
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	r.logFailed(c, results)
	r.logf("%s: replicates %d–%d: generated and written in %s, judged in %s\n", c.name, from, to-1,
		ingested.Sub(began).Round(100*time.Millisecond), time.Since(ingested).Round(100*time.Millisecond))
	return results, nil
}

// ingest generates the replicates, computes their references and
// remote-writes their series with r.senders concurrent senders.
func (r *runner) ingest(ctx context.Context, w writer, c class, from, to int, start time.Time, results []repResult) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writes := make(chan []prompb.TimeSeries, r.senders)
	errc := make(chan error, r.senders)
	var senders sync.WaitGroup
	for i := 0; i < r.senders; i++ {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for ts := range writes {
				if err := w.write(ctx, ts); err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
	g := generator{c: c, bounds: r.bounds, seed: r.seed}
	var pending []prompb.TimeSeries
	flush := func() bool {
		select {
		case writes <- pending:
			pending = nil
			return true
		case <-ctx.Done():
			return false
		}
	}
	for rep := from; rep < to && ctx.Err() == nil; rep++ {
		rp := g.generate(rep)
		results[rep-from] = repResult{rep: rep, ref: references(rp, r.bounds)}
		pending = append(pending, series(rp, r.bounds, start)...)
		for len(pending) >= r.seriesPerWrite && ctx.Err() == nil {
			rest := append([]prompb.TimeSeries(nil), pending[r.seriesPerWrite:]...)
			pending = pending[:r.seriesPerWrite]
			if !flush() {
				break
			}
			pending = rest
		}
	}
	if len(pending) > 0 && ctx.Err() == nil {
		flush()
	}
	close(writes)
	senders.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return ctx.Err()
	}
}

// logFailed writes the failing metrics of the failed replicates to
// r.failed: what to read when a healthy class fails more often than it
// should.
func (r *runner) logFailed(c class, results []repResult) {
	if r.failed == nil {
		return
	}
	for _, res := range results {
		if res.out.verdict != "fail" {
			continue
		}
		for name, cl := range res.out.classes {
			if cl == "high" || cl == "low" {
				fmt.Fprintf(r.failed, "%s\trep %d\tinterval %d\t%s\t%s\n", c.name, res.rep, res.out.interval, name, res.out.reasons[name])
			}
		}
	}
}
