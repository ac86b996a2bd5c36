#!/usr/bin/env bash
# Crash soak (tests/soak/soak.py): CYCLES SIGKILL cycles of mixed load against build/wismo
# (or WISMO_BIN), then the checks: nothing acknowledged lost, no message sent twice beyond its
# idempotency key, rebuild identical.  `make soak` runs 100 cycles; `make test` 10.
#   scripts/soak.sh [CYCLES]
# Ends with a line "N passed, N failed" (the soak counts as one test).
set -uo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-100}
bin=${WISMO_BIN:-build/wismo}
if [ ! -x "$bin" ]; then
	echo "soak: $bin is not built (make build)"; echo "0 passed, 1 failed"; exit 1
fi
WISMO_BIN=$bin exec /usr/bin/python3 tests/soak/soak.py "$cycles"
