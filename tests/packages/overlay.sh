#!/usr/bin/env bash
# tests/packages/overlay.sh DIR SAOLA.deb SAOLA-SERVER.deb LIBSAOLA-DEV.deb:
# the packages installed as on a server, into a throwaway overlay of this
# system: dpkg in a chroot whose root is an overlayfs over /, every change
# in DIR/upper. Run by run.sh inside `unshare -m` (its mounts die with the
# namespace); needs root. Checks Depends resolved against this system's
# packages (no --force-depends), the user saola made by adduser, the folders
# chowned, ldconfig's trigger, an admin's `systemctl enable` (the timer
# comes along), upgrade, purge (data and user kept), reinstall. Exit 0 ok,
# 77 no overlayfs here, 1 a failure (said on stderr).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: overlay.sh DIR SAOLA.deb SAOLA-SERVER.deb LIBSAOLA-DEV.deb" >&2; exit 2; }
o=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
M=$o/root
mkdir -p "$o/upper" "$o/work" "$M"
mount -t overlay overlay -o "lowerdir=/,upperdir=$o/upper,workdir=$o/work" "$M" 2>/dev/null || exit 77
mountpoint -q "$M" || exit 77
mount --rbind /dev "$M/dev"
mount -t proc proc "$M/proc"
# An empty /run: no /run/systemd/system, so no maintainer script talks to
# a running systemd.
mount -t tmpfs tmpfs "$M/run"
mkdir -p "$M/tmp/debs"
cp "$@" "$M/tmp/debs/"
# The packages' paths in the chroot.
d_saola=/tmp/debs/${1##*/}
d_server=/tmp/debs/${2##*/}
d_dev=/tmp/debs/${3##*/}
cp "$here/use.c" "$M/tmp/use.c"

inroot() { chroot "$M" "$@"; }
fail_where="(overlay) "
log=$o/log
. "$here/lib.sh"
wants=$M/etc/systemd/system

inroot getent passwd saola >/dev/null && fail "this system has a user saola already: the test wants none"
run "dpkg -i" inroot dpkg -i "$d_saola" "$d_server" "$d_dev"
pw=$(inroot getent passwd saola) || fail "the postinst made no user saola"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
{ [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/saola ] && [ "${shell##*/}" = nologin ]; } ||
	fail "the user saola is not a system user at home in /var/lib/saola: $pw"
[ "$(inroot getent group saola | cut -d: -f3)" = "$gid" ] || fail "saola's group is not saola"
for d in /var/lib/saola /var/backups/saola; do
	[ "$(inroot stat -c '%U:%G %a' "$d")" = "saola:saola 750" ] ||
		fail "$d: $(inroot stat -c '%U:%G %a' "$d"), expected saola:saola 750"
done
[ "$(inroot stat -c '%U:%G %a' /etc/default/saola-server)" = "root:root 640" ] ||
	fail "/etc/default/saola-server: not root:root 0640"
grep -Eq 'libsaola\.so\.0 .*=> (/usr)?/lib/' <<<"$(inroot ldconfig -p)" ||
	fail "libsaola.so.0 is not in ld.so.cache (the ldconfig trigger)"
[ ! -e "$wants/multi-user.target.wants/saola-server.service" ] || fail "the install enabled saola-server.service"
[ ! -e "$wants/timers.target.wants/saola-server-backup.timer" ] || fail "the install enabled the backup timer"

# The commands as the service runs them: the schemas from /usr/share/saola
# (compiled in), the databases in /var/lib/saola, as the user saola.
run "saola init as saola" inroot runuser -u saola -- saola init --db /var/lib/saola/device.db
grep -q "loaded from /usr/share/saola/schemas" "$log" || fail "saola init: $(cat "$log")"
run "saola-server forms load as saola" inroot runuser -u saola -- saola-server forms load --db /var/lib/saola/server.db
# shellcheck disable=SC2016 # for the chroot's shell
run "cc with pkg-config" inroot sh -c 'cc -std=c11 -Wall -Werror -o /tmp/use /tmp/use.c $(pkg-config --cflags --libs saola)'
run "a program on /usr's libsaola.so.0" inroot /tmp/use /tmp/use.db /usr/share/saola/schemas

# The admin enables the server; its Also= enables the daily backup.
run "systemctl enable" inroot systemctl enable saola-server.service
{ [ -L "$wants/multi-user.target.wants/saola-server.service" ] &&
	[ -L "$wants/timers.target.wants/saola-server-backup.timer" ]; } ||
	fail "systemctl enable saola-server.service did not enable it and its timer"
run "dpkg -i (upgrade)" inroot dpkg -i "$d_server"
[ "$(inroot getent passwd saola)" = "$pw" ] || fail "the upgrade changed the user saola: $(inroot getent passwd saola)"
[ -L "$wants/multi-user.target.wants/saola-server.service" ] || fail "the upgrade disabled saola-server.service"
[ -L "$wants/timers.target.wants/saola-server-backup.timer" ] || fail "the upgrade disabled the backup timer"

run "dpkg -P saola-server" inroot dpkg -P saola-server
[ -f "$M/var/lib/saola/server.db" ] || fail "purge removed /var/lib/saola/server.db"
inroot getent passwd saola >/dev/null || fail "purge removed the user saola"
[ ! -e "$M/etc/default/saola-server" ] || fail "purge left /etc/default/saola-server"
left=$(find "$wants" -name '*saola*' 2>/dev/null)
[ -z "$left" ] || fail "purge left units enabled or masked: $left"
run "dpkg -i (after purge)" inroot dpkg -i "$d_server"
[ "$(inroot getent passwd saola)" = "$pw" ] || fail "reinstalling changed the user saola"
[ "$(inroot stat -c '%U:%G %a' /var/lib/saola)" = "saola:saola 750" ] || fail "reinstalling changed /var/lib/saola"
run "dpkg -P (all)" inroot dpkg -P libsaola-dev saola-server saola
! grep -q libsaola.so.0 <<<"$(inroot ldconfig -p)" || fail "libsaola.so.0 still in ld.so.cache after purge"
echo "   user $pw; /var/lib/saola and /var/backups/saola saola:saola 0750;"
echo "   ldconfig trigger; systemctl enable (and the timer); upgrade; purge (data, user kept); reinstall: ok"
