package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/collector"
	"github.com/augurhq/augur/collector/jaeger"
	"github.com/augurhq/augur/collector/logs"
	"github.com/augurhq/augur/collector/otlpgrpc"
	"github.com/augurhq/augur/collector/selfscrape"
	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/web"
	"github.com/augurhq/augur/web/deliveries"
	"github.com/augurhq/augur/web/gates"
	"github.com/augurhq/augur/web/kayentaapi"
	"github.com/augurhq/augur/web/promapi"
	"github.com/augurhq/augur/web/ui"
)

// Server is a running augur: store, receivers, experiments and HTTP API.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	store    *store.Store
	manager  *analysis.Manager
	engine   *engine
	notes    *notifier
	life     *lifecycle
	listener net.Listener
	http     *http.Server
	served   chan error
	grpcs    []*grpcEndpoint
	ingest   *collector.Limiter // shared by every ingest endpoint
	scraper  *selfscrape.Scraper
}

// grpcEndpoint is a gRPC server bound to its listener.
type grpcEndpoint struct {
	name string
	srv  *otlpgrpc.Server
	lis  net.Listener
}

// NewServer opens the store and binds the listen address; Start serves.
func NewServer(cfg Config, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	st, err := store.Open(cfg.Store, logger, reg)
	if err != nil {
		return nil, err
	}
	st.LimitActiveSeries(cfg.Collector.Limits.MaxActiveSeries)
	warnFutureSamples(logger, st, cfg.Store)
	spans, err := collector.NewSpanMetrics(logger.With("component", "span_metrics"), st, cfg.Collector)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	reg.MustRegister(spans.Collectors()...)
	logRecords, err := logs.New(logger.With("component", "logs"), st, cfg.Logs)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	eng, err := openEngine(context.Background(), cfg, logger, st, logRecords.Drain())
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	mgr := eng.manager
	notes, err := newNotifier(cfg, eng, reg, logger.With("component", "notify"))
	if err != nil {
		_ = eng.close()
		_ = st.Close()
		return nil, err
	}
	expMetrics := newExperimentMetrics(mgr.Snapshotter(), cfg.Metrics, time.Now, logger.With("component", "metrics"))
	mgr.SetObserver(expMetrics)
	reg.MustRegister(expMetrics)

	counted := countIngest(reg, spans, logRecords, st)
	otlpMetrics := collector.NewOTLPMetricsHandler(logger, reg, counted, cfg.Collector)
	ingest := collector.NewLimiter(cfg.Collector.Limits, reg)
	limit := func(signal string, maxBody int64, h http.Handler) gin.HandlerFunc {
		return gin.WrapH(ingest.Wrap(signal, maxBody, collector.ProtocolHandler(httpIngestProtocol(signal), h)))
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery(), requestLog(logger))
	r.POST("/v1/metrics", limit("otlp metrics", cfg.Collector.MaxBodyBytes, otlpMetrics))
	r.POST("/v1/traces", limit("otlp traces", cfg.Collector.MaxBodyBytes, collector.NewOTLPTracesHandler(logger, spans, cfg.Collector)))
	r.POST("/v1/logs", limit("otlp logs", cfg.Logs.MaxBodyBytes, logs.NewOTLPLogsHandler(logger, logRecords, cfg.Logs)))
	r.POST("/loki/api/v1/push", limit("loki push", cfg.Logs.MaxBodyBytes, logs.NewLokiPushHandler(logger, logRecords, cfg.Logs)))
	r.GET("/api/v1/logs/patterns", gin.WrapH(logs.NewPatternsHandler(logger, logRecords)))
	r.GET("/api/v1/spans", gin.WrapH(collector.NewSpansHandler(spans)))
	r.POST("/api/v1/write", limit("remote write", cfg.Collector.MaxBodyBytes, collector.NewRemoteWriteHandler(logger, reg, counted, cfg.Collector)))
	promapi.Register(r, st)
	promapi.RegisterMetadata(r, st)
	promapi.RegisterStatus(r, promapi.Status{Build: buildInfo(), Exemplars: st, Metadata: metadataSource{reg: promapi.GathererMetadata{Gatherer: reg}}})
	web.Register(r, mgr, logger.With("component", "api"))
	deliveries.Register(r, eng.state, notes.ob, logger.With("component", "deliveries"))
	kayentaapi.Register(r, mgr, eng.state, logger.With("component", "kayenta"))
	gates.Register(r, mgr, gates.Options{ExternalURL: cfg.HTTP.ExternalURL}, logger.With("component", "gates"))
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	life := newLifecycle(reg)
	life.register(r)
	if err := ui.Register(r, ui.Deps{Experiments: mgr, Sources: eng.sources, Events: mgr, Deliveries: eng.state, Spans: spans,
		Templates: mgr, Kayenta: eng.state}, logger.With("component", "ui")); err != nil {
		_ = eng.close()
		_ = st.Close()
		return nil, err
	}

	closeAll := func(g []*grpcEndpoint) {
		for _, e := range g {
			e.srv.Stop()
		}
		_ = eng.close()
		_ = st.Close()
	}
	var grpcs []*grpcEndpoint
	traces := otlpgrpc.SpanMetrics{SM: spans}
	if cfg.OTLPGRPC.Listen != "" {
		g, err := otlpgrpc.New(logger, cfg.OTLPGRPC, traces, otlpgrpc.HTTPMetrics{Handler: otlpMetrics}, logRecords, ingestGRPC(ingest)...)
		if err == nil {
			jaeger.Register(g.GRPC(), logger, traces)
			var lis net.Listener
			if lis, err = g.Listen(); err == nil {
				grpcs = append(grpcs, &grpcEndpoint{name: "otlp_grpc", srv: g, lis: lis})
			}
		}
		if err != nil {
			closeAll(grpcs)
			return nil, fmt.Errorf("otlp_grpc: %w", err)
		}
	}
	if cfg.Jaeger.Listen != "" {
		g, err := jaeger.NewServer(logger, cfg.Jaeger, traces, ingestGRPC(ingest)...)
		var lis net.Listener
		if err == nil {
			lis, err = g.Listen()
		}
		if err != nil {
			closeAll(grpcs)
			return nil, fmt.Errorf("jaeger: %w", err)
		}
		grpcs = append(grpcs, &grpcEndpoint{name: "jaeger", srv: g, lis: lis})
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		closeAll(grpcs)
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	var scraper *selfscrape.Scraper
	if cfg.SelfScrape.Enabled {
		scraper = selfscrape.New(reg, st, selfscrape.Target{Job: "augur", Instance: ln.Addr().String()}, cfg.SelfScrape, logger.With("component", "self_scrape"))
	}
	srv := &Server{
		cfg: cfg, life: life, logger: logger, store: st, manager: mgr, engine: eng, notes: notes, listener: ln, scraper: scraper,
		http:   newHTTPServer(r, cfg.HTTP),
		served: make(chan error, 1),
		grpcs:  grpcs,
		ingest: ingest,
	}
	life.srv.Store(srv)
	return srv, nil
}

// ingestGRPC are the options of the gRPC ingest servers: every call takes
// a slot of the limiter the HTTP ingest endpoints share. (The OTLP/gRPC
// metrics adapter serves the unwrapped HTTP metrics handler, so a call
// takes one slot, not two.)
func ingestGRPC(l *collector.Limiter) []grpc.ServerOption {
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(otlpgrpc.Limit(l), grpcIngestProtocol)}
}

