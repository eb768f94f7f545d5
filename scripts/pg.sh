#!/usr/bin/env bash
# pg.sh: a private, throwaway PostgreSQL cluster for the tests.
#
# Sourced (by run-tests): saola_pg_start makes a cluster in a new folder
# (mktemp -d), listening on a Unix socket in that folder and on 127.0.0.1
# at a free port, with trust authentication for its superuser "saola" (this
# cluster only: nothing else can reach it but local users), creates the
# database saola_test and exports
#   SAOLA_TEST_PG=postgresql://saola@127.0.0.1:PORT/saola_test
# saola_pg_stop stops it and removes the folder; saola_pg_start traps EXIT,
# INT and TERM so that this happens however the run ends.
#
# Run: scripts/pg.sh COMMAND [ARGS...] runs the command with SAOLA_TEST_PG
# set (e.g. scripts/pg.sh ctest -R test_db), then stops the cluster.
#
# initdb refuses to run as root: as root, the cluster runs as the user
# saola-pg when it exists, else as nobody.

saola_pg_dir=""
saola_pg_bin=""
saola_pg_user=""

# Where initdb, pg_ctl and postgres are: PATH, pg_config's bindir, Debian's
# /usr/lib/postgresql/VERSION/bin (newest first), /usr/local/bin.
saola_pg_find() {
	local d
	for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" \
		"$(pg_config --bindir 2>/dev/null)" \
		$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) /usr/local/bin /usr/local/pgsql/bin; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			# /usr/local/bin may hold links to a few of them only
			saola_pg_bin=$(dirname "$(readlink -f "$d/initdb")")
			return 0
		fi
	done
	echo "pg.sh: no initdb/pg_ctl found (install postgresql)" >&2
	return 1
}

# Runs a command as the cluster's user.
saola_pg_as() {
	if [ -n "$saola_pg_user" ]; then
		runuser -u "$saola_pg_user" -- "$@"
	else
		"$@"
	fi
}

# A TCP port on 127.0.0.1 that nothing listens on now (postgres may still
# lose it to a racer: saola_pg_start then tries another).
saola_pg_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
}

saola_pg_start() {
	local port try base
	saola_pg_find || return 1
	if [ "$(id -u)" -eq 0 ]; then
		saola_pg_user=nobody
		id saola-pg >/dev/null 2>&1 && saola_pg_user=saola-pg
	fi
	base="${TMPDIR:-/tmp}"
	# the cluster's user must reach its folder: /tmp when it cannot reach $TMPDIR
	if [ -n "$saola_pg_user" ] && ! runuser -u "$saola_pg_user" -- test -x "$base"; then
		base=/tmp
	fi
	saola_pg_dir=$(mktemp -d "$base/saola-pg.XXXXXX") || return 1
	trap saola_pg_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[ -n "$saola_pg_user" ] && chown "$saola_pg_user" "$saola_pg_dir"
	chmod 700 "$saola_pg_dir"
	if ! saola_pg_as "$saola_pg_bin/initdb" -D "$saola_pg_dir/data" -U saola --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$saola_pg_dir/initdb.log" 2>&1; then
		cat "$saola_pg_dir/initdb.log" >&2
		return 1
	fi
	# fsync off: a test cluster that a crash loses costs nothing.
	for try in 1 2 3 4 5; do
		port=$(saola_pg_port)
		if saola_pg_as "$saola_pg_bin/pg_ctl" -D "$saola_pg_dir/data" -w -t 60 \
			-l "$saola_pg_dir/server.log" \
			-o "-k $saola_pg_dir -h 127.0.0.1 -p $port -F -c max_connections=200" \
			start >/dev/null; then
			break
		fi
		port=""
	done
	if [ -z "$port" ]; then
		echo "pg.sh: postgres did not start:" >&2
		cat "$saola_pg_dir/server.log" >&2
		return 1
	fi
	if ! saola_pg_as "$saola_pg_bin/psql" -qX -h "$saola_pg_dir" -p "$port" -U saola \
		-d postgres -c "CREATE DATABASE saola_test" >/dev/null; then
		echo "pg.sh: cannot create saola_test" >&2
		return 1
	fi
	export SAOLA_TEST_PG="postgresql://saola@127.0.0.1:$port/saola_test"
	echo "pg.sh: PostgreSQL for the tests at $SAOLA_TEST_PG ($saola_pg_dir)" >&2
}

saola_pg_stop() {
	[ -n "$saola_pg_dir" ] || return 0
	if [ -f "$saola_pg_dir/data/postmaster.pid" ]; then
		saola_pg_as "$saola_pg_bin/pg_ctl" -D "$saola_pg_dir/data" -m immediate -w \
			stop >/dev/null 2>&1
	fi
	rm -rf "$saola_pg_dir"
	saola_pg_dir=""
	unset SAOLA_TEST_PG
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	if [ $# -eq 0 ]; then
		echo "usage: scripts/pg.sh COMMAND [ARGS...]" >&2
		exit 2
	fi
	saola_pg_start
	"$@"
fi
