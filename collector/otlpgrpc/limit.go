package otlpgrpc

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
)

// Slots bounds the calls served at once (collector.Limiter is one, shared
// with the HTTP receivers).
type Slots interface {
	// TryAcquire takes a slot without waiting and returns its release, or
	// an error naming the limit when none is free.
	TryAcquire() (release func(), err error)
	// RetryAfter is how long a refused client should wait.
	RetryAfter() time.Duration
}

// Limit returns a unary server interceptor that serves a call only while
// holding a slot of s. gRPC has received the whole request by then, so a
// client still sending holds no slot; decoding and consuming happen inside
// it. A call finding no slot free is answered RESOURCE_EXHAUSTED with a
// RetryInfo of s.RetryAfter(): OTLP exporters retry that status, after the
// delay, only when RetryInfo is present.
func Limit(s Slots) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		release, err := s.TryAcquire()
		if err != nil {
			return nil, ErrorStatus(signalOf(info.FullMethod), Throttle(err, s.RetryAfter()))
		}
		defer release()
		return h(ctx, req)
	}
}

// signalOf names the signal of a method for messages.
func signalOf(fullMethod string) string {
	switch {
	case strings.HasPrefix(fullMethod, "/"+TraceServiceName+"/"):
		return "otlp traces"
	case strings.HasPrefix(fullMethod, "/"+MetricsServiceName+"/"):
		return "otlp metrics"
	case strings.HasPrefix(fullMethod, "/"+LogsServiceName+"/"):
		return "otlp logs"
	}
	return strings.TrimPrefix(fullMethod, "/")
}
