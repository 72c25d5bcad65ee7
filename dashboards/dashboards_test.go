package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite deploy/grafana/dashboards/*.json")

const outDir = "../deploy/grafana/dashboards"

// TestGolden: the JSON in deploy/grafana/dashboards is what the Go types
// produce, and nothing else is there (`go generate ./dashboards` writes it).
func TestGolden(t *testing.T) {
	all := All()
	for name, d := range all {
		t.Run(name, func(t *testing.T) {
			got, err := Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(outDir, name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go generate ./dashboards)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the Go types' output; run go generate ./dashboards", path)
			}
		})
	}
	files, err := filepath.Glob(filepath.Join(outDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := all[strings.TrimSuffix(filepath.Base(f), ".json")]; !ok {
			t.Errorf("%s is no dashboard of the package", f)
		}
	}
}

// TestSchema validates every dashboard against Grafana's dashboard JSON
// schema (testdata/README.md), and shows that the schema refuses what
// Grafana would not read.
func TestSchema(t *testing.T) {
	sch := compileSchema(t)
	for name := range All() {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(outDir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	// The schema is strict enough to catch a broken model.
	for _, tc := range []struct {
		name   string
		mutate func(*Dashboard)
	}{
		{"panel wider than the grid", func(d *Dashboard) { d.Panels[1].GridPos.W = 25 }},
		{"unknown variable type", func(d *Dashboard) { d.Templating.List[0].Type = "sql" }},
		{"annotation without icon colour", func(d *Dashboard) { d.Annotations.List[2].IconColor = "" }},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			d := Overview()
			tc.mutate(&d)
			b, err := Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if tc.name == "annotation without icon colour" {
				delete(m["annotations"].(map[string]any)["list"].([]any)[2].(map[string]any), "iconColor")
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(mustJSON(t, m)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err == nil {
				t.Error("the schema took it")
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/dashboard.jsonschema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("dashboard.jsonschema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("dashboard.jsonschema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestModel checks what the schema cannot: unique panel IDs, panels that
// do not overlap, every query reading augur through ${datasource}, and
// every variable a query uses defined.
func TestModel(t *testing.T) {
	builtins := []string{"__rate_interval", "__interval", "__range"}
	for name, d := range All() {
		t.Run(name, func(t *testing.T) {
			ids := map[int]bool{}
			cells := map[[2]int]int{}
			vars := Variables(d)
			for _, p := range d.Panels {
				if ids[p.ID] {
					t.Errorf("panel id %d twice", p.ID)
				}
				ids[p.ID] = true
				for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
					for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
						if other, ok := cells[[2]int{x, y}]; ok {
							t.Errorf("panels %d and %d overlap at %d,%d", other, p.ID, x, y)
						}
						cells[[2]int{x, y}] = p.ID
					}
				}
				if p.Type == PanelRow {
					continue
				}
				if p.Datasource == nil || p.Datasource.UID != DatasourceVar || len(p.Targets) == 0 {
					t.Errorf("panel %d %q: data source %+v, %d targets", p.ID, p.Title, p.Datasource, len(p.Targets))
				}
			}
			for _, q := range Queries(d) {
				for _, v := range referenced(q.Expr) {
					if _, ok := vars[v]; !ok && !slices.Contains(builtins, v) {
						t.Errorf("%s uses $%s, which is not defined", q.Where, v)
					}
				}
			}
			if _, ok := vars["datasource"]; !ok {
				t.Error("no datasource variable")
			}
		})
	}
}

// referenced returns the variables ($name) an expression uses.
func referenced(expr string) []string {
	var out []string
	for i := 0; i < len(expr); i++ {
		if expr[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(expr) && (expr[j] == '_' || expr[j] >= 'a' && expr[j] <= 'z' || expr[j] >= 'A' && expr[j] <= 'Z' || expr[j] >= '0' && expr[j] <= '9') {
			j++
		}
		out = append(out, expr[i+1:j])
	}
	return out
}
