#!/usr/bin/env bash
# e2e_test.sh: stromd and the strom CLI end to end, on loopback, as a user runs them:
# tables, produce (CSV, JSON Lines, Arrow), consume with projection and filter (exact rows and
# fewer bytes), follow (long-poll), offsets, schema evolution, partitions and pruning, bad
# input (clear errors, nothing lost, the server keeps serving), primary-key tables, tiering
# into the lake and queries over lake and log, kill -9 and restart, clean shutdown, drop.
#
# usage: e2e_test.sh STROMD STROM WORKDIR
set -uo pipefail
STROMD=$1 STROM=$2 WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK"
cd "$WORK"
FAILS=0 CHECKS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
check() { CHECKS=$((CHECKS + 1)); }
expect_eq() { # what, expected, actual
  check
  if [ "$2" != "$3" ]; then fail "$1"; echo "--- expected" >&2; echo "$2" >&2; echo "--- got" >&2; echo "$3" >&2; fi
}
expect_contains() { # what, needle, haystack
  check
  case "$3" in *"$2"*) ;; *) fail "$1: '$2' not in: $3" ;; esac
}

SERVER_PID=
start_server() {
  "$STROMD" -d "$WORK/data" -l 127.0.0.1:0 --set retention_check=200ms "$@" 2>>"$WORK/stromd.log" &
  SERVER_PID=$!
  for _ in $(seq 200); do
    # one read of the log, so the count and the port come from the same lines
    lines=$(grep -o 'msg="listening" addr=127.0.0.1:[0-9]*' "$WORK/stromd.log")
    n=$(printf '%s' "$lines" | grep -c listening)
    if [ "$n" -gt "${STARTS:-0}" ]; then
      STARTS=$n
      PORT=$(printf '%s\n' "$lines" | tail -1 | sed 's/.*://')
      export STROM_SERVER=127.0.0.1:$PORT
      return 0
    fi
    sleep 0.05
  done
  echo "stromd did not start:" >&2; cat "$WORK/stromd.log" >&2; exit 1
}
trap 'kill -9 $SERVER_PID 2>/dev/null' EXIT

# ---- help --------------------------------------------------------------------------------
"$STROMD" --help >/dev/null || fail "stromd --help"
check
for c in create-table tables describe drop-table add-column produce consume offsets \
         create-database databases drop-database create-partition drop-partition \
         upsert delete lookup scan tiering tier query; do
  out=$("$STROM" "$c" --help) || fail "strom $c --help exit status"
  expect_contains "strom $c --help" "usage: strom $c" "$out"
done
"$STROMD" --set no_such_key=1 2>err.txt; rc=$?
expect_eq "unknown config key exit status" 2 "$rc"
expect_contains "unknown config key message" "unknown configuration key 'no_such_key'" "$(cat err.txt)"

start_server

# ---- create, produce CSV, consume ---------------------------------------------------------
"$STROM" create-table market.trades --columns "ts TIMESTAMP NOT NULL, sym STRING NOT NULL, price DECIMAL(10,2), qty INT" >/dev/null ||
  fail "create-table"
expect_eq "tables" "trades" "$("$STROM" tables market)"
printf 'ts,sym,price,qty\n2026-12-01 10:00:00,ABC,12.50,100\n2026-12-01 10:00:01,XYZ,7.25,5\n2026-12-01 10:00:02,ABC,13.00,\n' >t1.csv
"$STROM" produce -q market.trades t1.csv || fail "produce csv"
expect_eq "consume all" "$(cat t1.csv)" "$("$STROM" consume market.trades --format csv)"
expect_eq "consume projected + filtered" "$(printf 'price,sym\n12.50,ABC\n13.00,ABC')" \
  "$("$STROM" consume market.trades --columns price,sym --where "price > 10" --format csv)"
expect_eq "filter on a string, IN, IS NULL" "$(printf 'qty\n5')" \
  "$("$STROM" consume market.trades --columns qty --where "sym IN ('XYZ','QQQ') AND qty IS NOT NULL" --format csv)"
