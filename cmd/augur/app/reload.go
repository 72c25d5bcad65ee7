package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/augurhq/augur/analysis/source"
)

// Loader reads the server's configuration again (the file, then the
// command line's overrides), for a reload.
type Loader func() (Config, error)

// lifecycle is what the reload and health endpoints need of a server.
type lifecycle struct {
	mu      sync.Mutex // one reload at a time
	load    Loader
	ready   atomic.Bool
	success prometheus.Gauge
	when    prometheus.Gauge
	srv     atomic.Pointer[Server]
}

func newLifecycle(reg prometheus.Registerer) *lifecycle {
	l := &lifecycle{
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "augur_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		when: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "augur_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload (or of the start).",
		}),
	}
	l.success.Set(1)
	l.when.SetToCurrentTime()
	reg.MustRegister(l.success, l.when)
	return l
}

// register mounts /-/healthy, /-/ready and POST /-/reload.
func (l *lifecycle) register(r gin.IRoutes) {
	r.GET("/-/healthy", func(c *gin.Context) { c.String(http.StatusOK, "augur is healthy.\n") })
	r.GET("/-/ready", func(c *gin.Context) {
		s := l.srv.Load()
		if s == nil || !l.ready.Load() {
			c.String(http.StatusServiceUnavailable, "augur is not ready: starting or shutting down.\n")
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
		defer cancel()
		if err := s.engine.state.Ping(ctx); err != nil {
			s.logger.Warn("readiness: the state store does not answer", "err", err)
			c.String(http.StatusServiceUnavailable, "augur is not ready: the experiment state store does not answer.\n")
			return
		}
		c.String(http.StatusOK, "augur is ready.\n")
	})
	r.POST("/-/reload", func(c *gin.Context) {
		s := l.srv.Load()
		if s == nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"error": "starting"})
			return
		}
		if err := s.Reload(); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": "configuration not reloaded; the running one stays in force", "errors": splitErrors(err)})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "success"})
	})
}

func splitErrors(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// SetLoader gives the server the means to read its configuration again;
// without one, Reload refuses.
func (s *Server) SetLoader(load Loader) { s.life.load = load }

// Reload reads the configuration again and applies, atomically, what can
// change while running: the named sources and whether specs may define
// their own, the notification receivers, routes and delivery settings, the
// ingest concurrency and in-flight body limits and the active-series
// limit. An invalid configuration, or one whose receivers cannot be built
// (a secret file that does not read), is refused whole with its errors,
// and the running one stays in force. Settings that need a restart
// (listen addresses, the store, the state database, ...) are reported in
// the log and keep their running values.
func (s *Server) Reload() error {
	l := s.life
	l.mu.Lock()
	defer l.mu.Unlock()
	err := s.reload()
	if err != nil {
		l.success.Set(0)
		s.logger.Error("configuration reload refused; the running configuration stays in force", "err", err)
		return err
	}
	l.success.Set(1)
	l.when.SetToCurrentTime()
	return nil
}

func (s *Server) reload() error {
	if s.life.load == nil {
		return errors.New("no configuration file to reload (augur serve --config FILE)")
	}
	cfg, err := s.life.load()
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	// Everything that can fail first: nothing is applied unless all of it
	// is valid.
	if err := source.ValidateNamed(cfg.Analysis.Sources); err != nil {
		return err
	}
	if err := s.notes.ob.Reload(cfg.Notify); err != nil {
		return err
	}
	if err := s.engine.sources.Reload(cfg.Analysis.Sources, cfg.Analysis.AllowSpecSources); err != nil {
		return err // validated above: cannot happen
	}
	s.ingest.Update(cfg.Collector.Limits)
	s.store.LimitActiveSeries(cfg.Collector.Limits.MaxActiveSeries)
	if fixed := restartOnly(s.cfg, cfg); len(fixed) > 0 {
		s.logger.Warn("configuration reloaded; these settings changed and take effect only after a restart", "settings", strings.Join(fixed, ", "))
	} else {
		s.logger.Info("configuration reloaded")
	}
	kept := s.cfg
	s.cfg = cfg
	// What a reload cannot change stays as it runs.
	s.cfg.Listen, s.cfg.HTTP, s.cfg.Store, s.cfg.OTLPGRPC, s.cfg.Jaeger = kept.Listen, kept.HTTP, kept.Store, kept.OTLPGRPC, kept.Jaeger
	return nil
}

// restartOnly names the settings that differ between old and new and that
// a reload does not apply.
func restartOnly(old, new Config) []string {
	var out []string
	check := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			out = append(out, name)
		}
	}
	check("listen", old.Listen, new.Listen)
	check("http", old.HTTP, new.HTTP)
	check("store", old.Store, new.Store)
	check("otlp_grpc", old.OTLPGRPC, new.OTLPGRPC)
	check("jaeger", old.Jaeger, new.Jaeger)
	check("log", old.Log, new.Log)
	check("runtime", old.Runtime, new.Runtime)
	check("logs", old.Logs, new.Logs)
	check("metrics", old.Metrics, new.Metrics)
	check("self_scrape", old.SelfScrape, new.SelfScrape)
	oa, na := old.Analysis, new.Analysis
	oa.Sources, na.Sources, oa.AllowSpecSources, na.AllowSpecSources = nil, nil, false, false
	check("analysis (but its sources)", oa, na)
	oc, nc := old.Collector, new.Collector
	oc.Limits.MaxConcurrentRequests, nc.Limits.MaxConcurrentRequests = 0, 0
	oc.Limits.MaxBodyBytesInFlight, nc.Limits.MaxBodyBytesInFlight = 0, 0
	oc.Limits.RetryAfter, nc.Limits.RetryAfter = 0, 0
	oc.Limits.MaxActiveSeries, nc.Limits.MaxActiveSeries = 0, 0
	check("collector (but its request, body and series limits)", oc, nc)
	return out
}
