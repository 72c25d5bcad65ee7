package analysis_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

// templateManager is a manager (not judging) over a real SQLite store.
func templateManager(t *testing.T) *analysis.Manager {
	t.Helper()
	db, err := state.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := analysis.NewManager(analysis.DefaultManagerConfig(), db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const templateSpec = `apiVersion: augur/v1
name: ${args.rollout}-canary
labels: {namespace: '${args.namespace}'}
cohorts:
  baseline: 'namespace="${args.namespace}",pod_template_hash="${args.stable-hash}"'
  canary: 'namespace="${args.namespace}",pod_template_hash="${args.canary-hash}"'
timing: {interval: 1m, lifetime: 10m}
thresholds:
  pass: ${args.pass}
  marginal: 50
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`

func str(s string) *string { return &s }

func checkoutTemplate() analysis.Template {
	return analysis.Template{Name: "checkout", Spec: templateSpec, Args: []analysis.TemplateArg{
		{Name: "namespace", Default: str("prod")},
		{Name: "rollout", Required: true},
		{Name: "canary-hash", Required: true},
		{Name: "stable-hash", Required: true},
		{Name: "pass", Default: str("90")},
	}}
}

func checkoutArgs() map[string]string {
	return map[string]string{"rollout": "checkout", "canary-hash": "abc123", "stable-hash": "def456"}
}

func TestPutTemplateRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(*analysis.Template)
		want []string
	}{
		{"bad name", func(t *analysis.Template) { t.Name = "Checkout_1" }, []string{"name:", `"Checkout_1"`}},
		{"long name", func(t *analysis.Template) { t.Name = strings.Repeat("a", 64) }, []string{"name:", "at most 63"}},
		{"duplicate arg", func(t *analysis.Template) { t.Args = append(t.Args, analysis.TemplateArg{Name: "rollout"}) }, []string{"args[5].name", "declared twice"}},
		{"bad arg name", func(t *analysis.Template) { t.Args[0].Name = "9ns" }, []string{"args[0].name", "9ns"}},
		{"undeclared placeholder", func(t *analysis.Template) { t.Args = t.Args[1:] }, []string{"spec:", "${args.namespace} is not declared"}},
		{"malformed placeholder", func(t *analysis.Template) { t.Spec += "description: ${args.x\n" }, []string{"spec:", "malformed placeholder"}},
		{"on_error", func(t *analysis.Template) { t.OnError = "pause" }, []string{"on_error:", `"pause"`}},
		{"flagger", func(t *analysis.Template) { t.Flagger = "promote" }, []string{"flagger:", "confirm-promotion", `"promote"`}},
		{"control character default", func(t *analysis.Template) { t.Args[0].Default = str("a\nb: c") }, []string{"args[0].default", "control"}},
		{"invalid with defaults", func(t *analysis.Template) { t.Args[4].Default = str("120") }, []string{"spec.thresholds.pass", `pass="120" (its default)`}},
		{"invalid with a sample", func(t *analysis.Template) { t.Args[4].Default = nil }, []string{"spec.thresholds", `pass="sample-pass" (a sample: the arg has no default)`}},
		{"empty spec", func(t *analysis.Template) { t.Spec = " " }, []string{"spec: must not be empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := templateManager(t)
			tpl := checkoutTemplate()
			tt.edit(&tpl)
			_, err := m.PutTemplate(t.Context(), tpl)
			var invalid *analysis.ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if list, _ := m.ListTemplates(t.Context()); len(list) != 0 {
				t.Errorf("a refused template was stored: %+v", list)
			}
		})
	}
}

