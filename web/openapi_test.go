package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

type object = map[string]any

func loadOpenAPI(t *testing.T) object {
	t.Helper()
	var doc object
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// resolve follows a local $ref ("#/components/schemas/Spec") to its target.
func resolve(doc object, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(object)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deref returns v, or the object its $ref points to.
func deref(t *testing.T, doc object, v any) object {
	t.Helper()
	m, _ := v.(object)
	for m != nil && m["$ref"] != nil {
		target, ok := resolve(doc, m["$ref"].(string))
		if !ok {
			t.Fatalf("unresolved $ref %v", m["$ref"])
		}
		m, _ = target.(object)
	}
	return m
}

// openAPIPath writes a gin route as an OpenAPI path: /runs/:run → /runs/{run}.
func openAPIPath(route string) string {
	return regexp.MustCompile(`[:*](\w+)`).ReplaceAllString(route, "{$1}")
}

func TestOpenAPIServed(t *testing.T) {
	a := serve(t, &fake{}, request{method: http.MethodGet, target: "/api/v1/openapi.json"})
	if a.Code != 200 || !strings.HasPrefix(a.Header().Get("Content-Type"), "application/json") || !bytes.Equal(a.Body.Bytes(), openAPI) {
		t.Fatalf("GET openapi.json: %d %v", a.Code, a.Header())
	}
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
}

// TestOpenAPIRoutes checks that the document's paths and methods are
// exactly the registered routes, that path parameters are declared, and
// that operation IDs are unique.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	paths := doc["paths"].(object)
	routes := map[string]bool{}
	for _, r := range newEngine(t, &fake{}, nil).Routes() {
		p, m := openAPIPath(r.Path), strings.ToLower(r.Method)
		routes[p+" "+m] = true
		item, _ := paths[p].(object)
		if item == nil || item[m] == nil {
			t.Errorf("route %s %s is not in the document's paths", r.Method, r.Path)
		}
	}
	ids := map[string]bool{}
	for p, item := range paths {
		for m, op := range item.(object) {
			if m == "parameters" {
				continue
			}
			if !routes[p+" "+m] {
				t.Errorf("%s %s is documented but not registered", strings.ToUpper(m), p)
				continue
			}
			id, _ := op.(object)["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or duplicate", m, p, id)
			}
			ids[id] = true
			declared := map[string]bool{}
			params, _ := item.(object)["parameters"].([]any)
			more, _ := op.(object)["parameters"].([]any)
			for _, prm := range append(params, more...) {
				if prm := deref(t, doc, prm); prm["in"] == "path" && prm["required"] == true {
					declared[prm["name"].(string)] = true
				}
			}
			for _, want := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(p, -1) {
				if !declared[want[1]] {
					t.Errorf("%s %s: path parameter %s not declared", m, p, want[1])
				}
			}
		}
	}
}

// TestOpenAPIRefs checks that every $ref resolves.
func TestOpenAPIRefs(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case object:
			for k, x := range v {
				if k == "$ref" {
					n++
					if _, ok := resolve(doc, x.(string)); !ok {
						t.Errorf("%s: $ref %v does not resolve", at, x)
					}
					continue
				}
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
	if n < 50 {
		t.Errorf("only %d $refs: the walk missed the document", n)
	}
}

// TestOpenAPIEnums checks enumerations against the Go constants.
func TestOpenAPIEnums(t *testing.T) {
	doc := loadOpenAPI(t)
	s := func(vs ...any) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = reflect.ValueOf(v).String()
		}
		return out
	}
	for ref, want := range map[string][]string{
		"#/components/schemas/Outcome/enum":              s(judges.OutcomePass, judges.OutcomeMarginal, judges.OutcomeFail, judges.OutcomeInconclusive, judges.OutcomeError),
		"#/components/schemas/RunStatus/enum":            s(analysis.RunRunning, analysis.RunPaused, analysis.RunCompleted, analysis.RunAborted),
		"#/components/schemas/Spec/properties/kind/enum": s(analysis.KindCanary, analysis.KindABN, analysis.KindSLO),
		"#/components/schemas/Spec/properties/correction/enum": s(analysis.CorrectionNone, judges.AdjustBH, judges.AdjustBY,
			judges.AdjustHolm, judges.AdjustHochberg, judges.AdjustBonferroni),
		"#/components/schemas/SourceSpec/properties/type/enum":             s(analysis.SourceEmbedded, analysis.SourcePrometheus, analysis.SourceLoki, analysis.SourceJaeger),
		"#/components/schemas/MetricSpec/properties/kind/enum":             s(analysis.KindPoints, analysis.KindSamples, analysis.KindHistogram, analysis.KindCounts, analysis.KindLogPatterns),
		"#/components/schemas/MetricSpec/properties/no_data/enum":          s(judges.NoDataInconclusive, judges.NoDataFail, judges.NoDataIgnore),
		"#/components/schemas/JudgeSpec/properties/type/enum":              s(analysis.JudgeMannWhitney, analysis.JudgeThreshold, analysis.JudgeProportion, analysis.JudgeSequential, analysis.JudgePatterns),
		"#/components/schemas/JudgeSpec/properties/direction/enum":         s(judges.Increase, judges.Decrease, judges.Either),
		"#/components/schemas/JudgeSpec/properties/effect_measure/enum":    s(judges.MeasureMeanRatio, judges.MeasureCLES),
		"#/components/schemas/JudgeSpec/properties/nan_strategy/enum":      s(judges.NaNRemove, judges.NaNReplace),
		"#/components/schemas/JudgeSpec/properties/outliers/enum":          s(judges.OutliersKeep, judges.OutliersRemove),
		"#/components/schemas/MetricResult/properties/classification/enum": s(judges.Pass, judges.High, judges.Low, judges.NoData, judges.Error),
		"#/components/schemas/Experiment/properties/status/enum": s(analysis.StatusCreated, analysis.RunRunning, analysis.RunPaused,
			analysis.RunCompleted, analysis.RunAborted),
	} {
		v, ok := resolve(doc, ref)
		var got []string
		for _, x := range asSlice(v) {
			got = append(got, x.(string))
		}
		if !ok || !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", ref, got, want)
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// documented reports whether the document lists code among the responses
// of the route (gin syntax) and method; serve checks every answer with it.
func documented(doc object, route, method string, code int) bool {
	op, _ := resolve(doc, "#/paths/"+strings.ReplaceAll(openAPIPath(route), "/", "~1")+"/"+strings.ToLower(method)+"/responses/"+strconv.Itoa(code))
	return op != nil
}
