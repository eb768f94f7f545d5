#!/usr/bin/env bash
# demo.sh BUILD_DIR: the main job, the whole flow on loopback, for the 2024
# review (the units before the reorganisation of 1 July 2025, with
# districts). A server for the province, which knows how many households
# each commune listed; three surveyors' devices in three communes collect
# households offline (one by hand, the rest from their collection files),
# and a fourth tablet made by copying one of them, as IT officers do; they
# sync when a link appears (the copy is told, and takes an origin of its
# own); surveyors submit, one commune approves; the server consolidates the
# figures: official and in progress, coverage, why progress toward the
# plan's target is not yet known, and a commune's official lists.
#
# SAOLA_DEMO_STORE=postgres: the server's store is a private PostgreSQL
# cluster (scripts/pg.sh), started here and stopped and removed at the end
# however the demo ends; the steps are the same, with --db postgresql://...
set -euo pipefail
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
saola="$build/cli/saola"
server="$build/server/saola-server"
gen="$build/tools/saola-gen"
out="$top/demo-out"
rm -rf "$out"
mkdir -p "$out"
export SAOLA_SCHEMAS="$top/schemas"
store="${SAOLA_DEMO_STORE:-sqlite}"
srv_pid=""
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	[ "$store" = postgres ] && saola_pg_stop
	true
}

say() { printf '\n== %s\n' "$*"; }

# unsupported STEP COMMAND...: runs a step that may not run on PostgreSQL
# yet; there, when it fails, says so plainly and goes on (on SQLite a
# failure stops the demo as any other step does).
unsupported_steps=""
unsupported() {
	local step="$1"; shift
	if [ "$store" != postgres ]; then
		"$@"
		return
	fi
	if ! "$@"; then
		echo "!! not supported on PostgreSQL yet: $step (see docs/scale.md, Status)"
		unsupported_steps="$unsupported_steps
  - $step"
	fi
}

if [ "$store" = postgres ]; then
	. "$top/scripts/pg.sh"
	if ! saola_pg_start 2>"$out/pg-start.log"; then
		cat "$out/pg-start.log" >&2
		echo "demo: could not start PostgreSQL" >&2
		exit 1
	fi
	sdb="$SAOLA_TEST_PG"
	echo "the server's store: PostgreSQL, a private cluster at $sdb (removed at the end)"
else
	sdb="$out/province.db"
	echo "the server's store: SQLite, $sdb"
fi
# after saola_pg_start, whose own trap this one replaces (cleanup stops it)
trap cleanup EXIT

say "the province server: its database, and one surveyor per commune"
"$server" forms load --db "$sdb" --schemas "$top/schemas" >/dev/null
declare -A token
for c in 14404 14383 14620; do
	token[$c]=$("$server" user add --db "$sdb" --name "surveyor-$c" --role surveyor --area "$c")
	echo "user surveyor-$c (commune $c) has a token"
done
# The province officer gets the figures and the household list without the
# names (personal fields); "officer-37-names" may ask for them.
"$server" user add --db "$sdb" --name "officer-37" --role province --area 37 > "$out/officer.token"
"$server" user add --db "$sdb" --name "officer-37-names" --role province --area 37 \
	--allow personal > "$out/officer-names.token"
"$server" serve --db "$sdb" --listen 127.0.0.1:0 > "$out/server.out" 2> "$out/server.log" &
srv_pid=$!
for _ in $(seq 100); do grep -q listening "$out/server.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$out/server.out")
echo "serving on $url"

say "each device enrols once while in signal: it gets its forms from the server"
for c in 14404 14383 14620; do
	"$saola" init --db "$out/dev-$c.db" --server "$url" --token "${token[$c]}" | tail -1
done

say "the IT officer prepares a second tablet for 14620 by copying the first one's database"
cp "$out/dev-14620.db" "$out/dev-14620-copy.db"
echo "dev-14620-copy.db: the same origin as dev-14620.db ($("$saola" status --db "$out/dev-14620-copy.db" | sed -n 's/.*(device \([0-9a-f]*\).*/\1/p'))"

say "the communes' lists of households (where the review starts): how many each listed"
# No commune's count is public: the province's 143 are generated stand-ins
# that add up to its about 314,000 households; the three communes of the
# demo then give their own lists (a reload replaces a commune's count).
"$gen" --listing --count 314000 --seed 2024 --year 2024 > "$out/listed-2024-province.jsonl"
"$server" listed load --db "$sdb" "$out/listed-2024-province.jsonl"
for c in 14404 14383 14620; do
	"$gen" --listing --coverage 0.95 --count 320 --seed "${c}" --commune "$c" --year 2024
done > "$out/listed-2024.jsonl"
"$server" listed load --db "$sdb" "$out/listed-2024.jsonl"
"$server" listed list --db "$sdb" --year 2024 --area 372 | tail -4

