package jaeger

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want search
	}{{
		expr: `{service="checkout"}`,
		want: search{service: "checkout", tags: map[string]string{}, limit: DefaultLimit},
	}, {
		expr: `{service="checkout", operation="GET /cart", "service.version"="v2", min_duration="5ms", max_duration="1.5s", limit="50"}`,
		want: search{
			service: "checkout", operation: "GET /cart",
			tags:        map[string]string{"service.version": "v2"},
			minDuration: 5 * time.Millisecond, maxDuration: 1500 * time.Millisecond, limit: 50,
		},
	}, {
		// Cohort matchers substituted by the engine arrive as more tags.
		expr: `{service="checkout", deployment_environment="prod", "k8s.pod.name"="web-1", http_status_code="200"}`,
		want: search{service: "checkout", limit: DefaultLimit, tags: map[string]string{
			"deployment_environment": "prod", "k8s.pod.name": "web-1", "http_status_code": "200",
		}},
	}, {
		expr: `{service="checkout", min_duration="500us", limit="10000"}`,
		want: search{service: "checkout", tags: map[string]string{}, minDuration: 500 * time.Microsecond, limit: MaxLimit},
	}} {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := parseSelector(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseSelectorErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string // in the error
	}{
		{`{operation="GET /cart"}`, "service is required"},
		{`{service=""}`, "service is required"},
		{`{service="", "service.version"="v2"}`, "service is required"},
		{`checkout{version="v2"}`, "no metric name"},
		{`{service=~"check.*"}`, `matcher service=~"check.*": only equality`},
		{`{service="checkout", version!="v1"}`, `matcher version!="v1"`},
		{`{service="checkout", "service.version"!~"v1"}`, `"service.version"!~"v1"`},
		{`{service="checkout", service="cart"}`, `"service" is given twice`},
		{`{service="checkout", min_duration="5"}`, "want a duration"},
		{`{service="checkout", max_duration="-1s"}`, "must be positive"},
		{`{service="checkout", min_duration="2s", max_duration="1s"}`, "min_duration 2s is above max_duration 1s"},
		{`{service="checkout", limit="0"}`, "within 1..10000"},
		{`{service="checkout", limit="10001"}`, "within 1..10000"},
		{`{service="checkout", limit="many"}`, "within 1..10000"},
		{`{service="checkout", version=""}`, `tag "version" needs a value`},
		{`{service="checkout"`, "unexpected end of input"},
		{`rate({service="checkout"}[5m])`, "unexpected"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := parseSelector(tc.expr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.expr) {
				t.Errorf("error %v does not quote the selector", err)
			}
		})
	}
}
