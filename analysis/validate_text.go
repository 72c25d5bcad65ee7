package analysis

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode"
)

// validateText refuses control characters (but tab, newline and carriage
// return) and the noncharacters U+FFFE and U+FFFF in every string of the
// spec, map keys included: YAML cannot carry them unescaped, and JSON
// writes some of them so, so a spec holding one could be stored but not
// read back as a spec. Each field is named once.
func (s Spec) validateText(v *validator) {
	walkStrings(reflect.ValueOf(s), "", func(field, text string) {
		if r, ok := badRune(text); ok {
			v.add(field, "must not contain the control character %U", r)
		}
	})
}

func badRune(s string) (rune, bool) {
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return r, true
		}
	}
	return 0, false
}

// walkStrings calls fn with every string in v and its path as the
// validator writes paths (metrics[0].judge.type, sources.logs.headers.X),
// map keys in order.
func walkStrings(v reflect.Value, path string, fn func(field, text string)) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			walkStrings(v.Field(i), join(name), fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			if k.Kind() == reflect.String {
				fn(path, k.String())
			}
			walkStrings(v.MapIndex(k), join(k.String()), fn)
		}
	}
}
