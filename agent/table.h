/* table.h — an Iceberg table as floe writes it: create, load, write data files, commit.
 *
 * The table layer joins the catalog (catalog.h: where the metadata lives, atomic commits), the
 * metadata document (table_meta.h), the manifests (manifest.h) and the Parquet writer. A commit
 * is optimistic: it writes its manifest once, then for each attempt a manifest list over the
 * current snapshot's manifests and a new metadata version; when another writer committed first
 * (-EEXIST from the catalog), it reloads, rebases onto the winner (new sequence number, new list
 * over the winner's manifests; its own manifest's entries inherit the sequence number, so the
 * manifest is reused) and tries again.
 *
 * Paths (Java's conventions, SPEC-NOTES §7): data files under <table>/data/<partition path>/,
 * manifests <table>/metadata/<commit-uuid>-m0.avro, manifest lists
 * <table>/metadata/snap-<snapshot-id>-<attempt>-<commit-uuid>.avro. These calls block (CLI and
 * off-loop use).
 *
 * Every file goes through the warehouse's store (store.h): a local directory, or an S3 bucket
 * for an s3://bucket/prefix warehouse, where every location in the metadata (the table's, the
 * manifest lists', the manifests', the data files') is a full s3:// URI.
 */
#ifndef FLOE_TABLE_H
#define FLOE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "catalog.h"
#include "config.h"
#include "fsutil.h"
#include "manifest.h"
#include "store.h"
#include "table_meta.h"

/* A check run by floe_table_commit before each attempt, with t->meta holding the snapshot the
 * attempt builds on (the current one, or a winner's after a lost race). It may rewrite the
 * contents of summary values it owns (a writer's offsets merged with the parent's, say); a
 * negative return refuses the commit, which then fails with that code and commits nothing. */
typedef int (*floe_table_check_fn)(void *ctx, const struct floe_meta *meta);

struct floe_table {
    struct floe_store *store; /* the warehouse's; owned */
    struct floe_catalog *cat; /* on store */
    struct floe_meta *meta;   /* NULL until loaded or created */
    int64_t version;          /* of the loaded metadata file */
    char *metadata_location;
    char err[1024];            /* the last failure, for messages */
    floe_table_check_fn check; /* optional, see above; NULL by default */
    void *check_ctx;
};

/* One data file written and not yet committed; owns its strings and metrics. */
struct floe_table_file {
    struct floe_manifest_data_file df; /* points into the fields below */
    int32_t equality_ids[1];           /* equality deletes: the key's field id */
    char *path;
    struct ice_value partition[FLOE_PARTITION_FIELDS_MAX];
    struct floe_manifest_column *columns;
    int64_t *splits;
    uint8_t *bytes; /* partition and bound bytes */
};

/* Data files waiting for one commit. */
struct floe_table_pending {
    struct floe_table_file *files;
    size_t n, cap;
    uint64_t rows;
    uint64_t bytes;
    struct floe_store *store; /* where the files are (set by the first write; borrowed from the
                               * table, which must outlive the pending files) */
};

/* floe_table_open(cfg, t): prepares t for cfg's table: the store of table.warehouse (a path or
 * file:///path: the local disk; s3://bucket/prefix: S3 through cfg's [s3] settings) and the
 * file catalog on it; loads nothing. 0, or a negative errno with the reason in t->err (t must
 * still be closed). */
int floe_table_open(const struct floe_config *cfg, struct floe_table *t);

/* floe_table_load(t): (re)loads the current metadata. 0; -ENOENT when the table does not
 * exist; -EINVAL for metadata that cannot be read or is invalid (t->err says which file and
 * why; nothing is changed on disk). On failure the previously loaded metadata stays. */
int floe_table_load(struct floe_table *t);

/* floe_table_create(t, cfg, &created): creates the table from cfg (schema with ids 1..n,
 * identifier field = the key, partition spec, properties) unless it exists. An existing table
 * whose schema matches cfg's columns (names, types) and partition spec is accepted (*created
 * false); a conflicting one is -EEXIST with the difference in t->err. */
int floe_table_create(struct floe_table *t, const struct floe_config *cfg, bool *created);

/* floe_table_check_spec(t, cfg): 0 when the loaded table's partition spec is
 * table.partition; -EINVAL with the difference in t->err otherwise. */
int floe_table_check_spec(struct floe_table *t, const struct floe_config *cfg);

/* floe_table_evolve(t, cfg, changes, cap): brings the table's schema in line with cfg's
 * columns (table_meta.h: added columns become optional fields, int→long and float→double
 * widen, removed columns stay) and commits the change as a metadata version of its own. A
 * description of what changed goes to changes ("" when nothing did). 0, or -EINVAL with the
 * refusal (a change Iceberg forbids) in t->err. */
int floe_table_evolve(struct floe_table *t, const struct floe_config *cfg, char *changes,
                      size_t cap);

/* floe_table_expire(t, keep_last, max_age_ms, &expired, &deleted): removes the snapshots that
 * neither keep_last (the newest on each branch) nor max_age_ms (younger ones) retain — every
 * ref's target stays — commits the metadata, then deletes the manifest lists, manifests and
 * data files that only expired snapshots used. Both settings 0: nothing expires. Returns 0
 * with the counts, or an error with t->err (nothing deleted unless the commit landed). */
int floe_table_expire(struct floe_table *t, int keep_last, int64_t max_age_ms, size_t *expired,
                      size_t *deleted);

/* floe_table_close(t): releases what t holds. */
void floe_table_close(struct floe_table *t);

