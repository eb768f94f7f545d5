#!/usr/bin/env bash
# tests/packages/run.sh [BUILD_DIR]: the Debian packages (docs/packaging.md).
# Configures a Release tree for /usr in BUILD_DIR (default build-pkg; kept
# between runs, so a second run only rebuilds what changed), builds it,
# makes the packages with `cpack -G DEB`, and checks them: their files
# (nothing but what each should hold), conffiles, Depends (the host's
# library packages, from dpkg-shlibdeps), saola.pc. Then installs the three
# with dpkg into a scratch root (dpkg --root, maintainer scripts run
# chrootless with DPKG_ROOT set), and runs what they installed: the two
# commands' --version, `saola init` and `saola-server forms load` on the
# installed schemas, `saola-server serve` for a moment, a program built
# against libsaola-dev (shared and static), backup-rotate against a stand-in
# saola-server (and the real `saola-server backup` once it exists), the
# units through `systemd-analyze verify` when there is one; then upgrades
# and purges saola-server there. As root, also installs them for real in a
# chroot on a throwaway overlay of this system (overlay.sh): adduser, the
# ldconfig trigger, systemctl enable, upgrade, purge. Nothing of the host
# is changed (its users, its systemd state are checked unchanged). Exits 1
# with the reason on the first failure. ctest runs it as test_packages
# (labels slow, packages).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# $SAOLA_TEST_PKG_BUILD, when set, wins: ./run-tests gives its Release tree,
# configured as below already, so that nothing is built twice.
build=${SAOLA_TEST_PKG_BUILD:-${1:-$top/build-pkg}}
case $build in /*) ;; *) build=$PWD/$build ;; esac
started=$(date +%s)

. "$here/lib.sh"
step() { echo "-- [$(($(date +%s) - started)) s] $*"; }

for c in cmake cpack dpkg dpkg-deb dpkg-query dpkg-shlibdeps dpkg-architecture file cc pkg-config; do
	command -v "$c" >/dev/null || fail "$c not found (dpkg-dev, file, build-essential, pkg-config: scripts/deps.sh)"
done
version=$(sed -n 's/^project(saola VERSION \([0-9][0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ -n "$version" ] || fail "no version in $top/CMakeLists.txt's project()"
arch=$(dpkg --print-architecture)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=/usr/lib/$ma

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saola-packages.XXXXXX")
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
log=$tmp/log


step "configure and build (Release, prefix /usr) in $build"
mkdir -p "$build"
run "cmake" cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
	-DSAOLA_TESTS=OFF -DSAOLA_BENCH=OFF -DSAOLA_SERVER=ON -DSAOLA_XLSFORM=ON \
	-DSAOLA_SANITIZE=OFF -DSAOLA_FUZZ=OFF
run "the build" cmake --build "$build" -j "$(nproc)"
built=$(date +%s)

step "cpack -G DEB"
rm -f "$build"/*.deb
(cd "$build" && run "cpack" cpack -G DEB)
deb_saola=$build/saola_${version}-1_${arch}.deb
deb_server=$build/saola-server_${version}-1_${arch}.deb
deb_dev=$build/libsaola-dev_${version}-1_${arch}.deb
for d in "$deb_saola" "$deb_server" "$deb_dev"; do
	[ -f "$d" ] || fail "$(basename "$d") not made (made: $(cd "$build" && ls ./*.deb 2>/dev/null | tr '\n' ' '))"
done
[ "$(find "$build" -maxdepth 1 -name '*.deb' | wc -l)" -eq 3 ] ||
	fail "cpack made other packages than the three: $(cd "$build" && ls ./*.deb | tr '\n' ' ')"

# files DEB: its files and links (not folders), one a line, without "./".
files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./||'; }

# only DEB PATTERN...: every file of DEB matches one of the (grep -E,
# anchored) patterns, and each pattern matches a file.
only() {
	local deb=$1 p list
	shift
	list=$(files "$deb")
	for p in "$@"; do
		grep -Eq "^($p)\$" <<<"$list" || fail "$(basename "$deb"): no file matches $p"
	done
	p=$(printf '%s|' "$@")
	p=${p%|}
	if grep -Ev "^($p)\$" <<<"$list" >"$log"; then
		fail "$(basename "$deb") holds what it should not: $(tr '\n' ' ' <"$log")"
	fi
}

step "contents"
only "$deb_saola" usr/bin/saola "usr/lib/$ma/libsaola\.so\.0" "usr/lib/$ma/libsaola\.so\.$version" \
	"usr/share/saola/schemas/forms/household\.json" "usr/share/saola/schemas/(forms|standards|units|targets)/[^/]+\.json"
only "$deb_server" usr/bin/saola-server usr/lib/systemd/system/saola-server\.service \
	usr/lib/systemd/system/saola-server-backup\.service usr/lib/systemd/system/saola-server-backup\.timer \
	usr/lib/saola/backup-rotate etc/default/saola-server
only "$deb_dev" usr/include/saola/core\.h usr/include/saola/form\.h "usr/lib/$ma/libsaola\.a" \
	"usr/lib/$ma/libsaola\.so" "usr/lib/$ma/pkgconfig/saola\.pc"
grep -q '^-rw-r----- root/root .* \./etc/default/saola-server$' <<<"$(dpkg-deb -c "$deb_server")" ||
	fail "/etc/default/saola-server is not root:root 0640"
dpkg-deb -I "$deb_server" conffiles >"$log" 2>&1 || fail "saola-server has no conffiles"
[ "$(cat "$log")" = /etc/default/saola-server ] ||
	fail "saola-server's conffiles: expected /etc/default/saola-server, got: $(cat "$log")"
grep -qx 'activate-noawait ldconfig' <<<"$(dpkg-deb -I "$deb_saola" triggers)" ||
	fail "saola does not activate the ldconfig trigger"
grep -qx "libsaola 0 saola (>= ${version}-1)" <<<"$(dpkg-deb -I "$deb_saola" shlibs)" ||
	fail "saola's shlibs: $(dpkg-deb -I "$deb_saola" shlibs 2>&1)"

step "Depends"
# The package the host's build took a library from (dpkg -S), without
# its :arch; e.g. libsqlite3-0, libmicrohttpd12 (libmicrohttpd12t64 on
# later Debian).
pkg_of() {
	local path
	path=$(ldd "$build/server/saola-server" | awk -v l="$1" '$1 == l { print $3 }')
	[ -n "$path" ] || fail "saola-server does not link $1"
	path=$(readlink -f "$path")
	local pkg
	pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null) || fail "no package holds $path"
	sed -n '1s/[:,].*//p' <<<"$pkg"
}
# has_dep DEB NAME: NAME is one of DEB's Depends (with or without a version).
has_dep() {
	grep -qx "$2" <<<"$(dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ *(.*//')" ||
		fail "$(basename "$1")'s Depends lack $2: $(dpkg-deb -f "$1" Depends)"
}
for d in "$deb_saola" "$deb_server" "$deb_dev"; do
	[ -n "$(dpkg-deb -f "$d" Depends)" ] || fail "$(basename "$d") has no Depends"
	echo "   $(dpkg-deb -f "$d" Package): $(dpkg-deb -f "$d" Depends)"
