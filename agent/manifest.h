/* manifest.h — Iceberg v2 manifests and manifest lists: the Avro files that tie a snapshot to its
 * data and delete files.
 *
 * A snapshot points to one manifest list (rows of `manifest_file`, field ids 500-519); each row
 * points to one manifest (rows of `manifest_entry` with a nested `data_file`, record names r2
 * and r102). This module writes both exactly as the spec lays them out and as Java Iceberg's
 * V2Metadata / ManifestWriter.V2Writer / ManifestListWriter.V2Writer do, and reads them back —
 * ours and any other writer's — by Iceberg field id, using the writer schema embedded in the
 * file, so another field order or unknown extra fields read correctly.
 *
 * Sources: apache/iceberg format/spec.md "Manifests", "Manifest Lists", Appendix A (Avro) and
 * Appendix D (single-value serialization); Java core V2Metadata, ManifestWriter,
 * ManifestListWriter, PartitionSummary; floe's SPEC-NOTES.md §2 and §3.
 *
 * Files: manifest_schema.c (the Avro schema and partition-spec JSON the writers embed),
 * manifest_write.c (writers, partition summaries, Parquet metrics), manifest_read.c (readers,
 * deflate). Writers never allocate: the caller passes a workspace sized by
 * floe_manifest_work_size() and a sink that receives the file's bytes in order. Readers take a
 * whole file held in memory and allocate a bounded amount (see the FLOE_MANIFEST_MAX_* limits).
 *
 * Errors are 0 or a negative errno: -EINVAL a caller error (an invalid struct), -ENOSPC a
 * workspace or buffer too small, -EMSGSIZE one entry larger than the workspace allows,
 * -EBADMSG malformed or non-Iceberg input, -ENOTSUP a codec or type this module does not read,
 * -EOVERFLOW a limit exceeded, -ENOMEM, or whatever the sink returned.
 */
#ifndef FLOE_MANIFEST_H
#define FLOE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avro.h"
#include "iceberg.h"
#include "parquet.h"

/* ---- data model ------------------------------------------------------------------------- */

/* manifest_entry.status */
enum floe_manifest_status {
    FLOE_MANIFEST_EXISTING = 0,
    FLOE_MANIFEST_ADDED = 1,
    FLOE_MANIFEST_DELETED = 2,
};

/* data_file.content */
enum floe_manifest_file_content {
    FLOE_CONTENT_DATA = 0,
    FLOE_CONTENT_POSITION_DELETES = 1,
    FLOE_CONTENT_EQUALITY_DELETES = 2,
};

/* What a manifest holds (manifest_file.content and the manifest's "content" metadata). */
enum floe_manifest_content {
    FLOE_MANIFEST_CONTENT_DATA = 0,
    FLOE_MANIFEST_CONTENT_DELETES = 1,
};

/* One partition field of a spec. Strings are borrowed and NUL-terminated. `type` is the
 * transform's result type (day → date, bucket[N] → int, identity → the source type), which is
 * the type of the partition values and of the summary bounds. */
struct floe_manifest_spec_field {
    int32_t field_id;      /* partition field id, 1000 and up */
    int32_t source_id;     /* table field the transform reads */
    const char *name;      /* e.g. "signup_ts_day" */
    const char *transform; /* e.g. "day", "bucket[16]" */
    struct ice_type type;
};

/* A partition spec; fields are borrowed (nfields may be 0: unpartitioned). */
struct floe_manifest_spec {
    int32_t spec_id;
    const struct floe_manifest_spec_field *fields;
    uint32_t nfields;
};

/* Bits of floe_manifest_column.has and floe_manifest_data_file.maps: one per metrics map. */
#define FLOE_COL_SIZE 0x01u   /* 108 column_sizes */
#define FLOE_COL_VALUES 0x02u /* 109 value_counts */
#define FLOE_COL_NULLS 0x04u  /* 110 null_value_counts */
#define FLOE_COL_NANS 0x08u   /* 137 nan_value_counts */
#define FLOE_COL_LOWER 0x10u  /* 125 lower_bounds */
#define FLOE_COL_UPPER 0x20u  /* 128 upper_bounds */
#define FLOE_COL_ALL 0x3fu

/* The metrics of one table column, keyed by its field id. `has` says which of the values are
 * set. Bounds are single-value serializations (Appendix D), borrowed (writer) or views valid
 * until the reader moves on (reader). */
struct floe_manifest_column {
    int32_t field_id;
    uint32_t has;
    int64_t column_size;
    int64_t value_count; /* nulls and NaNs included */
    int64_t null_count;
    int64_t nan_count;
    const uint8_t *lower;
    size_t lower_len;
    const uint8_t *upper;
    size_t upper_len;
};

