// check-iceberg.mjs — reads a floe table with independent readers and compares it with what a
// test expects. icebird reads the rows (through its file-system catalog); avsc decodes the
// manifest list and manifests of the snapshot; hyparquet reads each data file, whose partition
// tuple is recomputed here (day, bucket with our own murmur3) and whose bounds must contain
// its values.
//
//   node check-iceberg.mjs TABLE_DIR EXPECTED.json [--metadata vN.metadata.json]
//                          [--s3-endpoint https://localhost:PORT]
//
// With --s3-endpoint, TABLE_DIR and the locations in the metadata may be s3://bucket/key URIs:
// every reader then fetches them over HTTP(S) from ENDPOINT/bucket/key (path style, unsigned
// GETs, as moto serves them; NODE_EXTRA_CA_CERTS for a test CA).
//
// EXPECTED.json: {"columns": ["id", "name", ...], "rows": [[...], ...]} — row order does not
// matter; longs as decimal strings, timestamps as ISO strings to the millisecond (icebird gives
// millisecond Dates), null for nulls; optional "snapshots": N (snapshots in the metadata).
// Exit 0 when everything matches, 1 otherwise (differences printed).
import { readFile } from 'node:fs/promises'
import { decodeAvroFile } from './avro-bigint.mjs'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const args = process.argv.slice(2)
const s3Index = args.indexOf('--s3-endpoint')
const s3Endpoint = s3Index > 0 ? args[s3Index + 1].replace(/\/+$/, '') : undefined

// s3://bucket/key as the endpoint's path-style URL (undefined for other locations). icebird
// turns s3:// into https://BUCKET.s3.amazonaws.com/KEY before it fetches: that form is mapped
// to the endpoint too, so nothing leaves the machine.
function s3Url (location) {
  const m = /^s3a?:\/\/(.+)$/.exec(String(location)) ||
    /^https:\/\/([^./]+)\.s3\.amazonaws\.com\/(.*)$/.exec(String(location))
  if (!m) return undefined
  if (!s3Endpoint) throw new Error(`${location}: an s3:// location needs --s3-endpoint`)
  return m.length > 2 ? `${s3Endpoint}/${m[1]}/${m[2]}` : `${s3Endpoint}/${m[1]}`
}

// Requests to the S3 endpoint, a few at a time (icebird starts one per range of every file at
// once, more than a test server's connection backlog takes), each retried after a transport
// error; HTTP answers are returned as they are.
const S3_PARALLEL = 4
let s3Active = 0
const s3Waiting = []
async function s3Fetch (url, init) {
  if (s3Active >= S3_PARALLEL) await new Promise(resolve => s3Waiting.push(resolve))
  s3Active++
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await realFetch(url, init)
        return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers })
      } catch (err) {
        if (attempt >= 5) throw err
        await new Promise(resolve => setTimeout(resolve, 100 * attempt))
      }
    }
  } finally {
    s3Active--
    if (s3Waiting.length) s3Waiting.shift()()
  }
}

// Local files for icebird, which reads through fetch: HEAD, GET and Range on absolute paths;
// s3:// locations go to the S3 endpoint.
const realFetch = globalThis.fetch
globalThis.fetch = async (url, init = {}) => {
  let path = String(url)
  const remote = s3Url(path)
  if (remote) return s3Fetch(remote, init)
  if (path.startsWith('file://')) path = path.slice(7)
  if (!path.startsWith('/')) return realFetch(url, init)
  let buf
  try { buf = await readFile(path) } catch { return new Response(null, { status: 404 }) }
  const headers = { 'content-length': String(buf.length) }
  if ((init.method || 'GET') === 'HEAD') return new Response(null, { status: 200, headers })
  const h = init.headers || {}
  const range = h.Range || h.range || (typeof h.get === 'function' ? h.get('range') : undefined)
  if (range) {
    const m = /bytes=(\d+)-(\d*)/.exec(range)
    const start = Number(m[1])
    const end = m[2] ? Math.min(Number(m[2]) + 1, buf.length) : buf.length
    return new Response(buf.subarray(start, end), { status: 206, headers: { 'content-length': String(end - start) } })
  }
  return new Response(buf, { status: 200, headers })
}
const { icebergRead, icebergMetadata } = await import('icebird')

// A whole file of the table, local or from the S3 endpoint.
async function readBytes (location) {
  const remote = s3Url(location)
  if (!remote) return readFile(location)
  const res = await s3Fetch(remote, {})
  if (!res.ok) throw new Error(`GET ${remote}: ${res.status}`)
  return Buffer.from(await res.arrayBuffer())
}

