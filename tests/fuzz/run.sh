#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] [TARGET...]: builds the fuzz targets with
# clang (libFuzzer, AddressSanitizer, UndefinedBehaviorSanitizer) into
# build-fuzz/ and runs each for SECONDS (default 60), one after another, on
# its corpus: tests/fuzz/corpus/<target> (the seeds), tests/fuzz/regressions/
# <target> (past findings) and build-fuzz/corpus/<target> (what earlier runs
# found, kept between runs). TARGET: expr form record wire bundle http cols
# xlsx (all by default). Exits 1 when a target finds something: the input is in
# build-fuzz/artifacts/<target>/, and the log says how to replay it.
# CI runs `tests/fuzz/run.sh 20` from ./run-tests; docs/security.md has the
# longer run.
set -euo pipefail
SAOLA_TOP=$(cd "$(dirname "$0")/../.." && pwd)
fuzz="$SAOLA_TOP/tests/fuzz"
build="${SAOLA_FUZZ_BUILD:-$SAOLA_TOP/build-fuzz}"
seconds="${1:-60}"
[ $# -gt 0 ] && shift
targets="${*:-expr form record wire bundle http cols xlsx}"
case "$seconds" in
''|*[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
build_targets=""
for t in $targets; do
	case "$t" in
	expr|form|record|wire|bundle|http|cols|xlsx) build_targets="$build_targets fuzz_$t" ;;
	*) echo "fuzz: no target $t (expr form record wire bundle http cols xlsx)" >&2; exit 2 ;;
	esac
done
cc="${SAOLA_FUZZ_CC:-clang}"
if ! command -v "$cc" >/dev/null; then
	echo "fuzz: $cc not found: install clang and libclang-rt-dev (scripts/deps.sh)" >&2
	exit 1
fi

# Warnings are not errors here: the gcc build (./run-tests) is the one held
# to -Werror, and clang warns about other things.
echo "fuzz: building with $cc in $build..."
if ! CC="$cc" cmake -S "$SAOLA_TOP" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DSAOLA_FUZZ=ON -DSAOLA_TESTS=OFF -DSAOLA_BENCH=OFF -DSAOLA_WERROR=OFF >/dev/null; then
	echo "fuzz: cmake failed in $build" >&2
	exit 1
fi
# shellcheck disable=SC2086 # one word a target
if ! cmake --build "$build" -j "$(nproc)" --target $build_targets >"$build/build.log" 2>&1; then
	grep -E "error|Error" "$build/build.log" | head -40 >&2 || true
	echo "fuzz: the build failed (log: $build/build.log)" >&2
	exit 1
fi

# The targets' databases go in a scratch folder of this run (tmpfs when
# there is one: SQLite's flushes cost nothing there).
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
scratch=$(mktemp -d "$base/saola-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export SAOLA_FUZZ_TMP="$scratch"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=""
for t in $targets; do
	bin="$build/tests/fuzz/fuzz_$t"
	if [ ! -x "$bin" ]; then
		echo "fuzz: no target $t (expected $bin)" >&2
		exit 2
	fi
	dict=json
	case "$t" in expr) dict=expr ;; http) dict=http ;; cols) dict=cols ;; xlsx) dict=xlsx ;; esac
	work="$build/corpus/$t"
	arts="$build/artifacts/$t"
	log="$build/logs/$t.log"
	mkdir -p "$work" "$arts" "$(dirname "$log")"
	dirs=("$work" "$fuzz/corpus/$t")
	[ -d "$fuzz/regressions/$t" ] && dirs+=("$fuzz/regressions/$t")
	start=$(date +%s)
	set +e
	"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=60 \
		-dict="$fuzz/dict/$dict.dict" -artifact_prefix="$arts/" -print_final_stats=1 \
		"${dirs[@]}" >"$log" 2>&1
	rc=$?
	set -e
	took=$(( $(date +%s) - start ))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz: %-7s ok: %s inputs in %ss, %s\n' "$t" "${runs:-?}" "$took" "${cov:-cov: ?}"
	else
		failed="$failed $t"
		echo "fuzz: $t FOUND SOMETHING after ${took}s (exit $rc); the end of $log:" >&2
		grep -E "ERROR|SUMMARY|harness|runtime error|Test unit written" "$log" | head -20 >&2 || true
		echo "fuzz: replay it with: $bin $arts/<file>; then add the file to" \
			"tests/fuzz/regressions/$t/ (tests/test_fuzz_regressions.c replays it)" >&2
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed" >&2
	exit 1
fi
