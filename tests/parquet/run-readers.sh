#!/bin/sh
# run-readers.sh PQ_GEN — writes Parquet files over a set of cases with pq_gen and checks each
# with tests/readers/check-parquet.mjs (DuckDB, hyparquet, parquet-wasm). Exits non-zero on the
# first failing case. Needs node and tests/readers/node_modules.
set -eu
gen=$1
here=$(cd "$(dirname "$0")" && pwd)
checker="$here/../readers/check-parquet.mjs"
work=$(mktemp -d "${TMPDIR:-/tmp}/floe-pq-readers.XXXXXX")
trap 'rm -rf "$work"' EXIT

all=duckdb,hyparquet,parquet-wasm
# run_case NAME READERS SEED ROWS [pq_gen options]
run_case() {
    name=$1 readers=$2 seed=$3 rows=$4
    shift 4
    echo "== $name: seed $seed, $rows rows, $*"
    "$gen" "$seed" "$rows" "$work/$name.parquet" "$work/$name.expected.json" "$@"
    node "$checker" "$work/$name.parquet" "$work/$name.expected.json" --readers "$readers"
}

run_case empty         $all 1 0
run_case one_row       $all 2 1
run_case zstd_small    $all 3 3000 --page-bytes 4096 --rg-bytes 65536
run_case uncompressed  $all 4 3000 --codec none --no-dict --page-bytes 2048
run_case long_strings  $all 5 400 --long-strings 70000 --page-bytes 65536
run_case dict_overflow $all 6 5000 --dict-entries 64 --page-max 100 --rg-bytes 200000 --ramp
run_case dict_bytes    $all 7 5000 --dict-bytes 300 --page-max 500
run_case columnwise    $all 8 4000 --columns --rg-bytes 50000 --codec none
run_case tiny_pages    $all 9 500 --page-max 1 --page-bytes 1
run_case users_1m      $all 10 1000000 --schema users
echo "all parquet reader cases passed"
