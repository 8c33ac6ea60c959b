// check-parquet.mjs — checks a Parquet file against the values it should hold, with three
// independent readers: DuckDB (@duckdb/node-api), hyparquet (+ hyparquet-compressors) and
// parquet-wasm (arrow-rs). Every reader must return exactly the expected values, in order.
//
//   node check-parquet.mjs FILE.parquet EXPECTED.json [--readers duckdb,hyparquet,parquet-wasm]
//
// Exit status 0 when every check passed, 1 on a mismatch (the first few are printed), 2 on bad
// usage.
//
// EXPECTED.json ("floe-parquet-expected/1"):
//
//   {
//     "format": "floe-parquet-expected/1",
//     "columns": [ {"name": "id", "type": "long", "id": 1, "required": true}, ... ],
//     "num_rows": 3,                       // optional: total rows
//     "row_groups": 1,                     // optional: exact number of row groups
//     "file_size": 1234,                   // optional: exact size in bytes
//     "created_by": "floe 0.1.0",          // optional
//     "key_value_metadata": {"iceberg.schema": "..."},   // optional: these keys, these values
//     "rows": [ [1, "a"], ... ]            // the rows, in file order; or instead
//     "rows_file": "x.rows.ndjson"         // one JSON array per line, path relative to this file
//   }
//
// Column types are Iceberg's: boolean, int, long, float, double, date, timestamp, timestamptz,
// string, binary. "id" is the Iceberg field id each column must carry (checked through DuckDB's
// parquet_schema()); "required" is the repetition (REQUIRED or OPTIONAL).
//
// Values, per type (null is JSON null for every type):
//   boolean             true / false
//   int, date           JSON number (date: days since 1970-01-01)
//   long                decimal string, e.g. "-9223372036854775808" (exact 64-bit)
//   timestamp(tz)       decimal string of microseconds since the epoch, e.g. "1510871468000000"
//   float, double       JSON number, or "NaN", "Infinity", "-Infinity", "-0"; floats compare
//                       after rounding the expected number to float32
//   string              JSON string (UTF-8)
//   binary              lowercase hex string
import { readFileSync, createReadStream } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { createInterface } from 'node:readline'

const TYPES = ['boolean', 'int', 'long', 'float', 'double', 'date', 'timestamp', 'timestamptz',
  'string', 'binary']
const DUCK_TYPES = {
  boolean: 'BOOLEAN', int: 'INTEGER', long: 'BIGINT', float: 'FLOAT', double: 'DOUBLE',
  date: 'DATE', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR', binary: 'BLOB',
}
const MAX_REPORTS = 10

function usage (msg) {
  console.error(`check-parquet: ${msg}`)
  console.error('usage: node check-parquet.mjs FILE.parquet EXPECTED.json [--readers a,b,c]')
  process.exit(2)
}

const args = process.argv.slice(2)
if (args.length < 2) usage('missing arguments')
const [parquetPath, expectedPath] = args
let readers = ['duckdb', 'hyparquet', 'parquet-wasm']
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--readers' && args[i + 1]) readers = args[++i].split(',')
  else usage(`unknown argument ${args[i]}`)
}

const expected = JSON.parse(readFileSync(expectedPath, 'utf8'))
if (expected.format !== 'floe-parquet-expected/1') usage('expected file has the wrong "format"')
const columns = expected.columns
for (const c of columns) {
  if (!TYPES.includes(c.type)) usage(`column ${c.name}: unknown type ${c.type}`)
}

let failures = 0
function fail (what) {
  failures++
  if (failures <= MAX_REPORTS) console.error(`FAIL ${what}`)
  if (failures === MAX_REPORTS + 1) console.error('(further failures not shown)')
}

// ---- canonical values ----------------------------------------------------------------------

const hex = (bytes) => Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0,
  bytes.byteLength ?? bytes.length).toString('hex')

function special (v) {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return 'Infinity'
  if (v === -Infinity) return '-Infinity'
  if (Object.is(v, -0)) return '-0'
  return null
}

