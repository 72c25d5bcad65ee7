package dashboards

import "strings"

// AnnotationStep is the step of the verdict annotations' queries, and the
// window over which a verdict counts as new: a verdict is marked at most
// one step after augur's self-scrape first recorded it.
const AnnotationStep = "1m"

// verdictAnnotations mark runs and verdicts from augur's own series;
// filter narrows them (`experiment="$experiment"`), "" keeps all.
//
// augur_experiment_verdict has one series per experiment and verdict, 1
// while it is the current one: verdict="running" for as long as the run is
// active, then the final verdict's series, its old one marked stale. So:
//
//   - Runs: the running series itself; the Prometheus data source turns
//     consecutive points one step apart into a region, from the first
//     scrape that saw the run active to the last.
//   - Verdicts: a final verdict's series that exists now and did not one
//     step ago: one point, at most a step after the verdict (a gap in the
//     self-scrape longer than a step, such as a restart, marks it again).
func verdictAnnotations(filter string) []Annotation {
	sel := func(verdict string) string {
		parts := []string{verdict}
		if filter != "" {
			parts = append(parts, filter)
		}
		return "augur_experiment_verdict{" + strings.Join(parts, ", ") + "}"
	}
	final := sel(`verdict!="running"`)
	return []Annotation{
		{
			Name: "Runs", Datasource: promDS, Enable: true, IconColor: "blue",
			Expr:        `max by (experiment, name, template, key) (` + sel(`verdict="running"`) + `)`,
			Step:        AnnotationStep,
			TitleFormat: "run of {{name}}", TextFormat: "experiment {{experiment}} running",
			TagKeys: "experiment,name,template",
		},
		{
			Name: "Verdicts", Datasource: promDS, Enable: true, IconColor: "red",
			Expr:        `max by (experiment, name, template, key, verdict) (` + final + ` unless ` + final + ` offset ` + AnnotationStep + `)`,
			Step:        AnnotationStep,
			TitleFormat: "{{name}}: {{verdict}}", TextFormat: "experiment {{experiment}}: verdict {{verdict}}",
			TagKeys: "verdict,experiment,name,template",
		},
	}
}
