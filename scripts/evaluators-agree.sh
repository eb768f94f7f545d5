#!/usr/bin/env bash
# evaluators-agree.sh BASE [N]: whether the form engine of this tree gives
# exactly what the engine of commit BASE gives (every computed field, the
# deprivation flags, counts and class, every refusal's code and message, as
# a new record and as a merge's result) on N generated households (default
# 10,000), each spoiled in one of several ways in turn (tools/form_digest.c).
# Builds both in Release in a temporary folder, removed at the end; prints
# the first differences and exits 1 when they differ.
set -euo pipefail
base=${1:?usage: evaluators-agree.sh BASE [N]}
n=${2:-10000}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cleanup() {
	git -C "$top" worktree remove --force "$work/base" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

git -C "$top" worktree add --detach "$work/base" "$base" >/dev/null 2>&1
# The digest is this tree's: the base commit may predate it.
cp "$top/tools/form_digest.c" "$work/base/tools/"
grep -q form-digest "$work/base/tools/CMakeLists.txt" ||
	sed -n '/^# What the form engine makes/,$p' "$top/tools/CMakeLists.txt" \
		>>"$work/base/tools/CMakeLists.txt"
for side in base new; do
	src=$top
	[ "$side" = base ] && src=$work/base
	cmake -S "$src" -B "$work/build-$side" -DCMAKE_BUILD_TYPE=Release \
		-DSAOLA_TESTS=OFF -DSAOLA_BENCH=OFF >/dev/null
	cmake --build "$work/build-$side" -j2 --target form-digest >/dev/null
	"$work/build-$side/tools/form-digest" "$top/schemas" "$work/$side.db" "$n" \
		>"$work/$side.txt"
done
if ! cmp -s "$work/base.txt" "$work/new.txt"; then
	echo "evaluators-agree: the engines differ (base $base, this tree):" >&2
	diff "$work/base.txt" "$work/new.txt" | head -20 | cut -c1-300 >&2
	exit 1
fi
echo "evaluators-agree: $(wc -l <"$work/new.txt") cases from $n households," \
	"identical to $base ($(grep -c ' ok ' "$work/new.txt") records computed," \
	"$(grep -c ' rc ' "$work/new.txt") refused)"
