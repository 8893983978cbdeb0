#!/usr/bin/env bash
# GB28181 cost, in one run (prints figures, asserts nothing):
#   (1) BENCH_DEVICES simulated devices (tests/tools/gbsim) register with
#       sipd, in two bursts of half (registrations/s until all are on in
#       the database, sipd's CPU and RSS per device: the second burst's RSS
#       growth is the marginal cost, without sipd's fixed pools), then all
#       at once; then over BENCH_SECONDS their keepalives (a MESSAGE every
#       BENCH_KEEPALIVE s each) in messages/s, sipd's CPU in % of one core
#       against an idle sipd's over the same time, and devices per core at
#       a 60 s keepalive (goal: 100,000).
#   (2) for N in BENCH_STREAMS: N devices each send a ~2 Mbps 720p25 H.264
#       stream with G.711A audio as PS over RTP/UDP (StartDevice), which
#       mediad republishes to the edge; over BENCH_SECONDS: mediad's worker
#       CPU (all its threads) and RSS per stream, the edge worker's CPU per
#       stream, RTP loss (mediad's counters, logged when a stream closes)
#       and the edge's input against the clip's bitrate (goal: under 1% of
#       a core per republished stream).
#
# Uses the running stack of ./run.sh, sipd included (VIGIL_VAR and
# VIGIL_*_PORT select another), with its vigil.conf as is; RSS figures need
# daemons that have not had devices or streams yet (./run.sh restart). The
# simulator, MariaDB, the edge and every daemon share the machine's cores:
# the figures include that contention. Creates a tenant, a gb28181 space and
# its devices through the API and deletes the tenant (DeleteMtsService) at
# the end. The 10 s clip is made once, in $VAR/bench. BENCH_SECONDS (20; a
# multiple of 10 keeps the clip's bitrate exact), BENCH_DEVICES (1000),
# BENCH_KEEPALIVE (1), BENCH_STREAMS ("20 100"; "" for part 1 only).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=../run.sh
source ./run.sh --lib

secs=${BENCH_SECONDS:-20} ndev=${BENCH_DEVICES:-1000}
ka=${BENCH_KEEPALIVE:-1} counts=${BENCH_STREAMS-20 100}
hz=$(getconf CLK_TCK)
gbsim=tests/tools/gbsim
clips=$VAR/bench
video=$clips/gb-720p25-2M.h264 audio=$clips/gb-alaw.alaw
aac_bps=24000	# mediad's G.711 -> AAC bitrate (mediad/transcode.c)
mlog=$LOG_DIR/vigil-mediad.log slog=$LOG_DIR/vigil-sipd.log
work=$(mktemp -d)
pids=()
export VIGIL_VAR=$VAR VIGIL_HTTP_PORT=$HTTP_PORT

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[[ ! -s $work/world.json ]] || api delete >/dev/null 2>&1 ||
		say "DeleteMtsService of the bench's tenant failed"
	rm -rf "$work"
}
trap cleanup EXIT

