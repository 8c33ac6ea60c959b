/* upsert.h — "latest version wins" on the write path: dedup, batches and the row-delta commit.
 *
 * Every valid record goes through floe_upsert_add. With a key column (table.key) each record
 * is checked against the dedup hash (dedup.h): a version not strictly newer than the one
 * stored for its key is dropped and counted; a newer one goes into the data batch, replacing
 * the key's row if the batch already holds one (one row per key per commit), and, the first
 * time the key appears in a batch, an equality delete of the key removes its row from earlier
 * commits. floe_upsert_commit writes the batches and commits them as one snapshot (spec
 * SPEC-NOTES §5: an equality delete removes rows of strictly lower sequence numbers, so the
 * new rows survive their own commit's deletes, and readers see the old row or the new one,
 * never both or neither).
 *
 * Where a delete goes:
 *   - the partition of the row it removes, when every partition source column is the key or
 *     the version (the users table's day(signup_ts), bucket(16, id)): that partition is
 *     computed from the key and the stored version, so a version that moves to another day
 *     still removes the old row in the old day;
 *   - global (the table's unpartitioned spec) when the old row's partition is unknown: the
 *     spec reads other columns, the key is not in the hash (evicted, or the hash does not know
 *     the whole table), or its version is only a lower bound.
 *
 * Guarantees. The table holds at most one row per key. A key's row is its newest valid
 * version except when the hash had forgotten the key (evicted, or not in a saved state) and
 * then received a version older than the stored row: that version replaces the row. While the
 * hash is complete (it has never evicted and knows every key of the table) the result is
 * exact. A null version orders before every other version.
 *
 * State. With agent.state_dir set, the hash is saved as `dedup-<namespace>.<table>.state` with
 * each commit: written as `.pending` tagged with the commit id before the commit, renamed into
 * place after it lands. At start a pending state whose commit is in the table is taken;
 * otherwise the saved state is used when its commit is the table's current snapshot (exact), or
 * an ancestor of it (each version then is a lower bound: older records are still dropped, newer
 * ones remove the key's row with a global delete). A state records the table's uuid, the key
 * and version columns and the spec: a change of any of them discards it. A commit that had to
 * be rebased onto another writer's turns the hash's versions into lower bounds too.
 *
 * Known limits: a complete hash (the table was empty, or its state is the current snapshot)
 * writes a key it has never seen without a delete, so if another writer commits that key while
 * this one runs, both rows stay. floe run avoids it (a key's partition has one owner at a
 * time, and floe_upsert_sync runs at every assignment); concurrent `floe import`s of the same
 * keys do not. A record refused with -ENOSPC after its insert evicted a key leaves that key
 * forgotten (the hash is then incomplete: later new keys get global deletes); a long version of
 * exactly INT64_MIN orders like a null.
 *
 * Without a key column every record is appended.
 */
#ifndef FLOE_UPSERT_H
#define FLOE_UPSERT_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "dedup.h"
#include "table.h"

struct floe_upsert_stats {
    uint64_t added;       /* rows put in batches (replaced ones included) */
    uint64_t stale;       /* dropped: version not newer than the stored one */
    uint64_t replaced;    /* rows replaced inside their batch by a newer version */
    uint64_t compactions; /* replaced rows' bytes reclaimed in a full batch (no commit) */
    uint64_t deletes;     /* equality deletes of rows in the table's partitions */
    uint64_t global;      /* global equality deletes */
    uint64_t commits;
    uint64_t data_files, delete_files;
};

