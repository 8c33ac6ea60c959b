// check-avro.mjs — checks floe's Avro codec against avsc, an independent Avro implementation.
//
// Usage: node check-avro.mjs PATH/TO/avro_gen
//
// 1. avro_gen writes an Iceberg v2 manifest list and manifest; avsc decodes them with the schema
//    embedded in each file. Every value is compared with the row formulas (recomputed here),
//    the file metadata with what Iceberg requires, the embedded schema's field ids with the
//    spec's (SPEC-NOTES §2), and the number of blocks with what avro_gen wrote.
// 2. avsc writes container files (several blocks, every Avro type, floe's manifest list schema);
//    `avro_gen --dump` decodes them with floe's reader and must print the same values.
//
// Exits non-zero with a message on the first mismatch.

import {
  decodeFile, headerMeta as meta, parseWrapped as parse, writeFile,
} from './avro-bigint.mjs';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const avro = require('avsc');

const gen = process.argv[2];
if (!gen) {
  console.error('usage: node check-avro.mjs PATH/TO/avro_gen');
  process.exit(2);
}

function countSync(buf, sync) {
  let n = 0;
  for (let i = buf.indexOf(sync); i >= 0; i = buf.indexOf(sync, i + 1)) {
    n++;
  }
  return n;
}

const le32 = (v) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};
const le64 = (v) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v));
  return b;
};

const SNAPSHOT_ID = 3051729675574597004n;
const TS_BASE = 1510871468000000n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function expectedManifestFile(i) {
  const I = BigInt(i);
  return {
    manifest_path: `s3://bucket/wh/db/users/metadata/snap-${i}-m${i}é.avro`,
    manifest_length: 4096n + 1000n * I,
    partition_spec_id: i % 2,
    content: i % 2,
    sequence_number: 10n + I,
    min_sequence_number: 5n + I,
    added_snapshot_id: SNAPSHOT_ID + I,
    added_files_count: i,
    existing_files_count: 2 * i,
    deleted_files_count: 0,
    added_rows_count: 100n * I,
    existing_rows_count: i === 6 ? INT64_MIN : 7n * I,
    deleted_rows_count: i === 6 ? INT64_MAX : 0n,
    partitions:
      i % 3 === 0
        ? null
        : [
            {
              contains_null: i % 2 === 0,
              contains_nan: null,
              lower_bound: le32(20415 + i),
              upper_bound: le32(20415 + i + 1),
            },
            {
              contains_null: false,
              contains_nan: false,
              lower_bound: le32(0),
              upper_bound: i === 5 ? null : le32(15),
            },
          ],
    key_metadata: i === 4 ? Buffer.from([0xde, 0xad, 0xbe, 0xef]) : null,
  };
}

function kv(n, value) {
  const out = [];
  for (let c = 1; c <= n; c++) {
    out.push({ key: c, value: value(c) });
  }
  return out;
}

function expectedManifestEntry(j) {
  const J = BigInt(j);
  const bounds = (upper) => [
    { key: 1, value: le64(upper ? J * 10n + 9n : J * 10n) },
    { key: 4, value: le64(TS_BASE + J + (upper ? 1000n : 0n)) },
    { key: 2, value: Buffer.from(upper ? 'zed' : 'alice') },
  ];
  return {
    status: j === 3 ? 0 : 1,
    snapshot_id: j === 3 ? SNAPSHOT_ID - 3n : SNAPSHOT_ID,
    sequence_number: j === 3 ? 7n : null,
    file_sequence_number: j === 3 ? 7n : null,
    data_file: {
      content: j === 4 ? 2 : 0,
      file_path:
        `s3://bucket/wh/db/users/data/signup_ts_day=2025-11-${23 + j}` +
        `/id_bucket=${(3 * j) % 16}/0000${j}-0-abc.parquet`,
      file_format: 'PARQUET',
      partition: { signup_ts_day: j === 2 ? null : 20415 + j, id_bucket: (3 * j) % 16 },
      record_count: 100n * J + 1n,
      file_size_in_bytes: 8192n + 17n * J,
      column_sizes: kv(5, (c) => 1000n * BigInt(c) + J),
      value_counts: kv(5, () => 100n * J + 1n),
      null_value_counts: kv(5, (c) => (c === 5 ? J : 0n)),
      nan_value_counts: j % 2 === 0 ? [] : null,
      lower_bounds: bounds(false),
      upper_bounds: bounds(true),
      key_metadata: null,
      split_offsets: j % 2 === 0 ? [4n] : [4n, 1048576n],
      equality_ids: j === 4 ? [1] : null,
      sort_order_id: j === 4 ? null : 0,
      referenced_data_file: null,
    },
  };
}

