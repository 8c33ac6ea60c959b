// avro-bigint.mjs — avsc with Avro longs read as BigInt, so that 63-bit ids (snapshot ids,
// sequence numbers) survive: typeHook for avsc's Type.forSchema, parseSchema(schema) with it
// (unions unwrapped), and decodeAvroFile(buf) for the records of an object-container file with
// its header metadata in `.meta`.
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
