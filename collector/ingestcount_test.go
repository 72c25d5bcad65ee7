package collector

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// scriptedStore's appenders fail the appends whose value is negative and
// fail Commit when commitErr is set.
type scriptedStore struct{ commitErr error }

type scriptedAppender struct {
	storage.Appender
	s *scriptedStore
}

func (a scriptedAppender) Append(_ storage.SeriesRef, _ labels.Labels, _ int64, v float64) (storage.SeriesRef, error) {
	if v < 0 {
		return 0, storage.ErrOutOfBounds
	}
	return 1, nil
}

func (a scriptedAppender) Commit() error   { return a.s.commitErr }
func (a scriptedAppender) Rollback() error { return nil }

type scriptedAppenderV2 struct {
	storage.AppenderV2
	s *scriptedStore
}

func (a scriptedAppenderV2) Append(_ storage.SeriesRef, _ labels.Labels, _, _ int64, v float64, _ *histogram.Histogram, _ *histogram.FloatHistogram, _ storage.AOptions) (storage.SeriesRef, error) {
	switch {
	case v < 0:
		return 0, storage.ErrOutOfBounds
	case v == 0.5: // stored, its exemplar refused
		return 1, &storage.AppendPartialError{ExemplarErrors: []error{errors.New("exemplar out of order")}}
	}
	return 1, nil
}

func (a scriptedAppenderV2) Commit() error   { return a.s.commitErr }
func (a scriptedAppenderV2) Rollback() error { return nil }

func (s *scriptedStore) Appender(context.Context) storage.Appender {
	return scriptedAppender{s: s}
}
func (s *scriptedStore) AppenderV2(context.Context) storage.AppenderV2 {
	return scriptedAppenderV2{s: s}
}
func (s *scriptedStore) CheckTime(int64) error { return nil }

func TestIngestCountersSamples(t *testing.T) {
	tests := []struct {
		name               string
		v2                 bool
		values             []float64
		commitErr          error
		rollback           bool
		accepted, rejected float64
	}{
		{"committed", false, []float64{1, 2, -1}, nil, false, 2, 1},
		{"commit fails: nothing stored", false, []float64{1, 2, -1}, errors.New("disk full"), false, 0, 3},
		{"rolled back: nothing stored", false, []float64{1, 2}, nil, true, 0, 2},
		{"v2 with a refused exemplar keeps its sample", true, []float64{1, 0.5, -1}, nil, false, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewIngestCounters(prometheus.NewRegistry())
			st := c.Samples(&scriptedStore{commitErr: tt.commitErr})
			if _, ok := st.(TimeChecker); !ok {
				t.Fatal("the wrapped store lost its time check")
			}
			ctx := WithProtocol(context.Background(), ProtocolRemoteWrite)
			ls := labels.FromStrings("__name__", "x")
			var end func() error
			if tt.v2 {
				app := st.AppenderV2(ctx)
				for _, v := range tt.values {
					_, _ = app.Append(0, ls, 0, 1, v, nil, nil, storage.AOptions{})
				}
				end = app.Commit
				if tt.rollback {
					end = app.Rollback
				}
			} else {
				app := st.Appender(ctx)
				for _, v := range tt.values {
					_, _ = app.Append(0, ls, 1, v)
				}
				end = app.Commit
				if tt.rollback {
					end = app.Rollback
				}
			}
			_ = end()
			acc := testutil.ToFloat64(c.samples[0].WithLabelValues(ProtocolRemoteWrite))
			rej := testutil.ToFloat64(c.samples[1].WithLabelValues(ProtocolRemoteWrite))
			if acc != tt.accepted || rej != tt.rejected {
				t.Errorf("accepted %v rejected %v, want %v and %v", acc, rej, tt.accepted, tt.rejected)
			}
		})
	}
	var nilCounters *IngestCounters
	nilCounters.Spans(context.Background(), 1, 1) // counts nothing, does not panic
	nilCounters.LogRecords(context.Background(), 1, 1)
}
