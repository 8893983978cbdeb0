#!/usr/bin/env bash
# Vigil development stack: builds the code, then runs a private MariaDB, the
# vigil-api FastCGI server, nginx, the RTMP edge (a second nginx with
# nginx-rtmp) and, once built, vigil-mediad and vigil-notifyd, all under one
# directory ($VIGIL_VAR).
# Nothing uses the system services, and every process is found again through its
# pid file only, so several stacks (other VIGIL_VAR and ports) run side by side.
#
#   ./run.sh [start]  install missing packages, build, start (safe to re-run)
#   ./run.sh stop     stop this stack (and an Apache from tests/integration/apache.sh)
#   ./run.sh status   one line per component
#   ./run.sh restart  stop, then start
#   ./run.sh rotate-master-key    re-seal every secret under a new master key
#   ./run.sh rotate-operator-key  a new operator key, the old one revoked
#
# Environment: VIGIL_VAR (default $PWD/var), VIGIL_HTTP_PORT (default 8080),
# VIGIL_DB_PORT (default 3307, so the system MariaDB's 3306 is never used),
# VIGIL_RTMP_PORT (the edge's RTMP, default 1935), VIGIL_SIP_PORT (sipd's UDP
# and TCP, default 5060), VIGIL_RTP_PORT (first of mediad's 1000 GB28181 media ports,
# default 30000), VIGIL_CONF_SED (an extra sed expression applied to the
# rendered vigil.conf, e.g. shorter timers for tests). All listen on 127.0.0.1.
#
# As a library: `source ./run.sh --lib` (sourcing with any arguments) defines the
# functions and path variables below and runs nothing. Call vigil_env again after
# changing VIGIL_VAR / VIGIL_*_PORT to address another stack.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

# Everything the build, the stack and the tests need, as Debian package names.
VIGIL_PACKAGES=(autoconf automake libtool pkg-config build-essential libfcgi-dev
	libjson-c-dev libssl-dev libmariadb-dev libconfig-dev libcurl4-openssl-dev
	libosip2-dev mariadb-server mariadb-client nginx libnginx-mod-rtmp apache2
	nodejs npm wrk clang libclang-rt-14-dev ca-certificates curl ffmpeg
	libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
	libswresample-dev)

# Sets the paths of one stack from the environment.
vigil_env() {
	VAR=$(realpath -m -- "${VIGIL_VAR:-$PWD/var}")
	HTTP_PORT=${VIGIL_HTTP_PORT:-8080}
	DB_PORT=${VIGIL_DB_PORT:-3307}
	RTMP_PORT=${VIGIL_RTMP_PORT:-1935}
	SIP_PORT=${VIGIL_SIP_PORT:-5060}
	RTP_PORT=${VIGIL_RTP_PORT:-30000}
	RUN_DIR=$VAR/run
	LOG_DIR=$VAR/log
	CONF=$VAR/vigil.conf
	KEY_FILE=$VAR/operator.key
	API_BIN=$ROOT/fcgi/vigil-api
	CTL_BIN=$ROOT/cli/vigilctl
	API_SOCK=$RUN_DIR/vigil-api.sock
	API_PID=$RUN_DIR/vigil-api.pid
	DB_SOCK=$RUN_DIR/mysqld.sock
	DB_PID=$RUN_DIR/mysqld.pid
	NGINX_PID=$RUN_DIR/nginx.pid
	APACHE_PID=$RUN_DIR/apache.pid
	EDGE_PID=$RUN_DIR/edge.pid
	HLS_DIR=$VAR/hls
	SECRET_FILE=$VAR/internal.secret
	PRIVATE_DIR=$RUN_DIR/private
	HOOKS_SOCK=$PRIVATE_DIR/hooks.sock
	EDGE_SOCK=$PRIVATE_DIR/edge.sock
	MEDIAD_BIN=$ROOT/mediad/vigil-mediad
	NOTIFYD_BIN=$ROOT/notifyd/vigil-notifyd
	MEDIAD_PID=$RUN_DIR/mediad.pid
	NOTIFYD_PID=$RUN_DIR/notifyd.pid
	SIPD_BIN=$ROOT/sipd/vigil-sipd
	SIPD_PID=$RUN_DIR/sipd.pid
	ENDPOINT=http://127.0.0.1:$HTTP_PORT
}

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# True while PID runs. A zombie does not count: orphans are reaped by PID 1,
# which in containers can take seconds, and kill -0 succeeds on a zombie.
pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) } # the state follows "(comm) ", and comm may hold spaces
	[[ ${stat%% *} != Z ]]
}
pid_gone() { ! pid_alive "$1"; }

