#!/usr/bin/env bash
# national.sh: the national-scale figures of issue 13, in part: N generated
# households (Ninh Binh's real units, as the generator uses) pushed into a
# fresh PostgreSQL store through the server's real write path (50 devices
# syncing to `saola-server serve` over HTTP on loopback: bench_ingest
# --per-device N/50; each batch one transaction), then:
#   the load time, and households/s;
#   bytes per household: pg_total_relation_size of records and facts (with
#     their indexes and TOAST) over the households;
#   `saola-server report` by province (every province) and by district for
#     province 37, each run 3 times (the first also brings the facts up to
#     date: reported apart).
# Fails without figures (exit 1, the failure said on stderr) when the load
# fails, the households stored are not exactly N, each once, a report
# fails, or the sizes cannot be read: every figure is printed only once all
# of them are in hand.
#
#   bench/national.sh BUILD_DIR N [PROCESSES]   (N a multiple of 50)
set -u
if [ $# -lt 2 ] || [ $# -gt 3 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]] || [ $(($2 % 50)) -ne 0 ] ||
   ! [[ ${3:-1} =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bench/national.sh BUILD_DIR N [PROCESSES]   (N a multiple of 50)" >&2
	exit 2
fi
build=$(cd "$1" && pwd) || exit 1
n=$2
procs=${3:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
server="$build/server/saola-server"
for tool in "$server" "$build/bench/bench_ingest"; do
	[ -x "$tool" ] || { echo "national.sh: $tool: not built" >&2; exit 1; }
done
for tool in psql curl bc python3; do
	command -v "$tool" >/dev/null || { echo "national.sh: $tool: not found" >&2; exit 1; }
done
work=$(mktemp -d /tmp/saola-national-XXXXXX) || exit 1
pids=()

. "$here/scripts/pg.sh"
saola_pg_start || exit 1
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; saola_pg_stop; rm -rf "$work"' EXIT
db="${SAOLA_TEST_PG%/*}/national"
psql -X -q "$SAOLA_TEST_PG" -c "CREATE DATABASE national" || exit 1
"$server" forms load --db "$db" --schemas "$here/schemas" >/dev/null || exit 1
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
urls=()
for ((i = 0; i < procs; i++)); do
	p=$(port)
	"$server" serve --db "$db" --listen "127.0.0.1:$p" --schemas "$here/schemas" \
		>"$work/server-$i.log" 2>&1 &
	pids+=($!)
	urls+=("http://127.0.0.1:$p")
	for ((k = 0; k < 100; k++)); do curl -s -o /dev/null "http://127.0.0.1:$p/v1/forms" && break; sleep 0.1; done
	[ $k -lt 100 ] || { echo "national.sh: the server at 127.0.0.1:$p does not answer" >&2; exit 1; }
done

load=$("$build/bench/bench_ingest" --per-device $((n / 50)) --db "$db" "${urls[@]}") || {
	echo "national.sh: load failed: no figures" >&2; exit 1; }
got=$(psql -X -A -t -F ' ' "$db" -c "SELECT count(*), count(DISTINCT id) FROM records WHERE form_id = 'household'")
if [ "$got" != "$n $n" ]; then
	echo "national.sh: households stored (count, distinct) = $got, expected $n each: no figures" >&2
	exit 1
fi
report() {  # report ARGS...: the seconds it took, or fails
	local t0 t1
	t0=$(date +%s.%N)
	"$server" report --db "$db" --state all --format csv "$@" >"$work/report.csv" || return 1
	t1=$(date +%s.%N)
	[ -s "$work/report.csv" ] || return 1
	echo "$t1 - $t0" | bc | grep -E '^[0-9]*\.?[0-9]+$'
}
prov=() dist=()
for r in 1 2 3; do
	t=$(report --by province) || { echo "national.sh: report by province failed" >&2; exit 1; }
	prov+=("$t")
	t=$(report --area 37 --by district) || { echo "national.sh: report by district failed" >&2; exit 1; }
	dist+=("$t")
done
bytes=$(psql -X -A -t "$db" -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
	WHERE c.relname IN ('records', 'facts') AND c.relkind = 'r'")
if ! [[ $bytes =~ ^[0-9]+$ ]]; then
	echo "national.sh: the size of records and facts could not be read: no figures" >&2
	exit 1
fi
tables=$(psql -X -A -t -F ' ' "$db" -c "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
	JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r'
	ORDER BY 2 DESC LIMIT 6") && [ -n "$tables" ] ||
	{ echo "national.sh: the largest tables could not be read: no figures" >&2; exit 1; }
tables=$(echo "$tables" | tr '\n' ',')
echo "national: $n households into PostgreSQL, $procs server process(es)"
echo "  load: $load"
echo "  bytes per household (records + facts, with indexes): $((bytes / n)) ($bytes bytes); largest tables: $tables"
echo "  report by province (every province), s: ${prov[*]}  (first one brings the facts up to date)"
echo "  report by district, province 37, s:     ${dist[*]}"