expect_eq "limit" "$(printf 'sym\nABC')" "$("$STROM" consume market.trades --columns sym --limit 1 --format csv)"
printf '{"ts":"2026-12-01 10:00:03","sym":"JSN","price":"1.5","qty":7}\n' | "$STROM" produce -q market.trades --format jsonl ||
  fail "produce jsonl"
expect_eq "jsonl row" '{"sym":"JSN","price":"1.50","qty":7}' \
  "$("$STROM" consume market.trades --columns sym,price,qty --where "sym = 'JSN'" --format jsonl)"
expect_eq "offsets" "$(printf 'partition        bucket       earliest         latest\n-                     0              0              4')" \
  "$("$STROM" offsets market.trades)"

# ---- bad input: clear errors, nothing acknowledged lost, the server keeps serving ---------
printf 'ts,sym,price,qty\n2026-12-01 10:00:04,OK1,1.00,1\n2026-12-01 10:00:05,BAD,abc,1\n2026-12-01 10:00:06,OK2,1.00,1\n' >bad.csv
"$STROM" produce -q market.trades bad.csv 2>err.txt; rc=$?
expect_eq "bad csv exit status" 1 "$rc"
expect_contains "bad csv names line and column" "line 3, column 'price'" "$(cat err.txt)"
expect_eq "rows before the bad one kept" "$(printf 'sym\nOK1')" \
  "$("$STROM" consume market.trades --columns sym --where "sym IN ('OK1','BAD','OK2')" --format csv)"
"$STROM" consume market.trades --where "price >> 3" 2>err.txt; rc=$?
expect_eq "bad predicate exit status" 1 "$rc"
expect_contains "bad predicate names the position" "--where" "$(cat err.txt)"
"$STROM" consume market.trades --columns nope 2>err.txt
expect_contains "unknown column" "column 'nope' is not in market.trades" "$(cat err.txt)"
"$STROM" create-table "ev/il.t" --columns "a INT" 2>err.txt
expect_contains "path tricks refused" "database name 'ev/il' has character 0x2f" "$(cat err.txt)"
"$STROM" create-table "../etc.x" --columns "a INT" 2>err.txt
expect_contains "dot-dot refused" "database name is empty" "$(cat err.txt)"
"$STROM" produce -q market.nosuch t1.csv 2>err.txt
expect_contains "missing table" "table market.nosuch does not exist" "$(cat err.txt)"
"$STROM" create-table market.trades --columns "a INT" 2>err.txt
expect_contains "duplicate table" "table market.trades exists" "$(cat err.txt)"
expect_eq "server still serves" "5" "$("$STROM" consume market.trades --columns sym --format csv | tail -n +2 | wc -l | tr -d ' ')"

# ---- Arrow in and out, projection moves fewer bytes -------------------------------------
"$STROM" gen -n 20000 -b 2000 -c zstd -o demo.arrows
cols=$("$STROM" gen --schema | awk '{n=$1; $1=""; printf "%s%s%s", (NR>1?", ":""), n, $0}')
"$STROM" create-table demo.all --columns "$cols" >/dev/null || fail "create demo.all"
"$STROM" produce -q demo.all demo.arrows || fail "produce arrow"
expect_eq "arrow round trip (all columns)" "$("$STROM" cat demo.arrows --format csv)" \
  "$("$STROM" consume demo.all --format csv)"
expect_eq "projection + filter equals the local codec" \
  "$("$STROM" cat demo.arrows --columns id,sym,price --where "id >= 19000 AND sym <> 'AAPL'" --format csv)" \
  "$("$STROM" consume demo.all --columns id,sym,price --where "id >= 19000 AND sym <> 'AAPL'" --format csv)"
"$STROM" consume demo.all --format arrow >out.arrows || fail "consume --format arrow"
expect_eq "arrow output reads back" "$("$STROM" cat demo.arrows --format csv)" "$("$STROM" cat out.arrows --format csv)"
stats=$("$STROM" consume demo.all --columns id --where "id >= 19990" --stats --format csv 2>&1 >/dev/null)
expect_contains "stats line" "10 rows in 1 batches" "$stats"
pct=$(echo "$stats" | sed 's/.*(\([0-9.]*\)%).*/\1/')
check; awk -v p="$pct" 'BEGIN { exit !(p < 5) }' || fail "pushdown should move <5% of the bytes, moved $pct%"

