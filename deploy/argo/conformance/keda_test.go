package conformance

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"k8s.io/apimachinery/pkg/api/resource"
)

// kedaJSONValue replays KEDA's metrics-api scaler reading a JSON answer
// (kedacore/keda pkg/scalers/metrics_api_scaler.go,
// getValueFromJSONResponse): the GJSON path's result must be a number, or
// a string that parses as a Kubernetes Quantity.
func kedaJSONValue(body []byte, valueLocation string) (float64, error) {
	r := gjson.GetBytes(body, valueLocation)
	if r.Type == gjson.String {
		q, err := resource.ParseQuantity(r.String())
		if err != nil {
			return 0, fmt.Errorf("valueLocation %q points to a string that is not parseable as a Quantity", valueLocation)
		}
		return q.AsApproximateFloat64(), nil
	}
	if r.Type != gjson.Number {
		return 0, fmt.Errorf("valueLocation %q must point to a numeric value or a string parseable as a Quantity, got %s", valueLocation, r.Type.String())
	}
	return r.Num, nil
}

// kedaJSON checks the KEDA endpoint's JSON against KEDA's own reading,
// for an instance of base's checkout template judged over healthy data.
func kedaJSON(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/gates/argo/checkout?key=keda-json&namespace=shop&rollout=checkout&canary-hash=healthy1&stable-hash=stable0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var body []byte
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(base + "/api/v1/gates/keda/checkout?key=keda-json")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK { // KEDA accepts only 200
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if gjson.GetBytes(body, "score").Type == gjson.Number {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no judged interval in time: %s", body)
		}
	}
	for _, tt := range []struct {
		location string
		want     float64
	}{
		{"healthy", 1},
		{"score", 100},
		{"slo_headroom", (0.5 - 0.2) / 0.5},
		{"intervals.total", 3},
	} {
		got, err := kedaJSONValue(body, tt.location)
		if err != nil || got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("%s = %v, %v; want %v\n%s", tt.location, got, err, tt.want, body)
		}
	}
	if _, err := kedaJSONValue(body, "verdict"); err == nil {
		t.Errorf("verdict %q read as a number", gjson.GetBytes(body, "verdict").String())
	}
}
