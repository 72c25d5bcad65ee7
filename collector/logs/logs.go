package logs

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/augurhq/augur/collector"
)

// Names of the series derived from log records. Both carry the record's
// labels (service_name, service_version, ...) and severity; the pattern
// series also pattern_id.
const (
	MetricLogRecords        = "augur_log_records_total"
	MetricLogPatternRecords = "augur_log_pattern_records_total"

	LabelServiceName    = "service_name"
	LabelServiceVersion = "service_version"
	LabelSeverity       = "severity"
	LabelPatternID      = "pattern_id"
)

// Record is one log record as the receivers hand it on.
type Record struct {
	Time time.Time
	// Labels become series labels: service_name, service_version and the
	// other promoted attributes or mapped stream labels.
	Labels map[string]string
	// Severity is one of the Severity* constants; when empty (or not one of
	// them) it is normalized, or else parsed from Body.
	Severity string
	Body     string
	TraceID  string
}

// ConsumeResult says how many records were stored and why others were not.
type ConsumeResult struct {
	Accepted, Rejected int
	Reason             string
}

// Logs derives counts per labels and severity, and per log pattern, from
// log records. Timestamps come from the records, so backfilled logs land
// where they happened. Counters are cumulative per series, start with a zero
// sample just before their first record, and are written at most once per
// resolution step per batch; a record older than the last written sample of
// its series is counted in the next sample.
type Logs struct {
	app    storage.Appendable
	cfg    Config
	logger *slog.Logger
	drain  *Drain
	attrs  []attrLabel

	now    func() time.Time
	mu     sync.Mutex
	series map[string]*counterState
	swept  time.Time // last look for idle series
	ingest *collector.IngestCounters
}

// CountIngest makes c count the log records Consume accepts and rejects
// (call it before serving).
func (l *Logs) CountIngest(c *collector.IngestCounters) { l.ingest = c }

type counterState struct {
	base  labels.Labels
	v     float64
	lastT int64
	seen  time.Time // last batch with records of the series
}

// New returns a log derivation appending into app.
func New(logger *slog.Logger, app storage.Appendable, cfg Config) (*Logs, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	attrs, err := resourceLabels(cfg.ResourceAttributes)
	if err != nil {
		return nil, err
	}
	return &Logs{
		attrs:  attrs,
		app:    app,
		cfg:    cfg,
		logger: logger,
		drain:  NewDrain(cfg.Drain, cfg.ExamplesPerPattern),
		series: map[string]*counterState{},
		now:    time.Now,
	}, nil
}

// Drain returns the pattern clusterer.
func (l *Logs) Drain() *Drain { return l.drain }

// Patterns returns the patterns seen for a service and version ("" for all
// versions), most frequent first.
func (l *Logs) Patterns(service, version string) []Pattern {
	return l.drain.Patterns(service, version)
}

// group is the records (by index) of one series.
type group struct {
	labels labels.Labels
	recs   []int
}

// Consume derives and appends the samples of one batch of records. Invalid
// records (empty time, a time outside the store's window, a line over
// MaxLineBytes, a label that is not valid UTF-8) are rejected one by one;
// the rest are stored. The error is for a failed commit only, when nothing
// of the batch was stored.
func (l *Logs) Consume(ctx context.Context, records []Record) (ConsumeResult, error) {
	res, err := l.consume(ctx, records)
	l.ingest.LogRecords(ctx, res.Accepted, res.Rejected)
	return res, err
}

