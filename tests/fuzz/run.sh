#!/usr/bin/env bash
# Builds the libFuzzer targets in a copy of the tree and runs each for
# SECONDS (default 15): tests/fuzz/run.sh [SECONDS]. Exits 1 on a crash.
# A target NAME is tests/fuzz/fuzz_NAME.c with its seeds in corpus_NAME/;
# FUZZ_TARGETS="media" runs some only.
#
# The copy (FUZZ_DIR, default /tmp/vigil-fuzz) is needed because automake
# refuses a VPATH build of a source tree that is configured in place. The
# libraries are built with coverage and sanitizers too (CFLAGS below): the
# Makefile's FUZZ_FLAGS only reach the fuzz targets' own objects, and a
# parser compiled without coverage gives the fuzzer nothing to steer by.
set -eu

secs=${1:-15}
targets=${FUZZ_TARGETS:-params auth media sip manscdp nal request}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=${FUZZ_DIR:-/tmp/vigil-fuzz}
src=$work/src
build=$work/build
san="-fsanitize=fuzzer-no-link,address,undefined"
san="$san -fno-sanitize-recover=undefined"

mkdir -p "$src" "$build" "$work/artifacts"

# Tracked and new files, not build products; mtimes kept so make is
# incremental across runs. Outside git (a dist tarball) the build
# products are left out by name.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
	    (cd "$top" && xargs -0 tar -cf - --) | tar -xpf - -C "$src"
else
	tar -cf - -C "$top" --exclude=.git --exclude=.libs --exclude=.deps \
	    --exclude='*.o' --exclude='*.lo' --exclude='*.la' \
	    --exclude=Makefile --exclude=config.status --exclude=config.h \
	    --exclude=config.log --exclude=stamp-h1 --exclude=libtool \
	    --exclude=./var --exclude=node_modules . | tar -xpf - -C "$src"
fi

# A line per target even when nothing was built, so callers count failures.
fail_build() { # fail_build STEP LOG
	tail -40 "$2"
	for t in $targets; do
		echo "fuzz_$t: FAILED ($1, log $2)"
	done
	exit 1
}

if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ] ||
    [ "$src/Makefile.am" -nt "$src/Makefile.in" ]; then
	(cd "$src" && ./autogen.sh) >"$work/autogen.log" 2>&1 ||
	    fail_build autogen "$work/autogen.log"
fi
if [ ! -f "$build/Makefile" ] || [ "$src/configure" -nt "$build/Makefile" ] ||
    [ "$(cat "$build/.san" 2>/dev/null)" != "$san" ]; then
	(cd "$build" && "$src/configure" -q --enable-fuzz CC=clang \
	    CFLAGS="-g -O1 $san") >"$work/configure.log" 2>&1 ||
	    fail_build configure "$work/configure.log"
	echo "$san" >"$build/.san"
fi
make -C "$build" -j2 $(printf 'tests/fuzz/fuzz_%s ' $targets) \
    >"$work/make.log" 2>&1 || fail_build make "$work/make.log"

status=0
for t in $targets; do
	corpus=$work/corpus_$t	# grows across runs; the seeds stay in git
	log=$work/fuzz_$t.log
	mkdir -p "$corpus"
	if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" \
	    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$work/artifacts/fuzz_$t-" \
	    "$corpus" "$top/tests/fuzz/corpus_$t" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz_$t: ok (${execs:-?} execs)"
	else
		echo "fuzz_$t: CRASH (log $log;" \
		    "replay: $build/tests/fuzz/fuzz_$t ARTIFACT)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|Test unit)|runtime error' \
		    "$log" | head -20
		status=1
	fi
done
exit $status