// Field ids by path in an Avro schema that follows Iceberg's conventions: "a.b" for record
// fields, "a[]" for array elements, "a{}k"/"a{}v" for map keys and values.
function collectIds(schema, path, out, names) {
  if (Array.isArray(schema)) {
    for (const branch of schema) {
      collectIds(branch, path, out, names);
    }
    return;
  }
  if (typeof schema !== 'object' || schema === null) {
    return;
  }
  if (schema.type === 'record') {
    names[path || '.'] = schema.name;
    for (const f of schema.fields) {
      const p = path ? `${path}.${f.name}` : f.name;
      out[p] = f['field-id'];
      collectIds(f.type, p, out, names);
    }
  } else if (schema.type === 'array') {
    if (schema.logicalType === 'map') {
      names[`${path}{}`] = schema.items.name;
      const [k, v] = schema.items.fields;
      out[`${path}{}k`] = k['field-id'];
      out[`${path}{}v`] = v['field-id'];
    } else {
      out[`${path}[]`] = schema['element-id'];
      collectIds(schema.items, `${path}[]`, out, names);
    }
  } else if (schema.type === 'map') {
    out[`${path}{}k`] = schema['key-id'];
    out[`${path}{}v`] = schema['value-id'];
    collectIds(schema.values, `${path}{}`, out, names);
  }
}

const MANIFEST_LIST_IDS = {
  manifest_path: 500, manifest_length: 501, partition_spec_id: 502, content: 517,
  sequence_number: 515, min_sequence_number: 516, added_snapshot_id: 503,
  added_files_count: 504, existing_files_count: 505, deleted_files_count: 506,
  added_rows_count: 512, existing_rows_count: 513, deleted_rows_count: 514,
  partitions: 507, 'partitions[]': 508, 'partitions[].contains_null': 509,
  'partitions[].contains_nan': 518, 'partitions[].lower_bound': 510,
  'partitions[].upper_bound': 511, key_metadata: 519,
};

const MANIFEST_IDS = {
  status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2,
  'data_file.content': 134, 'data_file.file_path': 100, 'data_file.file_format': 101,
  'data_file.partition': 102, 'data_file.partition.signup_ts_day': 1000,
  'data_file.partition.id_bucket': 1001, 'data_file.record_count': 103,
  'data_file.file_size_in_bytes': 104,
  'data_file.column_sizes': 108, 'data_file.column_sizes{}k': 117, 'data_file.column_sizes{}v': 118,
  'data_file.value_counts': 109, 'data_file.value_counts{}k': 119, 'data_file.value_counts{}v': 120,
  'data_file.null_value_counts': 110, 'data_file.null_value_counts{}k': 121,
  'data_file.null_value_counts{}v': 122,
  'data_file.nan_value_counts': 137, 'data_file.nan_value_counts{}k': 138,
  'data_file.nan_value_counts{}v': 139,
  'data_file.lower_bounds': 125, 'data_file.lower_bounds{}k': 126, 'data_file.lower_bounds{}v': 127,
  'data_file.upper_bounds': 128, 'data_file.upper_bounds{}k': 129, 'data_file.upper_bounds{}v': 130,
  'data_file.key_metadata': 131, 'data_file.split_offsets': 132, 'data_file.split_offsets[]': 133,
  'data_file.equality_ids': 135, 'data_file.equality_ids[]': 136, 'data_file.sort_order_id': 140,
  'data_file.referenced_data_file': 143,
};