# Prints the pid recorded in $1 if that process is alive and runs the binary
# named $2. The binary check matters: a pid file left over from before a reboot
# may name a recycled pid that belongs to someone else.
pid_of() {
	local file=$1 exe=$2 pid path
	[[ -s $file ]] || return 1
	pid=$(<"$file")
	pid=${pid//[[:space:]]/}
	[[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
	path=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	path=${path% (deleted)} # the binary was rebuilt under the running process
	[[ ${path##*/} == "$exe" ]] || return 1
	echo "$pid"
}

# wait_for DESC SECONDS CMD...: polls CMD until it succeeds; 1 on timeout.
wait_for() {
	local desc=$1 deadline=$((SECONDS + $2))
	shift 2
	until "$@"; do
		if ((SECONDS >= deadline)); then
			say "timed out waiting for $desc"
			return 1
		fi
		sleep 0.2
	done
}

# Runs CMD detached from this shell (own session, no terminal), output to LOG,
# so the service outlives run.sh and a Ctrl-C in the terminal.
start_bg() {
	local log=$1
	shift
	setsid nohup "$@" >>"$log" 2>&1 </dev/null &
}

# wait_started NAME SECONDS PID LOG CMD...: waits for CMD while PID lives; on
# its death or timeout shows the end of LOG and dies.
wait_started() {
	local name=$1 deadline=$((SECONDS + $2)) pid=$3 log=$4
	shift 4
	until "$@"; do
		if pid_gone "$pid" || ((SECONDS >= deadline)); then
			tail -n 20 "$log" >&2 || true
			die "$name did not start (log: $log)"
		fi
		sleep 0.2
	done
}

quiet() { "$@" >/dev/null 2>&1; }

# stop_pidfile NAME PIDFILE EXE [SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pidfile() {
	local name=$1 file=$2 exe=$3 secs=${4:-20} pid
	if ! pid=$(pid_of "$file" "$exe"); then
		[[ ! -e $file ]] || say "$name: removing stale pid file $file"
		rm -f "$file"
		return 0
	fi
	say "$name: stopping (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_for "$name to exit" "$secs" pid_gone "$pid"; then
		say "$name: sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
}

# run_logged LOG DESC CMD...: appends CMD's output to LOG; shows it on failure.
run_logged() {
	local log=$1 desc=$2
	shift 2
	if ! "$@" >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "$desc failed (log: $log)"
	fi
}

# True if the package is installed, or provided by an installed package
# (NodeSource's nodejs provides npm and conflicts with Debian's npm package).
pkg_present() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]] && return 0
	dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null | awk -F'|' -v p="$1" '
		$1 == "install ok installed" {
			n = split($2, a, /, */)
			for (i = 1; i <= n; i++) { sub(/ .*/, "", a[i]); if (a[i] == p) found = 1 }
		}
		END { exit !found }'
}

ensure_packages() {
	local p missing=()
	for p in "${VIGIL_PACKAGES[@]}"; do
		pkg_present "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing Debian packages, install them as root: ${missing[*]}"
	say "installing ${missing[*]}"
	# Keep the system nginx/apache2/mariadb services from starting on install:
	# they would take ports 80/3306 (and fight each other for 80).
	local policy=/usr/sbin/policy-rc.d added=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
	fi
	local rc=0
	apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		rc=$?
	[[ -z $added ]] || rm -f "$policy"
	((rc == 0)) || die "apt-get failed"
}

# Builds only what changed. The lock serialises builds of stacks started at the
# same time from this one work tree.
build() {
	local log=$LOG_DIR/build.log
	: >"$log"
	# Also autogen when Makefile.in is missing: a failed autoreconf can leave a
	# configure without it, and that configure would then fail forever.
	if ! (
		flock 9 &&
			cd "$ROOT" &&
			{ [[ -x configure && -f Makefile.in ]] || ./autogen.sh; } &&
			{ [[ -f Makefile ]] || ./configure; } &&
			make -j2
	) 9<"$ROOT/configure.ac" >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "build failed (log: $log)"
	fi
	[[ -x $API_BIN && -x $CTL_BIN ]] || die "build did not produce $API_BIN and $CTL_BIN"
}

# The MariaDB client as the OS user: mariadb-install-db gives that account
# unix_socket authentication, so no password is involved.
db_sql() { mariadb --no-defaults --socket="$DB_SOCK" -u "$(id -un)" "$@"; }
db_ping() { mariadb-admin --no-defaults --socket="$DB_SOCK" -u "$(id -un)" ping >/dev/null 2>&1; }

db_start() {
	local pid datadir=$VAR/mysql log=$LOG_DIR/mariadb.log
	if pid=$(pid_of "$DB_PID" mariadbd); then
		say "mariadb: running (pid $pid)"
		return 0
	fi
	# A private tmpdir: a starting server deletes every #sql* file in its
	# tmpdir, which in a shared /tmp are other servers' temporary tables.
	mkdir -p "$VAR/tmp"
	if [[ ! -d $datadir/mysql ]]; then
		rm -rf "$datadir" # a half-made datadir from an interrupted run
		say "mariadb: creating $datadir"
		run_logged "$LOG_DIR/mariadb-install.log" mariadb-install-db \
			mariadb-install-db --no-defaults --datadir="$datadir" --user="$(id -un)" \
			--skip-test-db --auth-root-authentication-method=socket --tmpdir="$VAR/tmp"
	fi
	rm -f "$DB_SOCK" # a socket left by a killed server would end the wait at once
	say "mariadb: starting on 127.0.0.1:$DB_PORT"
	start_bg "$log" mariadbd --no-defaults --datadir="$datadir" --tmpdir="$VAR/tmp" \
		--socket="$DB_SOCK" --pid-file="$DB_PID" --port="$DB_PORT" \
		--bind-address=127.0.0.1 --user="$(id -un)" --log-error="$log" \
		--innodb-flush-log-at-trx-commit=2 --max-connections=500 --skip-name-resolve
	wait_started mariadb 60 $! "$log" db_ping
}

# Database and application account; the password in db.secret is the truth, so
# ALTER USER re-applies it on every run.
db_setup() {
	local secret=$VAR/db.secret pw
	if [[ ! -s $secret ]]; then
		(umask 077 && openssl rand -hex 16 >"$secret") || die "cannot write $secret"
	fi
	chmod 600 "$secret" || die "cannot chmod $secret"
	pw=$(head -n 1 "$secret")
	pw=${pw//\\/\\\\}
	pw=${pw//\'/\\\'}
	# Checks are explicit throughout: callers such as test.sh may run these
	# functions where set -e is off (on the left of ||).
	db_sql --batch <<-SQL || die "cannot create database vigil and user vigil"
		CREATE DATABASE IF NOT EXISTS vigil CHARACTER SET utf8mb4;
		CREATE USER IF NOT EXISTS 'vigil'@'localhost' IDENTIFIED BY '$pw';
		ALTER USER 'vigil'@'localhost' IDENTIFIED BY '$pw';
		GRANT ALL PRIVILEGES ON vigil.* TO 'vigil'@'localhost';
	SQL
}

# The internal secret: the edge sends it with its hooks, nginx with its
# auth checks and to mediad; vigil-api and mediad read it from the file
# (api.internal_secret_file). Hex, so it goes into configs and URLs as is.
secret_setup() {
	if [[ ! -s $SECRET_FILE ]]; then
		(umask 077 && openssl rand -hex 32 >"$SECRET_FILE") || die "cannot write $SECRET_FILE"
	fi
	chmod 600 "$SECRET_FILE" || die "cannot chmod $SECRET_FILE"
	SECRET=$(head -n 1 "$SECRET_FILE")
	[[ $SECRET =~ ^[0-9a-f]{64}$ ]] || die "$SECRET_FILE: not 64 hex digits"
}

# render_conf TEMPLATE OUT: the template with the stack's values; OUT is
# mode 0600 (it holds the secret). Comment lines stay as written: they
# document the placeholders.
render_conf() {
	local user='# not root: the workers keep the calling user'
	# Root's workers would otherwise drop to nobody, who cannot reach the socket.
	((EUID != 0)) || user='user root;'
	[[ -n ${SECRET:-} ]] || secret_setup
	(umask 077 && sed -e "/^[[:space:]]*#/!{s|@VAR@|$VAR|g; s|@HTTP_PORT@|$HTTP_PORT|g; s|@RTMP_PORT@|$RTMP_PORT|g; s|@USER@|$user|g; s|@SECRET@|$SECRET|g}" \
		"$1" >"$2") && chmod 600 "$2"
}

# Renders $VAR/vigil.conf from conf/vigil.conf. The file is replaced only when
# its content changes, so its mtime tells api_start whether to restart.
api_config() {
	local group='""' tmp line
	# As root, the socket's group lets Apache's www-data workers connect.
	((EUID != 0)) || group='"www-data"'
	tmp=$(mktemp "$CONF.XXXXXX")
	sed -e "s|^\([[:space:]]*\)var_dir = \"var\";|\1var_dir = \"$VAR\";|" \
		-e "s|^\([[:space:]]*\)port = 3306;|\1port = $DB_PORT;|" \
		-e "s|^\([[:space:]]*\)http_port = 8080;|\1http_port = $HTTP_PORT;|" \
		-e "s|^\([[:space:]]*\)listen_group = \"\";|\1listen_group = $group;|" \
		-e "s|^\([[:space:]]*\)rtmp_port = 1935;|\1rtmp_port = $RTMP_PORT;|" \
		-e "s|^\([[:space:]]*\)edge_rtmp = \"rtmp://127.0.0.1:1935\";|\1edge_rtmp = \"rtmp://127.0.0.1:$RTMP_PORT\";|" \
		-e "s|^\([[:space:]]*\)gb_udp_port = 5060;|\1gb_udp_port = $SIP_PORT;|" \
		-e "s|^\([[:space:]]*\)gb_tcp_port = 5060;|\1gb_tcp_port = $SIP_PORT;|" \
		-e "s|^\([[:space:]]*\)rtp_port_min = 30000;|\1rtp_port_min = $RTP_PORT;|" \
		-e "s|^\([[:space:]]*\)rtp_port_max = 30999;|\1rtp_port_max = $((RTP_PORT + 999));|" \
		${VIGIL_CONF_SED:+-e "$VIGIL_CONF_SED"} \
		"$ROOT/conf/vigil.conf" >"$tmp"
	# A default changed in conf/vigil.conf would silently skip a substitution.
	for line in "var_dir = \"$VAR\";" "port = $DB_PORT;" "http_port = $HTTP_PORT;" \
		"listen_group = $group;" "rtmp_port = $RTMP_PORT;" \
		"edge_rtmp = \"rtmp://127.0.0.1:$RTMP_PORT\";" \
		"gb_udp_port = $SIP_PORT;" "gb_tcp_port = $SIP_PORT;" \
		"rtp_port_min = $RTP_PORT;"; do
		grep -qF -- "$line" "$tmp" || { rm -f "$tmp"; die "conf/vigil.conf: could not set '$line'"; }
	done
	if cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; else mv "$tmp" "$CONF" || die "cannot write $CONF"; fi
}

# Config check, schema migrations and operator key: all idempotent.
api_prepare() {
	local log=$LOG_DIR/setup.log
	run_logged "$log" "vigil-api -t" "$API_BIN" -c "$CONF" -t
	run_logged "$log" "vigil-api --migrate" "$API_BIN" -c "$CONF" --migrate
	run_logged "$log" "vigil-api --init-operator" "$API_BIN" -c "$CONF" --init-operator
}

api_up() { [[ -S $API_SOCK ]] && pid_of "$API_PID" vigil-api >/dev/null; }

api_start() {
	local pid log=$LOG_DIR/vigil-api.log
	if pid=$(pid_of "$API_PID" vigil-api); then
		# After a rebuild or a config change, serve the new one.
		if [[ $API_BIN -nt $API_PID || $CONF -nt $API_PID ]]; then
			say "vigil-api: restarting for the new build or config"
			stop_pidfile vigil-api "$API_PID" vigil-api
		else
			say "vigil-api: running (pid $pid)"
			return 0
		fi
	fi
	rm -f "$API_SOCK" # a stale socket would end the wait at once
	say "vigil-api: starting"
	start_bg "$log" "$API_BIN" -c "$CONF"
	wait_started vigil-api 15 $! "$log" api_up
}

nginx_cmd() {
	nginx -p "$VAR/nginx/" -c "$VAR/nginx/nginx.conf" -e "$LOG_DIR/nginx-error.log" "$@"
}

nginx_config() {
	{ mkdir -p "$VAR/nginx/tmp" "$PRIVATE_DIR" && chmod 700 "$PRIVATE_DIR"; } ||
		die "cannot create $VAR/nginx"
	render_conf "$ROOT/conf/nginx.conf.in" "$VAR/nginx/nginx.conf" ||
		die "cannot write $VAR/nginx/nginx.conf"
	nginx_cmd -t -q || die "invalid nginx config $VAR/nginx/nginx.conf"
}

nginx_start() {
	local pid
	nginx_config
	if pid=$(pid_of "$NGINX_PID" nginx); then
		say "nginx: running (pid $pid), reloading"
		nginx_cmd -s reload || die "nginx reload failed (log: $LOG_DIR/nginx-error.log)"
		return 0
	fi
	rm -f "$NGINX_PID"
	say "nginx: starting on $ENDPOINT"
	nginx_cmd # daemonises; the master writes $NGINX_PID
	wait_for "nginx pid file" 10 quiet pid_of "$NGINX_PID" nginx ||
		die "nginx did not start (log: $LOG_DIR/nginx-error.log)"
}

edge_cmd() {
	nginx -p "$VAR/edge/" -c "$VAR/edge/nginx.conf" -e "$LOG_DIR/edge-error.log" "$@"
}

# Renders $VAR/edge/nginx.conf from conf/edge.conf.in; 0 when it changed.
edge_config() {
	local tmp conf=$VAR/edge/nginx.conf
	{ mkdir -p "$VAR/edge/tmp" "$HLS_DIR/live" "$PRIVATE_DIR" && chmod 700 "$PRIVATE_DIR"; } ||
		die "cannot create $VAR/edge"
	tmp=$(mktemp "$conf.XXXXXX")
	render_conf "$ROOT/conf/edge.conf.in" "$tmp" || die "cannot write $tmp"
	if cmp -s "$tmp" "$conf"; then
		rm -f "$tmp"
		return 1
	fi
	mv "$tmp" "$conf" || die "cannot write $conf"
	edge_cmd -t -q || die "invalid edge config $conf"
}

edge_up() { pid_of "$EDGE_PID" nginx >/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$RTMP_PORT") 2>/dev/null; }

# The edge: reloaded only when its config changed, since a reload moves
# live streams to a new worker while the old one drains.
edge_start() {
	local pid changed=
	! edge_config || changed=1
	if pid=$(pid_of "$EDGE_PID" nginx); then
		if [[ -n $changed ]]; then
			say "edge: running (pid $pid), reloading"
			edge_cmd -s reload || die "edge reload failed (log: $LOG_DIR/edge-error.log)"
		else
			say "edge: running (pid $pid)"
		fi
		return 0
	fi
	rm -f "$EDGE_PID" "$EDGE_SOCK" # a killed edge's socket would fail its bind
	say "edge: starting RTMP on 127.0.0.1:$RTMP_PORT, control on $EDGE_SOCK"
	edge_cmd
	wait_for "the edge" 10 quiet edge_up ||
		die "the edge did not start (log: $LOG_DIR/edge-error.log)"
	edge_reset
}

# Tells vigil-api that the edge has no publisher (just started or stopped):
# streams left on by an edge that died go off, with their stream.off events.
edge_reset() {
	# the secret goes in a config file for curl, not on its command line
	printf 'url = "http://hooks/internal/rtmp/reset?k=%s"\n' "$(head -n 1 "$SECRET_FILE")" |
		curl -fsS -o /dev/null -m 10 -X POST -d call=reset \
			--unix-socket "$HOOKS_SOCK" -K - || say "edge: could not reset stream statuses"
}

# daemon_start NAME BIN PIDFILE: a foreground daemon that writes its own pid
# file (its master respawns its worker); skipped until it is built.
daemon_start() {
	local name=$1 bin=$2 file=$3 pid log=$LOG_DIR/$1.log
	[[ -x $bin ]] || return 0
	if pid=$(pid_of "$file" "${bin##*/}"); then
		if [[ $bin -nt $file || $CONF -nt $file ]]; then
			say "$name: restarting for the new build or config"
			stop_pidfile "$name" "$file" "${bin##*/}"
		else
			say "$name: running (pid $pid)"
			return 0
		fi
	fi
	run_logged "$LOG_DIR/setup.log" "$name -t" "$bin" -c "$CONF" -t
	rm -f "$file"
	say "$name: starting"
	start_bg "$log" "$bin" -c "$CONF"
	wait_started "$name" 15 $! "$log" quiet pid_of "$file" "${bin##*/}"
}

# Readiness: one signed request through nginx to vigil-api and the database.
api_probe() {
	"$CTL_BIN" --endpoint "$ENDPOINT" --key-file "$KEY_FILE" \
		GetMtsServiceStatus UserId=probe
}

stack_start() {
	# sun_path holds 107 characters: a deep VIGIL_VAR breaks both sockets.
	((${#API_SOCK} < 108 && ${#DB_SOCK} < 108)) || die "VIGIL_VAR is too long for unix sockets: $VAR"
	# The paths go unquoted into sed and nginx configs.
	[[ $VAR =~ ^[A-Za-z0-9/._+-]+$ ]] || die "VIGIL_VAR may only hold [A-Za-z0-9/._+-]: $VAR"
	ensure_packages
	# www-data (Apache) must traverse to the socket even under umask 077.
	# The edge's hooks socket is this user's only; HLS and logs are not
	# for everyone on the host.
	{ mkdir -p "$RUN_DIR" "$LOG_DIR" "$PRIVATE_DIR" "$HLS_DIR" &&
		chmod 755 "$VAR" "$RUN_DIR" && chmod 700 "$PRIVATE_DIR" &&
		chmod 750 "$LOG_DIR" "$HLS_DIR"; } || die "cannot create $VAR"
	say "building (log: $LOG_DIR/build.log)"
	build
	# Whatever the services create from here on (logs, HLS files, rendered
	# configs) is not world-readable; logs made by older runs neither.
	# nginx daemonises with umask 0, so its logs are made here, and the HLS
	# files the edge writes (0644) are kept from others by their directory.
	umask 027
	local f
	for f in nginx-access nginx-error edge-error; do
		[[ -e $LOG_DIR/$f.log ]] || : >"$LOG_DIR/$f.log"
	done
	find "$LOG_DIR" "$HLS_DIR" -perm /o=rwx -exec chmod o-rwx {} + 2>/dev/null || true
	secret_setup
	db_start
	db_setup
	api_config
	api_prepare
	api_start
	nginx_start
	edge_start
	daemon_start vigil-notifyd "$NOTIFYD_BIN" "$NOTIFYD_PID"
	daemon_start vigil-mediad "$MEDIAD_BIN" "$MEDIAD_PID"
	daemon_start vigil-sipd "$SIPD_BIN" "$SIPD_PID"
	if ! wait_for "the readiness probe" 15 quiet api_probe; then
		api_probe || true
		die "vigil-api does not answer through nginx (logs: $LOG_DIR)"
	fi
	local stop=./run.sh v
	# the same environment addresses this stack again
	for v in VIGIL_DB_PORT VIGIL_RTMP_PORT VIGIL_HTTP_PORT \
		VIGIL_SIP_PORT VIGIL_RTP_PORT; do
		[[ -z ${!v:-} ]] || stop="$v=${!v} $stop"
	done
	[[ -z ${VIGIL_VAR:-} ]] || stop="VIGIL_VAR=$VAR $stop"
	cat <<-EOF
		Vigil is running.
		  endpoint:      $ENDPOINT/
		  rtmp edge:     rtmp://127.0.0.1:$RTMP_PORT/live/<StreamId>
		  gb28181 sip:   127.0.0.1:$SIP_PORT (UDP and TCP), media ports $RTP_PORT-$((RTP_PORT + 999))
		  AccessKeyId:   $(sed -n 's/^AccessKeyId=//p' "$KEY_FILE")
		  key file:      $KEY_FILE (holds the secret)
		  logs:          $LOG_DIR/
		  stop with:     $stop stop
	EOF
}

# The edge goes before vigil-api, so its on_publish_done calls still land.
stack_stop() {
	stop_pidfile vigil-sipd "$SIPD_PID" vigil-sipd
	stop_pidfile vigil-mediad "$MEDIAD_PID" vigil-mediad
	stop_pidfile vigil-notifyd "$NOTIFYD_PID" vigil-notifyd
	if pid_of "$EDGE_PID" nginx >/dev/null; then
		stop_pidfile edge "$EDGE_PID" nginx
		! api_up || edge_reset
	fi
	stop_pidfile nginx "$NGINX_PID" nginx
	stop_pidfile apache "$APACHE_PID" apache2
	stop_pidfile vigil-api "$API_PID" vigil-api
	stop_pidfile mariadb "$DB_PID" mariadbd
}

# rotate master-key|operator-key: vigil-api and the daemons hold the keys in
# memory, so they stop around the rotation; the database and the web tier
# keep running. Then the whole stack is started again.
stack_rotate() {
	local rc=0
	build
	db_start
	stop_pidfile vigil-sipd "$SIPD_PID" vigil-sipd
	stop_pidfile vigil-mediad "$MEDIAD_PID" vigil-mediad
	stop_pidfile vigil-notifyd "$NOTIFYD_PID" vigil-notifyd
	stop_pidfile vigil-api "$API_PID" vigil-api
	"$API_BIN" -c "$CONF" "--rotate-$1" || rc=$?
	stack_start >/dev/null
	((rc == 0)) || die "the $1 rotation failed (log above; run it again)"
	say "$1 rotated"
}

stack_status() {
	local name file exe pid
	while read -r name file exe; do
		if pid=$(pid_of "$file" "$exe"); then
			printf '%-14s running (pid %s)\n' "$name" "$pid"
		else
			printf '%-14s stopped\n' "$name"
		fi
	done <<-EOF
		mariadb $DB_PID mariadbd
		vigil-api $API_PID vigil-api
		nginx $NGINX_PID nginx
		edge $EDGE_PID nginx
		vigil-mediad $MEDIAD_PID vigil-mediad
		vigil-notifyd $NOTIFYD_PID vigil-notifyd
		vigil-sipd $SIPD_PID vigil-sipd
		apache $APACHE_PID apache2
	EOF
}

vigil_env

# Sourced (test.sh, tests/integration/apache.sh): define, run nothing.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
	return 0
fi

case ${1:-start} in
start) stack_start ;;
stop) stack_stop ;;
restart) stack_stop && stack_start ;;
status) stack_status ;;
rotate-master-key | rotate-operator-key) stack_rotate "${1#rotate-}" ;;
*)
	echo "usage: $0 [start|stop|restart|status|rotate-master-key|rotate-operator-key]" >&2
	exit 2
	;;
esac