# ---- follow: a long-polling consumer sees new rows --------------------------------------
"$STROM" consume market.trades --columns sym --from latest --follow --format csv >follow.out 2>&1 &
FPID=$!
sleep 0.5
printf 'ts,sym,price,qty\n2026-12-01 10:00:07,LIVE,1.00,1\n' | "$STROM" produce -q market.trades
for _ in $(seq 40); do grep -q LIVE follow.out && break; sleep 0.05; done
expect_eq "follow sees the new row" "$(printf 'sym\nLIVE')" "$(cat follow.out)"
kill -INT $FPID; wait $FPID; rc=$?
expect_eq "follow stops on Ctrl-C" 0 "$rc"

# ---- offsets by time ----------------------------------------------------------------------
expect_eq "offset at a future time is the end" "$(printf 'partition        bucket         offset\n-                     0              6')" \
  "$("$STROM" offsets market.trades --at 2100-01-01T00:00:00Z)"

# ---- schema evolution -------------------------------------------------------------------
"$STROM" add-column market.trades "venue STRING" >/dev/null || fail "add-column"
printf 'ts,sym,price,qty,venue\n2026-12-01 10:00:08,EVO,2.00,2,XNAS\n' | "$STROM" produce -q market.trades || fail "produce v2"
expect_eq "old rows read the new column as null" "$(printf 'sym,venue\nABC,\nABC,\nEVO,XNAS')" \
  "$("$STROM" consume market.trades --columns sym,venue --where "sym IN ('ABC','EVO') AND (venue IS NULL OR venue = 'XNAS') AND price > 1.9" --format csv)"

# ---- partitions: created on write, pruned by the predicate --------------------------------
"$STROM" create-table market.daily --buckets 2 --bucket-key sym --partition-by day \
  --columns "day DATE NOT NULL, sym STRING NOT NULL, v BIGINT" >/dev/null || fail "create partitioned"
{ echo "day,sym,v"; for i in $(seq 1 500); do echo "2026-11-30,S$((i % 7)),$i"; echo "2026-12-01,S$((i % 7)),$i"; done; } >daily.csv
"$STROM" produce -q market.daily daily.csv || fail "produce partitioned"
expect_contains "two partitions" "2 partitions" "$("$STROM" describe market.daily)"
expect_eq "partition filter" "500" "$("$STROM" consume market.daily --columns v --where "day = DATE '2026-12-01'" --format csv | tail -n +2 | wc -l | tr -d ' ')"
full=$("$STROM" consume market.daily --columns v --stats --format csv 2>&1 >/dev/null | sed 's/.*moved \(.*\) (.*/\1/')
pruned=$("$STROM" consume market.daily --columns v --where "day = DATE '2026-12-01'" --stats --format csv 2>&1 >/dev/null | sed 's/.*moved \(.*\) (.*/\1/')
check; [ "$full" != "$pruned" ] || fail "pruning should read less than the whole table ($full vs $pruned)"
expect_eq "sum over both partitions" "250500" "$("$STROM" consume market.daily --columns v --format csv | tail -n +2 | awk '{s+=$1} END {print s}')"

"$STROM" consume market.daily --columns sym --from latest --follow --format csv >pfollow.out 2>&1 &
FPID=$!
sleep 0.5
printf 'day,sym,v\n2027-01-01,NEWP,1\n' | "$STROM" produce -q market.daily
for _ in $(seq 60); do grep -q NEWP pfollow.out && break; sleep 0.05; done
expect_eq "a follower sees rows of a partition created after it started" "$(printf 'sym\nNEWP')" "$(cat pfollow.out)"
kill -INT $FPID; wait $FPID
"$STROM" drop-partition market.daily 2027-01-01 || fail "drop the new partition"
printf '{"day":"2026-12-02","sym":"A","v":1}\n{"day":"2026-12-02","sym":"A","v":oops}\n' |
  "$STROM" produce -q market.daily --format jsonl 2>err.txt; rc=$?
