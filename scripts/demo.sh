#!/usr/bin/env bash
# demo.sh BUILD_DIR: the main job. A surveyor's device, offline, records the
# households of a village: the example household by hand, then a village's
# worth generated; the device computes each household's deprivations and
# class on the spot and queues every change for sync.
set -euo pipefail
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
saola="$build/cli/saola"
gen="$build/tools/saola-gen"
out="$top/demo-out"
rm -rf "$out"
mkdir -p "$out"
export SAOLA_DB="$out/surveyor-14404.db" SAOLA_USER="surveyor-14404"

say() { printf '\n== %s\n' "$*"; }

say "enrol the device: create its database and load the forms and standards"
"$saola" init --schemas "$top/schemas"
"$saola" forms

say "record the example household of the domain page (Xã Cúc Phương, Nho Quan)"
id=$("$saola" put --form household <<'JSON'
{"province":"37","district":"372","commune":"14404","village":"Thôn Đồng Tâm",
 "area":"rural","survey_year":2025,"head_name":"Đinh Văn Hùng",
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
echo "saved household $id"
say "what the device computed for it, offline"
"$saola" get "$id" | grep -E '"(d_[a-z_]+|deprivation_count|classification)"'

say "a wrong answer is refused with what and where, and nothing is saved"
echo '{"members":[{"name":"X","sex":"male","birth_year":"1980"}]}' |
	"$saola" put --form household --id "$id" || true

say "a correction: the spouse got health insurance"
spouse=$("$saola" get "$id" | grep -o '"_id": "[0-9a-f]*"' | sed -n 2p | cut -d'"' -f4)
echo "{\"members\":[{\"_id\":\"$spouse\",\"health_insurance\":true}]}" |
	"$saola" put --form household --id "$id" >/dev/null
"$saola" get "$id" | grep -E '"(d_health_insurance|deprivation_count|classification)"'

say "the rest of the village: 150 households imported from the collection file"
"$gen" --count 150 --seed 7 --commune 14404 > "$out/village.jsonl"
"$saola" import --form household "$out/village.jsonl"
"$saola" list 2>/dev/null | sed -n 1,5p
echo "..."

say "a bad line in an import: the whole file is refused, the database is unchanged"
{ head -3 "$out/village.jsonl"; echo '{"province":"37","survey_year":"soon"}'; } > "$out/bad.jsonl"
"$saola" import --form household "$out/bad.jsonl" || true

say "the device's queue: every change waits for a link"
"$saola" status

say "export for the commune office (CSV, UTF-8)"
(cd "$out" && "$saola" export --form household --format csv --out households)
cut -c1-160 "$out/households.csv" | sed -n 1,3p; echo "..."
echo
echo "demo files are in $out"
