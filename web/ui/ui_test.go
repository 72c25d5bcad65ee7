package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func newTestRouter(t *testing.T, deps Deps) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	if err := Register(r, deps, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func get(r http.Handler, path, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func TestNotFound(t *testing.T) {
	r := newTestRouter(t, Deps{})
	tests := []struct {
		name, path, accept string
		wantType, wantBody string
	}{
		{"a browser gets a page with a link back", "/no/such/<page>", "text/html,application/xhtml+xml", "text/html", `<a href="/">Back to the experiments</a>`},
		{"the path is escaped", "/x%3Cscript%3Ealert(1)%3C/script%3E", "text/html", "text/html", "/x&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"an API client gets JSON", "/api/v1/nope", "text/html", "application/json", `"error":"not found: /api/v1/nope"`},
		{"curl gets JSON", "/nope", "*/*", "application/json", `"error"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(r, tt.path, tt.accept)
			if w.Code != http.StatusNotFound || !strings.HasPrefix(w.Header().Get("Content-Type"), tt.wantType) || !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("%d %s: %s, want 404 %s containing %q", w.Code, w.Header().Get("Content-Type"), w.Body.String(), tt.wantType, tt.wantBody)
			}
			if strings.Contains(w.Body.String(), "<script>alert") {
				t.Error("unescaped path in the page")
			}
		})
	}
}

func TestAssetsServed(t *testing.T) {
	r := newTestRouter(t, Deps{})
	for _, p := range []string{"/ui/static/augur.css", "/ui/static/augur.js"} {
		if w := get(r, p, ""); w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
}