// Turns what a reader returned into the expected-JSON representation of the column's type.
function canon (type, v) {
  if (v === null || v === undefined) return null
  switch (type) {
    case 'boolean': return typeof v === 'boolean' ? v : Boolean(v)
    case 'int': case 'date': return Number(v)
    case 'long': case 'timestamp': case 'timestamptz': return BigInt(v).toString()
    case 'float': case 'double': { const s = special(Number(v)); return s ?? Number(v) }
    case 'string': return String(v)
    case 'binary': return typeof v === 'string' ? v.toLowerCase() : hex(v)
  }
  throw new Error(`type ${type}`)
}

function same (type, want, got) {
  if (want === null || got === null) return want === got
  if (type === 'float' || type === 'double') {
    if (typeof want === 'string' || typeof got === 'string') return want === got
    return type === 'float' ? Math.fround(want) === Math.fround(got) : want === got
  }
  return want === got
}

// ---- expected rows, streamed ---------------------------------------------------------------

async function * expectedRows () {
  if (Array.isArray(expected.rows)) {
    yield * expected.rows
    return
  }
  if (!expected.rows_file) usage('expected file has neither "rows" nor "rows_file"')
  const path = resolve(dirname(expectedPath), expected.rows_file)
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  for await (const line of rl) {
    if (line.length) yield JSON.parse(line)
  }
}

// Compares a reader's rows (an async iterable of arrays in column order) with the expected ones.
async function compare (name, rows) {
  const want = expectedRows()[Symbol.asyncIterator]()
  let n = 0
  for await (const got of rows) {
    const w = await want.next()
    if (w.done) {
      fail(`${name}: more rows than expected (row ${n})`)
      return
    }
    for (let c = 0; c < columns.length; c++) {
      const type = columns[c].type
      const g = canon(type, got[c])
      if (!same(type, w.value[c], g)) {
        fail(`${name}: row ${n} column ${columns[c].name} (${type}): ` +
             `expected ${JSON.stringify(w.value[c])}, got ${JSON.stringify(g)}`)
      }
    }
    n++
  }
  const rest = await want.next()
  if (!rest.done) fail(`${name}: only ${n} rows, more expected`)
  if (expected.num_rows !== undefined && n !== expected.num_rows) {
    fail(`${name}: ${n} rows, num_rows says ${expected.num_rows}`)
  }
  console.log(`${name}: ${n} rows compared`)
}

// ---- DuckDB --------------------------------------------------------------------------------

const sqlStr = (s) => `'${String(s).replaceAll("'", "''")}'`
const ident = (s) => `"${String(s).replaceAll('"', '""')}"`

function duckExpr (c) {
  const col = ident(c.name)
  switch (c.type) {
    case 'long': return `CAST(${col} AS VARCHAR)`
    case 'timestamp': case 'timestamptz': return `CAST(epoch_us(${col}) AS VARCHAR)`
    case 'date': return `CAST(${col} - DATE '1970-01-01' AS INTEGER)`
    case 'binary': return `lower(hex(${col}))`
    default: return col
  }
}