/* Writing data files: a writer binds the config's columns to the table's schema and owns the
 * Parquet workspaces, allocated once.
 *
 * A batch's partitions are independent files, so on a local store they are encoded by up to
 * FLOE_TABLE_ENCODE_THREADS threads at once (no more than the machine's cores): the calling
 * thread and short-lived helpers, each with its own workspace, taking partitions in turn. The
 * row-group budget is divided among the workspaces, so memory stays what the caller gave. On
 * S3 the files are uploaded as they close, one at a time, through the store's one client. */
#define FLOE_TABLE_ENCODE_THREADS 2
struct floe_table_writer {
    struct floe_table *table;
    struct floe_schema bound;                /* config columns with the table's field ids */
    struct floe_partition spec;              /* the table's spec, in terms of bound's columns */
    struct pq_column cols[FLOE_COLUMNS_MAX]; /* the files' columns */
    int nfile_cols;
    struct pq_options opt;
    char *schema_json;
    struct pq_kv kv;                     /* iceberg.schema = schema_json, for the files' metadata */
    void *ws[FLOE_TABLE_ENCODE_THREADS]; /* one Parquet workspace per encoding thread */
    size_t ws_size;
    int nws;
    uint32_t seq; /* file counter for names */
    uint8_t run_id[16];
    bool deletes;   /* writes equality-delete files on the key */
    bool global;    /* deletes: unpartitioned (global) rather than per partition */
    int32_t key_id; /* the key column's field id */
    int key_col;    /* deletes: the key's index in bound (the files' one column) */
};

/* floe_table_writer_init(w, t, cfg, row_group_bytes): binds cfg's columns to t's current
 * schema (every table column missing from cfg must be optional) and sizes the Parquet
 * workspace. 0, or -EINVAL (t->err says why) / -ENOMEM. */
int floe_table_writer_init(struct floe_table_writer *w, struct floe_table *t,
                           const struct floe_config *cfg, size_t row_group_bytes);

/* floe_table_writer_init_deletes(w, t, cfg, row_group_bytes): a writer of equality-delete
 * files on the key column (table.key). Rows given to it carry the key and the partition's
 * source columns — the removed rows' values, so that each delete lands in the partition of
 * the row it removes — and the files hold the key alone, with equality_ids the key's field
 * id (as Flink writes them). Errors as above. */
int floe_table_writer_init_deletes(struct floe_table_writer *w, struct floe_table *t,
                                   const struct floe_config *cfg, size_t row_group_bytes);

/* floe_table_writer_init_global_deletes(w, t, cfg, row_group_bytes): a writer of global
 * equality-delete files: rows carry the key only, files go under data/ with no partition, and
 * the commit lists them under the table's unpartitioned spec, so each removes the older rows
 * of its keys in every partition (spec "Scan Planning"). Errors as above. */
int floe_table_writer_init_global_deletes(struct floe_table_writer *w, struct floe_table *t,
                                          const struct floe_config *cfg, size_t row_group_bytes);

void floe_table_writer_free(struct floe_table_writer *w);

/* floe_table_data_dir(w, values, dir, cap): the directory that floe_table_write_batch puts
 * the data files of the partition tuple values (w's spec, as floe_batch_partition gives it)
 * in, into dir[0..cap), as a location under the table's (a path or file: location for a
 * local warehouse: floe_store_local_path; an s3:// location otherwise). Returns 0, or
 * -EINVAL when it does not fit or cannot be made (the write says why). */
int floe_table_data_dir(const struct floe_table_writer *w, const struct ice_value *values,
                        char *dir, size_t cap);

/* floe_table_write_batch(w, b, pending): writes each partition of b to its own Parquet file
 * and appends the files to pending. On failure files written by this call are removed and
 * pending is as before. */
int floe_table_write_batch(struct floe_table_writer *w, const struct floe_batch *b,
                           struct floe_table_pending *pending);

/* floe_table_commit(t, data, deletes, global, summary, nsummary, &snapshot_id): commits data
 * files, equality-delete files of the table's partitions, and global equality-delete files
 * (from a floe_table_writer_init_global_deletes writer) as one snapshot; any list may be NULL
 * or empty, not all. `append` for data alone, `delete` for deletes alone, `overwrite` for both
 * (a row delta: the deletes remove older rows — lower sequence numbers — of their keys in
 * their partitions, or everywhere for global ones, while the new rows share the commit's
 * sequence number and survive). Global deletes need an unpartitioned spec in the table: the
 * first commit that has some adds one first, as a metadata version of its own. Extra summary
 * entries (e.g. floe.commit-id, floe.offsets.<topic>) are added. Retries after lost races (up to 20
 * attempts). On success the pending lists are emptied and t holds the new metadata; on
 * failure nothing was committed and the files remain pending.
 *
 * A lost race is rebased without conflict checks. That is always right for appends. A row
 * delta rebased onto a winner that wrote rows of the same keys in the same partitions would
 * delete those rows too (its deletes get the higher sequence number): writers of row deltas
 * on one table must not share keys (floe's agents split the keys by Kafka partition). */
int floe_table_commit(struct floe_table *t, struct floe_table_pending *data,
                      struct floe_table_pending *deletes, struct floe_table_pending *global,
                      const struct floe_meta_kv *summary, size_t nsummary, int64_t *snapshot_id);

/* floe_table_pending_clear(pending, remove): frees the pending files (and deletes them from
 * their store when remove is set). */
void floe_table_pending_clear(struct floe_table_pending *pending, bool remove);

/* floe_uuid_random(out): a random (version 4) UUID in canonical text form. 0 or -errno. */
int floe_uuid_random(char out[37]);

#endif
