// Package dashboards will generate Grafana dashboards from augur's own types
// (JSON, golden-tested) and annotate them with verdicts. Until then, point a
// Grafana Prometheus data source at augur's /api/v1/query endpoints.
//
// dashboards may import analysis; analysis must never import dashboards.
package dashboards