func TestInstantiate(t *testing.T) {
	m := templateManager(t)
	ctx := t.Context()
	rec, err := m.PutTemplate(ctx, checkoutTemplate())
	if err != nil {
		t.Fatal(err)
	}
	if rec.OnError != analysis.OnErrorInconclusive || rec.Flagger != "rollout" || rec.Version != 1 {
		t.Fatalf("defaults: %+v", rec)
	}
	req := analysis.InstanceRequest{Template: "checkout", Key: "prod/checkout/abc123", Args: checkoutArgs()}
	in, err := m.Instantiate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	x := in.Experiment
	if !in.Created || in.RunID == "" || x.Run != in.RunID || x.Status != "running" || x.Template != "checkout" || x.Key != req.Key {
		t.Fatalf("instance: %+v", in)
	}
	spec := x.Spec
	if spec.Name != "checkout-canary" || spec.Thresholds.Pass != 90 ||
		spec.Cohorts.Canary.Selector != `namespace="prod",pod_template_hash="abc123"` ||
		spec.Labels["template"] != "checkout" || spec.Labels["namespace"] != "prod" {
		t.Fatalf("substituted spec: name %q pass %g canary %q labels %v", spec.Name, spec.Thresholds.Pass, spec.Cohorts.Canary.Selector, spec.Labels)
	}
	if in.Args["namespace"] != "prod" || in.Args["pass"] != "90" {
		t.Fatalf("resolved args %v: want the defaults filled", in.Args)
	}

	// The same request, and one naming a default explicitly, answer it.
	again := req
	again.Args = checkoutArgs()
	again.Args["namespace"] = "prod"
	for _, r := range []analysis.InstanceRequest{req, again} {
		got, err := m.Instantiate(ctx, r)
		if err != nil || got.Created || got.RunID != in.RunID || got.Experiment.ID != x.ID {
			t.Fatalf("repeat: %+v %v", got, err)
		}
	}
	if got, err := m.Instance(ctx, req.Key); err != nil || got.RunID != in.RunID {
		t.Fatalf("Instance: %+v %v", got, err)
	}

	other := req
	other.Args = checkoutArgs()
	other.Args["canary-hash"] = "zzz"
	_, err = m.Instantiate(ctx, other)
	if !errors.Is(err, analysis.ErrConflict) || !strings.Contains(err.Error(), `args.canary-hash: stored "abc123", requested "zzz"`) {
		t.Fatalf("other args under the key: %v", err)
	}
	if xs, _ := m.List(ctx); len(xs) != 1 {
		t.Fatalf("%d experiments, want 1", len(xs))
	}
}

func TestInstantiateRefuses(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*analysis.InstanceRequest)
		check func(error) bool
		want  string
	}{
		{"unknown template", func(r *analysis.InstanceRequest) { r.Template = "nope" }, isNotFound, "nope"},
		{"missing arg", func(r *analysis.InstanceRequest) { delete(r.Args, "rollout") }, isInvalid, "args.rollout: required"},
		{"unknown arg", func(r *analysis.InstanceRequest) { r.Args["colour"] = "x" }, isInvalid, "args.colour: template checkout declares no such argument"},
		{"newline in a value", func(r *analysis.InstanceRequest) { r.Args["rollout"] = "x\nmetrics: []" }, isInvalid, "args.rollout: must not contain control characters"},
		{"long value", func(r *analysis.InstanceRequest) { r.Args["rollout"] = strings.Repeat("x", 1025) }, isInvalid, "args.rollout: at most 1024 bytes"},
		{"empty key", func(r *analysis.InstanceRequest) { r.Key = "" }, isInvalid, "key: must not be empty"},
		{"long key", func(r *analysis.InstanceRequest) { r.Key = strings.Repeat("k", 257) }, isInvalid, "key: at most 256 bytes"},
		{"unprintable key", func(r *analysis.InstanceRequest) { r.Key = "a\tb" }, isInvalid, "key: must be printable"},
		{"invalid spec", func(r *analysis.InstanceRequest) { r.Args["pass"] = "101" }, isInvalid, "thresholds.pass"},
		{"typed value stays in its scalar", func(r *analysis.InstanceRequest) { r.Args["pass"] = "[1, 2]" }, isInvalid, "thresholds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := templateManager(t)
			if _, err := m.PutTemplate(t.Context(), checkoutTemplate()); err != nil {
				t.Fatal(err)
			}
			req := analysis.InstanceRequest{Template: "checkout", Key: "k", Args: checkoutArgs()}
			tt.edit(&req)
			_, err := m.Instantiate(t.Context(), req)
			if err == nil || !tt.check(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if xs, _ := m.List(t.Context()); len(xs) != 0 {
				t.Fatalf("a refused instantiation created %d experiments", len(xs))
			}
		})
	}
}

func isNotFound(err error) bool { return errors.Is(err, analysis.ErrNotFound) }
func isInvalid(err error) bool {
	var v *analysis.ValidationError
	return errors.As(err, &v)
}

