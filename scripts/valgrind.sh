#!/usr/bin/env bash
# valgrind.sh [TEST ...]: runs test programs (default: test_sync, the
# end-to-end sync test) under valgrind --leak-check=full, with every program
# they start (saola, saola-server, saola-gen) traced too, in a build without
# the sanitizers (build-valgrind/). Fails when any process reports an error,
# a leak or an invalid access; prints one line per process kind.
set -euo pipefail
SAOLA_TOP=$(cd "$(dirname "$0")/.." && pwd)
top=$SAOLA_TOP
. "$top/scripts/deps.sh"
saola_deps $SAOLA_TEST_DEPS valgrind
build="$top/build-valgrind"
saola_build "$build" -DCMAKE_BUILD_TYPE=Debug -DSAOLA_TESTS=ON -DSAOLA_WERROR=ON
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
for t in "${@:-test_sync}"; do
	echo "valgrind: $t ..."
	(cd "$build/tests" && valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --trace-children=yes \
		--error-exitcode=99 --log-file="$logs/$t.%p.log" "./$t" >"$logs/$t.out" 2>&1) || status=1
	tail -1 "$logs/$t.out"
done
bad=$(grep -L "ERROR SUMMARY: 0 errors" "$logs"/*.log || true)
for f in $bad; do echo "--- $f"; cat "$f"; done
echo "processes traced: $(ls "$logs"/*.log | wc -l);" \
	"with no error and no leak: $(grep -l "ERROR SUMMARY: 0 errors" "$logs"/*.log | wc -l)"
grep -h "Command:" "$logs"/*.log | awk '{print $3}' | sort | uniq -c
[ -z "$bad" ] && [ $status = 0 ]
