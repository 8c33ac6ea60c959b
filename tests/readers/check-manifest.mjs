// check-manifest.mjs — checks floe's Iceberg manifest and manifest-list writers and readers
// (agent/manifest*.c) against avsc, an independent Avro implementation.
//
// Usage: node check-manifest.mjs PATH/TO/manifest_gen
//
// 1. manifest_gen writes manifest.avro, deletes.avro and manifest-list.avro; avsc decodes each
//    with the schema embedded in the file. Every value must equal the values spelled out below
//    (independently of the C side), the file metadata what Iceberg v2 requires, and the embedded
//    schema's field ids and record names the spec's (SPEC-NOTES §2).
// 2. avsc writes the same content the way another engine might: fields in another order, extra
//    fields floe does not know (v1's block_size_in_bytes, referenced_data_file, a map), an
//    optional union with null second, and codec deflate with small blocks. floe's readers
//    (`manifest_gen --dump-…`) must decode the same values.
//
// Exits non-zero with a message on the first mismatch.

import {
  decodeFile, headerMeta as meta, parseWrapped as parse, writeFile,
} from './avro-bigint.mjs';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const gen = process.argv[2];
if (!gen) {
  console.error('usage: node check-manifest.mjs PATH/TO/manifest_gen');
  process.exit(2);
}

const hex = (b) => (b === null || b === undefined ? null : Buffer.from(b).toString('hex'));
const le32 = (v) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b.toString('hex');
};
const le64 = (v) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v));
  return b.toString('hex');
};

// ---- the expected content, in manifest_gen's dump form ----

const SNAP = 3051729675574597004n;
const PARTITION_IDS = { signup_ts_day: 1000, id_bucket: 1001 };

function expectedEntry(j) {
  const J = BigInt(j);
  const cols = (f) => ({ 1: f(1), 2: f(2), 3: f(3) });
  return {
    status: [1, 0, 2][j],
    snapshot_id: String(j === 1 ? SNAP - 4n : SNAP),
    sequence_number: j === 0 ? null : j === 1 ? '7' : '3',
    file_sequence_number: j === 0 ? null : j === 1 ? '8' : '3',
    content: 0,
    file_path: `s3://bucket/wh/db/users/data/f${j}.parquet`,
    file_format: 'PARQUET',
    partition: { 1000: j === 1 ? null : 20415 + j, 1001: 3 * j },
    record_count: String(100 + j),
    file_size_in_bytes: String(8192 + j),
    column_sizes: cols((c) => String(1000 * c + j)),
    value_counts: cols(() => String(100 + j)),
    null_value_counts: cols((c) => String(c === 3 ? j : 0)),
    nan_value_counts: {},
    lower_bounds: { 1: le64(10n * J), 2: hex(Buffer.from('alice')) },
    upper_bounds: { 1: le64(10n * J + 9n), 2: hex(Buffer.from('zed')) },
    key_metadata: j === 2 ? 'deadbeef' : null,
    split_offsets: j === 0 ? ['4', '1048576'] : null,
    equality_ids: null,
    sort_order_id: j === 0 ? 0 : null,
  };
}

const expectedDelete = {
  status: 1,
  snapshot_id: String(SNAP),
  sequence_number: null,
  file_sequence_number: null,
  content: 2,
  file_path: 's3://bucket/wh/db/users/data/eq0.parquet',
  file_format: 'PARQUET',
  partition: {},
  record_count: '5',
  file_size_in_bytes: '700',
  column_sizes: { 1: '50' },
  value_counts: { 1: '5' },
  null_value_counts: { 1: '0' },
  nan_value_counts: null,
  lower_bounds: { 1: le64(1) },
  upper_bounds: { 1: le64(99) },
  key_metadata: null,
  split_offsets: null,
  equality_ids: [1],
  sort_order_id: null,
};