db_ping || die "the stack's database is not running: ./run.sh first"
api_probe >/dev/null 2>&1 || die "vigil-api does not answer: ./run.sh first"
sipd=$(pid_of "$SIPD_PID" vigil-sipd) || die "vigil-sipd is not running"
mediad=$(pid_of "$MEDIAD_PID" vigil-mediad) || die "vigil-mediad is not running"
edge=$(pid_of "$EDGE_PID" nginx) || die "the edge is not running"
db=$(pid_of "$DB_PID" mariadbd) || die "mariadbd is not running"
[[ -x $gbsim ]] || die "$gbsim is not built (make)"
(cd tests/integration && [[ -d node_modules/@alicloud/pop-core ]] ||
	npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
	die "npm install in tests/integration failed"
ulimit -n "$(ulimit -Hn)"

# The API side, in node with the integration suite's signer:
#   world N: a tenant, a gb28181 space and N devices with consecutive GbIds
#     and one password; prints "group space-GbId first-GbId password", ids
#   each ACTION N: ACTION (StartDevice, StopDevice) on the first N devices
#   delete: DeleteMtsService of the tenant
cat >"$work/api.js" <<-'JS'
	'use strict';
	const fs = require('fs');
	const crypto = require('crypto');
	const L = require(process.cwd() + '/tests/integration/lib');
	const file = process.argv[2], cmd = process.argv[3];
	const AI = JSON.stringify({ AccessKeyId: 'ak', AccessKeySecret: 'sk' });
	const post = (c, a, p) => c.request(a, p,
	  { method: 'POST', timeout: 30000 });
	// fn over items, `width` requests in flight
	async function pool(items, width, fn) {
	  let next = 0;
	  const run = async () => {
	    while (next < items.length) {
	      const i = next++;
	      await fn(items[i], i);
	    }
	  };
	  await Promise.all(Array.from({ length: width }, run));
	}
	(async () => {
	  if (cmd === 'world') {
	    const n = Number(process.argv[4]);
	    const t = await L.newTenant();
	    const c = L.client(t.key);
	    const g = await post(c, 'CreateGroup', { Name: 'bench',
	      Region: 'cn-shanghai', InProtocol: 'gb28181',
	      OutProtocol: 'flv,hls,rtmp', LazyPull: 'false',
	      Callback: 'http://127.0.0.1:9/callback' });
	    // domain, IPC type 132, a digit, a 6-digit serial from 000001
	    const prefix = String(g.GbId).slice(0, 10) + '132' +
	      crypto.randomInt(10);
	    const password = 'bench-' + crypto.randomBytes(6).toString('hex');
	    const ids = new Array(n);
	    await pool(Array.from(ids, (_, i) => i), 16, async (i) => {
	      const gbId = prefix + String(i + 1).padStart(6, '0');
	      const r = await post(c, 'CreateDevice', { GroupId: g.Id,
	        Name: `bench ${i}`, Type: 'ipc', GbId: gbId, Username: gbId,
	        Password: password, AutoStart: 'false' });
	      ids[i] = String(r.Id);
	    });
	    fs.writeFileSync(file, JSON.stringify({ user: t.user, key: t.key,
	      ids }));
	    console.log([g.Id, g.GbId, prefix + '000001', password].join(' '));
	    console.log(ids.join('\n'));
	  } else if (cmd === 'each') {
	    const w = JSON.parse(fs.readFileSync(file, 'utf8'));
	    const c = L.client(w.key), action = process.argv[4];
	    await pool(w.ids.slice(0, Number(process.argv[5])), 16, (id) =>
	      post(c, action, action === 'StartDevice' ?
	        { Id: id, AccessInfo: AI } : { Id: id }));
	  } else if (cmd === 'delete') {
	    const w = JSON.parse(fs.readFileSync(file, 'utf8'));
	    await post(L.client(L.operator), 'DeleteMtsService',
	      { UserId: w.user });
	  }
	})().catch((e) => {
	  console.error(`api.js ${cmd}: ${e.message || e}`);
	  process.exit(1);
	});
JS
api() { node "$work/api.js" "$work/world.json" "$@"; }

now() { echo "$EPOCHREALTIME"; }
# CPU ticks (user + system, all threads) and RSS (kB) of a process
cpu() {
	local s f
	s=$(<"/proc/$1/stat") || { echo 0; return; }
	s=${s##*) } # comm may hold spaces
	read -ra f <<<"$s"
	echo $((f[11] + f[12]))
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# pct TICKS0 TICKS1 SECONDS [DIVISOR]: % of one core
pct() {
	awk -v a="$1" -v b="$2" -v s="$3" -v n="${4:-1}" -v hz="$hz" \
		'BEGIN { printf "%.2f", (b - a) / hz / s * 100 / n }'
}
# calc FORMAT EXPR: awk's printf of one expression
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }
secs_of() { if [[ $1 == timeout ]]; then echo "timed out"; else echo "${1}s"; fi; }
# worker MASTER: the master's (last) child that is not an nginx cache process
worker() {
	local c w=
	for c in $(pgrep -P "$1"); do
		case $(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null) in
		*"cache manager"* | *"cache loader"*) ;;
		*) w=$c ;;
		esac
	done
	echo "$w"
}
q() { db_sql vigil -N -B -e "$1"; }
# udp_drops LO HI: kernel drops on the UDP sockets bound to ports LO..HI
udp_drops() {
	awk -v lo="$1" -v hi="$2" 'NR > 1 { split($2, a, ":");
	    p = strtonum("0x" a[2]); if (p >= lo && p <= hi) d += $NF }
	    END { print d + 0 }' /proc/net/udp
}
# wait_count DESC SECONDS WANT SQL: polls until SQL's count reaches WANT;
# prints the seconds it took, or "timeout" (and fails)
wait_count() {
	local t0 deadline=$((SECONDS + $2)) n
	t0=$(now)
	while :; do
		n=$(q "$4")
		if ((n >= $3)); then
			calc %.1f "$(now) - $t0"
			return 0
		fi
		if ((SECONDS >= deadline)); then
			say "timed out waiting for $1 ($n of $3)"
			echo timeout
			return 1
		fi
		sleep 0.2
	done
}
# per stream: bytes received by the edge, from its /stat page
edge_bytes() {
	curl -fsS -m 5 --unix-socket "$EDGE_SOCK" http://localhost/stat | sed 's/</\n</g' |
		awk '/^<stream>/ { s = 1; name = ""; next }
		    s && /^<name>/ && name == "" { name = substr($0, 7) }
		    s && /^<bytes_in>/ { print name, substr($0, 11); s = 0 }'
}
# closed N LINE: of the streams in $work/ids, how many mediad's log (from
# LINE on) says closed, their RTP packets and losses, and the frames
# dropped before the relay to the edge; fails until N are closed
closed() {
	tail -n +"$2" "$mlog" | awk -v want="$1" '
	    NR == FNR { id[$1] = 1; next }
	    / gb stream [0-9]+[ :]/ {
		for (i = 1; i <= NF; i++) if ($i == "stream") break
		sid = $(i + 1); sub(/:$/, "", sid)
		if (!(sid in id)) next
		if ($(i + 3) == "frames" && / dropped before the relay/)
			f += $(i + 2)
	    }
	    / gb stream [0-9]+ closed / {
		if (seen[sid]++) next
		for (; i < NF; i++) {
			if ($i == "packets") p += $(i + 1)
			if ($i == "lost") l += $(i + 1)
		}
		c++ }
	    END { print c + 0, p + 0, l + 0, f + 0; exit (c < want) }' \
	    "$work/ids" -
}

