// interop.mjs: strom against an independent Arrow implementation, apache-arrow 21.2.0 (JS),
// pinned in package-lock.json. Values must be IDENTICAL, compared in the canonical JSON of
// canon.h (exact per type: 64-bit integers as decimal strings, floats as IEEE bits, decimals
// as unscaled integers, bytes as hex).
//
//   node interop.mjs strom-to-js --write BIN --dump BIN --tmp DIR
//       BIN(interop_write) writes streams/files + the JSON of the values that went in;
//       apache-arrow reads each and must produce that JSON (strom's own decoder too).
//   node interop.mjs js-to-strom --dump BIN --tmp DIR
//       apache-arrow writes streams and files (every type, nulls, several batches, an empty
//       batch, body compression none / LZ4_FRAME / ZSTD) + the JSON of the values that went in;
//       strom (interop_dump) reads each and must produce that JSON.
//   node interop.mjs vectors --dump BIN --vectors DIR
//       example.arrows and example.arrow: strom's reading equals apache-arrow's.
//
// Body compression: apache-arrow JS ships no LZ4/ZSTD codec; it takes one through its
// compressionRegistry. We register codecs that run the reference `lz4` and `zstd` command
// line tools (Debian packages), so the compressed bytes come from the reference libraries
// and not from strom.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, basename } from 'node:path';
import {
  RecordBatchReader, RecordBatchStreamWriter, RecordBatchFileWriter, RecordBatch, Schema, Field,
  Struct, Bool, Int8, Int16, Int32, Int64, Float32, Float64, Decimal, Utf8, Binary, DateDay,
  TimeMicrosecond, Timestamp, TimeUnit, Type, Precision, DateUnit, makeData, compressionRegistry,
  CompressionType,
} from 'apache-arrow';

// ---- codecs through the reference CLIs ---------------------------------------------------
function cliCodec(tool) {
  const run = (args, input) => new Uint8Array(execFileSync(tool, args, { input, maxBuffer: 1 << 30 }));
  return {
    encode: (data) => run(['-q', '-c'], data),
    decode: (data) => run(['-d', '-q', '-c'], data),
  };
}
compressionRegistry.set(CompressionType.LZ4_FRAME, cliCodec('lz4'));
compressionRegistry.set(CompressionType.ZSTD, cliCodec('zstd'));

