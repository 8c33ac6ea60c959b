/* parquet.h — floe's streaming Parquet writer for flat Iceberg tables, and a footer reader.
 *
 * The writer turns rows of flat, typed values into a Parquet file whose bytes it hands to a
 * caller-supplied sink as soon as a row group is complete, so a file can stream into an upload.
 * It holds at most one row group. All memory is one caller-owned workspace whose size
 * pq_workspace_size() computes from the schema and options; the writer never allocates.
 *
 * What it writes (parquet-format, SPEC-NOTES §6): "PAR1", row groups of column chunks made of
 * an optional PLAIN dictionary page then V1 data pages (PLAIN or RLE_DICTIONARY values,
 * definition levels in the RLE/bit-packed hybrid with a 4-byte length), ZSTD or uncompressed,
 * then a compact-Thrift FileMetaData with Iceberg field ids on every column, key/value metadata,
 * created_by, per-chunk statistics (min_value/max_value, null_count, nan_count for floats) and
 * a TypeDefinedOrder per column. After pq_close() the writer reports what an Iceberg manifest
 * needs: value/null/NaN counts, column sizes, bounds in Iceberg's single-value serialization
 * (SPEC-NOTES §3), split offsets, file size and row count.
 *
 * Errors are negative errno values. -EINVAL: a call that breaks the contract (wrong type for a
 * column, a null in a required column, a column written twice in a row); the writer is left
 * unchanged. -ENOSPC: the file cannot take another row group (max_row_groups reached); nothing
 * was changed: close this file and start another. Any other error (-ENOMEM from zstd, a sink
 * error, -EOVERFLOW) is sticky: the writer is failed and every later call returns it.
 */
#ifndef FLOE_PARQUET_H
#define FLOE_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Iceberg primitive types the writer supports, with their Parquet mapping. */
enum pq_type {
    PQ_BOOLEAN,     /* BOOLEAN */
    PQ_INT,         /* INT32 */
    PQ_LONG,        /* INT64 */
    PQ_FLOAT,       /* FLOAT */
    PQ_DOUBLE,      /* DOUBLE */
    PQ_DATE,        /* INT32 + DATE (days since 1970-01-01) */
    PQ_TIMESTAMP,   /* INT64 + TIMESTAMP(isAdjustedToUTC=false, MICROS) */
    PQ_TIMESTAMPTZ, /* INT64 + TIMESTAMP(isAdjustedToUTC=true, MICROS) + TIMESTAMP_MICROS */
    PQ_STRING,      /* BYTE_ARRAY + STRING + UTF8 */
    PQ_BINARY,      /* BYTE_ARRAY */
};

/* Page codecs. The zero value is ZSTD, the default. */
enum pq_codec {
    PQ_ZSTD = 0,
    PQ_UNCOMPRESSED = 1,
};

struct pq_column {
    const char *name; /* borrowed during pq_workspace_size/pq_writer_init; copied */
    enum pq_type type;
    bool required;    /* REQUIRED (no nulls) or OPTIONAL */
    int32_t field_id; /* Iceberg field id, written as SchemaElement.field_id */
};

struct pq_kv {
    const char *key;   /* borrowed during init; copied */
    const char *value; /* may be NULL (no value) */
};

/* Options; zero means "default" for every numeric field, so `struct pq_options o = {0}` works. */
struct pq_options {
    size_t row_group_bytes;   /* flush a row group when this much is buffered (64 MiB) */
    size_t page_bytes;        /* close a data page at this many value bytes (1 MiB) */
    uint32_t page_max_values; /* and at this many values, nulls included (20000) */
    size_t max_value_bytes;   /* largest string/binary value accepted (1 MiB); -EINVAL above */
    size_t dict_bytes;        /* dictionary size (PLAIN bytes) before falling back (1 MiB) */
    uint32_t dict_max_entries; /* dictionary entries before falling back (65536) */
    bool no_dictionary;       /* never dictionary-encode */
    enum pq_codec codec;      /* PQ_ZSTD (default) or PQ_UNCOMPRESSED */
    int zstd_level;           /* 1..19 (3) */
    size_t stats_max_bytes;   /* string/binary statistics longer than this are truncated and
                                 marked inexact (256) */
    uint32_t max_row_groups;  /* row groups per file; -ENOSPC beyond (256) */
    const char *created_by;   /* e.g. "floe 0.1.0"; borrowed during init, copied; may be NULL */
    const struct pq_kv *kv;   /* key/value metadata, borrowed during init, copied */
    uint32_t nkv;
};

/* The sink receives the file's bytes in order. It returns 0 or a negative errno; an error fails
 * the writer and is returned by the call that flushed. buf is a view valid during the call. */
typedef int (*pq_sink_fn)(void *ctx, const uint8_t *buf, size_t len);

struct pq_writer;

/* Sizes the one workspace a writer over this schema and these options needs (in *size, bytes,
 * including alignment slack). Returns 0, -EINVAL (no columns, a NULL or empty name, an unknown
 * type or codec, an option out of range) or -EOVERFLOW; *size is unchanged on failure. */
