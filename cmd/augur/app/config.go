package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source"
	"github.com/augurhq/augur/collector"
	"github.com/augurhq/augur/collector/jaeger"
	"github.com/augurhq/augur/collector/logs"
	"github.com/augurhq/augur/collector/otlpgrpc"
	"github.com/augurhq/augur/collector/selfscrape"
	"github.com/augurhq/augur/collector/store"
)

// Config is the whole server configuration. Defaults live in DefaultConfig
// and nowhere else.
type Config struct {
	// Listen is the HTTP listen address.
	Listen string `yaml:"listen"`
	// HTTP bounds the HTTP listener's clients (header and body read
	// timeouts, idle connections, header size).
	HTTP      HTTPConfig       `yaml:"http"`
	Store     store.Config     `yaml:"store"`
	Collector collector.Config `yaml:"collector"`
	Logs      logs.Config      `yaml:"logs"`
	// OTLPGRPC is the OTLP/gRPC receiver (traces, metrics, logs; the Jaeger
	// collector service too); an empty listen address turns it off.
	OTLPGRPC otlpgrpc.Config `yaml:"otlp_grpc"`
	// Jaeger is a standalone Jaeger gRPC collector endpoint (PostSpans); an
	// empty listen address turns it off.
	Jaeger otlpgrpc.Config `yaml:"jaeger"`
	// Notify names the receivers verdicts and run events go to, the
	// routing tree over them, and how deliveries are retried.
	Notify  outbox.Config `yaml:"notify"`
	Log     LogConfig     `yaml:"log"`
	Runtime RuntimeConfig `yaml:"runtime"`
	// Analysis configures experiments: where their state lives, how
	// replicas share them, and the sources they may read.
	Analysis AnalysisConfig `yaml:"analysis"`
	// Metrics bounds augur's own experiment series (/metrics).
	Metrics MetricsConfig `yaml:"metrics"`
	// SelfScrape appends augur's own series to the embedded store, so
	// PromQL sees them (job="augur", instance=the listen address).
	SelfScrape selfscrape.Config `yaml:"self_scrape"`
}

// AnalysisConfig configures the experiment engine.
type AnalysisConfig struct {
	// State is sqlite (a file in the data directory, the default) or
	// postgres (several replicas sharing the work).
	State StateConfig `yaml:"state"`
	// Replica names this process in run leases ("" = host-pid-random).
	Replica string `yaml:"replica"`
	// Lease is how long a run stays a replica's without renewal: a dead
	// replica's runs are taken over within it.
	Lease time.Duration `yaml:"lease"`
	// Poll is how often due intervals are looked for.
	Poll time.Duration `yaml:"poll"`
	// Workers bounds the runs judged at once.
	Workers int `yaml:"workers"`
	// BatchIntervals and BatchTime bound one turn of a run on a worker: a
	// run with a backlog (a start in the past, a resume, a takeover) judges
	// at most this many intervals, or for about this long, then queues
	// behind the runs due meanwhile, so that it cannot starve them.
	BatchIntervals int           `yaml:"batch_intervals"`
	BatchTime      time.Duration `yaml:"batch_time"`
	// Sources are named data sources experiments may read besides the
	// embedded store.
	Sources map[string]analysis.SourceSpec `yaml:"sources"`
	// AllowSpecSources lets experiments define their own sources (any URL,
	// with credentials of the submitter's choosing).
	AllowSpecSources bool `yaml:"allow_spec_sources"`
	// OpenSources bounds the sources kept open between queries: one idle
	// for idle_timeout (default 10m) is closed, and past max_spec_sources
	// (default 32) spec-defined ones, the least recently used is closed.
	OpenSources source.Limits `yaml:"open_sources"`
}

