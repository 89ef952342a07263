#!/usr/bin/env bash
# lake_bench.sh: tiering and lake scans, strom beside DuckDB, runs interleaved in one go.
#   bench/lake_bench.sh [ROWS] [RUNS] [CODEC]     (defaults 5000000 3 zstd)
# Needs build-release (scripts/run.sh or cmake -DCMAKE_BUILD_TYPE=Release) and `npm ci` in
# tests/interop. Prints JSON lines; docs/benchmarks.md quotes their medians.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-5000000} RUNS=${2:-3} CODEC=${3:-zstd}
BIN=$ROOT/build-release/bench/strom-lake-bench
TMP=${TMPDIR:-/tmp}/strom-lake-bench
for run in $(seq "$RUNS"); do
  echo "# run $run"
  # a table of 2 buckets, tiered on 1 then 2 threads (the scans read the last one's files)
  "$BIN" "$TMP" --rows "$ROWS" --codec "$CODEC" --buckets 2 --threads 1 | head -1
  "$BIN" "$TMP" --rows "$ROWS" --codec "$CODEC" --buckets 2 --threads 2
  for threads in 1 2; do
    node "$ROOT/bench/lake_bench.mjs" "$TMP/lake/bench.db/lake" "$ROWS" "$CODEC" "$threads" "$TMP/duck.parquet"
  done
done
