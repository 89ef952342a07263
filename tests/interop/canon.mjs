// canon.mjs: the canonical form of DuckDB values (canon.h), shared by the DuckDB interop tests.

// strom type (canon.h) -> the DuckDB type the Parquet annotation must produce
export const duckType = {
  BOOLEAN: 'BOOLEAN', TINYINT: 'TINYINT', SMALLINT: 'SMALLINT', INT: 'INTEGER', BIGINT: 'BIGINT',
  FLOAT: 'FLOAT', DOUBLE: 'DOUBLE', STRING: 'VARCHAR', BYTES: 'BLOB', DATE: 'DATE', TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMP', TIMESTAMP_LTZ: 'TIMESTAMP WITH TIME ZONE',
};

const hex = (u8) => Buffer.from(u8).toString('hex');

// the canonical string of a DuckDB value (canon.h); NaN compares as "nan" (JS numbers do not
// keep NaN payloads)
export function canon(type, v) {
  if (v === null || v === undefined) return null;
  if (type === 'BOOLEAN') return v ? 'true' : 'false';
  if (type === 'FLOAT' || type === 'DOUBLE') {
    if (Number.isNaN(v)) return 'nan';
    const b = new DataView(new ArrayBuffer(8));
    if (type === 'FLOAT') { b.setFloat32(0, v); return b.getUint32(0).toString(16).padStart(8, '0'); }
    b.setFloat64(0, v);
    return b.getBigUint64(0).toString(16).padStart(16, '0');
  }
  if (type.startsWith('DECIMAL')) return v.value.toString();
  if (type === 'STRING') return v;
  if (type === 'BYTES') return hex(v.bytes);
  if (type === 'DATE') return String(v.days);
  if (type === 'TIME' || type === 'TIMESTAMP' || type === 'TIMESTAMP_LTZ') return v.micros.toString();
  return v.toString(); // integers (number or bigint)
}

export function expectedValue(type, v) {
  if (v === null || (type !== 'FLOAT' && type !== 'DOUBLE')) return v;
  const bits = BigInt('0x' + v);
  const b = new DataView(new ArrayBuffer(8));
  if (type === 'FLOAT') { b.setUint32(0, Number(bits)); return Number.isNaN(b.getFloat32(0)) ? 'nan' : v; }
  b.setBigUint64(0, bits);
  return Number.isNaN(b.getFloat64(0)) ? 'nan' : v;
}
