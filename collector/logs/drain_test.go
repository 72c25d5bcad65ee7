package logs

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// base is a recent instant aligned to whole minutes (and so to resolution
// steps), as a real sender's records are: the store accepts samples only
// within its time window.
var base = time.Now().Add(-time.Hour).Truncate(time.Minute).UTC()

func testDrain() *Drain { return NewDrain(DefaultConfig().Drain, 10) }

func TestTokenizeMasks(t *testing.T) {
	tests := []struct{ line, want string }{
		{"user 123 logged in from 10.0.0.1", "user <*> logged in from <*>"},
		{"request 3f2a9c1e-8b7d-4e6f-a1b2-c3d4e5f60718 took 250ms", "request <*> took <*>"},
		{"dial tcp 10.1.2.3:5432: connect: connection refused", "dial tcp <*>: connect: connection refused"},
		{"took 1m30.5s status=200 bytes=10KiB", "took <*> status=<*> bytes=<*>"},
		{"span 0x7ffd5e8c trace=4bf92f3577b34da6a3ce929d0e0e4736", "span <*> trace=<*>"},
		{"at 2026-01-01T12:00:00Z (retry 3/5)", "at <*> (retry 3/5)"},
		{"listening on [::1]:8080 and fe80::1ff:fe23:4567:890a", "listening on <*> and <*>"},
		{"cache hit ratio 97.5% for host:8080", "cache hit ratio <*> for host:<*>"},
		{"GET /api/v1/cart HTTP/1.1", "GET /api/v1/cart HTTP/1.1"},
	}
	for _, tc := range tests {
		got := fmt.Sprint(Tokenize(tc.line))
		want := fmt.Sprint(Tokenize(tc.want)) // the wildcards tokenize to themselves
		if got != want {
			t.Errorf("Tokenize(%q) = %s, want %s", tc.line, got, want)
		}
	}
}