expect_eq "malformed JSON exit status" 1 "$rc"
expect_contains "malformed JSON names the line" "line 2" "$(cat err.txt)"
"$STROM" create-partition market.daily 2026-12-24 || fail "create-partition"
expect_contains "partition created ahead" "2026-12-24" "$("$STROM" offsets market.daily)"
"$STROM" drop-partition market.daily 2026-11-30 || fail "drop-partition"
expect_eq "rows after dropping a partition" "501" "$("$STROM" consume market.daily --columns v --format csv | tail -n +2 | wc -l | tr -d ' ')"
"$STROM" drop-partition market.daily 1999-01-01 2>err.txt
expect_contains "dropping a missing partition" "partition 1999-01-01 does not exist" "$(cat err.txt)"

# partition retention: the newest N partitions are kept (retention runs every 200 ms here)
"$STROM" create-table market.hourly --partition-by h --partition-retention 2 \
  --columns "h BIGINT NOT NULL, v BIGINT" >/dev/null || fail "create with partition retention"
printf 'h,v\n1,1\n2,2\n3,3\n' | "$STROM" produce -q market.hourly || fail "produce hourly"
for _ in $(seq 50); do
  [ "$("$STROM" consume market.hourly --columns h --format csv | tail -n +2 | tr '\n' ' ')" = "2 3 " ] && break
  sleep 0.1
done
expect_eq "partition retention keeps the newest two" "$(printf 'h\n2\n3')" \
  "$("$STROM" consume market.hourly --columns h --format csv)"
expect_contains "retention logged" 'msg="retention"' "$(cat stromd.log)"

# ---- one request in flight, no linger: rows written meanwhile join the next batch ---------
"$STROM" create-table demo.flight --columns "n BIGINT NOT NULL" >/dev/null || fail "create flight"
seq 1 3000 | sed '1i n' | "$STROM" produce -q demo.flight --in-flight 1 --linger 0 || fail "produce --in-flight 1"
expect_eq "in-flight 1: every row once, in order" "$(seq 1 3000 | sed '1i n')" "$("$STROM" consume demo.flight --format csv)"
"$STROM" produce -q demo.flight --in-flight 0 </dev/null 2>err.txt; rc=$?
expect_eq "--in-flight 0 exit status" 2 "$rc"
expect_contains "--in-flight 0 message" "--in-flight '0' is not in 1..64" "$(cat err.txt)"

# ---- primary-key tables: upsert, partial update, delete, lookup, scan, changelog ---------
"$STROM" create-table demo.stock --primary-key item --buckets 2 \
  --columns "item STRING NOT NULL, qty BIGINT, updated TIMESTAMP" >/dev/null || fail "create pk table"
expect_contains "describe: primary key" "primary key item; merge engine last_row" "$("$STROM" describe demo.stock)"
printf 'item,qty,updated\nbolt,40,2026-12-01 10:00:00\nnut,7,2026-12-01 10:00:00\nwasher,100,\n' |
  "$STROM" upsert -q demo.stock || fail "upsert"
printf 'item,qty\nbolt,38\n' | "$STROM" upsert -q demo.stock --columns item,qty || fail "partial upsert"
printf 'item\nnut\n' | "$STROM" delete -q demo.stock || fail "delete"
expect_eq "lookup (partial update kept the timestamp)" "$(printf 'item,qty,updated\nbolt,38,2026-12-01 10:00:00\nwasher,100,')" \
  "$("$STROM" lookup demo.stock bolt washer --format csv)"
"$STROM" lookup demo.stock nut >/dev/null 2>err.txt; rc=$?
expect_eq "lookup of a deleted key: exit status" 3 "$rc"
expect_contains "lookup of a deleted key: message" "not found: nut" "$(cat err.txt)"
expect_eq "scan: the current state" "$(printf 'bolt,38\nwasher,100')" \
  "$("$STROM" scan demo.stock --columns item,qty --format csv | tail -n +2 | sort)"
expect_eq "scan with a filter" "$(printf 'item\nwasher')" "$("$STROM" scan demo.stock --columns item --where "qty > 50" --format csv)"
expect_eq "changelog" "$(printf -- '+I,bolt,40\n+I,nut,7\n+I,washer,100\n+U,bolt,38\n-D,nut,7\n-U,bolt,40' | LC_ALL=C sort)" \
  "$("$STROM" consume demo.stock --changelog --columns item,qty --format csv | tail -n +2 | LC_ALL=C sort)"