const MANIFEST_NAMES = {
  '.': 'manifest_entry', data_file: 'r2', 'data_file.partition': 'r102',
  'data_file.column_sizes{}': 'k117_v118', 'data_file.value_counts{}': 'k119_v120',
  'data_file.null_value_counts{}': 'k121_v122', 'data_file.nan_value_counts{}': 'k138_v139',
  'data_file.lower_bounds{}': 'k126_v127', 'data_file.upper_bounds{}': 'k129_v130',
};

// A plain-JSON form for comparisons: records lose their avsc classes, BigInts become "123n".
const plain = (x) => JSON.parse(JSON.stringify(x, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)));


async function checkGenerated(dir) {
  execFileSync(gen, [dir], { stdio: 'inherit' });

  // Manifest list.
  {
    const path = join(dir, 'manifest-list.avro');
    const { header, records } = await decodeFile(path);
    assert.equal(meta(header, 'avro.codec'), 'null');
    assert.equal(meta(header, 'format-version'), '2');
    assert.equal(meta(header, 'snapshot-id'), '3051729675574597010');
    assert.equal(meta(header, 'parent-snapshot-id'), '3051729675574597009');
    assert.equal(meta(header, 'sequence-number'), '16');
    const schema = JSON.parse(meta(header, 'avro.schema'));
    const ids = {};
    const names = {};
    collectIds(schema, '', ids, names);
    assert.deepEqual(ids, MANIFEST_LIST_IDS, 'manifest list field ids');
    assert.deepEqual(names, { '.': 'manifest_file', 'partitions[]': 'r508' });
    const optional = schema.fields.filter((f) => Array.isArray(f.type));
    for (const f of optional) {
      assert.equal(f.type[0], 'null', `${f.name} is ["null", T]`);
      assert.ok('default' in f && f.default === null, `${f.name} has "default": null`);
    }
    assert.equal(records.length, 7);
    records.forEach((r, i) =>
      assert.deepEqual(plain(r), plain(expectedManifestFile(i)), `manifest_file ${i}`));
    assert.equal(countSync(readFileSync(path), header.sync), 1 + 3, 'manifest list blocks');
  }

  // Manifest.
  {
    const path = join(dir, 'manifest.avro');
    const { header, records } = await decodeFile(path);
    assert.equal(meta(header, 'avro.codec'), 'null');
    assert.equal(meta(header, 'format-version'), '2');
    assert.equal(meta(header, 'content'), 'data');
    assert.equal(meta(header, 'schema-id'), '0');
    assert.equal(meta(header, 'partition-spec-id'), '0');
    const tableSchema = JSON.parse(meta(header, 'schema'));
    assert.equal(tableSchema.type, 'struct');
    assert.deepEqual(tableSchema.fields.map((f) => [f.id, f.name, f.type]), [
      [1, 'id', 'long'], [2, 'name', 'string'], [3, 'email', 'string'],
      [4, 'signup_ts', 'timestamptz'], [5, 'age', 'int'],
    ]);
    assert.deepEqual(JSON.parse(meta(header, 'partition-spec')), [
      { 'source-id': 4, 'field-id': 1000, name: 'signup_ts_day', transform: 'day' },
      { 'source-id': 1, 'field-id': 1001, name: 'id_bucket', transform: 'bucket[16]' },
    ]);
    const schema = JSON.parse(meta(header, 'avro.schema'));
    const ids = {};
    const names = {};
    collectIds(schema, '', ids, names);
    assert.deepEqual(ids, MANIFEST_IDS, 'manifest field ids');
    assert.deepEqual(names, MANIFEST_NAMES, 'manifest record names');
    assert.equal(records.length, 5);
    records.forEach((r, j) =>
      assert.deepEqual(plain(r), plain(expectedManifestEntry(j)), `manifest_entry ${j}`));
    assert.equal(countSync(readFileSync(path), header.sync), 1 + 2, 'manifest blocks');
  }
}

