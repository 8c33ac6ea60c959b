/* table_meta_snapshot.c — commits on the main branch, snapshot summary totals, the ancestor walk
 * that finds floe's committed Kafka offsets, and snapshot expiry.
 *
 * A commit follows spec "Snapshots" and Java's SnapshotProducer / TableMetadata.Builder: the
 * new snapshot's sequence number is last-sequence-number + 1, its parent is main's head, its
 * summary carries the operation, the commit's added/removed counts and the running totals; the
 * snapshot log, the metadata log and refs.main move with it (SPEC-NOTES.md §1). The offsets
 * floe stores in summaries (`floe.offsets.<topic>`, `floe.commit-id`; DESIGN.md "Exactly once",
 * SPEC-NOTES.md §9) are found again by walking main's ancestors from the head.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "table_meta_internal.h"

/* Java readers refuse logs whose entries go back by more than a minute. */
#define ONE_MINUTE_MS 60000
#define PREVIOUS_VERSIONS_DEFAULT 100

/* Each total with the summary keys that add to and subtract from it (SnapshotProducer). */
static const struct {
    const char *total, *added, *removed;
} totals[] = {
    {"total-records", "added-records", "deleted-records"},
    {"total-files-size", "added-files-size", "removed-files-size"},
    {"total-data-files", "added-data-files", "deleted-data-files"},
    {"total-delete-files", "added-delete-files", "removed-delete-files"},
    {"total-position-deletes", "added-position-deletes", "removed-position-deletes"},
    {"total-equality-deletes", "added-equality-deletes", "removed-equality-deletes"},
};

static bool parse_long(const char *s, int64_t *v)
{
    if (!s) {
        return false;
    }
    cJSON raw = {.type = cJSON_Raw, .valuestring = (char *)s};
    return floe_meta__i64(&raw, v) == 0;
}

bool floe_meta_update_total(const char *prev_total, const char *added, const char *removed,
                            int64_t *total)
{
    int64_t t, a = 0, r = 0;
    /* Like Java: no usable previous total, or an unparsable count, means no total. */
    if (!parse_long(prev_total, &t) || (added && !parse_long(added, &a)) ||
        (removed && !parse_long(removed, &r))) {
        return false;
    }
    if (t >= 0 && added) {
        t = (a > 0 && t > INT64_MAX - a) ? -1 : t + a;
    }
    if (t >= 0 && removed) {
        t = (r < 0 && t > INT64_MAX + r) ? -1 : t - r;
    }
    if (t < 0) {
        return false;
    }
    *total = t;
    return true;
}

static const char *kv_get(const struct floe_meta_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kv[i].key, key) == 0) {
            return kv[i].value;
        }
    }
    return NULL;
}

static int check_commit(const struct floe_meta *m, const struct floe_meta_commit *c, char *err,
                        size_t cap)
{
    static const char *const ops[] = {"append", "overwrite", "delete", "replace"};
    bool op_ok = false;
    if (!c || c->snapshot_id <= 0 || !c->manifest_list || !c->operation ||
        (c->nsummary > 0 && !c->summary)) {
        return floe_errbuf_fail(err, cap, -EINVAL,
                                "commit: a positive snapshot id, a manifest list and an operation "
                                "are needed");
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        op_ok = op_ok || strcmp(c->operation, ops[i]) == 0;
    }
    if (!op_ok) {
        return floe_errbuf_fail(err, cap, -EINVAL, "commit: unknown operation '%s'", c->operation);
    }
    for (size_t i = 0; i < c->nsummary; i++) {
        const char *k = c->summary[i].key;
        if (!k || !c->summary[i].value) {
            return floe_errbuf_fail(err, cap, -EINVAL, "commit: summary entry %zu is incomplete",
                                    i);
        }
        if (strcmp(k, "operation") == 0 || kv_get(c->summary, i, k)) {
            return floe_errbuf_fail(err, cap, -EINVAL, "commit: summary key '%s' given twice", k);
        }
    }
    if (m->last_sequence_number == INT64_MAX) {
        return floe_errbuf_fail(err, cap, -ERANGE,
                                "commit: last-sequence-number is at its maximum");
    }
    if (floe_meta_find_snapshot(m, c->snapshot_id)) {
        return floe_errbuf_fail(err, cap, -EEXIST, "commit: snapshot id %lld is already used",
                                (long long)c->snapshot_id);
    }
    const cJSON *log = floe_meta__get(m->root__, "snapshot-log");
    const cJSON *last = cJSON_IsArray(log) && log->child ? log->child->prev : NULL;
    int64_t last_ts;
    if (last && floe_meta__i64(floe_meta__get(last, "timestamp-ms"), &last_ts) == 0 &&
        c->timestamp_ms < last_ts &&
        (uint64_t)last_ts - (uint64_t)c->timestamp_ms > (uint64_t)ONE_MINUTE_MS) {
        return floe_errbuf_fail(err, cap, -ERANGE,
                                "commit: timestamp %lld is more than a minute before the last "
                                "snapshot (%lld); is the clock right?",
                                (long long)c->timestamp_ms, (long long)last_ts);
    }
    return 0;
}