done
sqlite_pkg=$(pkg_of libsqlite3.so.0)
jansson_pkg=$(pkg_of libjansson.so.4)
mhd_pkg=$(pkg_of libmicrohttpd.so.12)
pq_pkg=$(pkg_of libpq.so.5)
for p in "$sqlite_pkg" "$jansson_pkg" "$mhd_pkg" "$pq_pkg" adduser saola; do
	has_dep "$deb_server" "$p"
done
grep -q "saola (= ${version}-1)" <<<"$(dpkg-deb -f "$deb_server" Depends)" ||
	fail "saola-server does not depend on saola (= ${version}-1)"
for p in "$sqlite_pkg" "$jansson_pkg"; do
	has_dep "$deb_saola" "$p"
done
for p in saola libjansson-dev libsqlite3-dev; do
	has_dep "$deb_dev" "$p"
done
for d in "$deb_saola" "$deb_server" "$deb_dev"; do
	[ "$(dpkg-deb -f "$d" Version)" = "${version}-1" ] || fail "$(basename "$d"): Version $(dpkg-deb -f "$d" Version)"
	[ "$(dpkg-deb -f "$d" Maintainer)" != "" ] || fail "$(basename "$d"): no Maintainer"
done

step "install into a scratch root with dpkg"
R=$tmp/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/var/log"
touch "$R/var/lib/dpkg/status"
# The host's state that the maintainer scripts must leave alone.
host_state() {
	getent passwd saola || true
	getent group saola || true
	find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
		/var/lib/systemd/deb-systemd-helper-masked -name '*saola*' 2>/dev/null || true
	ls -d /var/lib/saola /var/backups/saola 2>/dev/null || true
}
host_before=$(host_state)
dpkg_root=(dpkg --root="$R" --log="$R/var/log/dpkg.log" --force-script-chrootless --force-depends)
[ "$(id -u)" -eq 0 ] || dpkg_root+=(--force-not-root)
run "dpkg -i" "${dpkg_root[@]}" -i "$deb_saola" "$deb_server" "$deb_dev"
grep -q "DPKG_ROOT=$R: the user saola is not made" "$log" ||
	fail "saola-server's postinst did not say it skipped the user under DPKG_ROOT"