// Values as `avro_gen --dump` prints them: longs as strings, bytes as hex, maps and records as
// objects, unions as the branch's value.
function dumpForm(v) {
  if (typeof v === 'bigint') {
    return v.toString();
  }
  if (Buffer.isBuffer(v)) {
    return v.toString('hex');
  }
  if (Array.isArray(v)) {
    return v.map(dumpForm);
  }
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = dumpForm(x);
    }
    return out;
  }
  return v;
}

async function checkReverse(dir) {
  // Every Avro type, small blocks so that the file has many.
  const everything = {
    type: 'record', name: 'everything', fields: [
      { name: 'b', type: 'boolean' },
      { name: 'i', type: 'int' },
      { name: 'l', type: 'long' },
      { name: 'd', type: 'double' },
      { name: 's', type: 'string' },
      { name: 'y', type: 'bytes' },
      { name: 'e', type: { type: 'enum', name: 'colour', symbols: ['RED', 'GREEN', 'BLUE'] } },
      { name: 'x', type: { type: 'fixed', name: 'four', size: 4 } },
      { name: 'a', type: { type: 'array', items: 'long' } },
      { name: 'm', type: { type: 'map', values: 'int' } },
      { name: 'u', type: ['null', 'string'] },
      { name: 'n', type: { type: 'record', name: 'inner', fields: [{ name: 'k', type: 'four' }] } },
      { name: 'z', type: 'null' },
    ],
  };
  const rows = [];
  for (let i = 0; i < 200; i++) {
    const I = BigInt(i);
    rows.push({
      b: i % 2 === 1,
      i: i % 7 === 0 ? -2147483648 : i * 1000003 - 5,
      l: i === 0 ? INT64_MIN : i === 1 ? INT64_MAX : I * I * I * 1234567n - 99n,
      d: i / 8 - 3,
      s: `row ${i} ✓ "quoted" \\ é`,
      y: Buffer.from([i & 255, 0, 255 - (i & 255)]),
      e: ['RED', 'GREEN', 'BLUE'][i % 3],
      x: Buffer.from([1, 2, 3, i & 255]),
      a: Array.from({ length: i % 5 }, (_, k) => BigInt(k) - 2n),
      m: i % 4 === 0 ? {} : { one: 1, [`k${i}`]: -i },
      u: i % 3 === 0 ? null : `u${i}`,
      n: { k: Buffer.from([i & 255, 9, 8, 7]) },
      z: null,
    });
  }
  const path = join(dir, 'everything.avro');
  await writeFile(path, parse(everything), rows, { blockSize: 1024 });
  const lines = execFileSync(gen, ['--dump', path]).toString('utf8').trim().split('\n');
  assert.equal(lines.length, rows.length);
  lines.forEach((line, i) => {
    const want = dumpForm({ ...rows[i], e: i % 3 });
    assert.deepEqual(JSON.parse(line), want, `everything row ${i}`);
  });
  assert.ok(countSync(readFileSync(path), readFileSync(path).subarray(-16)) > 5, 'several blocks');

  // floe's own manifest list schema, written by avsc, read back by floe.
  const { header } = await decodeFile(join(dir, 'manifest-list.avro'));
  const mlType = parse(JSON.parse(meta(header, 'avro.schema')));
  const mlRows = Array.from({ length: 7 }, (_, i) => expectedManifestFile(i));
  const mlPath = join(dir, 'avsc-manifest-list.avro');
  await writeFile(mlPath, mlType, mlRows, { blockSize: 256 });
  const mlLines = execFileSync(gen, ['--dump', mlPath]).toString('utf8').trim().split('\n');
  assert.deepEqual(mlLines.map((l) => JSON.parse(l)), mlRows.map(dumpForm));
}

const dir = mkdtempSync(join(tmpdir(), 'floe-avro-'));
try {
  await checkGenerated(dir);
  await checkReverse(dir);
  console.log('check-avro: avsc agrees with floe (manifest list, manifest, reverse direction)');
} catch (err) {
  console.error(`check-avro: ${err.stack || err}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
