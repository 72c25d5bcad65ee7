package web

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// TestOpenAPISchemasMatchTypes walks each component schema together with
// the Go type it documents: every struct's properties must be exactly its
// json names, recursively through fields, items and map values, and each
// property's type must fit the Go kind (with null where Go may write null).
// The document cannot drift from the code.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, typ := range map[string]reflect.Type{
		"Spec":            reflect.TypeFor[analysis.Spec](),
		"Experiment":      reflect.TypeFor[analysis.Experiment](),
		"Run":             reflect.TypeFor[analysis.Run](),
		"IntervalResult":  reflect.TypeFor[analysis.IntervalResult](),
		"Verdict":         reflect.TypeFor[analysis.Verdict](),
		"MetricResult":    reflect.TypeFor[analysis.MetricResult](),
		"Error":           reflect.TypeFor[apiError](),
		"FinalVerdict":    reflect.TypeFor[finalVerdict](),
		"PendingVerdict":  reflect.TypeFor[pendingVerdict](),
		"IntervalPage":    reflect.TypeFor[intervalPage](),
		"Template":        reflect.TypeFor[analysis.Template](),
		"TemplateRecord":  reflect.TypeFor[analysis.TemplateRecord](),
		"Instance":        reflect.TypeFor[analysis.Instance](),
		"InstanceRequest": reflect.TypeFor[instanceRequest](),
		"Event":           reflect.TypeFor[analysis.Event](),
		"EventRequest":    reflect.TypeFor[eventRequest](),
	} {
		c := schemaCheck{t: t, doc: doc}
		c.check("#/components/schemas/"+name, typ, object{"$ref": "#/components/schemas/" + name}, "")
		if c.structs < 1 {
			t.Errorf("%s: no struct checked", name)
		}
	}
}

// nullable lists the fields Go may write as null that the document
// declares non-null, with the reason.
var nullable = map[string]string{
	"analysis.Spec.Metrics":      "a valid spec has at least one metric",
	"analysis.SRMSpec.Split":     "a valid srm check has a share per cohort",
	"web.intervalPage.Intervals": "the handler writes [] for a page without intervals",
}

type schemaCheck struct {
	t       *testing.T
	doc     object
	structs int
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// check compares schema with typ; mayBeNull names the Go field (Type.Field)
// when Go may write it as null.
func (c *schemaCheck) check(at string, typ reflect.Type, schema object, mayBeNull string) {
	c.t.Helper()
	schema = deref(c.t, c.doc, schema)
	if schema == nil {
		c.t.Errorf("%s: no schema", at)
		return
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	schema = c.pick(at, typ, schema)
	if schema == nil {
		return
	}
	want := map[reflect.Kind]string{
		reflect.String: "string", reflect.Bool: "boolean", reflect.Float64: "number",
		reflect.Int: "integer", reflect.Int64: "integer", reflect.Struct: "object",
		reflect.Slice: "array", reflect.Map: "object",
	}[typ.Kind()]
	switch {
	case typ == reflect.TypeFor[json.RawMessage]():
		return // any JSON
	case typ == timeType || typ.Implements(marshalerType):
		want = "string" // time.Time, analysis.Duration, analysis.StartTime
	}
	types := schemaTypes(schema)
	if want == "" || !slices.Contains(types, want) {
		c.t.Errorf("%s: Go %s, schema type %v (want %q)", at, typ, types, want)
	}
	if mayBeNull != "" && !slices.Contains(types, "null") && nullable[mayBeNull] == "" {
		c.t.Errorf("%s: Go may write null, schema type %v lacks it", at, types)
	}
	if want == "string" {
		return
	}
	switch typ.Kind() {
	case reflect.Slice:
		c.check(at+"/items", typ.Elem(), asObject(schema["items"]), "")
	case reflect.Map:
		c.check(at+"/values", typ.Elem(), asObject(schema["additionalProperties"]), "")
	case reflect.Struct:
		c.structs++
		props, _ := schema["properties"].(object)
		fields := jsonFields(typ)
		var names []string
		for _, f := range fields {
			names = append(names, f.name)
			if p, ok := props[f.name].(object); ok {
				null := ""
				if f.mayBeNull {
					null = typ.String() + "." + f.goName
				}
				c.check(at+"/"+f.name, f.typ, p, null)
			} else {
				c.t.Errorf("%s: property %q (Go %s.%s) is not in the schema", at, f.name, typ, f.goName)
			}
		}
		for p := range props {
			if !slices.Contains(names, p) {
				c.t.Errorf("%s: property %q has no field in Go %s", at, p, typ)
			}
		}
		for _, r := range asSlice(schema["required"]) {
			if props[r.(string)] == nil {
				c.t.Errorf("%s: required %q is no property", at, r)
			}
		}
	}
}

func asObject(v any) object {
	m, _ := v.(object)
	return m
}

// pick resolves oneOf (the alternative of the Go kind: Cohort is a string
// or an object and marshals as the object) and allOf (merged properties).
func (c *schemaCheck) pick(at string, typ reflect.Type, schema object) object {
	if alts := asSlice(schema["oneOf"]); alts != nil {
		for _, a := range alts {
			a := deref(c.t, c.doc, a)
			if slices.Contains(schemaTypes(a), "object") == (typ.Kind() == reflect.Struct) {
				return a
			}
		}
		c.t.Errorf("%s: no oneOf alternative fits Go %s", at, typ)
		return nil
	}
	if parts := asSlice(schema["allOf"]); parts != nil {
		merged := object{"type": "object", "properties": object{}}
		var required []any
		for _, p := range parts {
			p := deref(c.t, c.doc, p)
			for k, v := range p["properties"].(object) {
				merged["properties"].(object)[k] = v
			}
			required = append(required, asSlice(p["required"])...)
		}
		merged["required"] = required
		return merged
	}
	return schema
}

func schemaTypes(schema object) []string {
	switch ty := schema["type"].(type) {
	case string:
		return []string{ty}
	case []any:
		var out []string
		for _, x := range ty {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

type jsonField struct {
	name, goName string
	typ          reflect.Type
	mayBeNull    bool // a pointer, slice or map without omitempty
}

// jsonFields lists a struct's JSON properties as encoding/json writes them,
// flattening embedded structs.
func jsonFields(typ reflect.Type) []jsonField {
	var out []jsonField
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			out = append(out, jsonFields(ft)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		k := ft.Kind()
		null := !omit && (k == reflect.Pointer || k == reflect.Slice || k == reflect.Map) && ft != reflect.TypeFor[json.RawMessage]()
		out = append(out, jsonField{name: name, goName: f.Name, typ: ft, mayBeNull: null})
	}
	return out
}
