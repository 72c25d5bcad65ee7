package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// point is one stored sample, its histogram rendered for comparison.
type point struct {
	T int64
	F float64
	H string
}

// everything reads every sample the store holds, per series.
func everything(t *testing.T, s *Store) map[string][]point {
	t.Helper()
	q, err := s.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	out := map[string][]point{}
	ss := q.Select(context.Background(), false, nil, allSeries)
	var it chunkenc.Iterator
	for ss.Next() {
		it = ss.At().Iterator(it)
		key := ss.At().Labels().String()
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			switch vt {
			case chunkenc.ValFloat:
				ts, v := it.At()
				out[key] = append(out[key], point{T: ts, F: v})
			case chunkenc.ValHistogram:
				ts, h := it.AtHistogram(nil)
				out[key] = append(out[key], point{T: ts, H: h.String()})
			}
		}
	}
	if err := ss.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func appendAll(t *testing.T, app storage.Appender, ls labels.Labels, ts []time.Time, v func(i int) float64) {
	t.Helper()
	for i, at := range ts {
		if _, err := app.Append(0, ls, at.UnixMilli(), v(i)); err != nil {
			t.Fatalf("%s at %s: %v", ls, at, err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
}

func every(from time.Time, step time.Duration, n int) []time.Time {
	var out []time.Time
	for i := range n {
		out = append(out, from.Add(time.Duration(i)*step))
	}
	return out
}

// writeBlock persists samples of series old_total as a block in dir, as a
// store that ran earlier would have.
func writeBlock(t *testing.T, dir string, ts []time.Time) {
	t.Helper()
	w, err := tsdb.NewBlockWriter(discardLogger(), dir, 2*tsdb.DefaultBlockDuration)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w.Appender(context.Background()), labels.FromStrings("__name__", "old_total"), ts, func(i int) float64 { return float64(i) })
	if _, err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRepairPoisonedStore poisons a store the way an older augur let
// senders do (the raw TSDB appender, without the time window), shows the
// harm, repairs it offline and shows every in-window sample kept, the
// poison gone and current samples accepted again.
func TestRepairPoisonedStore(t *testing.T) {
	now := time.Now()
	y1971 := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// block writes a block of older data before the store opens.
		block bool
		// poison are samples appended raw, before (early) or after the
		// in-window data.
		early, late            []time.Time
		droppedBefore, dropped int64
		// harmed says how the poison shows before the repair.
		harmed func(t *testing.T, s *Store)
	}{
		{"far future, with a block and out-of-order data", true, nil, []time.Time{now.Add(6 * time.Hour), time.Unix(0, math.MaxInt64)}, 0, 2,
			func(t *testing.T, s *Store) {
				app := s.Appender(context.Background())
				defer app.Rollback()
				if _, err := app.Append(0, labels.FromStrings("__name__", "current"), now.UnixMilli(), 1); !errors.Is(err, storage.ErrTooOldSample) {
					t.Errorf("a current sample into the poisoned store: %v, want too old", err)
				}
			}},
		{"a sample from 1971 into an empty store", false, []time.Time{y1971}, nil, 1, 0,
			func(t *testing.T, s *Store) {
				if mint, _, _ := s.StoredRange(); mint != y1971.UnixMilli() {
					t.Errorf("head starts at %s, want 1971", formatMillis(mint))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.block {
				writeBlock(t, dir, every(now.Add(-12*time.Hour), time.Minute, 120))
			}
			state := []byte("experiment state: never touched")
			if err := os.WriteFile(filepath.Join(dir, "augur.db"), state, 0o600); err != nil {
				t.Fatal(err)
			}
			s := openTest(t, dir)
			poison := func(ts []time.Time) {
				for i, at := range ts {
					appendAll(t, s.db.Appender(context.Background()), labels.FromStrings("__name__", "poison", "n", fmt.Sprint(i)), []time.Time{at}, func(int) float64 { return 1 })
				}
			}
			poison(tt.early)
			appendAll(t, s.Appender(context.Background()), labels.FromStrings("__name__", "req_total"), every(now.Add(-90*time.Minute), time.Minute, 89),
				func(i int) float64 { return float64(10 * i) })
			// An out-of-order sample: older than the series' newest.
			appendAll(t, s.Appender(context.Background()), labels.FromStrings("__name__", "ooo"), []time.Time{now.Add(-time.Minute), now.Add(-80 * time.Minute)},
				func(i int) float64 { return float64(i + 1) })
			happ := s.Appender(context.Background())
			for i, at := range every(now.Add(-30*time.Minute), 5*time.Minute, 5) {
				h := &histogram.Histogram{Count: uint64(i + 1), Sum: float64(i), Schema: 3, PositiveSpans: []histogram.Span{{Offset: 0, Length: 1}}, PositiveBuckets: []int64{int64(i + 1)}}
				if _, err := happ.AppendHistogram(0, labels.FromStrings("__name__", "lat"), at.UnixMilli(), h, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := happ.Commit(); err != nil {
				t.Fatal(err)
			}
			want := everything(t, s) // the in-window data
			for k := range want {
				if strings.Contains(k, `"poison"`) {
					delete(want, k)
				}
			}
			poison(tt.late)
			tt.harmed(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			keep := DefaultConfig().Window(now)
			keep.Min = now.Add(-DefaultConfig().Retention).UnixMilli()
			ls := func() []string {
				entries, _ := os.ReadDir(dir)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				return names
			}
			before := ls()
			rep, err := Repair(context.Background(), dir, RepairOptions{Keep: keep, DryRun: true}, discardLogger())
			if err != nil || rep.Changed || rep.DroppedBefore != tt.droppedBefore || rep.DroppedAfter != tt.dropped {
				t.Fatalf("dry run: %+v, %v; want %d and %d dropped, nothing changed", rep, err, tt.droppedBefore, tt.dropped)
			}
			if after := ls(); !reflect.DeepEqual(after, before) {
				t.Fatalf("dry run changed the directory: %v, was %v", after, before)
			}

			rep, err = Repair(context.Background(), dir, RepairOptions{Keep: keep}, discardLogger())
			if err != nil {
				t.Fatal(err)
			}
			var kept int64
			for _, ps := range want {
				kept += int64(len(ps))
			}
			if !rep.Changed || rep.DroppedBefore != tt.droppedBefore || rep.DroppedAfter != tt.dropped || rep.Kept != kept || rep.Blocks == 0 {
				t.Errorf("report %+v, want %d kept, %d and %d dropped", rep, kept, tt.droppedBefore, tt.dropped)
			}
			if _, err := os.Stat(filepath.Join(rep.BackupDir, "wal")); err != nil {
				t.Errorf("the old write-ahead log is not in the backup: %v", err)
			}
			if got, err := os.ReadFile(filepath.Join(dir, "augur.db")); err != nil || !bytes.Equal(got, state) {
				t.Errorf("augur.db: %q, %v", got, err)
			}

			s = openTest(t, dir)
			defer s.Close()
			if got := everything(t, s); !reflect.DeepEqual(got, want) {
				t.Errorf("after the repair the store holds\n%v\nwant\n%v", got, want)
			}
			if mint, maxt, _ := s.StoredRange(); mint < keep.Min || maxt > keep.Max {
				t.Errorf("stored range %s..%s, outside the window", formatMillis(mint), formatMillis(maxt))
			}
			app := s.Appender(context.Background())
			if _, err := app.Append(0, labels.FromStrings("__name__", "current"), time.Now().UnixMilli(), 1); err != nil {
				t.Errorf("a current sample after the repair: %v", err)
			}
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			if rep, err := Repair(context.Background(), dir, RepairOptions{Keep: keep}, discardLogger()); err == nil || !strings.Contains(err.Error(), "augur serve") || rep.Changed {
				t.Errorf("repair of a store in use: %+v, %v; want refused", rep, err)
			}
		})
	}
}

func TestRepairRefuses(t *testing.T) {
	keep := DefaultConfig().Window(time.Now())
	empty := t.TempDir()
	if _, err := Repair(context.Background(), empty, RepairOptions{Keep: keep}, discardLogger()); err == nil || !strings.Contains(err.Error(), "no store in") {
		t.Errorf("a directory without a store: %v", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("repair created %v in a directory without a store", entries)
	}
	inverted := keep
	inverted.Min, inverted.Max = keep.Max, keep.Min
	if _, err := Repair(context.Background(), empty, RepairOptions{Keep: inverted}, discardLogger()); err == nil || !strings.Contains(err.Error(), "nothing to keep") {
		t.Errorf("an empty window: %v", err)
	}

	// A healthy store is left as it is.
	dir := t.TempDir()
	s := openTest(t, dir)
	appendAll(t, s.Appender(context.Background()), labels.FromStrings("__name__", "g"), []time.Time{time.Now()}, func(int) float64 { return 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Repair(context.Background(), dir, RepairOptions{Keep: keep}, discardLogger())
	if err != nil || rep.Changed || rep.DroppedAfter+rep.DroppedBefore != 0 {
		t.Errorf("healthy store: %+v, %v; want nothing to do", rep, err)
	}
}