say "offline in Xã Cúc Phương (14404): the example household, typed in"
export SAOLA_DB="$out/dev-14404.db" SAOLA_USER="surveyor-14404"
id=$("$saola" put --form household <<'JSON'
{"survey_year":2024,"province":"37","district":"372","commune":"14404","village":"Thôn Đồng Tâm",
 "household_id":"14404-DT-017","head_name":"Đinh Văn Hùng",
 "agri_household":true,"income_per_capita":1350000,"has_house":true,
 "walls_durable":true,"frame_durable":false,"roof_durable":false,
 "house_area_m2":30,"water_source":"protected_dug_well","latrine":"simple_pit",
 "internet_use":false,"info_devices":["radio"],"support_received":["health_insurance"],
 "poverty_causes":["no_capital","illness"],
 "members":[
  {"name":"Đinh Văn Hùng","sex":"male","birth_year":1971,"relation":"head","health_insurance":true,"employment":"self_employed","education":"lower_secondary","in_school":false,"disability":false,"undernourished":false},
  {"name":"Bùi Thị Lan","sex":"female","birth_year":1975,"relation":"spouse","health_insurance":false,"employment":"no_contract","education":"primary","in_school":false,"disability":false,"undernourished":false},
  {"name":"Đinh Thị Mai","sex":"female","birth_year":2015,"relation":"child","health_insurance":true,"employment":"not_working","education":"primary","in_school":true,"disability":false,"undernourished":true}]}
JSON
)
echo "saved $id; computed on the device (the area follows the commune: a xã is rural):"
"$saola" get "$id" | grep -E '"(area|deprivation_count|classification)"'
echo "a wrong answer is refused, saying what and where:"
echo '{"income_per_capita":"một triệu"}' | "$saola" put --form household --id "$id" || true
echo "so is a place that does not exist where the record says:"
echo '{"commune":"14620"}' | "$saola" put --form household --id "$id" || true

say "offline in three communes: the village collection files are imported"
for c in 14404 14383 14620; do
	"$gen" --count 300 --seed "${c}" --commune "$c" --year 2024 > "$out/village-$c.jsonl"
	"$saola" import --db "$out/dev-$c.db" --form household "$out/village-$c.jsonl"
done
"$saola" status --db "$out/dev-14620.db" | sed -n 2,3p
"$gen" --count 20 --seed 146201 --commune 14620 --year 2024 > "$out/village-14620-copy.jsonl"
"$saola" import --db "$out/dev-14620-copy.db" --form household "$out/village-14620-copy.jsonl"

say "a link appears: each device syncs (push and pull in the same round trips)"
for c in 14404 14383 14620; do
	echo "device $c:"
	"$saola" sync --db "$out/dev-$c.db" --stats | sed 's/^/  /'
done

echo "device 14620, the copy: the server sees the copy, which takes an origin of its own"
"$saola" sync --db "$out/dev-14620-copy.db" --stats 2>&1 | sed 's/^/  /'
"$saola" status --db "$out/dev-14620-copy.db" | grep -E '^(database|queued|re-origin)' | sed 's/^/  /'

say "a second sync has nothing to send or receive"
"$saola" sync --db "$out/dev-14404.db" --stats | sed 's/^/  /'

say "the surveyors of 14404 and 14383 hand their households to the commune; 14620's are still drafts"
for c in 14404 14383; do
	"$saola" submit --db "$out/dev-$c.db" --all --form household
	"$saola" sync --db "$out/dev-$c.db" >/dev/null
done
echo "Xã Cúc Phương's officer approves them (Thị trấn Nho Quan has not yet):"
unsupported "the officer of commune 14404 approves (saola-server review approve)" \
	"$server" review --db "$sdb" approve --area 14404 --year 2024 --by "officer-14404"

say "the official figures of 2024 (approved households), by commune, with coverage and progress"
"$server" report --db "$sdb" --year 2024 --area 37 --by commune --report summary
"$server" report --db "$sdb" --year 2024 --area 37 --report progress

say "every household, whatever its review state (--state all): figures in progress, not official"
"$server" report --db "$sdb" --year 2024 --area 37 --by commune --report summary --state all

say "Xã Cúc Phương's official lists, for the commune office (CSV, Vietnamese headers)"
"$server" lists --db "$sdb" --commune 14404 --year 2024 --labels vi > "$out/lists-14404.csv"
sed -n '1s/^\xef\xbb\xbf//;1,4p' "$out/lists-14404.csv" | cut -c1-160
echo "  ... $(($(wc -l < "$out/lists-14404.csv") - 1)) rows in $out/lists-14404.csv (names only with --personal)"

