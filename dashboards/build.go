package dashboards

import (
	"bytes"
	"encoding/json"
)

// DatasourceVar is the data source variable every dashboard reads augur
// through: a Prometheus data source pointed at augur.
const DatasourceVar = "${datasource}"

var promDS = &DataSourceRef{Type: "prometheus", UID: DatasourceVar}

// datasourceVariable lets the user pick the Prometheus data source that
// points at augur (the provisioned one is named "augur").
func datasourceVariable() Variable {
	return Variable{
		Type: VarDatasource, Name: "datasource", Label: "augur",
		Description: "A Prometheus data source whose URL is augur's",
		Query:       "prometheus", Regex: "", Options: []VariableOption{},
		Current: &VariableOption{Text: "augur", Value: "augur"},
	}
}

// queryVariable lists the values of a label with label_values().
func queryVariable(name, label, query, description string) Variable {
	return Variable{
		Type: VarQuery, Name: name, Label: label, Description: description,
		Query: query, Definition: query, Datasource: promDS,
		Refresh: RefreshOnTimeRange, Sort: 1, Options: []VariableOption{},
	}
}

// textboxVariable is free text with a default.
func textboxVariable(name, label, value, description string) Variable {
	return Variable{
		Type: VarTextbox, Name: name, Label: label, Description: description,
		Query: value, Current: &VariableOption{Text: value, Value: value},
		Options: []VariableOption{{Selected: true, Text: value, Value: value}},
	}
}

// layout places panels left to right in rows of 24 columns.
type layout struct {
	x, y, rowH int
	nextID     int
	panels     []Panel
}

// add places p at the next free position with width w and height h.
func (l *layout) add(w, h int, p Panel) {
	if l.x+w > 24 {
		l.x, l.y, l.rowH = 0, l.y+l.rowH, 0
	}
	l.nextID++
	p.ID = l.nextID
	p.GridPos = GridPos{H: h, W: w, X: l.x, Y: l.y}
	if p.Datasource == nil && p.Type != PanelRow {
		p.Datasource = promDS
	}
	for i := range p.Targets {
		p.Targets[i].Datasource = promDS
	}
	l.panels = append(l.panels, p)
	l.x += w
	l.rowH = max(l.rowH, h)
}

// row starts a new row headed by a collapsible title.
func (l *layout) row(title string) {
	if l.x > 0 {
		l.x, l.y, l.rowH = 0, l.y+l.rowH, 0
	}
	l.add(24, 1, Panel{Type: PanelRow, Title: title, Collapsed: ptr(false), Rows: &[]Panel{}})
	l.x, l.y, l.rowH = 0, l.y+1, 0
}

// series is a range query drawn as a time series, one per legend entry.
func series(ref, expr, legend string) Target {
	return Target{RefID: ref, Expr: expr, LegendFormat: legend, Range: true, Format: "time_series", EditorMode: "code"}
}

// instant is an instant query (stats and tables show the latest value).
func instant(ref, expr, legend, format string) Target {
	return Target{RefID: ref, Expr: expr, LegendFormat: legend, Instant: true, Format: format, EditorMode: "code"}
}

func ptr[T any](v T) *T { return &v }

func fields(unit string, mut ...func(*FieldDefaults)) *FieldConfig {
	d := FieldDefaults{Unit: unit, Color: &FieldColor{Mode: "palette-classic"}}
	for _, m := range mut {
		m(&d)
	}
	return &FieldConfig{Defaults: d, Overrides: []Override{}}
}

func timeseriesOptions() map[string]any {
	return map[string]any{
		"legend":  map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": true},
		"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
	}
}

func statOptions() map[string]any {
	return map[string]any{
		"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
		"colorMode":     "background", "graphMode": "none", "justifyMode": "auto",
		"orientation": "auto", "textMode": "auto",
	}
}

// builtInAnnotation is the annotation query every Grafana dashboard has:
// annotations made on the dashboard itself.
func builtInAnnotation() Annotation {
	return Annotation{
		Name: "Annotations & Alerts", BuiltIn: 1, Type: "dashboard", Enable: true, Hide: true,
		IconColor:  "rgba(0, 211, 255, 1)",
		Datasource: &DataSourceRef{Type: "grafana", UID: "-- Grafana --"},
		Target:     &AnnotationTarget{Type: "dashboard", Tags: []string{}, Limit: 100},
	}
}

// postedAnnotation shows the annotations the grafana receiver posts
// (tagged "augur"), narrowed by extra tags.
func postedAnnotation(tags ...string) Annotation {
	return Annotation{
		Name: "augur verdicts (posted)", Type: "tags", Enable: true, IconColor: "purple",
		Datasource: &DataSourceRef{Type: "grafana", UID: "-- Grafana --"},
		Target:     &AnnotationTarget{Type: "tags", Tags: append([]string{"augur"}, tags...), Limit: 100},
	}
}

// Query is a PromQL expression of a dashboard: a panel's target or a
// Prometheus annotation, with where it comes from.
type Query struct {
	// Where names it: "panel 3 \"Score\" A" or "annotation \"Verdicts\"".
	Where string
	Expr  string
	// Step is the annotation's step ("" for panels: Grafana picks one).
	Step string
}

// Queries lists every PromQL expression of d.
func Queries(d Dashboard) []Query {
	var out []Query
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out = append(out, Query{Where: "panel " + itoa(p.ID) + " " + quote(p.Title) + " " + t.RefID, Expr: t.Expr})
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr != "" {
			out = append(out, Query{Where: "annotation " + quote(a.Name), Expr: a.Expr, Step: a.Step})
		}
	}
	return out
}

// Variables returns d's variables by name.
func Variables(d Dashboard) map[string]Variable {
	out := map[string]Variable{}
	for _, v := range d.Templating.List {
		out[v.Name] = v
	}
	return out
}

// All returns augur's dashboards by file name (without ".json").
func All() map[string]Dashboard {
	return map[string]Dashboard{"augur-overview": Overview(), "augur-experiment": Experiment()}
}

// Marshal renders d as Grafana reads it: indented JSON with a final
// newline, HTML characters unescaped (PromQL's "<" and ">" stay readable).
func Marshal(d Dashboard) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