// TestInstantiateNoInjection: argument values land in one scalar each,
// whatever YAML or PromQL they hold.
func TestInstantiateNoInjection(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"yaml mapping", "x: y"},
		{"yaml flow", "{metrics: []}"},
		{"yaml document", "--- a"},
		{"promql quote", `abc",namespace=~".*`},
		{"comment", "a # b"},
		{"anchor", "*ref"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := templateManager(t)
			tpl := checkoutTemplate()
			tpl.Spec = strings.Replace(tpl.Spec, "name: ${args.rollout}-canary", "name: ${args.rollout}\ndescription: ${args.rollout}", 1)
			if _, err := m.PutTemplate(t.Context(), tpl); err != nil {
				t.Fatal(err)
			}
			args := checkoutArgs()
			args["rollout"], args["canary-hash"] = tt.value, tt.value
			in, err := m.Instantiate(t.Context(), analysis.InstanceRequest{Template: "checkout", Key: fmt.Sprint(i), Args: args})
			if err != nil {
				t.Fatal(err)
			}
			spec := in.Experiment.Spec
			if spec.Name != tt.value || spec.Description != tt.value || len(spec.Metrics) != 1 {
				t.Fatalf("name %q description %q metrics %d: want the value verbatim, one metric", spec.Name, spec.Description, len(spec.Metrics))
			}
			if want := `namespace="prod",pod_template_hash="` + tt.value + `"`; spec.Cohorts.Canary.Selector != want {
				t.Fatalf("canary selector %q, want %q", spec.Cohorts.Canary.Selector, want)
			}
		})
	}
}

// TestInstantiateConcurrent: 50 callers with one key create one experiment
// and one run.
func TestInstantiateConcurrent(t *testing.T) {
	m := templateManager(t)
	if _, err := m.PutTemplate(t.Context(), checkoutTemplate()); err != nil {
		t.Fatal(err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		runs    = map[string]bool{}
	)
	for range 50 {
		wg.Go(func() {
			in, err := m.Instantiate(t.Context(), analysis.InstanceRequest{Template: "checkout", Key: "k", Args: checkoutArgs()})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if in.Created {
				created++
			}
			runs[in.RunID] = true
		})
	}
	wg.Wait()
	xs, err := m.List(t.Context())
	if err != nil || created != 1 || len(runs) != 1 || len(xs) != 1 {
		t.Fatalf("created %d, runs %v, experiments %d (%v): want one each", created, runs, len(xs), err)
	}
	if rs, _ := m.Runs(t.Context(), xs[0].ID); len(rs) != 1 {
		t.Fatalf("%d runs, want 1", len(rs))
	}
}

func TestSpecLabelsValidated(t *testing.T) {
	long := strings.Repeat("v", 257)
	many := map[string]string{}
	for i := range 33 {
		many[fmt.Sprintf("l%d", i)] = "v"
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"name", map[string]string{"app-name": "x"}, `label name "app-name"`},
		{"long value", map[string]string{"team": long}, "labels.team: at most 256 bytes"},
		{"unprintable value", map[string]string{"team": "a\x01"}, "labels.team: must be printable"},
		{"too many", many, "labels: at most 32 labels, got 33"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := analysis.Spec{Name: "x", Labels: tt.labels}
			spec.SetDefaults()
			if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		name, body string
		spec       string // the stored spec text, "" when an error is wanted
		err        string
	}{
		{"inline mapping", "name: a\nspec:\n  name: '${args.x}'\n  timing: {interval: 1m}\n", "name: '${args.x}'\ntiming:\n  interval: 1m\n", ""},
		{"text", "name: a\nspec: |\n  name: ${args.x}\n", "name: ${args.x}\n", ""},
		{"json", `{"name": "a", "args": [{"name": "x", "default": "1"}], "spec": {"name": "${args.x}", "metrics": [{"name": "m"}]}}`,
			"name: \"${args.x}\"\nmetrics:\n  - name: \"m\"\n", ""},
		{"unknown field", "name: a\ncolour: red\n", "", "field colour not found"},
		{"spec list", "name: a\nspec: [1]\n", "", "want the spec as a mapping or as text"},
		{"empty", " \n", "", "empty body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := analysis.ParseTemplate(strings.NewReader(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got.Spec != tt.spec || got.Name != "a" {
				t.Fatalf("got %+v (spec %q), %v; want spec %q", got, got.Spec, err, tt.spec)
			}
		})
	}
}

// BenchmarkInstantiateExisting is a gate's repeated call: the key is
// stored, so the instance is looked up, compared and answered with its
// experiment's view.
func BenchmarkInstantiateExisting(b *testing.B) {
	db, err := state.OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	m, err := analysis.NewManager(analysis.DefaultManagerConfig(), db, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.PutTemplate(b.Context(), checkoutTemplate()); err != nil {
		b.Fatal(err)
	}
	req := analysis.InstanceRequest{Template: "checkout", Key: "k", Args: checkoutArgs()}
	if _, err := m.Instantiate(b.Context(), req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if in, err := m.Instantiate(b.Context(), req); err != nil || in.Created {
			b.Fatal(in.Created, err)
		}
	}
}