struct floe_upsert {
    const struct floe_config *cfg;
    struct floe_table *table;
    struct floe_table_writer data_w, del_w, glob_w;
    struct floe_batch *data, *dels, *globs;
    struct floe_table_pending pdata, pdels, pglobs;
    struct floe_dedup dedup;
    bool keyed;           /* table.key set: dedup on */
    bool scoped;          /* deletes can go to the old row's partition */
    bool have_deletes;    /* del_w and dels exist (a partitioned table) */
    int key_col, ver_col; /* in data_w.bound; ver_col -1: arrival order */
    enum floe_type key_type;
    int del_key, del_ver;            /* the key and version columns in del_w.bound (-1: absent) */
    int64_t arrival;                 /* the version of records when there is no version column */
    struct floe_row drow;            /* a delete row being built */
    char *state_path, *pending_path; /* NULL without agent.state_dir */
    char identity[64];               /* what a saved state must match (table, key, version, spec) */
    int64_t base; /* the snapshot the hash reflects: the table's at init, then our own
                     last commit (-1: an empty table) */
    struct floe_upsert_stats stats;
    char err[1024];
};

enum { FLOE_UPSERT_ADDED = 0, FLOE_UPSERT_STALE = 1 };

/* floe_upsert_init(u, cfg, t, memory): prepares the write path for cfg on the loaded table t
 * (created and evolved by the caller; borrowed for u's life, as is cfg): writers, batches and
 * the hash, all allocated here once — the hash from dedup.memory, the rest from memory (what
 * limits.memory leaves). Loads the saved hash state (see above). Returns 0, or a negative
 * errno with u->err set; floe_upsert_free is safe either way. */
int floe_upsert_init(struct floe_upsert *u, const struct floe_config *cfg, struct floe_table *t,
                     uint64_t memory);

/* floe_upsert_add(u, row, why, cap): one decoded, validated record. Returns FLOE_UPSERT_ADDED,
 * FLOE_UPSERT_STALE (dropped and counted), -ENOSPC when a batch or the key's set in the hash is
 * full (nothing changed: commit, then add again), or -EINVAL when the row cannot be partitioned
 * (reason in why: reject the record). */
int floe_upsert_add(struct floe_upsert *u, const struct floe_row *row, char *why, size_t cap);

/* floe_upsert_prefetch(u, row, step): a hint that row (decoded, not yet validated) will soon
 * be added, so that the add, some records later, does not wait for memory: step 0 asks for
 * the cache lines of its key's dedup entry; step 1, made once those have arrived, for the row
 * of the batch that it would replace. Changes nothing. */
void floe_upsert_prefetch(struct floe_upsert *u, const struct floe_row *row, int step);

/* floe_upsert_delete(u, text, n, why, cap): removes the key written as text[0..n) (an integer,
 * a date or timestamp in the forms decode.h accepts, or a string's bytes) from the table with a
 * global equality delete in the next commit, and forgets it in the hash; a row of it in the
 * current batch is dropped too. Returns 0; -EINVAL with the reason in why (a key that does
 * not parse for the key's type, a binary key, no key column); -ENOSPC as for floe_upsert_add. */
int floe_upsert_delete(struct floe_upsert *u, const char *text, size_t n, char *why, size_t cap);

/* floe_upsert_sync(u): to be called after the caller reloads the table (u's table, e.g. when
 * Kafka partitions are assigned): when another writer has committed since the snapshot the
 * hash reflects, the hash may not know that writer's keys, so it becomes incomplete and its
 * versions lower bounds (a key it does not know then gets a global delete, not none). Returns
 * true when that happened. Rows already in the batches are not changed: call it with empty
 * batches, or for keys no other writer can have written since. */
bool floe_upsert_sync(struct floe_upsert *u);

/* floe_upsert_rows(u): rows waiting in the batches (replaced ones not counted). */
uint64_t floe_upsert_rows(const struct floe_upsert *u);

/* floe_upsert_commit(u, summary, n, &snapshot_id): writes the batches and commits them, with
 * the caller's summary entries and a floe.commit-id, as one snapshot; saves the hash state
 * around it. Nothing buffered: 0 with *snapshot_id -1. On failure (u->err says why) nothing
 * was committed; the rows stay buffered only if the failure came before the files were
 * written, so callers treat a failure as fatal for the run. */
int floe_upsert_commit(struct floe_upsert *u, const struct floe_meta_kv *summary, size_t n,
                       int64_t *snapshot_id);

/* floe_upsert_free(u): releases everything; pending files not committed are removed. */
void floe_upsert_free(struct floe_upsert *u);

#endif
