package email

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// view is what the templates render: the message and its formatted parts.
type view struct {
	notify.Message
	Title string
	Score string
}

const textBody = `{{.Title}}

Experiment: {{.Name}} ({{.ExperimentID}})
Run: {{.RunID}}
Verdict: {{with .Verdict}}{{.}}{{else}}-{{end}}{{with .Score}}, score {{.}}{{end}}
{{with .Reason}}Reason: {{.}}
{{end}}{{with .Failing}}
Failing metrics:
{{range .}}- {{.Name}} ({{.Classification}}): {{.Reason}}
{{end}}{{end}}{{with .ReportURL}}
Report: {{.}}
{{end}}`

const htmlBody = `<!DOCTYPE html>
<html><body>
<h2>{{.Title}}</h2>
<p>Experiment <b>{{.Name}}</b> ({{.ExperimentID}}), run {{.RunID}}:
verdict <b>{{with .Verdict}}{{.}}{{else}}-{{end}}</b>{{with .Score}}, score {{.}}{{end}}</p>
{{with .Reason}}<p>{{.}}</p>{{end}}
{{with .Failing}}<p>Failing metrics:</p>
<ul>{{range .}}<li><b>{{.Name}}</b> ({{.Classification}}): {{.Reason}}</li>{{end}}</ul>{{end}}
{{with .ReportURL}}<p><a href="{{.}}">Report</a></p>{{end}}
</body></html>
`

var (
	textTmpl = texttemplate.Must(texttemplate.New("text").Parse(textBody))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Parse(htmlBody))
)

// Subject is the verdict and the experiment, e.g. "[augur] FAIL: checkout".
func Subject(m notify.Message) string {
	switch {
	case m.Resolved:
		return "[augur] RESOLVED: " + m.Name
	case m.Verdict != "":
		return "[augur] " + strings.ToUpper(m.Verdict) + ": " + m.Name
	default:
		return "[augur] " + strings.ReplaceAll(string(m.Event), "_", " ") + ": " + m.Name
	}
}

// render returns the whole message, headers and both parts, CRLF ended.
func render(cfg Config, m notify.Message, now time.Time) ([]byte, error) {
	v := view{Message: m, Title: Subject(m)}
	if m.Score != nil {
		v.Score = strconv.FormatFloat(*m.Score, 'f', 1, 64)
	}
	var text, html bytes.Buffer
	if err := textTmpl.Execute(&text, v); err != nil {
		return nil, fmt.Errorf("text template: %w", err)
	}
	if err := htmlTmpl.Execute(&html, v); err != nil {
		return nil, fmt.Errorf("html template: %w", err)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range []struct {
		ctype string
		data  []byte
	}{{"text/plain; charset=utf-8", text.Bytes()}, {"text/html; charset=utf-8", html.Bytes()}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write(p.data); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&out, "%s: %s\r\n", k, v) }
	header("From", address(cfg.From))
	to := make([]string, len(cfg.To))
	for i, a := range cfg.To {
		to[i] = address(a)
	}
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", v.Title))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", MessageID(m.ID, cfg.From))
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// MessageID derives the Message-ID from the message's ID (the same for
// every retry) and the sender's domain.
func MessageID(id, from string) string {
	local := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r):
			return r
		}
		return '-'
	}, id)
	local = strings.Trim(local, ".")
	if local == "" {
		local = "augur"
	}
	domain := "augur.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	return "<" + local + "@" + domain + ">"
}

// address formats a configured address for a header (display names are
// encoded as RFC 2047 requires).
func address(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.String()
	}
	return s
}
