#!/usr/bin/env bash
# dashboard.sh BUILD_DIR: the dashboard in a real browser. Starts saola-server
# on 127.0.0.1 (a free port) over a generated district, loads the dashboard
# in headless chromium logged in by the URL fragment #token=..., checks the
# figures the page shows against the JSON report fetched with curl, saves
# screenshots (BUILD_DIR/dashboard.png, BUILD_DIR/dashboard-phone.png) and
# stops the server. Exit 77 (skipped) only when no chromium is installed.
# With SAOLA_TEST_STORE=pg the server's database is a new one on
# SAOLA_TEST_PG's PostgreSQL server (made and dropped here with psql; exit
# 77 when SAOLA_TEST_PG is unset), and the screenshots are dashboard-pg.png
# and dashboard-phone-pg.png. The data goes in through the server's store
# (dashboard_fixture), so that it lands alike in either.
set -euo pipefail
build=$(cd "$1" && pwd)
server="$build/server/saola-server"
gen="$build/tools/saola-gen"
check="$build/tests/browser/dom_check"
fixture="$build/tests/browser/dashboard_fixture"

. "$(dirname "$0")/browser.sh"
saola_find_browser dashboard

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saola-dashboard-XXXXXX")
pid=""
pgname=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	if [ -n "$pgname" ]; then
		psql "$SAOLA_TEST_PG" -qc "DROP DATABASE IF EXISTS $pgname WITH (FORCE)" >/dev/null ||
			true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# The server's database: a file, or a new PostgreSQL database.
db="$tmp/server.db"
shots=""
if [ "${SAOLA_TEST_STORE:-}" = pg ]; then
	if [ -z "${SAOLA_TEST_PG:-}" ]; then
		echo "dashboard: SAOLA_TEST_PG is not set: skipped (./run-tests starts a private" \
		     "PostgreSQL: scripts/pg.sh)" >&2
		exit 77
	fi
	pgname="t_dashboard_$$_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
	psql "$SAOLA_TEST_PG" -qc "CREATE DATABASE $pgname" >/dev/null
	db="${SAOLA_TEST_PG%/*}/$pgname"
	shots="-pg"
fi

# A district of two survey years, and an officer of it.
token=$("$server" user add --db "$db" --name officer-372 --role district --area 372)
"$gen" --count 1500 --seed 11 --district 372 --years 2024,2025 > "$tmp/households.jsonl"
# The households pushed by the officer's device, then two surveyors' devices
# and a few conflicts, as syncs would have left them (written through the
# server's store: this test is about what the page shows of them).
"$server" user add --db "$db" --name surveyor-14404 --role surveyor --area 14404 >/dev/null
"$server" user add --db "$db" --name surveyor-14383 --role surveyor --area 14383 >/dev/null
"$fixture" "$db" "$tmp/households.jsonl" >/dev/null

"$server" serve --db "$db" --listen 127.0.0.1:0 > "$tmp/serve.log" 2>&1 &
pid=$!
# The server prints its address once it listens.
url=""
for _ in $(seq 1 200); do
	url=$(sed -n 's/^listening on //p' "$tmp/serve.log")
	[ -n "$url" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
	sleep 0.05
done
[ -n "$url" ] || { echo "dashboard: the server did not start" >&2; exit 1; }

auth="Authorization: Bearer $token"
curl -fsS -H "$auth" "$url/v1/reports/all?by=commune&state=approved" > "$tmp/report.json"
curl -fsS -H "$auth" "$url/v1/conflicts?status=open&limit=5" > "$tmp/conflicts.json"
curl -fsS -H "$auth" "$url/v1/devices" > "$tmp/devices.json"
curl -fsS "$url/" > "$tmp/index.html"
grep -q '<meta name="viewport"' "$tmp/index.html"

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --disable-dev-shm-usage --hide-scrollbars --virtual-time-budget=20000)
"$browser" "${flags[@]}" --user-data-dir="$tmp/profile" --dump-dom "$url/#token=$token" \
	> "$tmp/dom.html" 2> "$tmp/chromium.log" || { cat "$tmp/chromium.log" >&2; exit 1; }
"$check" "$tmp/report.json" "$tmp/conflicts.json" "$tmp/devices.json" "$tmp/dom.html"

"$browser" "${flags[@]}" --user-data-dir="$tmp/profile2" --window-size=1280,3300 \
	--screenshot="$build/dashboard$shots.png" "$url/#token=$token" 2>> "$tmp/chromium.log"
"$browser" "${flags[@]}" --user-data-dir="$tmp/profile3" --window-size=390,3200 \
	--screenshot="$build/dashboard-phone$shots.png" "$url/#token=$token" 2>> "$tmp/chromium.log"
# Without a token: the sign-in page.
"$browser" "${flags[@]}" --user-data-dir="$tmp/profile4" --dump-dom "$url/" \
	> "$tmp/login.html" 2>> "$tmp/chromium.log"
grep -q 'id="login" class="card login">' "$tmp/login.html" ||
	{ echo "dashboard: the sign-in page is not shown without a token" >&2; exit 1; }
[ -s "$build/dashboard$shots.png" ] && [ -s "$build/dashboard-phone$shots.png" ]
echo "dashboard: figures shown match the report; screenshots: $build/dashboard$shots.png," \
     "$build/dashboard-phone$shots.png"