/* root[key] as an array or object, created at the end of root when missing. */
static cJSON *ensure(cJSON *root, const char *key, bool array)
{
    cJSON *it = floe_meta__get(root, key);
    if (it) {
        return (array ? cJSON_IsArray(it) : cJSON_IsObject(it)) ? it : NULL;
    }
    it = array ? cJSON_CreateArray() : cJSON_CreateObject();
    if (it && !cJSON_AddItemToObject(root, key, it)) {
        cJSON_Delete(it);
        return NULL;
    }
    return it;
}

static cJSON *new_summary(const struct floe_meta *m, const struct floe_meta_commit *c)
{
    cJSON *s = cJSON_CreateObject();
    if (!s || floe_meta__set_str(s, "operation", c->operation) != 0) {
        goto fail;
    }
    for (size_t i = 0; i < c->nsummary; i++) {
        if (floe_meta__set_str(s, c->summary[i].key, c->summary[i].value) != 0) {
            goto fail;
        }
    }
    const struct floe_meta_snapshot *parent = floe_meta_find_snapshot(m, m->main_snapshot_id);
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        int64_t t;
        char buf[24];
        if (kv_get(c->summary, c->nsummary, totals[i].total)) {
            continue; /* the caller's own total wins */
        }
        /* Without a parent every total starts at 0 (SnapshotProducer.summary). */
        const char *prev = parent ? floe_meta_summary_get(parent, totals[i].total) : "0";
        if (floe_meta_update_total(prev, kv_get(c->summary, c->nsummary, totals[i].added),
                                   kv_get(c->summary, c->nsummary, totals[i].removed), &t)) {
            snprintf(buf, sizeof buf, "%lld", (long long)t);
            if (floe_meta__set_str(s, totals[i].total, buf) != 0) {
                goto fail;
            }
        }
    }
    return s;
fail:
    cJSON_Delete(s);
    return NULL;
}

/* Appends {timestamp-ms: ts, key: value} to log; value is taken (freed on failure too). */
static int add_log_entry(cJSON *log, int64_t ts, const char *key, cJSON *value)
{
    cJSON *e = cJSON_CreateObject();
    if (!e) {
        cJSON_Delete(value);
        return -ENOMEM;
    }
    if (floe_meta__set_num(e, "timestamp-ms", ts) != 0) {
        cJSON_Delete(value);
        cJSON_Delete(e);
        return -ENOMEM;
    }
    if (floe_meta__set_item(e, key, value) != 0 || !cJSON_AddItemToArray(log, e)) {
        cJSON_Delete(e);
        return -ENOMEM;
    }
    return 0;
}

/* Appends {m's last-updated-ms, previous} to root's metadata-log, keeping at most
 * write.metadata.previous-versions-max entries (default 100; Java keeps at least 1).
 * Java: MetadataLogEntry(base.lastUpdatedMillis(), base.metadataFileLocation()). */
static int append_metadata_log(const struct floe_meta *m, cJSON *root, const char *previous)
{
    cJSON *arr = ensure(root, "metadata-log", true);
    if (!arr || add_log_entry(arr, m->last_updated_ms, "metadata-file",
                              cJSON_CreateString(previous)) != 0) {
        return -1;
    }
    int64_t max = PREVIOUS_VERSIONS_DEFAULT;
    const char *p = floe_meta_property(m, "write.metadata.previous-versions-max");
    if (parse_long(p, &max) && max < 1) {
        max = 1;
    } else if (!parse_long(p, &max)) {
        max = PREVIOUS_VERSIONS_DEFAULT;
    }
    while (cJSON_GetArraySize(arr) > max) {
        cJSON_DeleteItemFromArray(arr, 0);
    }
    return 0;
}