say "making the clip and the world (${ndev} devices through the API)"
mkdir -p "$clips"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
[[ -s $video ]] || { ff -f lavfi -i testsrc2=size=1280x720:rate=25 -t 10 \
	-c:v libx264 -b:v 2M -maxrate 2M -bufsize 2M -g 50 -bf 0 \
	-pix_fmt yuv420p -f h264 "$video.tmp" && mv "$video.tmp" "$video"; }
[[ -s $audio ]] || { ff -f lavfi -i sine=f=440:r=8000 -t 10 -c:a pcm_alaw \
	-f alaw "$audio.tmp" && mv "$audio.tmp" "$audio"; }
video_bps=$(($(stat -c %s "$video") * 8 / 10))
slog0=$(($(wc -l <"$slog") + 1))
t0=$(now)
api world "$ndev" >"$work/world"
create_s=$(calc %.1f "$(now) - $t0")
read -r group space_gb first_gb password <"$work/world"
mapfile -t ids < <(tail -n +2 "$work/world")
idlist=$(IFS=,; echo "${ids[*]}")

echo "GB28181 benchmark: ${ndev} devices, ${secs}s windows, $(nproc) cores"
echo "shared by the simulator, sipd, mediad, the edge, vigil-api and MariaDB"
echo "(${ndev} devices created through the API in ${create_s}s, 16 in flight)"
echo