/* A data or delete file (`data_file`, record r2). All pointers are borrowed by the writer; in
 * what a reader returns they are views valid until the reader's next call.
 *
 * Null versus empty: a metrics map is written (possibly empty) when its bit is set in `maps`
 * and as null otherwise; split_offsets, equality_ids and key_metadata are null when their
 * pointer is NULL (a non-NULL pointer with a count of 0 is an empty list). */
struct floe_manifest_data_file {
    int32_t content;    /* enum floe_manifest_file_content */
    const char *path;   /* NUL-terminated */
    const char *format; /* NUL-terminated; Java writes "PARQUET" (FileFormat.name()) */
    const struct ice_value *partition; /* one per spec field, spec order; nulls allowed */
    uint32_t npartition;
    int64_t record_count;
    int64_t file_size_in_bytes;
    const struct floe_manifest_column *columns;
    uint32_t ncolumns;
    uint32_t maps; /* FLOE_COL_* bits: which maps are present */
    const uint8_t *key_metadata;
    size_t key_metadata_len;
    const int64_t *split_offsets; /* ascending */
    uint32_t nsplit_offsets;
    const int32_t *equality_ids; /* required (non-empty) when content is equality deletes */
    uint32_t nequality_ids;
    bool has_sort_order_id;
    int32_t sort_order_id;
};

/* One `manifest_entry`. A null snapshot id or sequence number (has_… false) is inherited from
 * the manifest list row when read: ADDED entries of a new commit leave both sequence numbers
 * null; EXISTING and DELETED entries must carry both (spec "Sequence Number Inheritance"). */
struct floe_manifest_entry {
    int32_t status; /* enum floe_manifest_status */
    bool has_snapshot_id;
    bool has_sequence_number;
    bool has_file_sequence_number;
    int64_t snapshot_id;
    int64_t sequence_number; /* the data sequence number */
    int64_t file_sequence_number;
    struct floe_manifest_data_file file;
};

/* `field_summary` (record r508), one per partition field of the manifest's spec. Bounds are
 * single-value serializations of the partition field's result type; NULL means null. */
struct floe_mlist_summary {
    bool contains_null;
    bool has_contains_nan;
    bool contains_nan;
    const uint8_t *lower;
    size_t lower_len;
    const uint8_t *upper;
    size_t upper_len;
};

/* One `manifest_file` row of a manifest list. Pointers as in floe_manifest_data_file;
 * `partitions` NULL means null (Java always writes the list, one summary per spec field). */
struct floe_mlist_row {
    const char *path; /* NUL-terminated */
    int64_t length;   /* exact byte length of the manifest */
    int32_t spec_id;
    int32_t content; /* enum floe_manifest_content */
    int64_t sequence_number;
    int64_t min_sequence_number;
    int64_t added_snapshot_id;
    int32_t added_files_count;
    int32_t existing_files_count;
    int32_t deleted_files_count;
    int64_t added_rows_count;
    int64_t existing_rows_count;
    int64_t deleted_rows_count;
    const struct floe_mlist_summary *partitions;
    uint32_t npartitions;
    const uint8_t *key_metadata;
    size_t key_metadata_len;
};

/* ---- writers ---------------------------------------------------------------------------- */

/* Receives the file's bytes in order; p[0..n) is valid only during the call. Returns 0, or a
 * negative errno that aborts the write and is returned by the writer. */
typedef int (*floe_manifest_sink_fn)(void *ctx, const uint8_t *p, size_t n);

/* A sink into a caller buffer: set p and cap, len = 0; pass floe_manifest_buf_sink with it. */
struct floe_manifest_buf {
    uint8_t *p; /* borrowed */
    size_t cap;
    size_t len;
};
/* Appends to the floe_manifest_buf in ctx; -ENOSPC (nothing appended) when it does not fit. */
int floe_manifest_buf_sink(void *ctx, const uint8_t *p, size_t n);

/* What a manifest's header carries. All pointers borrowed for the call. */
struct floe_manifest_info {
    const char *table_schema_json; /* the table schema JSON as in table metadata ("schema") */
    size_t table_schema_len;
    int32_t schema_id;                     /* "schema-id" */
    const struct floe_manifest_spec *spec; /* "partition-spec", "partition-spec-id", r102 */
    int32_t content;                       /* enum floe_manifest_content: "data" | "deletes" */
    const uint8_t *sync;                   /* 16 bytes; NULL: random (getrandom) */
};

/* A workspace size that is enough to write entries[0..n) under info (an upper bound computed
 * from the strings and counts). 0 if info is invalid. */
