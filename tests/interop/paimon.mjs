// paimon.mjs: independent readers of the Paimon table strom tiers (interop_write's lake case:
// a 2-bucket log of every strom type, tiered in two runs):
//   - avsc (a JavaScript Avro implementation, pinned) decodes every manifest list and manifest
//     of both snapshots; the entries must describe the data files exactly (names, bucket
//     directories, byte sizes, row counts, sequence ranges, value statistics as BinaryRows);
//   - DuckDB (@duckdb/node-api, pinned) reads the live data files of each snapshot: snapshot 1
//     holds the rows of the first run, snapshot 2 all of them, every value as it went in;
//   - the snapshot JSON (ids, schema, manifest list sizes, record counts, strom's offsets);
//   - a primary-key table tiered from a changelog: each file sorted and unique by _KEY_k,
//     manifests' min/max keys and delete counts as DuckDB sees the files, and the state
//     DuckDB computes the way Paimon merges (newest _SEQUENCE_NUMBER per key, -D removes it)
//     equal to the state the changes leave.
//
//   node paimon.mjs --write BIN --tmp DIR
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRaw } from 'node:zlib';
import avro from 'avsc';
import { DuckDBInstance } from '@duckdb/node-api';
import { canon, expectedValue } from './canon.mjs';

function fail(msg) { throw new Error(msg); }

// every record of an Avro container file, with avsc's own decoder
function readAvro(path) {
  return new Promise((resolve, reject) => {
    const recs = [];
    avro.createFileDecoder(path, { codecs: { deflate: inflateRaw } })
      .on('data', (r) => recs.push(r))
      .on('error', reject)
      .on('end', () => resolve(recs));
  });
}

// BinaryRow with its 4-byte big-endian arity (paimon.md §7): null flags and the 8-byte slots
function binRow(buf) {
  const arity = buf.readInt32BE(0);
  const row = buf.subarray(4);
  const w = Math.floor((arity + 63 + 8) / 64) * 8;
  const isNull = (i) => ((row[(i + 8) >> 3] >> ((i + 8) & 7)) & 1) === 1;
  const slot = (i) => row.subarray(w + 8 * i, w + 8 * i + 8);
  if (buf.length < 4 + w + 8 * arity) fail(`BinaryRow of arity ${arity} in ${buf.length} bytes`);
  return { arity, isNull, slot, row };
}

