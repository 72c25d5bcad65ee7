package kayenta

import (
	"strings"
	"testing"
	"time"
)

// TestImportTimingBounds: timings beyond what a spec may hold are refused
// by name instead of overflowing time.Duration, and timings finer than a
// millisecond (a spec's resolution) are rounded to it.
func TestImportTimingBounds(t *testing.T) {
	const scopes = `"scopes":{"default":{
		"controlScope":{"scope":"checkout-7d9f","region":"eu-west-1","step":STEP,"start":"CSTART","end":"CEND","extendedScopeParams":{"quantile":"0.95"}},
		"experimentScope":{"scope":"checkout-5c4b","region":"eu-west-1","step":STEP,"start":"2024-05-01T12:00:00Z","end":"EEND","extendedScopeParams":{"quantile":"0.95"}}}}`
	// Scopes without times, giving the template's ${quantile}.
	const plain = `,"scopes":{"default":{"controlScope":{"scope":"x","extendedScopeParams":{"quantile":"0.5"}},"experimentScope":{"scope":"y","extendedScopeParams":{"quantile":"0.5"}}}}`
	withScopes := func(step, cstart, cend, eend string) string {
		return strings.NewReplacer("STEP", step, "CSTART", cstart, "CEND", cend, "EEND", eend).Replace(scopes)
	}
	for _, tc := range []struct {
		name, fields string
		wantErr      []string
		timing       string
	}{
		{"minutes of a year", `"baseline":"a=\"1\"","canary":"a=\"2\"","lifetimeDurationMins":525600,"analysisIntervalMins":1440,"lookbackMins":60` + plain, nil,
			"start - lifetime 1y interval 1d lookback 1h begin_after 0s baseline_offset 0s step 0s"},
		{"minutes over a year", `"baseline":"a=\"1\"","canary":"a=\"2\"","lookbackMins":525601`,
			[]string{"minutes must be a non-negative number, at most 525600 (a year), got 525601"}, ""},
		{"minutes past time.Duration", `"baseline":"a=\"1\"","canary":"a=\"2\"","beginAfterMins":1e300`,
			[]string{"minutes must be a non-negative number, at most 525600 (a year), got 1e300"}, ""},
		{"fractions of a millisecond", `"baseline":"a=\"1\"","canary":"a=\"2\"","lifetimeDurationMins":0.50001,"analysisIntervalMins":"0.25"` + plain, nil,
			"start - lifetime 30s1ms interval 15s lookback 0s begin_after 0s baseline_offset 0s step 0s"},
		{"ISO 8601 over a year", `"baseline":"a=\"1\"","canary":"a=\"2\"","lifetimeDuration":"P366D"`,
			[]string{"lifetimeDuration", `"P366D" is longer than a year`}, ""},
		{"ISO 8601 past time.Duration", `"baseline":"a=\"1\"","canary":"a=\"2\"","lifetimeDuration":"P99999999999999999999D"`,
			[]string{"is longer than a year"}, ""},
		{"a step past time.Duration", withScopes("9999999999999", "2024-05-01T12:00:00Z", "2024-05-01T12:30:00Z", "2024-05-01T12:30:00Z"),
			[]string{"scopes: step 9999999999999: must be a positive number of seconds, at most 31536000 (a year)"}, ""},
		{"scope times finer than a millisecond", withScopes("60", "2024-05-01T11:59:59.9996Z", "2024-05-01T12:30:00.0001Z", "2024-05-01T12:30:00.0005Z"), nil,
			"start 2024-05-01T12:00:00Z lifetime 30m1ms interval 0s lookback 0s begin_after 0s baseline_offset 0s step 1m"},
		{"scopes ten thousand years apart", withScopes("60", "0001-01-01T00:00:00Z", "2024-05-01T12:30:00Z", "9999-05-01T12:30:00Z"),
			[]string{"the converted spec is invalid", "timing.lifetime: must be at most 1y"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeImportRequest(strings.NewReader(body(t, tc.fields)))
			if err == nil {
				_, _, err = req.Spec()
			}
			if tc.wantErr != nil {
				wantError(t, err, tc.wantErr...)
				return
			}
			spec, _, err := req.Spec()
			if err != nil {
				t.Fatal(err)
			}
			assertValid(t, spec)
			wantTiming(t, spec, tc.timing)
		})
	}
	if got := Minutes(1e-7).Duration(); got != 0 {
		t.Errorf("1e-7 minutes = %s, want 0", got)
	}
	if got := Minutes(0.5).Duration(); got != 30*time.Second {
		t.Errorf("0.5 minutes = %s", got)
	}
}
