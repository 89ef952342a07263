#!/usr/bin/env bash
# cli_test.sh: end-to-end tests of the `strom` command (gen, cat, demo).
# usage: cli_test.sh STROM_BINARY SCRATCH_DIR
set -uo pipefail
STROM=$1
T=$2
rm -rf "$T" && mkdir -p "$T"
fails=0 checks=0
ok()   { checks=$((checks + 1)); echo "ok   $*"; }
bad()  { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
status() { "$@" >"$T/out" 2>"$T/err"; echo $?; }

# help and usage
check "strom --help"            test "$(status "$STROM" --help)" = 0
check "help lists commands"     grep -q "demo" "$T/out"
for c in gen cat demo; do
  check "strom $c --help"       test "$(status "$STROM" $c --help)" = 0
  check "$c help has usage"     grep -q "usage: strom $c" "$T/out"
done
check "unknown command: 2"      test "$(status "$STROM" frobnicate)" = 2
check "bad option value: 2"     test "$(status "$STROM" gen --rows abc -o "$T/x")" = 2
check "bad codec names it"      bash -c "\"$STROM\" gen --codec snappy -o $T/x 2>&1 | grep -q snappy"

# gen + cat: batching and codec do not change the table
"$STROM" gen -n 2500 -b 1000 -c zstd --seed 7 -o "$T/a.arrows" || bad "gen a"
"$STROM" gen -n 2500 -b 333 -c lz4 --seed 7 -o "$T/b.arrows" || bad "gen b"
"$STROM" gen -n 2500 -b 2500 --seed 7 -o "$T/c.arrow" || bad "gen c (file format)"
check "file format has magic"   bash -c "head -c 6 $T/c.arrow | grep -q ARROW1"
"$STROM" cat -F csv "$T/a.arrows" >"$T/a.csv" && "$STROM" cat -F csv "$T/b.arrows" >"$T/b.csv" &&
  "$STROM" cat -F csv "$T/c.arrow" >"$T/c.csv" || bad "cat csv"
check "csv has header + 2500 rows" test "$(wc -l <"$T/a.csv")" = 2501
check "zstd/1000 == lz4/333"    cmp -s "$T/a.csv" "$T/b.csv"
check "stream == file"          cmp -s "$T/a.csv" "$T/c.csv"
"$STROM" cat -F jsonl "$T/a.arrows" >"$T/a.jsonl" || bad "cat jsonl"
check "jsonl rows"              test "$(wc -l <"$T/a.jsonl")" = 2500
check "jsonl first row id 0"    bash -c "head -1 $T/a.jsonl | grep -q '^{\"id\":0,\"sym\":'"
check "jsonl parses"            bash -c "command -v node >/dev/null || exit 0; node -e 'require(\"fs\").readFileSync(\"$T/a.jsonl\",\"utf8\").trim().split(\"\\n\").forEach(l=>JSON.parse(l))'"
check "table output"            bash -c "\"$STROM\" cat -n 5 $T/a.arrows | grep -q '(2500 rows, first 5 shown)'"

# projection and predicate
"$STROM" cat -F csv -c price,sym -w "price > 150 AND sym IN ('AAPL','A')" "$T/a.arrows" >"$T/w.csv" || bad "cat --where"
check "projected header"        test "$(head -1 "$T/w.csv")" = "price,sym"
check "where holds on every row" awk -F, 'NR > 1 && !($1 > 150 && ($2 == "AAPL" || $2 == "A")) { exit 1 }' "$T/w.csv"
check "where matched some rows" test "$(wc -l <"$T/w.csv")" -gt 10
check "where kept every match"  test "$(awk -F, 'NR > 1 && $3 > 150 && ($2 == "AAPL" || $2 == "A")' "$T/a.csv" | wc -l)" = "$(( $(wc -l <"$T/w.csv") - 1 ))"
"$STROM" cat -F arrow --codec zstd -c price,sym -w "price > 150 AND sym IN ('AAPL','A')" -o "$T/w.arrows" "$T/a.arrows" || bad "cat -F arrow"
check "arrow output re-reads"   bash -c "\"$STROM\" cat -F csv $T/w.arrows | cmp -s - $T/w.csv"

# statistics pruning: id < 1000 lives in the first of 3 batches
"$STROM" cat --stats -F csv -w "id < 1000" "$T/a.arrows" >/dev/null 2>"$T/stats" || bad "cat --stats"
check "stats: 2 skipped, 1 whole" grep -q "2 skipped, 1 taken whole, 0 filtered" "$T/stats"
check "stats show min/max"      grep -q "min=0 max=999" "$T/stats"

# errors name what and where
check "parse error: exit 1"     test "$(status "$STROM" cat -w "price >> 1" "$T/a.arrows")" = 1
check "parse error position"    grep -q "position" "$T/err"
check "unknown column"          test "$(status "$STROM" cat -c nope "$T/a.arrows")" = 1
check "names the column"        grep -q "nope" "$T/err"
head -c 3000 "$T/a.arrows" >"$T/trunc.arrows"
check "truncated: exit 1"       test "$(status "$STROM" cat "$T/trunc.arrows")" = 1
check "names the file"          grep -q "trunc.arrows" "$T/err"
check "missing file: exit 1"    test "$(status "$STROM" cat "$T/none.arrows")" = 1
check "empty file: exit 1"      bash -c ": >$T/empty; \"$STROM\" cat $T/empty 2>/dev/null; test \$? = 1"
printf 'not arrow at all, just text\n' >"$T/junk"
check "junk: exit 1"            test "$(status "$STROM" cat "$T/junk")" = 1

# the demo
check "demo runs"               test "$(status "$STROM" demo -n 20000 -b 2000)" = 0
check "demo reports savings"    grep -q "saved" "$T/out"
check "demo skips by stats"     grep -Eq "[1-9][0-9]* skipped by statistics" "$T/out"

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