function expectedRows(dir) {
  const base = {
    sequence_number: '16',
    added_snapshot_id: String(SNAP),
    added_files_count: 1,
    key_metadata: null,
  };
  return [
    {
      ...base,
      manifest_path: 's3://bucket/wh/db/users/metadata/m0.avro',
      manifest_length: String(statSync(join(dir, 'manifest.avro')).size),
      partition_spec_id: 0,
      content: 0,
      // the EXISTING entry's 7; the ADDED one inherits, the DELETED one does not count
      min_sequence_number: '7',
      existing_files_count: 1,
      deleted_files_count: 1,
      added_rows_count: '100',
      existing_rows_count: '101',
      deleted_rows_count: '102',
      partitions: [
        { contains_null: true, contains_nan: false, lower_bound: le32(20415), upper_bound: le32(20417) },
        { contains_null: false, contains_nan: false, lower_bound: le32(0), upper_bound: le32(6) },
      ],
    },
    {
      ...base,
      manifest_path: 's3://bucket/wh/db/users/metadata/m1.avro',
      manifest_length: String(statSync(join(dir, 'deletes.avro')).size),
      partition_spec_id: 1,
      content: 1,
      min_sequence_number: '16',
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: '5',
      existing_rows_count: '0',
      deleted_rows_count: '0',
      partitions: [],
    },
  ];
}

// Key order is irrelevant to deepEqual on objects; arrays keep theirs.
const keysToObject = (arr, f) =>
  arr === null ? null : Object.fromEntries(arr.map((kv) => [String(kv.key), f(kv.value)]));

// An avsc-decoded manifest_entry in dump form.
function entryDumpForm(r) {
  const f = r.data_file;
  const str = (v) => (v === null ? null : String(v));
  const partition = {};
  for (const [name, v] of Object.entries(f.partition)) {
    partition[PARTITION_IDS[name]] = v;
  }
  return {
    status: r.status,
    snapshot_id: str(r.snapshot_id),
    sequence_number: str(r.sequence_number),
    file_sequence_number: str(r.file_sequence_number),
    content: f.content,
    file_path: f.file_path,
    file_format: f.file_format,
    partition,
    record_count: String(f.record_count),
    file_size_in_bytes: String(f.file_size_in_bytes),
    column_sizes: keysToObject(f.column_sizes, String),
    value_counts: keysToObject(f.value_counts, String),
    null_value_counts: keysToObject(f.null_value_counts, String),
    nan_value_counts: keysToObject(f.nan_value_counts, String),
    lower_bounds: keysToObject(f.lower_bounds, hex),
    upper_bounds: keysToObject(f.upper_bounds, hex),
    key_metadata: hex(f.key_metadata),
    split_offsets: f.split_offsets === null ? null : f.split_offsets.map(String),
    equality_ids: f.equality_ids,
    sort_order_id: f.sort_order_id,
  };
}

function rowDumpForm(r) {
  return {
    manifest_path: r.manifest_path,
    manifest_length: String(r.manifest_length),
    partition_spec_id: r.partition_spec_id,
    content: r.content,
    sequence_number: String(r.sequence_number),
    min_sequence_number: String(r.min_sequence_number),
    added_snapshot_id: String(r.added_snapshot_id),
    added_files_count: r.added_files_count,
    existing_files_count: r.existing_files_count,
    deleted_files_count: r.deleted_files_count,
    added_rows_count: String(r.added_rows_count),
    existing_rows_count: String(r.existing_rows_count),
    deleted_rows_count: String(r.deleted_rows_count),
    partitions:
      r.partitions === null
        ? null
        : r.partitions.map((s) => ({
            contains_null: s.contains_null,
            contains_nan: s.contains_nan,
            lower_bound: hex(s.lower_bound),
            upper_bound: hex(s.upper_bound),
          })),
    key_metadata: hex(r.key_metadata),
  };
}

// ---- schema ids and names ----

