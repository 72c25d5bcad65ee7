#!/usr/bin/env bash
# Replays, against a fresh `augur serve` on loopback with the default
# configuration, the requests one hostile or buggy client can send (future
# and ancient timestamps, slow bodies, span-name floods, specs that
# allocate gigabytes or millions of intervals, a spec webhook aimed at
# loopback, ...), and prints per attack what the server answered, whether a
# well-behaved sender kept working, and the server's RSS before and after.
# Bounded: it stops by itself within a few minutes. docs/hardening.md
# records its output.
#
#   scripts/abuse.sh                   # every attack
#   ONLY=slow-bodies,step-1ms-24h scripts/abuse.sh
#   MARKDOWN=true scripts/abuse.sh     # a Markdown table, as in docs/hardening.md
#   AUGUR_BIN=/path/to/augur scripts/abuse.sh   # another build (an older release)
#
# Loopback only: the server listens on 127.0.0.1 and the tool refuses any
# other target.
set -euo pipefail

PORT=${PORT:-19280}
ONLY=${ONLY:-}
MARKDOWN=${MARKDOWN:-false}

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && go build -o "$tmp/abuse" ./scripts/abuse)
if [ -n "${AUGUR_BIN:-}" ]; then
	cp "$AUGUR_BIN" "$tmp/augur"
else
	(cd "$root" && go build -o "$tmp/augur" ./cmd/augur)
fi
"$tmp/augur" serve --listen "127.0.0.1:$PORT" --data-dir "$tmp/data" --otlp-grpc-listen= --jaeger-listen= >"$tmp/augur.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
	sleep 0.1
done
status=0
"$tmp/abuse" -url "http://127.0.0.1:$PORT" -pid "$pid" -only "$ONLY" -markdown="$MARKDOWN" || status=$?
if ! kill -0 "$pid" 2>/dev/null; then
	echo "abuse: the server died; its log:" >&2
	tail -50 "$tmp/augur.log" >&2
	status=1
fi
exit "$status"
