#!/usr/bin/env bash
# server_bench.sh: the server benchmark, side by side in one run: stromd, Redis Streams and
# NATS JetStream on loopback, each fed the same rows by strom-bench (bench/bench_server.c).
#
#   bench/server_bench.sh [BUILD_DIR] [ROWS]        (defaults: build-release, 1000000)
#
# Durability as configured here:
#   strom        fsync = always: a produce is acknowledged after fdatasync (group commit)
#   strom-nosync fsync = never: acknowledged once written to the page cache
#   redis        appendonly yes, appendfsync always: fsync before replying (per event loop
#                iteration, so pipelined commands share one fsync), no RDB snapshots
#   nats         JetStream file storage; nats-server 2.9 acknowledges once the message is in
#                its file store, with no per-message fsync (its default and only behaviour)
# strom's full and projected reads also run over loopback shaped to 10 Gbit/s (tc tbf, as
# root; phase "consume-10gbit"), where the bytes on the wire, not both ends' CPU on one
# machine, bound the read; the shaping is removed at once, and by the exit trap.
# Output: one JSON line per measurement on stdout (also in $WORK/results.jsonl). Run it three
# times and take medians: the machine is shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-release}
ROWS=${2:-1000000}
BENCH=$BUILD/bench/strom-bench
STROMD=$BUILD/src/server/stromd
[ -x "$BENCH" ] && [ -x "$STROMD" ] || { echo "build first: $BENCH, $STROMD" >&2; exit 1; }
WORK=$(pwd)/$BUILD/bench-tmp
rm -rf "$WORK" && mkdir -p "$WORK"
# deleting the previous run's gigabytes makes this VM's disk pause fsyncs (~35 ms, every few
# seconds) for a minute or more: wait until durable appends are steady again
sync
"$BENCH" settle "$WORK"
PIDS=()
SHAPED=0 # 1 while loopback is shaped (below): the exit trap takes the shaping off
cleanup() {
  [ "$SHAPED" = 1 ] && tc qdisc del dev lo root 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
}
trap cleanup EXIT

start_stromd() { # name port fsync
  "$STROMD" -d "$WORK/$1" -l 127.0.0.1:$2 --fsync "$3" --log-level warn 2>"$WORK/$1.log" &
  PIDS+=($!)
}
start_stromd strom 17070 always
start_stromd strom-nosync 17071 never
redis-server --port 17072 --bind 127.0.0.1 --dir "$WORK" --appendonly yes --appendfsync always \
  --save "" --daemonize no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
mkdir -p "$WORK/nats"
nats-server -js -sd "$WORK/nats" -a 127.0.0.1 -p 17073 >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
sleep 1

run() { "$BENCH" "$@" | tee -a "$WORK/results.jsonl"; }
SYSTEMS=("strom 127.0.0.1:17070" "strom 127.0.0.1:17071" "redis 127.0.0.1:17072" "nats nats://127.0.0.1:17073")
NAMES=(strom strom-nosync redis nats)
for i in "${!SYSTEMS[@]}"; do
  read -r sys addr <<<"${SYSTEMS[$i]}"
  echo "# ${NAMES[$i]}" >&2
  # latency first, on an idle server with an empty table (strom: linger 0, one request in
  # flight, rows written meanwhile join the next batch); `sync` first: the gigabytes the
  # previous system wrote without fsync would otherwise still be going to the disk, ahead of
  # every fsync measured here
  sync
  run $sys $addr latency --rate 10000 --seconds 5 $([ "$sys" = strom ] && echo --in-flight 1) | sed "s/\"system\":\"$sys\"/\"system\":\"${NAMES[$i]}\"/"
  run $sys $addr produce --rows "$ROWS" --producers 1 | sed "s/\"system\":\"$sys\"/\"system\":\"${NAMES[$i]}\"/"
  run $sys $addr produce --rows "$ROWS" --producers 4 | sed "s/\"system\":\"$sys\"/\"system\":\"${NAMES[$i]}\"/"
  # reads from the page cache, after the produce's writes are on the disk (`sync`): strom's
  # four reads (all columns; c0, c1; rows with c1 = 7; c0, c2 of those rows) take tens to
  # hundreds of milliseconds, and a read of tens of milliseconds varies by 2x from one to the
  # next on this shared VM, so each runs seven times, interleaved (quote the median); Redis
  # and NATS take seconds and run once
  sync
  if [ "$sys" = strom ]; then
    for rep in 1 2 3 4 5 6 7; do
      for m in full project filter project-filter; do
        run $sys $addr consume --mode $m | sed "s/\"system\":\"$sys\"/\"system\":\"${NAMES[$i]}\"/"
      done
    done
    # the same reads over a network-like link: loopback shaped to 10 Gbit/s (root and tc
    # needed, else skipped; phase "consume-10gbit"). On bare loopback both ends share the
    # machine's CPUs, so the reads measure CPU; across a link the bytes on the wire count
    if [ "${NAMES[$i]}" = strom ] && [ "$(id -u)" = 0 ] && command -v tc >/dev/null &&
       tc qdisc add dev lo root tbf rate 10gbit burst 4mb latency 50ms 2>/dev/null; then
      SHAPED=1
      for rep in 1 2 3; do
        for m in full project; do
          "$BENCH" $sys $addr consume --mode $m | sed 's/"phase":"consume"/"phase":"consume-10gbit"/' |
            tee -a "$WORK/results.jsonl"
        done
      done
      tc qdisc del dev lo root
      SHAPED=0
    fi
  else
    run $sys $addr consume
  fi
  if [ "$sys" = strom ]; then # columnar input: Arrow batches through the C Data Interface
    for p in 1 4; do
      run $sys $addr produce --rows "$ROWS" --producers $p --api arrow | sed "s/\"system\":\"strom-arrow\"/\"system\":\"${NAMES[$i]}-arrow\"/"
    done
  fi
done