// Field ids by path: "a.b" record fields, "a[]" list elements, "a{}k"/"a{}v" map keys/values.
function collectIds(schema, path, out, names) {
  if (Array.isArray(schema)) {
    schema.forEach((b) => collectIds(b, path, out, names));
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
      assert.deepEqual([k.name, v.name], ['key', 'value'], `${path} map fields`);
      out[`${path}{}k`] = k['field-id'];
      out[`${path}{}v`] = v['field-id'];
    } else {
      out[`${path}[]`] = schema['element-id'];
      collectIds(schema.items, `${path}[]`, out, names);
    }
  }
}

const MAPS = {
  column_sizes: [108, 117, 118], value_counts: [109, 119, 120], null_value_counts: [110, 121, 122],
  nan_value_counts: [137, 138, 139], lower_bounds: [125, 126, 127], upper_bounds: [128, 129, 130],
};

function manifestIds(partition) {
  const ids = {
    status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2,
    'data_file.content': 134, 'data_file.file_path': 100, 'data_file.file_format': 101,
    'data_file.partition': 102, 'data_file.record_count': 103, 'data_file.file_size_in_bytes': 104,
    'data_file.key_metadata': 131, 'data_file.split_offsets': 132, 'data_file.split_offsets[]': 133,
    'data_file.equality_ids': 135, 'data_file.equality_ids[]': 136, 'data_file.sort_order_id': 140,
  };
  const names = { '.': 'manifest_entry', data_file: 'r2', 'data_file.partition': 'r102' };
  for (const [name, [id, k, v]] of Object.entries(MAPS)) {
    ids[`data_file.${name}`] = id;
    ids[`data_file.${name}{}k`] = k;
    ids[`data_file.${name}{}v`] = v;
    names[`data_file.${name}{}`] = `k${k}_v${v}`;
  }
  for (const [name, id] of Object.entries(partition)) {
    ids[`data_file.partition.${name}`] = id;
  }
  return { ids, names };
}

const LIST_IDS = {
  manifest_path: 500, manifest_length: 501, partition_spec_id: 502, content: 517,
  sequence_number: 515, min_sequence_number: 516, added_snapshot_id: 503,
  added_files_count: 504, existing_files_count: 505, deleted_files_count: 506,
  added_rows_count: 512, existing_rows_count: 513, deleted_rows_count: 514,
  partitions: 507, 'partitions[]': 508, 'partitions[].contains_null': 509,
  'partitions[].contains_nan': 518, 'partitions[].lower_bound': 510,
  'partitions[].upper_bound': 511, key_metadata: 519,
};

function checkOptionals(schema, where) {
  for (const f of schema.fields) {
    if (Array.isArray(f.type)) {
      assert.equal(f.type[0], 'null', `${where}.${f.name} is ["null", T]`);
      assert.ok('default' in f && f.default === null, `${where}.${f.name} has "default": null`);
    }
    const inner = Array.isArray(f.type) ? f.type[1] : f.type;
    if (inner && inner.type === 'record') {
      checkOptionals(inner, `${where}.${f.name}`);
    } else if (inner && inner.type === 'array' && inner.items.type === 'record') {
      checkOptionals(inner.items, `${where}.${f.name}[]`);
    }
  }
}

// ---- 1: floe writes, avsc reads ----

