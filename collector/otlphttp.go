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
