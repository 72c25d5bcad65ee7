package chart

import (
	"encoding/xml"
	"html/template"
	"math"
	"strconv"
	"strings"
	"testing"
)

// node is a parsed SVG element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) walk(fn func(node)) {
	fn(n)
	for _, c := range n.Children {
		c.walk(fn)
	}
}

func parse(t *testing.T, svg template.HTML) node {
	t.Helper()
	var n node
	if err := xml.Unmarshal([]byte(svg), &n); err != nil {
		t.Fatalf("not well-formed SVG: %v\n%s", err, svg)
	}
	return n
}

func floats(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// inverse maps a plot's pixels back to data.
type inverse struct{ x0, x1, y0, y1, l, r, b, t float64 }

func plotOf(t *testing.T, root node) inverse {
	t.Helper()
	var inv *inverse
	root.walk(func(n node) {
		if n.attr("class") == "plot" && inv == nil {
			x, y, px := floats(t, n.attr("data-x-domain")), floats(t, n.attr("data-y-domain")), floats(t, n.attr("data-px"))
			inv = &inverse{x[0], x[1], y[0], y[1], px[0], px[1], px[2], px[3]}
		}
	})
	if inv == nil {
		t.Fatal("no plot area")
	}
	return *inv
}

func (v inverse) point(px, py float64) Point {
	return Point{v.x0 + (px-v.l)/(v.r-v.l)*(v.x1-v.x0), v.y0 + (py-v.b)/(v.t-v.b)*(v.y1-v.y0)}
}

// pathPoints reads the points of an M/L path.
func pathPoints(t *testing.T, d string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	for _, seg := range strings.FieldsFunc(d, func(r rune) bool { return r == 'M' || r == 'L' }) {
		f := floats(t, seg)
		if len(f) != 2 {
			t.Fatalf("segment %q", seg)
		}
		out = append(out, [2]float64{f[0], f[1]})
	}
	return out
}

// seriesPaths returns each data-series path's points in data units.
func seriesPaths(t *testing.T, svg template.HTML) map[string][][]Point {
	t.Helper()
	root := parse(t, svg)
	inv := plotOf(t, root)
	out := map[string][][]Point{}
	root.walk(func(n node) {
		if n.XMLName.Local != "path" || n.attr("data-series") == "" {
			return
		}
		var pts []Point
		for _, p := range pathPoints(t, n.attr("d")) {
			pts = append(pts, inv.point(p[0], p[1]))
		}
		out[n.attr("data-series")] = append(out[n.attr("data-series")], pts)
	})
	return out
}

func near(a, b, scale float64) bool { return math.Abs(a-b) <= 0.01*math.Max(scale, 1e-12) }

func TestLinesDrawTheValues(t *testing.T) {
	base := []Point{{0, 10}, {60000, 12}, {120000, 11}}
	can := []Point{{0, 20}, {60000, math.NaN()}, {120000, 25}}
	svg := Lines(Options{Title: "latency", Time: true}, []Series{
		{Group: "baseline", Label: `pod="a"`, Points: base},
		{Group: "canary", Label: `pod="b"`, Points: can},
	})
	got := seriesPaths(t, svg)
	tests := []struct {
		group string
		want  []Point
	}{
		{"baseline", base},
		{"canary", []Point{{0, 20}, {120000, 25}}}, // the NaN breaks the line
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			paths := got[tt.group]
			if len(paths) != 1 || len(paths[0]) != len(tt.want) {
				t.Fatalf("paths %v, want one with %d points", paths, len(tt.want))
			}
			for i, p := range paths[0] {
				if !near(p.X, tt.want[i].X, 120000) || !near(p.Y, tt.want[i].Y, 15) {
					t.Errorf("point %d drawn at %v, want %v", i, p, tt.want[i])
				}
			}
		})
	}
	if !strings.Contains(string(svg), `<title>canary pod=&#34;b&#34;</title>`) {
		t.Error("no title for the canary series")
	}
}

func TestECDFDrawsBothCohorts(t *testing.T) {
	svg := ECDF(Options{Title: "distribution"}, []Dist{
		{Group: "baseline", Values: []float64{3, 1, 2, 2}},
		{Group: "canary", Values: []float64{0.1, 0.5, 1}, Weights: []float64{1, 2, 1}},
	})
	root := parse(t, svg)
	inv := plotOf(t, root)
	want := map[string][]Point{
		"baseline": {{1, 0.25}, {2, 0.75}, {3, 1}},
		"canary":   {{0.1, 0.25}, {0.5, 0.75}, {1, 1}},
	}
	seen := map[string]bool{}
	root.walk(func(n node) {
		g := n.attr("data-series")
		if n.XMLName.Local != "path" || g == "" {
			return
		}
		seen[g] = true
		var pts []Point
		for _, c := range strings.Fields(n.attr("data-points")) {
			x, y, _ := strings.Cut(c, ",")
			px, _ := strconv.ParseFloat(x, 64)
			py, _ := strconv.ParseFloat(y, 64)
			pts = append(pts, inv.point(px, py))
		}
		if len(pts) != len(want[g]) {
			t.Fatalf("%s: %v, want %v", g, pts, want[g])
		}
		for i, p := range pts {
			if !near(p.X, want[g][i].X, 3) || !near(p.Y, want[g][i].Y, 1) {
				t.Errorf("%s corner %d at %v, want %v", g, i, p, want[g][i])
			}
		}
	})
	if !seen["baseline"] || !seen["canary"] {
		t.Errorf("series drawn: %v", seen)
	}
}

