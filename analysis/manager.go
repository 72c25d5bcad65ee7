package analysis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ManagerConfig configures the experiment manager.
type ManagerConfig struct {
	// Replica names this process in leases (default host-pid-random).
	Replica string
	// Lease is how long a claimed run stays this replica's without renewal;
	// a dead replica's runs are taken over after at most this long.
	Lease time.Duration
	// Poll is how often due runs are looked for.
	Poll time.Duration
	// Workers bounds the runs judged at once.
	Workers int
	// BatchIntervals and BatchTime bound one claim of a run: once it has
	// judged this many intervals, or judged for this long, a run with more
	// intervals due (a backlog: a start in the past, a resume, a takeover)
	// gives its worker up and queues behind the runs due before then.
	BatchIntervals int
	BatchTime      time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// DefaultManagerConfig returns a 15 s lease, a 250 ms poll, 8 workers,
// and batches of at most 10 intervals or 5 s.
func DefaultManagerConfig() ManagerConfig {
	return ManagerConfig{
		Lease: 15 * time.Second, Poll: 250 * time.Millisecond, Workers: 8,
		BatchIntervals: 10, BatchTime: 5 * time.Second,
	}
}

// Validate reports invalid fields.
func (c ManagerConfig) Validate() error {
	var errs []error
	if c.Lease < time.Second {
		errs = append(errs, fmt.Errorf("lease: must be at least 1s, got %s", c.Lease))
	}
	if c.Poll <= 0 || c.Poll > c.Lease/3 {
		errs = append(errs, fmt.Errorf("poll: must be positive and at most a third of the lease, got %s", c.Poll))
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers: must be at least 1, got %d", c.Workers))
	}
	if c.BatchIntervals < 1 {
		errs = append(errs, fmt.Errorf("batch_intervals: must be at least 1, got %d", c.BatchIntervals))
	}
	if c.BatchTime <= 0 {
		errs = append(errs, fmt.Errorf("batch_time: must be positive, got %s", c.BatchTime))
	}
	return errors.Join(errs...)
}

// Manager keeps experiments in a Store and judges their runs' intervals as
// they come due. Several managers (replicas) may share one Store: each
// interval is judged by the replica holding the run's lease.
type Manager struct {
	cfg     ManagerConfig
	store   Store
	sources Sources
	logger  *slog.Logger
	now     func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}
	wake   chan struct{}

	mu      sync.Mutex
	ended   chan struct{} // closed and replaced whenever a run ends here (signalEnded)
	lag     LagStats
	running map[string]bool

	observer IntervalObserver // nil: none (SetObserver)
}

// NewManager returns a manager over store; call Start to begin judging.
func NewManager(cfg ManagerConfig, store Store, sources Sources, logger *slog.Logger) (*Manager, error) {
	if cfg.Replica == "" {
		host, _ := os.Hostname()
		cfg.Replica = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), newID()[:6])
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("analysis manager: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg: cfg, store: store, sources: sources, logger: logger, now: now,
		ctx: ctx, cancel: cancel, sem: make(chan struct{}, cfg.Workers), wake: make(chan struct{}, 1),
		ended: make(chan struct{}), running: map[string]bool{},
	}, nil
}

// Replica is this manager's lease owner name.
func (m *Manager) Replica() string { return m.cfg.Replica }

// Start begins claiming and judging due runs.
func (m *Manager) Start() {
	m.wg.Add(1)
	go m.loop()
}

// Close stops judging, waits for intervals in progress, and gives up the
// leases held.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
}

// signalEnded wakes the callers of Wait: a run ended here.
func (m *Manager) signalEnded() {
	m.mu.Lock()
	close(m.ended)
	m.ended = make(chan struct{})
	m.mu.Unlock()
}

// Kick makes the manager look for due runs now.
func (m *Manager) Kick() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) loop() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.Poll)
	defer t.Stop()
	for {
		m.claim()
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

func (m *Manager) claim() {
	free := cap(m.sem) - len(m.sem)
	if free == 0 {
		return
	}
	runs, err := m.store.ClaimDue(m.ctx, m.cfg.Replica, m.now().UTC(), m.cfg.Lease, free)
	if err != nil {
		if m.ctx.Err() == nil {
			m.logger.Warn("claiming due runs failed", "err", err)
		}
		return
	}
	for _, r := range runs {
		m.mu.Lock()
		busy := m.running[r.ID]
		m.running[r.ID] = true
		m.mu.Unlock()
		if busy {
			continue
		}
		m.sem <- struct{}{}
		m.wg.Add(1)
		go func(r Run) {
			defer m.wg.Done()
			var more bool
			defer func() {
				<-m.sem
				m.mu.Lock()
				delete(m.running, r.ID)
				m.mu.Unlock()
				if more {
					m.Kick() // the worker is free and runs are queued
				}
			}()
			more = m.process(r)
		}(r)
	}
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
