package app

import (
	"runtime"
	"runtime/debug"

	"github.com/augurhq/augur/web/promapi"
)

// Version is set at build time with -ldflags "-X github.com/augurhq/augur/cmd/augur/app.Version=...".
var Version = "dev"

// buildInfo is the version the Prometheus API's /api/v1/status/buildinfo
// reports: Version, and the Go version and VCS revision and time the
// binary was built with.
func buildInfo() promapi.BuildInfo {
	b := promapi.BuildInfo{Version: Version, Branch: "HEAD", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.BuildDate = s.Value
			}
		}
	}
	return b
}
