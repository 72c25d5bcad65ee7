package otlpgrpc

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FuzzExport feeds arbitrary bytes to the three Export handlers' decode
// path: they must not panic, and must either succeed or answer
// InvalidArgument.
func FuzzExport(f *testing.F) {
	for _, seed := range [][]byte{
		nil,
		{0x0a, 0x00},
		{0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x0a, 0x03, 0x01, 0x02, 0x03},
	} {
		f.Add(seed)
	}
	for _, req := range []interface{ MarshalProto() ([]byte, error) }{oneSpan(), onePoint(), oneRecord()} {
		b, err := req.MarshalProto()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	logger := discard()
	c := &fake{}
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		for name, export := range map[string]func() ([]byte, error){
			"traces":  func() ([]byte, error) { return exportTraces(ctx, logger, c, b) },
			"metrics": func() ([]byte, error) { return exportMetrics(ctx, logger, c, b) },
			"logs":    func() ([]byte, error) { return exportLogs(ctx, logger, c, b) },
		} {
			if _, err := export(); err != nil && status.Code(err) != codes.InvalidArgument {
				t.Errorf("%s: err = %v, want nil or InvalidArgument", name, err)
			}
		}
		c.mu.Lock()
		c.traces, c.metrics, c.logs = nil, nil, nil
		c.mu.Unlock()
	})
}
