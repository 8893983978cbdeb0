#!/usr/bin/env bash
# Every test of Vigil: the same set-up as ./run.sh, then the unit tests
# (make check), the integration suite against a fresh stack on other ports,
# `make distcheck` and a short fuzz run. The last line is "N passed, N failed";
# the exit status is non-zero when anything failed.
#
# Environment: VIGIL_TEST_HTTP_PORT (18080), VIGIL_TEST_DB_PORT (13307),
# VIGIL_TEST_RTMP_PORT (11935),
# VIGIL_TEST_SIP_PORT (15060), VIGIL_TEST_RTP_PORT (40000),
# VIGIL_FUZZ_SECONDS (15 per target; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export VIGIL_VAR=$PWD/var/test
export VIGIL_HTTP_PORT=${VIGIL_TEST_HTTP_PORT:-18080}
export VIGIL_DB_PORT=${VIGIL_TEST_DB_PORT:-13307}
export VIGIL_RTMP_PORT=${VIGIL_TEST_RTMP_PORT:-11935}
export VIGIL_SIP_PORT=${VIGIL_TEST_SIP_PORT:-15060}
export VIGIL_RTP_PORT=${VIGIL_TEST_RTP_PORT:-40000}
# GB28181 timers short enough for tests (the simulator keeps alive every 1 s);
# callback receivers of the tests listen on loopback
export VIGIL_CONF_SED='s/keepalive_interval = 60;/keepalive_interval = 1;/;s/lazy_idle = 30;/lazy_idle = 3;/;s/no_media_timeout = 10;/no_media_timeout = 5;/;s/lock_duration = 600;/lock_duration = 5;/;s/allow_loopback = false;/allow_loopback = true;/'
# shellcheck source=run.sh
source ./run.sh --lib

passed=0 failed=0
result() { # result NAME PASSED FAILED
	passed=$((passed + $2))
	failed=$((failed + $3))
	say "$1: $2 passed, $3 failed"
}

# The stack of the tests is always fresh, and always stopped.
stack_stop >/dev/null 2>&1 || true
rm -rf "$VIGIL_VAR"
trap 'stack_stop >/dev/null 2>&1 || true' EXIT

mkdir -p "$LOG_DIR"
ensure_packages
build

say "unit tests (make check)"
make -j2 check >"$LOG_DIR/unit.log" 2>&1 || true
unit_pass=$(sed -n 's/^# PASS: *//p' test-suite.log 2>/dev/null || echo 0)
unit_fail=$(awk '/^# (FAIL|ERROR|XPASS):/ { n += $3 } END { print n + 0 }' test-suite.log 2>/dev/null || echo 1)
[[ -n $unit_pass ]] || { unit_pass=0 unit_fail=1; tail -n 30 "$LOG_DIR/unit.log" >&2; }
((unit_fail == 0)) || grep -h '^not ok\|^FAIL\|^ERROR' tests/unit/*.log "$LOG_DIR/unit.log" >&2 || true
result unit "$unit_pass" "$unit_fail"

say "integration tests (stack at $ENDPOINT)"
# a process of its own, so set -e holds inside it (a || here would lift it)
./run.sh start >"$LOG_DIR/stack-start.log" 2>&1 || { cat "$LOG_DIR/stack-start.log" >&2; exit 1; }

# C tests of common/ code that needs the real database
for t in tests/db/test_job tests/db/test_outbox tests/db/test_catalog; do
	if VIGIL_TEST_CONF=$CONF $t >>"$LOG_DIR/db-tests.log" 2>&1; then
		result "${t##*/}" 1 0
	else
		cat "$LOG_DIR/db-tests.log" >&2
		result "${t##*/}" 0 1
	fi
done
(cd tests/integration && [[ -d node_modules/@alicloud/pop-core ]] ||
	npm install --no-audit --no-fund --loglevel=error >"$LOG_DIR/npm.log" 2>&1) ||
	{ cat "$LOG_DIR/npm.log" >&2; exit 1; }
node --test --test-concurrency=1 tests/integration/ tests/security/ >"$LOG_DIR/integration.log" 2>&1 || true
int_pass=$(sed -n 's/^# pass //p' "$LOG_DIR/integration.log" | tail -n 1)
int_fail=$(sed -n 's/^# fail //p' "$LOG_DIR/integration.log" | tail -n 1)
[[ -n $int_pass && -n $int_fail ]] || { int_pass=0 int_fail=1; }
((int_fail == 0)) || grep -B2 -A25 '^not ok\|^    not ok' "$LOG_DIR/integration.log" >&2 || true
result integration "$int_pass" "$int_fail"
stack_stop >/dev/null 2>&1

say "make distcheck"
if make -j2 distcheck >"$LOG_DIR/distcheck.log" 2>&1; then
	result distcheck 1 0
else
	tail -n 30 "$LOG_DIR/distcheck.log" >&2
	result distcheck 0 1
fi

if ((${VIGIL_FUZZ_SECONDS:-15} > 0)); then
	say "fuzzing (${VIGIL_FUZZ_SECONDS:-15} s per target)"
	fuzz_rc=0
	fuzz_out=$(tests/fuzz/run.sh "${VIGIL_FUZZ_SECONDS:-15}" 2>&1) || fuzz_rc=$?
	printf '%s\n' "$fuzz_out" >"$LOG_DIR/fuzz.log"
	fuzz_ok=$(grep -cE '^fuzz_[a-z]+: ok' <<<"$fuzz_out" || true)
	fuzz_bad=$(grep -E '^fuzz_[a-z]+: ' <<<"$fuzz_out" | grep -vc ': ok' || true)
	((fuzz_rc == 0 || fuzz_bad > 0)) || fuzz_bad=1
	((fuzz_bad == 0)) || printf '%s\n' "$fuzz_out" >&2
	result fuzz "$fuzz_ok" "$fuzz_bad"
fi

echo "$passed passed, $failed failed"
((failed == 0))
