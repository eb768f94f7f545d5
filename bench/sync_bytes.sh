#!/usr/bin/env bash
# bench/sync_bytes.sh BUILD [NAME]: the bytes on the wire of one sync of 300
# generated households and of an empty second sync, with BUILD's own saola
# and saola-server (a Release tree: cli/saola, server/saola-server,
# tools/saola-gen). Run it for two builds in one go to compare them, e.g.
# the epoch's cost (issue 17): a build of the commit before beside HEAD's.
# Prints nothing and exits 1 when any step fails.
set -euo pipefail
b=$1; name=${2:-$1}; d=$(mktemp -d)
top=$(cd "$(dirname "$0")/.." && pwd)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$d"' EXIT
"$b/tools/saola-gen" --count 300 --seed 7 --commune 14404 > "$d/h.jsonl"
"$b/server/saola-server" forms load --db "$d/s.db" --schemas "$top/schemas" >/dev/null
tok=$("$b/server/saola-server" user add --db "$d/s.db" --name lan --role surveyor --area 14404)
"$b/server/saola-server" serve --db "$d/s.db" --listen 127.0.0.1:0 > "$d/out" 2>"$d/log" & pid=$!
for _ in $(seq 100); do grep -q listening "$d/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$d/out")
"$b/cli/saola" init --db "$d/dev.db" --server "$url" --token "$tok" >/dev/null
"$b/cli/saola" import --db "$d/dev.db" --form household "$d/h.jsonl" >/dev/null
first=$("$b/cli/saola" sync --db "$d/dev.db" --stats | awk '/bytes up/{u=$3}/bytes down/{dn=$3}END{print u, dn}')
second=$("$b/cli/saola" sync --db "$d/dev.db" --stats | awk '/bytes up/{u=$3}/bytes down/{dn=$3}END{print u, dn}')
[ "$(echo $first $second | wc -w)" = 4 ] || { echo "sync_bytes: a sync gave no figures" >&2; exit 1; }
echo "$name: 300 households: up/down $first; empty sync: up/down $second"
