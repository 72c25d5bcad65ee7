package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/augurhq/augur/alerting/outbox"
)

// notifier runs the notification outbox of a server.
type notifier struct {
	ob     *outbox.Outbox
	cancel context.CancelFunc
	done   chan struct{}
}

// newNotifier builds the outbox over the engine's state store, with the
// receivers and routes of cfg.Notify, and registers its metrics.
func newNotifier(cfg Config, eng *engine, reg prometheus.Registerer, logger *slog.Logger) (*notifier, error) {
	obs := newNotifyMetrics()
	reg.MustRegister(obs.attempts, obs.duration)
	ob, err := outbox.New(cfg.Notify, eng.state, eng.state, outbox.Options{
		Replica:    eng.manager.Replica(),
		ReportBase: cfg.HTTP.ExternalURL,
		Logger:     logger,
		Observer:   obs,
	})
	if err != nil {
		return nil, err
	}
	return &notifier{ob: ob}, nil
}

// start runs the outbox in the background; reportBase links reports when
// http.external_url is not set.
func (n *notifier) start(reportBase string) {
	n.ob.SetReportBase(reportBase)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan struct{})
	go func() {
		defer close(n.done)
		n.ob.Run(ctx)
	}()
}

// stop ends the outbox: attempts in flight are abandoned (their leases run
// out and another replica, or the next start, sends them again).
func (n *notifier) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	<-n.done
}

// notifyMetrics counts delivery attempts per receiver and outcome.
type notifyMetrics struct {
	attempts *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newNotifyMetrics() *notifyMetrics {
	return &notifyMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "augur_notification_attempts_total",
			Help: "Notification delivery attempts by receiver and outcome (delivered, retry, dead).",
		}, []string{"receiver", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "augur_notification_attempt_duration_seconds",
			Help:    "How long one notification delivery attempt took, by receiver.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 8),
		}, []string{"receiver"}),
	}
}

func (m *notifyMetrics) Attempted(receiver, outcome string, d time.Duration) {
	if _, ok := outbox.SpecIndex(receiver); ok {
		receiver = "spec.webhooks" // one series for every spec URL
	}
	m.attempts.WithLabelValues(receiver, outcome).Inc()
	m.duration.WithLabelValues(receiver).Observe(d.Seconds())
}
