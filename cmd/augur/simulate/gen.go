package simulate

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Names used on the wire.
const (
	scopeName = "augur/simulate"

	metricCPU      = "process.cpu.time"
	metricMemory   = "process.memory.usage"
	metricDuration = "http.server.request.duration"

	attrServiceName     = "service.name"
	attrServiceVersion  = "service.version"
	attrServiceInstance = "service.instance.id"
	attrEnvironment     = "deployment.environment"
	attrMethod          = "http.request.method"
	attrRoute           = "http.route"
	attrStatusCode      = "http.response.status_code"
)

// durationBounds are the explicit bucket bounds of http.server.request.duration
// (the OpenTelemetry semantic-convention advice, in seconds).
var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

const (
	// maxLatency clamps the log-normal tail, like a server-side timeout.
	maxLatency = 5 * time.Minute
	// cpuNoise is the relative spread of a request's CPU cost: uniform in
	// CPUPerRequest·[1-cpuNoise, 1+cpuNoise].
	cpuNoise = 0.2
	// Resident memory: memBase per instance, each instance offset by
	// N(0, memInstanceSD) once and each sample by N(0, memSampleSD).
	memBase       = 200 << 20
	memInstanceSD = 8 << 20
	memSampleSD   = 2 << 20
)

// dbCall is the CLIENT child span of an operation.
type dbCall struct{ name, operation, collection string }

var dbCalls = []dbCall{
	{"SELECT orders", "SELECT", "orders"},
	{"SELECT cart_items", "SELECT", "cart_items"},
	{"INSERT order_items", "INSERT", "order_items"},
	{"SELECT inventory", "SELECT", "inventory"},
	{"UPDATE carts", "UPDATE", "carts"},
}

type operation struct {
	name, method, route string
	db                  dbCall
}

// request is one simulated request; every random draw for it happens when
// it arrives, so the span stream does not depend on batching.
type request struct {
	start, end int64 // unix nanoseconds
	traceHi    uint64
	traceLo    uint64
	spanID     uint64
	childID    uint64
	childStart int64 // unix nanoseconds
	childEnd   int64
	cpu        float64 // CPU seconds
	inst, op   int32
	isErr      bool
}

// routeHist is a cumulative http.server.request.duration histogram.
type routeHist struct {
	counts   []uint64
	count    uint64
	sum      float64
	min, max float64
}

type instance struct {
	id     string
	cpu    float64 // cumulative CPU seconds
	mem    float64 // baseline resident memory, bytes
	routes []routeHist
}

// cohortGen simulates one cohort, one batch window at a time. It is not safe
// for concurrent use; Run drives each cohortGen from one goroutine at a time.
type cohortGen struct {
	cohort     Cohort
	service    string
	env        string
	ops        []operation
	childSpans bool

	rng  *rand.Rand // everything about requests
	mrng *rand.Rand // metric noise, kept apart so batching cannot shift the request stream

	startNs, endNs int64
	metricEvery    int64
	nextMetric     int64 // next metric export time, unix ns; -1 when all are done
	metricIdx      int64

	logMedian float64 // ln(median latency in seconds)
	sigma     float64

	at        float64 // seconds from Start to the last arrival
	next      request
	haveNext  bool
	exhausted bool
	pending   []request // arrived, not finished by the current window's end
	ready     []request // finished within the current window, by end time

	insts []instance
}