func TestSequenceDrawsBandAndMargin(t *testing.T) {
	margin, ref := 0.05, 0.0
	svg := Sequence(Options{Title: "sequence"}, Band{
		X: []float64{1, 2, 3}, Low: []float64{-0.2, -0.1, math.NaN()}, High: []float64{0.3, 0.1, math.NaN()},
		Estimate: []float64{0.05, 0, math.NaN()}, Margin: &margin, Ref: &ref,
	})
	root := parse(t, svg)
	inv := plotOf(t, root)
	var band []Point
	var marginAt float64 = math.NaN()
	root.walk(func(n node) {
		switch {
		case n.attr("class") == "band":
			for _, p := range pathPoints(t, strings.TrimSuffix(n.attr("d"), " Z")) {
				band = append(band, inv.point(p[0], p[1]))
			}
		case n.attr("class") == "margin":
			y, _ := strconv.ParseFloat(n.attr("y1"), 64)
			marginAt = inv.point(0, y).Y
		}
	})
	want := []Point{{1, 0.3}, {2, 0.1}, {2, -0.1}, {1, -0.2}}
	if len(band) != len(want) {
		t.Fatalf("band %v, want %v", band, want)
	}
	for i := range want {
		if !near(band[i].X, want[i].X, 2) || !near(band[i].Y, want[i].Y, 0.5) {
			t.Errorf("band corner %d at %v, want %v", i, band[i], want[i])
		}
	}
	if !near(marginAt, 0.05, 0.5) {
		t.Errorf("margin drawn at %v, want 0.05", marginAt)
	}
}

func TestForest(t *testing.T) {
	est, lo, hi, lim := 0.1, -0.05, 0.25, 0.2
	svg := Forest(Effect{Estimate: &est, Low: &lo, High: &hi, Ref: 0, Limit: &lim, Label: "shift"})
	root := parse(t, svg)
	var dom, px []float64
	got := map[string]float64{}
	root.walk(func(n node) {
		if n.attr("class") == "plot" {
			dom, px = floats(t, n.attr("data-x-domain")), floats(t, n.attr("data-px"))
		}
		at := func(a string) float64 {
			v, _ := strconv.ParseFloat(n.attr(a), 64)
			return dom[0] + (v-px[0])/(px[1]-px[0])*(dom[1]-dom[0])
		}
		switch n.attr("class") {
		case "fp-est":
			got["est"] = at("cx")
		case "fp-limit":
			got["limit"] = at("x1")
		case "fp-ci":
			got["lo"], got["hi"] = at("x1"), at("x2")
		case "fp-ref":
			got["ref"] = at("x1")
		}
	})
	want := map[string]float64{"est": est, "lo": lo, "hi": hi, "limit": lim, "ref": 0}
	for k, w := range want {
		if g, ok := got[k]; !ok || !near(g, w, 0.3) {
			t.Errorf("%s drawn at %v, want %v", k, got[k], w)
		}
	}
	if s := Forest(Effect{Label: "none"}); !strings.Contains(string(s), "no estimate") {
		t.Errorf("no estimate: %s", s)
	}
}

// TestHostileLabelsEscaped: names and messages from specs and data never
// leave their text node.
func TestHostileLabelsEscaped(t *testing.T) {
	evil := `</svg><script>alert("x")</script>'&`
	pts := []Point{{0, 1}, {1, 2}}
	charts := map[string]template.HTML{
		"lines":    Lines(Options{Title: evil, XLabel: evil, YLabel: evil}, []Series{{Group: evil, Label: evil, Points: pts}}),
		"ecdf":     ECDF(Options{Title: evil}, []Dist{{Group: evil, Values: []float64{1, 2}}}),
		"message":  Message(Size{}, evil, evil),
		"forest":   Forest(Effect{Estimate: &pts[1].Y, Label: evil}),
		"sequence": Sequence(Options{Title: evil}, Band{X: []float64{1}, Low: []float64{0}, High: []float64{1}, Estimate: []float64{0.5}}),
	}
	for name, svg := range charts {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(string(svg), "<script>") || strings.Count(string(svg), "</svg>") != 1 {
				t.Fatalf("hostile label not escaped: %s", svg)
			}
			found := false
			parse(t, svg).walk(func(n node) {
				if strings.Contains(n.Text, evil) || n.attr("aria-label") == evil || n.attr("data-series") == evil {
					found = true
				}
			})
			if !found && name != "forest" && name != "sequence" {
				t.Error("the label is not shown as text")
			}
		})
	}
}

func TestMessageNeverBlank(t *testing.T) {
	for name, svg := range map[string]template.HTML{
		"lines": Lines(Options{Title: "t"}, nil),
		"ecdf":  ECDF(Options{Title: "t"}, []Dist{{Group: "baseline"}}),
		"seq":   Sequence(Options{Title: "t"}, Band{X: []float64{1}, Low: []float64{math.NaN()}, High: []float64{math.NaN()}, Estimate: []float64{math.NaN()}}),
	} {
		if !strings.Contains(string(svg), `class="msg"`) {
			t.Errorf("%s: no message in %s", name, svg)
		}
	}
}