// A data file for hyparquet: read through the file system, or fetched whole from S3.
async function parquetFile (location) {
  if (!s3Url(location)) return asyncBufferFromFile(location)
  const buf = await readBytes(location)
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)
}

const [tableDir, expectedPath] = args
const mdIndex = args.indexOf('--metadata')
const metadataFileName = mdIndex > 0 ? args[mdIndex + 1] : undefined
const expected = JSON.parse(await readFile(expectedPath, 'utf8'))
let failures = 0
function fail (msg) {
  failures++
  if (failures <= 15) console.error('FAIL ' + msg)
}

function norm (v) {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Date) return v.toISOString()
  return v
}

const metadata = await icebergMetadata({ tableUrl: tableDir, metadataFileName })
if (expected.snapshots !== undefined && (metadata.snapshots || []).length !== expected.snapshots) {
  fail(`snapshots: ${(metadata.snapshots || []).length}, expected ${expected.snapshots}`)
}

// 1. The rows, as a multiset.
// A table without a current snapshot has no rows (icebird refuses to read one).
const current = metadata['current-snapshot-id']
const hasSnapshot = current !== undefined && current !== null && Number(current) !== -1
const rows = hasSnapshot ? await icebergRead({ tableUrl: tableDir, metadata, metadataFileName }) : []
const key = r => JSON.stringify(r)
const got = rows.map(r => expected.columns.map(c => norm(r[c]))).map(key).sort()
const want = expected.rows.map(r => r.map(v => v)).map(key).sort()
if (got.length !== want.length) fail(`row count ${got.length}, expected ${want.length}`)
let i = 0, j = 0
while (i < got.length && j < want.length && failures < 15) {
  if (got[i] === want[j]) { i++; j++ } else if (got[i] < want[j]) { fail(`unexpected row ${got[i]}`); i++ } else { fail(`missing row ${want[j]}`); j++ }
}

