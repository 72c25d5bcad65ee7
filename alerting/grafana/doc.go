// Package grafana is the Grafana receiver: it marks each notification as an
// annotation in Grafana through its HTTP API (POST /api/annotations), so a
// verdict appears on the dashboards next to the series it was judged on.
//
// A verdict or an abort is a region from the run's start to the event
// (time and timeEnd, in epoch milliseconds), a run's start or a failing
// interval a point. The annotation's tags are "augur", "verdict:<verdict>"
// (or "event:<event>" for a start), "experiment:<name>",
// "experiment_id:<id>" and the configured tags; its text the headline, the
// reason and a link to the report, every experiment-provided string
// HTML-escaped (Grafana renders annotation text as HTML). With
// dashboard_uid (and panel_id) set the annotation belongs to that
// dashboard (panel); without, it is an organisation annotation that any
// dashboard shows through a Grafana annotation query by tag (augur's
// dashboards have one for "augur").
//
// It authenticates with a service-account token read from a file for
// every request (Authorization: Bearer) and sends through the guarded
// client (notify.NewHTTPClient). Grafana answers 200 with
// {"message":"Annotation added","id":N}; 400 (bad request data, an empty
// text), 401 and 403 (a wrong or under-privileged token) and the other 4xx
// but 408 and 429 are permanent; 429 and 5xx are retried.
//
// It implements notify.Notifier and imports nothing else of augur.
package grafana