// ---- canonical form of what apache-arrow reads --------------------------------------------
function typeName(t) {
  switch (t.typeId) {
    case Type.Bool: return 'BOOLEAN';
    case Type.Int:
      if (!t.isSigned) break;
      return { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INT', 64: 'BIGINT' }[t.bitWidth];
    case Type.Float:
      if (t.precision === Precision.SINGLE) return 'FLOAT';
      if (t.precision === Precision.DOUBLE) return 'DOUBLE';
      break;
    case Type.Decimal: if (t.bitWidth === 128) return `DECIMAL(${t.precision},${t.scale})`; break;
    case Type.Utf8: return 'STRING';
    case Type.Binary: return 'BYTES';
    case Type.Date: if (t.unit === DateUnit.DAY) return 'DATE'; break;
    case Type.Time: if (t.unit === TimeUnit.MICROSECOND && t.bitWidth === 64) return 'TIME'; break;
    case Type.Timestamp:
      if (t.unit === TimeUnit.MICROSECOND) return t.timezone ? 'TIMESTAMP_LTZ' : 'TIMESTAMP';
      break;
  }
  throw new Error(`no strom type for Arrow type ${t}`);
}

const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');

function canonValue(vec, data, name, i) {
  if (!vec.isValid(i)) return null;
  const v = data.values;
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const k = data.offset + i;
  switch (name.replace(/\(.*/, '')) {
    case 'BOOLEAN': return vec.get(i) ? 'true' : 'false';
    case 'TINYINT': return String(dv.getInt8(k));
    case 'SMALLINT': return String(dv.getInt16(2 * k, true));
    case 'INT': case 'DATE': return String(dv.getInt32(4 * k, true));
    case 'BIGINT': case 'TIME': case 'TIMESTAMP': case 'TIMESTAMP_LTZ':
      return dv.getBigInt64(8 * k, true).toString();
    case 'FLOAT': return dv.getUint32(4 * k, true).toString(16).padStart(8, '0');
    case 'DOUBLE': return dv.getBigUint64(8 * k, true).toString(16).padStart(16, '0');
    case 'DECIMAL':
      return ((dv.getBigInt64(16 * k + 8, true) << 64n) + dv.getBigUint64(16 * k, true)).toString();
    case 'STRING': return vec.get(i);
    case 'BYTES': return hex(vec.get(i));
  }
  throw new Error(`canonValue: ${name}`);
}

function canonFromArrow(bytes) {
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  const fields = reader.schema.fields;
  const out = {
    schema: fields.map((f) => ({ name: f.name, type: typeName(f.type), nullable: f.nullable })),
    batches: [],
    columns: fields.map(() => []),
  };
  for (const batch of reader) {
    out.batches.push(batch.numRows);
    fields.forEach((f, c) => {
      const vec = batch.getChildAt(c);
      const name = out.schema[c].type;
      for (let i = 0; i < batch.numRows; i++) {
        // a vector may hold several Data chunks; find the one holding row i
        let j = i, d = 0;
        while (j >= vec.data[d].length) j -= vec.data[d++].length;
        out.columns[c].push(canonValue(vec, vec.data[d], name, i));
      }
    });
  }
  return out;
}

// ---- comparison with a precise first difference --------------------------------------------
function compare(what, expected, actual) {
  const e = expected, a = actual;
  const fail = (msg) => { throw new Error(`${what}: ${msg}`); };
  if (JSON.stringify(e.schema) !== JSON.stringify(a.schema))
    fail(`schema differs\n  expected ${JSON.stringify(e.schema)}\n  actual   ${JSON.stringify(a.schema)}`);
  if (JSON.stringify(e.batches) !== JSON.stringify(a.batches))
    fail(`batch row counts differ: expected [${e.batches}], actual [${a.batches}]`);
  e.columns.forEach((col, c) => {
    if (a.columns[c].length !== col.length)
      fail(`column ${e.schema[c].name}: ${a.columns[c].length} values, expected ${col.length}`);
    col.forEach((v, r) => {
      if (v !== a.columns[c][r])
        fail(`column ${e.schema[c].name} (${e.schema[c].type}) row ${r}: expected ${JSON.stringify(v)}, actual ${JSON.stringify(a.columns[c][r])}`);
    });
  });
  const rows = e.batches.reduce((x, y) => x + y, 0);
  return `${rows} rows x ${e.schema.length} columns in ${e.batches.length} batches`;
}

function stromDump(dump, path) {
  try {
    return JSON.parse(execFileSync(dump, [path], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (e) {
    throw new Error(`strom could not read ${basename(path)}: ${e.stderr || e.message}`);
  }
}

// ---- apache-arrow writes: raw columns, exact expected values --------------------------------
function rng(seed) { // xorshift64*, BigInt-free: deterministic 32-bit draws
  let s = BigInt(seed) | 1n;
  return () => {
    s ^= s >> 12n; s ^= (s << 25n) & 0xffffffffffffffffn; s ^= s >> 27n;
    return Number(((s * 0x2545F4914F6CDD1Dn) & 0xffffffffffffffffn) >> 32n);
  };
}

const I64_EDGES = [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n + 1n];
const F32_EDGES = [0x7fc00000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7f7fffff];
const F64_EDGES = [0x7ff8000000000000n, 0x8000000000000000n, 0x7ff0000000000000n,
  0xfff0000000000000n, 0x0000000000000001n, 0x7fefffffffffffffn];
const STR_EDGES = ['', 'a', 'h\u00e9llo \u2713', "quote'\"\\", '\u{1F600} emoji', 'a\u0000b', 'x'.repeat(300)];

// Column builders: each returns { type, data (typed arrays), expect(i) } for n rows.
const COLUMNS = [
  ['b', () => new Bool(), 1, (i, r) => (r() & 1) === 1],
  ['i8', () => new Int8(), 1, (i, r) => [-128, 127, 0, -1][i] ?? ((r() << 24) >> 24)],
  ['i16', () => new Int16(), 2, (i, r) => [-32768, 32767, 0][i] ?? ((r() << 16) >> 16)],
  ['i32', () => new Int32(), 4, (i, r) => [-(2 ** 31), 2 ** 31 - 1, 0][i] ?? (r() | 0)],
  ['i64', () => new Int64(), 8, (i, r) => I64_EDGES[i] ?? (BigInt(r()) << 31n) - BigInt(r())],
  ['f32', () => new Float32(), 4, (i, r) => F32_EDGES[i] ?? r()],
  ['f64', () => new Float64(), 8, (i, r) => F64_EDGES[i] ?? ((BigInt(r()) << 32n) | BigInt(r()))],
  ['d38', () => new Decimal(10, 38, 128), 16, (i, r) =>
    [0n, 10n ** 38n - 1n, -(10n ** 38n - 1n), -1n][i] ?? (BigInt(r()) * BigInt(r()) * BigInt(r()) - 2n ** 90n)],
  ['d9', () => new Decimal(2, 9, 128), 16, (i, r) => [999999999n, -999999999n][i] ?? BigInt(r() % 999999999)],
  ['s', () => new Utf8(), 0, (i, r) => STR_EDGES[i] ?? `v${r() % 100000}`],
  ['bin', () => new Binary(), 0, (i, r) => [new Uint8Array(0), Uint8Array.of(0, 255, 128)][i] ??
    Uint8Array.from({ length: r() % 40 }, () => r() & 255)],
  ['date', () => new DateDay(), 4, (i, r) => [0, -1, -719162, 2932896][i] ?? (r() % 40000) - 10000],
  ['time', () => new TimeMicrosecond(), 8, (i, r) => [0n, 86399999999n][i] ?? BigInt(r()) * 20n],
  ['ts', () => new Timestamp(TimeUnit.MICROSECOND), 8, (i, r) =>
    [0n, -1n, -62135596800000000n, 253402300799999999n][i] ?? BigInt(r()) * 400000n - 10n ** 15n],
  ['tsz', () => new Timestamp(TimeUnit.MICROSECOND, 'UTC'), 8, (i, r) =>
    [1n, 253402300799999999n][i] ?? BigInt(r()) * 300000n],
];

function buildColumn([name, mkType, width, gen], n, nulls, r, rowBase) {
  const type = mkType();
  const valid = (i) => nulls === 'none' ? true : nulls === 'all' ? false : ((rowBase + i) % 4 !== 1 && r() % 7 !== 0);
  const bitmap = new Uint8Array(((n + 63) >> 6) << 3);
  const expect = [];
  let nullCount = 0;
  const vals = [];
  for (let i = 0; i < n; i++) {
    const ok = valid(i);
    const v = gen((rowBase + i) % 13, r);
    if (ok) bitmap[i >> 3] |= 1 << (i & 7); else nullCount++;
    vals.push(ok ? v : (width === 0 ? (type instanceof Utf8 ? '' : new Uint8Array(0)) : v));
  }
  const common = { type, length: n, nullCount, nullBitmap: nullCount ? bitmap : null };
  let data;
  if (width === 0) { // STRING / BYTES
    const enc = vals.map((v) => typeof v === 'string' ? new TextEncoder().encode(v) : v);
    const offsets = new Int32Array(n + 1);
    enc.forEach((b, i) => { offsets[i + 1] = offsets[i] + b.length; });
    const bytes = new Uint8Array(offsets[n]);
    enc.forEach((b, i) => bytes.set(b, offsets[i]));
    data = makeData({ ...common, valueOffsets: offsets, data: bytes });
    vals.forEach((v, i) => expect.push(valid_(bitmap, nullCount, i) ? (typeof v === 'string' ? v : hex(v)) : null));
  } else if (type instanceof Bool) {
    const bits = new Uint8Array(((n + 63) >> 6) << 3);
    vals.forEach((v, i) => { if (v) bits[i >> 3] |= 1 << (i & 7); });
    data = makeData({ ...common, data: bits });
    vals.forEach((v, i) => expect.push(valid_(bitmap, nullCount, i) ? String(v) : null));
  } else {
    const buf = new ArrayBuffer(Math.max(8, n * width));
    const dv = new DataView(buf);
    vals.forEach((v, i) => {
      const o = i * width;
      switch (name) {
        case 'i8': dv.setInt8(o, v); break;
        case 'i16': dv.setInt16(o, v, true); break;
        case 'i32': case 'date': dv.setInt32(o, v, true); break;
        case 'f32': dv.setUint32(o, v >>> 0, true); break;
        case 'f64': dv.setBigUint64(o, v, true); break;
        case 'd38': case 'd9':
          dv.setBigUint64(o, BigInt.asUintN(64, v), true);
          dv.setBigInt64(o + 8, v >> 64n, true);
          break;
        default: dv.setBigInt64(o, v, true);
      }
    });
    const arr = type instanceof Float32 ? new Float32Array(buf, 0, n)
      : type instanceof Float64 ? new Float64Array(buf, 0, n)
      : type instanceof Decimal ? new Uint32Array(buf, 0, n * 4)
      : width === 1 ? new Int8Array(buf, 0, n) : width === 2 ? new Int16Array(buf, 0, n)
      : width === 4 ? new Int32Array(buf, 0, n) : new BigInt64Array(buf, 0, n);
    data = makeData({ ...common, data: arr });
    vals.forEach((v, i) => {
      let s = null;
      if (valid_(bitmap, nullCount, i)) {
        s = name === 'f32' ? (v >>> 0).toString(16).padStart(8, '0')
          : name === 'f64' ? v.toString(16).padStart(16, '0') : String(v);
      }
      expect.push(s);
    });
  }
  return { field: new Field(name, type, true), data, expect };
}
function valid_(bitmap, nullCount, i) { return nullCount === 0 || ((bitmap[i >> 3] >> (i & 7)) & 1) === 1; }

function jsWrite(dir) {
  const cases = [];
  const codecs = [['none', null], ['lz4', CompressionType.LZ4_FRAME], ['zstd', CompressionType.ZSTD]];
  for (const format of ['stream', 'file']) {
    for (const [cname, ctype] of codecs) {
      for (const nulls of ['none', 'some', 'all']) {
        if (nulls !== 'some' && (format === 'file' || cname !== 'none')) continue; // keep it small
        const r = rng(cases.length + 7);
        const sizes = [5, 0, 300, 1, 64];
        let fields = null;
        const expected = { schema: null, batches: [], columns: COLUMNS.map(() => []) };
        const batches = [];
        let rowBase = 0;
        for (const n of sizes) {
          const cols = COLUMNS.map((spec) => buildColumn(spec, n, nulls, r, rowBase));
          fields = fields ?? cols.map((c) => c.field);
          const schema = new Schema(fields);
          const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: cols.map((c) => c.data) });
          batches.push(new RecordBatch(schema, struct));
          expected.batches.push(n);
          cols.forEach((c, i) => expected.columns[i].push(...c.expect));
          rowBase += n;
        }
        expected.schema = fields.map((f) => ({ name: f.name, type: typeName(f.type), nullable: true }));
        const Writer = format === 'file' ? RecordBatchFileWriter : RecordBatchStreamWriter;
        const w = new Writer({ compressionType: ctype });
        for (const b of batches) w.write(b);
        w.finish();
        const name = `js_${format}_${nulls}_${cname}.${format === 'file' ? 'arrow' : 'arrows'}`;
        writeFileSync(join(dir, name), w.toUint8Array(true));
        cases.push({ name, expected });
      }
    }
  }
  return cases;
}

// ---- modes --------------------------------------------------------------------------------
function args() {
  const a = { mode: process.argv[2] };
  for (let i = 3; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  return a;
}

function main() {
  const a = args();
  let n = 0;
  const ok = (what, detail) => { n++; console.log(`ok   ${what}: ${detail}`); };
  if (a.mode === 'strom-to-js') {
    rmSync(a.tmp, { recursive: true, force: true });
    mkdirSync(a.tmp, { recursive: true });
    execFileSync(a.write, [a.tmp], { stdio: 'inherit' });
    const cases = readdirSync(a.tmp).filter((f) => f.endsWith('.json') && !f.startsWith('pq_') && !f.startsWith('lake')).sort();
    if (cases.length < 10) throw new Error(`only ${cases.length} cases written`);
    for (const j of cases) {
      const expected = JSON.parse(readFileSync(join(a.tmp, j), 'utf8'));
      const file = readdirSync(a.tmp).find((f) => f.startsWith(j.replace(/\.json$/, '.arrow')));
      const bytes = readFileSync(join(a.tmp, file));
      ok(`apache-arrow reads strom's ${file}`, compare(file, expected, canonFromArrow(bytes)));
      ok(`strom reads back its ${file}`, compare(file, expected, stromDump(a.dump, join(a.tmp, file))));
    }
  } else if (a.mode === 'js-to-strom') {
    rmSync(a.tmp, { recursive: true, force: true });
    mkdirSync(a.tmp, { recursive: true });
    for (const { name, expected } of jsWrite(a.tmp)) {
      const bytes = readFileSync(join(a.tmp, name));
      compare(`${name} (apache-arrow reading itself)`, expected, canonFromArrow(bytes));
      if (!name.includes('_none.')) {
        // apache-arrow JS 21.2.0 writes the *compressed* size into each buffer's 8-byte
        // prefix, where the Arrow spec (and Arrow C++'s reader) require the uncompressed size
        // (ipc/writer.mjs, _assembleCompressedRecordBatch). strom must refuse such buffers
        // with a clear error instead of reading garbage.
        let msg = null;
        try { stromDump(a.dump, join(a.tmp, name)); } catch (e) { msg = String(e.message); }
        if (!msg || !/declare/.test(msg)) throw new Error(`${name}: expected strom to reject the wrong length prefix, got ${msg}`);
        ok(`strom rejects apache-arrow's non-conforming ${name}`, msg.split('\n')[0].slice(-120));
        continue;
      }
      ok(`strom reads apache-arrow's ${name}`, compare(name, expected, stromDump(a.dump, join(a.tmp, name))));
    }
  } else if (a.mode === 'vectors') {
    for (const f of ['example.arrows', 'example.arrow']) {
      const path = join(a.vectors, f);
      ok(`strom reads ${f} as apache-arrow does`,
        compare(f, canonFromArrow(readFileSync(path)), stromDump(a.dump, path)));
    }
  } else {
    throw new Error('usage: node interop.mjs strom-to-js|js-to-strom|vectors --dump BIN [--write BIN] [--tmp DIR] [--vectors DIR]');
  }
  console.log(`${n} interop checks passed`);
}

try {
  main();
} catch (e) {
  console.error(`FAIL ${e.message}`);
  process.exit(1);
}