func (l *Logs) consume(ctx context.Context, records []Record) (ConsumeResult, error) {
	checkTime := collector.TimeCheck(l.app)
	var res ConsumeResult
	var reasons []string
	reject := func(why string) {
		res.Rejected++
		if len(reasons) < 3 {
			reasons = append(reasons, why)
		}
	}
	type prepared struct {
		t     int64
		match Match
		ver   string
	}
	prep := make([]prepared, len(records))
	valid := make([]bool, len(records))
	totals := map[string]*group{}
	patterns := map[string]*group{}
	add := func(m map[string]*group, ls labels.Labels, i int) {
		k := ls.String()
		g := m[k]
		if g == nil {
			g = &group{labels: ls}
			m[k] = g
		}
		g.recs = append(g.recs, i)
	}
	b := labels.NewBuilder(labels.EmptyLabels())
	for i := range records {
		r := &records[i]
		// Unix time 0 is how OTLP and Loki say "no time"; any other time,
		// before 1970 or past 2262 too, is judged by the store's window.
		if r.Time.IsZero() || r.Time.Equal(time.Unix(0, 0)) {
			reject(fmt.Sprintf("record %d: missing timestamp", i))
			continue
		}
		if err := checkTime(r.Time.UnixMilli()); err != nil {
			reject(fmt.Sprintf("record %d: %v", i, err))
			continue
		}
		if len(r.Body) > l.cfg.MaxLineBytes {
			reject(fmt.Sprintf("record %d: line of %d bytes is over the limit of %d bytes", i, len(r.Body), l.cfg.MaxLineBytes))
			continue
		}
		if err := validateLabels(r.Labels); err != nil {
			reject(fmt.Sprintf("record %d: %v", i, err))
			continue
		}
		valid[i] = true
		sev := r.Severity
		if !isSeverity(sev) {
			sev = NormalizeSeverity(sev)
			if sev == "" {
				sev = SeverityFromLine(r.Body)
			}
			if sev == "" {
				sev = SeverityUnknown
			}
		}
		b.Reset(labels.EmptyLabels())
		for k, v := range r.Labels {
			if v == "" || reservedLabels[k] || !labelNameRE.MatchString(k) {
				continue
			}
			b.Set(k, v)
		}
		b.Set(LabelSeverity, sev)
		b.Set(model.MetricNameLabel, MetricLogRecords)
		add(totals, b.Labels(), i)
		m := l.drain.Match(r.Labels[LabelServiceName], validUTF8(r.Body))
		b.Set(model.MetricNameLabel, MetricLogPatternRecords)
		b.Set(LabelPatternID, m.ID)
		add(patterns, b.Labels(), i)
		prep[i] = prepared{t: r.Time.UnixMilli(), match: m, ver: r.Labels[LabelServiceVersion]}
	}
	times := func(recs []int) []int64 {
		ts := make([]int64, len(recs))
		for k, i := range recs {
			ts[k] = prep[i].t
		}
		return ts
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.evictIdle(now)
	app := l.app.Appender(ctx)
	stored := make([]int, len(records)) // series of the record stored: 0, 1 or 2
	var undo []func()
	var storeErrs []string
	for _, m := range []map[string]*group{totals, patterns} {
		for _, key := range sortedKeys(m) {
			g := m[key]
			sort.SliceStable(g.recs, func(a, b int) bool { return prep[g.recs[a]].t < prep[g.recs[b]].t })
			st := l.series[key]
			fresh := st == nil
			if fresh {
				st = &counterState{base: g.labels, lastT: math.MinInt64}
			} else {
				prev := *st
				undo = append(undo, func() { *st = prev })
			}
			st.seen = now
			n, err := l.appendGroup(app, st, times(g.recs), fresh)
			if n > 0 && fresh {
				l.series[key] = st
				undo = append(undo, func() { delete(l.series, key) })
			}
			for _, i := range g.recs[:n] {
				stored[i]++
			}
			if err != nil && len(storeErrs) < 3 {
				storeErrs = append(storeErrs, fmt.Sprintf("%s: %v", key, err))
			}
		}
	}
	if err := app.Commit(); err != nil {
		for _, f := range undo {
			f()
		}
		return ConsumeResult{Rejected: len(records)}, fmt.Errorf("commit log metrics: %w", err)
	}
	var storeRejected int
	for i, r := range records {
		if !valid[i] {
			continue
		}
		if stored[i] < 2 {
			storeRejected++
			continue
		}
		res.Accepted++
		l.drain.Observe(prep[i].match, prep[i].ver, r.Time, validUTF8(r.Body), r.TraceID)
	}
	if storeRejected > 0 {
		res.Rejected += storeRejected
		reasons = append(reasons, fmt.Sprintf("%d records not stored: %s", storeRejected, strings.Join(storeErrs, "; ")))
	}
	if len(reasons) > 0 {
		res.Reason = fmt.Sprintf("%d log records rejected: %s", res.Rejected, strings.Join(reasons, "; "))
	}
	return res, nil
}

// appendGroup folds one series' record times, sorted, into its counter and
// appends a sample per resolution step. It returns how many records were
// stored; on a storage error the state is left as it was before the
// failing step.
func (l *Logs) appendGroup(app storage.Appender, st *counterState, ts []int64, fresh bool) (int, error) {
	res := l.cfg.Resolution.Milliseconds()
	if res <= 0 {
		res = 1
	}
	if fresh {
		// A zero sample just before the first record, so that rate() and
		// increase() count the first step too.
		if err := l.appendSample(app, st, ts[0]-1); err != nil {
			return 0, err
		}
		st.lastT = ts[0] - 1
	}
	stored := 0
	for i := 0; i < len(ts); {
		step := floorDiv(ts[i], res)
		j := i
		for ; j < len(ts) && floorDiv(ts[j], res) == step; j++ {
		}
		saved := *st
		st.v += float64(j - i)
		t := max(ts[j-1], st.lastT+1)
		if err := l.appendSample(app, st, t); err != nil {
			*st = saved
			return stored, err
		}
		st.lastT = t
		stored += j - i
		i = j
	}
	return stored, nil
}

func (l *Logs) appendSample(app storage.Appender, st *counterState, t int64) error {
	_, err := app.Append(0, st.base, t, st.v)
	return err
}

func sortedKeys(m map[string]*group) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isSeverity(s string) bool {
	switch s {
	case SeverityTrace, SeverityDebug, SeverityInfo, SeverityWarn, SeverityError, SeverityFatal, SeverityUnknown:
		return true
	}
	return false
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// validateLabels applies the receivers' label rule (collector.ValidateLabel)
// to a record's or stream's labels, in name order so the answer is stable.
func validateLabels(ls map[string]string) error {
	names := make([]string, 0, len(ls))
	for k := range ls {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := collector.ValidateLabel(k, ls[k]); err != nil {
			return err
		}
	}
	return nil
}