async function checkSnapshot(con, table, id, expected) {
  const snap = JSON.parse(readFileSync(join(table, 'snapshot', `snapshot-${id}`), 'utf8'));
  if (snap.id !== id || snap.version !== 3 || snap.schemaId !== 0 || snap.commitKind !== 'APPEND')
    fail(`snapshot-${id}: id/version/schemaId/commitKind ${snap.id}/${snap.version}/${snap.schemaId}/${snap.commitKind}`);
  for (const k of ['base', 'delta']) {
    const size = statSync(join(table, 'manifest', snap[`${k}ManifestList`])).size;
    if (snap[`${k}ManifestListSize`] !== size) fail(`snapshot-${id}: ${k}ManifestListSize ${snap[`${k}ManifestListSize`]}, the file has ${size}`);
  }
  const offsets = JSON.parse(snap.properties['strom.offsets']);
  // the manifests of base + delta, through avsc
  const metas = [...await readAvro(join(table, 'manifest', snap.baseManifestList)),
                 ...await readAvro(join(table, 'manifest', snap.deltaManifestList))];
  const files = [];
  for (const m of metas) {
    if (m._VERSION !== 2) fail(`manifest list entry version ${m._VERSION}`);
    const mpath = join(table, 'manifest', m._FILE_NAME);
    if (statSync(mpath).size !== Number(m._FILE_SIZE)) fail(`${m._FILE_NAME}: _FILE_SIZE ${m._FILE_SIZE}, the file has ${statSync(mpath).size}`);
    const entries = await readAvro(mpath);
    if (entries.length !== Number(m._NUM_ADDED_FILES)) fail(`${m._FILE_NAME}: ${entries.length} entries, the list says ${m._NUM_ADDED_FILES}`);
    for (const e of entries) {
      if (e._VERSION !== 2 || e._KIND !== 0 || e._TOTAL_BUCKETS !== 2) fail(`entry version/kind/buckets ${e._VERSION}/${e._KIND}/${e._TOTAL_BUCKETS}`);
      if (binRow(e._PARTITION).arity !== 0) fail('an unpartitioned table with a partition row');
      const f = e._FILE;
      const path = join(table, `bucket-${e._BUCKET}`, f._FILE_NAME);
      if (!existsSync(path)) fail(`${path} is not there`);
      if (statSync(path).size !== Number(f._FILE_SIZE)) fail(`${f._FILE_NAME}: _FILE_SIZE ${f._FILE_SIZE}, the file has ${statSync(path).size}`);
      files.push({ path, e });
    }
  }
  // DuckDB reads each file: row counts, k bounds (BinaryRow slot 0, a BIGINT), null counts
  let total = 0;
  for (const { path, e } of files) {
    const f = e._FILE;
    const r = (await con.runAndReadAll(`SELECT count(*), min(k), max(k), count(*) - count(s), count(*) - count(f64) FROM read_parquet('${path}')`)).getRows()[0];
    if (Number(r[0]) !== Number(f._ROW_COUNT)) fail(`${path}: DuckDB counts ${r[0]} rows, _ROW_COUNT ${f._ROW_COUNT}`);
    const lo = binRow(f._VALUE_STATS._MIN_VALUES), hi = binRow(f._VALUE_STATS._MAX_VALUES);
    if (lo.arity !== 16 || hi.arity !== 16) fail(`${path}: stats of arity ${lo.arity}`);
    if (lo.slot(0).readBigInt64LE(0) !== BigInt(r[1]) || hi.slot(0).readBigInt64LE(0) !== BigInt(r[2]))
      fail(`${path}: k stats ${lo.slot(0).readBigInt64LE(0)}..${hi.slot(0).readBigInt64LE(0)}, DuckDB ${r[1]}..${r[2]}`);
    const nulls = f._VALUE_STATS._NULL_COUNTS;
    if (Number(nulls[10]) !== Number(r[3]) || Number(nulls[7]) !== Number(r[4]))
      fail(`${path}: null counts s ${nulls[10]} f64 ${nulls[7]}, DuckDB ${r[3]} ${r[4]}`);
    if (Number(f._MAX_SEQUENCE_NUMBER) - Number(f._MIN_SEQUENCE_NUMBER) + 1 < Number(f._ROW_COUNT))
      fail(`${path}: sequence range ${f._MIN_SEQUENCE_NUMBER}..${f._MAX_SEQUENCE_NUMBER} for ${f._ROW_COUNT} rows`);
    total += Number(r[0]);
  }
  if (total !== snap.totalRecordCount) fail(`snapshot-${id}: files hold ${total} rows, totalRecordCount ${snap.totalRecordCount}`);
  const logged = Object.values(offsets).reduce((a, b) => a + b, 0);
  if (logged < total) fail(`snapshot-${id}: strom.offsets ${JSON.stringify(offsets)} cover fewer than ${total} rows`);
  // every value, ordered by k
  const list = files.map((x) => `'${x.path}'`).join(', ');
  const rows = (await con.runAndReadAll(`SELECT * FROM read_parquet([${list}]) ORDER BY k`)).getRows();
  const n = expected.batches[0];
  if (rows.length !== n) fail(`snapshot-${id}: DuckDB reads ${rows.length} rows, expected ${n}`);
  expected.schema.forEach((col, c) => {
    expected.columns[c].forEach((v, i) => {
      const want = expectedValue(col.type, v), got = canon(col.type, rows[i][c]);
      if (want !== got) fail(`snapshot-${id}: ${col.name} (${col.type}) row ${i}: expected ${JSON.stringify(want)}, DuckDB read ${JSON.stringify(got)}`);
    });
  });
  console.log(`ok   snapshot-${id}: ${metas.length} manifests (avsc), ${files.length} data files, ${n} rows x ${expected.schema.length} columns (DuckDB)`);
}

