package app

// Version is set at build time with -ldflags "-X github.com/augurhq/augur/cmd/augur/app.Version=...".
var Version = "dev"
