# tests/packages/lib.sh: sourced by run.sh and overlay.sh. fail says why
# (after $fail_where, e.g. "(overlay) ") and exits 1; run WHAT CMD... runs
# CMD with its output in $log, shown when it fails.
fail_where=${fail_where:-}
fail() {
	echo "test_packages: FAIL: $fail_where$*" >&2
	exit 1
}
run() {
	local what=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		fail "$what failed: $*"
	fi
}