size_t floe_manifest_work_size(const struct floe_manifest_info *info,
                               const struct floe_manifest_entry *entries, size_t n);

/* Writes a complete manifest (codec "null") of entries[0..n) through sink, in blocks of at most
 * half the workspace. work[0..work_cap) is used as scratch for the call. On success *length is
 * the exact number of bytes passed to the sink (the manifest_length of its list row).
 *
 * Validation (-EINVAL, before any byte reaches the sink): status and content in range; data
 * files in a "data" manifest and delete files in a "deletes" one; one partition value per spec
 * field, each null or of the field's type; equality_ids non-empty when content is 2; EXISTING
 * and DELETED entries with their snapshot id and both sequence numbers; spec names non-empty
 * and field ids unique.
 * Other errors: -ENOSPC (work too small for the header), -EMSGSIZE (an entry larger than half
 * the workspace), or the sink's error — the sink may then have received part of the file. */
int floe_manifest_write(const struct floe_manifest_info *info,
                        const struct floe_manifest_entry *entries, size_t n, uint8_t *work,
                        size_t work_cap, floe_manifest_sink_fn sink, void *ctx, uint64_t *length);

/* What a manifest list's header carries (Java's V2 list writer keys; not in the spec). */
struct floe_mlist_info {
    int64_t snapshot_id;         /* "snapshot-id" */
    bool has_parent_snapshot_id; /* without a parent Java writes the string "null" */
    int64_t parent_snapshot_id;  /* "parent-snapshot-id" */
    int64_t sequence_number;     /* "sequence-number" */
    const uint8_t *sync;         /* 16 bytes; NULL: random */
};

/* Workspace enough for floe_mlist_write() of rows[0..n). */
size_t floe_mlist_work_size(const struct floe_mlist_row *rows, size_t n);

/* Writes a complete manifest list (codec "null") of rows[0..n) through sink, like
 * floe_manifest_write(). -EINVAL for a row with a NULL path or content outside 0..1. */
int floe_mlist_write(const struct floe_mlist_info *info, const struct floe_mlist_row *rows,
                     size_t n, uint8_t *work, size_t work_cap, floe_manifest_sink_fn sink,
                     void *ctx, uint64_t *length);

/* Fills the list row of a manifest holding entries[0..n) under spec, as Java's ManifestWriter
 * does: file and row counts by status; min_sequence_number = the smallest explicit data
 * sequence number of a live (ADDED or EXISTING) entry, or sequence_number when there is none;
 * sequence_number and added_snapshot_id from the arguments (the commit's); one summary per spec
 * field into sums[0..spec->nfields) with contains_null, contains_nan (always set, true only for
 * a NaN float/double value) and the serialized min/max of the non-null, non-NaN values
 * compared by type (strings and binary as unsigned bytes, -0.0 before +0.0), written into
 * bounds[0..bounds_cap). All entries count, DELETED included, as in Java. path, length and
 * key_metadata are left for the caller (path NULL, length 0). row->partitions points to sums
 * (to an empty list when the spec has no fields; sums may then be NULL).
 * Errors: -EINVAL (a partition value of the wrong type, npartition != nfields), -ENOSPC
 * (bounds too small), -EOVERFLOW (a count beyond int32). *row is unspecified after failure. */
int floe_manifest_summarize(const struct floe_manifest_spec *spec,
                            const struct floe_manifest_entry *entries, size_t n,
                            int64_t sequence_number, int64_t snapshot_id,
                            struct floe_mlist_row *row, struct floe_mlist_summary *sums,
                            uint8_t *bounds, size_t bounds_cap);

/* Fills file's record count, size, split offsets and metrics from a closed Parquet writer's
 * results: cols[0..ncols) are converted into out[0..ncols) (bounds are views of cols), and
 * maps gets the six map bits (nan_value_counts holds only float/double columns, whose
 * nan_count is >= 0). file->split_offsets views fm->split_offsets. content, path, format,
 * partition and the rest are left as they were. */
void floe_manifest_file_from_parquet(struct floe_manifest_data_file *file,
                                     const struct pq_file_metrics *fm,
                                     const struct pq_column_metrics *cols, uint32_t ncols,
                                     struct floe_manifest_column *out);

/* ---- readers ---------------------------------------------------------------------------- */

/* Bounds on what a reader allocates and accepts. Beyond them: -EOVERFLOW. */
#define FLOE_MANIFEST_MAX_BLOCK (64u << 20) /* one decompressed block */
#define FLOE_MANIFEST_MAX_NODES 4096u       /* writer schema nodes */
#define FLOE_MANIFEST_MAX_COLUMNS 16384u    /* distinct field ids in one file's metrics */
#define FLOE_MANIFEST_MAX_LIST 1000000u     /* split_offsets, equality_ids items */
#define FLOE_MANIFEST_MAX_PARTITION_FIELDS 1024u
#define FLOE_MANIFEST_MAX_STRING (1u << 20) /* a path */

