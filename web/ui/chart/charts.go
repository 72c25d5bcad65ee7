package chart

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
)

// Point is one drawn value.
type Point struct{ X, Y float64 }

// Series is one line. Group picks its colour and legend entry (a cohort),
// so that the several series of one cohort (its pods) share them.
type Series struct {
	// Group names the cohort (baseline, canary): the legend's entry.
	Group string
	// Label tells the series apart within its group (pod="a").
	Label  string
	Points []Point
}

// Options are a chart's title, axis labels and size.
type Options struct {
	Title, XLabel, YLabel string
	Size                  Size
	// Time: X values are Unix milliseconds, labelled as UTC clock times.
	Time bool
	// Note is a line shown above the plot (what is missing from it).
	Note string
}

// groups lists the distinct groups in order of first appearance.
func groups(names []string) ([]string, map[string]int) {
	idx := map[string]int{}
	var out []string
	for _, n := range names {
		if _, ok := idx[n]; !ok {
			idx[n] = len(out)
			out = append(out, n)
		}
	}
	return out, idx
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// bounds are the finite extremes of points.
type bounds struct{ x0, x1, y0, y1 float64 }

func newBounds() bounds { return bounds{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)} }

func (b *bounds) add(x, y float64) {
	if finite(x) {
		b.x0, b.x1 = math.Min(b.x0, x), math.Max(b.x1, x)
	}
	if finite(y) {
		b.y0, b.y1 = math.Min(b.y0, y), math.Max(b.y1, y)
	}
}

// path writes points as one path, breaking it at non-finite values.
func (f *frame) path(class, group, label string, pts []Point) {
	var d strings.Builder
	move := true
	for _, p := range pts {
		if !finite(p.X) || !finite(p.Y) {
			move = true
			continue
		}
		if move {
			d.WriteString("M")
			move = false
		} else {
			d.WriteString(" L")
		}
		d.WriteString(num(f.x.at(p.X)) + " " + num(f.y.at(p.Y)))
	}
	title := group
	if label != "" {
		title += " " + label
	}
	fmt.Fprintf(&f.b, `<path class="%s" data-series="%s" d="%s"><title>%s</title></path>`, class, esc(group), d.String(), esc(title))
}

// Lines draws series over a shared X axis (time series), one path each.
// With no finite point at all it draws a Message instead.
func Lines(o Options, series []Series) template.HTML {
	b := newBounds()
	names := make([]string, len(series))
	for i, s := range series {
		names[i] = s.Group
		for _, p := range s.Points {
			if finite(p.X) && finite(p.Y) {
				b.add(p.X, p.Y)
			}
		}
	}
	if b.x0 > b.x1 {
		return Message(o.Size, o.Title, "No data points to draw.")
	}
	legend, idx := groups(names)
	f := newFrame(o.Size, o.Title)
	f.xTime, f.xLabel, f.yLabel, f.note = o.Time, o.XLabel, o.YLabel, o.Note
	x0, x1 := domain(b.x0, b.x1, false)
	y0, y1 := domain(b.y0, b.y1, true)
	f.plot(x0, x1, y0, y1)
	f.axes()
	for _, s := range series {
		f.path(fmt.Sprintf("line s%d", idx[s.Group]%4), s.Group, s.Label, s.Points)
	}
	f.b.WriteString(`</g>`)
	f.legend(legend)
	return f.end()
}

// Dist is one cohort's distribution: values with their weights (nil: one
// each; a histogram's buckets are their upper bounds weighted by their
// counts).
type Dist struct {
	Group   string
	Values  []float64
	Weights []float64
}

