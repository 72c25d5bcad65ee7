// Command loadgen pushes a fixed remote-write 1.0 load (snappy protobuf
// prometheus.WriteRequest) into a receiver and reports the sample rate.
// scripts/bench_remote_write.sh runs it against augur and Prometheus.
//
// Every request is encoded before the clock starts, so the figure is the
// receiver's, not the generator's. Each sender owns a disjoint set of
// series and sends their samples in time order, as a Prometheus remote
// write queue shard does.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080/api/v1/write", "remote-write endpoint")
	series := flag.Int("series", 10_000, "distinct series")
	samples := flag.Int("samples", 1_000_000, "samples in total (a multiple of -series)")
	senders := flag.Int("senders", 8, "concurrent senders")
	perReq := flag.Int("batch", 2000, "samples per request")
	perSeries := flag.Int("samples-per-series-per-request", 10, "consecutive samples of one series in a request")
	flag.Parse()
	if err := run(*target, *series, *samples, *senders, *perReq, *perSeries); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(target string, nSeries, nSamples, nSenders, batch, perSeries int) error {
	if nSeries <= 0 || nSamples%nSeries != 0 || nSenders <= 0 || batch < perSeries || perSeries <= 0 {
		return fmt.Errorf("bad flags: series %d, samples %d, senders %d, batch %d", nSeries, nSamples, nSenders, batch)
	}
	steps := nSamples / nSeries
	if steps%perSeries != 0 {
		return fmt.Errorf("samples per series (%d) must be a multiple of %d", steps, perSeries)
	}
	seriesPerReq := batch / perSeries
	start := time.Now().Add(-time.Duration(steps+5) * time.Second).UnixMilli()

	labelsOf := func(i int) []prompb.Label {
		return []prompb.Label{
			{Name: "__name__", Value: "bench_metric_" + strconv.Itoa(i%10)},
			{Name: "instance", Value: "host-" + strconv.Itoa(i%100)},
			{Name: "job", Value: "bench"},
			{Name: "series", Value: strconv.Itoa(i)},
		}
	}
	// Per sender: its series in chunks, each chunk sent for consecutive
	// windows of perSeries steps.
	reqs := make([][][]byte, nSenders)
	for s := 0; s < nSenders; s++ {
		var mine []int
		for i := s; i < nSeries; i += nSenders {
			mine = append(mine, i)
		}
		for w := 0; w < steps; w += perSeries {
			for c := 0; c < len(mine); c += seriesPerReq {
				var wr prompb.WriteRequest
				for _, i := range mine[c:min(c+seriesPerReq, len(mine))] {
					ts := prompb.TimeSeries{Labels: labelsOf(i)}
					for k := w; k < w+perSeries; k++ {
						ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: start + int64(k)*1000, Value: float64(i + k)})
					}
					wr.Timeseries = append(wr.Timeseries, ts)
				}
				b, err := wr.Marshal()
				if err != nil {
					return err
				}
				reqs[s] = append(reqs[s], snappy.Encode(nil, b))
			}
		}
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: nSenders}, Timeout: time.Minute}
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	for s := 0; s < nSenders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for _, body := range reqs[s] {
				if err := send(context.Background(), client, target, body); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				sent.Add(1)
			}
		}(s)
	}
	wg.Wait()
	el := time.Since(t0)
	total := 0
	for _, r := range reqs {
		total += len(r)
	}
	fmt.Printf("requests=%d failed=%d samples=%d seconds=%.3f samples_per_sec=%.0f\n",
		total, failed.Load(), nSamples, el.Seconds(), float64(nSamples)/el.Seconds())
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed, first: %v", failed.Load(), firstErr.Load())
	}
	return nil
}

// send posts one request, retrying 429 and 5xx as a remote-write sender
// does.
func send(ctx context.Context, c *http.Client, target string, body []byte) error {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "snappy")
		req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2:
			return nil
		case (resp.StatusCode == 429 || resp.StatusCode/100 == 5) && attempt < 10:
			time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
		default:
			return fmt.Errorf("%d: %s", resp.StatusCode, bytes.TrimSpace(msg))
		}
	}
}
