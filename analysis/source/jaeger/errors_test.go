package jaeger

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/augurhq/augur/analysis"
)

func TestFetchRefusedLocally(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    analysis.Query
		want string
	}{
		{"regex matcher", query(`{service="checkout", version=~"v2|v3"}`), `matcher version=~"v2|v3": only equality`},
		{"no service", query(`{"service.version"="v2"}`), "service is required"},
		{"not a selector", query(`histogram_quantile(0.99, rate(x[5m]))`), "parse error"},
		{"no range", analysis.Query{Expr: `{service="checkout"}`, End: t0()}, "needs a time range"},
		{"reversed range", analysis.Query{Expr: `{service="checkout"}`, Start: t0(), End: t0().Add(-time.Minute)}, "start before end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qs := newQueryServer()
			src := newSource(t, analysis.SourceSpec{Address: serve(t, qs)})
			_, err := src.Fetch(context.Background(), tc.q)
			if !errors.Is(err, analysis.ErrPermanent) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a permanent one containing %q", err, tc.want)
			}
			if reqs, _ := qs.calls(); len(reqs) != 0 {
				t.Errorf("%d requests sent, want none", len(reqs))
			}
		})
	}
}

func TestFetchStatusErrors(t *testing.T) {
	for _, tc := range []struct {
		err       error
		permanent bool
		want      string
	}{
		{status.Error(codes.InvalidArgument, "please provide at least one service name"), true, "refused the query: please provide at least one service name"},
		{status.Error(codes.Unauthenticated, "invalid bearer token"), true, "refused the credentials (Unauthenticated): invalid bearer token"},
		{status.Error(codes.PermissionDenied, "tenant shop not allowed"), true, "(PermissionDenied): tenant shop not allowed"},
		{status.Error(codes.Unimplemented, "unknown service jaeger.api_v2.QueryService"), true, "usually 16685"},
		{status.Error(codes.Internal, "failed when searching for traces: elasticsearch: 503"), false, "elasticsearch: 503"},
		{status.Error(codes.Unavailable, "storage is restarting"), false, "storage is restarting"},
		{status.Error(codes.ResourceExhausted, "too many queries"), false, "too many queries"},
		{status.Error(codes.DeadlineExceeded, "storage timed out"), false, "storage timed out"},
	} {
		t.Run(status.Code(tc.err).String(), func(t *testing.T) {
			// Some spans arrive before the error: no partial answer.
			qs := newQueryServer(chunked(10, shop().root)...)
			qs.err = tc.err
			src := newSource(t, analysis.SourceSpec{Address: serve(t, qs)})
			got, err := src.Fetch(context.Background(), query(`{service="checkout"}`))
			if err == nil || got != nil {
				t.Fatalf("got %v, %v; want an error", got, err)
			}
			if errors.Is(err, analysis.ErrPermanent) != tc.permanent {
				t.Errorf("error %v: permanent %v, want %v", err, !tc.permanent, tc.permanent)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestFetchUnreachable(t *testing.T) {
	addr := closedAddr(t)
	src := newSource(t, analysis.SourceSpec{Address: addr, Timeout: analysis.Duration(10 * time.Second)})
	_, err := src.Fetch(context.Background(), query(`{service="checkout"}`))
	if err == nil || errors.Is(err, analysis.ErrPermanent) {
		t.Fatalf("error %v, want a retryable one", err)
	}
	if status.Code(errors.Unwrap(err)) != codes.Unavailable || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %v, want Unavailable naming %s", err, addr)
	}
}

func TestFetchTimeout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server *queryServer
	}{
		{"silent", newQueryServer()},
		{"stalls after a chunk", newQueryServer(chunked(1, shop().root)[0])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.server.hang = true
			src := newSource(t, analysis.SourceSpec{Address: serve(t, tc.server), Timeout: analysis.Duration(200 * time.Millisecond)})
			begin := time.Now()
			got, err := src.Fetch(context.Background(), query(`{service="checkout"}`))
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("Fetch took %s with a 200ms timeout", took)
			}
			if got != nil || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, analysis.ErrPermanent) {
				t.Fatalf("got %v, %v; want a retryable deadline error", got, err)
			}
			if !strings.Contains(err.Error(), "within 200ms") {
				t.Errorf("error %v does not give the timeout", err)
			}
			select {
			case <-tc.server.gone:
			case <-time.After(5 * time.Second):
				t.Error("the server's call was not cancelled")
			}
		})
	}
}

func TestFetchCancelled(t *testing.T) {
	qs := newQueryServer()
	qs.hang = true
	src := newSource(t, analysis.SourceSpec{Address: serve(t, qs)})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-qs.started
		cancel()
	}()
	_, err := src.Fetch(ctx, query(`{service="checkout"}`))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	select {
	case <-qs.gone:
	case <-time.After(5 * time.Second):
		t.Error("the server's call was not cancelled")
	}
}

func TestFetchLimitReached(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	shop := shop()
	for _, tc := range []struct {
		expr   string
		logged bool
	}{
		{`{service="checkout", limit="2"}`, true},
		{`{service="checkout", limit="3"}`, false},
	} {
		logs.Reset()
		qs := newQueryServer(chunked(10, shop.root, shop.orphan)...)
		src, err := New(analysis.SourceSpec{Address: serve(t, qs)}, logger)
		if err != nil {
			t.Fatal(err)
		}
		got, err := src.Fetch(context.Background(), query(tc.expr))
		_ = src.Close()
		if err != nil || len(analysis.Values(got)) != 2 {
			t.Fatalf("%s: got %v, %v; want two samples", tc.expr, got, err)
		}
		if strings.Contains(logs.String(), "trace limit reached") != tc.logged {
			t.Errorf("%s: logged %q, want the limit logged: %v", tc.expr, logs.String(), tc.logged)
		}
	}
}

func TestFetchAfterClose(t *testing.T) {
	qs := newQueryServer()
	src, err := New(analysis.SourceSpec{Address: serve(t, qs)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background(), query(`{service="checkout"}`)); err == nil {
		t.Fatal("Fetch after Close succeeded")
	}
}
