package kayenta

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

// FuzzImport feeds import requests (POST /api/v1/import/kayenta bodies) to
// DecodeImportRequest and Spec. Whatever they are given, they do not
// panic, and a spec returned without an error validates once its defaults
// are set, encodes to JSON as the state store keeps it, and parses back
// from that JSON to the same spec.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		if strings.HasSuffix(file, ".golden.json") {
			continue
		}
		cfg, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(`{"canaryConfig":` + string(cfg) + `,"baseline":"track=\"stable\"","canary":"track=\"canary\"","lifetimeDurationMins":60,"analysisIntervalMins":15,` +
			`"scopes":{"default":{"controlScope":{"scope":"x","location":"eu-west-1","extendedScopeParams":{"quantile":"0.5"}},` +
			`"experimentScope":{"scope":"y","location":"eu-west-1","extendedScopeParams":{"quantile":"0.5"}}}}}`))
		f.Add([]byte(`{"canaryConfig":` + string(cfg) + `,"source":"prom","thresholds":{"pass":90,"marginal":70},"scopes":{"default":{` +
			`"controlScope":{"scope":"checkout-7d9f","region":"eu-west-1","step":60,"start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z","extendedScopeParams":{"quantile":"0.95"}},` +
			`"experimentScope":{"scope":"checkout-5c4b","region":"eu-west-1","step":60,"start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z","extendedScopeParams":{"quantile":"0.95"}}}}}`))
		f.Add([]byte(`{"canaryConfig":` + string(cfg) + `,"name":"c","lifetimeDuration":"PT1H30M","canaryAnalysisIntervalMins":"30","beginCanaryAnalysisAfterMins":"10",` +
			`"baselineAnalysisOffsetInMins":60,"lookbackMins":15,"scopes":[{"scopeName":"default","controlScope":"checkout-7d9f","controlLocation":"eu-west-1",` +
			`"controlOffsetInMinutes":30,"experimentScope":"checkout-5c4b","experimentLocation":"eu-west-1","startTimeIso":"2024-05-01T12:00:00Z","step":30,` +
			`"extendedScopeParams":{"quantile":"0.9"}}]}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeImportRequest(bytes.NewReader(body))
		if err != nil {
			return
		}
		spec, _, err := req.Spec()
		if err != nil {
			return
		}
		spec.SetDefaults()
		if err := spec.Validate(); err != nil {
			t.Fatalf("an imported spec does not validate: %v", err)
		}
		b, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("an imported spec does not encode: %v", err)
		}
		back, err := analysis.ParseSpec(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("an imported spec, encoded, is refused: %v\n%s", err, b)
		}
		if b2, _ := json.Marshal(back); !bytes.Equal(b, b2) {
			t.Fatalf("an imported spec changed on its way through JSON:\n%s\n%s", b, b2)
		}
	})
}
