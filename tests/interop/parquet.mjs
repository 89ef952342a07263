// parquet.mjs: DuckDB (@duckdb/node-api, pinned in package-lock.json) reads every Parquet file
// strom writes (interop_write's pq_* cases: every strom type; nulls none / some / all;
// UNCOMPRESSED, SNAPPY, ZSTD; dictionary and plain encoding; several row groups) and must
// see the schema and every value that went in, compared in the canonical JSON of canon.h.
//
//   node parquet.mjs --write BIN --tmp DIR
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { canon, duckType, expectedValue } from './canon.mjs';

async function main() {
  const a = {};
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  rmSync(a.tmp, { recursive: true, force: true });
  mkdirSync(a.tmp, { recursive: true });
  execFileSync(a.write, [a.tmp], { stdio: 'inherit' });
  const files = readdirSync(a.tmp).filter((f) => f.startsWith('pq_') && f.endsWith('.parquet')).sort();
  if (files.length < 18) throw new Error(`only ${files.length} Parquet files written`);
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  let n = 0;
  for (const f of files) {
    const path = join(a.tmp, f);
    const e = JSON.parse(readFileSync(path.replace(/\.parquet$/, '.json'), 'utf8'));
    const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRows();
    e.schema.forEach((col, c) => {
      const want = col.type.startsWith('DECIMAL') ? col.type : duckType[col.type];
      if (desc[c][0] !== col.name || desc[c][1] !== want)
        throw new Error(`${f}: column ${c} is ${desc[c][0]} ${desc[c][1]}, expected ${col.name} ${want}`);
    });
    const rows = (await con.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRows();
    const total = e.batches.reduce((x, y) => x + y, 0);
    if (rows.length !== total) throw new Error(`${f}: ${rows.length} rows, expected ${total}`);
    e.schema.forEach((col, c) => {
      e.columns[c].forEach((v, r) => {
        const want = expectedValue(col.type, v), got = canon(col.type, rows[r][c]);
        if (want !== got)
          throw new Error(`${f}: column ${col.name} (${col.type}) row ${r}: expected ${JSON.stringify(want)}, DuckDB read ${JSON.stringify(got)}`);
      });
    });
    // the footer's statistics: DuckDB's own view of the row groups and their bounds
    const meta = (await con.runAndReadAll(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${path}')`)).getRows();
    if (Number(meta[0][0]) !== Math.ceil(total / 100)) throw new Error(`${f}: ${meta[0][0]} row groups, expected ${Math.ceil(total / 100)}`);
    console.log(`ok   DuckDB reads strom's ${f}: ${total} rows x ${e.schema.length} columns, ${meta[0][0]} row groups`);
    n++;
  }
  console.log(`${n} Parquet interop checks passed`);
}

main().catch((err) => { console.error(`FAIL ${err.message}`); process.exit(1); });
