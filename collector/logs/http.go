package logs

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

const (
	contentTypeProtobuf = "application/x-protobuf"
	contentTypeJSON     = "application/json"
)

// httpError is a failure to answer with a status and a message naming it.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// readBody checks the method, reads the body (undoing gzip) bounded to
// limit bytes after decompression, and returns the media type. An empty
// Content-Type is taken as defaultType when that is not "".
func readBody(r *http.Request, limit int64, defaultType string) ([]byte, string, *httpError) {
	if r.Method != http.MethodPost {
		return nil, "", &httpError{status: http.StatusMethodNotAllowed, msg: "method not allowed: use POST"}
	}
	ct := r.Header.Get("Content-Type")
	mediaType := defaultType
	if ct != "" || defaultType == "" {
		var err error
		mediaType, _, err = mime.ParseMediaType(ct)
		if err != nil {
			mediaType = ""
		}
	}
	if mediaType != contentTypeProtobuf && mediaType != contentTypeJSON {
		return nil, "", &httpError{status: http.StatusUnsupportedMediaType,
			msg: fmt.Sprintf("unsupported Content-Type %q: want %s or %s", ct, contentTypeProtobuf, contentTypeJSON)}
	}
	body := io.Reader(http.MaxBytesReader(nil, r.Body, limit))
	switch enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(body)
		if err != nil {
			return nil, mediaType, badRequest("gzip body: %v", err)
		}
		defer gz.Close()
		body = gz
	default:
		return nil, mediaType, &httpError{status: http.StatusUnsupportedMediaType,
			msg: fmt.Sprintf("unsupported Content-Encoding %q: want gzip or none", enc)}
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, mediaType, &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body larger than %d bytes", tooBig.Limit)}
		}
		return nil, mediaType, badRequest("read body: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, mediaType, &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("decompressed body larger than %d bytes", limit)}
	}
	return b, mediaType, nil
}

func writeError(w http.ResponseWriter, prefix string, e *httpError) {
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	http.Error(w, prefix+": "+e.msg, e.status)
}

// NewPatternsHandler answers GET ?service=NAME[&version=V] with the
// patterns l has mined for that service (and version; all versions when
// omitted), most frequent first, as JSON:
//
//	{"service":"checkout","version":"v2","patterns":[{"pattern_id":"…",
//	  "template":"…","count":3,"first_seen":"…","last_seen":"…",
//	  "examples":[{"time":"…","line":"…","trace_id":"…"}]}]}
func NewPatternsHandler(logger *slog.Logger, l *Logs) http.Handler {
	logger = logger.With("handler", "log_patterns")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		service, version := q.Get("service"), q.Get("version")
		if service == "" {
			http.Error(w, "log patterns: query parameter service is required", http.StatusBadRequest)
			return
		}
		ps := l.Patterns(service, version)
		if ps == nil {
			ps = []Pattern{}
		}
		for i := range ps {
			if ps[i].Examples == nil {
				ps[i].Examples = []Example{}
			}
		}
		w.Header().Set("Content-Type", contentTypeJSON)
		if err := json.NewEncoder(w).Encode(struct {
			Service  string    `json:"service"`
			Version  string    `json:"version,omitempty"`
			Patterns []Pattern `json:"patterns"`
		}{service, version, ps}); err != nil {
			logger.Debug("writing patterns failed", "err", err)
		}
	})
}
