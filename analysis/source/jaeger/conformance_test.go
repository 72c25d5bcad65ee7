package jaeger

import (
	"net"
	"net/http"
	"testing"
	"time"

	api_v2 "github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/sourcetest"
)

// grpcCodes maps the suite's HTTP faults to the gRPC codes a query service
// (or a gRPC proxy before it) answers with.
var grpcCodes = map[int]codes.Code{
	http.StatusServiceUnavailable:  codes.Unavailable,
	http.StatusInternalServerError: codes.Internal,
	http.StatusBadGateway:          codes.Unavailable,
	http.StatusGatewayTimeout:      codes.DeadlineExceeded,
	http.StatusTooManyRequests:     codes.ResourceExhausted,
	http.StatusUnauthorized:        codes.Unauthenticated,
	http.StatusForbidden:           codes.PermissionDenied,
}

// refusing answers every FindTraces with one status.
type refusing struct {
	api_v2.UnimplementedQueryServiceServer
	err error
}

func (r *refusing) FindTraces(*api_v2.FindTracesRequest, api_v2.QueryService_FindTracesServer) error {
	return r.err
}

// TestConformance runs the source conformance suite: a trace store cannot
// load the metric dataset, so the no-data, malformed-query and
// cancellation cases run against the replaying query service, and every
// error case for real.
func TestConformance(t *testing.T) {
	src := newSource(t, analysis.SourceSpec{Address: serve(t, newQueryServer())})
	sourcetest.Run(t, sourcetest.Backend{
		Data: &sourcetest.Data{
			Source: src,
			Queries: sourcetest.Queries{
				Nothing:       `{service="checkout", "service.version"="v9"}`,
				Malformed:     `{service=~"check.*"}`,
				MalformedSays: "only equality",
			},
		},
		Endpoint: func(t *testing.T, addr string, timeout time.Duration) analysis.Source {
			return newSource(t, analysis.SourceSpec{Address: addr, Timeout: analysis.Duration(timeout)})
		},
		Probe: query(`{service="checkout"}`),
		Refuse: func(t *testing.T, f sourcetest.Fault) (string, []string) {
			code, ok := grpcCodes[f.Status]
			if !ok {
				t.Fatalf("no gRPC code for HTTP %d", f.Status)
			}
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := grpc.NewServer()
			api_v2.RegisterQueryServiceServer(srv, &refusing{err: status.Error(code, "refused: "+f.Name)})
			go func() { _ = srv.Serve(lis) }()
			t.Cleanup(srv.Stop)
			return lis.Addr().String(), []string{"refused: " + f.Name}
		},
	})
}
