package logs

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"

	"github.com/augurhq/augur/collector"
)

// decoded is what a Loki decoder makes of a body whose framing is sound:
// the records, and the entries or streams it rejected on their own.
type decoded struct {
	records  []Record
	rejected int
	reasons  []string
}

func (d *decoded) reject(n int, format string, args ...any) {
	d.rejected += n
	if len(d.reasons) < 3 {
		d.reasons = append(d.reasons, fmt.Sprintf(format, args...))
	}
}

// severityLabels are the stream labels (and structured metadata keys) that
// carry a level; Loki itself adds detected_level.
var severityLabels = []string{"level", "detected_level", "severity", "lvl"}

// traceIDKeys are the structured metadata keys (and line keys) of a trace ID.
var traceIDKeys = []string{"trace_id", "traceID", "traceid", "traceId"}

// streamRecord builds the record of one entry of a stream.
func streamRecord(mapping []LabelMapping, stream map[string]string, meta map[string]string, t time.Time, line string) Record {
	ls := map[string]string{}
	for _, m := range mapping {
		for _, f := range m.From {
			if v := stream[f]; v != "" {
				ls[m.Label] = v
				break
			}
		}
	}
	var sev string
	for _, src := range []map[string]string{meta, stream} {
		for _, k := range severityLabels {
			if sev = NormalizeSeverity(src[k]); sev != "" {
				break
			}
		}
		if sev != "" {
			break
		}
	}
	var traceID string
	for _, k := range traceIDKeys {
		if traceID = meta[k]; traceID != "" {
			break
		}
	}
	if traceID == "" {
		traceID = traceIDFromLine(line)
	}
	return Record{Time: t, Labels: ls, Severity: sev, Body: line, TraceID: traceID}
}

// traceIDFromLine finds trace_id=…, traceID=… or "trace_id":"…" in a line.
func traceIDFromLine(line string) string {
	if len(line) > 4096 {
		line = line[:4096]
	}
	for _, k := range traceIDKeys {
		for _, pre := range []string{k + "=", `"` + k + `":"`} {
			i := strings.Index(line, pre)
			if i < 0 {
				continue
			}
			v := line[i+len(pre):]
			end := strings.IndexFunc(v, func(r rune) bool {
				return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == '-')
			})
			if end >= 0 {
				v = v[:end]
			}
			if len(v) >= 8 && len(v) <= 64 {
				return v
			}
		}
	}
	return ""
}

// decodeLokiProto decodes a snappy-compressed push.PushRequest. A stream
// whose labels do not parse is rejected with its entries; the rest decode.
func decodeLokiProto(body []byte, limit int64, mapping []LabelMapping) (*decoded, error) {
	n, err := snappy.DecodedLen(body)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	if int64(n) > limit {
		return nil, fmt.Errorf("decompressed body of %d bytes is larger than %d bytes", n, limit)
	}
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	var req push.PushRequest
	if err := req.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("protobuf PushRequest: %w", err)
	}
	d := &decoded{}
	for i, s := range req.Streams {
		stream, err := ParseLabels(s.Labels)
		if err == nil {
			err = validateLabels(stream)
		}
		if err != nil {
			d.reject(max(len(s.Entries), 1), "stream %d: labels %q: %v", i, truncate(s.Labels, 200), err)
			continue
		}
		for _, e := range s.Entries {
			var meta map[string]string
			if len(e.StructuredMetadata) > 0 {
				meta = make(map[string]string, len(e.StructuredMetadata))
				for _, l := range e.StructuredMetadata {
					meta[l.Name] = l.Value
				}
			}
			d.records = append(d.records, streamRecord(mapping, stream, meta, e.Timestamp, e.Line))
		}
	}
	return d, nil
}

// lokiJSONStream is one stream of a JSON push: labels as a map ("stream")
// with "values", or, in the legacy form, as a selector string ("labels")
// with "entries".
type lokiJSONStream struct {
	Stream map[string]string `json:"stream"`
	Labels *string           `json:"labels"`
	Values []json.RawMessage `json:"values"`
	// Entries is the legacy form: [{"ts":"<RFC 3339>","line":"…"}].
	Entries []json.RawMessage `json:"entries"`
}