printf 'item,qty\n,5\n' | "$STROM" upsert -q demo.stock 2>err.txt; rc=$?
expect_eq "null key: exit status" 1 "$rc"
expect_contains "null key: message" "line 2, column 'item'" "$(cat err.txt)"
"$STROM" upsert -q demo.flight </dev/null 2>err.txt; rc=$?
expect_contains "upsert into a log table" "is a log table" "$(cat err.txt)"
"$STROM" scan demo.flight 2>err.txt; rc=$?
expect_contains "scan of a log table" "a snapshot needs a primary key" "$(cat err.txt)"
"$STROM" create-table demo.totals --primary-key day,item --bucket-key day --merge-engine aggregate \
  --aggregate qty=sum,last_sale=max --columns "day DATE NOT NULL, item STRING NOT NULL, qty BIGINT, last_sale TIMESTAMP" >/dev/null ||
  fail "create aggregate table"
printf 'day,item,qty,last_sale\n2026-12-01,bolt,3,2026-12-01 09:00:00\n2026-12-01,bolt,4,2026-12-01 08:00:00\n2026-12-01,nut,1,\n2026-12-02,nut,2,\n' |
  "$STROM" upsert -q demo.totals || fail "upsert aggregate"
expect_eq "aggregate: sum and max" '{"qty":7,"last_sale":"2026-12-01 09:00:00"}' \
  "$("$STROM" lookup demo.totals 2026-12-01,bolt --columns qty,last_sale --format jsonl)"
expect_eq "prefix lookup by the bucket key" "$(printf 'item,qty\nbolt,7\nnut,1')" \
  "$("$STROM" lookup demo.totals --prefix 2026-12-01 --columns item,qty --format csv)"
"$STROM" create-table demo.bad --primary-key a --columns "a INT" 2>err.txt; rc=$?
expect_contains "nullable key refused" "primary key column 'a' must be NOT NULL" "$(cat err.txt)"
"$STROM" create-table demo.bad --primary-key a --merge-engine versioned --columns "a INT NOT NULL" 2>err.txt
expect_contains "versioned without a version column" "needs a version column" "$(cat err.txt)"

# a partitioned primary-key table: the partition column is part of the key
"$STROM" create-table demo.daily --primary-key day,item --partition-by day --buckets 2 \
  --columns "day DATE NOT NULL, item STRING NOT NULL, qty BIGINT" >/dev/null || fail "create partitioned pk table"
printf 'day,item,qty\n2026-12-01,bolt,1\n2026-12-02,bolt,2\n2026-12-02,nut,3\n2026-12-01,bolt,5\n' |
  "$STROM" upsert -q demo.daily || fail "upsert partitioned"
expect_eq "partitioned lookup" "$(printf 'day,item,qty\n2026-12-01,bolt,5\n2026-12-02,nut,3')" \
  "$("$STROM" lookup demo.daily 2026-12-01,bolt 2026-12-02,nut --format csv)"
expect_eq "partitioned scan with pruning" "$(printf 'item,qty\nbolt,2\nnut,3')" \
  "$("$STROM" scan demo.daily --columns item,qty --where "day = '2026-12-02'" --format csv | (read -r h; echo "$h"; sort))"
"$STROM" drop-partition demo.daily 2026-12-01 >/dev/null || fail "drop pk partition"
"$STROM" lookup demo.daily 2026-12-01,bolt >/dev/null 2>&1; rc=$?
expect_eq "lookup in a dropped partition" 3 "$rc"

# versioned: a delete carries its version and wins only over an older row
"$STROM" create-table demo.ver --primary-key id --merge-engine versioned --version-column v \
  --columns "id BIGINT NOT NULL, v BIGINT NOT NULL, x STRING" >/dev/null || fail "create versioned"
