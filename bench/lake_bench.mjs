// lake_bench.mjs: DuckDB (@duckdb/node-api from tests/interop) beside strom-lake-bench, on the
// same rows (20 BIGINT columns: c0 = id, c1 = id * 7919 % 100, c2..c19 = id * k):
//   copy   the rows, built in memory first, written with COPY ... TO (FORMAT parquet) and the
//          same codec (what tiering is compared with)
//   scan   strom's tiered Parquet files read by DuckDB: every column (a sum of each), 2 of 20
//          columns, and the 1% filter c1 = 7 with 2 columns (what the lake half of a union
//          read is compared with)
//
//   node bench/lake_bench.mjs LAKE_TABLE_DIR ROWS CODEC THREADS OUT.parquet
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';

const require = createRequire(new URL('../tests/interop/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const [lake, rowsArg, codec, threads, out] = process.argv.slice(2);
const rows = Number(rowsArg);
const db = await DuckDBInstance.create(':memory:', { threads });
const con = await db.connect();
const cols = ['range AS c0', '(range * 7919) % 100 AS c1'];
for (let c = 2; c < 20; c++) cols.push(`range * ${c} AS c${c}`);
await con.run(`CREATE TABLE t AS SELECT ${cols.join(', ')} FROM range(${rows})`);
let t0 = process.hrtime.bigint();
await con.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION ${codec})`);
let secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ system: 'duckdb', op: 'copy', codec, threads: Number(threads), rows,
  secs: +secs.toFixed(3), rows_s: Math.round(rows / secs), mb_s: +((rows * 160) / secs / 1e6).toFixed(1),
  file_bytes: statSync(out).size }));
await con.run('DROP TABLE t');
const files = `'${lake}/bucket-*/*.parquet'`;
const sums = Array.from({ length: 20 }, (_, c) => `sum(c${c})`).join(', ');
for (const [name, sql] of [
  ['all_columns', `SELECT count(*), ${sums} FROM read_parquet(${files})`],
  ['2_of_20', `SELECT count(*), sum(c0), sum(c1) FROM read_parquet(${files})`],
  ['filter_1pct', `SELECT count(*), sum(c0), sum(c1) FROM read_parquet(${files}) WHERE c1 = 7`],
]) {
  t0 = process.hrtime.bigint();
  const r = (await con.runAndReadAll(sql)).getRows()[0];
  secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ system: 'duckdb', op: 'scan', case: name, threads: Number(threads),
    rows: Number(r[0]), of: rows, secs: +secs.toFixed(3), rows_s: Math.round(rows / secs) }));
}
