// avro-bigint.mjs — avsc with Avro longs read as BigInt, so that 63-bit ids (snapshot ids,
// sequence numbers) survive: typeHook for avsc's Type.forSchema, parseSchema(schema) with it
// (unions unwrapped), and decodeAvroFile(buf) for the records of an object-container file with
// its header metadata in `.meta`. For the codec tests: parseWrapped(schema) and decodeFile(path)
// (unions as avsc wraps them, with the file header), headerMeta(header, key), writeFile(path, type, records, opts,
// schema).
import avro from 'avsc'

const BigLong = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => {
    const b = Buffer.alloc(8)
    b.writeBigInt64LE(BigInt(n))
    return b
  },
  fromJSON: (x) => BigInt(x),
  toJSON: (n) => n.toString(),
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
})

// avsc's typeHook that reads and writes every long as BigInt.
export const typeHook = (schema) =>
  schema === 'long' || (schema && schema.type === 'long') ? BigLong : undefined

export function parseSchema (schema) {
  return avro.Type.forSchema(schema, { typeHook, wrapUnions: false })
}

export function decodeAvroFile (buf) {
  const rows = []
  return new Promise((resolve, reject) => {
    const dec = new avro.streams.BlockDecoder({ parseHook: parseSchema })
    dec.on('metadata', (type, codec, header) => { rows.meta = header.meta })
    dec.on('data', (r) => rows.push(r)).on('end', () => resolve(rows)).on('error', reject)
    dec.end(buf)
  })
}

// avsc's Type for schema with longs as BigInt, unions wrapped as avsc does by default.
export const parseWrapped = (schema) => avro.Type.forSchema(schema, { typeHook })

// The records and header of a container file, unions wrapped.
export function decodeFile (path) {
  return new Promise((resolve, reject) => {
    const records = []
    let header = null
    avro
      .createFileDecoder(path, { parseHook: parseWrapped })
      .on('metadata', (type, codec, h) => { header = h })
      .on('data', (r) => records.push(r))
      .on('error', reject)
      .on('end', () => resolve({ header, records }))
  })
}

// A header metadata value as text, or undefined.
export const headerMeta = (header, key) =>
  header.meta[key] === undefined ? undefined : header.meta[key].toString('utf8')

// Writes records of type to a container file. avsc writes the header schema from its parsed
// Type, which drops field attributes such as "field-id"; given schema (JSON), the encoder writes
// it verbatim instead (its _schema, set after construction).
export function writeFile (path, type, records, opts, schema) {
  return new Promise((resolve, reject) => {
    const enc = avro.createFileEncoder(path, type, opts)
    if (schema !== undefined) enc._schema = schema
    enc.on('error', reject)
    enc.on('finish', () => setTimeout(resolve, 50))
    for (const r of records) enc.write(r)
    enc.end()
  })
}