int floe_meta_record_previous(struct floe_meta *m, const char *previous, int64_t now_ms, char *err,
                              size_t cap)
{
    cJSON *root = cJSON_Duplicate(m->root__, 1);
    int64_t updated = now_ms > m->last_updated_ms ? now_ms : m->last_updated_ms;
    if (!root || (previous && append_metadata_log(m, root, previous) != 0) ||
        floe_meta__set_num(root, "last-updated-ms", updated) != 0) {
        cJSON_Delete(root);
        return floe_errbuf_fail(err, cap, -ENOMEM, "metadata log: out of memory");
    }
    return floe_meta__swap(m, root, err, cap);
}

int floe_meta_add_snapshot(struct floe_meta *m, const struct floe_meta_commit *c, char *err,
                           size_t cap)
{
    int rc = check_commit(m, c, err, cap);
    if (rc != 0) {
        return rc;
    }
    int64_t seq = m->last_sequence_number + 1;
    int64_t updated = c->timestamp_ms > m->last_updated_ms ? c->timestamp_ms : m->last_updated_ms;
    int64_t parent = m->main_snapshot_id;
    cJSON *root = cJSON_Duplicate(m->root__, 1);
    cJSON *snap = cJSON_CreateObject(), *arr, *refs, *main_ref;
    if (!root || !snap) {
        goto nomem;
    }
    /* Java's SnapshotParser order. */
    if (floe_meta__set_num(snap, "sequence-number", seq) != 0 ||
        floe_meta__set_num(snap, "snapshot-id", c->snapshot_id) != 0 ||
        (parent != -1 && floe_meta__set_num(snap, "parent-snapshot-id", parent) != 0) ||
        floe_meta__set_num(snap, "timestamp-ms", c->timestamp_ms) != 0 ||
        floe_meta__set_item(snap, "summary", new_summary(m, c)) != 0 ||
        floe_meta__set_str(snap, "manifest-list", c->manifest_list) != 0 ||
        floe_meta__set_num(snap, "schema-id", m->current_schema_id) != 0) {
        goto nomem;
    }
    if (!(arr = ensure(root, "snapshots", true)) || !cJSON_AddItemToArray(arr, snap)) {
        goto nomem;
    }
    snap = NULL;
    if (floe_meta__set_num(root, "last-sequence-number", seq) != 0 ||
        floe_meta__set_num(root, "last-updated-ms", updated) != 0 ||
        floe_meta__set_num(root, "current-snapshot-id", c->snapshot_id) != 0 ||
        !(refs = ensure(root, "refs", false))) {
        goto nomem;
    }
    main_ref = floe_meta__get(refs, "main");
    if (!main_ref) {
        main_ref = cJSON_CreateObject();
        if (!main_ref || !cJSON_AddItemToObject(refs, "main", main_ref)) {
            cJSON_Delete(main_ref);
            goto nomem;
        }
    }
    /* Other attributes of main (retention settings) stay as they were. */
    if (floe_meta__set_num(main_ref, "snapshot-id", c->snapshot_id) != 0 ||
        floe_meta__set_str(main_ref, "type", "branch") != 0 ||
        !(arr = ensure(root, "snapshot-log", true)) ||
        add_log_entry(arr, c->timestamp_ms, "snapshot-id", floe_meta__num(c->snapshot_id))) {
        goto nomem;
    }
    if (c->previous_metadata && append_metadata_log(m, root, c->previous_metadata) != 0) {
        goto nomem;
    }
    return floe_meta__swap(m, root, err, cap);
nomem:
    cJSON_Delete(snap);
    cJSON_Delete(root);
    return floe_errbuf_fail(err, cap, -ENOMEM, "commit: out of memory");
}