// decodeLokiJSON decodes {"streams":[{"stream":{…},"values":[["<unix ns>",
// "line"(, {structured metadata})]]}]}. A stream or value that does not
// decode is rejected on its own.
func decodeLokiJSON(body []byte, mapping []LabelMapping) (*decoded, error) {
	var req struct {
		Streams []json.RawMessage `json:"streams"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("JSON push request: %w", err)
	}
	if req.Streams == nil {
		return nil, fmt.Errorf(`JSON push request: no "streams" array`)
	}
	d := &decoded{}
	for i, raw := range req.Streams {
		var s lokiJSONStream
		if err := json.Unmarshal(raw, &s); err != nil {
			d.reject(1, "stream %d: %v", i, err)
			continue
		}
		stream := s.Stream
		if stream == nil && s.Labels != nil {
			ls, err := ParseLabels(*s.Labels)
			if err != nil {
				d.reject(max(len(s.Values)+len(s.Entries), 1), "stream %d: labels %q: %v", i, truncate(*s.Labels, 200), err)
				continue
			}
			stream = ls
		}
		if stream == nil {
			d.reject(max(len(s.Values)+len(s.Entries), 1), `stream %d: no "stream" labels`, i)
			continue
		}
		if err := validateLabels(stream); err != nil {
			d.reject(max(len(s.Values)+len(s.Entries), 1), "stream %d: %v", i, err)
			continue
		}
		for j, v := range s.Values {
			rec, err := lokiJSONValue(v, mapping, stream)
			if err != nil {
				d.reject(1, "stream %d value %d: %v", i, j, err)
				continue
			}
			d.records = append(d.records, rec)
		}
		for j, e := range s.Entries {
			rec, err := lokiJSONEntry(e, mapping, stream)
			if err != nil {
				d.reject(1, "stream %d entry %d: %v", i, j, err)
				continue
			}
			d.records = append(d.records, rec)
		}
	}
	return d, nil
}

// lokiJSONEntry decodes an entry of the legacy JSON form, as Grafana's
// loki-client-go sends it: {"ts":"2026-01-01T00:00:00.123Z","line":"…"}
// (a string of unix nanoseconds is accepted for ts too).
func lokiJSONEntry(raw json.RawMessage, mapping []LabelMapping, stream map[string]string) (Record, error) {
	var e struct {
		TS   *string           `json:"ts"`
		Line *string           `json:"line"`
		Meta map[string]string `json:"structuredMetadata"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return Record{}, fmt.Errorf(`want {"ts": "<RFC 3339>", "line": "…"}: %w`, err)
	}
	if e.TS == nil || e.Line == nil {
		return Record{}, fmt.Errorf(`want {"ts": "<RFC 3339>", "line": "…"}: ts or line missing`)
	}
	t, err := time.Parse(time.RFC3339Nano, *e.TS)
	if err != nil {
		ns, nerr := strconv.ParseInt(*e.TS, 10, 64)
		if nerr != nil {
			return Record{}, fmt.Errorf("ts %q: want RFC 3339 or unix nanoseconds", truncate(*e.TS, 40))
		}
		t = time.Unix(0, ns)
	}
	return streamRecord(mapping, stream, e.Meta, t, *e.Line), nil
}

func lokiJSONValue(raw json.RawMessage, mapping []LabelMapping, stream map[string]string) (Record, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return Record{}, fmt.Errorf(`want ["<unix ns>", "line"]: %w`, err)
	}
	if len(parts) != 2 && len(parts) != 3 {
		return Record{}, fmt.Errorf(`want ["<unix ns>", "line"] or with structured metadata, got %d elements`, len(parts))
	}
	var tsStr, line string
	if err := json.Unmarshal(parts[0], &tsStr); err != nil {
		return Record{}, fmt.Errorf("timestamp: want a string of unix nanoseconds: %w", err)
	}
	ns, err := strconv.ParseInt(tsStr, 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("timestamp %q: want unix nanoseconds", truncate(tsStr, 40))
	}
	if err := json.Unmarshal(parts[1], &line); err != nil {
		return Record{}, fmt.Errorf("line: want a string: %w", err)
	}
	var meta map[string]string
	if len(parts) == 3 {
		if err := json.Unmarshal(parts[2], &meta); err != nil {
			return Record{}, fmt.Errorf("structured metadata: want an object of strings: %w", err)
		}
	}
	return streamRecord(mapping, stream, meta, time.Unix(0, ns), line), nil
}