async function checkManifest(path, spec, expected, content) {
  const { header, records } = await decodeFile(path);
  assert.equal(meta(header, 'avro.codec'), 'null');
  assert.equal(meta(header, 'format-version'), '2');
  assert.equal(meta(header, 'content'), content);
  assert.equal(meta(header, 'schema-id'), '0');
  assert.equal(meta(header, 'partition-spec-id'), String(spec.id));
  assert.deepEqual(JSON.parse(meta(header, 'partition-spec')), spec.json);
  const table = JSON.parse(meta(header, 'schema'));
  assert.equal(table.type, 'struct');
  assert.deepEqual(table.fields.map((f) => [f.id, f.name, f.type]), [
    [1, 'id', 'long'], [2, 'name', 'string'], [3, 'email', 'string'],
    [4, 'signup_ts', 'timestamptz'], [5, 'age', 'int'],
  ]);
  const schema = JSON.parse(meta(header, 'avro.schema'));
  const ids = {};
  const names = {};
  collectIds(schema, '', ids, names);
  const want = manifestIds(spec.partition);
  assert.deepEqual(ids, want.ids, `${path}: field ids`);
  assert.deepEqual(names, want.names, `${path}: record names`);
  checkOptionals(schema, 'manifest_entry');
  const partition = schema.fields[4].type.fields.find((f) => f.name === 'partition').type.fields;
  for (const f of partition) {
    if (f.name === 'signup_ts_day') {
      assert.deepEqual(f.type, ['null', { type: 'int', logicalType: 'date' }]);
    } else {
      assert.deepEqual(f.type, ['null', 'int']);
    }
  }
  assert.deepEqual(records.map(entryDumpForm), expected, `${path}: entries`);
  return { schema, records, header };
}

async function checkList(path, dir) {
  const { header, records } = await decodeFile(path);
  assert.equal(meta(header, 'avro.codec'), 'null');
  assert.equal(meta(header, 'format-version'), '2');
  assert.equal(meta(header, 'snapshot-id'), String(SNAP));
  assert.equal(meta(header, 'parent-snapshot-id'), String(SNAP - 1n));
  assert.equal(meta(header, 'sequence-number'), '16');
  const schema = JSON.parse(meta(header, 'avro.schema'));
  const ids = {};
  const names = {};
  collectIds(schema, '', ids, names);
  assert.deepEqual(ids, LIST_IDS, 'manifest list field ids');
  assert.deepEqual(names, { '.': 'manifest_file', 'partitions[]': 'r508' });
  assert.deepEqual(schema.fields.map((f) => f['field-id']),
    [500, 501, 502, 517, 515, 516, 503, 504, 505, 506, 512, 513, 514, 507, 519],
    'Java V2 field order');
  checkOptionals(schema, 'manifest_file');
  assert.deepEqual(records.map(rowDumpForm), expectedRows(dir), 'manifest list rows');
  return { schema, records };
}

// ---- 2: avsc writes like another engine, floe reads ----

function dump(flag, path) {
  const lines = execFileSync(gen, [flag, path]).toString('utf8').trim().split('\n');
  return lines.map((l) => JSON.parse(l));
}

async function checkForeignManifest(dir, written) {
  const schema = structuredClone(written.schema);
  const df = schema.fields.find((f) => f.name === 'data_file').type;
  // Another order: sort_order_id and the maps first, file_path after record_count.
  const order = ['sort_order_id', 'upper_bounds', 'content', 'record_count', 'file_path',
    'partition', 'file_format', 'file_size_in_bytes', 'lower_bounds', 'column_sizes',
    'value_counts', 'null_value_counts', 'nan_value_counts', 'key_metadata', 'split_offsets',
    'equality_ids'];
  df.fields = order.map((n) => df.fields.find((f) => f.name === n));
  assert.equal(df.fields.length, 16);
  df.fields.splice(3, 0, { name: 'block_size_in_bytes', type: 'long', 'field-id': 105 });
  df.fields.push({ name: 'referenced_data_file', type: ['null', 'string'], default: null,
    'field-id': 143 });
  // Partition fields reversed; snapshot_id with null second; an unknown top-level map.
  df.fields.find((f) => f.name === 'partition').type.fields.reverse();
  const snap = schema.fields.find((f) => f.name === 'snapshot_id');
  snap.type = ['long', 'null'];
  delete snap.default;
  schema.fields.reverse();
  schema.fields.push({ name: 'engine_extra', type: { type: 'map', values: 'int' },
    'field-id': 9999 });
  const type = parse(schema);
  const records = written.records.map((r, j) => ({
    ...r,
    engine_extra: { a: j, b: -j },
    data_file: { ...r.data_file, block_size_in_bytes: 67108864n,
      referenced_data_file: j === 1 ? 's3://x/y.parquet' : null },
  }));
  const path = join(dir, 'foreign-manifest.avro');
  const metadata = {};
  for (const k of ['schema', 'schema-id', 'partition-spec', 'partition-spec-id',
    'format-version', 'content']) {
    metadata[k] = written.header.meta[k];
  }
  await writeFile(path, type, records, { codec: 'deflate', blockSize: 512, metadata }, schema);
  const [spec, ...entries] = dump('--dump-manifest', path);
  assert.deepEqual(spec, {
    spec_id: 0, content: 0,
    fields: [[1000, 4, 'signup_ts_day', 'day', 7], [1001, 1, 'id_bucket', 'bucket[16]', 2]],
  });
  assert.deepEqual(entries, [0, 1, 2].map(expectedEntry), 'floe reads avsc manifest');
}

