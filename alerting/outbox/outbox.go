package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/route"
)

// Options are what an Outbox needs besides its config.
type Options struct {
	// Replica names this process in leases.
	Replica string
	// ReportBase is the external URL reports are linked under ("" for no
	// link).
	ReportBase string
	Logger     *slog.Logger
	// Receivers replaces the receivers built from the config (tests).
	Receivers map[string]notify.Notifier
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observer is told of every attempt (metrics); nil for none.
	Observer Observer
}

// Observer is told what deliveries do.
type Observer interface {
	// Attempted reports one attempt to a receiver and its outcome:
	// delivered, retry or dead.
	Attempted(receiver, outcome string, d time.Duration)
}

// Outbox routes outbox events and delivers the resulting messages. Run
// drives it; every replica runs one.
type Outbox struct {
	cfg       Config
	st        Store
	runs      Runs
	tree      *route.Tree // nil: no routing configured
	receivers map[string]notify.Notifier
	opts      Options
	logger    *slog.Logger
	now       func() time.Time
	wake      chan struct{}

	// router state: only while this replica holds the router lease.
	disp       *route.Dispatcher
	leaseUntil time.Time
	lastCommit time.Time
	lastPrune  time.Time

	mu      sync.Mutex
	rnd     *rand.Rand
	failing map[string]receiverState // receivers held back after failing
}

// New checks cfg and returns an Outbox over st (its outbox tables) and runs
// (the runs and experiments messages are built from).
func New(cfg Config, st Store, runs Runs, opts Options) (*Outbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &Outbox{cfg: cfg, st: st, runs: runs, opts: opts, logger: opts.Logger, now: opts.Now,
		wake: make(chan struct{}, 1), rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		failing: map[string]receiverState{}}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.opts.Replica == "" {
		return nil, errors.New("outbox: a replica name is required")
	}
	o.receivers = opts.Receivers
	if o.receivers == nil {
		var err error
		if o.receivers, err = BuildReceivers(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Route != nil {
		t, err := route.Build(cfg.Config, cfg.ReceiverNames())
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		o.tree = t
	}
	return o, nil
}

// Wake makes Run look for work now (a retry was asked for, a verdict was
// committed).
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run routes and delivers until ctx ends, then gives the router lease up.
func (o *Outbox) Run(ctx context.Context) {
	defer func() {
		if o.disp != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = o.st.ReleaseRouter(rctx, o.opts.Replica)
			cancel()
		}
	}()
	for {
		next := o.Step(ctx)
		wait := o.cfg.Delivery.PollInterval
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(o.now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-o.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Step makes one pass: route the pending events (if this replica holds or
// gets the router lease), then send every due delivery it can claim. It
// returns when the router wants to look again (zero: at the next poll).
func (o *Outbox) Step(ctx context.Context) time.Time {
	next := o.routePass(ctx)
	o.deliverPass(ctx)
	return next
}

// jitter draws a wait uniformly from [d/2, d].
func (o *Outbox) jitter(d time.Duration) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.jitterLocked(d)
}

func (o *Outbox) jitterLocked(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + time.Duration(o.rnd.Int64N(int64(d-half)+1))
}

// SetReportBase sets the URL reports are linked under when Options left it
// empty (the server's own address is known only once it listens). Call it
// before Run.
func (o *Outbox) SetReportBase(base string) {
	if o.opts.ReportBase == "" {
		o.opts.ReportBase = base
	}
}
