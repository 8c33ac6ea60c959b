/* upsert.c — the write path's dedup and row-delta commits (see upsert.h).
 *
 * Three batches, each allocated once: the new rows; the partitioned deletes, whose rows carry
 * the key and the old version so that the batch places each in the old row's partition; and
 * the global deletes, the key alone. A commit writes all three and publishes them in one
 * snapshot. The hash's generation advances with every commit, which is how an entry knows
 * whether its key's row is in the current batch (and can be replaced there) or in the table
 * (and needs a delete).
 */
#include "upsert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "fsutil.h"
#include "log.h"

/* Partitions one data batch holds: day × bucket[16] over two years is about 12,000. */
#define MAX_PARTITIONS 32768

static int fail(struct floe_upsert *u, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct floe_upsert *u, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->err, sizeof(u->err), fmt, ap);
    va_end(ap);
    return rc;
}

static char *path_in(const char *dir, const char *ns, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(ns) + strlen(name) + strlen(suffix) + 16;
    char *p = malloc(n);
    if (p) {
        snprintf(p, n, "%s/dedup-%s.%s%s", dir, ns, name, suffix);
    }
    return p;
}

/* The snapshot whose summary carries floe.commit-id = tag, or NULL. */
static const struct floe_meta_snapshot *snapshot_of_commit(const struct floe_meta *m,
                                                           const char *tag)
{
    for (size_t i = 0; i < m->nsnapshots; i++) {
        const char *id = floe_meta_summary_get(&m->snapshots[i], "floe.commit-id");
        if (id && strcmp(id, tag) == 0) {
            return &m->snapshots[i];
        }
    }
    return NULL;
}

/* Whether snapshot id is the current snapshot or one of its ancestors. */
static bool in_history(const struct floe_meta *m, int64_t id)
{
    const struct floe_meta_snapshot *s = floe_meta_find_snapshot(m, m->current_snapshot_id);
    for (size_t steps = 0; s && steps <= m->nsnapshots; steps++) {
        if (s->id == id) {
            return true;
        }
        s = s->parent_id >= 0 ? floe_meta_find_snapshot(m, s->parent_id) : NULL;
    }
    return false;
}

/* Loads the saved hash as upsert.h describes; logs what it did. */
static void load_state(struct floe_upsert *u)
{
    const struct floe_meta *m = u->table->meta;
    bool empty = m->current_snapshot_id < 0;
    const char *ident = u->identity;
    char tag[64];
    u->dedup.complete = empty;
    if (!u->state_path) {
        return;
    }
    int rc = floe_dedup_read_tag(u->pending_path, ident, tag, sizeof(tag));
    if (rc == 0) {
        const struct floe_meta_snapshot *s = snapshot_of_commit(m, tag);
        if (s && in_history(m, s->id) && rename(u->pending_path, u->state_path) == 0) {
            FLOE_INFO("dedup", "the last commit landed: its saved state is kept\tcommit=%s", tag);
        } else {
            unlink(u->pending_path);
        }
    } else if (rc != -ENOENT) {
        unlink(u->pending_path);
    }
    rc = floe_dedup_read_tag(u->state_path, ident, tag, sizeof(tag));
    if (rc == -ENOENT) {
        return;
    }
    const struct floe_meta_snapshot *s = rc == 0 ? snapshot_of_commit(m, tag) : NULL;
    if (!s || !in_history(m, s->id)) {
        FLOE_WARN("dedup", "%s: starting empty\tfile=\"%s\"",
                  rc < 0 ? "the saved dedup state is damaged or of another table"
                         : "the saved dedup state is not in the table's history",
                  u->state_path);
        return;
    }
    bool exact = s->id == m->current_snapshot_id;
    rc = floe_dedup_load(&u->dedup, u->state_path, ident, tag, sizeof(tag), !exact);
    if (rc < 0) {
        FLOE_WARN("dedup", "%s: starting empty\tfile=\"%s\"",
                  rc == -EINVAL ? "the saved dedup state is damaged"
                                : "cannot read the saved dedup state",
                  u->state_path);
        floe_dedup_clear(&u->dedup, empty);
        return;
    }
    FLOE_INFO("dedup", "%s\tkeys=%" PRIu64 " complete=%s",
              exact ? "dedup state loaded"
                    : "dedup state loaded from an older snapshot: its versions are lower bounds",
              u->dedup.live, u->dedup.complete ? "true" : "false");
}

