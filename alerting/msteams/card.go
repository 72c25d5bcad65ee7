package msteams

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/augurhq/augur/alerting/notify"
)

// Limits that keep a card far below Teams' 28 KB message size
// (https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/format-your-bot-messages,
// "message size limit").
const (
	// MaxMetrics is how many failing metrics a card lists.
	MaxMetrics    = 25
	maxReason     = 2000
	maxMetricLine = 400
	maxTitle      = 200
	truncatedNote = "… (cut; the report has the rest)"
	// MaxMessageBytes is Teams' message size limit.
	MaxMessageBytes = 28 * 1024
)

// message is the Workflows webhook body: a message activity with one
// Adaptive Card attachment
// (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
// "Send Adaptive Cards using an Incoming Webhook").
type message struct {
	Type        string       `json:"type"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     card    `json:"content"`
}

type card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	MSTeams msteams   `json:"msteams"`
	Body    []element `json:"body"`
	Actions []action  `json:"actions,omitempty"`
}

type msteams struct {
	Width string `json:"width"`
}

// element is the few Adaptive Card elements a card uses: TextBlock,
// FactSet and Container.
type element struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	Size     string    `json:"size,omitempty"`
	Weight   string    `json:"weight,omitempty"`
	Color    string    `json:"color,omitempty"`
	IsSubtle bool      `json:"isSubtle,omitempty"`
	Wrap     bool      `json:"wrap,omitempty"`
	Spacing  string    `json:"spacing,omitempty"`
	Style    string    `json:"style,omitempty"`
	Bleed    bool      `json:"bleed,omitempty"`
	Facts    []fact    `json:"facts,omitempty"`
	Items    []element `json:"items,omitempty"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Severity styles: a container style and a text colour.
var styles = map[string][2]string{
	notify.SeverityCritical: {"attention", "Attention"},
	notify.SeverityWarning:  {"warning", "Warning"},
	notify.SeverityInfo:     {"good", "Good"},
}

func render(m notify.Message) message {
	style, ok := styles[m.Severity]
	if !ok {
		style = styles[notify.SeverityWarning]
	}
	head := element{Type: "Container", Style: style[0], Bleed: true, Items: []element{
		{Type: "TextBlock", Text: cut(m.Title(), maxTitle), Size: "Large", Weight: "Bolder", Color: style[1], Wrap: true},
	}}
	if m.Reason != "" {
		head.Items = append(head.Items, element{Type: "TextBlock", Text: cut(m.Reason, maxReason), Wrap: true, Spacing: "Small"})
	}
	facts := []fact{
		{Title: "Verdict", Value: orDash(m.Verdict)},
		{Title: "Score", Value: score(m.Score)},
		{Title: "Experiment", Value: cut(m.Name, maxTitle)},
		{Title: "Experiment ID", Value: m.ExperimentID},
	}
	if m.RunID != "" {
		facts = append(facts, fact{Title: "Run", Value: m.RunID})
	}
	if !m.At.IsZero() {
		facts = append(facts, fact{Title: "At", Value: m.At.UTC().Format(time.RFC3339)})
	}
	body := []element{head, {Type: "FactSet", Facts: facts}}
	if len(m.Failing) > 0 {
		body = append(body, element{Type: "TextBlock", Text: fmt.Sprintf("Failing metrics (%d)", len(m.Failing)),
			Weight: "Bolder", Wrap: true, Spacing: "Medium"})
		for i, f := range m.Failing {
			if i == MaxMetrics {
				body = append(body, element{Type: "TextBlock", IsSubtle: true, Wrap: true,
					Text: fmt.Sprintf("…and %d more; the report lists them all", len(m.Failing)-MaxMetrics)})
				break
			}
			body = append(body, element{Type: "TextBlock", Text: cut(metricLine(f), maxMetricLine), Wrap: true, Spacing: "Small"})
		}
	}
	c := card{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		MSTeams: msteams{Width: "Full"}, Body: body,
	}
	if m.ReportURL != "" {
		c.Actions = []action{{Type: "Action.OpenUrl", Title: "Open report", URL: m.ReportURL}}
	}
	return message{Type: "message", Attachments: []attachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: c,
	}}}
}

// metricLine is "**name** (classification): reason". Nothing is escaped:
// Teams' card markdown has no escape character, and an underscore inside
// a word (a metric name) renders as written.
func metricLine(f notify.Metric) string {
	s := "**" + f.Name + "**"
	if f.Classification != "" {
		s += " (" + f.Classification + ")"
	}
	if f.Reason != "" {
		s += ": " + f.Reason
	}
	return s
}

func score(s *float64) string {
	if s == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*s, 'f', 1, 64)
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-utf8.RuneCountInString(truncatedNote)]) + truncatedNote
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