int pq_workspace_size(const struct pq_column *cols, uint32_t ncols, const struct pq_options *opt,
                      size_t *size);

/* Starts a file. ws[0..ws_size) is taken by the writer until pq_close() returns (ws_size must be
 * at least what pq_workspace_size() reported); the writer itself lives inside ws, *out is a view
 * into it. cols, opt and what they point to are only read during the call. sink/ctx are borrowed
 * until pq_close(). Nothing is written to the sink yet. Returns 0, -EINVAL (as for
 * pq_workspace_size, or ws too small/misaligned for 8 bytes), -ENOMEM (zstd refused the static
 * context); *out is unchanged on failure. */
int pq_writer_init(const struct pq_column *cols, uint32_t ncols, const struct pq_options *opt,
                   void *ws, size_t ws_size, pq_sink_fn sink, void *ctx, struct pq_writer **out);

/* Row-wise appends: one call per column per row, in any column order, then pq_end_row().
 * The typed call must match the column: pq_put_i32 for INT and DATE, pq_put_i64 for LONG,
 * TIMESTAMP and TIMESTAMPTZ (microseconds), pq_put_bytes for STRING and BINARY (p[0..n) is
 * copied; the writer does not check UTF-8), pq_put_null for any optional column.
 * Returns 0; -EINVAL (type mismatch, column out of range or already set in this row, null in a
 * required column, value longer than max_value_bytes; nothing changed); -ENOSPC (first value of
 * a row when max_row_groups row groups are written; nothing changed); or a sticky error. */
int pq_put_bool(struct pq_writer *w, uint32_t col, bool v);
int pq_put_i32(struct pq_writer *w, uint32_t col, int32_t v);
int pq_put_i64(struct pq_writer *w, uint32_t col, int64_t v);
int pq_put_float(struct pq_writer *w, uint32_t col, float v);
int pq_put_double(struct pq_writer *w, uint32_t col, double v);
int pq_put_bytes(struct pq_writer *w, uint32_t col, const uint8_t *p, size_t n);
int pq_put_null(struct pq_writer *w, uint32_t col);

/* Ends the row. Every column must have received one value (-EINVAL otherwise, nothing changed).
 * When the buffered row group reaches row_group_bytes it is written to the sink here; a sink or
 * compression error is returned (sticky). */
int pq_end_row(struct pq_writer *w);

/* Drops the values put so far in the current, unfinished row, leaving the writer as it was after
 * the last pq_end_row() (e.g. after a value of the row turned out invalid). Statistics may
 * still count dropped values: they stay valid bounds, and the chunk's min/max are then marked
 * inexact. Returns 0 or a sticky error. */
int pq_abort_row(struct pq_writer *w);

/* Column-wise appends: nrows rows given as one array per column (all columns at once).
 * values: INT/DATE int32_t[], LONG/TIMESTAMP(TZ) int64_t[], FLOAT float[], DOUBLE double[],
 * BOOLEAN uint8_t[] (0/1); STRING/BINARY: data bytes with offsets[nrows+1] (value i is
 * data[offsets[i]..offsets[i+1])). nulls: NULL for none, else one byte per row, non-zero = null.
 * All borrowed during the call. Rows are appended in order with the same checks as the row-wise
 * calls; on -EINVAL the rows before the offending one were appended and *done says how many
 * (done may be NULL). */
struct pq_column_data {
    const void *values;
    const uint32_t *offsets;
    const uint8_t *nulls;
};
int pq_put_columns(struct pq_writer *w, const struct pq_column_data *cols, size_t nrows,
                   size_t *done);

/* Writes the last row group (if any rows are buffered) and the footer, then the 8-byte trailer.
 * An unfinished row is dropped. After pq_close() only pq_file_metrics/pq_column_metrics may be
 * called; the workspace stays owned by the writer until the caller has read them, then it is the
 * caller's again (no destroy call needed). Returns 0 or the sticky/sink error. */
int pq_close(struct pq_writer *w);

/* File-level results, valid after a successful pq_close(). split_offsets is a view into the
 * workspace (one entry per row group, ascending: the offset of each row group's first page). */
struct pq_file_metrics {
    uint64_t file_size;
    uint64_t rows;
    uint32_t row_groups;
    const int64_t *split_offsets;
};
int pq_file_metrics(const struct pq_writer *w, struct pq_file_metrics *out);

/* Per-column Iceberg metrics, after a successful pq_close(). Bounds are Iceberg single-value
 * serializations: INT/DATE 4-byte LE, LONG/TIMESTAMP(TZ) 8-byte LE, FLOAT/DOUBLE IEEE LE (NaN
 * never a bound; a zero lower bound is -0.0, a zero upper bound +0.0), BOOLEAN one byte,
 * STRING/BINARY at most PQ_BOUND_TRUNCATE bytes: the lower bound is a prefix (cut on a UTF-8
 * character boundary for strings), the upper bound a prefix with its last character/byte
 * incremented, or absent if no such bound exists. has_lower/has_upper are false when the
 * column holds only nulls (and NaNs). nan_count is -1 for non-float columns. */