/* Reads a manifest held whole in memory. Members are private; the struct may live anywhere.
 * Everything it returns is a view valid until the next call on the reader. */
struct floe_manifest_reader {
    struct avro_reader avro;
    struct avro_schema schema;
    struct avro_node *nodes;
    uint8_t *scratch;
    size_t scratch_cap;
    struct avro_dec block;
    int64_t left; /* objects left in the current block */
    uint32_t data_file_node;
    uint32_t partition_node;
    /* the spec, parsed from the file's metadata */
    struct floe_manifest_spec spec;
    struct floe_manifest_spec_field *fields;
    char *names; /* arena for spec names and transforms */
    int32_t schema_id;
    bool has_schema_id;
    int32_t content; /* from metadata "content"; data when absent */
    int format_version;
    /* the current entry's storage */
    struct ice_value *partition;
    struct floe_manifest_column *columns;
    uint32_t columns_cap;
    int64_t *splits;
    uint32_t splits_cap;
    int32_t *eq_ids;
    uint32_t eq_ids_cap;
    char *path;
    size_t path_cap;
    char format[32];
    int err; /* sticky */
};

/* Opens buf[0..len) (borrowed until close) as a manifest: parses the Avro header, the writer
 * schema and the metadata (partition-spec, partition-spec-id, schema, schema-id, content,
 * format-version). The partition field types come from the spec's transforms and the table
 * schema; for a source the schema does not describe, from the Avro type. Codecs "null" and
 * "deflate". Returns 0, -EBADMSG (not an Avro file, a schema without the required Iceberg
 * fields, unparsable spec JSON), -ENOTSUP (an unknown codec, a partition type not handled),
 * -EOVERFLOW, -ENOMEM. After failure r holds nothing to free (close is harmless). */
int floe_manifest_reader_open(struct floe_manifest_reader *r, const uint8_t *buf, size_t len);

/* The spec the file was written with (field names, ids, transforms, result types); valid until
 * close. */
const struct floe_manifest_spec *floe_manifest_reader_spec(const struct floe_manifest_reader *r);

/* Decodes the next entry into *e (views valid until the next call). Returns 1 with an entry,
 * 0 at the end, or a negative error after which the reader stays failed. Fields are found by
 * field id; unknown ones are skipped; optional fields absent from the schema read as null; a
 * missing content reads as 0 (data). */
int floe_manifest_reader_next(struct floe_manifest_reader *r, struct floe_manifest_entry *e);

/* Frees what the reader allocated. r may be zeroed or failed. */
void floe_manifest_reader_close(struct floe_manifest_reader *r);

/* Reads a manifest list held whole in memory; like floe_manifest_reader. */
struct floe_mlist_reader {
    struct avro_reader avro;
    struct avro_schema schema;
    struct avro_node *nodes;
    uint8_t *scratch;
    size_t scratch_cap;
    struct avro_dec block;
    int64_t left;
    struct floe_mlist_summary *sums;
    uint32_t sums_cap;
    char *path;
    size_t path_cap;
    int64_t snapshot_id, parent_snapshot_id, sequence_number;
    bool has_snapshot_id, has_parent_snapshot_id, has_sequence_number;
    int err;
};

/* Opens buf[0..len) (borrowed until close) as a manifest list and reads its metadata
 * (snapshot-id, parent-snapshot-id — "null" or absent means none —, sequence-number) into the
 * reader's public-by-name fields above. Errors as floe_manifest_reader_open(). */
int floe_mlist_reader_open(struct floe_mlist_reader *r, const uint8_t *buf, size_t len);

/* Decodes the next row: 1 with a row, 0 at the end, or a negative error (sticky). Rows of v1
 * lists lack the v2 fields; they read as 0 (content, sequence numbers) per the spec, and a null
 * file or row count (optional in v1: "assume non-zero") reads as -1. */
int floe_mlist_reader_next(struct floe_mlist_reader *r, struct floe_mlist_row *row);

void floe_mlist_reader_close(struct floe_mlist_reader *r);

/* The "deflate" decompressor (raw RFC 1951 through zlib) that both readers install; exposed for
 * other Avro readers. Matches avro_decompress_fn. */
int floe_manifest_inflate(void *ctx, const char *codec, const uint8_t *src, size_t src_len,
                          uint8_t *dst, size_t cap, size_t *len);

#endif
