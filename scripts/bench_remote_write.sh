#!/usr/bin/env bash
# Pushes the same remote-write 1.0 load into augur and into Debian's
# Prometheus (2.42, --web.enable-remote-write-receiver), one after the
# other on loopback, and prints ingestion rate and resident memory per
# active series side by side.
#
#   scripts/bench_remote_write.sh            # 10k series, 1M samples, 8 senders
#   SERIES=10000 SAMPLES=1000000 SENDERS=8 BATCH=2000 scripts/bench_remote_write.sh
#
# Needs go, curl and /usr/bin/prometheus (scripts/deps.sh installs it).
# Memory per series is the settled VmRSS after ingestion (the median of
# SETTLE readings one second apart, so that neither runtime is caught just
# before or after a garbage collection) divided by the TSDB head's series
# (prometheus_tsdb_head_series); the RSS growth over the idle process is
# shown too, since the idle footprint weighs on 10k series. The whole
# comparison runs ROUNDS times with fresh servers, and the medians decide.
set -euo pipefail

SERIES=${SERIES:-10000}
SAMPLES=${SAMPLES:-1000000}
SENDERS=${SENDERS:-8}
BATCH=${BATCH:-2000}
ROUNDS=${ROUNDS:-3}
SETTLE=${SETTLE:-5}
AUGUR_PORT=${AUGUR_PORT:-19180}
PROM_PORT=${PROM_PORT:-19190}
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$PROMETHEUS" ] || { echo "bench: $PROMETHEUS missing (run scripts/deps.sh as root)" >&2; exit 1; }
(cd "$root" && go build -o "$tmp/augur" ./cmd/augur && go build -o "$tmp/loadgen" ./cmd/augur/loadgen)

wait_ready() { # url
	for _ in $(seq 1 300); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "bench: $1 not ready" >&2
	return 1
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
head_series() { curl -sf "$1/metrics" | awk '/^prometheus_tsdb_head_series / {print $2}'; }

# run NAME PID BASEURL WRITEURL → "NAME rate rss_kb idle_kb series"
run() {
	local name=$1 pid=$2 base=$3 write=$4 idle out rate rss series
	idle=$(rss_kb "$pid")
	out=$("$tmp/loadgen" -url "$write" -series "$SERIES" -samples "$SAMPLES" -senders "$SENDERS" -batch "$BATCH")
	echo "$name: $out" >&2
	rate=$(sed -n 's/.*samples_per_sec=\([0-9.]*\).*/\1/p' <<<"$out")
	local readings=()
	for _ in $(seq 1 "$SETTLE"); do
		sleep 1
		readings+=("$(rss_kb "$pid")")
	done
	rss=$(printf '%s\n' "${readings[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	series=$(head_series "$base")
	echo "$name $rate $rss $idle $series"
}

results=()
for r in $(seq 1 "$ROUNDS"); do
	"$tmp/augur" serve --listen "127.0.0.1:$AUGUR_PORT" --data-dir "$tmp/augur-data-$r" --otlp-grpc-listen= --jaeger-listen= >"$tmp/augur.log" 2>&1 &
	pids+=($!)
	augur_pid=$!
	wait_ready "http://127.0.0.1:$AUGUR_PORT/metrics"
	results+=("$(run augur "$augur_pid" "http://127.0.0.1:$AUGUR_PORT" "http://127.0.0.1:$AUGUR_PORT/api/v1/write")")
	kill "$augur_pid"; wait "$augur_pid" 2>/dev/null || true

	printf 'global:\n  scrape_interval: 1m\n' >"$tmp/prometheus.yml"
	"$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom-data-$r" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-remote-write-receiver --log.level=warn >"$tmp/prom.log" 2>&1 &
	pids+=($!)
	prom_pid=$!
	wait_ready "http://127.0.0.1:$PROM_PORT/-/ready"
	results+=("$(run prometheus "$prom_pid" "http://127.0.0.1:$PROM_PORT" "http://127.0.0.1:$PROM_PORT/api/v1/write")")
	kill "$prom_pid"; wait "$prom_pid" 2>/dev/null || true
done

echo
echo "load: $SERIES series, $SAMPLES samples, $SENDERS senders, $BATCH samples per request; $(nproc) CPUs; $ROUNDS rounds, RSS settled over ${SETTLE}s"
printf '%s\n' "${results[@]}" | awk '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{
	k = ($1 == "augur") ? "a" : "p"; n[k]++
	rate[k, n[k]] = $2; rss[k, n[k]] = $3 * 1024 / $5; grow[k, n[k]] = ($3 - $4) * 1024 / $5; ser[k] = $5; mib[k, n[k]] = $3 / 1024
}
END {
	printf "%-7s %-11s %14s %10s %12s %15s %17s\n", "round", "", "samples/s", "series", "RSS MiB", "RSS B/series", "growth B/series"
	for (i = 1; i <= n["a"]; i++) {
		printf "%-7d %-11s %14.0f %10d %12.1f %15.0f %17.0f\n", i, "augur", rate["a", i], ser["a"], mib["a", i], rss["a", i], grow["a", i]
		printf "%-7d %-11s %14.0f %10d %12.1f %15.0f %17.0f\n", i, "prometheus", rate["p", i], ser["p"], mib["p", i], rss["p", i], grow["p", i]
		rr[i] = rate["a", i] / rate["p", i]; mr[i] = rss["a", i] / rss["p", i]; gr[i] = grow["a", i] / grow["p", i]
		printf "%-7d %-11s %14.2f %10s %12s %15.2f %17.2f\n", i, "augur/prom", rr[i], "", "", mr[i], gr[i]
	}
	m = n["a"]
	printf "\nmedian of %d rounds, augur/prometheus: samples/s %.2f, RSS per series %.2f, RSS growth per series %.2f\n", m, median(rr, m), median(mr, m), median(gr, m)
}'
