#!/usr/bin/env bash
# Measures augur's verdicts on generated telemetry: per class of healthy
# (A/A) and regressed cohorts, REPS replicates of an hour of per-pod span
# metrics are remote-written into a fresh `augur serve` on loopback (a new
# server, default configuration, every BATCH replicates), judged with
# scripts/calibrate/specs/canary.yaml (sequential.yaml, the sequential
# judges, for the classes looked at every minute), and tabulated with Kayenta's rule
# and a per-pod t-test beside them. docs/calibration.md explains the
# classes and the table.
#
#   scripts/calibrate.sh                          # every class, 500 replicates each
#   REPS=100 CLASSES=independent,latency-10 scripts/calibrate.sh
#   MARKDOWN=true scripts/calibrate.sh            # a Markdown table
#   AUGUR_BIN=/path/to/augur scripts/calibrate.sh # another build
#   STRICT=true scripts/calibrate.sh              # exit 1 when a class misses its target
#   FAILED=failed.txt scripts/calibrate.sh        # each failed replicate's failing metrics and reasons
set -euo pipefail

REPS=${REPS:-500}
CLASSES=${CLASSES:-}
BATCH=${BATCH:-100}
SEED=${SEED:-1}
MARKDOWN=${MARKDOWN:-false}
STRICT=${STRICT:-false}
FAILED=${FAILED:-}

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$root" && go build -o "$tmp/calibrate" ./scripts/calibrate)
if [ -n "${AUGUR_BIN:-}" ]; then
	bin=$AUGUR_BIN
else
	(cd "$root" && go build -o "$tmp/augur" ./cmd/augur)
	bin=$tmp/augur
fi
"$tmp/calibrate" -augur-bin "$bin" -reps "$REPS" -classes "$CLASSES" -batch "$BATCH" -seed "$SEED" \
	-markdown="$MARKDOWN" -strict="$STRICT" ${FAILED:+-failed "$FAILED"}
