package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/outbox"
)

// NotifyTestArgs configures augur notify test.
type NotifyTestArgs struct {
	// ConfigFile is the server's configuration; its notify: block names
	// the receivers.
	ConfigFile string
	// Receiver is the name of the receiver to send to.
	Receiver string
	// Verdict is the sample message's verdict (default fail).
	Verdict string
	// Event is the sample message's event (default verdict).
	Event string
}

// Exit codes of augur notify test.
const (
	NotifyDelivered    = 0 // the receiver took the message
	NotifyNotDelivered = 1 // it refused it or could not be reached
	NotifyBadConfig    = 2 // no such receiver, or a configuration that does not load
)

// NotifyTestExperiment is the experiment ID of every test message: the
// same on each, so that a receiver raising incidents per experiment
// (PagerDuty, Alertmanager) resolves a test fail with a test pass.
const NotifyTestExperiment = "augur-notify-test"

// notifyTestTimeout bounds one test send (each receiver has its own
// per-request timeout below it).
const notifyTestTimeout = 2 * time.Minute

// NotifyCommand is augur notify's command line.
type NotifyCommand struct {
	test *kingpin.CmdClause
	args NotifyTestArgs
}

// NewNotifyCommand declares augur notify test on a.
func NewNotifyCommand(a *kingpin.Application) *NotifyCommand {
	n := &NotifyCommand{}
	cmd := a.Command("notify", "Work with the notification receivers of the server configuration.")
	n.test = cmd.Command("test", "Send one sample message, clearly marked as a test, to one configured receiver and say what happened. Exit code: 0 delivered, 1 not delivered, 2 bad configuration or unknown receiver.")
	n.test.Flag("config", "The server's YAML configuration (its notify: block).").Required().StringVar(&n.args.ConfigFile)
	n.test.Flag("receiver", "The receiver's name (notify.receivers[].name).").Required().StringVar(&n.args.Receiver)
	n.test.Flag("verdict", "The sample message's verdict: pass sends it resolved.").Default("fail").
		EnumVar(&n.args.Verdict, "fail", "pass", "marginal", "inconclusive", "error")
	n.test.Flag("event", "The sample message's event.").Default(string(notify.EventVerdict)).
		EnumVar(&n.args.Event, string(notify.EventVerdict), string(notify.EventRunStarted), string(notify.EventRunAborted), string(notify.EventIntervalFailed))
	return n
}

// FullCommand is the command's name for the dispatcher.
func (n *NotifyCommand) FullCommand() string { return n.test.FullCommand() }

// Run runs augur notify test on the standard streams and returns the exit
// code.
func (n *NotifyCommand) Run(ctx context.Context) int {
	return NotifyTest(ctx, os.Stdout, os.Stderr, n.args)
}

