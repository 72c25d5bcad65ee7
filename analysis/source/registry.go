package source

import (
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/jaeger"
	"github.com/augurhq/augur/analysis/source/loki"
	"github.com/augurhq/augur/analysis/source/prometheus"
)

// Registry opens the sources experiments name: the embedded store, the
// sources the server's configuration defines, and, if allowed, those a
// spec defines itself. Opened sources are shared (one per definition),
// each wrapped with its retries and backoff, and closed when idle or, for
// spec-defined ones, when too many are open (see Limits). It implements
// analysis.Sources.
type Registry struct {
	logger   *slog.Logger
	embedded analysis.Source
	named    map[string]analysis.SourceSpec
	// AllowSpecSources lets specs define their own sources (URLs and
	// credentials chosen by whoever submits the experiment). Off, a spec may
	// only name the server's sources.
	allowSpec bool
	limits    Limits
	now       func() time.Time

	mu     sync.Mutex
	opened map[string]*entry // by definition (JSON)
	lru    *list.List        // spec-defined entries, most recently used first
	closed bool

	stop, janitorDone chan struct{}
}

// NewRegistry returns a registry over the embedded store (nil: none) and
// the server's named sources, each validated, with DefaultLimits unless an
// option says otherwise. Close it to close its sources.
func NewRegistry(embedded analysis.Source, named map[string]analysis.SourceSpec, allowSpecSources bool, logger *slog.Logger, opts ...Option) (*Registry, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{logger: logger, embedded: embedded, allowSpec: allowSpecSources, limits: DefaultLimits(), now: time.Now,
		opened: map[string]*entry{}, lru: list.New(), stop: make(chan struct{}), janitorDone: make(chan struct{})}
	for _, o := range opts {
		o(r)
	}
	if err := r.limits.Validate("sources"); err != nil {
		return nil, err
	}
	out, err := checkNamed(named)
	if err != nil {
		return nil, err
	}
	r.named = out
	go r.janitor(r.stop)
	return r, nil
}

// ValidateNamed reports the first invalid source of the server's named
// sources (a reload checks them before it changes anything).
func ValidateNamed(named map[string]analysis.SourceSpec) error {
	_, err := checkNamed(named)
	return err
}

// checkNamed validates the server's named sources, with their defaults
// set.
func checkNamed(named map[string]analysis.SourceSpec) (map[string]analysis.SourceSpec, error) {
	out := make(map[string]analysis.SourceSpec, len(named))
	names := make([]string, 0, len(named))
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := named[n]
		s.SetDefaults()
		if n == analysis.DefaultSource {
			return nil, fmt.Errorf("sources.%s: the name embedded is reserved for the built-in store", n)
		}
		if err := s.Validate("sources." + n); err != nil {
			return nil, err
		}
		out[n] = s
	}
	return out, nil
}

// Reload replaces the server's named sources and whether specs may define
// their own, after validating them (an error changes nothing). Sources
// already opened stay open for the queries in flight and close when idle:
// one whose definition changed is opened anew on its next use.
func (r *Registry) Reload(named map[string]analysis.SourceSpec, allowSpecSources bool) error {
	out, err := checkNamed(named)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.named, r.allowSpec = out, allowSpecSources
	r.mu.Unlock()
	return nil
}

// Source returns the named source (see analysis.Sources).
func (r *Registry) Source(name string, def *analysis.SourceSpec) (analysis.Source, error) {
	var spec analysis.SourceSpec
	fromSpec := false
	switch {
	case def != nil && def.Type == analysis.SourceEmbedded:
		spec = *def
	case def != nil:
		if _, allow := r.config(); !allow {
			return nil, analysis.Permanent(fmt.Errorf("source %q is defined in the experiment, and this server only allows the sources it configures (analysis.allow_spec_sources)", name))
		}
		spec = *def
		fromSpec = true
	case name == analysis.DefaultSource:
		spec = analysis.SourceSpec{Type: analysis.SourceEmbedded}
	default:
		named, _ := r.config()
		s, ok := named[name]
		if !ok {
			return nil, analysis.Permanent(fmt.Errorf("no source named %q: the server defines %s", name, names(named)))
		}
		spec = s
	}
	if spec.Type == analysis.SourceEmbedded {
		if r.embedded == nil {
			return nil, analysis.Permanent(fmt.Errorf("source %q: no embedded store in this process", name))
		}
		return r.embedded, nil
	}
	spec.SetDefaults()
	key, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	h := handle{r: r, key: string(key), name: name, def: spec, spec: fromSpec}
	// Open it now, so that a definition that cannot be opened is reported
	// here.
	e, err := r.acquire(h)
	if err != nil {
		return nil, err
	}
	r.release(e)
	return h, nil
}

// Check reports, naming the field, every metric (and the SRM query) whose
// source this registry cannot provide: an unknown name, or a source the
// spec defines while spec sources are not allowed.
func (r *Registry) Check(spec analysis.Spec) error {
	named, allowSpec := r.config()
	var errs []error
	check := func(field, name string) {
		if def, ok := spec.Sources[name]; ok {
			if def.Type != analysis.SourceEmbedded && !allowSpec {
				errs = append(errs, fmt.Errorf("%s: source %q is defined in the experiment, and this server only allows the sources it configures (analysis.allow_spec_sources)", field, name))
			}
			return
		}
		if name == analysis.DefaultSource {
			if r.embedded == nil {
				errs = append(errs, fmt.Errorf("%s: no embedded store in this process", field))
			}
			return
		}
		if _, ok := named[name]; !ok {
			errs = append(errs, fmt.Errorf("%s: no source named %q: the server defines %s", field, name, names(named)))
		}
	}
	for i, m := range spec.Metrics {
		check(fmt.Sprintf("metrics[%d].source", i), m.Source)
	}
	if spec.SRM != nil {
		check("srm.source", spec.SRM.Source)
	}
	return errors.Join(errs...)
}

func open(spec analysis.SourceSpec, logger *slog.Logger) (analysis.Source, io.Closer, error) {
	switch spec.Type {
	case analysis.SourcePrometheus:
		s, err := prometheus.New(spec, logger)
		if err != nil {
			return nil, nil, err
		}
		return s, s, nil
	case analysis.SourceLoki:
		s, err := loki.New(spec, logger)
		if err != nil {
			return nil, nil, err
		}
		return s, s, nil
	case analysis.SourceJaeger:
		s, err := jaeger.New(spec, logger)
		if err != nil {
			return nil, nil, err
		}
		return s, s, nil
	default:
		return nil, nil, fmt.Errorf("unknown source type %q", spec.Type)
	}
}

// config returns the named sources and whether specs may define their
// own, as of now (Reload replaces the map, never changes it).
func (r *Registry) config() (map[string]analysis.SourceSpec, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.named, r.allowSpec
}

func names(named map[string]analysis.SourceSpec) string {
	if len(named) == 0 {
		return "none besides embedded"
	}
	ns := make([]string, 0, len(named))
	for n := range named {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return strings.Join(ns, ", ") + " and embedded"
}

// Close closes every open source, in use or not; queries through the
// registry fail after it.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var errs []error
	for _, e := range r.opened {
		errs = append(errs, r.closeLocked(e))
	}
	r.mu.Unlock()
	close(r.stop)
	<-r.janitorDone
	return errors.Join(errs...)
}