// Start serves HTTP in the background.
func (s *Server) Start() {
	s.logger.Info("augur listening", "url", s.URL(), "data", s.cfg.Store.Dir)
	s.manager.Start()
	s.notes.start(s.URL())
	s.life.ready.Store(true)
	if s.scraper != nil {
		s.scraper.Start()
	}
	for _, g := range s.grpcs {
		s.logger.Info("gRPC receiver listening", "receiver", g.name, "addr", g.lis.Addr().String())
		go func() {
			if err := g.srv.Serve(g.lis); err != nil {
				s.logger.Error("gRPC receiver stopped", "receiver", g.name, "err", err)
			}
		}()
	}
	go func() {
		err := s.http.Serve(s.listener)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.served <- err
	}()
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// GRPCAddr returns the address a gRPC receiver ("otlp_grpc" or "jaeger")
// listens on, or "" when it is off.
func (s *Server) GRPCAddr(name string) string {
	for _, g := range s.grpcs {
		if g.name == name {
			return g.lis.Addr().String()
		}
	}
	return ""
}

// Manager returns the experiment manager.
func (s *Server) Manager() *analysis.Manager { return s.manager }

// Store returns the embedded store.
func (s *Server) Store() *store.Store { return s.store }

// Shutdown stops accepting requests, lets in-flight ones and running
// experiments finish (until ctx ends), then closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.life.ready.Store(false)
	err := s.http.Shutdown(ctx)
	for _, g := range s.grpcs {
		g.srv.GracefulStop()
	}
	if s.scraper != nil {
		s.scraper.Stop()
	}
	s.notes.stop()
	return errors.Join(err, s.engine.close(), s.store.Close())
}

// Wait returns when the HTTP server stops.
func (s *Server) Wait() error { return <-s.served }

func requestLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		lvl := slog.LevelDebug
		if status >= 400 {
			lvl = slog.LevelWarn
		}
		logger.Log(c.Request.Context(), lvl, "http request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", status, "duration", time.Since(start))
	}
}

// Serve runs a server until ctx ends, then shuts it down gracefully.
func Serve(ctx context.Context, cfg Config, logOut io.Writer) error {
	return ServeReloading(ctx, cfg, nil, logOut)
}

// ServeReloading is Serve that reloads its configuration with load on
// SIGHUP (and POST /-/reload); a nil load refuses reloads.
func ServeReloading(ctx context.Context, cfg Config, load Loader, logOut io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	logger := cfg.Log.NewLogger(logOut)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.Runtime.GOGC)
	}
	srv, err := NewServer(cfg, logger)
	if err != nil {
		return err
	}
	srv.SetLoader(load)
	srv.Start()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-hup:
			logger.Info("SIGHUP: reloading the configuration")
			_ = srv.Reload() // logged; the running configuration stays on error
		case err := <-srv.served:
			return errors.Join(err, srv.Shutdown(context.Background()))
		}
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
