#!/usr/bin/env bash
# Makes DIR a meson build tree with warnings as errors, for development and tests:
#   scripts/tree.sh DIR [meson setup options...]
# meson.build leaves werror off so that packagers' plain `meson setup --buildtype=release` builds
# whatever their compiler warns; our own trees turn it on here.  A tree set up before (by an older
# meson.build, or by hand) keeps the options it was made with, so an existing DIR with werror off is
# switched on with `meson configure` rather than trusted; the setup options apply only to a new DIR.
set -euo pipefail
dir=$1
shift
if [ ! -f "$dir/build.ninja" ]; then
	exec meson setup "$dir" -Dwerror=true "$@" >/dev/null
fi
# (meson is a Python program: where it runs, /usr/bin/python3 is installed)
werror=$(meson introspect --buildoptions "$dir" |
	/usr/bin/python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "werror"][0])')
if [ "$werror" != True ]; then
	echo "$dir: turning werror on" >&2
	meson configure "$dir" -Dwerror=true >/dev/null
fi
