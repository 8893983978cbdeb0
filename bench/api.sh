#!/usr/bin/env bash
# API throughput through nginx, in one run (prints figures, asserts nothing):
#   (a) GET /ping, answered by a FastCGI worker without the database: the
#       ceiling of the web tier + FastCGI on this machine;
#   (b) signed GetMtsServiceStatus, every request with its own nonce (URLs
#       pre-signed by vigilctl --print-url), so each does the full pipeline:
#       parse, key lookup, HMAC, nonce insert, handler.
#   (c) DescribeDevices (PageSize 20, Status filter, SortBy createdTime desc)
#       on a space of 10,000 devices in a tenant of 100,000;
#   (d) CreateDevice, every request a new device.
# Prints req/s and p50/p99 latency of each and its ratio to (a), and the
# query plans of (c).
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

db() { db_sql -N -B vigil "$@"; }

# (c) and (d): a tenant of 10 spaces x 10,000 devices (30% on), seeded once
# with SQL (the API would take minutes), then listed and created through it
tkey=$work/tenant.key
"$CTL_BIN" --endpoint "$ENDPOINT" --key-file "$KEY_FILE" CreateMtsService \
	UserId=bench-tenant AccessInfo='{"AccessKeyId":"a","AccessKeySecret":"b"}' |
	node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
		console.log(`AccessKeyId=${r.UserAccessKeyId}\nAccessKeySecret=${r.UserAccessKeySecret}`)' >"$tkey"
tctl() { "$CTL_BIN" --endpoint "$ENDPOINT" --key-file "$tkey" "$@"; }
tid=$(db -e "SELECT id FROM tenants WHERE user_id = 'bench-tenant'")
while (($(db -e "SELECT COUNT(*) FROM spaces WHERE tenant_id = $tid") < 10)); do
	tctl CreateGroup Name=bench Region=cn-bench InProtocol=gb28181 OutProtocol=flv,hls >/dev/null
done
mapfile -t groups < <(db -e "SELECT id FROM spaces WHERE tenant_id = $tid ORDER BY id LIMIT 10")
for k in "${!groups[@]}"; do
	g=${groups[$k]}
	(($(db -e "SELECT COUNT(*) FROM devices WHERE group_id = $g") >= 10000)) && continue
	db -e "INSERT INTO devices (id, tenant_id, group_id, type, name, gb_id, username,
		password_enc, params, status, created_at)
		SELECT $((k + 1))000000000000 + seq, $tid, $g, 'ipc', CONCAT('cam-', seq),
		CONCAT('3402000000132', LPAD(seq, 7, '0')), 'admin', X'00', '{}',
		IF(seq % 10 < 3, 'on', 'off'), UTC_TIMESTAMP(3) - INTERVAL seq SECOND
		FROM seq_1_to_10000"
done
db -e "ANALYZE TABLE devices" >/dev/null
g1=${groups[0]} g2=${groups[1]}
if tctl DescribeDevices GroupId="$g1" | grep -q InvalidAction.NotFound; then
	echo "DescribeDevices is not built: skipping (c) and (d)"
	list="" create=""
else
	tctl --print-url --count $(($(field "$ping" rps | cut -d. -f1) * secs * 12 / 10 + 1000)) \
		DescribeDevices GroupId="$g1" Status=on SortBy=createdTime SortDirection=desc \
		PageSize=20 >"$work/list.urls"
	list=$(wrk_run list "$work/list.urls")
	node bench/sign-urls.js $(($(field "$ping" rps | cut -d. -f1) * secs / 2 + 1000)) "$tkey" \
		"$ENDPOINT" CreateDevice GroupId="$g2" Type=ipc GbId='3402000000131{i}' \
		Username=admin Password=bench-pw >"$work/create.urls"
	create=$(wrk_run create "$work/create.urls")
	db -e "DELETE FROM devices WHERE group_id = $g2 AND gb_id LIKE '3402000000131%'"
fi

echo "machine: $(nproc) cores; ${secs}s per run, $conns connections, $threads wrk threads; $(
	sed -n 's/^[[:space:]]*workers = \([0-9]*\);/\1/p' "$CONF") vigil-api workers"
printf '%-28s %10s %10s %10s %8s %8s\n' run req/s p50_ms p99_ms non2xx ratio
for r in "$ping" "$signed" "$list" "$create"; do
	[[ -n $r ]] || continue
	printf '%-28s %10s %10.2f %10.2f %8s %8.2f\n' "${r%% *}" "$(field "$r" rps)" \
		"$(bc -l <<<"$(field "$r" p50_us)/1000")" "$(bc -l <<<"$(field "$r" p99_us)/1000")" \
		"$(field "$r" non2xx)" "$(bc -l <<<"$(field "$r" rps)/$(field "$ping" rps)")"
	[[ ${r%% *} == ping || $(field "$r" wrapped) == 0 ]] ||
		echo "  warning: ${r%% *} URLs were reused"
done
# ANALYZE runs the statement: r_rows is what it really read
echo "plans of (c) (tenant 100,000 devices, space 10,000): the page, then the count"
db --column-names -e "ANALYZE SELECT d.id, d.name, d.params FROM devices d
	WHERE d.tenant_id = $tid AND d.group_id = $g1 AND d.status = 'on'
	ORDER BY d.created_at DESC, d.id DESC LIMIT 20" | cut -f 3,4,6,8-10,13 | sed 's/^/  /'
db --column-names -e "ANALYZE SELECT s.id, (SELECT COALESCE(SUM(c.n), 0)
	FROM device_counts c WHERE c.group_id = s.id AND c.status = 'on')
	FROM spaces s WHERE s.id = $g1 AND s.tenant_id = $tid" | cut -f 3,4,6,8-10,13 | sed 's/^/  /'
