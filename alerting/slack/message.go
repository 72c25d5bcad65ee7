package slack

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/augurhq/augur/alerting/notify"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks/):
// at most 50 blocks a message, 3,000 characters in a section's text or a
// context element, 150 in a header's text, 10 fields of 2,000 characters
// in a section, 75 characters in a button's label and 3,000 in its URL.
const (
	maxBlocks     = 50
	maxText       = 3000
	maxHeader     = 150
	maxField      = 2000
	maxButtonURL  = 3000
	maxFallback   = 3000
	truncatedNote = "… (cut to fit Slack's limits; the report has the rest)"
)

// Severity colours of the attachment's bar.
var colours = map[string]string{
	notify.SeverityCritical: "#D32F2F",
	notify.SeverityWarning:  "#F9A825",
	notify.SeverityInfo:     "#2E7D32",
}

// payload is an incoming webhook's JSON body.
type payload struct {
	Channel  string `json:"channel,omitempty"`
	Username string `json:"username,omitempty"`
	// Text is the notification's fallback: with blocks present Slack shows
	// it only in notifications and where blocks cannot be drawn.
	Text        string       `json:"text"`
	Blocks      []block      `json:"blocks"`
	Attachments []attachment `json:"attachments"`
}

// attachment carries the details so that its colour bar shows the
// severity (blocks at the top level have no colour).
type attachment struct {
	Color    string  `json:"color"`
	Fallback string  `json:"fallback"`
	Blocks   []block `json:"blocks"`
}

type block struct {
	Type     string    `json:"type"`
	Text     *text     `json:"text,omitempty"`
	Fields   []text    `json:"fields,omitempty"`
	Elements []element `json:"elements,omitempty"`
}

type text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// element is a context block's text or an actions block's button.
type element struct {
	Type  string `json:"type"`
	Text  any    `json:"text"`
	URL   string `json:"url,omitempty"`
	Style string `json:"style,omitempty"`
}

// render builds the message for m: the headline and the reason at the
// top, the facts, failing metrics, context and report button in an
// attachment coloured by severity.
func render(cfg Config, m notify.Message) payload {
	head := m.Title()
	top := []block{
		{Type: "header", Text: &text{Type: "plain_text", Text: cut(head, maxHeader), Emoji: true}},
	}
	if m.Reason != "" {
		top = append(top, block{Type: "section", Text: &text{Type: "mrkdwn", Text: cut(escape(m.Reason), maxText)}})
	}
	details := []block{{Type: "section", Fields: []text{
		{Type: "mrkdwn", Text: cut("*Verdict*\n"+orDash(m.Verdict), maxField)},
		{Type: "mrkdwn", Text: "*Score*\n" + formatScore(m.Score)},
		{Type: "mrkdwn", Text: cut("*Experiment*\n"+escape(m.Name), maxField)},
		{Type: "mrkdwn", Text: "*Severity*\n" + orDash(m.Severity)},
	}}}
	if len(m.Failing) > 0 {
		details = append(details, block{Type: "section", Text: &text{Type: "mrkdwn", Text: failingList(m.Failing)}})
	}
	details = append(details, block{Type: "context", Elements: []element{{Type: "mrkdwn", Text: cut(contextLine(m), maxText)}}})
	if m.ReportURL != "" && utf8.RuneCountInString(m.ReportURL) <= maxButtonURL {
		details = append(details, block{Type: "actions", Elements: []element{{
			Type: "button", Text: text{Type: "plain_text", Text: "Open report"}, URL: m.ReportURL, Style: buttonStyle(m.Severity),
		}}})
	}
	// At most 2 + 4 blocks: far inside the 50 a message may hold; the
	// metric list is one section, cut to its 3,000 characters.
	fallback := cut(head+": "+m.Reason, maxFallback)
	return payload{
		Channel:  cfg.Channel,
		Username: cfg.Username,
		Text:     fallback,
		Blocks:   top,
		Attachments: []attachment{{
			Color: colour(m.Severity), Fallback: fallback, Blocks: details,
		}},
	}
}

// formatScore prints a score, or "n/a" when there is none (inconclusive).
func formatScore(s *float64) string {
	if s == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*s, 'f', 1, 64)
}

// failingList is one mrkdwn bullet per failing metric, cut whole lines at
// a time to fit one section's text, with a note naming how many were left
// out.
func failingList(ms []notify.Metric) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("*Failing metrics (%d)*", len(ms)))
	for i, m := range ms {
		line := "\n• *" + escape(m.Name) + "*"
		if m.Classification != "" {
			line += " (" + escape(m.Classification) + ")"
		}
		if m.Reason != "" {
			line += ": " + escape(m.Reason)
		}
		line = cut(line, 500)
		rest := len(ms) - i - 1
		note := ""
		if rest > 0 {
			note = fmt.Sprintf("\n…and %d more; the report lists them all", rest)
		}
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(line)+utf8.RuneCountInString(note) > maxText {
			b.WriteString(fmt.Sprintf("\n…and %d more; the report lists them all", len(ms)-i))
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

func contextLine(m notify.Message) string {
	parts := []string{"experiment `" + escape(m.ExperimentID) + "`"}
	if m.RunID != "" {
		parts = append(parts, "run `"+escape(m.RunID)+"`")
	}
	if !m.At.IsZero() {
		parts = append(parts, m.At.UTC().Format(time.RFC3339))
	}
	return "augur · " + strings.Join(parts, " · ")
}

func colour(sev string) string {
	if c, ok := colours[sev]; ok {
		return c
	}
	return colours[notify.SeverityWarning]
}

func buttonStyle(sev string) string {
	if sev == notify.SeverityCritical {
		return "danger"
	}
	return ""
}

// escape applies Slack's three mrkdwn escapes (&, <, >), so that a metric
// name or reason cannot form a link or a mention.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cut shortens s to at most n characters, ending with the truncation note
// (or a bare ellipsis where the note would not fit).
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	note := truncatedNote
	if utf8.RuneCountInString(note)*2 > n {
		note = "…"
	}
	kept := string([]rune(s)[:n-utf8.RuneCountInString(note)])
	// Never end inside an escape (&amp; &lt; &gt;): Slack would show the
	// fragment.
	if i := strings.LastIndexByte(kept, '&'); i >= 0 && !strings.Contains(kept[i:], ";") {
		kept = kept[:i]
	}
	return kept + note
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