func newCohortGen(cfg *Config, c Cohort) *cohortGen {
	ops := make([]operation, len(cfg.Operations))
	for i, op := range cfg.Operations {
		method, route, _ := splitOperation(op) // checked by Validate
		ops[i] = operation{name: op, method: method, route: route, db: dbCalls[i%len(dbCalls)]}
	}
	// Each cohort has its own streams, derived from Seed and its version,
	// so cohorts can run in parallel, and adding, removing or reordering
	// cohorts leaves the others' traffic unchanged.
	h := fnv.New64a()
	h.Write([]byte(c.Version))
	stream := h.Sum64()
	g := &cohortGen{
		cohort:      c,
		service:     cfg.Service,
		env:         cfg.Environment,
		ops:         ops,
		childSpans:  cfg.ChildSpans,
		rng:         rand.New(rand.NewPCG(uint64(cfg.Seed), stream)),
		mrng:        rand.New(rand.NewPCG(uint64(cfg.Seed), ^stream)),
		startNs:     cfg.Start.UnixNano(),
		endNs:       cfg.End.UnixNano(),
		metricEvery: int64(cfg.MetricInterval),
		logMedian:   math.Log(c.LatencyMedian.Seconds()),
		sigma:       c.LatencySigma,
	}
	g.nextMetric = min(g.startNs+g.metricEvery, g.endNs)
	g.insts = make([]instance, c.Instances)
	for i := range g.insts {
		in := &g.insts[i]
		in.id = cfg.Service + "-" + c.Version + "-" + strconv.Itoa(i)
		in.mem = memBase + memInstanceSD*g.mrng.NormFloat64()
		in.routes = make([]routeHist, len(ops))
		for r := range in.routes {
			in.routes[r].counts = make([]uint64, len(durationBounds)+1)
		}
	}
	return g
}

// nonZero draws a uint64 that is not 0 (an all-zero ID is invalid in OTLP).
func nonZero(r *rand.Rand) uint64 {
	for {
		if v := r.Uint64(); v != 0 {
			return v
		}
	}
}

// draw generates the next arrival into g.next; false once arrivals reach End.
func (g *cohortGen) draw() bool {
	r := g.rng
	g.at += r.ExpFloat64() / g.cohort.RPS
	offset := g.at * 1e9
	if offset >= float64(g.endNs-g.startNs) {
		g.exhausted = true
		return false
	}
	q := &g.next
	q.start = g.startNs + int64(offset)
	lat := int64(math.Exp(g.logMedian+g.sigma*r.NormFloat64()) * 1e9)
	lat = min(max(lat, 1), int64(maxLatency))
	q.end = q.start + lat
	q.inst = int32(r.IntN(len(g.insts)))
	q.op = int32(r.IntN(len(g.ops)))
	q.isErr = r.Float64() < g.cohort.ErrorRate
	q.cpu = g.cohort.CPUPerRequest * (1 + cpuNoise*(2*r.Float64()-1))
	q.traceHi, q.traceLo = nonZero(r), r.Uint64()
	q.spanID = nonZero(r)
	if g.childSpans {
		q.childID = nonZero(r)
		// The database call starts 5–20% into the request and takes
		// 20–60% of it, so it always ends inside its parent.
		q.childStart = q.start + int64(float64(lat)*(0.05+0.15*r.Float64()))
		q.childEnd = q.childStart + int64(float64(lat)*(0.2+0.4*r.Float64()))
	}
	return true
}

// collect fills g.ready with the requests that finish before w1 (at or
// before End when last), in end-time order. Requests still running at End
// are never sent, so every timestamp lies within [Start, End].
func (g *cohortGen) collect(w1 int64, last bool) {
	for !g.exhausted {
		if !g.haveNext {
			if !g.draw() {
				break
			}
			g.haveNext = true
		}
		if g.next.start >= w1 {
			break
		}
		g.pending = append(g.pending, g.next)
		g.haveNext = false
	}
	limit := w1
	if last {
		limit = g.endNs + 1
	}
	g.ready = g.ready[:0]
	keep := g.pending[:0]
	for _, q := range g.pending {
		if q.end < limit {
			g.ready = append(g.ready, q)
		} else {
			keep = append(keep, q)
		}
	}
	g.pending = keep
	if last {
		g.pending = g.pending[:0]
	}
	slices.SortStableFunc(g.ready, func(a, b request) int {
		switch {
		case a.end < b.end:
			return -1
		case a.end > b.end:
			return 1
		}
		return 0
	})
}