// NotifyTest builds one receiver of the configuration, and only that one,
// sends it a sample message and reports what happened: delivered, or the
// error and what the outbox would do with it (dead-letter it, or retry it
// and when).
func NotifyTest(ctx context.Context, out, errOut io.Writer, a NotifyTestArgs) int {
	bad := func(format string, args ...any) int {
		fmt.Fprintf(errOut, "augur notify test: "+format+"\n", args...)
		return NotifyBadConfig
	}
	cfg, err := LoadConfig(a.ConfigFile)
	if err != nil {
		return bad("%v", err)
	}
	rc, ok := findReceiver(cfg.Notify, a.Receiver)
	if !ok {
		known := "none are configured (notify.receivers is empty)"
		if names := cfg.Notify.ReceiverNames(); len(names) > 0 {
			known = "the configured receivers are " + strings.Join(names, ", ")
		}
		return bad("no receiver %q in %s: %s", a.Receiver, a.ConfigFile, known)
	}
	one := outbox.DefaultConfig()
	one.Receivers = []outbox.ReceiverConfig{rc}
	if err := one.Validate(); err != nil {
		return bad("receiver %s is invalid:\n  %s", a.Receiver, strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	built, err := outbox.BuildReceivers(one)
	if err != nil {
		return bad("%v", err)
	}
	m, err := sampleMessage(a.Verdict, notify.Event(a.Event), cfg.HTTP.ExternalURL, time.Now())
	if err != nil {
		return bad("%v", err)
	}
	m.Receiver = a.Receiver
	ctx, cancel := context.WithTimeout(ctx, notifyTestTimeout)
	defer cancel()
	kind := receiverKind(rc)
	err = built[a.Receiver].Notify(ctx, m)
	if err == nil {
		fmt.Fprintf(out, "delivered to %s (%s): %q, message %s\n", a.Receiver, kind, m.Title(), m.ID)
		return NotifyDelivered
	}
	fmt.Fprintf(errOut, "not delivered to %s (%s): %v\n", a.Receiver, kind, err)
	if notify.IsPermanent(err) {
		fmt.Fprintln(errOut, "permanent: the outbox would dead-letter this message without retrying it; fix the receiver or its configuration")
	} else if d, ok := notify.RetryAfter(err); ok {
		fmt.Fprintf(errOut, "retryable: the outbox would retry it after %s, as the receiver's Retry-After asks\n", d)
	} else {
		fmt.Fprintf(errOut, "retryable: the outbox would retry it, first after about %s (notify.delivery.backoff), for up to %s (notify.delivery.max_age)\n",
			promDuration(cfg.Notify.Delivery.Backoff), promDuration(cfg.Notify.Delivery.MaxAge))
	}
	return NotifyNotDelivered
}

func findReceiver(c outbox.Config, name string) (outbox.ReceiverConfig, bool) {
	for _, r := range c.Receivers {
		if r.Name == name {
			return r, true
		}
	}
	return outbox.ReceiverConfig{}, false
}

// sampleMessage is the test message: named augur-notify-test, labelled
// test="true", with a fresh ID, one failing metric (for a fail or
// marginal verdict), a score, and a report link
// under externalURL when one is configured. A pass is sent resolved.
func sampleMessage(verdict string, ev notify.Event, externalURL string, now time.Time) (notify.Message, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return notify.Message{}, fmt.Errorf("message ID: %w", err)
	}
	m := notify.Message{
		ID:           "augur-notify-test-" + hex.EncodeToString(b[:]),
		Event:        ev,
		ExperimentID: NotifyTestExperiment,
		RunID:        NotifyTestExperiment + "-run",
		Name:         "augur-notify-test",
		Labels:       map[string]string{"test": "true"},
		At:           now.UTC(),
		StartedAt:    now.Add(-10 * time.Minute).UTC(),
	}
	if externalURL != "" {
		m.ReportURL = strings.TrimRight(externalURL, "/") + "/experiments/" + NotifyTestExperiment
	}
	if ev == notify.EventRunStarted {
		m.Severity = notify.SeverityInfo
		m.Reason = "test message from augur notify test: a sample run start, not a real experiment"
		return m, nil
	}
	m.Verdict = verdict
	score := map[string]float64{"pass": 96, "marginal": 78, "fail": 42}
	if s, ok := score[verdict]; ok {
		m.Score = &s
	}
	switch verdict {
	case "fail":
		m.Severity = notify.SeverityCritical
	case "pass":
		m.Severity = notify.SeverityInfo
	default:
		m.Severity = notify.SeverityWarning
	}
	m.Reason = fmt.Sprintf("test message from augur notify test: a sample %s %s, not a real experiment", verdict, strings.ReplaceAll(string(ev), "_", " "))
	if verdict == "fail" || verdict == "marginal" {
		m.Failing = []notify.Metric{{Name: "http_error_rate", Classification: verdict,
			Reason: "canary 2.1% errors vs baseline 0.4% (p < 0.001): sample metric of a test message"}}
	}
	m.Resolved = ev == notify.EventVerdict && verdict == "pass"
	return m, nil
}
