#!/usr/bin/env bash
# API throughput through nginx, in one run (prints figures, asserts nothing):
#   (a) GET /ping, answered by a FastCGI worker without the database: the
#       ceiling of the web tier + FastCGI on this machine;
#   (b) signed GetMtsServiceStatus, every request with its own nonce (URLs
#       pre-signed by vigilctl --print-url), so each does the full pipeline:
#       parse, key lookup, HMAC, nonce insert, handler.
# Prints req/s and p50/p99 latency of both and the ratio b/a.
#
# Uses the stack of ./run.sh (started if needed; VIGIL_VAR/VIGIL_HTTP_PORT
# select another). BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_THREADS (2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=../run.sh
source ./run.sh --lib

secs=${BENCH_SECONDS:-10} conns=${BENCH_CONNECTIONS:-64} threads=${BENCH_THREADS:-2}
pid_of "$NGINX_PID" nginx >/dev/null && api_probe >/dev/null 2>&1 ||
	stack_start >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wrk_run NAME URLFILE: one measured run; echoes the SUMMARY line.
wrk_run() {
	wrk -t"$threads" -c"$conns" -d"${secs}s" -s bench/wrk-urls.lua \
		"$ENDPOINT" -- "$2" "$threads" >"$work/$1.out" 2>&1
	grep '^SUMMARY' "$work/$1.out" | sed "s/^SUMMARY/$1/"
}

field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1"; }

# (a) the ceiling; the same script, with one URL per thread, repeated
for ((i = 0; i < threads; i++)); do echo "$ENDPOINT/ping"; done >"$work/ping.urls"
ping=$(wrk_run ping "$work/ping.urls")

# (b) enough unique URLs for the ceiling's rate, so none is sent twice
need=$(($(field "$ping" rps | cut -d. -f1) * secs * 12 / 10 + 1000))
"$CTL_BIN" --endpoint "$ENDPOINT" --key-file "$KEY_FILE" --print-url \
	--count "$need" GetMtsServiceStatus UserId=bench-user >"$work/signed.urls"
signed=$(wrk_run signed "$work/signed.urls")

echo "machine: $(nproc) cores; ${secs}s per run, $conns connections, $threads wrk threads; $(
	sed -n 's/^[[:space:]]*workers = \([0-9]*\);/\1/p' "$CONF") vigil-api workers"
printf '%-28s %10s %10s %10s %8s\n' run req/s p50_ms p99_ms non2xx
for r in "$ping" "$signed"; do
	printf '%-28s %10s %10.2f %10.2f %8s\n' "${r%% *}" "$(field "$r" rps)" \
		"$(bc -l <<<"$(field "$r" p50_us)/1000")" "$(bc -l <<<"$(field "$r" p99_us)/1000")" \
		"$(field "$r" non2xx)"
done
printf 'ratio signed/ping: %.2f\n' "$(bc -l <<<"$(field "$signed" rps)/$(field "$ping" rps)")"
[[ $(field "$signed" wrapped) == 0 ]] || echo "warning: signed URLs were reused (replays measured)"