// StateConfig selects the experiment state store.
type StateConfig struct {
	Driver string `yaml:"driver"` // sqlite or postgres
	// Path is the SQLite file ("" = augur.db in store.dir).
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string (postgres://user@host/db).
	DSN string `yaml:"dsn"`
}

// RuntimeConfig tunes the Go runtime of augur serve.
type RuntimeConfig struct {
	// GOGC is the garbage collector's target heap growth in percent (Go's
	// default is 100; 75, Prometheus 3's default, trades a little CPU for
	// less memory per series). The GOGC environment variable, when set,
	// wins.
	GOGC int `yaml:"gogc"`
}

// LogConfig configures the server's log.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// DefaultConfig returns the defaults: listen on 127.0.0.1:8080, data in
// ./data.
func DefaultConfig() Config {
	return Config{
		Listen:    "127.0.0.1:8080",
		HTTP:      defaultHTTP(),
		Store:     store.DefaultConfig(),
		Collector: collector.DefaultConfig(),
		Logs:      logs.DefaultConfig(),
		OTLPGRPC:  otlpgrpc.DefaultConfig(),
		Jaeger:    jaeger.DefaultConfig(),
		Notify:    outbox.DefaultConfig(),
		Log:       LogConfig{Level: "info", Format: "text"},
		Runtime:   RuntimeConfig{GOGC: 75},
		Analysis: AnalysisConfig{
			State: StateConfig{Driver: "sqlite"}, OpenSources: source.DefaultLimits(),
			Lease: 15 * time.Second, Poll: 250 * time.Millisecond, Workers: 8,
			BatchIntervals: 10, BatchTime: 5 * time.Second,
		},
		Metrics:    defaultMetrics(),
		SelfScrape: selfscrape.DefaultConfig(),
	}
}

// LoadConfig reads a YAML file over the defaults. Unknown fields are errors.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file (io.EOF) means all defaults.
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Listen) == "" {
		errs = append(errs, errors.New("listen: must not be empty"))
	}
	errs = append(errs, c.HTTP.validate(), c.Store.Validate(), c.Collector.Validate(), c.Logs.Validate(), c.Notify.Validate())
	if c.OTLPGRPC.Listen != "" {
		errs = append(errs, c.OTLPGRPC.ValidateAs("otlp_grpc"))
	}
	if c.Jaeger.Listen != "" {
		errs = append(errs, c.Jaeger.ValidateAs("jaeger"))
	}
	errs = append(errs, c.Analysis.validate(), c.Metrics.validate(), c.SelfScrape.Validate())
	if c.Runtime.GOGC < 1 {
		errs = append(errs, fmt.Errorf("runtime.gogc: must be a positive percentage, got %d", c.Runtime.GOGC))
	}
	if _, err := c.Log.level(); err != nil {
		errs = append(errs, err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		errs = append(errs, fmt.Errorf("log.format: want text or json, got %q", c.Log.Format))
	}
	return errors.Join(errs...)
}

func (l LogConfig) level() (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.Level)); err != nil {
		return 0, fmt.Errorf("log.level: want debug, info, warn or error, got %q", l.Level)
	}
	return lv, nil
}

// NewLogger builds the logger the config describes, writing to w.
func (l LogConfig) NewLogger(w io.Writer) *slog.Logger {
	lv, _ := l.level()
	opts := &slog.HandlerOptions{Level: lv}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (a AnalysisConfig) validate() error {
	var errs []error
	switch a.State.Driver {
	case "sqlite":
		if a.State.DSN != "" {
			errs = append(errs, errors.New("analysis.state.dsn: belongs to the postgres driver"))
		}
	case "postgres":
		if a.State.DSN == "" {
			errs = append(errs, errors.New("analysis.state.dsn: the postgres driver needs a connection string"))
		}
		if a.State.Path != "" {
			errs = append(errs, errors.New("analysis.state.path: belongs to the sqlite driver"))
		}
	default:
		errs = append(errs, fmt.Errorf("analysis.state.driver: want sqlite or postgres, got %q", a.State.Driver))
	}
	mc := a.managerConfig()
	mc.Replica = "x"
	if err := mc.Validate(); err != nil {
		// One field per line: each is under analysis.
		for _, field := range strings.Split(err.Error(), "\n") {
			errs = append(errs, errors.New("analysis."+field))
		}
	}
	for name, s := range a.Sources {
		s.SetDefaults()
		if name == analysis.DefaultSource {
			errs = append(errs, fmt.Errorf("analysis.sources.%s: the name embedded is reserved for the built-in store", name))
		}
		if err := s.Validate("analysis.sources." + name); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, a.OpenSources.Validate("analysis.open_sources"))
	return errors.Join(errs...)
}

// managerConfig is the experiment manager's part of the configuration.
func (a AnalysisConfig) managerConfig() analysis.ManagerConfig {
	return analysis.ManagerConfig{
		Replica: a.Replica, Lease: a.Lease, Poll: a.Poll, Workers: a.Workers,
		BatchIntervals: a.BatchIntervals, BatchTime: a.BatchTime,
	}
}