const char *floe_meta_snapshot_ancestor_summary(const struct floe_meta *m, const char *key,
                                                int64_t *snapshot_id)
{
    int64_t id = m->main_snapshot_id;
    /* At most one step per snapshot: a parent loop in hostile metadata ends the walk. */
    for (size_t steps = 0; id != -1 && steps < m->nsnapshots; steps++) {
        const struct floe_meta_snapshot *s = floe_meta_find_snapshot(m, id);
        if (!s) {
            break; /* the parent was expired */
        }
        const char *v = floe_meta_summary_get(s, key);
        if (v) {
            if (snapshot_id) {
                *snapshot_id = s->id;
            }
            return v;
        }
        id = s->parent_id;
    }
    return NULL;
}

/* ---- expiry ---- */

/* Whether a snapshot taken at ts is younger than max_age_ms at now_ms (0: age keeps nothing).
 * Unsigned arithmetic: hostile timestamps must not overflow. */
static bool young(int64_t ts, int64_t now_ms, int64_t max_age_ms)
{
    if (max_age_ms <= 0) {
        return false;
    }
    return ts >= now_ms || (uint64_t)now_ms - (uint64_t)ts <= (uint64_t)max_age_ms;
}

struct id_index {
    int64_t id;
    size_t at;
};

static int cmp_id_index(const void *a, const void *b)
{
    int64_t x = ((const struct id_index *)a)->id, y = ((const struct id_index *)b)->id;
    return (x > y) - (x < y);
}

static long lookup(const struct id_index *idx, size_t n, int64_t id)
{
    struct id_index key = {.id = id};
    const struct id_index *hit = bsearch(&key, idx, n, sizeof *idx, cmp_id_index);
    return hit ? (long)hit->at : -1;
}

static struct id_index *build_index(const struct floe_meta *m)
{
    struct id_index *idx = malloc((m->nsnapshots ? m->nsnapshots : 1) * sizeof *idx);
    if (!idx) {
        return NULL;
    }
    for (size_t i = 0; i < m->nsnapshots; i++) {
        idx[i].id = m->snapshots[i].id;
        idx[i].at = i;
    }
    qsort(idx, m->nsnapshots, sizeof *idx, cmp_id_index);
    return idx;
}

/* Marks the branch ending at head: the keep_last newest ancestors and the young ones. */
static void keep_branch(const struct floe_meta *m, const struct id_index *idx, bool *keep,
                        int64_t head, int keep_last, int64_t max_age_ms, int64_t now_ms)
{
    int64_t id = head;
    for (size_t steps = 0; id != -1 && steps < m->nsnapshots; steps++) {
        long at = lookup(idx, m->nsnapshots, id);
        if (at < 0) {
            break;
        }
        const struct floe_meta_snapshot *s = &m->snapshots[at];
        if ((int64_t)steps < keep_last || young(s->timestamp_ms, now_ms, max_age_ms)) {
            keep[at] = true;
        }
        id = s->parent_id;
    }
}

int floe_meta_expire_select(const struct floe_meta *m, int keep_last, int64_t max_age_ms,
                            int64_t now_ms, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (m->nsnapshots == 0) {
        return 0;
    }
    bool *keep = calloc(m->nsnapshots, sizeof *keep);
    struct id_index *idx = build_index(m);
    if (!keep || !idx) {
        free(keep);
        free(idx);
        return -ENOMEM;
    }
    keep_last = keep_last < 1 ? 1 : keep_last;
    bool *on_branch = calloc(m->nsnapshots, sizeof *on_branch);
    if (!on_branch) {
        free(keep);
        free(idx);
        return -ENOMEM;
    }
    /* Lineages of all branches; main is the current snapshot even without a refs object. */
    keep_branch(m, idx, keep, m->main_snapshot_id, keep_last, max_age_ms, now_ms);
    keep_branch(m, idx, on_branch, m->main_snapshot_id, (int)m->nsnapshots, 0, now_ms);
    const cJSON *refs = floe_meta__get(m->root__, "refs");
    for (const cJSON *r = cJSON_IsObject(refs) ? refs->child : NULL; r; r = r->next) {
        int64_t id;
        const cJSON *type = floe_meta__get(r, "type");
        if (floe_meta__i64(floe_meta__get(r, "snapshot-id"), &id) != 0) {
            continue;
        }
        long at = lookup(idx, m->nsnapshots, id);
        if (at >= 0) {
            keep[at] = true; /* a ref's target always stays */
        }
        if (cJSON_IsString(type) && strcmp(type->valuestring, "branch") == 0) {
            keep_branch(m, idx, keep, id, keep_last, max_age_ms, now_ms);
            keep_branch(m, idx, on_branch, id, (int)m->nsnapshots, 0, now_ms);
        }
    }
    /* Snapshots on no branch (e.g. after a rollback) are kept only while young. */
    for (size_t i = 0; i < m->nsnapshots; i++) {
        if (!on_branch[i] && young(m->snapshots[i].timestamp_ms, now_ms, max_age_ms)) {
            keep[i] = true;
        }
    }
    size_t count = 0;
    for (size_t i = 0; i < m->nsnapshots; i++) {
        count += !keep[i];
    }
    int rc = 0;
    if (count > 0) {
        *ids = malloc(count * sizeof **ids);
        if (!*ids) {
            rc = -ENOMEM;
        } else {
            for (size_t i = 0; i < m->nsnapshots; i++) {
                if (!keep[i]) {
                    (*ids)[(*n)++] = m->snapshots[i].id;
                }
            }
        }
    }
    free(on_branch);
    free(keep);
    free(idx);
    return rc;
}

