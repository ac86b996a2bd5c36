#!/usr/bin/env bash
# test_deb.sh - the Debian package (debian/, docs/packaging.md) from build to purge:
#   1. dpkg-buildpackage -b in a copy of the source tree (the checkout is not touched), lintian;
#   2. apt-get install ./wismo_*.deb: the binary, data, man pages, conffile, unit, user, /var/lib/wismo;
#   3. the service: under systemd when PID 1 is systemd, else the unit's ExecStart run directly as
#      the wismo user in its WorkingDirectory; GET /readyz answers 200; SIGTERM stops it with exit 0;
#   4. apt-get purge: binary, unit, conffile, /etc/wismo and /var/lib/wismo gone (the user stays).
# Needs root (it installs a package); answers 77 (skipped) without it, or when a wismo package is
# already installed (it is not ours to remove).  Cleans up on any exit.  Prints "N passed, N failed".
set -uo pipefail

src=${WISMO_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
passed=0
failed=0
check() { # description command...
	local what=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: installing a package needs root"
	exit 77
fi
if dpkg-query -W -f='${Status}' wismo 2>/dev/null | grep -q installed; then
	echo "skipped: a wismo package is already installed on this machine"
	exit 77
fi
for tool in dpkg-buildpackage dh lintian fakeroot curl; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps.sh test installs it)"; failed=1; finish; }
done

work=$(mktemp -d /tmp/wismo-deb.XXXXXX)
pid=""
systemd=0
[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && systemd=1
dropin=/run/systemd/system/wismo.service.d
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	if [ "$systemd" -eq 1 ]; then
		systemctl stop wismo.service 2>/dev/null
		rm -rf "$dropin"
		systemctl daemon-reload 2>/dev/null
	fi
	if dpkg-query -W -f='${Status}' wismo 2>/dev/null | grep -q 'installed\|config-files'; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q wismo >/dev/null 2>&1 || dpkg --purge wismo >/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. build from a copy of what git holds (tracked and new files, not build trees)
mkdir -p "$work/src"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | tar -cf - --null -T -) |
	tar -xf - -C "$work/src"
echo "building the package in $work/src (log: $work/build.log on failure)"
if ! (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -uc -us) \
	>"$work/build.log" 2>&1; then
	tail -40 "$work/build.log"
	echo "FAIL: dpkg-buildpackage"
	failed=$((failed + 1))
	finish
fi
passed=$((passed + 1))
deb=$(ls "$work"/wismo_*.deb | grep -v dbgsym | head -1)
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$src/meson.build" | head -1)
check "the package's version is meson.build's ($version)" \
	test "$(dpkg-deb -f "$deb" Version)" = "$version"
# lintian: errors and warnings fail (debian/source/lintian-overrides explains what is overridden)
lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$work"/wismo_*.changes >"$work/lintian.log" 2>&1
lrc=$?
cat "$work/lintian.log"
check "lintian reports no error or warning" test "$lrc" -eq 0

# 2. install
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" >"$work/install.log" 2>&1; then
	cat "$work/install.log"
	echo "FAIL: apt-get install"
	failed=$((failed + 1))
	finish
fi
passed=$((passed + 1))
unit=""
for d in /usr/lib/systemd/system /lib/systemd/system; do
	[ -f "$d/wismo.service" ] && unit=$d/wismo.service && break
done
check "the unit is installed" test -n "$unit"
check "/usr/bin/wismo" test -x /usr/bin/wismo
check "the mapping tables" test -f /usr/share/wismo/mappings/scans.tsv
check "the templates and static files" test -d /usr/share/wismo/templates -a -d /usr/share/wismo/web/static
check "wismo(1)" test -f /usr/share/man/man1/wismo.1.gz
check "wismo.ini(5)" test -f /usr/share/man/man5/wismo.ini.5.gz
check "/etc/wismo/wismo.ini is a conffile" \
	bash -c "dpkg-query -W -f='\${Conffiles}' wismo | grep -q '^ /etc/wismo/wismo.ini '"
check "the wismo system user" bash -c 'getent passwd wismo | grep -q ":/usr/sbin/nologin$"'
check "/var/lib/wismo belongs to wismo" test "$(stat -c %U /var/lib/wismo 2>/dev/null)" = wismo
check "the sample config passes wismo check" \
	runuser -u wismo -- /usr/bin/wismo check --config /etc/wismo/wismo.ini >/dev/null

# 3. run the service on a free port (the sample config's 8080 may be taken on a shared machine)
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$systemd" -eq 1 ]; then
	mkdir -p "$dropin"
	printf '[Service]\nEnvironment=WISMO_LISTEN=127.0.0.1:%s\n' "$port" >"$dropin/test.conf"
	systemctl daemon-reload
	check "systemctl start wismo" systemctl start wismo.service
else
	# what systemd would run: ExecStart, as User=, in WorkingDirectory=
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
	workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
	user=$(sed -n 's/^User=//p' "$unit")
	echo "PID 1 is not systemd: running '$exec_start' as $user in $workdir"
	# (setpriv execs the server itself, so that our SIGTERM reaches it and its exit status is ours;
	# runuser would stay in between and die of the signal it forwards)
	(cd "$workdir" && exec env WISMO_LISTEN="127.0.0.1:$port" \
		setpriv --reuid="$user" --regid="$user" --init-groups -- $exec_start) \
		>"$work/serve.log" 2>&1 &
	pid=$!
fi
ready=0
for _ in $(seq 1 100); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" 2>/dev/null)
	[ "$code" = 200 ] && ready=1 && break
	sleep 0.1
done
check "GET /readyz answers 200" test "$ready" -eq 1
check "the store is /var/lib/wismo/wismo.db, the user's" test "$(stat -c %U /var/lib/wismo/wismo.db 2>/dev/null)" = wismo
if [ "$systemd" -eq 1 ]; then
	check "systemctl stop wismo" systemctl stop wismo.service
	check "the service stopped cleanly" test "$(systemctl show -p Result --value wismo.service)" = success
else
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=""
	check "SIGTERM: the server exits 0 (rc $rc)" test "$rc" -eq 0
	[ "$rc" -eq 0 ] || cat "$work/serve.log"
fi

# 4. purge
check "apt-get purge" bash -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q wismo >/dev/null 2>&1'
check "no package left" bash -c '! dpkg-query -W -f="\${Status}" wismo 2>/dev/null | grep -q .'
check "the binary is gone" test ! -e /usr/bin/wismo
check "the unit is gone" test ! -e /usr/lib/systemd/system/wismo.service -a ! -e /lib/systemd/system/wismo.service
check "the data files are gone" test ! -e /usr/share/wismo
check "/etc/wismo is gone (conffile purged)" test ! -e /etc/wismo
check "/var/lib/wismo is gone (purge)" test ! -e /var/lib/wismo
check "the wismo user is kept, as Debian keeps system users" getent passwd wismo >/dev/null
finish
