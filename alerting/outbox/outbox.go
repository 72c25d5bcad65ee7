package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
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

	// next is a configuration Reload prepared, applied by the next Step.
	next atomic.Pointer[setup]
}

// setup is what a configuration becomes: the config itself, its routing
// tree (nil: none) and its receivers.
type setup struct {
	cfg       Config
	tree      *route.Tree
	receivers map[string]notify.Notifier
}

// prepare checks cfg and builds its receivers and tree, without touching
// o. fixed receivers (tests) are kept as they are.
func prepare(cfg Config, fixed map[string]notify.Notifier) (*setup, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &setup{cfg: cfg, receivers: fixed}
	if s.receivers == nil {
		var err error
		if s.receivers, err = BuildReceivers(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Route != nil {
		t, err := route.Build(cfg.Config, cfg.ReceiverNames())
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		s.tree = t
	}
	return s, nil
}

// Reload checks cfg and builds its receivers and routing tree; if that
// fails, it returns the errors and nothing changes. Otherwise the next
// pass applies it: deliveries already routed keep going to the receivers
// they name (one removed is dead-lettered), and the groups of routes that
// no longer exist are dropped (see route.NewDispatcher).
func (o *Outbox) Reload(cfg Config) error {
	s, err := prepare(cfg, o.opts.Receivers)
	if err != nil {
		return err
	}
	o.next.Store(s)
	o.Wake()
	return nil
}

// apply installs a reloaded setup; only Step calls it, between passes.
func (o *Outbox) apply(s *setup) {
	o.cfg, o.receivers = s.cfg, s.receivers
	if s.tree != o.tree {
		o.tree = s.tree
		if o.disp != nil {
			tree := o.tree
			if tree == nil {
				tree = emptyTree
			}
			o.disp = route.NewDispatcher(tree, o.disp.State())
		}
	}
	o.logger.Info("notification configuration reloaded", "receivers", len(s.receivers), "routing", s.tree != nil)
}

// New checks cfg and returns an Outbox over st (its outbox tables) and runs
// (the runs and experiments messages are built from).
func New(cfg Config, st Store, runs Runs, opts Options) (*Outbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := prepare(cfg, opts.Receivers)
	if err != nil {
		return nil, err
	}
	o := &Outbox{cfg: cfg, st: st, runs: runs, opts: opts, logger: opts.Logger, now: opts.Now, tree: s.tree, receivers: s.receivers,
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
	if s := o.next.Swap(nil); s != nil {
		o.apply(s)
	}
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
