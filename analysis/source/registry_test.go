package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

func TestRegistry(t *testing.T) {
	var calls atomic.Int32
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1700000000,"42"]}]}}`))
	}))
	defer prom.Close()
	emb := analysis.SourceFunc(func(context.Context, analysis.Query) ([]analysis.Series, error) { return nil, nil })
	retries := 2
	named := map[string]analysis.SourceSpec{"thanos": {Type: analysis.SourcePrometheus, URL: prom.URL, Retries: &retries, Backoff: analysis.Duration(time.Millisecond)}}
	reg, err := NewRegistry(emb, named, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()

	t.Run("embedded", func(t *testing.T) {
		if _, err := reg.Source(analysis.DefaultSource, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("named source retries until it answers", func(t *testing.T) {
		src, err := reg.Source("thanos", nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := src.Fetch(context.Background(), analysis.Query{Expr: "up", End: time.Unix(1700000000, 0)})
		if err != nil || len(s) != 1 || s[0].Points[0].V != 42 {
			t.Fatalf("got %+v, %v", s, err)
		}
		if calls.Load() != 3 {
			t.Errorf("%d calls, want 3 (two 503s retried)", calls.Load())
		}
		again, _ := reg.Source("thanos", nil)
		if again == nil {
			t.Fatal("no source the second time")
		}
	})
	t.Run("unknown name", func(t *testing.T) {
		_, err := reg.Source("mimir", nil)
		if !errors.Is(err, analysis.ErrPermanent) || !strings.Contains(err.Error(), "thanos and embedded") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("spec sources refused unless allowed", func(t *testing.T) {
		def := analysis.SourceSpec{Type: analysis.SourcePrometheus, URL: prom.URL}
		if _, err := reg.Source("mine", &def); !errors.Is(err, analysis.ErrPermanent) || !strings.Contains(err.Error(), "allow_spec_sources") {
			t.Errorf("got %v", err)
		}
		open, err := NewRegistry(emb, nil, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer open.Close()
		if _, err := open.Source("mine", &def); err != nil {
			t.Errorf("allowed: %v", err)
		}
	})
	t.Run("invalid named source", func(t *testing.T) {
		_, err := NewRegistry(emb, map[string]analysis.SourceSpec{"x": {Type: analysis.SourceLoki}}, false, nil)
		if err == nil || !strings.Contains(err.Error(), "sources.x.url") {
			t.Errorf("got %v", err)
		}
	})
}

func TestRegistryCheck(t *testing.T) {
	emb := analysis.SourceFunc(func(context.Context, analysis.Query) ([]analysis.Series, error) { return nil, nil })
	reg, err := NewRegistry(emb, map[string]analysis.SourceSpec{"thanos": {Type: analysis.SourcePrometheus, URL: "http://127.0.0.1:9"}}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	spec := analysis.Spec{
		Sources: map[string]analysis.SourceSpec{"mine": {Type: analysis.SourceLoki, URL: "http://127.0.0.1:3100"}},
		Metrics: []analysis.MetricSpec{{Source: "embedded"}, {Source: "thanos"}, {Source: "mimir"}, {Source: "mine"}},
	}
	err = reg.Check(spec)
	for _, want := range []string{`metrics[2].source: no source named "mimir"`, `metrics[3].source: source "mine" is defined in the experiment`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if err != nil && (strings.Contains(err.Error(), "metrics[0]") || strings.Contains(err.Error(), "metrics[1]")) {
		t.Errorf("known sources refused: %v", err)
	}
}

// TestRegistryReload: a reload replaces the named sources and the spec
// sources switch; an invalid one changes nothing.
func TestRegistryReload(t *testing.T) {
	emb := analysis.SourceFunc(func(context.Context, analysis.Query) ([]analysis.Series, error) { return nil, nil })
	reg, err := NewRegistry(emb, map[string]analysis.SourceSpec{"thanos": {Type: analysis.SourcePrometheus, URL: "http://127.0.0.1:9"}}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	spec := analysis.Spec{
		Sources: map[string]analysis.SourceSpec{"mine": {Type: analysis.SourceLoki, URL: "http://127.0.0.1:3100"}},
		Metrics: []analysis.MetricSpec{{Source: "mimir"}, {Source: "mine"}},
	}
	if err := reg.Reload(map[string]analysis.SourceSpec{"bad": {Type: analysis.SourcePrometheus, URL: "::not a url"}}, true); err == nil {
		t.Fatal("an invalid source was accepted")
	}
	if _, err := reg.Source("thanos", nil); err != nil {
		t.Fatalf("the refused reload changed the sources: %v", err)
	}
	if err := reg.Reload(map[string]analysis.SourceSpec{"mimir": {Type: analysis.SourcePrometheus, URL: "http://127.0.0.1:9/prometheus"}}, true); err != nil {
		t.Fatal(err)
	}
	if err := reg.Check(spec); err != nil {
		t.Errorf("after the reload: %v", err)
	}
	if _, err := reg.Source("thanos", nil); err == nil || !strings.Contains(err.Error(), "the server defines mimir and embedded") {
		t.Errorf("the removed source: %v", err)
	}
}