#define PQ_BOUND_TRUNCATE 16
#define PQ_BOUND_MAX 24
struct pq_column_metrics {
    int32_t field_id;
    int64_t value_count; /* nulls included */
    int64_t null_count;
    int64_t nan_count;
    int64_t column_size; /* sum of the chunks' total_compressed_size */
    bool has_lower, has_upper;
    uint8_t lower_len, upper_len;
    uint8_t lower[PQ_BOUND_MAX];
    uint8_t upper[PQ_BOUND_MAX];
};
int pq_column_metrics(const struct pq_writer *w, uint32_t col, struct pq_column_metrics *out);

/* Returns true when p[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF). For decoders to reject strings before they reach the writer. */
bool pq_utf8_valid(const uint8_t *p, size_t n);

/* ---- footer reader --------------------------------------------------------------------------
 *
 * pq_read_footer() parses the FileMetaData at the end of a Parquet file held in memory into
 * caller-provided arrays; every string and binary is a view into the file buffer. The input is
 * untrusted: any inconsistency is -EBADMSG, limits are -EOVERFLOW, full arrays -ENOSPC.
 */
struct pq_view {
    const uint8_t *p;
    uint32_t n;
};

struct pq_schema_node {
    struct pq_view name;
    int32_t type;           /* physical type, -1 if absent (group) */
    int32_t repetition;     /* -1 if absent (root) */
    int32_t num_children;   /* -1 if absent */
    int32_t converted_type; /* -1 if absent */
    int32_t field_id;
    bool has_field_id;
    int32_t logical_type; /* LogicalType union field id, -1 if absent */
    bool ts_utc;          /* TIMESTAMP: isAdjustedToUTC */
    int32_t ts_unit;      /* TIMESTAMP: TimeUnit field id (1 ms, 2 us, 3 ns), -1 if absent */
};

struct pq_chunk_meta {
    int32_t type;
    uint32_t encodings;   /* bit e set for each Encoding value e < 32 listed */
    struct pq_view path0; /* first path_in_schema element */
    uint32_t path_len;
    int32_t codec;
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /* -1 if absent */
    bool has_stats;
    bool has_null_count, has_nan_count, has_min, has_max;
    bool min_exact, max_exact; /* is_*_value_exact when present, else false */
    int64_t null_count, nan_count;
    struct pq_view min_value, max_value;
};

struct pq_row_group_meta {
    int64_t num_rows;
    int64_t total_byte_size;
    int64_t file_offset;           /* -1 if absent */
    int64_t total_compressed_size; /* -1 if absent */
    uint32_t first_chunk;          /* index into pq_footer.chunks */
    uint32_t nchunks;
};

struct pq_kv_view {
    struct pq_view key, value;
    bool has_value;
};

struct pq_footer {
    /* arrays and capacities, provided by the caller before the call */
    struct pq_schema_node *schema;
    uint32_t schema_cap;
    struct pq_row_group_meta *row_groups;
    uint32_t row_groups_cap;
    struct pq_chunk_meta *chunks;
    uint32_t chunks_cap;
    struct pq_kv_view *kv;
    uint32_t kv_cap;
    /* results */
    int32_t version;
    int64_t num_rows;
    uint32_t nschema, nrow_groups, nchunks, nkv;
    uint32_t ncolumn_orders;  /* column_orders entries */
    uint32_t ntype_orders;    /* of which TypeDefinedOrder */
    struct pq_view created_by; /* n == 0 and p == NULL if absent */
    uint32_t footer_len;       /* FileMetaData length from the trailer */
};

/* Parses the footer of the file file[0..len) (the whole file, or any tail that contains the
 * footer and the 8-byte trailer, with len then the tail's length); checks the trailing "PAR1".
 * f's arrays (borrowed) are filled; on failure their contents and the result fields are
 * unspecified. Returns 0, -EBADMSG (malformed, truncated, a required field missing),
 * -EOVERFLOW (a Thrift limit) or -ENOSPC (an array of f is too small). */
int pq_read_footer(const uint8_t *file, size_t len, struct pq_footer *f);

/* ---- encoders (exposed for tests and for other writers) ------------------------------------ */

/* RLE/bit-packed hybrid of vals[0..n) at bit width bw (0..32, values must fit), no length
 * prefix, into dst[0..cap). Exactly one of v8/v32 is non-NULL. Returns 0 with *len set, -EINVAL,
 * or -ENOSPC (dst too small; *len unchanged). Needs at most pq_rle_bound(n, bw) bytes. */
int pq_rle_encode(const uint8_t *v8, const uint32_t *v32, size_t n, unsigned bw, uint8_t *dst,
                  size_t cap, size_t *len);
size_t pq_rle_bound(size_t n, unsigned bw);

#endif
