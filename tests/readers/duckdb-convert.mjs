// duckdb-convert.mjs — the reference for tools/bench/convert: DuckDB, single-threaded, turns
// the users NDJSON into a zstd Parquet file. Prints {"copy_s": seconds of the COPY alone}.
// usage: node duckdb-convert.mjs IN.ndjson OUT.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const [inp, out] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run('SET threads=1');
const t0 = performance.now();
await c.run(`COPY (SELECT * FROM read_json('${inp}', format='newline_delimited',
  columns={id:'BIGINT', name:'VARCHAR', email:'VARCHAR', signup_ts:'TIMESTAMPTZ', age:'INTEGER'}))
  TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
console.log(JSON.stringify({ copy_s: (performance.now() - t0) / 1000 }));
