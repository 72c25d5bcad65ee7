package dashboards

// Overview is augur at a glance: the experiments in flight and their
// verdicts, how promptly intervals are judged, what is ingested and
// refused, and how notifications fare.
func Overview() Dashboard {
	var l layout
	l.row("Experiments")
	l.add(4, 5, Panel{Type: PanelStat, Title: "Active experiments",
		Description: "Experiments whose latest run is running or paused.",
		Targets:     []Target{instant("A", `count(augur_experiment_verdict{verdict="running"})`, "", "time_series")},
		FieldConfig: fields("none", func(d *FieldDefaults) {
			d.NoValue = "0"
			d.Color = &FieldColor{Mode: "fixed", FixedColor: "blue"}
		}),
		Options: statOptions()})
	l.add(8, 5, Panel{Type: PanelBarGauge, Title: "Experiments by verdict",
		Description: "Experiments with an active run or one that ended within metrics.experiment_retention, by current verdict.",
		Targets:     []Target{instant("A", `count by (verdict) (augur_experiment_verdict)`, "{{verdict}}", "time_series")},
		FieldConfig: fields("none"),
		Options: map[string]any{
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"orientation":   "horizontal", "displayMode": "basic", "showUnfilled": true,
		}})
	l.add(4, 5, Panel{Type: PanelStat, Title: "Scheduling backlog",
		Description: "Intervals of running experiments that are due and not judged yet.",
		Targets:     []Target{instant("A", `sum(augur_scheduling_backlog_intervals)`, "", "time_series")},
		FieldConfig: fields("none", func(d *FieldDefaults) {
			d.Color = &FieldColor{Mode: "thresholds"}
			d.Thresholds = &Thresholds{Mode: "absolute", Steps: []Step{{Color: "green"}, {Color: "orange", Value: ptr(10.0)}}}
		}),
		Options: statOptions()})
	l.add(8, 5, Panel{Type: PanelStat, Title: "Lowest score of a running experiment",
		Description: "The latest judged interval's score of the worst running experiment (0-100).",
		Targets: []Target{instant("A", `min(augur_experiment_score and on (experiment) augur_experiment_verdict{verdict="running"})`,
			"", "time_series")},
		FieldConfig: fields("none", func(d *FieldDefaults) {
			d.Min, d.Max, d.NoValue = ptr(0.0), ptr(100.0), "-"
			d.Color = &FieldColor{Mode: "thresholds"}
			d.Thresholds = &Thresholds{Mode: "absolute", Steps: []Step{{Color: "red"}, {Color: "yellow", Value: ptr(50.0)}, {Color: "green", Value: ptr(80.0)}}}
		}),
		Options: statOptions()})
	l.add(24, 8, Panel{Type: PanelStateTimeline, Title: "Verdicts over time",
		Description: "Each experiment's verdict: running while its run is active, then the final one.",
		Targets:     []Target{series("A", `max by (name, experiment, verdict) (augur_experiment_verdict)`, "{{name}} ({{experiment}}): {{verdict}}")},
		FieldConfig: func() *FieldConfig {
			f := fields("none")
			f.Defaults.Color = &FieldColor{Mode: "thresholds"}
			f.Defaults.Thresholds = &Thresholds{Mode: "absolute", Steps: []Step{{Color: "text"}}}
			return f
		}(),
		Options: map[string]any{"showValue": "never", "mergeValues": true, "rowHeight": 0.9,
			"legend": map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": false}}})
	l.add(24, 8, Panel{Type: PanelTable, Title: "Experiments",
		Description: "Experiments with an active run or one that ended within retention; open one in the experiment dashboard.",
		Targets: []Target{instant("A", `max by (experiment, name, template, key, verdict) (augur_experiment_verdict)`, "", "table"),
			instant("B", `max by (experiment) (augur_experiment_score)`, "", "table"),
			instant("C", `max by (experiment) (augur_experiment_intervals_judged)`, "", "table")},
		FieldConfig: fields("none", func(d *FieldDefaults) {
			// A data link on every cell: the row's experiment.
			d.Links = []Link{{Title: "Open in the experiment dashboard", Type: "link", Tags: []string{}, Icon: "dashboard",
				Tooltip: "the experiment dashboard",
				URL:     "/d/augur-experiment/augur-experiment?var-datasource=${datasource}&var-experiment=${__data.fields.experiment}&${__url_time_range}"}}
		}),
		Options: map[string]any{"showHeader": true, "cellHeight": "sm"}})

	l.row("Judging")
	l.add(12, 8, Panel{Type: PanelTimeSeries, Title: "Intervals judged per minute, by outcome",
		Targets:     []Target{series("A", `sum by (outcome) (rate(augur_interval_judgements_total[$__rate_interval])) * 60`, "{{outcome}}")},
		FieldConfig: fields("none"),
		Options:     timeseriesOptions()})
	l.add(12, 8, Panel{Type: PanelTimeSeries, Title: "Scheduling lag",
		Description: "How late intervals are judged after they come due (window end plus settle delay).",
		Targets: []Target{
			series("A", `histogram_quantile(0.5, sum by (le) (rate(augur_scheduling_lag_seconds_bucket[$__rate_interval])))`, "p50"),
			series("B", `histogram_quantile(0.99, sum by (le) (rate(augur_scheduling_lag_seconds_bucket[$__rate_interval])))`, "p99"),
		},
		FieldConfig: fields("s"), Options: timeseriesOptions()})

	l.row("Ingest")
	for _, k := range []struct{ title, family string }{
		{"Metric samples", "samples"}, {"Spans", "spans"}, {"Log records", "log_records"},
	} {
		l.add(8, 8, Panel{Type: PanelTimeSeries, Title: k.title + " per second",
			Description: "Accepted and refused (the store's time window, the active series limit, a failed commit), by protocol.",
			Targets: []Target{
				series("A", `sum by (protocol) (rate(augur_ingest_`+k.family+`_accepted_total[$__rate_interval]))`, "{{protocol}} accepted"),
				series("B", `sum by (protocol) (rate(augur_ingest_`+k.family+`_rejected_total[$__rate_interval]))`, "{{protocol}} rejected"),
			},
			FieldConfig: fields("ops"),
			Options:     timeseriesOptions()})
	}

	l.row("Notifications")
	l.add(12, 8, Panel{Type: PanelTimeSeries, Title: "Delivery attempts per minute",
		Description: "By receiver and outcome: delivered, retry (to be sent again), dead (given up).",
		Targets:     []Target{series("A", `sum by (receiver, outcome) (rate(augur_notification_attempts_total[$__rate_interval])) * 60`, "{{receiver}} {{outcome}}")},
		FieldConfig: fields("none"), Options: timeseriesOptions()})
	l.add(12, 8, Panel{Type: PanelBarGauge, Title: "Dead letters in the time range",
		Description: "Notifications given up (a permanent refusal, or retried past notify.delivery.max_age), by receiver.",
		Targets:     []Target{instant("A", `sum by (receiver) (increase(augur_notification_attempts_total{outcome="dead"}[$__range]))`, "{{receiver}}", "time_series")},
		FieldConfig: fields("none", func(d *FieldDefaults) {
			d.Decimals = ptr(0)
			d.Color = &FieldColor{Mode: "fixed", FixedColor: "red"}
		}),
		Options: map[string]any{
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"orientation":   "horizontal", "displayMode": "basic", "showUnfilled": true,
		}})

	return Dashboard{
		UID: "augur-overview", Title: "augur / Overview",
		Description: "augur's experiments, judging, ingest and notifications, from its own series.",
		Tags:        []string{"augur"}, Timezone: "browser", Editable: true, GraphTooltip: 1,
		Time: TimeRange{From: "now-6h", To: "now"}, Refresh: "30s",
		SchemaVersion: SchemaVersion, Version: 1,
		Links: []Link{{Title: "augur dashboards", Type: "dashboards", Tags: []string{"augur"}, AsDropdown: true,
			IncludeVars: true, KeepTime: true, Icon: "external link"}},
		Panels:      l.panels,
		Templating:  Templating{List: []Variable{datasourceVariable()}},
		Annotations: AnnotationList{List: append([]Annotation{builtInAnnotation(), postedAnnotation()}, verdictAnnotations("")...)},
	}
}