int floe_upsert_init(struct floe_upsert *u, const struct floe_config *cfg, struct floe_table *t,
                     uint64_t memory)
{
    memset(u, 0, sizeof(*u));
    u->cfg = cfg;
    u->table = t;
    u->key_col = u->ver_col = u->del_key = u->del_ver = -1;
    u->keyed = cfg->table.key && *cfg->table.key;
    size_t m = memory > SIZE_MAX ? SIZE_MAX : (size_t)memory;
    int rc;

    /* The budget: three eighths for new rows; three thirty-seconds for their deletes when
     * deletes go to the rows' partitions (a delete row, the key and the partition's sources,
     * is about a third of a users row, and in a stream of updates nearly every new row comes
     * with one, so both batches fill together); an eighth per data row group (the Parquet
     * workspace is about twice that); a quarter for the metadata of the files a commit writes
     * (about 2.5 KiB per file, a data and a delete file per partition), which bounds the
     * partitions one batch may hold; small shares for the global delete batch and the delete
     * files' row groups. */
    uint32_t max_parts =
        (uint32_t)(m / 4 / (5 * 1024) < MAX_PARTITIONS ? m / 4 / (5 * 1024) : MAX_PARTITIONS);
    max_parts = max_parts < 16 ? 16 : max_parts;
    if ((rc = floe_table_writer_init(&u->data_w, t, cfg, m / 8)) < 0) {
        return fail(u, rc, "%s", rc == -ENOMEM ? "out of memory" : t->err);
    }
    if ((rc = floe_batch_new(&u->data_w.bound, &u->data_w.spec, m / 8 * 3, max_parts, &u->data)) <
        0) {
        return fail(u, rc, "cannot allocate the batch (%s)", strerror(-rc));
    }
    if (!u->keyed) {
        return 0;
    }
    const struct floe_schema *bound = &u->data_w.bound;
    u->key_col = floe_schema_find(bound, cfg->table.key);
    if (u->key_col < 0) {
        return fail(u, -EINVAL, "table.key '%s' is not a column", cfg->table.key);
    }
    u->key_type = bound->columns[u->key_col].type;
    if (cfg->table.version && *cfg->table.version) {
        u->ver_col = floe_schema_find(bound, cfg->table.version);
    }
    int32_t key_id = bound->columns[u->key_col].field_id;
    int32_t ver_id = u->ver_col >= 0 ? bound->columns[u->ver_col].field_id : -1;
    const struct floe_meta_spec *spec = &t->meta->spec;
    u->have_deletes = spec->nfields > 0;
    u->scoped = u->have_deletes;
    for (int i = 0; i < spec->nfields; i++) {
        u->scoped = u->scoped && (spec->fields[i].source_id == key_id ||
                                  (ver_id >= 0 && spec->fields[i].source_id == ver_id));
    }
    size_t small = m / 64 > 65536 ? m / 64 : 65536;
    if (u->scoped) {
        if ((rc = floe_table_writer_init_deletes(&u->del_w, t, cfg, small)) < 0) {
            return fail(u, rc, "%s", rc == -ENOMEM ? "out of memory" : t->err);
        }
        size_t dels = m / 32 * 3 > small * 2 ? m / 32 * 3 : small * 2;
        if ((rc = floe_batch_new(&u->del_w.bound, &u->del_w.spec, dels, max_parts, &u->dels)) < 0) {
            return fail(u, rc, "cannot allocate the delete batch (%s)", strerror(-rc));
        }
        u->del_key = floe_schema_find(&u->del_w.bound, cfg->table.key);
        if (u->ver_col >= 0) {
            u->del_ver = floe_schema_find(&u->del_w.bound, cfg->table.version);
        }
    }
    if ((rc = floe_table_writer_init_global_deletes(&u->glob_w, t, cfg, small)) < 0) {
        return fail(u, rc, "%s", rc == -ENOMEM ? "out of memory" : t->err);
    }
    if ((rc = floe_batch_new(&u->glob_w.bound, &u->glob_w.spec, small, 1, &u->globs)) < 0) {
        return fail(u, rc, "cannot allocate the delete batch (%s)", strerror(-rc));
    }
    if ((rc = floe_dedup_init(&u->dedup, cfg->dedup.memory)) < 0) {
        return fail(u, rc, "cannot allocate the dedup hash of %" PRIu64 " bytes (%s)",
                    cfg->dedup.memory, strerror(-rc));
    }
    if (cfg->agent.state_dir && *cfg->agent.state_dir) {
        u->state_path =
            path_in(cfg->agent.state_dir, cfg->table.namespace_, cfg->table.name, ".state");
        u->pending_path =
            path_in(cfg->agent.state_dir, cfg->table.namespace_, cfg->table.name, ".pending");
        if (!u->state_path || !u->pending_path) {
            return fail(u, -ENOMEM, "out of memory");
        }
        if ((rc = floe_mkdirs(cfg->agent.state_dir, 0755)) < 0) {
            return fail(u, rc, "cannot create agent.state_dir %s: %s", cfg->agent.state_dir,
                        strerror(-rc));
        }
    }
    /* What a saved state must match: the table, its key and version columns and its spec. */
    snprintf(u->identity, sizeof(u->identity), "%s k%d/%d v%d s%d", t->meta->uuid, (int)key_id,
             (int)u->key_type, (int)ver_id, t->meta->spec.spec_id);
    load_state(u);
    u->base = t->meta->current_snapshot_id;
    return 0;
}

