#!/usr/bin/env bash
# kv_bench.sh: the primary-key benchmark, side by side in one run: stromd (a primary-key
# table, 4 buckets) and Redis (hashes), the same keys and values, by strom-kv-bench
# (bench/bench_kv.c).
#
#   bench/kv_bench.sh [BUILD_DIR] [KEYS]        (defaults: build-release, 1000000)
#
# Durability as configured here:
#   strom  fsync = always: an upsert batch is acknowledged after its changelog is fdatasync'ed
#          (group commit), and only then applied to the state (RocksDB, no WAL of its own)
#   redis  appendonly yes, appendfsync always: fsync before replying (per event-loop turn, so
#          pipelined commands share one fsync), no RDB snapshots
# Phases per system: upsert every key (1000-row batches; Redis: HSET pipelined 1000 deep),
# upsert them all again (updates: strom reads the stored row and writes -U/+U), lookups of
# random keys one per request for 5 s (latency; after an untimed pass over every key, so that
# strom's row cache holds what a long-running reader would find there, as Redis holds all in
# memory), and 100 per request (strom: one strom_lookup_run of 100 keys, one Lookup per
# bucket; Redis: 100 HGETALL pipelined). Output: one JSON line per measurement on stdout
# (also in $WORK/results.jsonl). Run it three times and take medians.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-release}
KEYS=${2:-1000000}
BENCH=$BUILD/bench/strom-kv-bench
STROMD=$BUILD/src/server/stromd
[ -x "$BENCH" ] && [ -x "$STROMD" ] || { echo "build first: $BENCH, $STROMD" >&2; exit 1; }
WORK=$(pwd)/$BUILD/kv-bench-tmp
rm -rf "$WORK" && mkdir -p "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$STROMD" -d "$WORK/strom" -l 127.0.0.1:17080 --fsync always --log-level warn 2>"$WORK/strom.log" &
PIDS+=($!)
redis-server --port 17082 --bind 127.0.0.1 --dir "$WORK" --appendonly yes --appendfsync always \
  --save "" --daemonize no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
sleep 1

run() { "$BENCH" "$@" | tee -a "$WORK/results.jsonl"; }
for sys in "strom 127.0.0.1:17080" "redis 127.0.0.1:17082"; do
  read -r name addr <<<"$sys"
  echo "# $name" >&2
  run $name $addr upsert --keys "$KEYS" --batch 1000 --round 0
  run $name $addr upsert --keys "$KEYS" --batch 1000 --round 1
  run $name $addr lookup --keys "$KEYS" --batch 1 --seconds 5 --warmup 1
  run $name $addr lookup --keys "$KEYS" --batch 100 --seconds 5
done