# ---- (1) registrations and keepalives ----
mediad_w=$(worker "$mediad") edge_w=$(worker "$edge")
s0=$(cpu "$sipd") m0=$(cpu "$mediad_w") e0=$(cpu "$edge_w") b0=$(cpu "$db")
sleep "$secs"
idle_sipd=$(pct "$s0" "$(cpu "$sipd")" "$secs")
idle_mediad=$(pct "$m0" "$(cpu "$mediad_w")" "$secs")
idle_edge=$(pct "$e0" "$(cpu "$edge_w")" "$secs")
idle_db=$(pct "$b0" "$(cpu "$db")" "$secs")
rss0=$(rss "$sipd")
# a sipd that has had devices keeps their freed heap: no growth shows
used=$(grep -c "sipd\[$sipd\].* on from " "$slog" || true)
drops0=$(udp_drops "$SIP_PORT" "$SIP_PORT")

# The bursts' simulators keep alive every 60 s, so that nothing else is in
# flight. The second burst's RSS growth is the marginal cost of a device
# without the fixed part (sipd's libosip2 block pool keeps up to 4 MB per
# size class once a burst has filled it), but with the registrations'
# final answers, kept 32 s for retransmissions. Not --quiet: keepalive
# lines count what a simulator sent, error lines what sipd refused.
sim_args=(--server "127.0.0.1:$SIP_PORT" --server-id "$space_gb"
	--password "$password" --channels 1 --register-retry 2)