/* Adds a global delete of the row's key. */
static int add_global(struct floe_upsert *u, const struct floe_row *row, char *why, size_t cap)
{
    struct floe_row *d = &u->drow;
    d->cells[0] = row->cells[u->key_col];
    return floe_batch_add(u->globs, d, why, cap);
}

/* Adds a delete of the key's row of version version, in that row's partition. */
static int add_scoped(struct floe_upsert *u, const struct floe_row *row, int64_t version, char *why,
                      size_t cap)
{
    struct floe_row *d = &u->drow;
    for (int c = 0; c < u->del_w.bound.ncolumns; c++) {
        d->cells[c] = (struct floe_cell){.present = false, .null = true};
    }
    d->cells[u->del_key] = row->cells[u->key_col];
    if (u->del_ver >= 0) {
        d->cells[u->del_ver].null = version == INT64_MIN;
        d->cells[u->del_ver].v.i = version;
    }
    return floe_batch_add(u->dels, d, why, cap);
}

static uint32_t moved_ref(const void *batch, uint32_t ref)
{
    return floe_batch_new_ref(batch, ref);
}

static void remap_refs(void *ctx, const struct floe_batch *b)
{
    struct floe_upsert *u = ctx;
    floe_dedup_remap(&u->dedup, moved_ref, b);
}

/* Adds row to the data batch; when it is full and at least a quarter of its bytes are rows
 * replaced by newer versions since it was last compacted, reclaims them first (the
 * dedup entries follow the rows) instead of having the caller commit: in a stream of updates,
 * fewer and larger commits. */
static int add_data(struct floe_upsert *u, const struct floe_row *row, uint32_t *ref, char *why,
                    size_t cap)
{
    int rc = floe_batch_add_ref(u->data, row, ref, why, cap);
    size_t removed = floe_batch_removed(u->data);
    /* (With the partition table full the row may need a new partition: compacting would not
     * help, and the commit comes anyway.) */
    if (rc == -ENOSPC && removed > 0 && removed >= floe_batch_bytes(u->data) / 3 &&
        !floe_batch_table_full(u->data)) {
        floe_batch_compact(u->data, remap_refs, u);
        u->stats.compactions++;
        rc = floe_batch_add_ref(u->data, row, ref, why, cap);
    }
    return rc;
}