async function checkKv(con, table, expected) {
  const schema = JSON.parse(readFileSync(join(table, 'schema', 'schema-0'), 'utf8'));
  if (JSON.stringify(schema.primaryKeys) !== '["k"]' || schema.options['merge-engine'] !== 'deduplicate')
    fail(`kv schema-0: primaryKeys ${JSON.stringify(schema.primaryKeys)}, options ${JSON.stringify(schema.options)}`);
  const latest = readFileSync(join(table, 'snapshot', 'LATEST'), 'utf8').trim();
  const snap = JSON.parse(readFileSync(join(table, 'snapshot', `snapshot-${latest}`), 'utf8'));
  const metas = [...await readAvro(join(table, 'manifest', snap.baseManifestList)),
                 ...await readAvro(join(table, 'manifest', snap.deltaManifestList))];
  const paths = [];
  for (const m of metas) {
    for (const e of await readAvro(join(table, 'manifest', m._FILE_NAME))) {
      const f = e._FILE, path = join(table, `bucket-${e._BUCKET}`, f._FILE_NAME);
      const r = (await con.runAndReadAll(`SELECT count(*), min(_KEY_k), max(_KEY_k),
          count(*) FILTER (WHERE _VALUE_KIND = 3), count(DISTINCT _KEY_k), bool_and(_KEY_k = k),
          min(_SEQUENCE_NUMBER), max(_SEQUENCE_NUMBER) FROM read_parquet('${path}')`)).getRows()[0];
      const unsorted = (await con.runAndReadAll(`SELECT count(*) FROM (SELECT _KEY_k,
          lag(_KEY_k) OVER (ORDER BY file_row_number) AS p FROM read_parquet('${path}', file_row_number = true))
          WHERE p >= _KEY_k`)).getRows()[0][0];
      if (Number(r[0]) !== Number(f._ROW_COUNT) || Number(r[4]) !== Number(r[0]) || !r[5] || Number(unsorted) !== 0)
        fail(`${path}: ${r[0]} rows (_ROW_COUNT ${f._ROW_COUNT}), ${r[4]} distinct keys, _KEY_k = k: ${r[5]}, ${unsorted} out of order`);
      const lo = binRow(f._MIN_KEY), hi = binRow(f._MAX_KEY);
      if (lo.slot(0).readBigInt64LE(0) !== BigInt(r[1]) || hi.slot(0).readBigInt64LE(0) !== BigInt(r[2]))
        fail(`${path}: _MIN_KEY/_MAX_KEY ${lo.slot(0).readBigInt64LE(0)}/${hi.slot(0).readBigInt64LE(0)}, DuckDB ${r[1]}/${r[2]}`);
      if (Number(f._DELETE_ROW_COUNT) !== Number(r[3])) fail(`${path}: _DELETE_ROW_COUNT ${f._DELETE_ROW_COUNT}, DuckDB ${r[3]}`);
      if (Number(f._MIN_SEQUENCE_NUMBER) !== Number(r[6]) || Number(f._MAX_SEQUENCE_NUMBER) !== Number(r[7]))
        fail(`${path}: sequence range ${f._MIN_SEQUENCE_NUMBER}..${f._MAX_SEQUENCE_NUMBER}, DuckDB ${r[6]}..${r[7]}`);
      paths.push(`'${path}'`);
    }
  }
  // the changelog files (changelog-producer input): every change of each run, -U rows too
  let changes = 0, clFiles = 0;
  for (let id = 1; id <= Number(latest); id++) {
    const sn = JSON.parse(readFileSync(join(table, 'snapshot', `snapshot-${id}`), 'utf8'));
    if (!sn.changelogManifestList) fail(`kv snapshot-${id} has no changelog manifest list`);
    let rows = 0;
    for (const m of await readAvro(join(table, 'manifest', sn.changelogManifestList))) {
      for (const e of await readAvro(join(table, 'manifest', m._FILE_NAME))) {
        const f = e._FILE, path = join(table, `bucket-${e._BUCKET}`, f._FILE_NAME);
        if (!f._FILE_NAME.startsWith('changelog-')) fail(`changelog file named ${f._FILE_NAME}`);
        const r = (await con.runAndReadAll(`SELECT count(*), count(*) FILTER (WHERE _VALUE_KIND = 1),
            min(_SEQUENCE_NUMBER), max(_SEQUENCE_NUMBER) FROM read_parquet('${path}')`)).getRows()[0];
        if (Number(r[0]) !== Number(f._ROW_COUNT) || Number(r[1]) === 0)
          fail(`${path}: ${r[0]} rows (_ROW_COUNT ${f._ROW_COUNT}), ${r[1]} -U rows`);
        rows += Number(r[0]);
        clFiles++;
      }
    }
    if (rows !== sn.changelogRecordCount) fail(`kv snapshot-${id}: changelog files hold ${rows} rows, changelogRecordCount ${sn.changelogRecordCount}`);
    changes += rows;
  }
  if (changes !== expected.changes) fail(`kv: the changelog files hold ${changes} changes, ${expected.changes} were written`);
  // the state, merged as Paimon merges: per key the newest sequence number, deletes removed
  const rows = (await con.runAndReadAll(`SELECT k, s, d, ts FROM (SELECT *, row_number() OVER
      (PARTITION BY _KEY_k ORDER BY _SEQUENCE_NUMBER DESC) AS rn FROM read_parquet([${paths.join(', ')}]))
      WHERE rn = 1 AND _VALUE_KIND <> 3 ORDER BY k`)).getRows();
  const n = expected.batches[0];
  if (rows.length !== n) fail(`kv: DuckDB's merge leaves ${rows.length} keys, the changes leave ${n}`);
  expected.schema.forEach((col, c) => {
    expected.columns[c].forEach((v, i) => {
      const want = expectedValue(col.type, v), got = canon(col.type, rows[i][c]);
      if (want !== got) fail(`kv: ${col.name} (${col.type}) row ${i}: expected ${JSON.stringify(want)}, DuckDB read ${JSON.stringify(got)}`);
    });
  });
  console.log(`ok   primary-key table: ${paths.length} files sorted and unique by key, min/max keys and delete counts right, DuckDB's merge = the changes' state (${n} keys); ${clFiles} changelog files hold all ${changes} changes`);
}