status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${db:Status-Abbrev}${Package} ${Version}\n')
echo "$status" | sed 's/^/   /'
for p in saola saola-server libsaola-dev; do
	grep -qx "ii $p ${version}-1" <<<"$status" || fail "$p is not installed (ii) in the scratch root"
done
for d in var/lib/saola var/backups/saola; do
	[ "$(stat -c %a "$R/$d" 2>/dev/null)" = 750 ] || fail "the postinst did not make /$d (0750) under DPKG_ROOT"
done
[ "$(host_state)" = "$host_before" ] || fail "installing into $R changed the host: $(host_state)"

step "the installed commands"
export LD_LIBRARY_PATH=$R$libdir
out=$("$R/usr/bin/saola-server" --version) || fail "saola-server --version failed"
[ "$out" = "saola-server $version" ] || fail "saola-server --version: \"$out\", expected \"saola-server $version\""
out=$("$R/usr/bin/saola" --version) || fail "saola --version failed"
[ "$out" = "saola $version" ] || fail "saola --version: \"$out\", expected \"saola $version\""
echo "   $("$R/usr/bin/saola-server" --version); $("$R/usr/bin/saola" --version)"
for b in saola saola-server; do
	grep -aq /usr/share/saola/schemas "$R/usr/bin/$b" ||
		fail "$b does not look for the schemas in /usr/share/saola/schemas (configured for another prefix?)"
done
schemas=$R/usr/share/saola/schemas
run "saola init" "$R/usr/bin/saola" init --db "$tmp/device.db" --schemas "$schemas"
grep -Eq "[1-9][0-9]* forms? loaded from $schemas" "$log" || fail "saola init: $(cat "$log")"
run "saola forms" "$R/usr/bin/saola" forms --db "$tmp/device.db"
grep -q household "$log" || fail "saola forms does not list the household form: $(cat "$log")"
run "saola-server forms load" "$R/usr/bin/saola-server" forms load --db "$tmp/server.db" --schemas "$schemas"
"$R/usr/bin/saola-server" serve --db "$tmp/server.db" --listen 127.0.0.1:0 --schemas "$schemas" \
	>"$tmp/serve.out" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
	grep -q '^listening on http://127.0.0.1:[0-9]' "$tmp/serve.out" && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.2
done
grep -q '^listening on' "$tmp/serve.out" || fail "saola-server serve: $(cat "$tmp/serve.out")"
kill "$server_pid"
wait "$server_pid" || fail "saola-server serve did not stop cleanly on SIGTERM: $(cat "$tmp/serve.out")"
server_pid=
echo "   saola init, saola forms, saola-server forms load and serve: ok"

step "a program built against libsaola-dev"
export PKG_CONFIG_PATH=$R$libdir/pkgconfig
[ "$(pkg-config --modversion saola)" = "$version" ] || fail "pkg-config --modversion saola: $(pkg-config --modversion saola)"
grep -qx "libdir=$libdir" "$R$libdir/pkgconfig/saola.pc" || fail "saola.pc: libdir is not $libdir"
grep -qx "includedir=/usr/include" "$R$libdir/pkgconfig/saola.pc" || fail "saola.pc: includedir is not /usr/include"
# saola.pc's paths are /usr's: the scratch root's are given before them.
# shellcheck disable=SC2046 # pkg-config's words
run "cc (shared)" cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$tmp/use" "$here/use.c" \
	-I"$R/usr/include" -L"$R$libdir" $(pkg-config --cflags --libs saola)
# shellcheck disable=SC2046
run "cc (static)" cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$tmp/use-static" "$here/use.c" \
	-I"$R/usr/include" $(pkg-config --cflags saola) "$R$libdir/libsaola.a" \
	$(pkg-config --static --libs saola | sed 's/-lsaola\b//')
