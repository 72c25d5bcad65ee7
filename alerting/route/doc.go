// Package route decides which receivers get a notification message and
// when, with Alertmanager's routing model: a tree of routes matched on the
// message's labels (plus verdict, severity, event and experiment_id),
// continue, group_by (or "..."), group_wait, group_interval and
// repeat_interval inherited down the tree, inhibition rules, and mute and
// active time intervals.
//
// Config is the YAML (Parse reads it strictly, Config.Validate names every
// bad field); Build compiles it into a Tree, whose Match returns the routes
// a message goes to. A Dispatcher holds the aggregation groups: Add puts a
// message in the groups of its routes, Due(now) returns the notifications
// to send at now. The package is pure: no I/O, no goroutines, no clock of
// its own; the caller passes the time, and persists State() (JSON) to
// resume after a restart.
//
// Messages are persistent or one-shot (Persistent). A firing verdict other
// than a pass (fail, marginal, inconclusive, error) is a standing condition:
// it stays in its groups, is reported when its group's last notification
// did not report its ID firing, and is repeated every repeat_interval,
// until a later verdict of its experiment supersedes it. Every other
// message (a pass, anything resolved, run_started, run_aborted,
// interval_failed) is reported in its group's next notification, then
// leaves the group. A notification lists exactly the messages to send now
// (the one-shot ones and the persistent ones not yet reported; on a repeat
// every persistent one), so each becomes one delivery.
//
// Where it differs from Alertmanager, on purpose: events other than
// verdicts go only to routes that match on the event label; a message's
// identity in a group is its experiment (a verdict) or its ID (any other
// event), so a later verdict of
// the same experiment replaces the earlier one, and counts as a change when
// its ID differs; a verdict leaves a resolved copy of itself in every group
// holding its experiment's earlier firing verdict that it is not routed to,
// so a receiver that raised an incident always hears it resolved; a
// one-shot message is sent even when nothing was firing (a pass alone
// reaches the channel), and is dropped unsent if inhibited when its group
// is due; a resolved message is never inhibited and is kept through a
// mute; repeat_interval is due at exactly last send + repeat_interval on
// the group_interval tick that reaches it, and a notification sent then
// lists every persistent message.
package route
