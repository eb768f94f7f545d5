#!/usr/bin/env bash
# tests/arm/run.sh [ARCH...]: cross-builds a device's part (SAOLA_SERVER=OFF:
# the library, the sync client, `saola` and their tests) for each ARCH
# (arm64, armhf; both by default) with Debian's cross gcc, Release and
# warnings as errors, into build-ARCH/; prints the sizes of `saola` and
# libsaola.so, stripped and not; and runs the tests labelled "arm" under
# qemu-user (ctest -L arm), and checks that its saola-gen gives the same
# households as the native one. test_sync_device's saola-server is a
# native one: $SAOLA_TEST_SERVER, else build-release-server's (built here,
# with the native saola-gen beside it).
# Installs the cross toolchains, qemu-user and the ARCH -dev packages when
# missing (scripts/deps.sh). Exits 1 when a build or a test fails.
# ./run-tests runs it after the native tests (SAOLA_ARM=0 skips it);
# docs/device.md, "ARM".
set -euo pipefail
SAOLA_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SAOLA_TOP/scripts/deps.sh"
archs="${*:-arm64 armhf}"

qemu_of() {
	case "$1" in
	arm64) echo aarch64 ;;
	armhf) echo arm ;;
	esac
}

triple_of() {
	case "$1" in
	arm64) echo aarch64-linux-gnu ;;
	armhf) echo arm-linux-gnueabihf ;;
	*) return 1 ;;
	esac
}

pkgs="qemu-user"
for arch in $archs; do
	if ! triple=$(triple_of "$arch"); then
		echo "usage: tests/arm/run.sh [arm64|armhf]..." >&2
		exit 2
	fi
	pkgs="$pkgs gcc-$triple"
	for p in libsqlite3-dev libjansson-dev zlib1g-dev liblzma-dev libcurl4-openssl-dev \
		libcmocka-dev; do
		pkgs="$pkgs $p:$arch"
	done
done
# shellcheck disable=SC2086 # one word a package
if ! saola_deps $pkgs; then
	echo "arm: the cross packages did not install (SAOLA_ARM=0 ./run-tests skips this part)" >&2
	exit 1
fi

server="${SAOLA_TEST_SERVER:-}"
if [ -z "$server" ]; then
	rel="$SAOLA_TOP/build-release-server"
	server="$rel/server/saola-server"
	echo "arm: building the native saola-server for test_sync_device in $rel..."
	if ! { cmake -S "$SAOLA_TOP" -B "$rel" -DCMAKE_BUILD_TYPE=Release -DSAOLA_TESTS=OFF \
		-DSAOLA_BENCH=OFF -DSAOLA_WERROR=ON >/dev/null &&
		cmake --build "$rel" -j "$(nproc)" --target saola-server saola-gen >/dev/null; }; then
		cmake --build "$rel" -j "$(nproc)" --target saola-server # show the errors
		exit 1
	fi
fi
# The native generator, beside the server (./run-tests builds both).
gen="$(dirname "$(dirname "$server")")/tools/saola-gen"
[ -x "$gen" ] || { echo "arm: $gen: not built" >&2; exit 1; }

# "NAME BYTES (stripped BYTES)" of a built file, stripped with the target's
# strip into a scratch copy.
size_of() {
	local triple="$1" file="$2" tmp n s
	tmp=$(mktemp)
	n=$(stat -L -c %s "$file")
	"$triple-strip" -o "$tmp" "$file"
	s=$(stat -c %s "$tmp")
	rm -f "$tmp"
	printf "%s %d bytes (stripped %d)" "$(basename "$file")" "$n" "$s"
}

failed=""
for arch in $archs; do
	triple=$(triple_of "$arch")
	build="$SAOLA_TOP/build-$arch"
	start=$(date +%s)
	echo "arm: $arch: building in $build (Release, warnings as errors)..."
	if ! { cmake -S "$SAOLA_TOP" -B "$build" \
		-DCMAKE_TOOLCHAIN_FILE="$SAOLA_TOP/cmake/$triple.cmake" -DCMAKE_BUILD_TYPE=Release \
		-DSAOLA_SERVER=OFF -DSAOLA_XLSFORM=OFF -DSAOLA_TESTS=ON -DSAOLA_WERROR=ON \
		-DSAOLA_TEST_SERVER="$server" >/dev/null &&
		cmake --build "$build" -j "$(nproc)" >/dev/null; }; then
		cmake --build "$build" -j "$(nproc)" # show the errors
		failed="$failed $arch"
		continue
	fi
	built=$(date +%s)
	echo "arm: $arch: $(size_of "$triple" "$build/cli/saola"), $(size_of "$triple" "$build/core/libsaola.so")"
	if ! (cd "$build" && ctest -L arm --output-on-failure -j "$(nproc)"); then
		failed="$failed $arch"
	fi
	# The generator's promise, which the tests and benchmarks lean on: a
	# seed gives the same households on every machine (C leaves the order
	# of a call's arguments to the compiler, and once gave other members
	# on arm64).
	genargs=(--count 2000 --seed 3 --years 2022,2023,2024,2025 --schemas "$SAOLA_TOP/schemas")
	if ! cmp -s <("$gen" "${genargs[@]}") \
		<("qemu-$(qemu_of "$arch")" -L / "$build/tools/saola-gen" "${genargs[@]}"); then
		echo "arm: $arch: saola-gen gives other households than the native one" >&2
		failed="$failed $arch"
	fi
	echo "arm: $arch: built in $((built - start)) s, tested in $(($(date +%s) - built)) s"
done
if [ -n "$failed" ]; then
	echo "arm: failed:$failed" >&2
	exit 1
fi
