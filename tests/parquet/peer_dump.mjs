// Prints a Parquet file's rows as canonical JSON lines (the form tests/parquet/pq_tool.c dump
// prints), read by a peer: `duckdb` (@duckdb/node-api, DuckDB's C++ reader), `wasm` (parquet-wasm:
// arrow-rs's parquet crate; values taken from the raw Arrow buffers) or `hyparquet` (an independent
// JavaScript reader; only types it returns losslessly).
//   node peer_dump.mjs ENGINE FILE [COLUMNS]   (COLUMNS: comma-separated projection, hyparquet only)
// Canonical values: ints as numbers, floats "f:<hex of the float64 bits>" ("NaN"), strings as
// JSON, binary "x:<hex>", date days, time "t:<ns>", timestamp "ts:<ns>", decimal
// "d:<unscaled>/<scale>", uuid "u:<8-4-4-4-12>", list [..], struct {..}, map [[k,v],..].
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'peer', 'package.json'));
const [engine, file, columnList] = process.argv.slice(2);
const columns = columnList ? columnList.split(',') : undefined;

const hex = (bytes) => Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength ?? bytes.length).toString('hex');
const f64 = (x) => {
  if (Number.isNaN(x)) return '"NaN"';
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return `"f:${b.readBigUInt64LE().toString(16).padStart(16, '0')}"`;
};
const str = (s) => JSON.stringify(s);
const uuidStr = (bytes) => {
  const h = hex(bytes);
  return `"u:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}"`;
};
const out = [];
let sink = (text) => process.stdout.write(text);
const flush = () => { sink(out.join('')); out.length = 0; };

// ---- DuckDB -------------------------------------------------------------------------------
let duck = null;
async function duckdb(file) {
  const d = await import(require.resolve('@duckdb/node-api'));
  if (!duck) duck = await (await d.DuckDBInstance.create(':memory:')).connect();
  const con = duck;
  const canon = (v) => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 2 ** 53 && !isFloatCol ? String(v) : f64(v);
    if (typeof v === 'string') return str(v);
    const name = v.constructor.name;
    switch (name) {
      case 'DuckDBDateValue': return String(v.days);
      case 'DuckDBTimeValue': return `"t~us:${v.micros}"`;
      case 'DuckDBTimeNSValue': return `"t:${v.nanos}"`;
      case 'DuckDBTimeTZValue': return `"t~us:${v.micros}"`;
      case 'DuckDBTimestampValue': case 'DuckDBTimestampTZValue': return `"ts~us:${v.micros}"`;
      case 'DuckDBTimestampMillisecondsValue': return `"ts:${v.millis * 1000000n}"`;
      case 'DuckDBTimestampNanosecondsValue': return `"ts:${v.nanos}"`;
      case 'DuckDBTimestampSecondsValue': return `"ts:${v.seconds * 1000000000n}"`;
      case 'DuckDBDecimalValue': return `"d:${v.value}/${v.scale}"`;
      case 'DuckDBUUIDValue': return `"u:${v.toString()}"`;
      case 'DuckDBBlobValue': return `"x:${hex(v.bytes)}"`;
      case 'DuckDBListValue': case 'DuckDBArrayValue': return '[' + v.items.map(canon).join(',') + ']';
      case 'DuckDBStructValue': return '{' + Object.entries(v.entries).map(([k, x]) => str(k) + ':' + canon(x)).join(',') + '}';
      case 'DuckDBMapValue': return '[' + v.entries.map((e) => '[' + canon(e.key) + ',' + canon(e.value) + ']').join(',') + ']';
      default: throw new Error(`duckdb value type ${name} not handled`);
    }
  };
  let isFloatCol = false;
  const reader = await con.runAndReadAll(`SELECT * FROM read_parquet('${file.replace(/'/g, "''")}', hive_partitioning = false)`);
  const types = reader.columnTypes();
  // FLOAT/DOUBLE come back as JS numbers; everything else that is a number is an integer type.
  const floatCols = types.map((t) => t.typeId === d.DuckDBTypeId.FLOAT || t.typeId === d.DuckDBTypeId.DOUBLE);
  const floatDeep = (t) => {
    if (t.typeId === d.DuckDBTypeId.FLOAT || t.typeId === d.DuckDBTypeId.DOUBLE) return true;
    return false;
  };
  const canonTyped = (v, t) => {
    if (v === null || v === undefined) return 'null';
    if (t.typeId === d.DuckDBTypeId.LIST) return '[' + v.items.map((x) => canonTyped(x, t.valueType)).join(',') + ']';
    if (t.typeId === d.DuckDBTypeId.STRUCT)
      return '{' + t.entryNames.map((k, i) => str(k) + ':' + canonTyped(v.entries[k], t.entryTypes[i])).join(',') + '}';
    if (t.typeId === d.DuckDBTypeId.MAP)
      return '[' + v.entries.map((e) => '[' + canonTyped(e.key, t.keyType) + ',' + canonTyped(e.value, t.valueType) + ']').join(',') + ']';
    isFloatCol = floatDeep(t);
    return canon(v);
  };
  const rows = reader.getRows();
  for (const row of rows) out.push('[' + row.map((v, i) => canonTyped(v, types[i])).join(',') + ']\n');
  void floatCols;
  flush();
}

