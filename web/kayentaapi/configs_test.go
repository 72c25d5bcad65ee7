package kayentaapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestConfigCRUD replays the config calls of Spinnaker's canary config UI
// and of Argo Rollouts' kayenta provider (metricproviders/kayenta/
// kayenta.go: GET {address}/canaryConfig?application=&configurationAccountName=,
// then the entry whose name matches) against Kayenta's CanaryConfigController
// contract (kayenta-web/.../controllers/CanaryConfigController.java).
func TestConfigCRUD(t *testing.T) {
	s := newServer(t)
	code, out := s.call(t, http.MethodPost, "/kayenta/canaryConfig", checkoutConfig(t))
	if code != http.StatusOK {
		t.Fatalf("POST: %d %v", code, out)
	}
	id, _ := out["canaryConfigId"].(string)
	if len(id) != 36 || out["warnings"] == nil {
		t.Fatalf("POST answer %v: want a UUID canaryConfigId and warnings", out)
	}

	code, raw := s.raw(t, http.MethodGet, "/kayenta/canaryConfig?application=checkout&configurationAccountName=my-account", "")
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, raw)
	}
	for _, want := range []string{`"id":"` + id + `"`, `"name":"checkout-latency"`, `"applications":["checkout"]`, `"updatedTimestamp":`, `"updatedTimestampIso":"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("list %s lacks %s", raw, want)
		}
	}
	for _, q := range []string{"?application=other", "?application=a&application=b", "?application=x,y"} {
		if code, raw := s.raw(t, http.MethodGet, "/kayenta/canaryConfig"+q, ""); code != http.StatusOK || string(raw) != "[]" {
			t.Errorf("list %s: %d %s, want 200 []", q, code, raw)
		}
	}
	if _, raw := s.raw(t, http.MethodGet, "/kayenta/canaryConfig?application=other,checkout", ""); !strings.Contains(string(raw), id) {
		t.Errorf("list of two applications misses the config: %s", raw)
	}

	code, cfg := s.call(t, http.MethodGet, "/kayenta/canaryConfig/"+id+"?configurationAccountName=x", "")
	if code != http.StatusOK || cfg["id"] != id || cfg["name"] != "checkout-latency" || cfg["createdTimestampIso"] == nil || path(cfg, "metrics", 1, "name") != "p50 server span latency" {
		t.Fatalf("GET config: %d %v", code, cfg)
	}

	renamed := strings.Replace(checkoutConfig(t), `"checkout-latency"`, `"checkout-latency-v2"`, 1)
	if code, out := s.call(t, http.MethodPut, "/kayenta/canaryConfig/"+id, renamed); code != http.StatusOK || out["canaryConfigId"] != id {
		t.Fatalf("PUT: %d %v", code, out)
	}
	if _, cfg := s.call(t, http.MethodGet, "/kayenta/canaryConfig/"+id, ""); cfg["name"] != "checkout-latency-v2" || cfg["createdTimestamp"] == nil {
		t.Errorf("after PUT: %v", cfg)
	}
	if code, out := s.call(t, http.MethodPut, "/kayenta/canaryConfig/nope", renamed); code != http.StatusNotFound || !strings.Contains(out["error"].(string), `"nope"`) {
		t.Errorf("PUT unknown: %d %v, want 404 naming it", code, out)
	}

	if code, _ := s.raw(t, http.MethodDelete, "/kayenta/canaryConfig/"+id, ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	code, out = s.call(t, http.MethodGet, "/kayenta/canaryConfig/"+id, "")
	if code != http.StatusNotFound || !strings.Contains(out["error"].(string), id) {
		t.Errorf("GET deleted: %d %v, want 404 naming the ID", code, out)
	}
	if code, _ := s.raw(t, http.MethodDelete, "/kayenta/canaryConfig/"+id, ""); code != http.StatusNotFound {
		t.Errorf("DELETE twice: %d, want 404", code)
	}
}

// TestConfigGivenID: a config that carries its id keeps it, and a second
// one with that id is refused.
func TestConfigGivenID(t *testing.T) {
	s := newServer(t)
	body := strings.Replace(checkoutConfig(t), `"name"`, `"id": "checkout-1", "name"`, 1)
	if code, out := s.call(t, http.MethodPost, "/kayenta/canaryConfig", body); code != http.StatusOK || out["canaryConfigId"] != "checkout-1" {
		t.Fatalf("POST: %d %v", code, out)
	}
	if code, out := s.call(t, http.MethodPost, "/kayenta/canaryConfig", body); code != http.StatusConflict || !strings.Contains(out["error"].(string), "checkout-1") {
		t.Fatalf("POST again: %d %v, want 409 naming the ID", code, out)
	}
}

func TestConfigRefused(t *testing.T) {
	base := func(t *testing.T) string { return checkoutConfig(t) }
	for _, tc := range []struct {
		name  string
		body  func(t *testing.T) string
		code  int
		field string
		want  string
	}{
		{"not an object", func(*testing.T) string { return `[1]` }, 400, "", "JSON object"},
		{"no name", func(t *testing.T) string { return strings.Replace(base(t), `"name": "checkout-latency",`, ``, 1) }, 400, "name", "must have a name"},
		{"name with a space", func(t *testing.T) string {
			return strings.Replace(base(t), `"checkout-latency"`, `"checkout latency"`, 1)
		}, 400, "name", "letters, digits"},
		{"no application", func(t *testing.T) string { return strings.Replace(base(t), `["checkout"]`, `[]`, 1) }, 400, "applications", "at least one application"},
		{"duplicate metric", func(t *testing.T) string {
			return strings.Replace(base(t), `"p50 server span latency"`, `"p90 latency"`, 1)
		}, 400, "metrics[1].name", "unique"},
		{"FreeMarker directive", func(t *testing.T) string {
			return strings.Replace(base(t), `service_version=\"${scope}\"}[2m])))"`, `service_version=\"${scope?lower_case}\"}[2m])))"`, 1)
		}, 422, "metrics[0]", "plain ${variable}"},
		{"no prometheus metric", func(t *testing.T) string {
			return strings.ReplaceAll(base(t), `"type": "prometheus"`, `"type": "atlas"`)
		}, 422, "metrics", "no prometheus metric"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			code, out := s.call(t, http.MethodPost, "/kayenta/canaryConfig", tc.body(t))
			if code != tc.code || !strings.Contains(out["error"].(string), tc.want) {
				t.Fatalf("%d %v, want %d with %q", code, out, tc.code, tc.want)
			}
			if tc.field != "" && !strings.HasPrefix(path(out, "fields", 0, "field").(string), tc.field) {
				t.Errorf("fields %v, want %s", out["fields"], tc.field)
			}
			if _, raw := s.raw(t, http.MethodGet, "/kayenta/canaryConfig", ""); string(raw) != "[]" {
				t.Errorf("a refused config was stored: %s", raw)
			}
		})
	}
}