// 2. The snapshot's manifests, decoded by avsc; each data file read by hyparquet. 3. The rows
// again, by the spec's scan rules applied here (not icebird's): an equality delete removes a
// row when the row's data sequence number is strictly lower and the delete is global (its spec
// has no fields) or of the row's spec and partition tuple.
function murmur3 (bytes) {
  const c1 = 0xcc9e2d51, c2 = 0x1b873593
  let h = 0
  const n = bytes.length - (bytes.length % 4)
  for (let k = 0; k < n; k += 4) {
    let x = bytes[k] | (bytes[k + 1] << 8) | (bytes[k + 2] << 16) | (bytes[k + 3] << 24)
    x = Math.imul(x, c1); x = (x << 15) | (x >>> 17); x = Math.imul(x, c2)
    h ^= x; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  let x = 0
  switch (bytes.length & 3) {
    case 3: x ^= bytes[n + 2] << 16 // falls through
    case 2: x ^= bytes[n + 1] << 8 // falls through
    case 1: x ^= bytes[n]; x = Math.imul(x, c1); x = (x << 15) | (x >>> 17); x = Math.imul(x, c2); h ^= x
  }
  h ^= bytes.length
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16
  return h | 0
}
function bucketLong (v, n) {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigInt64(0, BigInt(v), true)
  return (murmur3(b) & 0x7fffffff) % n
}
function dayOf (d) { return Math.floor(d.getTime() / 86400000) }

const snapId = metadata['current-snapshot-id']
const snapshot = (metadata.snapshots || []).find(s => String(s['snapshot-id']) === String(snapId))
const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id'])
const specOf = id => metadata['partition-specs'].find(s => s['spec-id'] === Number(id))
const tupleKey = t => JSON.stringify(t || {}, (k, v) => typeof v === 'bigint' ? v.toString() : v)
const dataRows = [] // {seq, spec, tuple, row}
const deletes = [] // {seq, spec, global, tuple, names, keys: Set}
if (snapshot) {
  const list = await decodeAvroFile(await readBytes(snapshot['manifest-list']))
  let files = 0
  for (const m of list) {
    const spec = specOf(m.partition_spec_id)
    if (!spec) { fail(`${m.manifest_path}: partition_spec_id ${m.partition_spec_id} is not in partition-specs`); continue }
    if (typeof m.manifest_length !== 'number' && typeof m.manifest_length !== 'bigint') fail('manifest_length missing')
    const mbuf = await readBytes(m.manifest_path)
    if (Number(m.manifest_length) !== mbuf.length) fail(`manifest_length ${m.manifest_length} != ${mbuf.length}`)
    const entries = await decodeAvroFile(mbuf)
    const embedded = JSON.parse(entries.meta['avro.schema'].toString())
    const df = embedded.fields.find(f => f.name === 'data_file')
    if (!embedded.fields.some(f => f.name === 'status' && f['field-id'] === 0) || !df || df['field-id'] !== 2) fail('manifest_entry field ids')
    for (const e of entries) {
      if (Number(e.status) === 2) continue
      const isData = Number(e.data_file.content || 0) === 0
      if (isData) files++
      const d = e.data_file
      const file = await parquetFile(d.file_path)
      const data = await parquetReadObjects({ file, compressors })
      // Sequence numbers: an entry's own, or inherited from the list when it was added.
      const seq = e.sequence_number !== null && e.sequence_number !== undefined
        ? BigInt(e.sequence_number) : BigInt(m.sequence_number)
      if (isData) {
        for (const r of data) dataRows.push({ seq, spec: spec['spec-id'], tuple: tupleKey(d.partition), row: r })
      } else if (Number(d.content) === 2) {
        const names = (d.equality_ids || []).map(id => schema.fields.find(f => f.id === Number(id)).name)
        const keys = new Set(data.map(r => JSON.stringify(names.map(n => norm(r[n])))))
        deletes.push({ seq, spec: spec['spec-id'], global: spec.fields.length === 0, tuple: tupleKey(d.partition), names, keys })
      } else {
        fail(`${d.file_path}: position deletes are not expected here`)
      }
      if (data.length !== Number(d.record_count)) fail(`${d.file_path}: ${data.length} rows, record_count ${d.record_count}`)
      for (const pf of spec.fields) {
        const src = schema.fields.find(f => f.id === pf['source-id']).name
        const want = d.partition[pf.name]
        // Delete files hold the key alone: check the fields whose source they have.
        if (data.length && !(src in data[0])) continue
        for (const r of data) {
          let v
          if (pf.transform === 'day') v = r[src] === null || r[src] === undefined ? null : dayOf(r[src])
          else if (pf.transform.startsWith('bucket[')) v = bucketLong(r[src], Number(pf.transform.slice(7, -1)))
          else continue
          if (v !== want) { fail(`${d.file_path}: row has ${pf.name}=${v}, file's partition says ${want}`); break }
        }
      }
      // Bounds of long columns contain the values.
      for (const f of schema.fields.filter(f => f.type === 'long')) {
        const lo = (d.lower_bounds || []).find(b => b.key === f.id)
        const hi = (d.upper_bounds || []).find(b => b.key === f.id)
        const vals = data.map(r => r[f.name]).filter(v => v !== null && v !== undefined)
        if (!vals.length) continue
        if (!lo || !hi) { fail(`${d.file_path}: no bounds for ${f.name}`); continue }
        const min = Buffer.from(lo.value).readBigInt64LE(0), max = Buffer.from(hi.value).readBigInt64LE(0)
        for (const v of vals) if (BigInt(v) < min || BigInt(v) > max) { fail(`${d.file_path}: ${f.name}=${v} outside [${min}, ${max}]`); break }
      }
    }
  }
  const total = Number((snapshot.summary || {})['total-data-files'])
  if (files !== total) fail(`${files} live data files in manifests, summary says ${total}`)

  const live = dataRows.filter(({ seq, spec, tuple, row }) => !deletes.some(del =>
    seq < del.seq && (del.global || (del.spec === spec && del.tuple === tuple)) &&
    del.keys.has(JSON.stringify(del.names.map(n => norm(row[n]))))))
  const byRules = live.map(({ row }) => expected.columns.map(c => norm(row[c]))).map(key).sort()
  if (byRules.length !== want.length) fail(`spec rules: row count ${byRules.length}, expected ${want.length}`)
  let a = 0, b = 0
  while (a < byRules.length && b < want.length && failures < 15) {
    if (byRules[a] === want[b]) { a++; b++ } else if (byRules[a] < want[b]) { fail(`spec rules: unexpected row ${byRules[a]}`); a++ } else { fail(`spec rules: missing row ${want[b]}`); b++ }
  }
  console.log(`${live.length} rows by the spec's rules (${deletes.length} delete files, ${deletes.filter(d => d.global).length} global)`)
}

console.log(`${rows.length} rows read by icebird${snapshot ? `, snapshot ${snapId}` : ''}`)
if (failures) {
  console.error(`check-iceberg: ${failures} failure(s)`)
  process.exit(1)
}
