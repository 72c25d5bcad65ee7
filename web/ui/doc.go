// Package ui is augur's web interface, served by augur serve at / on the
// API's port: server-rendered pages (html/template, every user-provided
// string escaped) with progressive enhancement, charts drawn as SVG in Go,
// and no Node at run time. Its templates, stylesheet and script are
// embedded with go:embed.
//
// Pages read the same state the JSON API serves (web.Experiments, the
// manager's templates, the stored Kayenta configs) and act through the same
// manager: with script, the run controls and the spec editor call /api/v1
// from the browser; without it, their forms post to the pages, which call
// the manager the API calls. Those forms carry a token (an HMAC under a
// per-process secret of what the form does) and cross-site requests are
// refused (forms.go). Register mounts the pages; a path no route serves
// answers a 404 page (HTML clients) or the API's JSON error.
package ui