printf 'id,v,x\n1,5,a\n2,5,b\n1,3,old\n' | "$STROM" upsert -q demo.ver || fail "upsert versioned"
expect_eq "versioned: the older write lost" "$(printf 'id,v,x\n1,5,a')" "$("$STROM" lookup demo.ver 1 --format csv)"
printf 'id,v\n1,4\n2,6\n' | "$STROM" delete -q demo.ver || fail "delete versioned"
expect_eq "versioned deletes: the older one lost" "$(printf 'id,v,x\n1,5,a')" "$("$STROM" scan demo.ver --format csv)"
printf 'id\n1\n' | "$STROM" delete -q demo.ver 2>err.txt; rc=$?
expect_eq "versioned delete without a version: exit status" 1 "$rc"
# a key that is only the partition column: the bucket follows it too
"$STROM" create-table demo.perday --primary-key day --partition-by day --buckets 3 \
  --columns "day DATE NOT NULL, total BIGINT" >/dev/null || fail "create perday"
expect_contains "perday bucket key" "buckets  3 by day" "$("$STROM" describe demo.perday)"
for t in 1 2 3 4 5 6; do printf 'day,total\n2026-12-01,%s\n' $t | "$STROM" upsert -q demo.perday || fail "upsert perday"; done
expect_eq "perday: one row per key whatever the batches" "$(printf 'day,total\n2026-12-01,6')" "$("$STROM" scan demo.perday --format csv)"