async function main() {
  const a = {};
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  rmSync(a.tmp, { recursive: true, force: true });
  mkdirSync(a.tmp, { recursive: true });
  execFileSync(a.write, [a.tmp], { stdio: 'inherit' });
  const table = join(a.tmp, 'lake', 'interop.db', 'all');
  const schema = JSON.parse(readFileSync(join(table, 'schema', 'schema-0'), 'utf8'));
  if (schema.fields.length !== 16 || schema.options['file.format'] !== 'parquet' || schema.options.bucket !== '2')
    fail(`schema-0: ${JSON.stringify(schema.options)}`);
  if (readFileSync(join(table, 'snapshot', 'LATEST'), 'utf8').trim() !== '2') fail('LATEST is not 2');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await checkSnapshot(con, table, 1, JSON.parse(readFileSync(join(a.tmp, 'lake_half.json'), 'utf8')));
  await checkSnapshot(con, table, 2, JSON.parse(readFileSync(join(a.tmp, 'lake.json'), 'utf8')));
  await checkKv(con, join(a.tmp, 'lake', 'interop.db', 'kv'), JSON.parse(readFileSync(join(a.tmp, 'lake_kv.json'), 'utf8')));
  console.log('Paimon interop checks passed');
}

main().catch((err) => { console.error(`FAIL ${err.message}`); process.exit(1); });