int floe_upsert_add(struct floe_upsert *u, const struct floe_row *row, char *why, size_t cap)
{
    uint32_t ref;
    if (!u->keyed) {
        return floe_batch_add(u->data, row, why, cap);
    }
    const struct floe_cell *kc = &row->cells[u->key_col];
    if (kc->null) {
        snprintf(why, cap, "key column '%s' is null", u->cfg->table.key);
        return -EINVAL;
    }
    int64_t version = INT64_MAX; /* no version column: every record is the newest */
    if (u->ver_col >= 0) {
        const struct floe_cell *vc = &row->cells[u->ver_col];
        version = vc->null ? INT64_MIN : vc->v.i;
    }
    uint64_t key = floe_dedup_key(&u->dedup, u->key_type, kc);
    struct floe_dedup_entry *e = floe_dedup_find(&u->dedup, key);
    if (e && u->ver_col >= 0 && version <= e->version) {
        u->stats.stale++;
        return FLOE_UPSERT_STALE;
    }
    int rc = add_data(u, row, &ref, why, cap);
    if (rc < 0) {
        return rc;
    }
    if (e && floe_dedup_current(&u->dedup, e)) {
        /* Its row is in this batch (and its delete, if any, too): replace the row. */
        floe_batch_remove(u->data, e->ref);
        e->version = version;
        e->ref = ref;
        u->stats.replaced++;
        u->stats.added++;
        return FLOE_UPSERT_ADDED;
    }
    bool inserted = false;
    if (!e) {
        e = floe_dedup_insert(&u->dedup, key);
        if (!e) {
            floe_batch_remove(u->data, ref);
            return -ENOSPC; /* the key's set holds rows of this batch only */
        }
        inserted = true;
    }
    /* The key's row, if the table has one, is older: remove it. A key the hash knows exactly
     * has its row in the partition of (key, stored version); any other may be anywhere. */
    if (!inserted && !(e->gen & FLOE_DEDUP_BOUND) && u->scoped) {
        rc = add_scoped(u, row, e->version, why, cap);
        if (rc == -EINVAL) {
            rc = add_global(u, row, why, cap);
            u->stats.global += rc == 0;
        } else if (rc == 0) {
            u->stats.deletes++;
        }
    } else if (inserted && u->dedup.complete) {
        rc = 0; /* a new key */
    } else {
        rc = add_global(u, row, why, cap);
        u->stats.global += rc == 0;
    }
    if (rc < 0) {
        floe_batch_remove(u->data, ref);
        if (inserted) {
            floe_dedup_release(&u->dedup, e);
        }
        return rc;
    }
    e->version = version;
    e->ref = ref;
    e->gen = u->dedup.gen;
    u->stats.added++;
    return FLOE_UPSERT_ADDED;
}

void floe_upsert_prefetch(struct floe_upsert *u, const struct floe_row *row, int step)
{
    if (!u->keyed || row->cells[u->key_col].null) {
        return;
    }
    uint64_t key = floe_dedup_key(&u->dedup, u->key_type, &row->cells[u->key_col]);
    if (step == 0) {
        floe_dedup_prefetch(&u->dedup, key);
        return;
    }
    const struct floe_dedup_entry *e = floe_dedup_find(&u->dedup, key);
    if (e && floe_dedup_current(&u->dedup, e)) {
        floe_batch_prefetch(u->data, e->ref);
    }
}