# ---- lakehouse: tiering into Paimon, one query over lake and log -------------------------
"$STROM" create-table lake.events --buckets 2 --bucket-key id --partition-by region \
  --columns "id BIGINT NOT NULL, region STRING NOT NULL, amount DOUBLE, note STRING" >/dev/null ||
  fail "create-table lake.events"
{ echo "id,region,amount,note"; for i in $(seq 1 300); do echo "$i,r$((i % 3)),$((i % 50)).5,n$i"; done; } >ev1.csv
"$STROM" produce -q lake.events ev1.csv || fail "produce lake.events"
Q="SELECT id, amount FROM lake.events WHERE region = 'r1' AND amount > 40"
before=$("$STROM" query "$Q" --format csv | sort -n)
expect_eq "query before tiering = consume" "$("$STROM" consume lake.events --columns id,amount --where "region = 'r1' AND amount > 40" --format csv | sort -n)" "$before"
"$STROM" tier lake.events 2>err.txt; rc=$?
expect_eq "tier without tiering on: exit status" 1 "$rc"
expect_contains "tier without tiering on" "tiering is off for lake.events" "$(cat err.txt)"
"$STROM" tiering lake.events on --freshness 1h >/dev/null || fail "tiering on"
expect_contains "describe shows tiering" "tiering  on, freshness 3600000 ms; lake table" "$("$STROM" describe lake.events)"
# turning it on wakes the service, which may be first: either way the lake holds 300 rows
out=$("$STROM" tier lake.events) || fail "tier"
case "$out" in *"300 rows in 6 files"*|*"nothing new to tier"*) check ;; *) fail "tier: $out" ;; esac
expect_contains "lake snapshot rows" '"totalRecordCount": 300' "$(cat data/lake/lake.db/events/snapshot/snapshot-1)"
check; ls data/lake/lake.db/events/region=r1/bucket-0/*.parquet >/dev/null 2>&1 || fail "no Parquet files under data/lake"
check; [ -f data/lake/lake.db/events/snapshot/snapshot-1 ] || fail "no lake snapshot"
expect_eq "query after tiering: the same rows" "$before" "$("$STROM" query "$Q" --format csv | sort -n)"
{ echo "id,region,amount,note"; for i in $(seq 301 400); do echo "$i,r$((i % 3)),$((i % 50)).5,n$i"; done; } >ev2.csv
"$STROM" produce -q lake.events ev2.csv || fail "produce more"
expect_eq "half tiered: lake + log" "400" "$("$STROM" query "SELECT id FROM lake.events" --format csv | tail -n +2 | sort -un | wc -l | tr -d ' ')"
expect_eq "LIMIT" "3" "$("$STROM" query "select id from lake.events limit 3" --format csv | tail -n +2 | wc -l | tr -d ' ')"
expect_eq "jsonl out" '{"id":301,"note":"n301"}' "$("$STROM" query "SELECT id, note FROM lake.events WHERE id = 301" --format jsonl)"
"$STROM" query "SELECT id FROM lake.events WHERE nope > 1" 2>err.txt; rc=$?
expect_eq "bad query column exit status" 1 "$rc"
expect_contains "bad query column message" "nope" "$(cat err.txt)"
"$STROM" query "SELEKT id FROM lake.events" 2>err.txt; rc=$?
expect_contains "malformed query" "expected SELECT cols FROM db.table" "$(cat err.txt)"
"$STROM" query "SELECT id FROM lake.events" --stats --format csv >/dev/null 2>err.txt || fail "query --stats"
expect_contains "query --stats" "rows in" "$(cat err.txt)"
# follow: rows written while the query waits arrive once
"$STROM" query "SELECT id FROM lake.events WHERE id > 400" --follow --format csv >follow.csv 2>/dev/null &
QPID=$!
sleep 0.5
{ echo "id,region,amount,note"; for i in $(seq 401 410); do echo "$i,r0,1.5,n$i"; done; } | "$STROM" produce -q lake.events --format csv
for _ in $(seq 50); do [ "$(tail -n +2 follow.csv | wc -l)" -ge 10 ] && break; sleep 0.1; done
kill $QPID 2>/dev/null; wait $QPID 2>/dev/null
expect_eq "query --follow" "$(seq 401 410)" "$(tail -n +2 follow.csv | sort -n)"
# a table of its own warehouse
"$STROM" create-table lake.own --tiering --warehouse "$WORK/wh" --columns "id BIGINT NOT NULL" >/dev/null || fail "create with --warehouse"
printf 'id\n1\n2\n' | "$STROM" produce -q lake.own --format csv || fail "produce lake.own"
"$STROM" tier lake.own >/dev/null || fail "tier lake.own"
check; ls "$WORK"/wh/lake.db/own/bucket-0/*.parquet >/dev/null 2>&1 || fail "no files in the table's warehouse"
expect_contains "describe names the warehouse" "lake table $WORK/wh/lake.db/own" "$("$STROM" describe lake.own)"
"$STROM" create-table lake.bad --tiering --warehouse relative/dir --columns "id BIGINT NOT NULL" 2>err.txt
expect_contains "relative warehouse refused" "not an absolute directory" "$(cat err.txt)"
# a primary-key table in the lake: the query gives the current rows, as scan does
"$STROM" create-table lake.stock --primary-key item --buckets 2 --tiering --freshness 1h \
  --columns "item STRING NOT NULL, qty BIGINT" >/dev/null || fail "create pk table with tiering"
printf 'item,qty\nbolt,40\nnut,7\nscrew,3\n' | "$STROM" upsert -q lake.stock || fail "upsert"
"$STROM" tier lake.stock >/dev/null || fail "tier pk"
printf 'item,qty\nbolt,38\n' | "$STROM" upsert -q lake.stock || fail "upsert after tier"
printf 'item\nnut\n' | "$STROM" delete -q lake.stock || fail "delete after tier"
expect_eq "pk query = scan" "$("$STROM" scan lake.stock --format csv | sort)" "$("$STROM" query "SELECT * FROM lake.stock" --format csv | sort)"
expect_eq "pk query filtered" "$(printf 'item\nbolt')" "$("$STROM" query "SELECT item FROM lake.stock WHERE qty > 5" --format csv)"
check; ls data/lake/lake.db/stock/bucket-*/*.parquet >/dev/null 2>&1 || fail "no Parquet files for the pk table"
"$STROM" tiering lake.events off >/dev/null || fail "tiering off"
expect_eq "the lake stays readable with tiering off" "410" "$("$STROM" query "SELECT id FROM lake.events" --format csv | tail -n +2 | wc -l | tr -d ' ')"

