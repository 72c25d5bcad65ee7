package source

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Limits bound the sources a Registry keeps open between queries: a Jaeger
// source holds a gRPC connection (and its goroutines), an HTTP source its
// idle keep-alive connections.
type Limits struct {
	// IdleTimeout closes a source no query has used for this long; it opens
	// again when a query next needs it. Sources are checked every half of
	// it, so one closes between one and one and a half of it after its
	// last query.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxSpecSources bounds the open sources that experiments define
	// themselves (analysis.allow_spec_sources): opening one more closes the
	// least recently used. A source in use is never closed, so while every
	// open one is in use there may briefly be more.
	MaxSpecSources int `yaml:"max_spec_sources"`
}

// DefaultLimits closes sources idle for 10 minutes and keeps at most 32
// spec-defined sources open.
func DefaultLimits() Limits { return Limits{IdleTimeout: 10 * time.Minute, MaxSpecSources: 32} }

// Validate names the invalid fields under the prefix field.
func (l Limits) Validate(field string) error {
	var errs []error
	if l.IdleTimeout < time.Second {
		errs = append(errs, fmt.Errorf("%s.idle_timeout: must be at least 1s, got %s", field, l.IdleTimeout))
	}
	if l.MaxSpecSources < 1 {
		errs = append(errs, fmt.Errorf("%s.max_spec_sources: must be at least 1, got %d", field, l.MaxSpecSources))
	}
	return errors.Join(errs...)
}

// Option configures a Registry.
type Option func(*Registry)

// WithLimits replaces DefaultLimits.
func WithLimits(l Limits) Option { return func(r *Registry) { r.limits = l } }

// WithClock replaces time.Now in judging idleness (tests).
func WithClock(now func() time.Time) Option { return func(r *Registry) { r.now = now } }

// entry is one open source.
type entry struct {
	key     string
	name    string // first name it was opened under, for logs
	src     analysis.Source
	closer  io.Closer
	spec    bool // defined by an experiment
	inUse   int
	used    time.Time     // last acquired or released
	element *list.Element // in Registry.lru, when spec
}

// handle is what Registry.Source returns: each Fetch acquires the open
// source (opening it again if it was closed meanwhile), so a source is
// never closed under a query and a handle kept across an idle period still
// works.
type handle struct {
	r    *Registry
	key  string
	name string
	def  analysis.SourceSpec
	spec bool
}

func (h handle) Fetch(ctx context.Context, q analysis.Query) ([]analysis.Series, error) {
	e, err := h.r.acquire(h)
	if err != nil {
		return nil, err
	}
	defer h.r.release(e)
	return e.src.Fetch(ctx, q)
}

// acquire returns h's open source, opening it if need be, and marks it in
// use.
func (r *Registry) acquire(h handle) (*entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, analysis.Permanent(fmt.Errorf("source %q: the registry is closed", h.name))
	}
	e, ok := r.opened[h.key]
	if !ok {
		src, closer, err := open(h.def, r.logger.With("source", h.name))
		if err != nil {
			return nil, analysis.Permanent(fmt.Errorf("source %q: %w", h.name, err))
		}
		e = &entry{key: h.key, name: h.name, src: analysis.WithRetry(src, *h.def.Retries, h.def.Backoff.Std()), closer: closer, spec: h.spec}
		r.opened[h.key] = e
		if h.spec {
			e.element = r.lru.PushFront(e)
		}
	}
	e.inUse++
	e.used = r.now()
	if e.element != nil {
		r.lru.MoveToFront(e.element)
		r.evictLocked()
	}
	return e, nil
}

func (r *Registry) release(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.inUse--
	e.used = r.now()
	r.evictLocked() // those in use when the last one opened
}

// evictLocked closes the least recently used spec-defined sources not in
// use until at most MaxSpecSources are open.
func (r *Registry) evictLocked() {
	for el := r.lru.Back(); el != nil && r.lru.Len() > r.limits.MaxSpecSources; {
		prev := el.Prev()
		if e := el.Value.(*entry); e.inUse == 0 {
			r.logger.Info("closing the least recently used experiment source", "source", e.name, "open", r.lru.Len(), "max_spec_sources", r.limits.MaxSpecSources)
			r.closeLocked(e)
		}
		el = prev
	}
}

// closeIdle closes every source unused for IdleTimeout.
func (r *Registry) closeIdle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, e := range r.opened {
		if e.inUse == 0 && now.Sub(e.used) >= r.limits.IdleTimeout {
			r.logger.Debug("closing an idle source", "source", e.name, "idle", now.Sub(e.used))
			r.closeLocked(e)
		}
	}
}

func (r *Registry) closeLocked(e *entry) error {
	delete(r.opened, e.key)
	if e.element != nil {
		r.lru.Remove(e.element)
	}
	if e.closer == nil {
		return nil
	}
	if err := e.closer.Close(); err != nil {
		r.logger.Warn("closing a source", "source", e.name, "err", err)
		return err
	}
	return nil
}

// janitor closes idle sources every half IdleTimeout until done closes.
func (r *Registry) janitor(done <-chan struct{}) {
	defer close(r.janitorDone)
	t := time.NewTicker(r.limits.IdleTimeout / 2)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			r.closeIdle()
		}
	}
}

// Open reports how many sources are open, and how many of them experiments
// define.
func (r *Registry) Open() (all, spec int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.opened), r.lru.Len()
}
