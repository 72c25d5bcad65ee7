#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine that has only Go.
# Idempotent: it does nothing when everything is present.
set -euo pipefail

# Go modules (the module cache is reused when warm).
go mod download

# Debian packages the test suites use as real peers (installed as root with
# apt-get only when missing):
#   prometheus: Prometheus 2.42 scrapes and remote-writes into augur in
#     cmd/augur/app/prometheus_peer_test.go and is the baseline of
#     scripts/bench_remote_write.sh. Tests start their own instance on a free
#     loopback port with a temporary TSDB; the package's systemd service,
#     whether running or not, plays no part.
#   postgresql: the PostgreSQL server binaries (initdb, postgres) that
#     analysis/state/pgtest runs as a throwaway cluster for the state store's
#     PostgreSQL tests: a temporary data directory, 127.0.0.1 on a free port,
#     run as the package's postgres system user when tests run as root. The
#     package's own cluster and service, whether running or not, play no
#     part.
#   python3-aiosmtpd: the SMTP server (STARTTLS, AUTH) that receives
#     alerting/email's messages in its tests, run by Debian's own python3
#     (/usr/bin/python3) on a free loopback port.
#   prometheus-alertmanager: Alertmanager 0.25, which alerting/alertmanager's
#     tests start on free loopback ports with a minimal config and a
#     temporary storage directory; the package's service plays no part.
#   chromium: the browser the web interface's tests drive headless through
#     the DevTools protocol (cmd/augur/app/ui_browser_test.go, make
#     screenshots); the tests start and stop it themselves.
pkgs=(prometheus postgresql python3-aiosmtpd prometheus-alertmanager chromium)
# Reference data and scipy comparisons (make refdata, make bench-scipy).
if [ "${REFDATA:-}" = 1 ]; then
	pkgs+=(python3-scipy python3-numpy r-base-core)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to install: ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
