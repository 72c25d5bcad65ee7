package otlpgrpc

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeSlots hands out n slots.
type fakeSlots struct {
	mu      sync.Mutex
	n, held int
}

func (f *fakeSlots) TryAcquire() (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held >= f.n {
		return nil, errors.New("overloaded: 1 ingest requests in flight")
	}
	f.held++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.held--
	}, nil
}

func (f *fakeSlots) RetryAfter() time.Duration { return 4 * time.Second }

func (f *fakeSlots) inUse() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// TestLimit: with no slot free a call is answered RESOURCE_EXHAUSTED with
// a RetryInfo and the consumer is not called; with one free the call is
// served and gives its slot back.
func TestLimit(t *testing.T) {
	slots := &fakeSlots{n: 1}
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	c := &fake{}
	srv, err := New(discard(), cfg, c, nil, nil, grpc.ChainUnaryInterceptor(Limit(slots)))
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := serve(t, srv)
	client := ptraceotlp.NewGRPCClient(conn)

	if _, err := client.Export(context.Background(), oneSpan()); err != nil {
		t.Fatalf("free slot: %v", err)
	}
	if slots.inUse() != 0 || c.calls() != 1 {
		t.Fatalf("after a call: %d slots held, %d consumer calls; want 0 and 1", slots.inUse(), c.calls())
	}
	release, _ := slots.TryAcquire()
	_, err = client.Export(context.Background(), oneSpan())
	release()
	st := status.Convert(err)
	var retry time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri.GetRetryDelay().AsDuration()
		}
	}
	if st.Code() != codes.ResourceExhausted || retry != 4*time.Second || !strings.HasPrefix(st.Message(), "otlp traces: overloaded") {
		t.Errorf("no slot: %s %q retry %s, want ResourceExhausted with a 4s RetryInfo", st.Code(), st.Message(), retry)
	}
	if c.calls() != 1 {
		t.Errorf("consumer called for a refused call")
	}
}

// TestConnectionTimeout: a connection that never completes the HTTP/2
// handshake is closed after connection_timeout.
func TestConnectionTimeout(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ConnectionTimeout = 100 * time.Millisecond
	_, addr := start(t, cfg, &fake{}, nil, nil)
	// The server's clock starts when it accepts, which can be before Dial
	// returns here: measure from before the dial.
	begun := time.Now()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(nc)
	if err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	if d := time.Since(begun); d < cfg.ConnectionTimeout {
		t.Errorf("closed after %s, before the timeout", d)
	}
}