// ---- parquet-wasm (arrow-rs) -------------------------------------------------------------
async function wasm(file) {
  const pw = await import(require.resolve('parquet-wasm'));
  const arrow = await import(require.resolve('apache-arrow'));
  const T = arrow.Type;
  const table = arrow.tableFromIPC(pw.readParquet(readFileSync(file)).intoIPCStream());
  const valid = (data, i) => {
    if (!data.nullBitmap || data.nullBitmap.length === 0 || data.nullCount === 0) return true;
    const s = data.offset + i;
    return (data.nullBitmap[s >> 3] >> (s & 7)) & 1;
  };
  const unitNs = [1000000000n, 1000000n, 1000n, 1n];   // SECOND, MILLISECOND, MICROSECOND, NANOSECOND
  const value = (data, i) => {
    if (!valid(data, i)) return 'null';
    const t = data.type;
    const s = data.offset + i;
    switch (t.typeId) {
      case T.Bool: return (data.values[s >> 3] >> (s & 7)) & 1 ? 'true' : 'false';
      case T.Int: return String(data.values[s]);
      case T.Float: return f64(Number(data.values[s]));
      case T.Utf8: case T.LargeUtf8: {
        const a = Number(data.valueOffsets[s]), b = Number(data.valueOffsets[s + 1]);
        return str(Buffer.from(data.values.subarray(a, b)).toString('utf8'));
      }
      case T.Binary: case T.LargeBinary: {
        const a = Number(data.valueOffsets[s]), b = Number(data.valueOffsets[s + 1]);
        return `"x:${hex(data.values.subarray(a, b))}"`;
      }
      case T.FixedSizeBinary: {
        const w = t.byteWidth;
        const bytes = data.values.subarray(s * w, (s + 1) * w);
        return `"x:${hex(bytes)}"`;
      }
      case T.Date: return t.unit === 0 ? String(data.values[s]) : String(Number(data.values[s]) / 86400000);
      case T.Time: return `"t:${BigInt(data.values[s]) * unitNs[t.unit]}"`;
      case T.Timestamp: return `"ts:${BigInt(data.values[s]) * unitNs[t.unit]}"`;
      case T.Decimal: {
        const words = t.bitWidth / 32;
        let v = 0n;
        for (let k = words - 1; k >= 0; k--) v = (v << 32n) | BigInt(data.values[s * words + k] >>> 0);
        if (v >> BigInt(t.bitWidth - 1)) v -= 1n << BigInt(t.bitWidth);
        return `"d:${v}/${t.scale}"`;
      }
      case T.List: case T.LargeList: {
        const a = Number(data.valueOffsets[s]), b = Number(data.valueOffsets[s + 1]);
        const parts = [];
        for (let k = a; k < b; k++) parts.push(value(data.children[0], k - data.children[0].offset));
        return '[' + parts.join(',') + ']';
      }
      case T.Map: {
        const a = Number(data.valueOffsets[s]), b = Number(data.valueOffsets[s + 1]);
        const kv = data.children[0];
        const parts = [];
        for (let k = a; k < b; k++)
          parts.push('[' + value(kv.children[0], k + kv.offset - kv.children[0].offset) + ',' + value(kv.children[1], k + kv.offset - kv.children[1].offset) + ']');
        return '[' + parts.join(',') + ']';
      }
      case T.Struct:
        return '{' + t.children.map((f, k) => str(f.name) + ':' + value(data.children[k], s - data.children[k].offset)).join(',') + '}';
      case T.Dictionary: {
        const idx = Number(data.values[s]);
        return value(data.dictionary.data[0], idx);
      }
      default: throw new Error(`arrow type ${t} not handled`);
    }
  };
  // A UUID comes back as FixedSizeBinary(16) with the arrow.uuid extension name in the field metadata.
  const isUuid = table.schema.fields.map((f) => (f.metadata?.get?.('ARROW:extension:name') ?? '') === 'arrow.uuid');
  for (const batch of table.batches) {
    const cols = batch.data.children;
    for (let i = 0; i < batch.numRows; i++) {
      out.push('[' + cols.map((c, k) => {
        if (isUuid[k] && valid(c, i)) {
          const s = c.offset + i;
          return uuidStr(c.values.subarray(s * 16, s * 16 + 16));
        }
        return value(c, i);
      }).join(',') + ']\n');
    }
    flush();
  }
  flush();
}