// ECDFPoints returns the empirical cumulative distribution of d as its
// steps' corners: for each distinct finite value x in ascending order, the
// share of the total weight at or below x. Non-finite values and
// non-positive weights are left out.
func ECDFPoints(d Dist) []Point {
	type vw struct{ v, w float64 }
	var xs []vw
	total := 0.0
	for i, v := range d.Values {
		w := 1.0
		if d.Weights != nil {
			w = d.Weights[i]
		}
		if !finite(v) || !(w > 0) || !finite(w) {
			continue
		}
		xs = append(xs, vw{v, w})
		total += w
	}
	slices.SortFunc(xs, func(a, b vw) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	var out []Point
	cum := 0.0
	for i, p := range xs {
		cum += p.w
		if i+1 < len(xs) && xs[i+1].v == p.v {
			continue
		}
		out = append(out, Point{p.v, cum / total})
	}
	return out
}

// ECDF draws the cohorts' distributions overlaid as step curves of their
// empirical cumulative distribution functions.
func ECDF(o Options, dists []Dist) template.HTML {
	b := newBounds()
	curves := make([][]Point, len(dists))
	names := make([]string, len(dists))
	for i, d := range dists {
		names[i] = d.Group
		curves[i] = ECDFPoints(d)
		for _, p := range curves[i] {
			b.add(p.X, p.Y)
		}
	}
	if b.x0 > b.x1 {
		return Message(o.Size, o.Title, "No values to draw.")
	}
	legend, idx := groups(names)
	f := newFrame(o.Size, o.Title)
	f.xLabel, f.yLabel, f.note = o.XLabel, o.YLabel, o.Note
	if f.yLabel == "" {
		f.yLabel = "share ≤ x"
	}
	x0, x1 := domain(b.x0, b.x1, true)
	f.plot(x0, x1, 0, 1)
	f.axes()
	for i, c := range curves {
		// Steps: flat from one value to the next, then up.
		var pts []Point
		prev := 0.0
		for _, p := range c {
			pts = append(pts, Point{p.X, prev}, p)
			prev = p.Y
		}
		f.stepPath(fmt.Sprintf("line s%d", idx[dists[i].Group]%4), dists[i].Group, c, pts)
	}
	f.b.WriteString(`</g>`)
	f.legend(legend)
	return f.end()
}

// stepPath writes a step curve; data-points holds its corners (the ECDF's
// values) so that readers need not undo the steps.
func (f *frame) stepPath(class, group string, corners, pts []Point) {
	var d, c strings.Builder
	for i, p := range pts {
		if i == 0 {
			d.WriteString("M")
		} else {
			d.WriteString(" L")
		}
		d.WriteString(num(f.x.at(p.X)) + " " + num(f.y.at(p.Y)))
	}
	for i, p := range corners {
		if i > 0 {
			c.WriteString(" ")
		}
		c.WriteString(num(f.x.at(p.X)) + "," + num(f.y.at(p.Y)))
	}
	fmt.Fprintf(&f.b, `<path class="%s" data-series="%s" data-points="%s" d="%s"><title>%s (%d values)</title></path>`,
		class, esc(group), c.String(), d.String(), esc(group), len(corners))
}

// Band is a confidence sequence over time: at each look X, the interval
// [Low, High] around Estimate (NaN where the look has none).
type Band struct {
	X, Low, High, Estimate []float64
	// Margin is the limit the interval must stay clear of (nil: none);
	// Ref the value of no change (0 for differences, 1 for ratios).
	Margin *float64
	Ref    *float64
}

// Sequence draws a confidence-sequence band with its estimate, the line of
// no change and the margin.
func Sequence(o Options, band Band) template.HTML {
	b := newBounds()
	for i, x := range band.X {
		if finite(band.Low[i]) && finite(band.High[i]) {
			b.add(x, band.Low[i])
			b.add(x, band.High[i])
		}
		b.add(x, band.Estimate[i])
	}
	if b.y0 > b.y1 {
		return Message(o.Size, o.Title, "No look of this metric has a confidence interval yet.")
	}
	for _, v := range []*float64{band.Margin, band.Ref} {
		if v != nil && finite(*v) {
			b.y0, b.y1 = math.Min(b.y0, *v), math.Max(b.y1, *v)
		}
	}
	f := newFrame(o.Size, o.Title)
	f.xTime, f.xLabel, f.yLabel = o.Time, o.XLabel, o.YLabel
	x0, x1 := domain(b.x0, b.x1, false)
	y0, y1 := domain(b.y0, b.y1, true)
	f.plot(x0, x1, y0, y1)
	f.axes()
	var up, down []string
	for i, x := range band.X {
		if finite(band.Low[i]) && finite(band.High[i]) {
			up = append(up, num(f.x.at(x))+" "+num(f.y.at(band.High[i])))
			down = append([]string{num(f.x.at(x)) + " " + num(f.y.at(band.Low[i]))}, down...)
		}
	}
	fmt.Fprintf(&f.b, `<path class="band" data-series="interval" d="M%s Z"><title>confidence sequence</title></path>`,
		strings.Join(append(up, down...), " L"))
	est := make([]Point, len(band.X))
	for i, x := range band.X {
		est[i] = Point{x, band.Estimate[i]}
	}
	f.path("line s0", "estimate", "", est)
	hline := func(class, name string, v *float64) {
		if v == nil || !finite(*v) {
			return
		}
		py := f.y.at(*v)
		fmt.Fprintf(&f.b, `<line class="%s" data-value="%s" x1="%s" x2="%s" y1="%s" y2="%s"><title>%s %s</title></line>`,
			class, Label(*v), num(f.x.p0), num(f.x.p1), num(py), num(py), esc(name), esc(Label(*v)))
	}
	hline("ref", "no change", band.Ref)
	hline("margin", "margin", band.Margin)
	f.b.WriteString(`</g>`)
	f.legend([]string{"estimate and interval", "margin"})
	return f.end()
}

// Effect is one metric's effect and its interval for a forest plot.
type Effect struct {
	Estimate, Low, High *float64
	// Ref is the value of no change; Limit the allowed margin or
	// threshold (nil: none).
	Ref   float64
	Limit *float64
	// Label names the effect ("shift", "ratio", "aggregate").
	Label string
}

// Forest draws one row of a forest plot, for inline use in a table: the
// interval as a bar, the estimate as a dot, the line of no change and the
// limit. Its classes are styled by the page (fp-*), not by the chart.
func Forest(e Effect) template.HTML {
	const w, h, l, r = 180.0, 26.0, 6.0, 174.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range []*float64{e.Estimate, e.Low, e.High, &e.Ref, e.Limit} {
		if v != nil && finite(*v) {
			lo, hi = math.Min(lo, *v), math.Max(hi, *v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="forest" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s">`, w, h, w, h, esc(e.Label))
	if e.Estimate == nil && (e.Low == nil || e.High == nil) {
		b.WriteString(`<text class="fp-none" x="6" y="17">no estimate</text></svg>`)
		return template.HTML(b.String()) //nolint:gosec // constant markup
	}
	d0, d1 := domain(lo, hi, true)
	s := scale{d0, d1, l, r}
	fmt.Fprintf(&b, `<g class="plot" data-x-domain="%s %s" data-px="%s %s">`, Label(d0), Label(d1), num(l), num(r))
	fmt.Fprintf(&b, `<line class="fp-ref" x1="%s" x2="%s" y1="2" y2="24"><title>no change: %s</title></line>`, num(s.at(e.Ref)), num(s.at(e.Ref)), esc(Label(e.Ref)))
	if e.Limit != nil && finite(*e.Limit) {
		fmt.Fprintf(&b, `<line class="fp-limit" data-value="%s" x1="%s" x2="%s" y1="2" y2="24"><title>allowed: %s</title></line>`,
			Label(*e.Limit), num(s.at(*e.Limit)), num(s.at(*e.Limit)), esc(Label(*e.Limit)))
	}
	if e.Low != nil && e.High != nil {
		fmt.Fprintf(&b, `<line class="fp-ci" x1="%s" x2="%s" y1="13" y2="13"><title>interval %s to %s</title></line>`,
			num(s.at(*e.Low)), num(s.at(*e.High)), esc(Label(*e.Low)), esc(Label(*e.High)))
	}
	if e.Estimate != nil {
		fmt.Fprintf(&b, `<circle class="fp-est" cx="%s" cy="13" r="4"><title>%s %s</title></circle>`, num(s.at(*e.Estimate)), esc(e.Label), esc(Label(*e.Estimate)))
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()) //nolint:gosec // every label above is escaped
}
