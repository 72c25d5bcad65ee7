package kayenta_test

import (
	"fmt"
	"strings"

	"github.com/augurhq/augur/analysis/kayenta"
)

// An HTTP handler decodes the body and converts it; the warnings go back
// to the user with the spec.
func ExampleImportRequest_Spec() {
	body := `{
	  "canaryConfig": {
	    "name": "web-errors",
	    "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
	    "metrics": [{
	      "name": "5xx",
	      "query": {"type": "prometheus",
	        "customInlineTemplate": "PromQL:sum(rate(http_requests_total{code=~\"5..\",app=\"${scope}\"}[1m]))"},
	      "groups": ["errors"],
	      "analysisConfigurations": {"canary": {"direction": "increase"}}
	    }, {
	      "name": "gc pauses",
	      "query": {"type": "datadog", "metricName": "jvm.gc.pause"},
	      "groups": ["errors"]
	    }],
	    "classifier": {"groupWeights": {"errors": 100}}
	  },
	  "scopes": {"default": {
	    "controlScope": {"scope": "web-v1", "start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:30:00Z", "step": 60},
	    "experimentScope": {"scope": "web-v2", "start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:30:00Z", "step": 60}
	  }},
	  "thresholds": {"pass": 90, "marginal": 75},
	  "source": "prometheus"
	}`
	req, err := kayenta.DecodeImportRequest(strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, warnings, err := req.Spec()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.Metrics[0].Query)
	fmt.Println(spec.Cohorts.Baseline.Selector, "vs", spec.Cohorts.Canary.Selector)
	fmt.Println(spec.Timing.Start, spec.Timing.Lifetime)
	fmt.Println(warnings)
	// Output:
	// sum(rate(http_requests_total{code=~"5..",${cohort}}[1m]))
	// app="web-v1" vs app="web-v2"
	// 2024-05-01T10:00:00Z 30m
	// [metrics[1].query.type datadog: only prometheus queries import; metric "gc pauses" skipped]
}