grep -q "libsaola.so.0 => $R$libdir/libsaola.so.0" <<<"$(ldd "$tmp/use")" ||
	fail "use does not load libsaola.so.0 from the scratch root: $(ldd "$tmp/use")"
! grep -q libsaola <<<"$(ldd "$tmp/use-static")" || fail "use-static loads a libsaola.so"
for p in use use-static; do
	out=$("$tmp/$p" "$tmp/$p.db" "$schemas") || fail "$p: $out"
	grep -Eq "^libsaola $version: [1-9][0-9]* forms$" <<<"$out" || fail "$p: \"$out\""
done
echo "   $out (shared and static)"

step "backup-rotate"
rotate=$R/usr/lib/saola/backup-rotate
b=$tmp/backups
mkdir -p "$b"
# A stand-in saola-server: `backup --db DB --to FILE` writes FILE, or fails
# after writing half of it when $STUB_FAIL is set.
cat >"$tmp/stub" <<'EOF'
#!/bin/sh
[ "$1" = backup ] && [ "$2" = --db ] && [ "$4" = --to ] || exit 64
echo "backup of $3" >"$5"
[ -z "${STUB_FAIL:-}" ] || exit 1
EOF
chmod +x "$tmp/stub"
for i in 1 2 3 4 5; do echo old >"$b/server-2020010$i-000000.saola-backup"; done
echo keep >"$b/other-file"
run "backup-rotate" env SAOLA_SERVER="$tmp/stub" SAOLA_DB=/nowhere/server.db SAOLA_BACKUP_DIR="$b" \
	SAOLA_BACKUP_KEEP=3 "$rotate"
left=$(cd "$b" && ls)
new=$(cd "$b" && find . -name 'server-*.saola-backup' ! -name 'server-2020*' | sed 's|^\./||')
[ -n "$new" ] && [ "$(cat "$b/$new")" = "backup of /nowhere/server.db" ] || fail "backup-rotate made no backup: $left"
[ "$(printf '%s\n' "$left" | tr '\n' ' ')" = "other-file server-20200104-000000.saola-backup server-20200105-000000.saola-backup $new " ] ||
	fail "backup-rotate kept: $(tr '\n' ' ' <<<"$left"); expected the 2 newest old ones, the new one and other-file"
before=$(cd "$b" && ls -a)
if env SAOLA_SERVER="$tmp/stub" STUB_FAIL=1 SAOLA_BACKUP_DIR="$b" SAOLA_BACKUP_KEEP=1 "$rotate" >"$log" 2>&1; then
	fail "backup-rotate succeeded with a failing backup"
fi
[ "$(cd "$b" && ls -a)" = "$before" ] || fail "a failed backup changed the folder: $(cd "$b" && ls -a | tr '\n' ' ')"
for keep in 0 x -1; do
	rc=0
	env SAOLA_SERVER="$tmp/stub" SAOLA_BACKUP_DIR="$b" SAOLA_BACKUP_KEEP="$keep" "$rotate" >"$log" 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "backup-rotate with SAOLA_BACKUP_KEEP=$keep: exit $rc, expected 2"
done
[ "$(cd "$b" && ls -a)" = "$before" ] || fail "backup-rotate with a bad SAOLA_BACKUP_KEEP changed the folder"
echo "   keeps the newest, deletes nothing when the backup fails: ok"
if "$R/usr/bin/saola-server" backup --help >/dev/null 2>&1; then
	mkdir "$tmp/backups-real"
	run "backup-rotate with saola-server backup" env SAOLA_SERVER="$R/usr/bin/saola-server" \
		SAOLA_DB="$tmp/server.db" SAOLA_BACKUP_DIR="$tmp/backups-real" SAOLA_BACKUP_KEEP=14 "$rotate"
	[ "$(find "$tmp/backups-real" -name 'server-*.saola-backup' -size +0 | wc -l)" -eq 1 ] ||
		fail "backup-rotate with saola-server backup made no backup: $(cat "$log")"
	echo "   with the real saola-server backup: $(tail -n 1 "$log")"
else
	echo "   with the real saola-server backup: skipped (this saola-server has no backup command)"
fi

step "the units"
unit_dir=$R/usr/lib/systemd/system
for d in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
	"CapabilityBoundingSet=" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" StateDirectory=saola \
	User=saola "EnvironmentFile=-/etc/default/saola-server" "ReadWritePaths=/var/lib/saola"; do
	grep -qx "$d" "$unit_dir/saola-server.service" || fail "saola-server.service lacks $d"