func (g *cohortGen) putResource(attrs pcommon.Map, inst int) {
	attrs.EnsureCapacity(4)
	attrs.PutStr(attrServiceName, g.service)
	attrs.PutStr(attrServiceVersion, g.cohort.Version)
	attrs.PutStr(attrServiceInstance, g.insts[inst].id)
	attrs.PutStr(attrEnvironment, g.env)
}

// windowTotals counts what one window's payloads hold.
type windowTotals struct {
	spans, serverSpans, errors, points int
}

// buildTraces turns g.ready into one ResourceSpans per instance that has
// spans, in instance order.
func (g *cohortGen) buildTraces(t *windowTotals) ptrace.Traces {
	td := ptrace.NewTraces()
	if len(g.ready) == 0 {
		return td
	}
	perInst := make([]int, len(g.insts))
	for i := range g.ready {
		perInst[g.ready[i].inst]++
	}
	spansPer := 1
	if g.childSpans {
		spansPer = 2
	}
	slicesByInst := make([]ptrace.SpanSlice, len(g.insts))
	for i, n := range perInst {
		if n == 0 {
			continue
		}
		rs := td.ResourceSpans().AppendEmpty()
		g.putResource(rs.Resource().Attributes(), i)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(scopeName)
		ss.Spans().EnsureCapacity(n * spansPer)
		slicesByInst[i] = ss.Spans()
	}
	var traceID pcommon.TraceID
	var spanID, childID pcommon.SpanID
	for i := range g.ready {
		q := &g.ready[i]
		op := &g.ops[q.op]
		binary.BigEndian.PutUint64(traceID[:8], q.traceHi)
		binary.BigEndian.PutUint64(traceID[8:], q.traceLo)
		binary.BigEndian.PutUint64(spanID[:], q.spanID)
		spans := slicesByInst[q.inst]

		sp := spans.AppendEmpty()
		sp.SetTraceID(traceID)
		sp.SetSpanID(spanID)
		sp.SetFlags(1) // W3C sampled
		sp.SetName(op.name)
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.Timestamp(q.start))
		sp.SetEndTimestamp(pcommon.Timestamp(q.end))
		attrs := sp.Attributes()
		attrs.EnsureCapacity(3)
		attrs.PutStr(attrMethod, op.method)
		attrs.PutStr(attrRoute, op.route)
		if q.isErr {
			attrs.PutInt(attrStatusCode, 500)
			sp.Status().SetCode(ptrace.StatusCodeError)
			t.errors++
		} else {
			attrs.PutInt(attrStatusCode, 200)
		}
		t.spans++
		t.serverSpans++

		if g.childSpans {
			binary.BigEndian.PutUint64(childID[:], q.childID)
			ch := spans.AppendEmpty()
			ch.SetTraceID(traceID)
			ch.SetSpanID(childID)
			ch.SetParentSpanID(spanID)
			ch.SetFlags(1)
			ch.SetName(op.db.name)
			ch.SetKind(ptrace.SpanKindClient)
			ch.SetStartTimestamp(pcommon.Timestamp(q.childStart))
			ch.SetEndTimestamp(pcommon.Timestamp(q.childEnd))
			ca := ch.Attributes()
			ca.EnsureCapacity(3)
			ca.PutStr("db.system.name", "postgresql")
			ca.PutStr("db.operation.name", op.db.operation)
			ca.PutStr("db.collection.name", op.db.collection)
			t.spans++
		}
	}
	return td
}

// instMetrics holds one instance's metrics inside a window's payload.
type instMetrics struct {
	cpu  pmetric.NumberDataPointSlice
	mem  pmetric.NumberDataPointSlice
	hist pmetric.HistogramDataPointSlice
}

