package collector

import (
	"sort"
	"strconv"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// newSeries computes the label sets of one group's output series.
func (s *SpanMetrics) newSeries(res labels.Labels, key groupKey) *redSeries {
	b := labels.NewBuilder(res)
	b.Set("span_name", key.name)
	b.Set("span_kind", spanKind(key.kind))
	base := b.Labels()
	named := func(name string, extra ...string) labels.Labels {
		b.Reset(base)
		b.Set(model.MetricNameLabel, name)
		for k := 0; k+1 < len(extra); k += 2 {
			b.Set(extra[k], extra[k+1])
		}
		return b.Labels()
	}
	ser := &redSeries{base: base, labels: make([]labels.Labels, slotBuckets, slotBuckets+len(s.cfg.Buckets)+1)}
	ser.labels[slotRequests] = named(MetricSpanRequests)
	ser.labels[slotErrors] = named(MetricSpanErrors)
	ser.labels[slotNative] = named(MetricSpanDuration)
	ser.labels[slotSum] = named(MetricSpanDuration + "_sum")
	ser.labels[slotCount] = named(MetricSpanDuration + "_count")
	if s.cfg.ClassicBuckets {
		for _, ub := range s.cfg.Buckets {
			ser.labels = append(ser.labels, named(MetricSpanDuration+"_bucket", labels.BucketLabel, strconv.FormatFloat(ub, 'g', -1, 64)))
		}
		ser.labels = append(ser.labels, named(MetricSpanDuration+"_bucket", labels.BucketLabel, "+Inf"))
	}
	ser.refs = make([]storage.SeriesRef, len(ser.labels))
	return ser
}

// appendGroup folds one series group's observations, sorted by time, into
// its state and appends a sample per resolution step. It returns how many
// observations were stored; on a storage error the state is left as it was
// before the failing step.
func (s *SpanMetrics) appendGroup(app storage.Appender, st *redState, obs []observation, fresh bool) (int, error) {
	sort.Slice(obs, func(a, b int) bool { return obs[a].t < obs[b].t })
	res := s.cfg.Resolution.Milliseconds()
	if fresh {
		// A zero sample just before the first span, so that rate() and
		// increase() count the first step too.
		if err := s.appendState(app, st, obs[0].t-1, nil); err != nil {
			return 0, err
		}
		st.lastT = obs[0].t - 1
		st.written++
	}
	stored := 0
	for i := 0; i < len(obs); {
		step := floorDiv(obs[i].t, res)
		j := i
		saved := st.clone()
		slowest := &obs[i]
		for ; j < len(obs) && floorDiv(obs[j].t, res) == step; j++ {
			o := &obs[j]
			st.requests++
			if o.err {
				st.errors++
			}
			st.sum += o.dur
			if s.cfg.ClassicBuckets {
				st.buckets[sort.SearchFloat64s(s.cfg.Buckets, o.dur)]++
			}
			if s.cfg.NativeHistogram {
				st.native.observe(o.dur, s.cfg.NativeSchema, s.cfg.NativeZeroThreshold)
			}
			if o.dur > slowest.dur {
				slowest = o
			}
		}
		t := max(obs[j-1].t, st.lastT+1)
		if err := s.appendState(app, st, t, slowest); err != nil {
			*st = saved
			return stored, err
		}
		st.lastT = t
		st.written++
		stored += j - i
		i = j
	}
	return stored, nil
}

// appendState appends the series' current values at t, and ex (when not
// nil) as the exemplar of the duration series.
func (s *SpanMetrics) appendState(app storage.Appender, st *redState, t int64, ex *observation) error {
	ser := st.ser
	add := func(slot int, v float64) error {
		ref, err := app.Append(ser.refs[slot], ser.labels[slot], t, v)
		if err != nil {
			return err
		}
		ser.refs[slot] = ref
		return nil
	}
	if err := add(slotRequests, st.requests); err != nil {
		return err
	}
	if err := add(slotErrors, st.errors); err != nil {
		return err
	}
	if s.cfg.NativeHistogram {
		hint := histogram.NotCounterReset
		if st.written == 0 {
			hint = histogram.UnknownCounterReset
		}
		h := st.native.histogram(s.cfg.NativeSchema, s.cfg.NativeZeroThreshold, uint64(st.requests), st.sum, hint)
		ref, err := app.AppendHistogram(ser.refs[slotNative], ser.labels[slotNative], t, h, nil)
		if err != nil {
			return err
		}
		ser.refs[slotNative] = ref
	}
	if s.cfg.ClassicBuckets {
		if err := add(slotSum, st.sum); err != nil {
			return err
		}
		if err := add(slotCount, st.requests); err != nil {
			return err
		}
		cum := 0.0
		for i := range s.cfg.Buckets {
			cum += st.buckets[i]
			if err := add(slotBuckets+i, cum); err != nil {
				return err
			}
		}
		if err := add(len(ser.labels)-1, st.requests); err != nil {
			return err
		}
	}
	if ex != nil && s.cfg.Exemplars {
		s.appendExemplar(app, st, t, ex)
	}
	return nil
}

// appendExemplar attaches ex to the native histogram and the classic
// _count. Exemplars are best effort: a refused one is only logged.
func (s *SpanMetrics) appendExemplar(app storage.Appender, st *redState, t int64, ex *observation) {
	ts := ex.t
	if ts <= st.lastExT {
		// Exemplars of a series must be in time order; a late span's
		// exemplar is dated with the sample it is folded into.
		ts = t
	}
	e := exemplar.Exemplar{
		Labels: labels.FromStrings("span_id", ex.spanID.String(), "trace_id", ex.traceID.String()),
		Value:  ex.dur,
		Ts:     ts,
		HasTs:  true,
	}
	var slots []int
	if s.cfg.NativeHistogram {
		slots = append(slots, slotNative)
	}
	if s.cfg.ClassicBuckets {
		slots = append(slots, slotCount)
	}
	for _, slot := range slots {
		if _, err := app.AppendExemplar(st.ser.refs[slot], st.ser.labels[slot], e); err != nil {
			s.logger.Debug("exemplar refused", "series", st.ser.labels[slot].String(), "err", err)
		}
	}
	st.lastExT = ts
}
