#!/usr/bin/env bash
# bench/backup.sh BUILD [N]: backup and restore of a server database of N
# generated households (default 20000), with BUILD's own commands (a
# Release tree: cli/saola, server/saola-server, tools/saola-gen). A device
# imports them and syncs them to a saola-server, which then serves while
# `saola-server backup` runs; then `restore --check` and `restore`.
# Prints the sizes, seconds and peak memory of each, and nothing (exit 1)
# when any step fails or the restored database lacks a household.
set -euo pipefail
[ -x /usr/bin/time ] || { echo "backup.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
b=$1; n=${2:-20000}; d=$(mktemp -d)
top=$(cd "$(dirname "$0")/.." && pwd)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$d"' EXIT
timed() { /usr/bin/time -f '%e %M' -o "$d/t" "$@" >/dev/null; read -r secs kib < "$d/t"; }
"$b/tools/saola-gen" --count "$n" --seed 11 --commune 14404 > "$d/h.jsonl"
"$b/server/saola-server" forms load --db "$d/s.db" --schemas "$top/schemas" >/dev/null
tok=$("$b/server/saola-server" user add --db "$d/s.db" --name lan --role surveyor --area 14404)
"$b/server/saola-server" serve --db "$d/s.db" --listen 127.0.0.1:0 > "$d/out" 2>/dev/null & pid=$!
for _ in $(seq 100); do grep -q listening "$d/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$d/out")
"$b/cli/saola" init --db "$d/dev.db" --server "$url" --token "$tok" >/dev/null
"$b/cli/saola" import --db "$d/dev.db" --form household "$d/h.jsonl" >/dev/null
"$b/cli/saola" sync --db "$d/dev.db" >/dev/null
db_bytes=$(( $(stat -c %s "$d/s.db") + $(stat -c %s "$d/s.db-wal" 2>/dev/null || echo 0) ))
timed "$b/server/saola-server" backup --db "$d/s.db" --to "$d/s.saola-backup"
b_secs=$secs b_kib=$kib
timed "$b/server/saola-server" restore --check --from "$d/s.saola-backup"
c_secs=$secs c_kib=$kib
timed "$b/server/saola-server" restore --from "$d/s.saola-backup" --db "$d/r.db"
r_secs=$secs r_kib=$kib
got=$(sqlite3 "$d/r.db" "SELECT count(*) FROM records")
[ "$got" = "$n" ] || { echo "backup.sh: the restored database holds $got households, not $n" >&2; exit 1; }
[ "$(sqlite3 "$d/r.db" "PRAGMA integrity_check")" = ok ] || { echo "backup.sh: integrity_check" >&2; exit 1; }
echo "households: $n; database (file + WAL): $db_bytes bytes; backup: $(stat -c %s "$d/s.saola-backup") bytes"
echo "backup (while serving): $b_secs s, $b_kib KiB peak; restore --check: $c_secs s, $c_kib KiB; restore: $r_secs s, $r_kib KiB"
