package otlpgrpc

import (
	"context"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestHTTPMetricsAnswers maps the wrapped handler's HTTP answers to
// consumer results and gRPC codes.
func TestHTTPMetricsAnswers(t *testing.T) {
	partial := pmetricotlp.NewExportResponse()
	partial.PartialSuccess().SetRejectedDataPoints(2)
	partial.PartialSuccess().SetErrorMessage("2 points out of order")
	partialBody, err := partial.MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		code         int
		body         []byte
		wantCode     codes.Code
		wantRejected int
		wantMsg      string
	}{
		{name: "ok, empty body", code: http.StatusOK, wantCode: codes.OK},
		{name: "ok, partial success", code: http.StatusOK, body: partialBody, wantCode: codes.OK, wantRejected: 2, wantMsg: "2 points out of order"},
		{name: "bad request", code: http.StatusBadRequest, body: []byte("otlp metrics: invalid temporality\n"), wantCode: codes.InvalidArgument, wantMsg: "otlp metrics: invalid temporality"},
		{name: "too large", code: http.StatusRequestEntityTooLarge, body: []byte("too big"), wantCode: codes.InvalidArgument},
		{name: "too many requests", code: http.StatusTooManyRequests, wantCode: codes.Unavailable},
		{name: "unavailable", code: http.StatusServiceUnavailable, wantCode: codes.Unavailable},
		{name: "internal", code: http.StatusInternalServerError, body: []byte("panic"), wantCode: codes.Internal},
		{name: "unsupported media type", code: http.StatusUnsupportedMediaType, wantCode: codes.Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var gotReq *http.Request
			var gotBody []byte
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotReq = r
				gotBody, _ = io.ReadAll(r.Body)
				if tc.code != http.StatusOK || tc.body != nil {
					w.WriteHeader(tc.code)
				}
				_, _ = w.Write(tc.body)
			})
			md := onePoint().Metrics()
			rejected, msg, err := HTTPMetrics{Handler: h}.ConsumeMetrics(context.Background(), md)
			if gotReq.Method != http.MethodPost || gotReq.URL.Path != "/v1/metrics" || gotReq.Header.Get("Content-Type") != "application/x-protobuf" {
				t.Errorf("request = %s %s %q", gotReq.Method, gotReq.URL.Path, gotReq.Header.Get("Content-Type"))
			}
			sent := pmetricotlp.NewExportRequest()
			if err := sent.UnmarshalProto(gotBody); err != nil || sent.Metrics().DataPointCount() != 1 {
				t.Errorf("handler got %d bytes that decode to %d points (%v)", len(gotBody), sent.Metrics().DataPointCount(), err)
			}
			st := status.Convert(ErrorStatus("otlp metrics", err))
			if st.Code() != tc.wantCode {
				t.Errorf("code = %s (%v), want %s", st.Code(), err, tc.wantCode)
			}
			if err == nil && (rejected != tc.wantRejected || msg != tc.wantMsg) {
				t.Errorf("= %d %q, want %d %q", rejected, msg, tc.wantRejected, tc.wantMsg)
			}
			if err != nil && tc.wantMsg != "" && st.Message() != tc.wantMsg {
				t.Errorf("message = %q, want %q", st.Message(), tc.wantMsg)
			}
		})
	}
}