// ---- hyparquet ----------------------------------------------------------------------------
async function hyparquet(file) {
  const hp = await import(require.resolve('hyparquet'));
  const { compressors } = await import(require.resolve('hyparquet-compressors'));
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const meta = hp.parquetMetadata(ab);
  const schema = hp.parquetSchema(meta);
  // FLOAT/DOUBLE columns (by top-level name) print as float bits, other numbers as integers.
  const isFloat = new Set(meta.schema.filter((e) => e.type === 'FLOAT' || e.type === 'DOUBLE').map((e) => e.name));
  const names = columns ?? meta.schema.slice(1).filter((e, i, all) => true).map((e) => e.name);
  let floatCol = false;
  const canon = (v) => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return floatCol ? f64(v) : String(v);
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
    if (v instanceof Uint8Array) return `"x:${hex(v)}"`;
    return '{' + Object.entries(v).map(([k, x]) => str(k) + ':' + canon(x)).join(',') + '}';
  };
  await hp.parquetRead({
    file: ab, compressors, rowFormat: 'array', utf8: true, columns,
    onComplete: (rows) => {
      for (const r of rows) out.push('[' + r.map((v, k) => { floatCol = isFloat.has(names[k]); return canon(v); }).join(',') + ']\n');
    },
  });
  void schema;
  flush();
}

const engines = { duckdb, wasm, hyparquet };
if (!engines[engine] || !file) {
  console.error('usage: node peer_dump.mjs duckdb|wasm|hyparquet FILE [COLUMNS] | ENGINE --batch LIST');
  process.exit(2);
}
if (file === '--batch') {
  // LIST: lines "input.parquet<TAB>output.jsonl"; a file the peer cannot read gets output.err.
  const { writeFileSync: wf, appendFileSync } = await import('node:fs');
  for (const line of readFileSync(columnList, 'utf8').split('\n')) {
    if (!line) continue;
    const [input, output] = line.split('\t');
    wf(output, '');
    sink = (text) => appendFileSync(output, text);
    try {
      await engines[engine](input);
    } catch (e) {
      wf(output + '.err', String(e.stack ?? e));
    }
  }
} else {
  await engines[engine](file);
}
