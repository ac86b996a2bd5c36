#!/usr/bin/env bash
# Installs the Debian packages wismo needs that are missing.
#   scripts/deps.sh build   what building and running needs
#   scripts/deps.sh test    that plus what the test suites need
#   scripts/deps.sh bench   that plus the load generator
# Runs apt-get (as root, or through sudo) only when something is missing; for test and bench,
# also `npm ci` in tests/browser when its node_modules is missing or out of date.
set -euo pipefail

build_pkgs=(gcc libc6-dev make pkg-config meson ninja-build
	libmicrohttpd-dev libcjson-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev libinih-dev
	libcmocka-dev ca-certificates tzdata
	# the PostgreSQL backend (--store postgres://...; docs/scale-out.md)
	libpq-dev)
# (tzdata: carriers give local times without an offset; their zone rules come from it)
# (cmocka is in the build set: build/ is configured once, with its unit tests, by whichever
# of `make demo` and `make test` comes first)
test_pkgs=(python3 curl sqlite3
	# the notification tests' real SMTP server
	python3-aiosmtpd
	# browser tests (tests/browser): Debian's chromium driven by playwright-core from npm
	chromium nodejs
	# scripts/test.sh also compiles wismo with clang, which warns about things GCC does not
	clang
	# the fuzz targets (tests/fuzz): libFuzzer and clang's sanitizer runtimes, only a
	# Recommends of clang, which --no-install-recommends skips
	libclang-rt-dev
	# the PostgreSQL tests (tests/store/pgserver.h): the server binaries (initdb, pg_ctl
	# under /usr/lib/postgresql/15/bin) with which each test starts a server of its own.  The
	# package may also create and start a cluster of the system's: the tests never use it
	# (docs/scale-out.md); the integration tests read its databases with psycopg2
	postgresql python3-psycopg2
	# test_openapi.py validates answers against api/openapi.json (JSON Schema 2020-12, 4.x)
	python3-jsonschema
	# the Debian package and its man pages (tests/package, tests/man; docs/packaging.md):
	# dpkg-buildpackage, dh and its meson buildsystem, lintian; groff-base and mandoc render the pages
	dpkg-dev debhelper fakeroot lintian groff-base mandoc)
bench_pkgs=(wrk)

want=("${build_pkgs[@]}")
case "${1:-build}" in
build) ;;
test) want+=("${test_pkgs[@]}") ;;
bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
# npm: Debian's package, unless the installed nodejs brings its own (NodeSource's does, and
# conflicts with Debian's npm)
case "${1:-build}" in
test | bench) command -v npm >/dev/null || missing+=(npm) ;;
esac

if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}" >&2
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
		sudo="sudo"
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The browser tests' npm packages (playwright-core, pinned in tests/browser/package-lock.json):
# `npm ci` when node_modules is missing or was installed from another lock file.
case "${1:-build}" in
test | bench)
	browser="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
	stamp="$browser/node_modules/.wismo-lock.sha256"
	want_sum=$(sha256sum "$browser/package-lock.json" | cut -d' ' -f1)
	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_sum" ]; then
		echo "installing the browser tests' npm packages (npm ci in tests/browser)" >&2
		(cd "$browser" && npm ci --no-audit --no-fund --loglevel=error) >&2
		echo "$want_sum" >"$stamp"
	fi
	;;
esac
