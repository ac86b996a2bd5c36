#!/usr/bin/env bash
# bench/wal_btrees.sh - which tables and indexes a commit writes: one event per
# request at 16 connections into a fresh database for a few seconds, the
# server then killed (SIGKILL, so that its write-ahead log is left as it was),
# and the log's frames counted per b-tree (SQLite's dbstat on a copy).  Each
# frame is one 4 KiB page written to the log, and once more by the checkpoint.
# --stack does the same to the bare stack (bench/stack_ceiling ingest), whose
# one row per event is the least such a commit writes.
# See docs/performance.md, "Where a commit's pages go".
#
#   bench/wal_btrees.sh [--build DIR] [--secs S] [--stack]
#
# Runs on 127.0.0.1 only and stops by itself.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build
SECS=4
STACK=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--stack) STACK=1 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "wal_btrees.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
BIN="$ROOT/$BUILD/wismo"
LOADGEN="$ROOT/$BUILD/bench/loadgen"
CEILING="$ROOT/$BUILD/bench/stack_ceiling"
for p in "$BIN" "$LOADGEN" "$CEILING"; do
	[ -x "$p" ] || { echo "wal_btrees.sh: $p not built (ninja -C $BUILD)" >&2; exit 1; }
done

WORK=$(mktemp -d)
SPID=""
trap '[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=$((20000 + RANDOM % 20000))
if [ "$STACK" = 1 ]; then
	KEY=none
	"$CEILING" ingest "$PORT" "$WORK/w.db" >"$WORK/serve.log" 2>&1 &
else
	KEY=$("$BIN" keys create --role admin --store "sqlite:$WORK/w.db" | tail -1)
	printf '[limits]\nconnections_per_ip = 0\n' >"$WORK/w.ini"
	"$BIN" serve --listen "127.0.0.1:$PORT" --store "sqlite:$WORK/w.db" --config "$WORK/w.ini" >"$WORK/serve.log" 2>&1 &
fi
SPID=$!
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
	sleep 0.1
done
"$LOADGEN" ingest --port "$PORT" --key "$KEY" --conns 16 --batch 1 --tag wb --secs "$SECS" --warmup 1 | tail -1
# events per commit over the whole run (wismo's writer histogram; the bare stack has none)
PER=$(curl -s "http://127.0.0.1:$PORT/metrics" |
	awk '/^wismo_commit_batch_events_sum/ { s = $2 } /^wismo_commit_batch_events_count/ { n = $2 }
	     END { if (n > 0) printf "%.1f", s / n; else print "?" }')
kill -KILL "$SPID"
wait "$SPID" 2>/dev/null || true
SPID=""
cp "$WORK/w.db" "$WORK/copy.db"
cp "$WORK/w.db-wal" "$WORK/copy.db-wal"

/usr/bin/python3 - "$WORK/copy.db" "$PER" <<'EOF'
import collections, sqlite3, struct, sys

db = sys.argv[1]
with open(db + "-wal", "rb") as f:
    wal = f.read()
# the log's header, then frames: page number, size after a commit (0 inside
# one), the header's salts (a frame with other salts is left from before the
# last restart of the log), the checksums, the page
_, _, page, _, salt1, salt2, _, _ = struct.unpack(">8I", wal[:32])
pages, commits, off = [], 0, 32
while off + 24 + page <= len(wal):
    no, size, s1, s2 = struct.unpack(">4I", wal[off:off + 16])
    if (s1, s2) != (salt1, salt2):
        break
    pages.append(no)
    commits += size != 0
    off += 24 + page
c = sqlite3.connect(db)  # opening the copy applies its log; dbstat names each page's b-tree
owner = dict(c.execute("SELECT pageno, name FROM dbstat"))
if not commits:
    sys.exit("wal_btrees.sh: no commit in the log (run longer: --secs)")
print(f"{len(pages)} frames of {page} bytes in {commits} commits: {len(pages) / commits:.1f} per commit;"
      f" {sys.argv[2]} events per commit over the run")
print("frames per commit  b-tree")
for name, n in collections.Counter(owner.get(p, "(freed)") for p in pages).most_common():
    print(f"{n / commits:17.2f}  {name}")
EOF
