package otlpgrpc

import (
	"context"
	"errors"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// kindError classifies a consumer error for the gRPC answer.
type kindError struct {
	err        error
	code       codes.Code
	retryAfter time.Duration
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

// BadData marks a consumer error as caused by the data itself: the answer
// is InvalidArgument, which OTLP clients do not retry.
func BadData(err error) error {
	if err == nil {
		return nil
	}
	return &kindError{err: err, code: codes.InvalidArgument}
}

// Throttle marks a consumer error as temporary overload: the answer is
// ResourceExhausted with a RetryInfo asking the client to wait retryAfter
// (OTLP clients retry ResourceExhausted only when RetryInfo is present).
func Throttle(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	return &kindError{err: err, code: codes.ResourceExhausted, retryAfter: retryAfter}
}

// Unavailable marks a consumer error as temporary: the answer is
// Unavailable, with a RetryInfo when retryAfter is positive. Unmarked
// errors are answered the same way without RetryInfo.
func Unavailable(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	return &kindError{err: err, code: codes.Unavailable, retryAfter: retryAfter}
}

// ErrorStatus turns a consumer error into the gRPC status error OTLP
// expects. An error that already carries a gRPC status keeps it; BadData,
// Throttle and Unavailable errors get their code; a cancelled or expired
// request context gives Canceled or DeadlineExceeded; anything else is
// Unavailable, since augur's consumers fail on storage, which is worth
// retrying. signal prefixes the message ("otlp traces").
func ErrorStatus(signal string, err error) error {
	if err == nil {
		return nil
	}
	msg := signal + ": " + err.Error()
	var k *kindError
	if errors.As(err, &k) {
		return newStatus(k.code, msg, k.retryAfter)
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return s.Err()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, msg)
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, msg)
	}
	return status.Error(codes.Unavailable, msg)
}

func newStatus(code codes.Code, msg string, retryAfter time.Duration) error {
	s := status.New(code, msg)
	if retryAfter > 0 {
		if d, err := s.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retryAfter)}); err == nil {
			s = d
		}
	}
	return s.Err()
}
