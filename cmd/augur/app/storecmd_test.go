package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/tsdb"
)

// poisonStore writes, as an older augur let senders do, current data and
// one sample six hours ahead straight into the TSDB in dir.
func poisonStore(t *testing.T, dir string, good time.Time) {
	t.Helper()
	opts := tsdb.DefaultOptions()
	opts.OutOfOrderTimeWindow = DefaultConfig().Store.OutOfOrderWindow.Milliseconds()
	db, err := tsdb.Open(dir, quietLogger(), nil, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	app := db.Appender(context.Background())
	for _, s := range []struct {
		name string
		at   time.Time
	}{{"before_poison", good}, {"poison", time.Now().Add(6 * time.Hour)}} {
		if _, err := app.Append(0, labels.FromStrings("__name__", s.name), s.at.UnixMilli(), 4); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStoreRepairCommand: augur serve warns at start, naming the command,
// about a store an older augur let be poisoned (and a current sample is
// indeed refused); augur store repair mends it offline, keeping what was
// in the window and the experiment state; augur serve then starts quietly
// and takes current samples again.
func TestStoreRepairCommand(t *testing.T) {
	dir := t.TempDir()
	good := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	poisonStore(t, dir, good)

	start := func() (*Server, string, func()) {
		var logs lockedBuffer
		cfg := DefaultConfig()
		cfg.Listen, cfg.Store.Dir, cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "127.0.0.1:0", dir, "", ""
		srv, err := NewServer(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		srv.Start()
		return srv, logs.String(), func() {
			if err := srv.Shutdown(context.Background()); err != nil {
				t.Error(err)
			}
		}
	}
	srv, logs, stop := start()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "store holds samples in the future") ||
		!strings.Contains(logs, "augur store repair --data-dir "+dir) {
		t.Errorf("no warning naming the repair at start:\n%s", logs)
	}
	b, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels: []prompb.Label{{Name: "__name__", Value: "current"}}, Samples: []prompb.Sample{{Timestamp: time.Now().UnixMilli(), Value: 1}},
	}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", snappy.Encode(nil, b)); code != http.StatusBadRequest || !strings.Contains(msg, "too old") {
		t.Errorf("a current sample into the poisoned store: %d %s, want refused as too old", code, msg)
	}
	var out strings.Builder
	if err := StoreRepair(context.Background(), &out, quietLogger(), RepairArgs{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "augur serve") {
		t.Errorf("repair while augur serve runs: %v, want refused", err)
	}
	stop()
	// The experiment state lives beside the store and must survive.
	state, err := os.ReadFile(filepath.Join(dir, "augur.db"))
	if err != nil {
		t.Fatal(err)
	}

	for _, bad := range []RepairArgs{{DataDir: dir, DropAfter: "tomorrow"}, {DataDir: dir, DropBefore: "now+1h", DropAfter: "now"}} {
		if err := StoreRepair(context.Background(), &out, quietLogger(), bad); !errors.Is(err, ErrBadInput) {
			t.Errorf("%+v: %v, want bad input", bad, err)
		}
	}
	out.Reset()
	if err := StoreRepair(context.Background(), &out, quietLogger(), RepairArgs{DataDir: dir, DryRun: true}); err != nil ||
		!strings.Contains(out.String(), "0 samples before, 1 after") || !strings.Contains(out.String(), "dry run") {
		t.Fatalf("dry run: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := StoreRepair(context.Background(), &out, quietLogger(), RepairArgs{DataDir: dir}); err != nil ||
		!strings.Contains(out.String(), "0 samples before, 1 after") || !strings.Contains(out.String(), "the replaced files are in "+dir) {
		t.Fatalf("repair: %v\n%s", err, out.String())
	}
	if after, err := os.ReadFile(filepath.Join(dir, "augur.db")); err != nil || string(after) != string(state) {
		t.Errorf("augur.db changed by the repair (%v)", err)
	}

	srv, logs, stop = start()
	defer stop()
	if strings.Contains(logs, "samples in the future") || strings.Contains(logs, "lockfile") {
		t.Errorf("warning after the repair:\n%s", logs)
	}
	sendProbe(t, srv, 1)
	if got, ok := queryScalar(t, srv, `before_poison`, good); !ok || got != 4 {
		t.Errorf("the sample from before the poison reads %v (found %v), want 4", got, ok)
	}
	if _, ok := queryScalar(t, srv, `poison`, time.Now().Add(6*time.Hour)); ok {
		t.Error("the poison survived the repair")
	}
}

func TestParseTimeArg(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  string
	}{
		{"now", now, ""},
		{"now+10m", now.Add(10 * time.Minute), ""},
		{"now-360h", now.Add(-360 * time.Hour), ""},
		{"2026-04-01T00:00:00Z", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), ""},
		{"now*2", time.Time{}, "want now+duration"},
		{"now+ten", time.Time{}, "invalid duration"},
		{"yesterday", time.Time{}, "want an RFC 3339 time"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTimeArg(tt.in, now)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
