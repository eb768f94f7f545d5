# deps.sh: sourced by run-demo and run-tests: installs with apt-get the
# Debian packages that saola builds and tests with, when they are missing.

# What only the tests need besides (./run-tests passes it to saola_deps):
# clang and libclang-rt-dev build and run the fuzz targets (tests/fuzz/run.sh:
# libFuzzer comes with clang's runtime; gcc has none); openssl is the command
# that makes tests/test_tls.c's certificate authorities and certificates;
# postgresql is the server the tests start a private cluster of (scripts/pg.sh);
# dpkg-dev (dpkg-shlibdeps: the packages' Depends), file and adduser are what
# tests/packages/run.sh makes and installs the Debian packages with.
SAOLA_TEST_DEPS="clang libclang-rt-dev openssl postgresql dpkg-dev file adduser"

saola_deps() {
	saola_install build-essential cmake pkg-config libsqlite3-dev sqlite3 libpq-dev libjansson-dev zlib1g-dev liblzma-dev libcurl4-openssl-dev libmicrohttpd-dev libgnutls28-dev libcmocka-dev libminizip-dev libexpat1-dev libxlsxwriter-dev curl chromium "$@"
}

# saola_install PKG...: installs with apt-get those of the packages that are
# missing. A package of another architecture (NAME:ARCH, tests/arm/run.sh's
# libraries) needs that architecture added to dpkg first: done when dpkg has
# not it yet. A failed apt-get update (a mirror half synchronised, say)
# does not stop it: apt-get install says what it then cannot find.
saola_install() {
	local missing="" p arch sudo=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing" >&2
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	for p in $missing; do
		case "$p" in *:*) arch=${p#*:} ;; *) continue ;; esac
		[ "$arch" = "$(dpkg --print-architecture)" ] && continue
		dpkg --print-foreign-architectures | grep -qx "$arch" ||
			$sudo dpkg --add-architecture "$arch" || return 1
	done
	$sudo apt-get update -qq >&2 ||
		echo "apt-get update failed: installing from the package lists there are" >&2
	# shellcheck disable=SC2086 # one word a package
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
}

# saola_build DIR [cmake options...]: configures and builds into DIR.
saola_build() {
	local dir="$1"; shift
	cmake -S "$SAOLA_TOP" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null &&
	cmake --build "$dir" -j "$(nproc)" >/dev/null
}
