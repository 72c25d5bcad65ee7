package collector

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

const (
	contentTypeProtobuf = "application/x-protobuf"
	contentTypeJSON     = "application/json"
)

// readOTLPBody reads an OTLP/HTTP body, undoing gzip, bounded to limit bytes
// after decompression. It returns the media type ("application/x-protobuf"
// or "application/json"). Errors are meant for a 400 (or 415) answer.
func readOTLPBody(r *http.Request, limit int64) (body []byte, mediaType string, status int, err error) {
	mediaType, _, err = mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mediaType != contentTypeProtobuf && mediaType != contentTypeJSON) {
		return nil, "", http.StatusUnsupportedMediaType,
			fmt.Errorf("unsupported Content-Type %q: want %s or %s", r.Header.Get("Content-Type"), contentTypeProtobuf, contentTypeJSON)
	}
	var rd io.Reader = r.Body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, mediaType, http.StatusBadRequest, fmt.Errorf("gzip body: %w", err)
		}
		defer gz.Close()
		rd = gz
	default:
		return nil, mediaType, http.StatusUnsupportedMediaType, fmt.Errorf("unsupported Content-Encoding %q: want gzip or none", enc)
	}
	body, err = io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, mediaType, http.StatusRequestEntityTooLarge, fmt.Errorf("body larger than %d bytes", tooBig.Limit)
		}
		return nil, mediaType, http.StatusBadRequest, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, mediaType, http.StatusRequestEntityTooLarge, fmt.Errorf("decompressed body larger than %d bytes", limit)
	}
	return body, mediaType, http.StatusOK, nil
}

// otlpMessage is a pdata export request (or response) of any signal.
type otlpMessage interface {
	UnmarshalProto([]byte) error
	UnmarshalJSON([]byte) error
}

// decodeOTLP reads and decodes one OTLP/HTTP request into msg, answering
// the client itself (405, 413, 415 or 400 naming the problem) when it
// cannot. signal prefixes error messages ("otlp traces").
func decodeOTLP(w http.ResponseWriter, r *http.Request, limit int64, signal string, msg otlpMessage) (body []byte, mediaType string, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: use POST", http.StatusMethodNotAllowed)
		return nil, "", false
	}
	body, mediaType, status, err := readOTLPBody(r, limit)
	if err != nil {
		http.Error(w, signal+": "+err.Error(), status)
		return nil, "", false
	}
	if mediaType == contentTypeJSON {
		err = msg.UnmarshalJSON(body)
	} else {
		err = msg.UnmarshalProto(body)
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("%s: malformed %s body: %v", signal, mediaType, err), http.StatusBadRequest)
		return nil, "", false
	}
	return body, mediaType, true
}

// writeOTLPResponse answers in the request's encoding, as OTLP/HTTP requires.
func writeOTLPResponse(w http.ResponseWriter, mediaType string, marshal func(json bool) ([]byte, error)) {
	b, err := marshal(mediaType == contentTypeJSON)
	if err != nil {
		http.Error(w, fmt.Sprintf("encode response: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
