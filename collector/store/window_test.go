package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

func TestTimeWindowCheck(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	cfg := DefaultConfig()
	noOOO := cfg
	noOOO.OutOfOrderWindow = 0
	tests := []struct {
		name string
		cfg  Config
		t    time.Time
		want string // "" accepted, else a part of the error
	}{
		{"now", cfg, now, ""},
		{"at max_future", cfg, now.Add(10 * time.Minute), ""},
		{"just past max_future", cfg, now.Add(10*time.Minute + time.Millisecond), "2026-05-01T12:10:00.001Z is more than store.max_future (10m0s) ahead"},
		{"six hours ahead", cfg, now.Add(6 * time.Hour), "store.max_future"},
		{"int64 nanoseconds ahead", cfg, time.Unix(0, math.MaxInt64), "2262-04-11T23:47:16.854Z"},
		{"at the out-of-order window", cfg, now.Add(-2 * time.Hour), ""},
		{"just before the window", cfg, now.Add(-2*time.Hour - time.Millisecond), "more than 2h0m0s (store.out_of_order_window"},
		{"1971", cfg, time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC), "1971-01-01T00:00:00Z"},
		{"no out-of-order window: an hour back", noOOO, now.Add(-time.Hour), ""},
		{"no out-of-order window: older", noOOO, now.Add(-time.Hour - time.Millisecond), "more than 1h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Window(now).Check(tt.t.UnixMilli())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, storage.ErrOutOfBounds) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %v, want out of bounds naming %q", err, tt.want)
			}
		})
	}
	if got := formatMillis(math.MaxInt64); !strings.Contains(got, "ms since 1970") {
		t.Errorf("formatMillis(max) = %q", got)
	}
}

// TestAppendersRefuseOutOfWindow: every way into the store, samples,
// histograms, start-time zero samples and exemplars, on both appender
// interfaces, refuses times outside the window, and refusing them leaves
// the head's range where current data keeps flowing.
func TestAppendersRefuseOutOfWindow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Dir, cfg.MaxExemplars = t.TempDir(), 100
	s := openTestCfg(t, cfg)
	defer s.Close()
	now := time.Now()
	s.now = func() time.Time { return now }
	ls := labels.FromStrings("__name__", "m")
	hl := labels.FromStrings("__name__", "h")
	h := &histogram.Histogram{Count: 1, Sum: 1, Schema: 0, PositiveSpans: []histogram.Span{{Offset: 0, Length: 1}}, PositiveBuckets: []int64{1}}
	ok := now.UnixMilli()
	for _, bad := range []struct {
		name string
		t    int64
	}{{"future", now.Add(6 * time.Hour).UnixMilli()}, {"past", time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}} {
		tests := []struct {
			name   string
			append func() error
		}{
			{"Append", func() error {
				_, err := s.Appender(context.Background()).Append(0, ls, bad.t, 1)
				return err
			}},
			{"AppendHistogram", func() error {
				_, err := s.Appender(context.Background()).AppendHistogram(0, hl, bad.t, h, nil)
				return err
			}},
			{"AppendSTZeroSample", func() error {
				_, err := s.Appender(context.Background()).AppendSTZeroSample(0, ls, ok, bad.t)
				return err
			}},
			{"AppendHistogramSTZeroSample", func() error {
				_, err := s.Appender(context.Background()).AppendHistogramSTZeroSample(0, hl, ok, bad.t, h, nil)
				return err
			}},
			{"AppendExemplar", func() error {
				app := s.Appender(context.Background())
				ref, err := app.Append(0, ls, ok, 1)
				if err != nil {
					return err
				}
				_, err = app.AppendExemplar(ref, ls, exemplar.Exemplar{Labels: labels.FromStrings("trace_id", "1"), Value: 1, Ts: bad.t, HasTs: true})
				_ = app.Rollback()
				return err
			}},
			{"AppenderV2 float", func() error {
				_, err := s.AppenderV2(context.Background()).Append(0, ls, 0, bad.t, 1, nil, nil, storage.AOptions{})
				return err
			}},
			{"AppenderV2 histogram", func() error {
				_, err := s.AppenderV2(context.Background()).Append(0, hl, 0, bad.t, 0, h, nil, storage.AOptions{})
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(bad.name+"/"+tt.name, func(t *testing.T) {
				if err := tt.append(); !errors.Is(err, storage.ErrOutOfBounds) {
					t.Errorf("got %v, want out of bounds", err)
				}
			})
		}
	}

	// An exemplar outside the window is dropped on its own: the sample it
	// rides on is stored, and the caller learns of it as a partial error.
	app := s.AppenderV2(context.Background())
	ex := []exemplar.Exemplar{
		{Labels: labels.FromStrings("trace_id", "a"), Value: 1, Ts: ok - 1, HasTs: true},
		{Labels: labels.FromStrings("trace_id", "b"), Value: 1, Ts: now.Add(time.Hour).UnixMilli(), HasTs: true},
	}
	_, err := app.Append(0, ls, 0, ok, 7, nil, nil, storage.AOptions{Exemplars: ex})
	var partial *storage.AppendPartialError
	if !errors.As(err, &partial) || len(partial.ExemplarErrors) != 1 || !errors.Is(partial.ExemplarErrors[0], storage.ErrOutOfBounds) {
		t.Fatalf("V2 append with a future exemplar: %v, want a partial error of one exemplar", err)
	}
	if len(ex) != 2 || ex[1].Labels.Get("trace_id") != "b" {
		t.Error("the caller's exemplar slice was changed")
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	mint, maxt, stored := s.StoredRange()
	if !stored || mint != ok || maxt != ok {
		t.Errorf("stored range %d..%d (%v), want only the current sample at %d", mint, maxt, stored, ok)
	}
	eq, err := s.ExemplarQuerier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := eq.Select(0, math.MaxInt64, []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "__name__", "m")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Exemplars) != 1 || res[0].Exemplars[0].Labels.Get("trace_id") != "a" {
		t.Errorf("exemplars %v, want only the one in the window", res)
	}
}

func openTestCfg(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg, discardLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMaxFutureValidate(t *testing.T) {
	tests := []struct {
		name       string
		ooo, ahead time.Duration
		want       string
	}{
		{"default", 2 * time.Hour, 10 * time.Minute, ""},
		{"half the window", 2 * time.Hour, time.Hour, ""},
		{"zero", 2 * time.Hour, 0, "store.max_future: must be positive"},
		{"more than half the window", 2 * time.Hour, time.Hour + time.Second, "at most half the accepted sample age (2h0m0s"},
		{"no out-of-order window counts as an hour", 0, 30 * time.Minute, ""},
		{"no out-of-order window, over half an hour", 0, 31 * time.Minute, "(1h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.OutOfOrderWindow, c.MaxFuture = tt.ooo, tt.ahead
			err := c.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
