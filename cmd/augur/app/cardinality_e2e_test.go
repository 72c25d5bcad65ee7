package app

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// slug spells n in letters, so that normalisation keeps it.
func slug(n int) string {
	b := []byte("blue-")
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}

// urlSpans returns server spans of service at v1, one per name, ending a
// millisecond apart from end.
func urlSpans(service string, end time.Time, names []string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	rs.Resource().Attributes().PutStr("service.version", "v1")
	ss := rs.ScopeSpans().AppendEmpty()
	for i, name := range names {
		sp := ss.Spans().AppendEmpty()
		sp.SetName(name)
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetTraceID(pcommon.TraceID{1, byte(i >> 16), byte(i >> 8), byte(i)})
		sp.SetSpanID(pcommon.SpanID{2, byte(i >> 16), byte(i >> 8), byte(i)})
		at := end.Add(time.Duration(i) * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at.Add(-20 * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at))
	}
	return td
}

// postSpans sends td over OTLP/HTTP and returns the partial success.
func postSpans(t *testing.T, srv *Server, td ptrace.Traces) ptraceotlp.ExportPartialSuccess {
	t.Helper()
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	code, body := post(t, srv.URL()+"/v1/traces", "application/x-protobuf", "", b)
	resp := ptraceotlp.NewExportResponse()
	if code != http.StatusOK || resp.UnmarshalProto([]byte(body)) != nil {
		t.Fatalf("traces: %d %q", code, body)
	}
	return resp.PartialSuccess()
}

// metricValue reads one sample of the server's own /metrics.
func metricValue(t *testing.T, srv *Server, series string) float64 {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("/metrics has no %s", series)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSpanNameCardinalityBounded: 30,000 distinct URL-like span names in
// four requests. Those with ids collapse into one name; of the rest, the
// per-request and per-service limits admit 49, and every other span is
// counted under span_name="_overflow", so the service keeps 51 series
// groups and all 30,000 spans in its totals. A well-behaved sender's
// series keep taking writes, and the answers and /metrics say what
// happened.
func TestSpanNameCardinalityBounded(t *testing.T) {
	const perService, perRequest, requests, perReq = 50, 30, 4, 7500
	srv := startServer(t, func(c *Config) {
		c.Collector.SpanMetrics.MaxSpanNamesPerService = perService
		c.Collector.SpanMetrics.MaxNewGroupsPerRequest = perRequest
		// The store's series are counted exactly below: leave augur's own
		// (self-scraped) series out of it.
		c.SelfScrape.Enabled = false
	})
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	good := func(at time.Time) {
		t.Helper()
		if ps := postSpans(t, srv, urlSpans("cart", at, []string{"GET /cart", "GET /cart"})); ps.RejectedSpans() != 0 || ps.ErrorMessage() != "" {
			t.Fatalf("well-behaved spans: %d rejected: %s", ps.RejectedSpans(), ps.ErrorMessage())
		}
		code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", remoteWriteV1(t, "good", at, float64(at.Unix())))
		if code != http.StatusNoContent {
			t.Fatalf("well-behaved write: %d %s", code, msg)
		}
	}
	good(base)

	// Half the names carry a user id, half a product slug; all distinct.
	wantFolded := []int{perReq/2 - (perRequest - 1), perReq/2 - (perService - perRequest), perReq / 2, perReq / 2}
	wantReason := []string{"max_new_groups_per_request", "max_span_names_per_service", "max_span_names_per_service", "max_span_names_per_service"}
	for r := range requests {
		names := make([]string, perReq)
		for i := range names {
			if n := r*perReq + i; i%2 == 0 {
				names[i] = fmt.Sprintf("GET /users/%d/orders", 100000+n)
			} else {
				names[i] = "GET /products/" + slug(n)
			}
		}
		ps := postSpans(t, srv, urlSpans("shop", base.Add(time.Duration(r)*10*time.Second), names))
		wantMsg := fmt.Sprintf(`%d spans of %d span names counted under span_name="_overflow"`, wantFolded[r], wantFolded[r])
		if ps.RejectedSpans() != 0 || !strings.Contains(ps.ErrorMessage(), wantMsg) || !strings.Contains(ps.ErrorMessage(), wantReason[r]) {
			t.Errorf("request %d: partial success %d %q, want 0 rejected and %q naming %s", r, ps.RejectedSpans(), ps.ErrorMessage(), wantMsg, wantReason[r])
		}
	}
	after := base.Add(time.Minute)
	good(after)

	const seriesPerGroup = 71 // requests, errors, native histogram, _sum, _count, 66 _bucket
	at := after.Add(time.Second)
	for q, want := range map[string]float64{
		`count(augur_span_requests_total{service_name="shop"})`:                                  perService + 1,
		`count({service_name="shop"})`:                                                           (perService + 1) * seriesPerGroup,
		`sum(augur_span_requests_total{service_name="shop"})`:                                    requests * perReq,
		`sum(augur_span_requests_total{service_name="shop",span_name="_overflow"})`:              float64(wantFolded[0] + wantFolded[1] + wantFolded[2] + wantFolded[3]),
		`sum(augur_span_requests_total{service_name="shop",span_name="GET /users/{id}/orders"})`: requests * perReq / 2,
		`sum(augur_span_requests_total{service_name="cart"})`:                                    4,
		`load_test{k="good"}`: float64(after.Unix()),
	} {
		if got, ok := queryScalar(t, srv, q, at); !ok || got != want {
			t.Errorf("%s = %v (found %v), want %v", q, got, ok, want)
		}
	}
	if n, want := srv.Store().ActiveSeries(), uint64((perService+1)*seriesPerGroup+seriesPerGroup+1); n != want {
		t.Errorf("active series = %d, want %d (shop, cart, load_test)", n, want)
	}
	for reason, want := range map[string]int{
		"max_new_groups_per_request": wantFolded[0],
		"max_span_names_per_service": wantFolded[1] + wantFolded[2] + wantFolded[3],
	} {
		if got := metricValue(t, srv, `augur_span_name_overflow_total{reason="`+reason+`"}`); got != float64(want) {
			t.Errorf("augur_span_name_overflow_total{reason=%q} = %v, want %d", reason, got, want)
		}
	}
}