static bool id_in(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

/* Deletes the entries of root[key] whose snapshot-id is in ids. */
static void drop_by_snapshot(cJSON *root, const char *key, const int64_t *ids, size_t n)
{
    cJSON *arr = floe_meta__get(root, key);
    cJSON *e = cJSON_IsArray(arr) ? arr->child : NULL;
    while (e) {
        cJSON *next = e->next;
        int64_t id;
        if (floe_meta__i64(floe_meta__get(e, "snapshot-id"), &id) == 0 && id_in(ids, n, id)) {
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
        }
        e = next;
    }
}

int floe_meta_remove_snapshots(struct floe_meta *m, const int64_t *ids, size_t n, int64_t now_ms,
                               char *err, size_t cap)
{
    if (n > 0 && !ids) {
        return floe_errbuf_fail(err, cap, -EINVAL, "expire: no snapshot ids");
    }
    const cJSON *refs = floe_meta__get(m->root__, "refs");
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == m->current_snapshot_id || ids[i] == m->main_snapshot_id) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "expire: snapshot %lld is the current snapshot",
                                    (long long)ids[i]);
        }
        for (const cJSON *r = cJSON_IsObject(refs) ? refs->child : NULL; r; r = r->next) {
            int64_t id;
            if (floe_meta__i64(floe_meta__get(r, "snapshot-id"), &id) == 0 && id == ids[i]) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "expire: snapshot %lld is the target of ref '%s'",
                                        (long long)ids[i], r->string);
            }
        }
    }
    cJSON *root = cJSON_Duplicate(m->root__, 1);
    if (!root) {
        return floe_errbuf_fail(err, cap, -ENOMEM, "expire: out of memory");
    }
    drop_by_snapshot(root, "snapshots", ids, n);
    drop_by_snapshot(root, "statistics", ids, n);
    drop_by_snapshot(root, "partition-statistics", ids, n);
    /* Java's TableMetadata.Builder.updateSnapshotLog: an entry whose snapshot is gone drops the
     * history before it too, so time travel never crosses a gap. */
    cJSON *log = floe_meta__get(root, "snapshot-log");
    cJSON *snaps = floe_meta__get(root, "snapshots");
    cJSON *cut = NULL;
    for (cJSON *e = cJSON_IsArray(log) ? log->child : NULL; e; e = e->next) {
        int64_t id;
        bool present = false;
        if (floe_meta__i64(floe_meta__get(e, "snapshot-id"), &id) == 0) {
            for (const cJSON *s = cJSON_IsArray(snaps) ? snaps->child : NULL; s && !present;
                 s = s->next) {
                int64_t sid;
                present = floe_meta__i64(floe_meta__get(s, "snapshot-id"), &sid) == 0 && sid == id;
            }
        }
        cut = present ? cut : e;
    }
    while (cut) {
        cJSON *prev = cut == log->child ? NULL : cut->prev;
        cJSON_Delete(cJSON_DetachItemViaPointer(log, cut));
        cut = prev;
    }
    if (now_ms > m->last_updated_ms && floe_meta__set_num(root, "last-updated-ms", now_ms) != 0) {
        cJSON_Delete(root);
        return floe_errbuf_fail(err, cap, -ENOMEM, "expire: out of memory");
    }
    return floe_meta__swap(m, root, err, cap);
}
