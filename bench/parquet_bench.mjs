// parquet_bench.mjs: DuckDB (@duckdb/node-api from tests/interop) writes the rows of
// strom-parquet-bench (20 BIGINT columns: c0 = id, c1 = id * 7919 % 100, c2..c19 = id * k)
// to Parquet with a codec. The table is built in memory first; the timing covers COPY only.
//
//   node bench/parquet_bench.mjs FILE ROWS CODEC [THREADS]   (after `npm ci` in tests/interop)
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';

// the pinned test tool of tests/interop (package-lock.json there)
const require = createRequire(new URL('../tests/interop/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const [file, rowsArg, codec, threadsArg] = process.argv.slice(2);
const rows = Number(rowsArg), threads = threadsArg || '1';
const db = await DuckDBInstance.create(':memory:', { threads });
const con = await db.connect();
const cols = ['range AS c0', '(range * 7919) % 100 AS c1'];
for (let c = 2; c < 20; c++) cols.push(`range * ${c} AS c${c}`);
await con.run(`CREATE TABLE t AS SELECT ${cols.join(', ')} FROM range(${rows})`);
const t0 = process.hrtime.bigint();
await con.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION ${codec})`);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ system: 'duckdb', codec, threads: Number(threads), rows, secs: +secs.toFixed(3),
  rows_s: Math.round(rows / secs), mb_s: +((rows * 160) / secs / 1e6).toFixed(1),
  file_bytes: statSync(file).size }));