say "a year on: the 2025 review, in the units after 1 July 2025 (no districts; Ninh Bình merged with Hà Nam and Nam Định)"
# Thị trấn Nho Quan (14383) went into Thị trấn Nho Quan (14428) on
# 2025-01-01 and that into Xã Nho Quan (14428) on 2025-07-01, with Xã Đồng
# Phong and Xã Yên Quang: a surveyor of the new commune records the same
# households a year later (saola-gen moves them along the links).
echo "first, Thị trấn Nho Quan's officer approves its 2024 households at last:"
unsupported "the officer of commune 14383 approves (saola-server review approve)" \
	"$server" review --db "$sdb" approve --area 14383 --year 2024 --by "officer-14383"
token[14428]=$("$server" user add --db "$sdb" --name surveyor-14428 --role surveyor --area 14428)
"$saola" init --db "$out/dev-14428.db" --server "$url" --token "${token[14428]}" | tail -1
"$gen" --listing --coverage 0.95 --count 300 --seed 14383 --commune 14383 --years 2024,2025 |
	grep '"year":2025' > "$out/listed-2025.jsonl"
"$server" listed load --db "$sdb" "$out/listed-2025.jsonl"
"$gen" --count 300 --seed 14383 --commune 14383 --years 2024,2025 | tail -n 300 > "$out/village-14428-2025.jsonl"
"$saola" import --db "$out/dev-14428.db" --form household "$out/village-14428-2025.jsonl"
"$saola" submit --db "$out/dev-14428.db" --all --form household | sed 's/^/  /'
"$saola" sync --db "$out/dev-14428.db" >/dev/null
unsupported "the officer of commune 14428 approves (saola-server review approve)" \
	"$server" review --db "$sdb" approve --area 14428 --year 2025 --by "officer-14428"
echo "a report of 2025 by district is refused, saying why:"
"$server" report --db "$sdb" --year 2025 --area 37 --by district --report summary 2>&1 | sed 's/^/  /' || true
echo "2024's households of 14383 meet their 2025 selves in the new commune (transitions):"
"$server" report --db "$sdb" --year 2025 --area 37 --by commune --report transitions | sed -n '1,9p'
echo "and the plan's target, written for Ninh Bình before the merger, is followed through the mapping:"
"$server" report --db "$sdb" --year 2025 --area 37 --report progress | grep -E "^  (progress|trend|target|mapping|follow)" || true

say "the province's household list: the names only on request, with the permission"
if command -v curl >/dev/null 2>&1; then
	# the header line of the list (or the error), without the byte order mark
	list() {
		curl -sS -H "Authorization: Bearer $(cat "$out/$1")" "$url/v1/households.csv$2" |
			sed -n '1{s/^\xef\xbb\xbf//;p}' | cut -c1-180
	}
	echo "officer-37:"
	echo "  $(list officer.token '')"
	echo "officer-37, ?personal=1:"
	echo "  $(list officer.token '?personal=1')"
	echo "officer-37-names, ?personal=1:"
	echo "  $(list officer-names.token '?personal=1')"
else
	echo "(no curl: skipped)"
fi

say "the province's IT officer: a backup while the server serves, checked; the installation checked"
# (PostgreSQL: pg_dump's backups, which doctor does not look for.)
backups=()
if [ "$store" = postgres ]; then
	"$server" backup --db "$sdb" --to "$out/province.saola-backup" 2>&1 | sed 's/^/  /' || true
else
	backups=(--backups "$out")
	backup="$out/province-$(date -u +%Y%m%d-%H%M%S).saola-backup"
	"$server" backup --db "$sdb" --to "$backup" | sed 's/^/  /'
	"$server" restore --check --from "$backup" | sed 's/^/  /'
fi
# doctor says FAIL for what a real installation must mend (exit 1): shown,
# not fatal here.
{ "$server" doctor --db "$sdb" "${backups[@]}" --user "$(id -un)" || true; } | sed 's/^/  /'
if command -v curl >/dev/null 2>&1; then
	echo "what a monitoring system reads (GET /metrics, from the server's own machine):"
	curl -sS "$url/metrics" | grep -E '^saola_(http_requests_total\{[^}]*route="/v1/sync"|sync_changes_applied_total|conflicts_open|devices_seen)' |
		sed 's/^/  /'
fi

say "export for the commune office (CSV, UTF-8, opens in a spreadsheet)"
(cd "$out" && "$saola" export --db "$out/dev-14404.db" --form household --format csv --out households-14404)
echo
echo "the dashboard: $url/ (log in with the token in $out/officer.token); the printable lists: $url/lists.html?commune=14404&year=2024"
echo "demo files are in $out; the server log is $out/server.log"
if [ -n "$unsupported_steps" ]; then
	echo
	echo "on PostgreSQL, these steps are not supported yet (the figures above that depend on them differ from the SQLite demo):$unsupported_steps"
fi