done
# shellcheck disable=SC2016 # systemd's ${NAME}, literally
grep -qx 'ExecStart=/usr/bin/saola-server serve --db ${SAOLA_DB} --listen ${SAOLA_LISTEN} $SAOLA_OPTS' \
	"$unit_dir/saola-server.service" || fail "saola-server.service: ExecStart: $(grep ExecStart "$unit_dir/saola-server.service")"
grep -qx "ReadWritePaths=/var/lib/saola /var/backups/saola" "$unit_dir/saola-server-backup.service" ||
	fail "saola-server-backup.service cannot write /var/backups/saola"
grep -qx "SAOLA_LISTEN=127.0.0.1:8080" "$R/etc/default/saola-server" || fail "/etc/default/saola-server does not listen on 127.0.0.1:8080"
if command -v systemd-analyze >/dev/null; then
	# The units with their commands moved into the scratch root (verify
	# checks that ExecStart's program is there).
	v=$tmp/verify
	mkdir -p "$v"
	for u in saola-server.service saola-server-backup.service saola-server-backup.timer; do
		sed -e "s|=/usr/bin/|=$R/usr/bin/|; s|=/usr/lib/saola/|=$R/usr/lib/saola/|" "$unit_dir/$u" >"$v/$u"
	done
	(cd "$v" && run "systemd-analyze verify" systemd-analyze verify ./saola-server.service \
		./saola-server-backup.service ./saola-server-backup.timer)
	[ ! -s "$log" ] || fail "systemd-analyze verify: $(cat "$log")"
	# The exposure score (0 safest, 10 worst): at most 2.
	for u in saola-server.service saola-server-backup.service; do
		if systemd-analyze security --offline=true "$v/$u" >"$log" 2>&1; then
			score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$log")
			awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' ||
				fail "$u: exposure $score (systemd-analyze security), expected 2.0 or less"
			echo "   $u: systemd-analyze verify ok, exposure $score"
		else
			echo "   $u: systemd-analyze verify ok; security --offline not supported here: skipped"
		fi
	done
else
	echo "   systemd-analyze not found: the units' verification is skipped"
fi

step "upgrade (the same version again) and purge of saola-server"
echo "SAOLA_LISTEN=0.0.0.0:8443" >>"$R/etc/default/saola-server"
run "dpkg -i (again)" "${dpkg_root[@]}" -i "$deb_server"
grep -qx "SAOLA_LISTEN=0.0.0.0:8443" "$R/etc/default/saola-server" || fail "reinstalling lost the admin's /etc/default/saola-server"
echo data >"$R/var/lib/saola/server.db"
run "dpkg -P saola-server" "${dpkg_root[@]}" -P saola-server
[ ! -e "$R/etc/default/saola-server" ] || fail "purge left /etc/default/saola-server"
[ ! -e "$R/usr/bin/saola-server" ] || fail "purge left /usr/bin/saola-server"
[ -f "$R/var/lib/saola/server.db" ] || fail "purge removed the database in /var/lib/saola"
dpkg-query --admindir="$R/var/lib/dpkg" -W saola-server >/dev/null 2>&1 && fail "saola-server still known to dpkg after purge"
left=$(find "$R/etc/systemd" "$R/var/lib/systemd" -name '*saola*' 2>/dev/null || true)
[ -z "$left" ] || fail "purge left systemd state: $left"
[ "$(host_state)" = "$host_before" ] || fail "upgrade or purge in $R changed the host: $(host_state)"

step "a real install into a throwaway overlay of this system (overlay.sh)"
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
	echo "   skipped: needs root and mount namespaces (unshare -m)"
else
	rc=0
	unshare -m --propagation private bash "$here/overlay.sh" "$tmp/overlay" \
		"$deb_saola" "$deb_server" "$deb_dev" || rc=$?
	case $rc in
	0) ;;
	77) echo "   skipped: no overlayfs over / here" ;;
	*) exit 1 ;;
	esac
fi

[ "$(host_state)" = "$host_before" ] || fail "the test changed the host: $(host_state)"

echo
echo "test_packages: ok in $(($(date +%s) - started)) s (build $((built - started)) s):"
for d in "$deb_saola" "$deb_server" "$deb_dev"; do
	printf '   %-40s %8d bytes, %5d KiB installed\n' "$(basename "$d")" "$(stat -c %s "$d")" "$(dpkg-deb -f "$d" Installed-Size)"
done
