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
// Where it differs from Alertmanager, on purpose: events other than
// verdicts go only to routes that match on the event label; a resolved
// message is never inhibited and is kept through a mute, so a receiver that
// raised an incident always hears it resolved; repeat_interval is due at
// exactly last send + repeat_interval on the group_interval tick that
// reaches it; a message's identity in a group is its experiment and event,
// so a later verdict of the same experiment replaces the earlier one.
package route
