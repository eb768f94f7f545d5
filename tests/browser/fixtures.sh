#!/usr/bin/env bash
# fixtures.sh BUILD_DIR WEB_DIR FIXTURES_DIR: the dashboard and the printable
# lists in a real browser, against fixed answers in the report JSON contract
# of issue 12 (fixtures/, made by fixtures/make_fixtures.py), served by
# fixture_server on 127.0.0.1 at a free port. For each set ("partial": 3 of
# 27 communes reported; "complete": one commune, every listed household
# surveyed, target met) it checks the coverage panel, the progress statuses
# (green "met" only where the JSON says met, never for the area on partial
# data), the villages' natural order and the lists page against the JSON,
# that the page asked for the official figures (?state=approved) and, with
# /?state=all, for every record; saves screenshots in BUILD_DIR
# (dashboard-<set>.png, lists-<set>.png) and stops the server. Exit 77
# (skipped) only when no chromium is installed.
set -euo pipefail
build=$(cd "$1" && pwd)
web=$(cd "$2" && pwd)
fixtures=$(cd "$3" && pwd)
serve="$build/tests/browser/fixture_server"
check="$build/tests/browser/dom_check"

. "$(dirname "$0")/browser.sh"
saola_find_browser fixtures

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saola-fixtures-XXXXXX")
pid=""
stop() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	pid=""
}
trap 'stop; rm -rf "$tmp"' EXIT

token=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --disable-dev-shm-usage --hide-scrollbars --virtual-time-budget=20000)
n=0
browse() { # browse OUT URL [flags...]: the DOM of URL after its scripts ran
	local out=$1 url=$2
	shift 2
	n=$((n + 1))
	"$browser" "${flags[@]}" --user-data-dir="$tmp/profile$n" "$@" "$url" > "$out" \
		2>> "$tmp/chromium.log" || { cat "$tmp/chromium.log" >&2; exit 1; }
}

for set in partial complete; do
	dir="$fixtures/$set"
	: > "$tmp/$set.log"
	"$serve" "$dir" "$web" "$tmp/$set.log" > "$tmp/$set.out" 2>&1 &
	pid=$!
	url=""
	for _ in $(seq 1 200); do
		url=$(sed -n 's/^listening on //p' "$tmp/$set.out")
		[ -n "$url" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/$set.out" >&2; exit 1; }
		sleep 0.05
	done
	[ -n "$url" ] || { echo "fixtures: the fixture server did not start" >&2; exit 1; }

	browse "$tmp/$set.html" "$url/#token=$token" --dump-dom
	# The partial set's villages of 14383 are "Tổ dân phố 1" ... "13".
	villages=$([ "$set" = partial ] && echo --villages || echo --contract)
	"$check" --contract "$villages" "$dir/reports_all.approved.json" "$dir/conflicts.json" \
		"$dir/devices.json" "$tmp/$set.html"
	grep -q '^/v1/reports/all?.*state=approved' "$tmp/$set.log" ||
		{ echo "fixtures: $set: the page did not ask for the official figures (state=approved)" >&2; exit 1; }
	grep -q 'data-fig="shows:state" data-state="approved"' "$tmp/$set.html" ||
		{ echo "fixtures: $set: the page does not say it shows the official figures" >&2; exit 1; }
	if [ "$set" = partial ]; then
		# 3 of 27 communes: no green "met" anywhere, and "not enough data" said.
		! grep -q 'st-met' "$tmp/$set.html" ||
			{ echo "fixtures: partial: a green \"met\" on partial data" >&2; exit 1; }
		grep -q 'data-status="not_enough_data">chưa đủ số liệu: 3 trên 27 xã' "$tmp/$set.html" ||
			{ echo "fixtures: partial: \"not enough data\" is not shown" >&2; exit 1; }
		browse "$tmp/all.html" "$url/?state=all#token=$token" --dump-dom
		grep -q '^/v1/reports/all?.*state=all' "$tmp/$set.log" &&
			grep -q 'data-fig="shows:state" data-state="all"' "$tmp/all.html" ||
			{ echo "fixtures: /?state=all did not ask for or say every record" >&2; exit 1; }
	fi
	browse "$tmp/$set-lists.html" "$url/lists.html?commune=14404&year=2025#token=$token" --dump-dom
	"$check" --lists "$dir/lists_14404.json" "$tmp/$set-lists.html"
	grep -q '^/v1/lists/14404?year=2025$' "$tmp/$set.log" ||
		{ echo "fixtures: $set: the lists page did not ask /v1/lists/14404?year=2025" >&2; exit 1; }

	browse /dev/null "$url/#token=$token" --window-size=1280,3000 --screenshot="$build/dashboard-$set.png"
	browse /dev/null "$url/lists.html?commune=14404&year=2025#token=$token" --window-size=1100,2400 \
		--screenshot="$build/lists-$set.png"
	stop
done
for f in dashboard-partial dashboard-complete lists-partial lists-complete; do
	[ -s "$build/$f.png" ] || { echo "fixtures: no screenshot $f.png" >&2; exit 1; }
done
echo "fixtures: coverage, statuses, village order and lists match the fixtures;" \
	"screenshots: $build/dashboard-{partial,complete}.png, $build/lists-{partial,complete}.png"