async function checkDuckDB () {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:', { threads: '1' })
  const con = await db.connect()
  const file = sqlStr(parquetPath)

  // schema: field ids, repetition, logical types as DuckDB maps them
  const schema = (await con.runAndReadAll(
    `SELECT name, field_id, repetition_type FROM parquet_schema(${file})`)).getRowObjects()
  for (const c of columns) {
    const s = schema.find((r) => r.name === c.name)
    if (!s) { fail(`duckdb: column ${c.name} missing from parquet_schema()`); continue }
    if (s.field_id === null || Number(s.field_id) !== c.id) {
      fail(`duckdb: column ${c.name}: field_id ${s.field_id}, expected ${c.id}`)
    }
    const rep = c.required ? 'REQUIRED' : 'OPTIONAL'
    if (s.repetition_type !== rep) {
      fail(`duckdb: column ${c.name}: repetition ${s.repetition_type}, expected ${rep}`)
    }
  }
  const described = (await con.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${file})`)).getRowObjects()
  if (described.length !== columns.length) {
    fail(`duckdb: ${described.length} columns, expected ${columns.length}`)
  }
  columns.forEach((c, i) => {
    const d = described[i]
    if (!d || d.column_name !== c.name || d.column_type !== DUCK_TYPES[c.type]) {
      fail(`duckdb: column ${i}: ${d?.column_name} ${d?.column_type}, ` +
           `expected ${c.name} ${DUCK_TYPES[c.type]}`)
    }
  })
  if (expected.key_value_metadata) {
    const kv = (await con.runAndReadAll(
      `SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${file})`))
      .getRowObjects()
    for (const [k, v] of Object.entries(expected.key_value_metadata)) {
      const got = kv.find((r) => r.k === k)
      if (!got) fail(`duckdb: key_value_metadata ${k} missing`)
      else if (got.v !== v) fail(`duckdb: key_value_metadata ${k} differs`)
    }
  }
  const meta = (await con.runAndReadAll(
    `SELECT num_rows, num_row_groups, created_by FROM parquet_file_metadata(${file})`))
    .getRowObjects()[0]
  if (expected.row_groups !== undefined && Number(meta.num_row_groups) !== expected.row_groups) {
    fail(`duckdb: ${meta.num_row_groups} row groups, expected ${expected.row_groups}`)
  }
  if (expected.num_rows !== undefined && Number(meta.num_rows) !== expected.num_rows) {
    fail(`duckdb: num_rows ${meta.num_rows}, expected ${expected.num_rows}`)
  }
  if (expected.created_by !== undefined && meta.created_by !== expected.created_by) {
    fail(`duckdb: created_by ${meta.created_by}, expected ${expected.created_by}`)
  }

  const sql = `SELECT ${columns.map(duckExpr).join(', ')} FROM ` +
    `read_parquet(${file}, file_row_number = true) ORDER BY file_row_number`
  const result = await con.stream(sql)
  async function * rows () {
    for (;;) {
      const chunk = await result.fetchChunk()
      if (!chunk || chunk.rowCount === 0) return
      yield * chunk.getRows()
    }
  }
  await compare('duckdb', rows())
  con.closeSync?.()
}

// ---- hyparquet -----------------------------------------------------------------------------

async function checkHyparquet (bytes) {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet')
  const { compressors } = await import('hyparquet-compressors')
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  const file = { byteLength: ab.byteLength, slice: (s, e) => ab.slice(s, e) }
  const metadata = parquetMetadata(ab)
  const total = Number(metadata.num_rows)
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const parsers = {
    timestampFromMicroseconds: (v) => v,
    timestampFromMilliseconds: (v) => { throw new Error(`unexpected millis ${v}`) },
    dateFromDays: (v) => v,
    stringFromBytes: (b) => b && decoder.decode(b),
  }
  const names = columns.map((c) => c.name)
  async function * rows () {
    const step = 100000
    for (let start = 0; start < total; start += step) {
      const objs = await parquetReadObjects({
        file, metadata, compressors, parsers, utf8: false, columns: names,
        rowStart: start, rowEnd: Math.min(total, start + step),
      })
      for (const o of objs) yield names.map((n) => o[n])
    }
  }
  await compare('hyparquet', rows())
}

// ---- parquet-wasm (arrow-rs), through the Arrow C data interface in wasm memory -------------

function cstr (mem, p) {
  if (!p) return null
  const u8 = new Uint8Array(mem)
  let e = p
  while (u8[e]) e++
  return Buffer.from(u8.subarray(p, e)).toString('utf8')
}

// ArrowSchema / ArrowArray on wasm32: pointers are 4 bytes, int64 aligned to 8.
function readSchema (mem, p) {
  const dv = new DataView(mem)
  const n = Number(dv.getBigInt64(p + 24, true))
  const kids = dv.getUint32(p + 32, true)
  const children = []
  for (let i = 0; i < n; i++) children.push(readSchema(mem, dv.getUint32(kids + 4 * i, true)))
  return { format: cstr(mem, dv.getUint32(p, true)), name: cstr(mem, dv.getUint32(p + 4, true)),
    children }
}

function readArray (mem, p) {
  const dv = new DataView(mem)
  const nbuf = Number(dv.getBigInt64(p + 24, true))
  const nkids = Number(dv.getBigInt64(p + 32, true))
  const bufs = dv.getUint32(p + 40, true)
  const kids = dv.getUint32(p + 44, true)
  const buffers = []
  for (let i = 0; i < nbuf; i++) buffers.push(dv.getUint32(bufs + 4 * i, true))
  const children = []
  for (let i = 0; i < nkids; i++) children.push(readArray(mem, dv.getUint32(kids + 4 * i, true)))
  return { length: Number(dv.getBigInt64(p, true)), offset: Number(dv.getBigInt64(p + 16, true)),
    buffers, children }
}

// Values of one column as JS values (null for nulls), by Arrow format string.
function arrowValues (mem, fmt, a) {
  const dv = new DataView(mem)
  const u8 = new Uint8Array(mem)
  const out = new Array(a.length)
  const valid = a.buffers[0]
  const isValid = (i) => {
    if (!valid) return true
    const j = a.offset + i
    return (u8[valid + (j >> 3)] >> (j & 7)) & 1
  }
  const data = a.buffers[1]
  for (let i = 0; i < a.length; i++) {
    if (!isValid(i)) { out[i] = null; continue }
    const j = a.offset + i
    if (fmt === 'b') out[i] = Boolean((u8[data + (j >> 3)] >> (j & 7)) & 1)
    else if (fmt === 'i' || fmt === 'tdD') out[i] = dv.getInt32(data + 4 * j, true)
    else if (fmt === 'l' || fmt.startsWith('tsu:')) out[i] = dv.getBigInt64(data + 8 * j, true)
    else if (fmt === 'f') out[i] = dv.getFloat32(data + 4 * j, true)
    else if (fmt === 'g') out[i] = dv.getFloat64(data + 8 * j, true)
    else if (fmt === 'u' || fmt === 'z' || fmt === 'U' || fmt === 'Z') {
      const wide = fmt === 'U' || fmt === 'Z'
      const offs = a.buffers[1]
      const bytes = a.buffers[2]
      const s = wide ? Number(dv.getBigInt64(offs + 8 * j, true)) : dv.getInt32(offs + 4 * j, true)
      const e = wide ? Number(dv.getBigInt64(offs + 8 * j + 8, true))
        : dv.getInt32(offs + 4 * j + 4, true)
      const b = u8.slice(bytes + s, bytes + e)
      out[i] = (fmt === 'u' || fmt === 'U') ? new TextDecoder('utf-8', { fatal: true }).decode(b) : b
    } else throw new Error(`parquet-wasm: unsupported Arrow format ${fmt}`)
  }
  return out
}

const ARROW_FORMATS = {
  boolean: ['b'], int: ['i'], long: ['l'], float: ['f'], double: ['g'], date: ['tdD'],
  timestamp: ['tsu:'], timestamptz: ['tsu:UTC', 'tsu:+00:00'], string: ['u', 'U'],
  binary: ['z', 'Z'],
}

async function checkParquetWasm (bytes) {
  const pw = await import('parquet-wasm/node')
  const table = pw.readParquet(new Uint8Array(bytes))
  const stream = table.intoFFI()
  try {
    const mem = pw.wasmMemory().buffer
    const schema = readSchema(mem, stream.schemaAddr())
    columns.forEach((c, i) => {
      const f = schema.children[i]
      if (!f || f.name !== c.name || !ARROW_FORMATS[c.type].includes(f.format)) {
        fail(`parquet-wasm: column ${i}: ${f?.name} ${f?.format}, expected ${c.name} ` +
             `${ARROW_FORMATS[c.type].join('|')}`)
      }
    })
    function * rows () {
      for (let b = 0; b < stream.numArrays(); b++) {
        const batch = readArray(mem, stream.arrayAddr(b))
        const cols = batch.children.map((a, i) => arrowValues(mem, schema.children[i].format, a))
        for (let r = 0; r < batch.length; r++) yield cols.map((col) => col[r])
      }
    }
    await compare('parquet-wasm', rows())
  } finally {
    stream.free()
  }
}

// ---- main ----------------------------------------------------------------------------------

const bytes = readFileSync(parquetPath)
if (expected.file_size !== undefined && bytes.length !== expected.file_size) {
  fail(`file size ${bytes.length}, expected ${expected.file_size}`)
}
for (const r of readers) {
  try {
    if (r === 'duckdb') await checkDuckDB()
    else if (r === 'hyparquet') await checkHyparquet(bytes)
    else if (r === 'parquet-wasm') await checkParquetWasm(bytes)
    else usage(`unknown reader ${r}`)
  } catch (e) {
    fail(`${r}: ${e.stack ?? e}`)
  }
}
if (failures) {
  console.error(`check-parquet: ${parquetPath}: ${failures} failure(s)`)
  process.exit(1)
}
console.log(`check-parquet: ${parquetPath}: OK (${readers.join(', ')})`)