// buildMetrics folds g.ready into the instances' cumulative state and
// returns the exports due in this window (times in (w0, w1], End included
// in the last window), or ok=false when none is due. Every point of an
// instance is newer than every point it was sent before.
func (g *cohortGen) buildMetrics(w1 int64, t *windowTotals) (md pmetric.Metrics, ok bool) {
	ri := 0
	account := func(until int64) {
		for ; ri < len(g.ready) && g.ready[ri].end <= until; ri++ {
			q := &g.ready[ri]
			in := &g.insts[q.inst]
			in.cpu += q.cpu
			h := &in.routes[q.op]
			d := float64(q.end-q.start) / 1e9
			h.counts[bucketOf(d)]++
			if h.count == 0 || d < h.min {
				h.min = d
			}
			if h.count == 0 || d > h.max {
				h.max = d
			}
			h.count++
			h.sum += d
		}
	}
	var out []instMetrics
	for g.nextMetric >= 0 && g.nextMetric <= w1 {
		ts := g.nextMetric
		if g.nextMetric >= g.endNs {
			g.nextMetric = -1
		} else {
			g.metricIdx++
			g.nextMetric = min(g.startNs+(g.metricIdx+1)*g.metricEvery, g.endNs)
		}
		account(ts)
		if out == nil {
			md = pmetric.NewMetrics()
			out = g.newInstMetrics(md)
		}
		g.snapshot(out, pcommon.Timestamp(ts), t)
	}
	account(math.MaxInt64)
	return md, out != nil
}

func (g *cohortGen) newInstMetrics(md pmetric.Metrics) []instMetrics {
	out := make([]instMetrics, len(g.insts))
	for i := range g.insts {
		rm := md.ResourceMetrics().AppendEmpty()
		g.putResource(rm.Resource().Attributes(), i)
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(scopeName)
		ms := sm.Metrics()
		ms.EnsureCapacity(3)

		cpu := ms.AppendEmpty()
		cpu.SetName(metricCPU)
		cpu.SetDescription("Total CPU seconds consumed by the process.")
		cpu.SetUnit("s")
		sum := cpu.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)

		mem := ms.AppendEmpty()
		mem.SetName(metricMemory)
		mem.SetDescription("Resident memory of the process.")
		mem.SetUnit("By")
		gauge := mem.SetEmptyGauge()

		dur := ms.AppendEmpty()
		dur.SetName(metricDuration)
		dur.SetDescription("Duration of HTTP server requests.")
		dur.SetUnit("s")
		hist := dur.SetEmptyHistogram()
		hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)

		out[i] = instMetrics{cpu: sum.DataPoints(), mem: gauge.DataPoints(), hist: hist.DataPoints()}
	}
	return out
}

// snapshot appends every instance's current cumulative state at ts.
func (g *cohortGen) snapshot(out []instMetrics, ts pcommon.Timestamp, t *windowTotals) {
	start := pcommon.Timestamp(g.startNs)
	for i := range g.insts {
		in := &g.insts[i]
		m := out[i]

		p := m.cpu.AppendEmpty()
		p.SetStartTimestamp(start)
		p.SetTimestamp(ts)
		p.SetDoubleValue(in.cpu)

		p = m.mem.AppendEmpty()
		p.SetTimestamp(ts)
		p.SetIntValue(int64(in.mem + memSampleSD*g.mrng.NormFloat64()))

		for r := range in.routes {
			h := &in.routes[r]
			hp := m.hist.AppendEmpty()
			hp.SetStartTimestamp(start)
			hp.SetTimestamp(ts)
			hp.Attributes().PutStr(attrRoute, g.ops[r].route)
			hp.SetCount(h.count)
			hp.SetSum(h.sum)
			if h.count > 0 {
				hp.SetMin(h.min)
				hp.SetMax(h.max)
			}
			hp.ExplicitBounds().FromRaw(durationBounds)
			hp.BucketCounts().FromRaw(h.counts)
		}
		t.points += 2 + len(in.routes)
	}
}

// bucketOf returns the index of the explicit bucket holding v: bucket i
// holds (bounds[i-1], bounds[i]], the last one (bounds[n-1], +Inf).
func bucketOf(v float64) int {
	i, _ := slices.BinarySearch(durationBounds, v)
	return i
}
