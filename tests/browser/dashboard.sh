#!/usr/bin/env bash
# dashboard.sh BUILD_DIR: the dashboard in a real browser. Starts saola-server
# on 127.0.0.1 (a free port) over a generated district, loads the dashboard
# in headless chromium logged in by the URL fragment #token=..., checks the
# figures the page shows against the JSON report fetched with curl, saves
# screenshots (BUILD_DIR/dashboard.png, BUILD_DIR/dashboard-phone.png) and
# stops the server. Exit 77 (skipped) only when no chromium is installed.
set -euo pipefail
build=$(cd "$1" && pwd)
server="$build/server/saola-server"
saola="$build/cli/saola"
gen="$build/tools/saola-gen"
check="$build/tests/browser/dom_check"

. "$(dirname "$0")/browser.sh"
saola_find_browser dashboard

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saola-dashboard-XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# A district of two survey years, and an officer of it.
db="$tmp/server.db"
token=$("$server" user add --db "$db" --name officer-372 --role district --area 372)
"$gen" --count 1500 --seed 11 --district 372 --years 2024,2025 > "$tmp/households.jsonl"
"$saola" import --db "$db" --form household "$tmp/households.jsonl" >/dev/null
# Two surveyors' devices and a few conflicts, as syncs would have left them
# (written straight into the server's tables: this test is about what the
# page shows of them).
"$server" user add --db "$db" --name surveyor-14404 --role surveyor --area 14404 >/dev/null
"$server" user add --db "$db" --name surveyor-14383 --role surveyor --area 14383 >/dev/null
sqlite3 "$db" <<'SQL'
INSERT INTO devices(origin, user_id, first_seen, last_sync, acked)
  SELECT 'a1b2c3d4e5f60718', id, '2025-09-02T01:10:00Z', '2025-10-06T09:41:00Z', 212
  FROM users WHERE name = 'surveyor-14404';
INSERT INTO devices(origin, user_id, first_seen, last_sync, acked)
  SELECT '0f1e2d3c4b5a6978', id, '2025-09-03T02:00:00Z', '2025-10-05T16:05:00Z', 180
  FROM users WHERE name = 'surveyor-14383';
INSERT INTO conflicts(record_id, path, lost_value, lost_version, kept_value, kept_version,
                      stored_lost, device, user_id, at)
  SELECT id, 'income_per_capita', '1350000', '[14,"a1b2c3d4e5f60718"]', '1600000',
         '[15,"0f1e2d3c4b5a6978"]', 0, 'a1b2c3d4e5f60718',
         (SELECT id FROM users WHERE name = 'surveyor-14404'), '2025-10-06T09:41:00Z'
  FROM records WHERE commune = '14404' AND deleted = 0 LIMIT 3;
SQL

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
	--screenshot="$build/dashboard.png" "$url/#token=$token" 2>> "$tmp/chromium.log"
"$browser" "${flags[@]}" --user-data-dir="$tmp/profile3" --window-size=390,3200 \
	--screenshot="$build/dashboard-phone.png" "$url/#token=$token" 2>> "$tmp/chromium.log"
# Without a token: the sign-in page.
"$browser" "${flags[@]}" --user-data-dir="$tmp/profile4" --dump-dom "$url/" \
	> "$tmp/login.html" 2>> "$tmp/chromium.log"
grep -q 'id="login" class="card login">' "$tmp/login.html" ||
	{ echo "dashboard: the sign-in page is not shown without a token" >&2; exit 1; }
[ -s "$build/dashboard.png" ] && [ -s "$build/dashboard-phone.png" ]
echo "dashboard: figures shown match the report; screenshots: $build/dashboard.png, $build/dashboard-phone.png"
