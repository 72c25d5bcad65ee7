package kayenta

import (
	"errors"
	"fmt"
	"strings"

	"github.com/augurhq/augur/analysis"
)

// The prefix that makes a Kayenta template a complete PromQL expression.
const promQLPrefix = "PromQL:"

// Kayenta's resource types with built-in scope matchers.
const (
	resourceAWS = "aws_ec2_instance"
	resourceGCE = "gce_instance"
)

// translated is a metric's augur query and the scope matchers it lost to
// ${cohort}, one list per selector that had any.
type translated struct {
	query   string
	removed [][]string
}

// translateQuery turns a prometheus query config into an augur query.
// resourceType is the one Kayenta would use (the query's, else the
// scope's).
func translateQuery(q queryConfig, templates map[string]string, resourceType string, vals scopeValues) (translated, error) {
	if q.CustomFilter != "" {
		return translated{}, errors.New("query.customFilter is deprecated and Kayenta rejects it: use customInlineTemplate")
	}
	tmpl, err := queryTemplate(q, templates)
	if err != nil {
		return translated{}, err
	}
	if t := strings.TrimLeft(tmpl, " \t\r\n"); strings.HasPrefix(t, promQLPrefix) {
		return translatePromQL(strings.TrimPrefix(t, promQLPrefix), vals)
	}
	if q.MetricName == "" {
		return translated{}, errors.New("query.metricName: required unless the template is a whole query (starts with " + promQLPrefix + ")")
	}
	filter := tmpl
	if filter == "" {
		_, project := vals.canary["project"]
		filter, err = resourceFilter(resourceType, project)
		if err != nil {
			return translated{}, err
		}
	}
	e, err := expand(filter, vals)
	if err != nil {
		return translated{}, err
	}
	body, removed, err := e.rewriteBody(e.text)
	if err != nil {
		return translated{}, errors.New(e.restore(err.Error()))
	}
	if err := e.leftover(body); err != nil {
		return translated{}, err
	}
	var matchers []string
	if body != "" {
		matchers = append(matchers, body)
	}
	// Kayenta appends the label bindings to the filter as they are.
	matchers = append(matchers, q.LabelBindings...)
	if len(removed) == 0 {
		if !vals.explicit {
			return translated{}, errors.New("no matcher of the query's filter uses a variable whose value differs between the control and experiment scopes, " +
				"so nothing tells baseline from canary: give a customFilterTemplate or customInlineTemplate that matches ${scope}, or baseline and canary selectors")
		}
		matchers = append(matchers, analysis.CohortPlaceholder)
	}
	// Kayenta's query builder averages the selected series and groups the
	// average by groupByFields when given: avg(m{...}) by (a,b).
	query := "avg(" + q.MetricName + "{" + strings.Join(matchers, ",") + "})"
	if len(q.GroupByFields) > 0 {
		query += " by (" + strings.Join(q.GroupByFields, ",") + ")"
	}
	t := translated{query: query}
	if len(removed) > 0 {
		t.removed = [][]string{removed}
	}
	return t, nil
}

// translatePromQL rewrites a complete PromQL template.
func translatePromQL(tmpl string, vals scopeValues) (translated, error) {
	e, err := expand(tmpl, vals)
	if err != nil {
		return translated{}, err
	}
	q, removed, err := e.rewriteQuery()
	if err != nil {
		return translated{}, errors.New(e.restore(err.Error()))
	}
	if len(removed) == 0 {
		return translated{}, fmt.Errorf("no label matcher of the PromQL template uses a variable whose value differs between the control and experiment scopes, "+
			"so nothing tells baseline from canary: match the scope, e.g. app=\"${scope}\", where %s should go", analysis.CohortPlaceholder)
	}
	return translated{query: strings.TrimSpace(q), removed: removed}, nil
}

// queryTemplate returns the metric's template: the inline one, else the
// named one, else "".
func queryTemplate(q queryConfig, templates map[string]string) (string, error) {
	inline := q.CustomInlineTemplate
	if q.Template != "" {
		if inline != "" && inline != q.Template {
			return "", errors.New("query.template and query.customInlineTemplate disagree (template is the newer name of the same field)")
		}
		inline = q.Template
	}
	if inline != "" || q.CustomFilterTemplate == "" {
		return inline, nil
	}
	t, ok := templates[q.CustomFilterTemplate]
	if !ok {
		return "", fmt.Errorf("query.customFilterTemplate %q: no such entry in the config's templates", q.CustomFilterTemplate)
	}
	return t, nil
}

// resourceFilter is the filter Kayenta derives from a resource type when
// a metricName query has no template (project: the scope has a project).
func resourceFilter(resourceType string, project bool) (string, error) {
	switch resourceType {
	case resourceAWS:
		return `asg_groupName="${scope}",zone=~"${location}.{1}"`, nil
	case resourceGCE:
		// instance is the default of Kayenta's prometheus.scopeLabel.
		zone := `.+/zones/${location}-.{1}`
		if project {
			zone = `.+/projects/${project}/zones/${location}-.{1}`
		}
		return `instance=~"${scope}-.{4}",zone=~"` + zone + `"`, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("resourceType %q: Kayenta supports only %s and %s without a template", resourceType, resourceAWS, resourceGCE)
}