/* Parses a key given as text into a cell of the key's type. */
static int key_cell(struct floe_upsert *u, const char *text, size_t n, struct floe_cell *cell,
                    char *why, size_t cap)
{
    char buf[64];
    *cell = (struct floe_cell){.present = true};
    if (u->key_type == FLOE_TYPE_STRING) {
        cell->v.s.p = (const uint8_t *)text;
        cell->v.s.n = (uint32_t)n;
        return n > UINT32_MAX ? -EINVAL : 0;
    }
    if (u->key_type == FLOE_TYPE_BINARY || n == 0 || n >= sizeof(buf)) {
        snprintf(why, cap, "'%.*s' is not a key floe can delete by (a %s column)",
                 (int)(n < 64 ? n : 64), text, floe_type_name(u->key_type));
        return -EINVAL;
    }
    memcpy(buf, text, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    bool integer = *end == '\0' && errno == 0;
    bool narrow = u->key_type == FLOE_TYPE_INT || u->key_type == FLOE_TYPE_DATE;
    bool temporal = u->key_type == FLOE_TYPE_TIMESTAMP || u->key_type == FLOE_TYPE_TIMESTAMPTZ;
    int32_t days;
    int64_t us;
    if (integer && (!narrow || (v >= INT32_MIN && v <= INT32_MAX))) {
        cell->v.i = v; /* a number, or days or µs since the epoch */
        return 0;
    }
    if (!integer && u->key_type == FLOE_TYPE_DATE && floe_parse_date(buf, n, &days) == 0) {
        cell->v.i = days;
        return 0;
    }
    if (!integer && temporal &&
        floe_parse_timestamp(buf, n, u->key_type == FLOE_TYPE_TIMESTAMPTZ, &us) == 0) {
        cell->v.i = us;
        return 0;
    }
    snprintf(why, cap, "'%s' is not a %s key", buf, floe_type_name(u->key_type));
    return -EINVAL;
}

int floe_upsert_delete(struct floe_upsert *u, const char *text, size_t n, char *why, size_t cap)
{
    struct floe_row *row = &u->drow;
    if (!u->keyed) {
        snprintf(why, cap, "no key column (table.key is empty)");
        return -EINVAL;
    }
    struct floe_cell cell;
    int rc = key_cell(u, text, n, &cell, why, cap);
    if (rc < 0) {
        return rc;
    }
    row->cells[0] = cell; /* the global delete batch's one column */
    rc = floe_batch_add(u->globs, row, why, cap);
    if (rc < 0) {
        return rc;
    }
    u->stats.global++;
    struct floe_dedup_entry *e =
        floe_dedup_find(&u->dedup, floe_dedup_key(&u->dedup, u->key_type, &cell));
    if (e) {
        if (floe_dedup_current(&u->dedup, e)) {
            floe_batch_remove(u->data, e->ref);
        }
        floe_dedup_release(&u->dedup, e);
    }
    return 0;
}

uint64_t floe_upsert_rows(const struct floe_upsert *u)
{
    return floe_batch_rows(u->data) + (u->dels ? floe_batch_rows(u->dels) : 0) +
           (u->globs ? floe_batch_rows(u->globs) : 0);
}

/* Writes one batch's files to pending and empties the batch. */
static int write_batch(struct floe_upsert *u, struct floe_table_writer *w, struct floe_batch *b,
                       struct floe_table_pending *p)
{
    if (!b || floe_batch_rows(b) == 0) {
        if (b) {
            floe_batch_clear(b);
        }
        return 0;
    }
    int rc = floe_table_write_batch(w, b, p);
    if (rc < 0) {
        return fail(u, rc, "%s", u->table->err);
    }
    floe_batch_clear(b);
    return 0;
}

/* The hash state saved on a thread of its own while the batches are encoded: the hash is
 * not changed until it is joined (the loop's thread is held for the commit, and the
 * generation moves on only after the join). */
struct state_save {
    const struct floe_upsert *u;
    const char *commit_id;
    uv_thread_t tid;
    bool active;  /* a save was made or is being made */
    bool started; /* …on its own thread, not joined yet */
    int rc;
};

static void save_run(void *arg)
{
    struct state_save *s = arg;
    s->rc = floe_dedup_save(&s->u->dedup, s->u->pending_path, s->u->identity, s->commit_id);
}

/* Joins the save; true when the pending state was written. */
static bool save_join(struct floe_upsert *u, struct state_save *s)
{
    if (!s->active) {
        return false;
    }
    if (s->started) {
        uv_thread_join(&s->tid);
        s->started = false;
    }
    if (s->rc < 0) {
        FLOE_WARN("dedup", "cannot save the dedup state (%s)\tfile=\"%s\"", strerror(-s->rc),
                  u->pending_path);
    }
    return s->rc == 0;
}

int floe_upsert_commit(struct floe_upsert *u, const struct floe_meta_kv *summary, size_t n,
                       int64_t *snapshot_id)
{
    char commit_id[37];
    int rc;
    *snapshot_id = -1;
    u->err[0] = '\0';
    if (floe_uuid_random(commit_id) < 0) {
        return fail(u, -EIO, "no random bytes for the commit id");
    }
    /* The state that matches this commit, saved before it lands: if floe stops right after
     * the commit, the next start finds it (load_state). Written meanwhile by its own thread,
     * or here if none can start. */
    struct state_save save = {.u = u, .commit_id = commit_id};
    if (u->keyed && u->pending_path &&
        (floe_upsert_rows(u) > 0 || u->pdata.n + u->pdels.n + u->pglobs.n > 0)) {
        save.active = true;
        save.started = uv_thread_create(&save.tid, save_run, &save) == 0;
        if (!save.started) {
            save_run(&save);
        }
    }
    rc = write_batch(u, &u->data_w, u->data, &u->pdata);
    if (rc == 0) {
        rc = write_batch(u, &u->del_w, u->dels, &u->pdels);
    }
    if (rc == 0) {
        rc = write_batch(u, &u->glob_w, u->globs, &u->pglobs);
    }
    bool saved = save_join(u, &save);
    if (u->keyed) {
        floe_dedup_next_generation(&u->dedup); /* the batch's refs are gone (or soon will be) */
    }
    if (rc < 0 || u->pdata.n + u->pdels.n + u->pglobs.n == 0) {
        if (saved) {
            unlink(u->pending_path);
        }
        return rc;
    }
    struct floe_meta_kv *all = malloc((n + 1) * sizeof(*all));
    if (!all) {
        if (saved) {
            unlink(u->pending_path);
        }
        return fail(u, -ENOMEM, "out of memory");
    }
    if (n) {
        memcpy(all, summary, n * sizeof(*all));
    }
    all[n] = (struct floe_meta_kv){"floe.commit-id", commit_id};
    size_t files = u->pdata.n, dels = u->pdels.n + u->pglobs.n;
    int64_t parent = u->table->meta->current_snapshot_id;
    rc = floe_table_commit(u->table, &u->pdata, &u->pdels, &u->pglobs, all, n + 1, snapshot_id);
    free(all);
    if (rc < 0) {
        if (saved) {
            unlink(u->pending_path);
        }
        return fail(u, rc, "%s", u->table->err);
    }
    /* A commit rebased onto another writer's snapshot: the hash has not seen that writer's
     * rows, so what it holds is only a lower bound now (and the pending state says more). */
    const struct floe_meta_snapshot *landed = floe_meta_find_snapshot(u->table->meta, *snapshot_id);
    if (u->keyed && (!landed || landed->parent_id != parent)) {
        floe_dedup_mark_bounds(&u->dedup);
        if (saved) {
            rc = floe_dedup_save(&u->dedup, u->state_path, u->identity, commit_id);
            unlink(u->pending_path);
            saved = false;
            if (rc < 0) {
                unlink(u->state_path);
            }
        }
    }
    if (saved && rename(u->pending_path, u->state_path) < 0) {
        FLOE_WARN("dedup", "cannot put the dedup state in place (%s)\tfile=\"%s\"", strerror(errno),
                  u->state_path);
    }
    u->base = *snapshot_id;
    u->stats.commits++;
    u->stats.data_files += files;
    u->stats.delete_files += dels;
    return 0;
}

bool floe_upsert_sync(struct floe_upsert *u)
{
    const struct floe_meta *m = u->table->meta;
    if (!u->keyed || !m || m->current_snapshot_id == u->base) {
        return false;
    }
    FLOE_INFO("dedup",
              "another writer committed since the hash's snapshot: its versions are "
              "lower bounds\tsnapshot=%" PRId64,
              m->current_snapshot_id);
    floe_dedup_mark_bounds(&u->dedup);
    u->base = m->current_snapshot_id;
    return true;
}

void floe_upsert_free(struct floe_upsert *u)
{
    floe_table_pending_clear(&u->pdata, true);
    floe_table_pending_clear(&u->pdels, true);
    floe_table_pending_clear(&u->pglobs, true);
    floe_batch_free(u->data);
    floe_batch_free(u->dels);
    floe_batch_free(u->globs);
    floe_table_writer_free(&u->data_w);
    floe_table_writer_free(&u->del_w);
    floe_table_writer_free(&u->glob_w);
    floe_dedup_free(&u->dedup);
    free(u->state_path);
    free(u->pending_path);
    u->data = u->dels = u->globs = NULL;
    u->state_path = u->pending_path = NULL;
}
