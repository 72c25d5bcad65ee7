package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// startAugur runs the binary's serve on addr with dataDir until killed.
func startAugur(t *testing.T, bin, addr, dataDir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data-dir", dataDir, "--otlp-grpc-listen=", "--jaeger-listen=")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			resp.Body.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("augur not up after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKillDuringIngestLosesNothingAcknowledged: augur is sent remote-write
// and OTLP trace batches and killed with SIGKILL mid-stream; after a
// restart on the same data directory every acknowledged sample is
// queryable: a batch is answered after its commit has written the
// write-ahead log records to the segment file (write(2), not fsync, so a
// killed process loses nothing; a power loss may lose the last records).
func TestKillDuringIngestLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	dir := t.TempDir()
	bin := augurBin(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dataDir := filepath.Join(dir, "data")
	cmd := startAugur(t, bin, addr, dataDir)
	base := "http://" + addr

	start := time.Now().Add(-3 * time.Hour / 2).Truncate(time.Second)
	tsOf := func(n int) int64 { return start.Add(time.Duration(n) * time.Second).UnixMilli() }
	const extraSeries = 50
	rwBody := func(n int) []byte {
		wr := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
			Labels:  []prompb.Label{{Name: "__name__", Value: "crash_batch"}},
			Samples: []prompb.Sample{{Timestamp: tsOf(n), Value: float64(n)}},
		}}}
		for i := 0; i < extraSeries; i++ {
			wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{
				Labels:  []prompb.Label{{Name: "__name__", Value: "crash_load"}, {Name: "i", Value: strconv.Itoa(i)}},
				Samples: []prompb.Sample{{Timestamp: tsOf(n), Value: float64(n)}},
			})
		}
		b, err := wr.Marshal()
		if err != nil {
			t.Error(err)
		}
		return snappy.Encode(nil, b)
	}
	const spansPerBatch = 10
	traceBody := func(n int) []byte {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "crash")
		ss := rs.ScopeSpans().AppendEmpty()
		for i := 0; i < spansPerBatch; i++ {
			sp := ss.Spans().AppendEmpty()
			sp.SetName("op")
			sp.SetKind(ptrace.SpanKindServer)
			sp.SetTraceID(pcommon.TraceID{byte(n >> 8), byte(n), byte(i), 1})
			sp.SetSpanID(pcommon.SpanID{byte(n), byte(i), 1})
			end := time.UnixMilli(tsOf(n)).Add(time.Duration(i) * time.Millisecond)
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(end.Add(-5 * time.Millisecond)))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		}
		b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
		if err != nil {
			t.Error(err)
		}
		return b
	}

	post := func(path, ctype, enc string, body []byte) bool {
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode/100 == 2
	}

	// Two senders, in order each; the kill lands while both are busy.
	var mu sync.Mutex
	rwAcked := map[int]bool{}
	traceAcked := 0
	lastTraceAcked := -1
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for n := 0; n < 5000; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if post("/api/v1/write", "application/x-protobuf", "snappy", rwBody(n)) {
				mu.Lock()
				rwAcked[n] = true
				mu.Unlock()
			}
		}
	}()
	go func() {
		defer wg.Done()
		for n := 0; n < 5000; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if post("/v1/traces", "application/x-protobuf", "", traceBody(n)) {
				mu.Lock()
				traceAcked++
				lastTraceAcked = n
				mu.Unlock()
			}
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	time.Sleep(200 * time.Millisecond) // let in-flight requests fail
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(rwAcked) < 10 || traceAcked < 10 {
		t.Fatalf("too few acknowledged batches before the kill: %d remote write, %d traces", len(rwAcked), traceAcked)
	}
	t.Logf("acknowledged before SIGKILL: %d remote-write batches, %d trace batches", len(rwAcked), traceAcked)

	cmd = startAugur(t, bin, addr, dataDir)
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()

	// Every acknowledged remote-write batch: crash_batch at its own
	// timestamp has its own value, and all its crash_load series are there.
	maxN := 0
	for n := range rwAcked {
		maxN = max(maxN, n)
	}
	vals := queryRange(t, base, "crash_batch", tsOf(0), tsOf(maxN))
	loads := queryRange(t, base, "count(crash_load)", tsOf(0), tsOf(maxN))
	missing := 0
	for n := range rwAcked {
		if v, ok := vals[tsOf(n)]; !ok || v != float64(n) {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged batch %d: crash_batch at its time = %v (found %v)", n, v, ok)
			}
		}
		if c := loads[tsOf(n)]; c != extraSeries {
			t.Errorf("acknowledged batch %d: %v crash_load series, want %d", n, c, extraSeries)
		}
	}
	// Span metrics: the requests counter at the last acknowledged trace
	// batch counts at least every acknowledged span.
	at := time.UnixMilli(tsOf(lastTraceAcked)).Add(time.Second)
	got := queryRange(t, base, `sum(augur_span_requests_total{service_name="crash"})`, at.UnixMilli(), at.UnixMilli())
	if v := got[at.UnixMilli()]; v < float64(traceAcked*spansPerBatch) {
		t.Errorf("span requests at the last acknowledged batch = %v, want at least %d", v, traceAcked*spansPerBatch)
	}
}

// queryRange evaluates expr every second over [from, to] (ms) and returns
// the first series' values by timestamp.
func queryRange(t *testing.T, base, expr string, from, to int64) map[int64]float64 {
	t.Helper()
	q := url.Values{
		"query": {expr},
		"start": {strconv.FormatFloat(float64(from)/1000, 'f', 3, 64)},
		"end":   {strconv.FormatFloat(float64(to)/1000, 'f', 3, 64)},
		"step":  {"1"},
	}
	resp, err := http.Get(base + "/api/v1/query_range?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "success" {
		t.Fatalf("%s: %s", expr, body.Error)
	}
	out := map[int64]float64{}
	if len(body.Data.Result) == 0 {
		return out
	}
	for _, v := range body.Data.Result[0].Values {
		ts, _ := v[0].(float64)
		f, err := strconv.ParseFloat(fmt.Sprint(v[1]), 64)
		if err != nil {
			t.Fatal(err)
		}
		out[int64(ts*1000+0.5)] = f
	}
	return out
}
