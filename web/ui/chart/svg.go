package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Size is a chart's size in pixels (the SVG scales to its container).
type Size struct{ W, H int }

// DefaultSize is the size of the report's per-metric charts.
var DefaultSize = Size{W: 640, H: 240}

// margins of the plot area inside a chart.
const (
	padLeft   = 64
	padRight  = 16
	padTop    = 28
	padBottom = 32
)

// esc escapes text for XML content and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// num writes a coordinate or value compactly.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// Label formats a value for an axis or a tooltip: four significant digits.
func Label(f float64) string {
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// style is every standalone chart's own stylesheet: charts loaded as
// images do not see the page's, so they follow the system theme here.
const style = `<style>
text{font:11px system-ui,sans-serif;fill:#1b1f24}
.axis line,.axis path{stroke:#8c959f;stroke-width:1;fill:none}
.grid{stroke:#d8dde3;stroke-width:1}
.s0{stroke:#2f6fdf;fill:#2f6fdf}.s1{stroke:#d4730b;fill:#d4730b}.s2{stroke:#1a7f37;fill:#1a7f37}.s3{stroke:#8250df;fill:#8250df}
path.line{fill:none;stroke-width:1.5}
.band{fill:#2f6fdf;fill-opacity:.18;stroke:none}
.margin{stroke:#cf222e;stroke-dasharray:5 3;stroke-width:1.5}
.ref{stroke:#5b6470;stroke-dasharray:2 2}
.msg{font-size:13px}
.bg{fill:#fff}
@media (prefers-color-scheme:dark){.bg{fill:#0f1419}text{fill:#e6edf3}.grid{stroke:#30363d}.s0{stroke:#58a6ff;fill:#58a6ff}.s1{stroke:#f0883e;fill:#f0883e}.margin{stroke:#f85149}}
</style>`

// scale maps a data domain onto a pixel range.
type scale struct{ d0, d1, p0, p1 float64 }

func (s scale) at(v float64) float64 {
	if s.d1 == s.d0 {
		return (s.p0 + s.p1) / 2
	}
	return s.p0 + (v-s.d0)/(s.d1-s.d0)*(s.p1-s.p0)
}

// domain widens [lo, hi] a little, and a single value into a range.
func domain(lo, hi float64, pad bool) (float64, float64) {
	if lo > hi {
		return 0, 1
	}
	if lo == hi {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		return lo - d, hi + d
	}
	if pad {
		d := (hi - lo) * 0.05
		return lo - d, hi + d
	}
	return lo, hi
}

// ticks returns about n round values within [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 {
		return nil
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * mag
		if step >= raw {
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// frame is a chart being written.
type frame struct {
	b      strings.Builder
	size   Size
	x, y   scale
	xTime  bool
	xLabel string
	yLabel string
	note   string
}

func newFrame(size Size, title string) *frame {
	if size.W <= 0 || size.H <= 0 {
		size = DefaultSize
	}
	f := &frame{size: size}
	fmt.Fprintf(&f.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="%s">`,
		size.W, size.H, esc(title))
	f.b.WriteString(style)
	fmt.Fprintf(&f.b, `<rect class="bg" width="%d" height="%d"/>`, size.W, size.H)
	fmt.Fprintf(&f.b, `<title>%s</title>`, esc(title))
	return f
}

// plot opens the plot area with its scales; the caller closes it with end.
func (f *frame) plot(x0, x1, y0, y1 float64) {
	l, r := float64(padLeft), float64(f.size.W-padRight)
	t, btm := float64(padTop), float64(f.size.H-padBottom)
	if f.note != "" {
		t += 18
		fmt.Fprintf(&f.b, `<text class="note" x="%d" y="%s" fill="#9a6700">%s</text>`, padLeft, num(t-14), esc(f.note))
	}
	f.x = scale{x0, x1, l, r}
	f.y = scale{y0, y1, btm, t}
	fmt.Fprintf(&f.b, `<g class="plot" data-x-domain="%s %s" data-y-domain="%s %s" data-px="%s %s %s %s">`,
		strconv.FormatFloat(x0, 'g', -1, 64), strconv.FormatFloat(x1, 'g', -1, 64),
		strconv.FormatFloat(y0, 'g', -1, 64), strconv.FormatFloat(y1, 'g', -1, 64), num(l), num(r), num(btm), num(t))
}

// axes draws both axes with their ticks and grid lines.
func (f *frame) axes() {
	l, r, btm, t := f.x.p0, f.x.p1, f.y.p0, f.y.p1
	f.b.WriteString(`<g class="axis y">`)
	for _, v := range ticks(f.y.d0, f.y.d1, 4) {
		py := f.y.at(v)
		fmt.Fprintf(&f.b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="%s" text-anchor="end">%s</text>`,
			num(l), num(r), num(py), num(py), num(l-4), num(py+4), esc(Label(v)))
	}
	fmt.Fprintf(&f.b, `<path d="M%s %sV%s"/>`, num(l), num(t), num(btm))
	if f.yLabel != "" {
		fmt.Fprintf(&f.b, `<text x="4" y="%s">%s</text>`, num(t-10), esc(f.yLabel))
	}
	f.b.WriteString(`</g><g class="axis x">`)
	for _, v := range ticks(f.x.d0, f.x.d1, 5) {
		px := f.x.at(v)
		lab := Label(v)
		if f.xTime {
			lab = time.UnixMilli(int64(v)).UTC().Format("15:04")
		}
		fmt.Fprintf(&f.b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="%s" text-anchor="middle">%s</text>`,
			num(px), num(px), num(btm), num(btm+4), num(px), num(btm+16), esc(lab))
	}
	fmt.Fprintf(&f.b, `<path d="M%s %sH%s"/>`, num(l), num(btm), num(r))
	if f.xLabel != "" {
		fmt.Fprintf(&f.b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, num(r), num(btm+28), esc(f.xLabel))
	}
	f.b.WriteString(`</g>`)
}

// legend writes the series' names along the top.
func (f *frame) legend(names []string) {
	x := float64(padLeft)
	for i, n := range names {
		fmt.Fprintf(&f.b, `<g class="legend"><rect class="s%d" x="%s" y="8" width="10" height="10"/><text x="%s" y="17">%s</text></g>`,
			i%4, num(x), num(x+14), esc(n))
		x += 24 + 7*float64(len([]rune(n)))
	}
}

func (f *frame) end() template.HTML {
	f.b.WriteString(`</svg>`)
	return template.HTML(f.b.String()) //nolint:gosec // every label above is escaped
}

// Message is a chart that says why there is nothing to draw (no data, a
// source error): never a blank chart.
func Message(size Size, title, msg string) template.HTML {
	f := newFrame(size, title)
	fmt.Fprintf(&f.b, `<rect x="1" y="1" width="%d" height="%d" fill="none" stroke="#8c959f" stroke-dasharray="4 3"/>`, f.size.W-2, f.size.H-2)
	fmt.Fprintf(&f.b, `<text x="12" y="20" font-weight="600">%s</text>`, esc(title))
	y := 44
	for _, line := range wrap(msg, f.size.W/7) {
		fmt.Fprintf(&f.b, `<text class="msg" x="12" y="%d">%s</text>`, y, esc(line))
		y += 18
		if y > f.size.H-8 {
			break
		}
	}
	return f.end()
}

// wrap splits s into lines of at most n characters at spaces.
func wrap(s string, n int) []string {
	if n < 10 {
		n = 10
	}
	var out []string
	var cur []rune
	for _, w := range strings.Fields(s) {
		if len(cur) > 0 && len(cur)+1+len([]rune(w)) > n {
			out = append(out, string(cur))
			cur = cur[:0]
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, []rune(w)...)
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}
