package jaeger

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	api_v2 "github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"

	"github.com/augurhq/augur/analysis"
)

// newSource returns a Source for addr, closed when the test ends.
func newSource(t *testing.T, spec analysis.SourceSpec) *Source {
	t.Helper()
	spec.Type = analysis.SourceJaeger
	src, err := New(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

func query(expr string) analysis.Query {
	return analysis.Query{Expr: expr, Start: t0(), End: t0().Add(10 * time.Minute), Step: 15 * time.Second}
}

// pt is a sample: start after t0 and duration, both in ms.
func pt(at time.Duration, took int) analysis.Point {
	return analysis.Point{T: t0().Add(at).UnixMilli(), V: float64(took) / 1000}
}

func TestFetchEntrySpans(t *testing.T) {
	shop := shop()
	m := time.Minute
	all := [][]model.Span{shop.throughFrontend, shop.root, shop.acrossVersions, shop.orphan, shop.selfCall, shop.untyped}
	checkout := map[string]string{"service": "checkout"}
	for _, tc := range []struct {
		name   string
		expr   string
		chunks []*api_v2.SpansResponseChunk
		labels map[string]string
		want   []analysis.Point
	}{{
		name:   "every request checkout served",
		expr:   `{service="checkout"}`,
		chunks: chunked(10, all...),
		labels: checkout,
		want: []analysis.Point{
			pt(m+ms(10), 120),               // called by frontend; nested validate and charge are not requests
			pt(2*m, 40),                     // root; the nested SELECT is not
			pt(3*m, 200), pt(3*m+ms(5), 50), // v1 calling v2: two processes, two requests
			pt(4*m, 80),                    // parent not in the trace
			pt(5*m, 30), pt(5*m+ms(2), 10), // calling itself through a client span
			pt(6*m+ms(1), 22), // no span kinds: the parent is in another process
		},
	}, {
		// The cohort's tag is a process tag: checkout-a's spans in the
		// traces Jaeger found for v2 are not v2 requests.
		name:   "cohort tag",
		expr:   `{service="checkout", "service.version"="v2"}`,
		chunks: chunked(10, shop.throughFrontend, shop.acrossVersions, shop.orphan),
		labels: checkout,
		want:   []analysis.Point{pt(m+ms(10), 120), pt(3*m+ms(5), 50), pt(4*m, 80)},
	}, {
		name:   "a tag the entry span does not carry",
		expr:   `{service="checkout", "http.status_code"="500"}`,
		chunks: chunked(10, shop.orphan),
	}, {
		name:   "span tag, compared as a string",
		expr:   `{service="checkout", "http.status_code"="200"}`,
		chunks: chunked(10, shop.orphan, shop.root),
		labels: checkout,
		want:   []analysis.Point{pt(4*m, 80)},
	}, {
		name:   "operation",
		expr:   `{service="checkout", operation="GET /cart"}`,
		chunks: chunked(10, shop.root, shop.acrossVersions, shop.orphan, shop.selfCall),
		labels: map[string]string{"service": "checkout", "operation": "GET /cart"},
		want:   []analysis.Point{pt(2*m, 40), pt(3*m, 200), pt(4*m, 80), pt(5*m, 30)},
	}, {
		name:   "downstream service",
		expr:   `{service="payment"}`,
		chunks: chunked(10, shop.throughFrontend),
		labels: map[string]string{"service": "payment"},
		want:   []analysis.Point{pt(m+ms(45), 70)},
	}, {
		name:   "root service",
		expr:   `{service="frontend"}`,
		chunks: chunked(10, shop.throughFrontend),
		labels: map[string]string{"service": "frontend"},
		want:   []analysis.Point{pt(m, 300)},
	}, {
		name:   "traces split into chunks of two, in reverse order",
		expr:   `{service="checkout"}`,
		chunks: reversed(chunked(2, all...)),
		labels: checkout,
		want: []analysis.Point{
			pt(m+ms(10), 120), pt(2*m, 40), pt(3*m, 200), pt(3*m+ms(5), 50),
			pt(4*m, 80), pt(5*m, 30), pt(5*m+ms(2), 10), pt(6*m+ms(1), 22),
		},
	}, {
		name:   "spans sent twice across chunks",
		expr:   `{service="checkout"}`,
		chunks: chunked(3, append(shop.acrossVersions, shop.acrossVersions[1:]...), shop.root, shop.acrossVersions[:2], shop.root),
		labels: checkout,
		want:   []analysis.Point{pt(2*m, 40), pt(3*m, 200), pt(3*m+ms(5), 50)},
	}, {
		name:   "operation only nested inside requests",
		expr:   `{service="checkout", operation="validate"}`,
		chunks: chunked(10, shop.throughFrontend),
	}, {
		name: "no traces",
		expr: `{service="checkout", "service.version"="v9"}`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			qs := newQueryServer(tc.chunks...)
			src := newSource(t, analysis.SourceSpec{Address: serve(t, qs)})
			got, err := src.Fetch(context.Background(), query(tc.expr))
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.want) == 0 {
				if got != nil {
					t.Fatalf("got %+v, want no series", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d series, want 1: %+v", len(got), got)
			}
			if !maps.Equal(got[0].Labels, tc.labels) {
				t.Errorf("labels %v, want %v", got[0].Labels, tc.labels)
			}
			if !reflect.DeepEqual(got[0].Points, tc.want) {
				t.Errorf("points\n got %v\nwant %v", got[0].Points, tc.want)
			}
		})
	}
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestFetchRequest(t *testing.T) {
	start, end := t0(), t0().Add(10*time.Minute)
	for _, tc := range []struct {
		expr string
		want api_v2.TraceQueryParameters
	}{{
		expr: `{service="checkout"}`,
		want: api_v2.TraceQueryParameters{ServiceName: "checkout", SearchDepth: DefaultLimit},
	}, {
		// As the engine renders a cohort: its matchers become tags.
		expr: `{service="checkout", operation="GET /cart", "service.version"="v2", "k8s.namespace.name"="shop", min_duration="5ms", max_duration="2s", limit="250"}`,
		want: api_v2.TraceQueryParameters{
			ServiceName: "checkout", OperationName: "GET /cart",
			Tags:        map[string]string{"service.version": "v2", "k8s.namespace.name": "shop"},
			DurationMin: 5 * time.Millisecond, DurationMax: 2 * time.Second, SearchDepth: 250,
		},
	}} {
		t.Run(tc.expr, func(t *testing.T) {
			qs := newQueryServer()
			src := newSource(t, analysis.SourceSpec{Address: serve(t, qs)})
			if _, err := src.Fetch(context.Background(), query(tc.expr)); err != nil {
				t.Fatal(err)
			}
			reqs, _ := qs.calls()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if !got.StartTimeMin.Equal(start) || !got.StartTimeMax.Equal(end) {
				t.Errorf("start times %s..%s, want %s..%s", got.StartTimeMin, got.StartTimeMax, start, end)
			}
			if len(got.Tags) == 0 {
				got.Tags = nil
			}
			got.StartTimeMin, got.StartTimeMax = time.Time{}, time.Time{}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("request\n got %+v\nwant %+v", got, &tc.want)
			}
		})
	}
}

// TestFetchConcurrent fetches two cohorts at once over one connection, as
// the engine does.
func TestFetchConcurrent(t *testing.T) {
	qs := newQueryServer(chunked(10, shop().acrossVersions)...)
	src := newSource(t, analysis.SourceSpec{Address: serve(t, qs)})
	want := map[string][]float64{"v1": {0.2}, "v2": {0.05}}
	errs := make(chan error, 8)
	for i := range 8 {
		version := []string{"v1", "v2"}[i%2]
		go func() {
			got, err := src.Fetch(context.Background(), query(`{service="checkout", "service.version"="`+version+`"}`))
			if err == nil && !reflect.DeepEqual(analysis.Values(got), want[version]) {
				err = fmt.Errorf("%s: got %v, want %v", version, analysis.Values(got), want[version])
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
