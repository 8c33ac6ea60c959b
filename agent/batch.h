/* batch.h — decoded rows grouped by partition, in one fixed arena, until a flush writes them.
 *
 * The write path (import now, the Kafka pipeline later) decodes a record, computes its
 * partition tuple with the table's transforms (`day(signup_ts)`, `bucket(16, id)`, …) and adds
 * it here. A flush writes each partition's rows, in arrival order, to its own Parquet file.
 * The arena is allocated once with the size the caller gives it (its share of limits.memory)
 * and never grows: a full arena or partition table is -ENOSPC, "flush and retry".
 *
 * Rows lie end to end from the start of the arena; partition values that are bytes are kept at
 * its top. Row layout (8-byte aligned):
 *
 *     u32 next row of the partition (arena offset / 8, 0 = none) | u32 partition index, its
 *     top bit set once the row is removed
 *     null bitmap, one bit per column, rounded up to 8 bytes
 *     per non-null column: 8 bytes of value (int/date/long/timestamps/bool as int64, float and
 *     double as double), or for string/binary a u32 length + the bytes, padded to 8
 */
#ifndef FLOE_BATCH_H
#define FLOE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "iceberg.h"
#include "parquet.h"
#include "schema.h"

struct floe_batch;

/* floe_batch_new(schema, spec, arena_bytes, max_partitions, &b): a batch for rows of schema,
 * partitioned by spec (an empty spec: one partition). schema and spec are borrowed for the
 * batch's life. arena_bytes above 32 GiB is capped there. Returns 0, -EINVAL (a transform
 * that does not apply), or -ENOMEM. */
int floe_batch_new(const struct floe_schema *schema, const struct floe_partition *spec,
                   size_t arena_bytes, uint32_t max_partitions, struct floe_batch **b);

/* floe_batch_free(b): releases it; NULL is allowed. */
void floe_batch_free(struct floe_batch *b);

/* floe_batch_add(b, row, why, cap): adds a decoded row (its cells are copied). Returns 0;
 * -ENOSPC when the arena or the partition table is full (nothing added: flush, then add again);
 * -EINVAL when a partition transform fails on this row (e.g. an hour past int32), with the
 * reason in why. */
int floe_batch_add(struct floe_batch *b, const struct floe_row *row, char *why, size_t cap);

/* floe_batch_add_ref(b, row, &ref, why, cap): floe_batch_add that also gives the row's
 * reference for floe_batch_remove, valid until the next clear or compaction (which hands out
 * the new ones); ref may be NULL. */
int floe_batch_add_ref(struct floe_batch *b, const struct floe_row *row, uint32_t *ref, char *why,
                       size_t cap);

/* floe_batch_prefetch(b, ref): asks for the cache lines of the row at ref (from
 * floe_batch_add_ref) without waiting for them: a hint before floe_batch_remove. Any ref is
 * safe; nothing is read. */
void floe_batch_prefetch(const struct floe_batch *b, uint32_t ref);

/* floe_batch_remove(b, ref): takes a row out of the batch — a newer version of its key
 * replaced it — so that writes skip it; its arena bytes stay used until the clear or a
 * floe_batch_compact. Returns 0,
 * or -EINVAL for a reference that is not a live row of this batch. */
int floe_batch_remove(struct floe_batch *b, uint32_t ref);

/* floe_batch_removed(b): the bytes of the rows removed since the last clear or compaction,
 * which floe_batch_compact would free. */
size_t floe_batch_removed(const struct floe_batch *b);

/* Called by floe_batch_compact once the rows' new places are known, before any has moved:
 * the caller updates every reference it keeps, with floe_batch_new_ref. */
typedef void (*floe_batch_remap_fn)(void *ctx, const struct floe_batch *b);

/* floe_batch_compact(b, remap, ctx): slides the live rows down over the removed ones, keeping
 * each partition's arrival order, so that the bytes of removed rows can be used again. Every
 * reference changes: remap(ctx, b) is called first (may be NULL), and inside it only,
 * floe_batch_new_ref(b, ref) gives a live row's new reference. Rows, partitions and their
 * counts are unchanged. Returns the bytes freed (0, and nothing done, with no removed row).
 * Cannot fail. */
size_t floe_batch_compact(struct floe_batch *b, floe_batch_remap_fn remap, void *ctx);
uint32_t floe_batch_new_ref(const struct floe_batch *b, uint32_t ref);

/* floe_batch_table_full(b): every partition slot is taken (a row of a new partition is
 * refused whatever the arena holds). */
bool floe_batch_table_full(const struct floe_batch *b);

/* Counts since the last clear, removed rows not counted: rows, bytes (rows and partition
 * values: what a compaction would leave), partitions. */
uint64_t floe_batch_rows(const struct floe_batch *b);
size_t floe_batch_bytes(const struct floe_batch *b);
uint32_t floe_batch_partitions(const struct floe_batch *b);

/* floe_batch_partition(b, i, &values, &rows): partition i's tuple (one value per spec field, a
 * view valid until the next clear) and its row count. -EINVAL for i out of range. */
int floe_batch_partition(const struct floe_batch *b, uint32_t i, const struct ice_value **values,
                         uint64_t *rows);

/* floe_batch_write(b, i, w): puts partition i's rows, in arrival order, into w (whose columns
 * are the schema's, in order) and ends each row. Returns 0 or the writer's error. */
int floe_batch_write(const struct floe_batch *b, uint32_t i, struct pq_writer *w);

/* floe_batch_write_columns(b, i, w, cols, ncols): like floe_batch_write, but puts only the
 * batch columns cols[0..ncols) (ascending), as the writer's columns 0..ncols-1 — e.g. the key
 * alone of rows that also carry the partition's source columns. */
int floe_batch_write_columns(const struct floe_batch *b, uint32_t i, struct pq_writer *w,
                             const int *cols, int ncols);

/* floe_batch_clear(b): empties the batch for reuse (the arena stays allocated). */
void floe_batch_clear(struct floe_batch *b);

/* floe_partition_transform(field, schema, &t, &result): the Iceberg transform of a config
 * partition field and its result type. 0 or -EINVAL. */
int floe_partition_transform(const struct floe_partition_field *field,
                             const struct floe_schema *schema, struct ice_transform *t,
                             struct ice_type *result);

/* floe_ice_tuple_hash(v, n) / floe_ice_tuple_equal(a, b, n): hashing and equality of partition
 * tuples of n values (bytes compared by content, floats by bits, nulls equal to nulls). */
uint64_t floe_ice_tuple_hash(const struct ice_value *v, int n);
bool floe_ice_tuple_equal(const struct ice_value *a, const struct ice_value *b, int n);

/* floe_pq_type_of(type): the Parquet writer's type for a column type. */
enum pq_type floe_pq_type_of(enum floe_type type);

/* floe_ice_type_of(type): the Iceberg codec's type id for a column type. */
enum ice_type_id floe_ice_type_of(enum floe_type type);

#endif