func TestDrainClusters(t *testing.T) {
	type line struct{ version, text string }
	tests := []struct {
		name  string
		lines []line
		// want: template → count for version ("" = all)
		version string
		want    map[string]int64
	}{
		{
			name: "one family, one template",
			lines: []line{
				{"v1", "user 123 logged in from 10.0.0.1"},
				{"v1", "user 7 logged in from 192.168.1.20"},
				{"v1", "user 99812 logged in from 172.16.0.4"},
			},
			want: map[string]int64{"user <*> logged in from <*>": 3},
		},
		{
			name: "a differing word becomes a wildcard",
			lines: []line{
				{"v1", "payment accepted for order 1 by visa"},
				{"v1", "payment accepted for order 2 by mastercard"},
				{"v1", "payment accepted for order 3 by amex"},
			},
			want: map[string]int64{"payment accepted for order <*> by <*>": 3},
		},
		{
			name: "distinct error signatures stay distinct",
			lines: []line{
				{"v1", "ERROR failed to connect to db: connection refused"},
				{"v1", "ERROR failed to connect to db: connection refused"},
				{"v1", "ERROR cart checkout panicked: nil pointer dereference in PriceFor"},
				{"v1", "WARN slow query on table orders took 1.2s"},
			},
			want: map[string]int64{
				"ERROR failed to connect to db: connection refused":                 2,
				"ERROR cart checkout panicked: nil pointer dereference in PriceFor": 1,
				"WARN slow query on table orders took <*>":                          1,
			},
		},
		{
			name: "a signature only in v2",
			lines: []line{
				{"v1", "user 1 logged in from 10.0.0.1"},
				{"v2", "user 2 logged in from 10.0.0.2"},
				{"v2", "ERROR currency conversion failed: rate for EUR missing"},
				{"v2", "ERROR currency conversion failed: rate for GBP missing"},
			},
			version: "v1",
			want:    map[string]int64{"user <*> logged in from <*>": 1},
		},
		{
			name: "a signature only in v2, seen from v2",
			lines: []line{
				{"v1", "user 1 logged in from 10.0.0.1"},
				{"v2", "user 2 logged in from 10.0.0.2"},
				{"v2", "ERROR currency conversion failed: rate for EUR missing"},
				{"v2", "ERROR currency conversion failed: rate for GBP missing"},
			},
			version: "v2",
			want: map[string]int64{
				"user <*> logged in from <*>":                            1,
				"ERROR currency conversion failed: rate for <*> missing": 2,
			},
		},
		{
			name:  "empty lines",
			lines: []line{{"v1", ""}, {"v1", "   "}},
			want:  map[string]int64{"": 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := testDrain()
			for i, l := range tc.lines {
				d.Add("checkout", l.version, base.Add(time.Duration(i)*time.Second), l.text, "")
			}
			got := map[string]int64{}
			for _, p := range d.Patterns("checkout", tc.version) {
				got[p.Template] = p.Count
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDrainPatternIDStableAcrossVersions(t *testing.T) {
	d := testDrain()
	id1 := d.Add("checkout", "v1", base, "order 1 shipped to warehouse north", "")
	id2 := d.Add("checkout", "v2", base, "order 2 shipped to warehouse south", "")
	if id1 != id2 {
		t.Fatalf("one pattern got IDs %s and %s", id1, id2)
	}
	if id1 != PatternID("order <*> shipped to warehouse north") {
		t.Errorf("ID %s is not the hash of the creation template", id1)
	}
	// Another service, same line: same ID, separate pattern.
	if id3 := d.Add("cart", "v1", base, "order 3 shipped to warehouse north", ""); id3 != id1 {
		t.Errorf("same template in another service: ID %s, want %s", id3, id1)
	}
	if n := len(d.Patterns("cart", "")); n != 1 {
		t.Errorf("cart has %d patterns, want 1", n)
	}
}

func TestDrainExamplesRing(t *testing.T) {
	d := NewDrain(DefaultConfig().Drain, 3)
	for i := range 5 {
		d.Add("svc", "v1", base.Add(time.Duration(i)*time.Second), fmt.Sprintf("job %d done", i), fmt.Sprintf("trace%d", i))
	}
	ps := d.Patterns("svc", "v1")
	if len(ps) != 1 {
		t.Fatalf("got %d patterns", len(ps))
	}
	p := ps[0]
	if p.Count != 5 || !p.FirstSeen.Equal(base) || !p.LastSeen.Equal(base.Add(4*time.Second)) {
		t.Errorf("count %d, first %s, last %s", p.Count, p.FirstSeen, p.LastSeen)
	}
	var lines, traces []string
	for _, e := range p.Examples {
		lines = append(lines, e.Line)
		traces = append(traces, e.TraceID)
	}
	if want := []string{"job 2 done", "job 3 done", "job 4 done"}; !reflect.DeepEqual(lines, want) {
		t.Errorf("examples %v, want %v", lines, want)
	}
	if want := []string{"trace2", "trace3", "trace4"}; !reflect.DeepEqual(traces, want) {
		t.Errorf("trace IDs %v, want %v", traces, want)
	}
}

func TestDrainEvictsLeastRecentlyMatched(t *testing.T) {
	cfg := DefaultConfig().Drain
	cfg.MaxClusters = 3
	d := NewDrain(cfg, 1)
	lines := []string{"alpha started", "beta started now", "gamma started now ok", "alpha started", "delta a b c d"}
	for _, l := range lines {
		d.Add("svc", "v1", base, l, "")
	}
	if d.Len() != 3 {
		t.Fatalf("Len = %d, want 3", d.Len())
	}
	var got []string
	for _, p := range d.Patterns("svc", "") {
		got = append(got, p.Template)
	}
	// beta was the least recently matched when delta arrived.
	want := map[string]bool{"alpha started": true, "gamma started now ok": true, "delta a b c d": true}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected pattern %q (got %v)", g, got)
		}
	}
	// The evicted pattern comes back with a count from scratch.
	d.Add("svc", "v1", base, "beta started now", "")
	for _, p := range d.Patterns("svc", "") {
		if p.Template == "beta started now" && p.Count != 1 {
			t.Errorf("re-created pattern count %d, want 1", p.Count)
		}
	}
	if d.Len() != 3 {
		t.Errorf("Len = %d after re-creation, want 3", d.Len())
	}
}

func TestDrainMaxChildren(t *testing.T) {
	cfg := DefaultConfig().Drain
	cfg.MaxChildren = 3
	d := NewDrain(cfg, 1)
	for _, w := range []string{"apple", "banana", "cherry", "damson", "elder"} {
		d.Add("svc", "v1", base, w+" is ripe", "")
	}
	// apple and banana get their own children; the rest share the wildcard
	// child, where similarity 2/3 merges them.
	got := map[string]int64{}
	for _, p := range d.Patterns("svc", "") {
		got[p.Template] = p.Count
	}
	want := map[string]int64{"apple is ripe": 1, "banana is ripe": 1, "<*> is ripe": 3}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDrainDeterministic(t *testing.T) {
	var lines []string
	for i := range 200 {
		switch i % 4 {
		case 0:
			lines = append(lines, fmt.Sprintf("GET /cart/%d 200 %dms", i, i%17))
		case 1:
			lines = append(lines, fmt.Sprintf("user u%d added item %d to cart", i, i*7))
		case 2:
			lines = append(lines, fmt.Sprintf("ERROR redis timeout after %dms on shard %d", i%50, i%3))
		default:
			lines = append(lines, fmt.Sprintf("worker-%d heartbeat ok", i%5))
		}
	}
	run := func() []Pattern {
		d := testDrain()
		for _, l := range lines {
			d.Add("svc", "v1", base, l, "")
		}
		return d.Patterns("svc", "v1")
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two runs differ:\n%v\n%v", a, b)
	}
}

func TestDrainConcurrent(t *testing.T) {
	d := testDrain()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				d.Add(fmt.Sprintf("svc%d", g%2), "v1", base, fmt.Sprintf("request %d served in %dms", i, i%30), "")
				_ = d.Patterns("svc0", "")
			}
		}()
	}
	wg.Wait()
	var total int64
	for _, s := range []string{"svc0", "svc1"} {
		for _, p := range d.Patterns(s, "v1") {
			total += p.Count
		}
	}
	if total != 8*500 {
		t.Errorf("counted %d lines, want %d", total, 8*500)
	}
}

func TestDrainLookup(t *testing.T) {
	d := NewDrain(DefaultConfig().Drain, 3)
	for i := range 5 {
		at := base.Add(time.Duration(i) * time.Second)
		d.Add("checkout", "v1", at, fmt.Sprintf("order %d paid", i), fmt.Sprintf("b%d", i))
		d.Add("checkout", "v2", at, fmt.Sprintf("order %d paid", 10+i), fmt.Sprintf("c%d", i))
	}
	declined := d.Add("checkout", "v2", base.Add(time.Minute), "payment gateway timeout after 3000ms card=visa", "t1")
	d.Add("checkout", "v2", base.Add(2*time.Minute), "payment gateway timeout after 2999ms card=visa", "t2")
	paid := d.Add("checkout", "v1", base, "order 99 paid", "b9")
	cart := d.Add("cart", "v1", base, "order 1 paid", "x1") // same template, another service
	if paid != cart {
		t.Fatalf("one template, ids %s and %s", paid, cart)
	}
	version := func(want ...string) func(string, string) bool {
		return func(svc, v string) bool {
			for _, w := range want {
				if svc+"/"+v == w {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name     string
		id       string
		keep     func(string, string) bool
		found    bool
		template string
		count    int64
		traceIDs []string
	}{
		{"a canary-only pattern from the canary", declined, version("checkout/v2"), true, "payment gateway timeout after <*> card=visa", 2, []string{"t1", "t2"}},
		{"a canary-only pattern from the baseline: template, no examples", declined, version("checkout/v1"), true, "payment gateway timeout after <*> card=visa", 0, nil},
		{"one version's recent examples only", paid, version("checkout/v2"), true, "order <*> paid", 5, []string{"c2", "c3", "c4"}},
		{"services merged under one id", paid, version("checkout/v1", "cart/v1"), true, "order <*> paid", 7, []string{"b9", "b3", "b4"}},
		{"unknown id", "000000000000", version("checkout/v2"), false, "", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, found := d.Lookup(tc.id, tc.keep)
			if found != tc.found || p.Template != tc.template || p.Count != tc.count {
				t.Fatalf("Lookup = %+v, %v; want template %q count %d found %v", p, found, tc.template, tc.count, tc.found)
			}
			var ids []string
			for _, e := range p.Examples {
				ids = append(ids, e.TraceID)
			}
			if !reflect.DeepEqual(ids, tc.traceIDs) {
				t.Errorf("example trace ids %v, want %v", ids, tc.traceIDs)
			}
		})
	}
}
