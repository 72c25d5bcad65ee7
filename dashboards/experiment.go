package dashboards

// Experiment is one experiment: its verdict and score over time, the
// intervals judged, each metric's effect with its confidence bounds, and
// the two cohorts' traffic side by side from augur's span-derived series.
func Experiment() Dashboard {
	const exp = `experiment="$experiment"`
	const eff = `{experiment="$experiment", metric="$metric"}`
	// The cohorts' selectors, as the experiment's spec gives them.
	const spans = `service_name="$service", span_kind="server"`
	cohort := func(c string) string { return spans + `, $` + c }
	var l layout
	l.row("Verdict")
	l.add(6, 5, Panel{Type: PanelStat, Title: "Verdict",
		Targets:     []Target{instant("A", `max by (verdict) (augur_experiment_verdict{`+exp+`})`, "{{verdict}}", "time_series")},
		FieldConfig: fields("none"),
		Options: func() map[string]any {
			o := statOptions()
			o["textMode"] = "name"
			return o
		}()})
	l.add(6, 5, Panel{Type: PanelStat, Title: "Score",
		Description: "The final verdict's score, or the latest judged interval's while running (0-100).",
		Targets:     []Target{instant("A", `max(augur_experiment_score{`+exp+`})`, "", "time_series")},
		FieldConfig: fields("none", func(d *FieldDefaults) {
			d.Min, d.Max, d.NoValue = ptr(0.0), ptr(100.0), "-"
			d.Color = &FieldColor{Mode: "thresholds"}
			d.Thresholds = &Thresholds{Mode: "absolute", Steps: []Step{{Color: "red"}, {Color: "yellow", Value: ptr(50.0)}, {Color: "green", Value: ptr(80.0)}}}
		}),
		Options: statOptions()})
	l.add(6, 5, Panel{Type: PanelStat, Title: "Intervals judged",
		Targets:     []Target{instant("A", `max(augur_experiment_intervals_judged{`+exp+`})`, "", "time_series")},
		FieldConfig: fields("none", func(d *FieldDefaults) { d.Color = &FieldColor{Mode: "fixed", FixedColor: "blue"} }),
		Options:     statOptions()})
	l.add(6, 5, Panel{Type: PanelStateTimeline, Title: "Verdict over time",
		Targets:     []Target{series("A", `max by (verdict) (augur_experiment_verdict{`+exp+`})`, "{{verdict}}")},
		FieldConfig: fields("none"),
		Options:     map[string]any{"showValue": "never", "mergeValues": true}})
	l.add(12, 8, Panel{Type: PanelTimeSeries, Title: "Score and intervals judged",
		Targets: []Target{
			series("A", `max(augur_experiment_score{`+exp+`})`, "score"),
			series("B", `max(augur_experiment_intervals_judged{`+exp+`})`, "intervals judged"),
		},
		FieldConfig: fields("none"),
		Options:     timeseriesOptions()})
	l.add(12, 8, Panel{Type: PanelTimeSeries, Title: "Effect of $metric and its confidence bounds",
		Description: "The canary against the baseline in the latest judged interval: on scale difference canary minus baseline in the metric's unit, on scale ratio canary over baseline.",
		Targets: []Target{
			series("A", `augur_metric_effect`+eff, "{{variant}} effect ({{scale}})"),
			series("B", `augur_metric_effect_lower`+eff, "{{variant}} lower"),
			series("C", `augur_metric_effect_upper`+eff, "{{variant}} upper"),
		},
		FieldConfig: fields("none"),
		Options:     timeseriesOptions()})
	l.add(24, 8, Panel{Type: PanelTable, Title: "Effects of every metric (latest judged interval)",
		Targets: []Target{
			instant("A", `augur_metric_effect{`+exp+`}`, "", "table"),
			instant("B", `augur_metric_effect_lower{`+exp+`}`, "", "table"),
			instant("C", `augur_metric_effect_upper{`+exp+`}`, "", "table"),
		},
		FieldConfig: fields("none"),
		Options:     map[string]any{"showHeader": true, "cellHeight": "sm"}})

	l.row("Baseline and canary ($service)")
	l.add(8, 8, Panel{Type: PanelTimeSeries, Title: "Requests per second",
		Targets: []Target{
			series("A", `sum(rate(augur_span_requests_total{`+cohort("baseline")+`}[$__rate_interval]))`, "baseline"),
			series("B", `sum(rate(augur_span_requests_total{`+cohort("canary")+`}[$__rate_interval]))`, "canary"),
		},
		FieldConfig: fields("reqps"), Options: timeseriesOptions()})
	l.add(8, 8, Panel{Type: PanelTimeSeries, Title: "Error ratio",
		Targets: []Target{
			series("A", `sum(rate(augur_span_errors_total{`+cohort("baseline")+`}[$__rate_interval])) / sum(rate(augur_span_requests_total{`+cohort("baseline")+`}[$__rate_interval]))`, "baseline"),
			series("B", `sum(rate(augur_span_errors_total{`+cohort("canary")+`}[$__rate_interval])) / sum(rate(augur_span_requests_total{`+cohort("canary")+`}[$__rate_interval]))`, "canary"),
		},
		FieldConfig: fields("percentunit"), Options: timeseriesOptions()})
	l.add(8, 8, Panel{Type: PanelTimeSeries, Title: "Latency p99",
		Targets: []Target{
			series("A", `histogram_quantile(0.99, sum by (le) (rate(augur_span_duration_seconds_bucket{`+cohort("baseline")+`}[$__rate_interval])))`, "baseline"),
			series("B", `histogram_quantile(0.99, sum by (le) (rate(augur_span_duration_seconds_bucket{`+cohort("canary")+`}[$__rate_interval])))`, "canary"),
		},
		FieldConfig: fields("s"), Options: timeseriesOptions()})

	return Dashboard{
		UID: "augur-experiment", Title: "augur / Experiment",
		Description: "One augur experiment: verdict, score, effects with their bounds, and the cohorts' traffic.",
		Tags:        []string{"augur"}, Timezone: "browser", Editable: true, GraphTooltip: 1,
		Time: TimeRange{From: "now-3h", To: "now"}, Refresh: "30s",
		SchemaVersion: SchemaVersion, Version: 1,
		Links: []Link{{Title: "augur dashboards", Type: "dashboards", Tags: []string{"augur"}, AsDropdown: true,
			IncludeVars: false, KeepTime: true, Icon: "external link"}},
		Panels: l.panels,
		Templating: Templating{List: []Variable{
			datasourceVariable(),
			queryVariable("experiment", "Experiment", `label_values(augur_experiment_verdict, experiment)`,
				"The experiment's ID (experiments with an active run or one that ended within retention)"),
			queryVariable("metric", "Metric", `label_values(augur_metric_effect{experiment="$experiment"}, metric)`,
				"A metric of the experiment that has an effect"),
			queryVariable("service", "Service", `label_values(augur_span_requests_total, service_name)`,
				"The service whose span-derived series the cohorts are drawn from"),
			textboxVariable("baseline", "Baseline selector", `service_version="v1"`,
				"The baseline cohort's label matchers, as the experiment's spec gives them (cohorts.baseline)"),
			textboxVariable("canary", "Canary selector", `service_version="v2"`,
				"The canary cohort's label matchers, as the experiment's spec gives them (cohorts.canary)"),
		}},
		Annotations: AnnotationList{List: append([]Annotation{builtInAnnotation(), postedAnnotation("experiment_id:$experiment")}, verdictAnnotations(exp)...)},
	}
}