half=$((ndev / 2))
sims=()
# register FIRST COUNT KEEPALIVE: starts a simulator of COUNT devices from
# index FIRST; waits until those up to FIRST + COUNT are on (seconds in
# on_s), then catalogued (cat_s)
register() {
	$gbsim "${sim_args[@]}" --device-id "${first_gb:0:14}$(printf %06d \
		$(($1 + 1)))" --count "$2" --keepalive "$3" \
		>"$work/sim1-$1-$3.log" 2>&1 &
	sims+=($!) pids+=($!)
	on_s=$(wait_count "devices on" 120 $(($1 + $2)) "SELECT COUNT(*)
	    FROM devices WHERE group_id = $group AND status = 'on'") || true
	cat_s=$(wait_count "catalogs" 120 $(($1 + $2)) "SELECT COUNT(*) FROM
	    channels WHERE device_id IN ($idlist)") || true
}
stop_sims() {
	kill "${sims[@]}" 2>/dev/null || true # they unregister their devices
	wait "${sims[@]}" 2>/dev/null || true
	sims=()
}
# sum A B: of two seconds figures, either may be "timeout"
sum() {
	if [[ $1 == timeout || $2 == timeout ]]; then
		echo timeout
	else
		calc %.1f "$1 + $2"
	fi
}

s0=$(cpu "$sipd") b0=$(cpu "$db")
register 0 "$half" 60
reg_s=$on_s cat_s1=$cat_s
sleep 2
rssh=$(rss "$sipd")
register "$half" $((ndev - half)) 60
reg_s=$(sum "$reg_s" "$on_s") cat_s=$(sum "$cat_s1" "$cat_s")
s1=$(cpu "$sipd") b1=$(cpu "$db")
dropsr=$(udp_drops "$SIP_PORT" "$SIP_PORT")
on=$(q "SELECT COUNT(*) FROM devices WHERE group_id = $group
    AND status = 'on'")
sleep 2
rss1=$(rss "$sipd")
reg_rate=-
[[ $reg_s == timeout ]] ||
	reg_rate=$(calc %.0f "$ndev / ($reg_s > 0 ? $reg_s : 0.1)")
reg_ms=$(calc %.2f "($s1 - $s0) / $hz * 1000 / $ndev")
reg_db=$(calc %.2f "($b1 - $b0) / $hz * 1000 / $ndev")
dev_kb=$(calc %.1f "($rss1 - $rssh) / ($ndev - $half)")
dev_kb1=$(calc %.1f "($rssh - $rss0) / $half")
stop_sims
wait_count "devices off" 30 "$ndev" "SELECT COUNT(*) FROM devices
    WHERE group_id = $group AND status = 'off'" >/dev/null || true

# all at once, keeping alive every BENCH_KEEPALIVE s
register 0 "$ndev" "$ka"
storm_s=$on_s
storm_on=$(q "SELECT COUNT(*) FROM devices WHERE group_id = $group
    AND status = 'on'")
dropss=$(udp_drops "$SIP_PORT" "$SIP_PORT")
sim1=${sims[0]} log1=$work/sim1-0-$ka.log
sleep 2
k0=$(grep -c '^keepalive ' "$log1" || true)
r0=$(grep -c '^error .* MESSAGE ' "$log1" || true)
c0=$(cpu "$sipd") g0=$(cpu "$sim1") d0=$(cpu "$db")
sleep "$secs"
c1=$(cpu "$sipd") g1=$(cpu "$sim1") d1=$(cpu "$db")
k1=$(grep -c '^keepalive ' "$log1" || true)
r1=$(grep -c '^error .* MESSAGE ' "$log1" || true)
drops1=$(udp_drops "$SIP_PORT" "$SIP_PORT")
rss2=$(rss "$sipd")
regfail=$(cat "$work"/sim1-*.log | grep -c '^register-failed ' || true)

msgs=$(calc %.0f "($k1 - $k0) / $secs")
sipd_pct=$(pct "$c0" "$c1" "$secs")
net_pct=$(calc %.2f "$sipd_pct - $idle_sipd")
per_core=$(calc %.0f "$net_pct > 0 ? $msgs / ($net_pct / 100) * 60 : 0")
gross=$(calc %.0f "$sipd_pct > 0 ? $msgs / ($sipd_pct / 100) * 60 : 0")
verdict=$(calc %s "$per_core >= 100000 ? \"met\" : \"missed\"")
stale=
((used == 0)) || stale=" (this sipd had devices before: understated)"
echo "(1) $ndev devices register in two bursts of $half, again all at"
echo "    once, then keep alive every ${ka}s (SIP over UDP)"
row() { printf '  %-44s %s\n' "$@"; }
row "devices on (REGISTERs that failed):" "$on of $ndev ($regfail)"
row "two bursts, all on after:" \
	"$(secs_of "$reg_s"): $reg_rate registrations/s"
row "  and all catalogs (1 channel) stored:" "$(secs_of "$cat_s") later"
row "  sipd CPU per registration and catalog:" \
	"${reg_ms} ms (MariaDB: ${reg_db} ms)"
row "  dropped at sipd's UDP socket:" "$((dropsr - drops0))"
row "one burst of $ndev, all on after:" \
	"$(secs_of "$storm_s") ($storm_on on; $((dropss - dropsr)) dropped)"
row "keepalives sent (expected $ndev/${ka}s):" "$msgs messages/s"
row "  refused by sipd / dropped at its socket:" \
	"$((r1 - r0)) / $((drops1 - dropss))"
row "sipd CPU idle (no device), ${secs}s:" "${idle_sipd}% of a core"
row "sipd CPU with the keepalives, ${secs}s:" \
	"${sipd_pct}% of a core (${net_pct}% over idle)"
row "MariaDB CPU idle / with the keepalives:" \
	"${idle_db}% / $(pct "$d0" "$d1" "$secs")% of a core"
row "simulator CPU (same cores):" "$(pct "$g0" "$g1" "$secs")% of a core"
row "sipd RSS idle / $half on / $ndev on:" \
	"$((rss0 / 1024)) / $((rssh / 1024)) / $((rss1 / 1024)) MB"
row "sipd RSS per device, 1st / 2nd burst:" "$dev_kb1 / $dev_kb kB$stale"
row "sipd RSS after ${secs}s of keepalives:" \
	"$((rss2 / 1024)) MB (answers are kept 32 s)"
row "devices per sipd core, 60 s keepalive:" \
	"$per_core over idle ($gross gross): goal 100000 $verdict"
echo

# ---- (2) republished streams ----
stop_sims
maxn=0
for n in $counts; do ((n > maxn)) && maxn=$n; done
((maxn <= ndev)) || maxn=$ndev
results=()

# stream_round N: N streams at once, measured; a table row and a note
stream_round() {
	local n=$1 sl logline ta on_s m0 m1 e0 e1 g0 g1 u0 u1 mrss live
	local nclosed pkts lost dropped mpct epct gpct mb loss edge_in ein en elow v r
	sl=$(IFS=,; echo "${streams[*]:0:n}")
	mediad_w=$(worker "$mediad") edge_w=$(worker "$edge")
	logline=$(($(wc -l <"$mlog") + 1))
	ta=$(now)
	api each StartDevice "$n" || say "StartDevice failed for some devices"
	wait_count "$n streams on" 90 "$n" "SELECT COUNT(*) FROM streams
	    WHERE id IN ($sl) AND status = 'on'" >/dev/null || true
	on_s=$(calc %.1f "$(now) - $ta")
	sleep 3 # relays up, GOP caches full
	edge_bytes >"$work/e0"
	m0=$(cpu "$mediad_w") e0=$(cpu "$edge_w") g0=$(cpu "$sim2")
	u0=$(udp_drops "$RTP_PORT" $((RTP_PORT + 999)))
	sleep "$secs"
	m1=$(cpu "$mediad_w") e1=$(cpu "$edge_w") g1=$(cpu "$sim2")
	u1=$(udp_drops "$RTP_PORT" $((RTP_PORT + 999)))
	edge_bytes >"$work/e1"
	mrss=$(rss "$mediad_w")
	live=$(q "SELECT COUNT(*) FROM streams WHERE id IN ($sl)
	    AND status = 'on'")
	api each StopDevice "$n" || say "StopDevice failed for some devices"
	printf '%s\n' "${streams[@]:0:n}" >"$work/ids"
	wait_for "$n streams closed in mediad's log" 30 \
		quiet closed "$n" "$logline" || true
	read -r nclosed pkts lost dropped < <(closed "$n" "$logline" || true)
	wait_count "$n streams off" 30 "$n" "SELECT COUNT(*) FROM streams
	    WHERE id IN ($sl) AND status = 'off'" >/dev/null || true

	mpct=$(pct "$m0" "$m1" "$secs" "$n")
	epct=$(pct "$e0" "$e1" "$secs" "$n")
	gpct=$(pct "$g0" "$g1" "$secs" "$n")
	mb=$(calc %.2f "($mrss - $mrss0) / 1024 / $n")
	loss=$(calc %.3f \
		"$pkts + $lost > 0 ? $lost * 100 / ($pkts + $lost) : 0")
	# the edge's input over the window against video + AAC bitrate
	edge_in=$(awk -v s="$secs" -v bps=$((video_bps + aac_bps)) '
	    FILENAME == ARGV[1] { id[$1] = 1; next }
	    FILENAME == ARGV[2] { b0[$1] = $2; next }
	    ($1 in id) && ($1 in b0) { r = ($2 - b0[$1]) * 8 / s / bps
		sum += r; n++; if (r < 0.95) low++ }
	    END { printf "%.1f%% %d %d", n ? sum * 100 / n : 0, n, low + 0 }' \
	    "$work/ids" "$work/e0" "$work/e1")
	read -r ein en elow <<<"$edge_in"
	v=$(calc %s "$mpct < 1 ? \"met\" : \"missed\"")
	[[ $live == "$n" ]] || v="$v ($live of $n on)"
	printf '  %5d %6ss %9s %8s %7s %7s %8s %7s  %s\n' "$n" "$on_s" \
		"$mpct" "$mb" "$epct" "$loss" "$ein" "$gpct" "$v"
	r="N=$n: mediad ${mpct}% of a core and ${mb} MB a stream,"
	results+=("$r loss ${loss}%, edge ${ein} of the bitrate: $v")
	{
		echo "  N=$n: RTP: $nclosed of $n streams closed, $pkts" \
			"packets, $lost lost, $((u1 - u0)) UDP socket drops;"
		echo "        $dropped frames dropped before the relay; edge:" \
			"$en streams seen, $elow under 95% of the bitrate"
	} >>"$work/notes"
}

# the streams of the first maxn devices, N at a time for N in $counts
streams_part() {
	local n first reused
	$gbsim "${sim_args[@]}" --device-id "$first_gb" --count "$maxn" \
		--keepalive 60 --video "$video" --audio "$audio" \
		>"$work/sim2.log" 2>&1 &
	sim2=$! pids+=($!)
	first=$(IFS=,; echo "${ids[*]:0:maxn}")
	wait_count "$maxn devices on again" 60 "$maxn" "SELECT COUNT(*)
	    FROM devices WHERE id IN ($first) AND status = 'on'" \
		>/dev/null || true
	# each device's one channel's stream, in device order
	mapfile -t streams < <(q "SELECT c.stream_id FROM channels c
	    JOIN devices d ON d.id = c.device_id WHERE d.id IN ($first)
	    ORDER BY d.gb_id")
	mediad_w=$(worker "$mediad")
	mrss0=$(rss "$mediad_w")
	# a worker that has carried streams keeps their freed heap
	reused=$(grep -c "worker\[$mediad_w\].* gb stream [0-9]* closed" \
		"$mlog" || true)

	echo "(2) PS/RTP streams over UDP republished to the edge: 1280x720"
	echo "    25 fps H.264 at $((video_bps / 1000)) kbps + G.711A (AAC" \
		"$((aac_bps / 1000)) kbps to the edge);"
	echo "    idle mediad ${idle_mediad}%, idle edge ${idle_edge}% of a" \
		"core; mediad RSS before the first stream $((mrss0 / 1024)) MB"
	((reused == 0)) || echo "    (mediad's worker has had $reused" \
		"streams before: its RSS growth is understated)"
	printf '  %5s %7s %9s %8s %7s %7s %8s %7s  %s\n' N "on in" \
		"mediad%" "RSS MB" "edge%" "loss%" "edge in" "sender%" \
		"verdict (< 1% a stream)"
	for n in $counts; do
		((n <= maxn)) || n=$maxn
		stream_round "$n"
	done
	cat "$work/notes"
	echo "  (CPU in % of one core per stream over ${secs}s; RSS: mediad's"
	echo "  worker growth per stream; loss: RTP packets mediad counted"
	echo "  lost; edge in: bytes the edge received per stream against the"
	echo "  video + AAC bitrate; sender: the simulator, on the same cores)"
	if grep -q '^error ' "$work/sim2.log"; then
		echo "  simulator errors (first 3 kinds):"
		cut -d' ' -f1,3- "$work/sim2.log" | grep '^error' | sort |
			uniq -c | head -3
	fi
}
((maxn == 0)) || { streams_part; echo; }

echo "summary:"
echo "  sipd: $msgs keepalives/s at ${net_pct}% of a core over idle ->" \
	"$per_core devices per core at a 60 s keepalive (goal 100000: $verdict)"
echo "  sipd: $reg_rate registrations/s in bursts of $half, ${reg_ms} ms" \
	"of CPU and $dev_kb kB (marginal) each; $ndev at once: $(secs_of \
	"$storm_s")"
for r in "${results[@]}"; do echo "  $r"; done
echo "  sipd's own counters (its log, once a minute):"
tail -n +"$slog0" "$slog" | grep "sipd\[$sipd\].* devices, .* in (" |
	sed 's/^\([^ ]*\) [^:]*: /    \1 /' || echo "    (none logged yet)"
echo "  (one $(nproc)-core machine: the sender and the database share it)"