async function checkForeignList(dir, written) {
  const schema = structuredClone(written.schema);
  // Java V1-style order (partitions before the row counts), an extra field, key_metadata first.
  const byName = (n) => schema.fields.find((f) => f.name === n);
  schema.fields = ['key_metadata', 'manifest_path', 'manifest_length', 'partition_spec_id',
    'added_snapshot_id', 'added_files_count', 'existing_files_count', 'deleted_files_count',
    'partitions', 'added_rows_count', 'existing_rows_count', 'deleted_rows_count', 'content',
    'sequence_number', 'min_sequence_number'].map(byName);
  schema.fields.push({ name: 'first_row_id', type: ['null', 'long'], default: null,
    'field-id': 520 });
  const r508 = schema.fields.find((f) => f.name === 'partitions').type[1].items;
  r508.fields.reverse();
  const type = parse(schema);
  const records = written.records.map((r, i) => ({ ...r, first_row_id: i ? 42n : null }));
  const path = join(dir, 'foreign-list.avro');
  await writeFile(path, type, records, {
    codec: 'deflate',
    blockSize: 256,
    metadata: {
      'snapshot-id': Buffer.from(String(SNAP)),
      'parent-snapshot-id': Buffer.from('null'),
      'sequence-number': Buffer.from('16'),
      'format-version': Buffer.from('2'),
    },
  }, schema);
  const [head, ...rows] = dump('--dump-list', path);
  assert.deepEqual(head, { snapshot_id: String(SNAP), parent_snapshot_id: null,
    sequence_number: '16' });
  assert.deepEqual(rows, expectedRows(dir), 'floe reads avsc manifest list');
}

const dir = mkdtempSync(join(tmpdir(), 'floe-manifest-'));
try {
  execFileSync(gen, [dir], { stdio: 'inherit' });
  const users = {
    id: 0,
    partition: { signup_ts_day: 1000, id_bucket: 1001 },
    json: [
      { name: 'signup_ts_day', transform: 'day', 'source-id': 4, 'field-id': 1000 },
      { name: 'id_bucket', transform: 'bucket[16]', 'source-id': 1, 'field-id': 1001 },
    ],
  };
  const written = await checkManifest(join(dir, 'manifest.avro'), users,
    [0, 1, 2].map(expectedEntry), 'data');
  await checkManifest(join(dir, 'deletes.avro'), { id: 1, partition: {}, json: [] },
    [expectedDelete], 'deletes');
  const list = await checkList(join(dir, 'manifest-list.avro'), dir);
  // floe's own readers agree on floe's files.
  assert.deepEqual(dump('--dump-manifest', join(dir, 'manifest.avro')).slice(1),
    [0, 1, 2].map(expectedEntry));
  assert.deepEqual(dump('--dump-list', join(dir, 'manifest-list.avro')).slice(1),
    expectedRows(dir));
  await checkForeignManifest(dir, written);
  await checkForeignList(dir, list);
  console.log('check-manifest: avsc agrees with floe (manifests, manifest list, both directions)');
} catch (err) {
  console.error(`check-manifest: ${err.stack || err}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
