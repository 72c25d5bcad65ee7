package gates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// Argo identity args: the shipped AnalysisTemplates pass them, and
// together they derive the key of a call without one.
const (
	ArgKey        = "key"
	ArgNamespace  = "namespace"
	ArgRollout    = "rollout"
	ArgCanaryHash = "canary-hash"
	ArgStableHash = "stable-hash"
)

// identityArgs may be sent to any template: they name the rollout, and
// are passed on only when the template declares them.
var identityArgs = []string{ArgNamespace, ArgRollout, ArgCanaryHash, ArgStableHash}

// badRequest is a refused call: its status and message.
type badRequest struct {
	code int
	msg  string
}

func (e *badRequest) Error() string { return e.msg }

func refuse(code int, format string, a ...any) *badRequest {
	return &badRequest{code: code, msg: fmt.Sprintf(format, a...)}
}

// callArgs reads a call's args: query parameters, then a JSON body (a
// flat object of strings, or {"key": .., "args": {..}}), which wins.
func callArgs(c *gin.Context) (map[string]string, error) {
	args := map[string]string{}
	for k, vs := range c.Request.URL.Query() {
		if len(vs) > 0 {
			args[k] = vs[len(vs)-1]
		}
	}
	if c.Request.Body == nil || c.Request.Method == http.MethodGet {
		return args, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		return nil, refuse(http.StatusRequestEntityTooLarge, "body: larger than %d bytes or unreadable", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return args, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, refuse(http.StatusBadRequest, "body: want a JSON object of string args, or {\"key\": \"..\", \"args\": {..}}: %v", err)
	}
	if a, ok := raw["args"]; ok {
		nested := map[string]json.RawMessage{}
		if err := json.Unmarshal(a, &nested); err != nil {
			return nil, refuse(http.StatusBadRequest, "body.args: want an object of string values: %v", err)
		}
		for k, v := range raw {
			if k != "args" && k != ArgKey {
				return nil, refuse(http.StatusBadRequest, "body.%s: unknown field beside args; put it in args or drop it", k)
			}
			if k == ArgKey {
				nested[k] = v
			}
		}
		raw = nested
	}
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, refuse(http.StatusBadRequest, "body: arg %s: want a string value, got %s", k, string(v))
		}
		args[k] = s
	}
	return args, nil
}

// instanceArgs checks args against the template: every required arg (no
// default) must have a value, every other arg must be declared (or be an
// identity arg). It returns the declared args to pass on.
func instanceArgs(t analysis.Template, args map[string]string, extra ...string) (map[string]string, error) {
	declared := map[string]bool{}
	out := map[string]string{}
	var missing []string
	for _, a := range t.Args {
		declared[a.Name] = true
		v, ok := args[a.Name]
		if ok {
			out[a.Name] = v
		}
		if a.Required && a.Default == nil && (!ok || v == "") {
			missing = append(missing, a.Name)
		}
	}
	if len(missing) > 0 {
		return nil, refuse(http.StatusUnprocessableEntity, "template %s: missing required arg(s) %s", t.Name, strings.Join(missing, ", "))
	}
	var unknown []string
	for k := range args {
		if !declared[k] && k != ArgKey && !slices.Contains(identityArgs, k) && !slices.Contains(extra, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(t.Args))
		for _, a := range t.Args {
			names = append(names, a.Name)
		}
		return nil, refuse(http.StatusUnprocessableEntity, "template %s: unknown arg(s) %s; it declares %s", t.Name, strings.Join(unknown, ", "), orDefault(strings.Join(names, ", "), "none"))
	}
	return out, nil
}

// argoKey is the call's key: the key arg, or one derived from the
// template and the rollout's identity (argo/<template>/<namespace>/
// <rollout>/<canary-hash>: one rollout revision may be judged by several
// templates, each with its own run).
func argoKey(template string, args map[string]string) (string, error) {
	if k := args[ArgKey]; k != "" {
		return k, nil
	}
	var missing []string
	for _, n := range []string{ArgNamespace, ArgRollout, ArgCanaryHash} {
		if args[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return "", refuse(http.StatusUnprocessableEntity, "no key: pass the arg key, or namespace, rollout and canary-hash to derive it (missing: %s)", strings.Join(missing, ", "))
	}
	return "argo/" + template + "/" + args[ArgNamespace] + "/" + args[ArgRollout] + "/" + args[ArgCanaryHash], nil
}
