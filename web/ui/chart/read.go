package chart

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Drawn is what Read finds in a chart.
type Drawn struct {
	// Series are each data-series path's points in data units, by group
	// (an ECDF's are its corners).
	Series map[string][][]Point
	// Messages are the texts of a Message chart and of a chart's note.
	Messages []string
}

type xnode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []xnode    `xml:",any"`
}

func (n xnode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// Read parses a chart drawn by Lines, ECDF or Message and maps its paths
// back to the values they stand for, through the scale the plot area
// records. Tests and tools use it to check what a chart shows.
func Read(svg []byte) (Drawn, error) {
	var root xnode
	if err := xml.Unmarshal(svg, &root); err != nil {
		return Drawn{}, fmt.Errorf("chart: not well-formed SVG: %w", err)
	}
	d := Drawn{Series: map[string][][]Point{}}
	var inv []float64 // x0 x1 y0 y1 left right bottom top
	var err error
	var walk func(n xnode)
	walk = func(n xnode) {
		switch {
		case n.attr("class") == "plot" && n.attr("data-y-domain") != "":
			inv, err = parseFloats(n.attr("data-x-domain") + " " + n.attr("data-y-domain") + " " + n.attr("data-px"))
		case n.XMLName.Local == "text" && (n.attr("class") == "msg" || n.attr("class") == "note"):
			d.Messages = append(d.Messages, n.Text)
		case n.XMLName.Local == "path" && n.attr("data-series") != "" && len(inv) == 8:
			pts, e := readPath(n, inv)
			if e != nil && err == nil {
				err = e
			}
			d.Series[n.attr("data-series")] = append(d.Series[n.attr("data-series")], pts)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	return d, err
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("chart: %q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func readPath(n xnode, inv []float64) ([]Point, error) {
	src := n.attr("data-points")
	if src == "" {
		src = strings.NewReplacer("M", " ", "L", " ", "Z", " ").Replace(n.attr("d"))
	}
	f, err := parseFloats(src)
	if err != nil || len(f)%2 != 0 {
		return nil, fmt.Errorf("chart: path %q: %v", src, err)
	}
	out := make([]Point, 0, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		out = append(out, Point{
			X: inv[0] + (f[i]-inv[4])/(inv[5]-inv[4])*(inv[1]-inv[0]),
			Y: inv[2] + (f[i+1]-inv[6])/(inv[7]-inv[6])*(inv[3]-inv[2]),
		})
	}
	return out, nil
}
