#!/usr/bin/env bash
# readme_test.sh: runs the README's Quickstart as a newcomer pastes it, block by block, against
# a fresh stromd on a free loopback port, and checks what each block promises: the filtered
# consume prints exactly the matching rows, a follower sees rows produced meanwhile, the
# primary-key block gives its state, lookups and changelog, the lakehouse block writes Parquet
# files and queries lake and log as one table. The README is the input: when it changes, this
# test runs the new text.
#
# usage: readme_test.sh STROMD STROM WORKDIR README
set -uo pipefail
STROMD=$1 STROM=$2 WORK=$3 README=$4
rm -rf "$WORK" && mkdir -p "$WORK"
cd "$WORK"
FAILS=0 CHECKS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
expect_contains() { # what, needle, haystack
  CHECKS=$((CHECKS + 1))
  case "$3" in *"$2"*) ;; *) fail "$1: '$2' not in: $3" ;; esac
}
expect_absent() { # what, needle, haystack
  CHECKS=$((CHECKS + 1))
  case "$3" in *"$2"*) fail "$1: '$2' in: $3" ;; esac
}

# the n-th ```sh block of the Quickstart section
block() {
  awk -v n="$1" '/^## /{q = ($0 == "## Quickstart")} q && /^```sh$/ {k++; if (k == n) {on = 1; next}}
                 on && /^```$/ {exit} on {print}' "$README"
}
# a block without its `export PATH` line and without the commands that run until stopped
# (--follow): those are run apart, in the background
body() { block "$1" | grep -v '^export PATH=' | grep -v -- '--follow'; }
follow_cmd() { block "$1" | grep -- '--follow' | sed 's/ *#.*//'; }

# the server as scripts/run.sh starts it (data in ./strom-data), on a free port
"$STROMD" -d "$WORK/strom-data" -l 127.0.0.1:0 2>"$WORK/stromd.log" &
SERVER_PID=$!
trap 'kill -9 $SERVER_PID 2>/dev/null; jobs -p | xargs -r kill 2>/dev/null' EXIT
for _ in $(seq 200); do
  PORT=$(grep -o 'msg="listening" addr=127.0.0.1:[0-9]*' stromd.log | sed 's/.*://' | head -1)
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { echo "stromd did not start" >&2; cat stromd.log >&2; exit 1; }
export STROM_SERVER=127.0.0.1:$PORT
export PATH=$(dirname "$STROM"):$PATH
[ "$(block 1 | head -1 | cut -c1-11)" = "export PATH" ] || fail "the first block sets PATH"
CHECKS=$((CHECKS + 1))

# runs the follower of block $1 for up to $2 seconds while $3 (a command) runs meanwhile;
# prints what the follower printed
follow_while() {
  local cmd out
  cmd=$(follow_cmd "$1")
  [ -n "$cmd" ] || { fail "block $1 has a --follow command"; return; }
  out=$(mktemp)
  bash -c "$cmd" >"$out" 2>&1 &
  local pid=$!
  sleep 1
  bash -c "$3" >/dev/null 2>&1 || fail "block $1: '$3' while following"
  for _ in $(seq $(($2 * 10))); do [ "$(wc -l <"$out")" -ge "$4" ] && break; sleep 0.1; done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  cat "$out"; rm -f "$out"
}

# ---- block 1: a log table, CSV in, projection and filter out, a follower -------------------
out=$(body 1 | bash 2>&1)
expect_contains "create-table, produce" "3 rows" "$out"
expect_contains "filtered consume: first match" "12.50" "$out"
expect_contains "filtered consume: second match" "13.00" "$out"
expect_absent "filtered consume: the XYZ row" "7.25" "$out"
expect_contains "consume --stats" "a full read would have moved" "$out"
expect_contains "describe" "market.trades" "$out"
expect_contains "strom --help" "consume" "$out"
got=$(follow_while 1 10 "strom produce market.trades trades.csv" 3)
expect_contains "follower sees the rows produced again" '"sym":"XYZ"' "$got"
CHECKS=$((CHECKS + 1))
[ "$(printf '%s\n' "$got" | grep -c '"sym"')" = 3 ] || fail "follower: 3 rows, got: $got"

# ---- block 2: a primary-key table -----------------------------------------------------------
out=$(body 2 | bash 2>&1)
expect_contains "lookup finds bolt after the partial update" "38" "$out"
expect_contains "lookup reports the deleted key" "not found: nut" "$out"
for c in "+I" "-U" "+U" "-D"; do expect_contains "changelog has $c" "$c" "$out"; done
got=$(follow_while 2 10 "printf 'item,qty\nwasher,9\n' | strom upsert shop.stock" 2)
expect_contains "scan --follow: the state" '"item":"bolt"' "$got"
expect_contains "scan --follow: the change after it" '"item":"washer"' "$got"

# ---- block 3: the lakehouse -------------------------------------------------------------------
out=$(body 3 | bash 2>&1)
expect_contains "Parquet files in the lake" ".parquet" "$out"
expect_contains "query over lake and log" "ABC" "$out"
expect_absent "query's filter" "7.25" "$out"
got=$(follow_while 3 10 "strom produce market.trades trades.csv" 1)
expect_contains "query --follow" '"sym":"ABC"' "$got"

kill -TERM $SERVER_PID; wait $SERVER_PID
echo "readme: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
