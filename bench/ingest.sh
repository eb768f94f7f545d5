#!/usr/bin/env bash
# ingest.sh: the ingest figures of issue 13, side by side in one run:
# 50 devices x 1,000 new households pushed at once (bench_ingest) to
#   sqlite  one `saola-server serve` on a SQLite file;
#   pg1     one process on PostgreSQL;
#   pg3     three processes on one PostgreSQL database (devices round-robin).
# Each configuration gets a fresh store (a fresh database on a private
# cluster, scripts/pg.sh), runs RUNS times (default 3), alternating, and
# after each run counts the households stored through SQL: not exactly
# 50,000, each once, and the run fails without figures. The figures (each
# run's line on stderr, the summary on stdout) are printed only once every
# run of every configuration has passed; a failure says which on stderr and
# exits 1.
#
#   bench/ingest.sh BUILD_DIR [RUNS]     (BUILD_DIR: a Release build with
#                                         -DSAOLA_BENCH=ON)
set -u
if [ $# -lt 1 ] || [ $# -gt 2 ] || ! [[ ${2:-3} =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bench/ingest.sh BUILD_DIR [RUNS]" >&2
	exit 2
fi
build=$(cd "$1" && pwd) || exit 1
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
server="$build/server/saola-server"
ingest="$build/bench/bench_ingest"
for tool in "$server" "$ingest"; do
	[ -x "$tool" ] || { echo "ingest.sh: $tool: not built" >&2; exit 1; }
done
for tool in sqlite3 psql curl bc python3; do
	command -v "$tool" >/dev/null || { echo "ingest.sh: $tool: not found" >&2; exit 1; }
done
work=$(mktemp -d /tmp/saola-ingest-XXXXXX) || exit 1
pids=()
expected=50000

. "$here/scripts/pg.sh"
saola_pg_start || exit 1
pg_base=${SAOLA_TEST_PG%/*}

stop_servers() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=()
}
trap 'stop_servers; saola_pg_stop; rm -rf "$work"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts n servers on db; sets urls. Waits until each answers; fails when
# one does not within 10 s.
start_servers() {
	local db=$1 n=$2 i p
	urls=()
	"$server" forms load --db "$db" --schemas "$here/schemas" >/dev/null || return 1
	for ((i = 0; i < n; i++)); do
		p=$(port)
		"$server" serve --db "$db" --listen "127.0.0.1:$p" --schemas "$here/schemas" \
			>"$work/server-$i.log" 2>&1 &
		pids+=($!)
		urls+=("http://127.0.0.1:$p")
	done
	for u in "${urls[@]}"; do
		for ((i = 0; i < 100; i++)); do
			curl -s -o /dev/null "$u/v1/forms" && break
			sleep 0.1
		done
		if [ $i -eq 100 ]; then
			echo "ingest.sh: the server at $u does not answer" >&2
			return 1
		fi
	done
}

# The households stored, and the distinct ids among them: "N D".
count() {
	local kind=$1 db=$2 q="SELECT count(*), count(DISTINCT id) FROM records WHERE form_id = 'household'"
	if [ "$kind" = sqlite ]; then
		sqlite3 -separator ' ' "$db" "$q"
	else
		psql -X -A -t -F ' ' "$db" -c "$q"
	fi
}

# CPU ticks (user and system) the processes named have used so far.
ticks() {
	local p t=0 s
	for p in "$@"; do
		s=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) && t=$((t + s))
	done
	echo "$t"
}
# The cluster's backends: the postmaster's children (their connections
# last as long as the servers do, so a run's CPU is theirs before and
# after).
backends() { pgrep -P "$(head -1 "$saola_pg_dir/data/postmaster.pid")"; }
hz=$(getconf CLK_TCK)

# One run of one configuration; prints its line of figures or fails.
run_one() {
	local kind=$1 n=$2 r=$3 db out got
	if [ "$kind" = sqlite ]; then
		db="$work/sqlite-$r.db"
	else
		psql -X -q "$SAOLA_TEST_PG" -c "CREATE DATABASE ingest_${kind}_$r" || return 1
		db="$pg_base/ingest_${kind}_$r"
	fi
	start_servers "$db" "$n" || { stop_servers; return 1; }
	local s0 p0 s1 p1
	s0=$(ticks "${pids[@]}")
	[ "$kind" = sqlite ] && p0=0 || p0=$(ticks $(backends))
	out=$("$ingest" --db "$db" "${urls[@]}")
	local rc=$?
	s1=$(ticks "${pids[@]}")
	[ "$kind" = sqlite ] && p1=0 || p1=$(ticks $(backends))
	stop_servers
	out="$out, servers' cpu $(echo "scale=1; ($s1 - $s0) / $hz" | bc) s, postgres cpu $(echo "scale=1; ($p1 - $p0) / $hz" | bc) s"
	[ $rc -eq 0 ] || return 1
	got=$(count "$kind" "$db")
	if [ "$got" != "$expected $expected" ]; then
		echo "ingest.sh: $kind run $r: households stored (count, distinct) = $got," \
			"expected $expected each" >&2
		return 1
	fi
	echo "$kind $out"
}

results=()
for ((r = 1; r <= runs; r++)); do
	for cfg in "sqlite 1" "pg1 1" "pg3 3"; do
		set -- $cfg
		line=$(run_one "$1" "$2" "$r") || { echo "ingest.sh: $1 run $r failed: no figures" >&2; exit 1; }
		results+=("$line")
		echo "  run $r: $1 passed" >&2
	done
done
# The summary, made whole before any of it is printed.
summary="ingest: 50 devices x 1000 households, $runs runs each, alternating"
for cfg in sqlite pg1 pg3; do
	v=($(printf '%s\n' "${results[@]}" | awk -v c="$cfg" '$1 == c {
		for (i = 1; i <= NF; i++) if ($i == "households/s,") print $(i - 1) }' | sort -n))
	n=${#v[@]}
	if [ "$n" -ne "$runs" ]; then
		echo "ingest.sh: $cfg: $n rates of households/s in $runs runs: no figures" >&2
		exit 1
	fi
	summary+=$'\n'$(printf '  %-6s households/s: best %d, median %d, worst %d (n=%d)' "$cfg" \
		"${v[n-1]}" "${v[(n-1)/2]}" "${v[0]}" "$n")
done
# Where the 2 cores went: CPU microseconds per household, the mean of the
# runs, for the devices (bench_ingest's threads), the server processes and
# PostgreSQL's backends.
summary+=$'\n'"  CPU per household, microseconds (devices / servers / postgres):"
for cfg in sqlite pg1 pg3; do
	line=$(printf '%s\n' "${results[@]}" | awk -v c="$cfg" -v n="$expected" '$1 == c {
		for (i = 1; i <= NF; i++) {
			if ($i == "devices'"'"'") d += $(i + 2)
			if ($i == "servers'"'"'") s += $(i + 2)
			if ($i == "postgres") p += $(i + 2)
		}
		k++ }
		END { printf "  %-6s %d / %d / %d", c, d / k / n * 1e6, s / k / n * 1e6, p / k / n * 1e6 }') ||
		{ echo "ingest.sh: $cfg: the CPU per household could not be summed: no figures" >&2; exit 1; }
	summary+=$'\n'"$line"
done
for ((i = 0; i < ${#results[@]}; i++)); do
	echo "  run $((i / 3 + 1)): ${results[i]}" >&2
done
echo "$summary"
