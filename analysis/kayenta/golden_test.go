package kayenta

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// at is a fixed instant for scopes.
func at(hhmm string) time.Time {
	t, err := time.Parse(time.RFC3339, "2024-05-01T"+hhmm+":00Z")
	if err != nil {
		panic(err)
	}
	return t
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkoutOptions are the scopes of a one-hour run of two ReplicaSets in
// one region, judged every 15 minutes.
func checkoutOptions() Options {
	ext := map[string]string{"quantile": "0.99"}
	return Options{
		Scopes: map[string]ScopePair{DefaultScopeName: {
			Control:    Scope{Scope: "checkout-7d9f", Location: "eu-west-1", Start: at("12:00"), End: at("13:00"), Step: 30, ExtendedScopeParams: ext},
			Experiment: Scope{Scope: "checkout-5c4b", Location: "eu-west-1", Start: at("12:00"), End: at("13:00"), Step: 30, ExtendedScopeParams: ext},
		}},
		Interval: 15 * time.Minute,
		Source:   "prom",
	}
}

// paymentsOptions compare two deployments, the baseline an hour earlier,
// on a sliding 10-minute window.
func paymentsOptions() Options {
	return Options{
		Name: "payments-v42",
		Scopes: map[string]ScopePair{DefaultScopeName: {
			Control:    Scope{Scope: "payments-v41", Start: at("09:00"), End: at("10:00")},
			Experiment: Scope{Scope: "payments-v42", Start: at("10:00"), End: at("11:00")},
		}},
		Thresholds: &analysis.ScoreThreshold{Pass: 90, Marginal: 70},
		Interval:   10 * time.Minute,
		BeginAfter: 5 * time.Minute,
		Lookback:   10 * time.Minute,
		Source:     "thanos",
	}
}

// fleetOptions scope two auto scaling groups of one region.
func fleetOptions() Options {
	return Options{
		Scopes: map[string]ScopePair{DefaultScopeName: {
			Control:    Scope{Scope: "fleet-v007", Location: "us-east-1"},
			Experiment: Scope{Scope: "fleet-v008", Location: "us-east-1"},
		}},
		Lifetime: 30 * time.Minute,
	}
}

type golden struct {
	Spec     analysis.Spec `json:"spec"`
	Warnings []string      `json:"warnings"`
}

// TestGolden converts the fixtures and compares the whole result with
// testdata/<fixture>.golden.json (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		opts    Options
	}{
		{"checkout-promql", checkoutOptions()},
		{"payments-metricname", paymentsOptions()},
		{"fleet-aws", fleetOptions()},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			spec, warnings, err := Convert(fixture(t, tc.fixture), tc.opts)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			assertValid(t, spec)
			got, err := json.MarshalIndent(golden{Spec: spec, Warnings: warnings}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.fixture+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the conversion (go test -update rewrites it); got:\n%s", path, got)
			}
		})
	}
}

// assertValid checks that the converted spec validates with defaults, and
// that Convert returned it without them.
func assertValid(t *testing.T, spec analysis.Spec) {
	t.Helper()
	s := spec
	s.Metrics = slices.Clone(spec.Metrics)
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		t.Fatalf("converted spec does not validate: %v", err)
	}
	if spec.Step == 0 && s.Step == 0 {
		t.Fatal("SetDefaults did not run on the copy")
	}
}