# ---- tiering outside the server: tier_service = external, strom tier --local --------------
kill -TERM $SERVER_PID; wait $SERVER_PID
start_server --set tier_service=external --set tier_read_grace=0ms
"$STROM" create-table lake.ext --buckets 2 --bucket-key id --tiering --freshness 400ms --segment-bytes 4096 \
  --retention-bytes 4096 --columns "id BIGINT NOT NULL, v STRING" >/dev/null || fail "create lake.ext"
{ echo "id,v"; for i in $(seq 1 2000); do echo "$i,value-$i"; done; } | "$STROM" produce -q lake.ext --format csv || fail "produce lake.ext"
"$STROM" tier lake.ext 2>err.txt; rc=$?
expect_eq "server tier refused when external: exit status" 1 "$rc"
expect_contains "server tier refused when external" "tier_service = external" "$(cat err.txt)"
expect_contains "tier --local" "2000 rows in 2 files" "$("$STROM" tier lake.ext --local)"
expect_contains "tier --local again" "nothing new to tier" "$("$STROM" tier lake.ext --local)"
{ echo "id,v"; for i in $(seq 2001 4000); do echo "$i,value-$i"; done; } | "$STROM" produce -q lake.ext --format csv || fail "produce more"
for _ in $(seq 50); do  # the server follows the lake's snapshot, then retention deletes what it holds
  e=$("$STROM" offsets lake.ext | awk 'NR > 1 { s += $3 } END { print s }')
  [ "${e:-0}" -gt 0 ] && break; sleep 0.2
done
check; [ "${e:-0}" -gt 0 ] || fail "retention did not follow the external lake (earliest sum $e)"
expect_eq "query after external tiering and retention" "4000" "$("$STROM" query "SELECT id FROM lake.ext" --format csv | tail -n +2 | sort -un | wc -l | tr -d ' ')"
"$STROM" tier --help | grep -q -- "--local" || fail "tier --help names --local"
check

# ---- databases ------------------------------------------------------------------------------
"$STROM" create-database scratch || fail "create-database"
expect_eq "databases" "$(printf 'demo\nlake\nmarket\nscratch')" "$("$STROM" databases)"
"$STROM" drop-database market 2>err.txt
expect_contains "non-empty database refused" "still has" "$(cat err.txt)"
"$STROM" drop-database scratch || fail "drop-database"
expect_eq "databases after drop" "$(printf 'demo\nlake\nmarket')" "$("$STROM" databases)"

# ---- kill -9 and restart: acknowledged rows survive ---------------------------------------
{ echo "ts,sym,price,qty"; for i in $(seq 1 2000); do echo "2026-12-01 12:00:00,K$i,1.00,$i"; done; } >k.csv
"$STROM" produce -q market.trades k.csv || fail "produce before kill"
{ echo "item,qty"; for i in $(seq 1 500); do echo "part$i,$i"; done; } | "$STROM" upsert -q demo.stock || fail "upsert before kill"
{ echo "item"; for i in $(seq 1 100); do echo "part$i"; done; } | "$STROM" delete -q demo.stock || fail "delete before kill"
kill -9 $SERVER_PID; wait $SERVER_PID 2>/dev/null
start_server
expect_eq "pk state after kill -9 (replayed)" "402" "$("$STROM" scan demo.stock --columns item --format csv | tail -n +2 | wc -l | tr -d ' ')"
expect_eq "pk lookup after kill -9" "$(printf 'item,qty\npart101,101')" "$("$STROM" lookup demo.stock part101 --columns item,qty --format csv)"
expect_eq "rows after kill -9" "2000" "$("$STROM" consume market.trades --columns qty --where "sym >= 'K' AND sym < 'L'" --format csv | tail -n +2 | wc -l | tr -d ' ')"
expect_eq "schema after restart" "5" "$("$STROM" consume market.trades --limit 1 --format csv | head -1 | tr ',' '\n' | wc -l | tr -d ' ')"

# ---- drop, clean shutdown -----------------------------------------------------------------
"$STROM" drop-table market.daily >/dev/null || fail "drop-table"
expect_eq "tables after drop" "$(printf 'hourly\ntrades')" "$("$STROM" tables market)"
check; ls data/data/market | grep -q daily && fail "dropped table's files remain"
"$STROM" drop-table lake.events >/dev/null || fail "drop-table lake.events"
check; [ -d data/lake/lake.db/events ] && fail "a dropped table's lake table remains"
kill -TERM $SERVER_PID; wait $SERVER_PID; rc=$?
expect_eq "SIGTERM exit status" 0 "$rc"
expect_contains "clean shutdown logged" 'msg="stopped"' "$(tail -1 stromd.log)"

echo "e2e: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
