#!/usr/bin/env bash
# Builds wismo twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs every test suite against both; then compiles, without running tests, a release
# build and a clang build, so that neither can start failing unseen.  Every tree has
# warnings as errors (scripts/tree.sh).  Exits non-zero on any failure.
# Prints one closing line: "N passed, N failed" (a compile-only build counts as one).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test || exit 1

passed=0
failed=0
run_suite() { # dir label [meson setup options...]
	local dir=$1 label=$2; shift 2
	scripts/tree.sh "$dir" "$@" || { echo "$label: meson setup failed"; failed=$((failed + 1)); return; }
	if ! ninja -C "$dir" >"$dir.log" 2>&1; then
		cat "$dir.log"; echo "$label: build failed"; failed=$((failed + 1)); return
	fi
	meson test -C "$dir" --print-errorlogs --no-rebuild 2>&1 | tee "$dir-test.log" | grep -E '^ *[0-9]+/[0-9]+ |FAIL|ERROR' || true
	# Count single tests from what the runners printed: cmocka's "[  PASSED  ] N test(s)." and
	# "[  FAILED  ] N test(s)", and the integration tests' "N passed, N failed" line.
	local counts ok fail suites_failed
	counts=$(awk '
		/^\[  PASSED  \] [0-9]+ test/ { p += $4 }
		/^\[  FAILED  \] [0-9]+ test/ { f += $4 }
		/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
		END { printf "%d %d", p, f }' "$dir/meson-logs/testlog.txt")
	ok=${counts% *}; fail=${counts#* }
	suites_failed=$(grep -cE '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS) ' "$dir-test.log")
	# a suite that died before printing its counts still counts as a failure
	if [ "$suites_failed" -gt 0 ] && [ "$fail" -eq 0 ]; then fail=$suites_failed; fi
	echo "$label: $ok tests passed, $fail failed ($suites_failed of the suites failed)"
	passed=$((passed + ok)); failed=$((failed + fail))
}
# Builds without running the tests: one passed, or one failed with the compiler's log.
build_only() { # dir label [meson setup options...]
	local dir=$1 label=$2; shift 2
	scripts/tree.sh "$dir" "$@" || { echo "$label: meson setup failed"; failed=$((failed + 1)); return; }
	if ! ninja -C "$dir" >"$dir.log" 2>&1; then
		cat "$dir.log"; echo "$label: build failed"; failed=$((failed + 1)); return
	fi
	echo "$label: compiled"
	passed=$((passed + 1))
}

run_suite build "plain"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan "asan+ubsan" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
# What packagers build (GCC at -O3 finds truncations that -O2 does not)
build_only build-rel "release" --buildtype=release
# clang warns about things GCC does not; a tree made earlier keeps the compiler it was made with
if command -v clang >/dev/null; then
	CC=clang build_only build-clang "clang"
else
	echo "clang: build failed (clang is not installed; scripts/deps.sh test installs it)"
	failed=$((failed + 1))
fi

# Each fuzz target briefly (libFuzzer, clang tree build-fuzz/): a crash, a sanitizer report or a
# failed property fails it.  `make fuzz` runs them for longer.
# Steps that print their own "N passed, N failed" line: the counts are added to ours.
run_counted() { # label command...
	local label=$1 out log; shift
	# (not `tee /dev/stderr`: reopening a stderr that is a file truncates it, and with it the log so far)
	log=$(mktemp)
	"$@" >"$log" 2>&1
	cat "$log"
	out=$(tail -1 "$log")
	rm -f "$log"
	if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
	else
		echo "$label: did not finish"; failed=$((failed + 1))
	fi
}
run_counted fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" scripts/fuzz.sh
# A short crash soak (make soak runs 100 cycles) against the plain build
run_counted soak scripts/soak.sh "${SOAK_CYCLES:-10}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