// ParseLabels parses a Prometheus-style label selector with equality
// matchers only, as Loki's push API carries stream labels:
// {app="cart", version="v2"}.
func ParseLabels(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("want {name=\"value\", ...}")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	out := map[string]string{}
	for s != "" {
		i := 0
		for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i == 0 {
			return nil, fmt.Errorf("want a label name at %q", truncate(s, 20))
		}
		name := s[:i]
		s = strings.TrimSpace(s[i:])
		if !strings.HasPrefix(s, "=") || strings.HasPrefix(s, "=~") {
			return nil, fmt.Errorf("label %s: want =", name)
		}
		s = strings.TrimSpace(s[1:])
		q, err := strconv.QuotedPrefix(s)
		if err != nil || q[0] == '\'' {
			return nil, fmt.Errorf("label %s: want a double-quoted value", name)
		}
		if !utf8.ValidString(q) {
			// Unquote would turn the invalid bytes into U+FFFD: refuse them
			// as remote write refuses them (collector.ValidateLabel).
			return nil, collector.ValidateLabel(name, q[1:len(q)-1])
		}
		v, err := strconv.Unquote(q)
		if err != nil {
			return nil, fmt.Errorf("label %s: %w", name, err)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("label %s: given twice", name)
		}
		out[name] = v
		s = strings.TrimSpace(s[len(q):])
		if s == "" {
			break
		}
		if s[0] != ',' {
			return nil, fmt.Errorf("label %s: want , or } after the value", name)
		}
		s = strings.TrimSpace(s[1:])
	}
	return out, nil
}

// NewLokiPushHandler returns the Loki push receiver
// (POST /loki/api/v1/push): a snappy-compressed push.PushRequest with
// Content-Type application/x-protobuf (also when no Content-Type is given,
// as Loki does), or JSON with application/json, optionally gzip.
//
// As Loki does, a push whose entries are all valid is answered 204; when
// some entries or streams are invalid (a line over MaxLineBytes, labels or
// a timestamp that do not parse, a label value that is not valid UTF-8, a
// time outside the store's window) the valid ones are stored and the answer
// is 400 naming how many were rejected and why. A body that does not decode
// at all is 400 with nothing stored.
func NewLokiPushHandler(logger *slog.Logger, l *Logs, cfg Config) http.Handler {
	logger = logger.With("receiver", "loki_push")
	mapping := l.cfg.LokiLabels
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, mediaType, herr := readBody(r, cfg.MaxBodyBytes, contentTypeProtobuf)
		if herr != nil {
			writeError(w, "loki push", herr)
			return
		}
		var d *decoded
		var err error
		if mediaType == contentTypeJSON {
			d, err = decodeLokiJSON(body, mapping)
		} else {
			d, err = decodeLokiProto(body, cfg.MaxBodyBytes, mapping)
		}
		if err != nil {
			http.Error(w, fmt.Sprintf("loki push: malformed %s body: %v", mediaType, err), http.StatusBadRequest)
			return
		}
		res, err := l.Consume(r.Context(), d.records)
		if err != nil {
			logger.Error("storing log metrics failed", "err", err)
			http.Error(w, "loki push: store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if rejected := d.rejected + res.Rejected; rejected > 0 {
			reasons := d.reasons
			if res.Reason != "" {
				reasons = append(reasons, res.Reason)
			}
			msg := fmt.Sprintf("loki push: %d entries rejected, %d stored: %s", rejected, res.Accepted, strings.Join(reasons, "; "))
			logger.Warn("log entries rejected", "rejected", rejected, "reason", msg)
			http.Error(w, msg, http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
