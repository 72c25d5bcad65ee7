package grafana

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/augurhq/augur/alerting/notify"
)

// maxText bounds an annotation's text (Grafana stores it as TEXT; a long
// reason is cut, the report has the rest).
const maxText = 4000

// Annotation is the body of POST /api/annotations (Grafana's
// PostAnnotationsCmd, pkg/api/dtos/annotations.go): time and timeEnd in
// epoch milliseconds, timeEnd only for a region.
type Annotation struct {
	DashboardUID string   `json:"dashboardUID,omitempty"`
	PanelID      int64    `json:"panelId,omitempty"`
	Time         int64    `json:"time"`
	TimeEnd      int64    `json:"timeEnd,omitempty"`
	Tags         []string `json:"tags"`
	Text         string   `json:"text"`
}

// Notifier posts annotations to one Grafana.
type Notifier struct {
	name     string
	cfg      Config
	endpoint string
	client   notify.Doer
	now      func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns the receiver called name; guard decides which addresses
// Grafana's URL may reach.
func New(name string, cfg Config, guard notify.Guard) (*Notifier, error) {
	prefix := "receivers." + name + ".grafana"
	if err := cfg.Validate(prefix); err != nil {
		return nil, err
	}
	client, err := notify.NewHTTPClient(cfg.httpConfig(), guard)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	return newWithClient(name, cfg, client)
}

func newWithClient(name string, cfg Config, client notify.Doer) (*Notifier, error) {
	endpoint, err := url.JoinPath(cfg.URL, "api/annotations")
	if err != nil {
		return nil, fmt.Errorf("receivers.%s.grafana.url: %w", name, err)
	}
	return &Notifier{name: name, cfg: cfg, endpoint: endpoint, client: client, now: time.Now}, nil
}

// Render returns the annotation m posts: a region over the run for a
// verdict or an abort whose start is known, else a point at the event.
func Render(m notify.Message, cfg Config, now time.Time) Annotation {
	at := m.At
	if at.IsZero() {
		at = now
	}
	a := Annotation{DashboardUID: cfg.DashboardUID, PanelID: cfg.PanelID, Time: at.UnixMilli(), Text: text(m)}
	if (m.Event == notify.EventVerdict || m.Event == notify.EventRunAborted) && !m.StartedAt.IsZero() && m.StartedAt.Before(at) {
		a.Time, a.TimeEnd = m.StartedAt.UnixMilli(), at.UnixMilli()
	}
	a.Tags = []string{"augur"}
	switch {
	case m.Event == notify.EventVerdict && m.Verdict != "":
		a.Tags = append(a.Tags, "verdict:"+m.Verdict)
	default:
		a.Tags = append(a.Tags, "event:"+string(m.Event))
	}
	if m.Name != "" {
		a.Tags = append(a.Tags, "experiment:"+m.Name)
	}
	a.Tags = append(a.Tags, "experiment_id:"+m.ExperimentID)
	a.Tags = append(a.Tags, cfg.Tags...)
	return a
}

// text is the headline, the reason and the report's link, as HTML with
// every string from the experiment escaped.
func text(m notify.Message) string {
	var b strings.Builder
	b.WriteString("<b>" + html.EscapeString(m.Title()) + "</b>")
	if m.Score != nil {
		b.WriteString(" (score " + strconv.FormatFloat(*m.Score, 'f', 1, 64) + ")")
	}
	if m.Reason != "" {
		b.WriteString("<br>" + html.EscapeString(cut(m.Reason, maxText/2)))
	}
	for i, f := range m.Failing {
		if i == 10 {
			fmt.Fprintf(&b, "<br>…and %d more", len(m.Failing)-10)
			break
		}
		b.WriteString("<br>" + html.EscapeString(cut(f.Name+": "+f.Reason, 300)))
	}
	if u, err := url.Parse(m.ReportURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		b.WriteString(`<br><a href="` + html.EscapeString(m.ReportURL) + `">report</a>`)
	}
	return cut(b.String(), maxText)
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// Notify posts m as an annotation; see the package comment for which
// answers are permanent.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	now := n.now()
	body, err := json.Marshal(Render(m, n.cfg, now))
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: encode annotation: %w", n.name, err))
	}
	resp, cancel, err := notify.PostJSON(ctx, n.client, n.name, n.endpoint, body, n.cfg.Timeout)
	defer cancel()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return notify.CheckResponse(n.name, resp, now)
	}
	defer resp.Body.Close()
	var ans struct {
		Message string `json:"message"`
		ID      int64  `json:"id"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err := json.Unmarshal(b, &ans); err != nil || ans.ID == 0 {
		// Taken (a 200), though not in Grafana's shape: something else
		// answers at the URL. Not sent again: it would be taken again.
		return notify.Permanent(fmt.Errorf("%s: 200 without an annotation id (is %s Grafana?): %.100s", n.name, n.cfg.URL, b))
	}
	return nil
}
