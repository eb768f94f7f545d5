#!/usr/bin/env bash
# device.sh: a surveyor's device within its means (issue 15): bench_device
# interviews N generated households through the interview API, a draft
# after every answer, and syncs them to a native saola-server (a fresh
# SQLite database each run, a surveyor of commune 14404), natively and, for
# each ARCH given whose cross-build exists (build-ARCH/, made by
# tests/arm/run.sh), under qemu-user. It prints each run's peak memory,
# times and database bytes per household, and checks that the server then
# holds exactly N households each time.
# Fails without figures (exit 1, the failure said on stderr) when a run or
# a check fails: every figure is printed only once all of them are in hand.
#
#   bench/device.sh BUILD_DIR N [ARCH...]   (ARCH: arm64, armhf)
#
# BUILD_DIR: a native build with the server and the benchmarks; Release
# for figures worth quoting (a sanitizer build's memory is not the
# program's).
set -u
if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bench/device.sh BUILD_DIR N [ARCH...]" >&2
	exit 2
fi
build=$(cd "$1" && pwd) || exit 1
n=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
server="$build/server/saola-server"
for tool in "$server" "$build/bench/bench_device"; do
	[ -x "$tool" ] || { echo "device.sh: $tool: not built" >&2; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "device.sh: sqlite3: not found" >&2; exit 1; }
work=$(mktemp -d /tmp/saola-device-XXXXXX) || exit 1
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# run NAME COMMAND...: one run against a fresh server; its figures in
# $work/NAME.out, or fails.
run() {
	local name="$1" dir="$work/$1" tok url k
	shift
	mkdir -p "$dir"
	"$server" forms load --db "$dir/server.db" --schemas "$here/schemas" >/dev/null || return 1
	tok=$("$server" user add --db "$dir/server.db" --name surveyor --role surveyor \
		--area 14404 | awk 'END { print $NF }') || return 1
	"$server" serve --db "$dir/server.db" --listen 127.0.0.1:0 >"$dir/server.log" 2>&1 &
	srv=$!
	for ((k = 0; k < 100; k++)); do
		url=$(grep -o 'http://127.0.0.1:[0-9]*' "$dir/server.log" | head -1)
		[ -n "$url" ] && break
		sleep 0.1
	done
	[ -n "$url" ] || { echo "device.sh: $name: the server did not start" >&2; return 1; }
	"$@" "$dir/device.db" "$url" "$tok" "$n" >"$work/$name.out" ||
		{ echo "device.sh: $name: bench_device failed" >&2; return 1; }
	kill "$srv"
	wait "$srv" 2>/dev/null
	srv=""
	got=$(sqlite3 "$dir/server.db" "SELECT count(*) FROM records WHERE form_id = 'household'")
	[ "$got" = "$n" ] ||
		{ echo "device.sh: $name: the server holds $got households, not $n" >&2; return 1; }
}

names=(native)
run native "$build/bench/bench_device" || { echo "device.sh: no figures" >&2; exit 1; }
for arch in "$@"; do
	case "$arch" in
	arm64) qemu=(qemu-aarch64 -L /) ;;
	armhf) qemu=(qemu-arm -L /) ;;
	*) echo "device.sh: $arch: not arm64 or armhf" >&2; exit 2 ;;
	esac
	bin="$here/build-$arch/bench/bench_device"
	[ -x "$bin" ] || { echo "device.sh: $bin: not built (tests/arm/run.sh $arch)" >&2; exit 1; }
	run "$arch" "${qemu[@]}" "$bin" || { echo "device.sh: no figures" >&2; exit 1; }
	names+=("$arch")
done
for name in "${names[@]}"; do
	echo "device: $name"
	sed 's/^/  /' "$work/$name.out"
done
