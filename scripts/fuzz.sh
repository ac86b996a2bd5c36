#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang: build-fuzz/) and runs each for a time budget:
#   scripts/fuzz.sh [TARGET...]      FUZZ_SECONDS per target (default 60)
# FUZZ_RUNS=N stops a target after N executions when that comes first (the long run: 10^7).
# Seeds come from the project's own files (tests/fuzz/seeds.py); each target's corpus grows in
# build-fuzz/corpus/TARGET and is kept between runs.  A crash, leak, sanitizer report or failed
# property fails the target: its input is saved as build-fuzz/crashes/TARGET-crash-* and the
# report is printed.  Prints per target its executions, and a closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-60}
runs_cap=()
[ -n "${FUZZ_RUNS:-}" ] && runs_cap=(-runs="$FUZZ_RUNS")
dir=build-fuzz
command -v clang >/dev/null || { echo "fuzz: clang is not installed (scripts/deps.sh test)"; echo "0 passed, 1 failed"; exit 1; }
if ! CC=clang scripts/tree.sh "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dtests=false -Dbench=false || ! ninja -C "$dir" >"$dir.log" 2>&1; then
	cat "$dir.log" 2>/dev/null; echo "fuzz: build failed"; echo "0 passed, 1 failed"; exit 1
fi
/usr/bin/python3 tests/fuzz/seeds.py . "$dir/corpus" || { echo "fuzz: seeds failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$dir/crashes"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for b in "$dir"/tests/fuzz/fuzz_*; do
		[ -x "$b" ] && [ -f "$b" ] && targets+=("$(basename "$b" | sed 's/^fuzz_//')")
	done
fi

passed=0
failed=0
total=0
for t in "${targets[@]}"; do
	mkdir -p "$dir/corpus/$t"
	log="$dir/fuzz-$t.log"
	start=$SECONDS
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: growth past 2 GiB is a finding too
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		timeout $((secs + 120)) "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" "${runs_cap[@]}" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" \
		"$dir/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log")
	runs=${runs:-0}
	total=$((total + runs))
	if [ $rc -eq 0 ]; then
		printf 'fuzz_%s: %s executions in %s s, %s inputs in the corpus\n' "$t" "$runs" $((SECONDS - start)) \
			"$(find "$dir/corpus/$t" -type f | wc -l)"
		passed=$((passed + 1))
	else
		grep -E -A40 'ERROR:|runtime error|property failed|Test unit written' "$log" | head -80
		echo "fuzz_$t: FAILED (exit $rc after $runs executions; log $log)"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $total executions in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
