/* pipeline.c — `floe run`: the Kafka source, the record path and the commits (pipeline.h).
 *
 * One state machine: IDLE (draining, or paused waiting for a flush), COMMITTING and LOADING
 * (a job owns the upsert and the table on a worker — a commit, or a table job that loads the
 * table and rebuilds what depends on it; the loop touches neither, the consumer is held),
 * BACKOFF (a failed commit waits for its retry), CLOSING and CLOSED. advance() decides what
 * comes next whenever the machine is IDLE: a wanted flush, then a pending revocation, a
 * rebuild after a reload, the stop, an assignment waiting for its offsets, and otherwise
 * resuming the consumer; each job's completion lands on the loop (after_commit, after_load),
 * which records the result and calls advance() again. With a dead-letter topic, a flush first
 * passes through DEAD_LETTER_WAIT (consumer paused) until the producer has no dead letter
 * pending.
 */
#include "pipeline.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "record.h"
#include "store.h"

#define MODULE "pipeline"
#define MAX_RECORD (1u << 20)
#define RETRY_MAX_MS 30000
#define OFFSETS_VALUE_CAP (64 * 1024) /* about 2,000 partitions in one map */
#define START_RESOLVE_MS 5000         /* resolve_starts' wait for the leaders' answers */

static void advance(struct floe_pipeline *p);
static bool start_flush(struct floe_pipeline *p);
static int start_load(struct floe_pipeline *p, enum floe_pipeline_load kind);
static void after_load(uv_work_t *req, int status);
static void on_retry(uv_timer_t *t);
static void on_kafka_closed(void *ctx);
static void on_handle_closed(uv_handle_t *h);
static int open_kafka(struct floe_pipeline *p);

static bool cfg_equal(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* True when a and b open the same table through the same store with the same settings and
 * credentials (the S3 client copies them when the table is opened). */
static bool same_table_store(const struct floe_config *a, const struct floe_config *b)
{
    return cfg_equal(a->table.warehouse, b->table.warehouse) &&
           cfg_equal(a->table.namespace_, b->table.namespace_) &&
           cfg_equal(a->table.name, b->table.name) && cfg_equal(a->s3.endpoint, b->s3.endpoint) &&
           cfg_equal(a->s3.region, b->s3.region) &&
           cfg_equal(a->s3.access_key_id, b->s3.access_key_id) &&
           cfg_equal(a->s3.secret_access_key, b->s3.secret_access_key) &&
           cfg_equal(a->s3.session_token, b->s3.session_token) &&
           cfg_equal(a->s3.ca_file, b->s3.ca_file) && a->s3.verify == b->s3.verify &&
           a->s3.path_style == b->s3.path_style && a->s3.part_size == b->s3.part_size &&
           a->s3.max_in_flight == b->s3.max_in_flight &&
           a->s3.connect_timeout_ms == b->s3.connect_timeout_ms &&
           a->s3.request_timeout_ms == b->s3.request_timeout_ms;
}

static struct floe_pipeline_part *part_find(struct floe_pipeline *p, int32_t id, bool add)
{
    for (int i = 0; i < p->nparts; i++) {
        if (p->parts[i].id == id) {
            return &p->parts[i];
        }
    }
    if (!add) {
        return NULL;
    }
    if (p->nparts == p->capparts) {
        int cap = p->capparts ? p->capparts * 2 : 16;
        struct floe_pipeline_part *n = realloc(p->parts, (size_t)cap * sizeof(*n));
        if (!n) {
            return NULL;
        }
        p->parts = n;
        p->capparts = cap;
    }
    struct floe_pipeline_part *q = &p->parts[p->nparts++];
    *q = (struct floe_pipeline_part){id, -1, -1, -1, false};
    return q;
}

/* The table's offsets map (newest ancestor carrying it), parsed; NULL when there is none (a
 * map that is not a JSON object is logged, unless quiet). */
static cJSON *table_offsets(const struct floe_meta *meta, const char *key, bool quiet)
{
    if (!meta) {
        return NULL;
    }
    const char *v = floe_meta_snapshot_ancestor_summary(meta, key, NULL);
    if (!v) {
        return NULL;
    }
    cJSON *j = cJSON_Parse(v);
    if (!j || !cJSON_IsObject(j)) {
        if (!quiet) {
            FLOE_WARN(MODULE,
                      "offsets in the table's summary are not a JSON object; ignored\tkey=%s", key);
        }
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* The offset of partition id in a parsed map, or -1. */
static int64_t map_get(const cJSON *map, int32_t id)
{
    char name[16];
    snprintf(name, sizeof(name), "%" PRId32, id);
    const cJSON *v = map ? cJSON_GetObjectItemCaseSensitive(map, name) : NULL;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e15) {
        return -1;
    }
    return (int64_t)v->valuedouble;
}

/* ---- The commit job (runs on a worker: touches only p->job, p->up and p->table). ---- */

struct map_entry {
    int64_t id, next;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct map_entry *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* floe_table_check_fn: checks the parent's offsets against the job's bases and writes the
 * merged map into the summary value. */
static int check_offsets(void *ctx, const struct floe_meta *meta)
{
    struct floe_pipeline *p = ctx;
    cJSON *map = table_offsets(meta, p->offsets_key, false);
    int n = 0, cap = p->job.n + (map ? cJSON_GetArraySize(map) : 0);
    struct map_entry *e = calloc((size_t)cap + 1, sizeof(*e));
    int rc = 0;
    if (!e) {
        cJSON_Delete(map);
        return -ENOMEM;
    }
    for (int i = 0; i < p->job.n; i++) {
        struct floe_pipeline_job_part *jp = &p->job.parts[i];
        if (map_get(map, jp->id) != jp->base) {
            p->job.conflict = true;
            snprintf(p->job.err, sizeof(p->job.err),
                     "partition %" PRId32 " is at offset %" PRId64
                     " in the table, the batch started at %" PRId64,
                     jp->id, map_get(map, jp->id), jp->base);
            rc = -ESTALE;
            goto done;
        }
        e[n++] = (struct map_entry){jp->id, jp->next};
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, map)
    {
        char *end;
        long long id = strtoll(it->string, &end, 10);
        if (*end || end == it->string || !cJSON_IsNumber(it) || id < 0 || id > INT32_MAX) {
            continue;
        }
        bool ours = false;
        for (int i = 0; i < p->job.n; i++) {
            ours = ours || p->job.parts[i].id == id;
        }
        if (!ours && n < cap) {
            e[n++] = (struct map_entry){id, (int64_t)it->valuedouble};
        }
    }
    qsort(e, (size_t)n, sizeof(*e), cmp_entry);
    size_t at = 0;
    p->job.value[at++] = '{';
    for (int i = 0; i < n; i++) {
        int w = snprintf(p->job.value + at, p->job.value_cap - at, "%s\"%" PRId64 "\":%" PRId64,
                         i ? "," : "", e[i].id, e[i].next);
        if (w < 0 || (size_t)w + 2 >= p->job.value_cap - at) {
            snprintf(p->job.err, sizeof(p->job.err), "too many partitions for the offsets map");
            rc = -ENOSPC;
            goto done;
        }
        at += (size_t)w;
    }
    p->job.value[at++] = '}';
    p->job.value[at] = '\0';
done:
    free(e);
    cJSON_Delete(map);
    return rc;
}

static void commit_work(uv_work_t *req)
{
    struct floe_pipeline *p = req->data;
    struct floe_meta_kv kv = {p->offsets_key, p->job.value};
    p->job.rows = floe_upsert_rows(&p->up);
    p->table.check = check_offsets;
    p->table.check_ctx = p;
    p->job.rc = floe_upsert_commit(&p->up, &kv, 1, &p->job.snapshot);
    p->table.check = NULL;
    if (p->job.rc < 0 && !p->job.conflict) {
        snprintf(p->job.err, sizeof(p->job.err), "%s", p->up.err);
    }
}

/* ---- Building and rebuilding the write path ---- */

/* Records why building the write path failed, for report_upsert(). Returns rc. */
static int open_failed(struct floe_pipeline *p, int rc, const char *what, const char *err)
{
    p->load.what = what;
    snprintf(p->load.err, sizeof(p->load.err), "%s", err);
    return rc;
}

/* Builds the write path for cfg (borrowed until the caller points p->up.cfg elsewhere): loads
 * the table (created from cfg if missing), checks its partition spec, evolves its schema, and
 * prepares the upsert state. Blocks on the store: runs in a table job, or before the loop at
 * start. Logs nothing (it may run on a worker): the outcome is in p->load (what failed and
 * why, created, changes) for report_upsert() on the loop. Returns 0 with p->up_open set, or a
 * negative errno. */
static int open_upsert(struct floe_pipeline *p, const struct floe_config *cfg)
{
    bool created = false;
    p->load.what = NULL;
    p->load.created = false;
    p->load.changes[0] = '\0';
    p->load.err[0] = '\0';
    int rc = floe_table_load(&p->table);
    if (rc == -ENOENT) {
        rc = floe_table_create(&p->table, cfg, &created);
        p->load.created = rc == 0 && created;
    }
    if (rc < 0) {
        return open_failed(p, rc, "cannot open the table", p->table.err);
    }
    if ((rc = floe_table_check_spec(&p->table, cfg)) < 0) {
        return open_failed(p, rc, "table spec differs from the config", p->table.err);
    }
    if ((rc = floe_table_evolve(&p->table, cfg, p->load.changes, sizeof(p->load.changes))) < 0) {
        return open_failed(p, rc, "schema change refused", p->table.err);
    }
    uint64_t memory = cfg->limits.memory;
    if (cfg->table.key && *cfg->table.key) {
        memory -= cfg->dedup.memory; /* the config check keeps 4M or more */
    }
    if ((rc = floe_upsert_init(&p->up, cfg, &p->table, memory)) < 0) {
        open_failed(p, rc, "cannot prepare the write path", p->up.err);
        floe_upsert_free(&p->up);
        return rc;
    }
    p->up_open = true;
    return 0;
}

/* On the loop, after open_upsert(p, …) returned rc: logs what it did or why it failed, and
 * (on success) points the upsert state at the agent's current config and the decoder at the
 * new write path. */
static void report_upsert(struct floe_pipeline *p, int rc)
{
    if (rc < 0) {
        FLOE_ERROR(MODULE, "%s\terror=\"%s\"",
                   p->load.what ? p->load.what : "cannot open the table",
                   p->load.err[0] ? p->load.err : strerror(-rc));
        return;
    }
    if (p->load.created) {
        FLOE_INFO(MODULE, "table created\ttable=%s.%s", p->cfg->table.namespace_,
                  p->cfg->table.name);
    }
    if (p->load.changes[0]) {
        FLOE_INFO(MODULE, "schema updated\tchanges=\"%s\"", p->load.changes);
    }
    p->up.cfg = p->cfg;
    floe_decoder_init(&p->dec, &p->up.data_w.bound);
    p->dec_gen++; /* what was decoded ahead is decoded again */
    p->dirs.seen = 0;
}

static void close_upsert(struct floe_pipeline *p)
{
    if (p->up_open) {
        floe_upsert_free(&p->up);
        p->up_open = false;
    }
}

/* ---- Table jobs (run on a worker: touch only p->load, p->table and p->up; an ASSIGN job also
 * reads p->offsets_key and asks the brokers through p->kafka, see pipeline.h) ---- */

/* kafka.start as a librdkafka offset. */
static int64_t logical_start(const struct floe_config *cfg)
{
    return strcmp(cfg->kafka.start, "latest") == 0 ? RD_KAFKA_OFFSET_END
                                                   : RD_KAFKA_OFFSET_BEGINNING;
}

/* The ASSIGN job's second step: the partitions of p->load.starts that the table has no offset
 * for are to start at kafka.start; their leaders are asked for that offset now
 * (floe_kafka_resolve_starts says why), the others are marked RD_KAFKA_OFFSET_INVALID. */
static void resolve_starts(struct floe_pipeline *p)
{
    rd_kafka_topic_partition_list_t *l = p->load.starts;
    if (!l) {
        return;
    }
    cJSON *map = table_offsets(p->table.meta, p->offsets_key, true); /* apply_assignment warns */
    bool any = false;
    for (int i = 0; i < l->cnt; i++) {
        bool known = map_get(map, l->elems[i].partition) >= 0;
        l->elems[i].offset = known ? RD_KAFKA_OFFSET_INVALID : p->load.start;
        any = any || !known;
    }
    cJSON_Delete(map);
    p->load.resolved = any ? floe_kafka_resolve_starts(&p->kafka, l, START_RESOLVE_MS) : 0;
}

static void load_work(uv_work_t *req)
{
    struct floe_pipeline *p = req->data;
    switch (p->load.kind) {
    case FLOE_PIPELINE_LOAD_ASSIGN:
        p->load.rc = floe_table_load(&p->table);
        if (p->load.rc < 0) {
            snprintf(p->load.err, sizeof(p->load.err), "%s", p->table.err);
        } else if (p->up_open) {
            /* The partitions may come from another agent, whose keys this hash has not
             * seen. */
            floe_upsert_sync(&p->up);
        }
        resolve_starts(p);
        break;
    case FLOE_PIPELINE_LOAD_REBUILD:
    case FLOE_PIPELINE_LOAD_RESTART:
        /* Pending files of a refused commit are removed here (store requests). */
        close_upsert(p);
        if (p->load.reopen) {
            floe_table_close(&p->table);
            p->table = p->load.fresh;
            memset(&p->load.fresh, 0, sizeof(p->load.fresh));
            p->load.reopen = false;
            p->load.reopened = true;
        }
        p->load.rc = open_upsert(p, p->load.cfg);
        break;
    }
}

/* Starts a table job of kind (the fields it reads in p->load are set by the caller). Holds
 * the consumer for its duration. Returns 0 (state LOADING; after_load follows), or a negative
 * errno with nothing started (the caller's p->load.fresh, if reopen is set, is then closed). */
static int start_load(struct floe_pipeline *p, enum floe_pipeline_load kind)
{
    p->load.kind = kind;
    p->load.rc = 0;
    p->load.reopened = false;
    p->load.err[0] = '\0';
    if (kind == FLOE_PIPELINE_LOAD_ASSIGN && p->assignment && p->kafka_open) {
        /* Its copy for resolve_starts; NULL (out of memory) leaves kafka.start logical. */
        if (p->load.starts) {
            rd_kafka_topic_partition_list_destroy(p->load.starts);
        }
        p->load.starts = rd_kafka_topic_partition_list_copy(p->assignment);
        p->load.start = logical_start(p->cfg);
    }
    if (kind != FLOE_PIPELINE_LOAD_ASSIGN) {
        floe_config_free(p->load.cfg);
        p->load.cfg = floe_config_copy_for_jobs(p->cfg);
        if (!p->load.cfg) {
            goto fail_nomem;
        }
    }
    if (p->kafka_open) {
        floe_kafka_hold(&p->kafka); /* nothing reaches on_message while the job owns p->up */
    }
    uv_update_time(p->loop);
    p->load.started_ms = uv_now(p->loop);
    p->state = FLOE_PIPELINE_LOADING;
    p->work.data = p;
    int rc = uv_queue_work(p->loop, &p->work, load_work, after_load);
    if (rc < 0) {
        p->state = FLOE_PIPELINE_IDLE;
        floe_config_free(p->load.cfg);
        p->load.cfg = NULL;
        goto fail;
    }
    return 0;

fail_nomem:
    rc = -ENOMEM;
fail:
    if (p->load.reopen) {
        floe_table_close(&p->load.fresh);
        p->load.reopen = false;
    }
    if (p->load.starts) {
        rd_kafka_topic_partition_list_destroy(p->load.starts);
        p->load.starts = NULL;
    }
    return rc;
}

/* Restarts every assigned partition at the table's offset (after a refused commit, once the
 * RESTART job has loaded the table again). */
static void restart_at_table(struct floe_pipeline *p)
{
    cJSON *map = table_offsets(p->table.meta, p->offsets_key, false);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(p->nparts + 1);
    for (int i = 0; i < p->nparts; i++) {
        struct floe_pipeline_part *q = &p->parts[i];
        if (!q->assigned) {
            continue;
        }
        int64_t at = map_get(map, q->id);
        q->committed = q->next = at;
        /* Without an offset in the table, back where the assignment started it: "latest"
         * again would skip the records of the refused batch. */
        rd_kafka_topic_partition_list_add(list, p->topic, q->id)->offset =
            at >= 0 ? at : q->origin >= 0 ? q->origin : logical_start(p->cfg);
    }
    cJSON_Delete(map);
    p->held = false; /* the restart drops it, with whatever was taken ahead */
    floe_kafka_restart(&p->kafka, list);
    rd_kafka_topic_partition_list_destroy(list);
    p->dirty = 0;
}

static void fatal(struct floe_pipeline *p, const char *what)
{
    FLOE_ERROR(MODULE, "the pipeline cannot go on; stopping\terror=\"%s\"", what);
    p->failed = true;
    floe_agent_stop(p->agent);
}

/* Whether the loop was stopped on the shutdown timeout, its handles then closed while a job
 * still ran (floe_agent_close_rest): the job's end starts nothing more, and
 * floe_pipeline_free releases what it handed back. */
static bool timed_out(struct floe_pipeline *p)
{
    if (!p->agent->stop_timed_out) {
        return false;
    }
    p->state = FLOE_PIPELINE_IDLE;
    return true;
}

static void after_commit(uv_work_t *req, int status)
{
    struct floe_pipeline *p = req->data;
    if (timed_out(p)) {
        return;
    }
    p->state = FLOE_PIPELINE_IDLE;
    p->dirs.seen = 0; /* the batch was written, or is kept and its directories made again */
    if (status == UV_ECANCELED) {
        p->job.rc = -ECANCELED;
    }
    if (p->up_open) {
        p->up.cfg = p->cfg; /* a reload during the job replaced the config */
    }
    if (p->job.rc == 0) {
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(p->job.n + 1);
        for (int i = 0; i < p->job.n; i++) {
            struct floe_pipeline_part *q = part_find(p, p->job.parts[i].id, false);
            if (q) {
                q->committed = p->job.parts[i].next;
            }
            rd_kafka_topic_partition_list_add(list, p->topic, p->job.parts[i].id)->offset =
                p->job.parts[i].next;
        }
        p->retries = 0;
        if (p->job.snapshot >= 0) {
            p->stats.commits++;
            FLOE_INFO(MODULE,
                      "committed\tsnapshot=%" PRId64 " rows=%" PRIu64 " ms=%" PRIu64 " offsets=%s",
                      p->job.snapshot, p->job.rows, uv_now(p->loop) - p->job.started_ms,
                      p->job.value);
        }
        if (p->kafka_open) {
            floe_kafka_commit(&p->kafka, list);
        }
        rd_kafka_topic_partition_list_destroy(list);
    } else if (p->job.conflict) {
        p->stats.conflicts++;
        FLOE_WARN(MODULE,
                  "commit refused: another writer has committed these records; the batch is "
                  "dropped and read again from the table's offsets\treason=\"%s\"",
                  p->job.err);
        /* The upsert state is rebuilt from the saved one and the table read again, off the
         * loop; after_load restarts the partitions at the table's offsets. */
        int rc = start_load(p, FLOE_PIPELINE_LOAD_RESTART);
        if (rc < 0) {
            /* Out of memory. The refused batch must not be committed by the stop's flush:
             * dropped here, on the loop (its written files are removed from the store), on a
             * path that ends the run. */
            close_upsert(p);
            fatal(p, strerror(-rc));
        }
        return;
    } else {
        p->stats.failures++;
        uint64_t wait = 1000u << (p->retries < 5 ? p->retries : 5);
        wait = wait > RETRY_MAX_MS ? RETRY_MAX_MS : wait;
        p->retries++;
        FLOE_ERROR(MODULE,
                   "commit failed; the rows stay buffered and the commit is retried\t"
                   "error=\"%s\" retry_ms=%" PRIu64 " attempt=%u",
                   p->job.err, wait, p->retries);
        p->state = FLOE_PIPELINE_BACKOFF;
        uv_timer_start(&p->retry_timer, on_retry, wait, 0);
        return;
    }
    if (p->progress) {
        p->progress(p->progress_ctx, &p->stats);
    }
    advance(p);
}

/* Starts a commit of what is buffered. Returns true when a commit job was started. */
static bool start_flush(struct floe_pipeline *p)
{
    uv_timer_stop(&p->flush_timer);
    if (!p->up_open) {
        return false;
    }
    if (p->dlq_open && floe_dlq_pending(&p->dlq) > 0) {
        /* The commit stores offsets: none may pass a dead letter the broker has not
         * acknowledged. on_dlq_progress() flushes when the last one is. */
        if (p->kafka_open) {
            floe_kafka_pause(&p->kafka);
        }
        FLOE_DEBUG(MODULE, "flush waits for the dead-letter topic\tpending=%" PRIu64,
                   floe_dlq_pending(&p->dlq));
        p->state = FLOE_PIPELINE_DEAD_LETTER_WAIT;
        return true;
    }
    FLOE_DEBUG(MODULE, "flush\trows=%" PRIu64, floe_upsert_rows(&p->up));
    p->job.n = 0;
    for (int i = 0; i < p->nparts; i++) {
        struct floe_pipeline_part *q = &p->parts[i];
        if (q->next >= 0 && q->next != q->committed) {
            if (p->job.n == p->job.cap) {
                int cap = p->job.cap ? p->job.cap * 2 : 16;
                struct floe_pipeline_job_part *n = realloc(p->job.parts, (size_t)cap * sizeof(*n));
                if (!n) {
                    fatal(p, "out of memory");
                    return false;
                }
                p->job.parts = n;
                p->job.cap = cap;
            }
            p->job.parts[p->job.n++] =
                (struct floe_pipeline_job_part){q->id, q->committed, q->next};
        }
    }
    bool files = p->up.pdata.n + p->up.pdels.n + p->up.pglobs.n > 0;
    if (floe_upsert_rows(&p->up) == 0 && !files) {
        /* Nothing to write (every record since the last commit was stale or rejected): the
         * offsets advance with the next commit that has rows. */
        return false;
    }
    p->job.rc = 0;
    uv_update_time(p->loop);
    p->job.started_ms = uv_now(p->loop);
    p->job.conflict = false;
    p->job.snapshot = -1;
    p->job.err[0] = '\0';
    if (p->kafka_open) {
        /* Held, not paused: librdkafka fills its capped pre-fetch queue meanwhile and keeps
         * it (a pause would drop it, to be fetched again after the commit). */
        floe_kafka_hold(&p->kafka);
    }
    p->state = FLOE_PIPELINE_COMMITTING;
    p->work.data = p;
    int rc = uv_queue_work(p->loop, &p->work, commit_work, after_commit);
    if (rc < 0) {
        p->state = FLOE_PIPELINE_IDLE;
        fatal(p, uv_strerror(rc));
        return false;
    }
    p->dirty = 0;
    return true;
}

static void on_retry(uv_timer_t *t)
{
    struct floe_pipeline *p = t->data;
    if (p->state == FLOE_PIPELINE_BACKOFF) {
        p->state = FLOE_PIPELINE_IDLE;
        p->flush_wanted = true;
        advance(p);
    }
}

static void on_flush_timer(uv_timer_t *t)
{
    struct floe_pipeline *p = t->data;
    p->flush_wanted = true;
    advance(p);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct floe_pipeline *p = h->data;
    if (--p->open_handles == 0) {
        p->state = FLOE_PIPELINE_CLOSED;
        floe_agent_stop_done(p->agent);
    }
}

static void on_dlq_closed(void *ctx)
{
    struct floe_pipeline *p = ctx;
    p->dlq_open = false;
    if (--p->open_handles == 0) {
        p->state = FLOE_PIPELINE_CLOSED;
        floe_agent_stop_done(p->agent);
    }
}

/* Deliveries acknowledged: a flush waiting for them goes on; a full producer queue has room. */
static void on_dlq_progress(void *ctx)
{
    struct floe_pipeline *p = ctx;
    if (p->dlq.fatal && !p->failed) {
        fatal(p, "the dead-letter producer failed");
    }
    if (p->state == FLOE_PIPELINE_DEAD_LETTER_WAIT && floe_dlq_pending(&p->dlq) == 0) {
        p->state = FLOE_PIPELINE_IDLE;
        p->flush_wanted = true;
        advance(p);
    }
}

static void on_kafka_closed(void *ctx)
{
    struct floe_pipeline *p = ctx;
    p->kafka_open = false;
    if (p->stopping) {
        if (p->dlq_open) {
            floe_dlq_close(&p->dlq, on_dlq_closed, p);
        }
        uv_close((uv_handle_t *)&p->flush_timer, on_handle_closed);
        uv_close((uv_handle_t *)&p->retry_timer, on_handle_closed);
        return;
    }
    /* A reconnect after a change of brokers, topic or group. */
    p->state = FLOE_PIPELINE_IDLE;
    for (int i = 0; i < p->nparts; i++) {
        p->parts[i].assigned = false;
    }
    if (open_kafka(p) < 0) {
        fatal(p, "cannot reconnect to Kafka");
        return;
    }
    advance(p);
}

/* Applies a reload once nothing is buffered (advance, IDLE): a table job rebuilds the write
 * path (added columns evolve the table first); reload_applied() finishes on the loop. */
static void rebuild(struct floe_pipeline *p)
{
    p->rebuild_pending = false;
    p->load.reopen = false;
    if (p->reopen_table) {
        /* New credentials (re-read from the environment too), endpoint or warehouse. Opening
         * sends no request, and reads the environment, which the loop owns: done here; the
         * job puts the new table in place of the old one. */
        p->reopen_table = false;
        if (floe_table_open(p->cfg, &p->load.fresh) < 0) {
            FLOE_ERROR(MODULE, "cannot open the table\terror=\"%s\"", p->load.fresh.err);
            floe_table_close(&p->load.fresh);
            fatal(p, "cannot reopen the table after the reload");
            return;
        }
        p->load.reopen = true;
    }
    int rc = start_load(p, FLOE_PIPELINE_LOAD_REBUILD);
    if (rc < 0) {
        FLOE_ERROR(MODULE, "cannot start rebuilding the write path\terror=\"%s\"", strerror(-rc));
        fatal(p, "cannot rebuild the write path after the reload");
    }
}

/* The REBUILD job has landed with rc: the dead letter is reopened and the reload reported. */
static void reload_applied(struct floe_pipeline *p, bool reopened, int rc)
{
    report_upsert(p, rc);
    if (rc < 0) {
        fatal(p, "cannot rebuild the write path after the reload");
        return;
    }
    if (reopened) {
        FLOE_INFO(MODULE, "table reopened with the new [s3] or [table] settings");
    }
    if (p->dlq_open) {
        if (!cfg_equal(p->dlq.topic, p->cfg->dead_letter.topic)) {
            FLOE_WARN(MODULE,
                      "dead_letter.topic is read at start; the change applies at the "
                      "next start\ttopic=%s",
                      p->dlq.topic);
        }
    } else {
        if (p->cfg->dead_letter.topic && *p->cfg->dead_letter.topic) {
            FLOE_WARN(MODULE,
                      "dead_letter.topic is read at start; rejected records go to the "
                      "file until the next start\ttopic=%s",
                      p->cfg->dead_letter.topic);
        }
        floe_dead_letter_close(&p->dead);
        p->dead.fd = -1;
        if (floe_dead_letter_open(&p->dead, p->cfg) < 0) {
            FLOE_WARN(MODULE, "dead-letter file not reopened after the reload");
        }
    }
    FLOE_INFO(MODULE,
              "reload applied\tflush_rows=%" PRId64 " flush_bytes=%" PRIu64
              " flush_every_ms=%" PRIu64,
              p->cfg->limits.flush_rows, p->cfg->limits.flush_bytes, p->cfg->limits.flush_every_ms);
}

static void apply_assignment(struct floe_pipeline *p, int loaded);

static void after_load(uv_work_t *req, int status)
{
    struct floe_pipeline *p = req->data;
    if (timed_out(p)) {
        return;
    }
    int rc = status == UV_ECANCELED ? -ECANCELED : p->load.rc;
    p->state = FLOE_PIPELINE_IDLE;
    uv_update_time(p->loop);
    FLOE_DEBUG(MODULE, "table job done\tkind=%d rc=%d ms=%" PRIu64, (int)p->load.kind, rc,
               uv_now(p->loop) - p->load.started_ms);
    if (p->up_open) {
        p->up.cfg = p->cfg; /* not the job's copy, freed now */
    }
    floe_config_free(p->load.cfg);
    p->load.cfg = NULL;
    switch (p->load.kind) {
    case FLOE_PIPELINE_LOAD_ASSIGN:
        apply_assignment(p, rc);
        break;
    case FLOE_PIPELINE_LOAD_REBUILD:
        reload_applied(p, p->load.reopened, rc);
        if (p->failed) {
            return;
        }
        break;
    case FLOE_PIPELINE_LOAD_RESTART:
        report_upsert(p, rc);
        if (rc < 0) {
            fatal(p, "cannot rebuild the write path");
            return;
        }
        restart_at_table(p);
        if (p->progress) {
            p->progress(p->progress_ctx, &p->stats);
        }
        break;
    }
    advance(p);
}

static void advance(struct floe_pipeline *p)
{
    if (p->state != FLOE_PIPELINE_IDLE) {
        return;
    }
    if (p->flush_wanted || p->held) {
        p->flush_wanted = false;
        p->held = false;
        if (start_flush(p)) {
            return;
        }
    }
    if (p->revoke_pending) {
        p->revoke_pending = false;
        for (int i = 0; i < p->nparts; i++) {
            p->parts[i].assigned = false;
        }
        floe_kafka_revoke_done(&p->kafka);
    }
    if (p->rebuild_pending) {
        rebuild(p);
        if (p->state != FLOE_PIPELINE_IDLE || p->failed) {
            return; /* after_load goes on */
        }
    }
    if (p->stopping || p->reconnect_pending) {
        p->reconnect_pending = false;
        if (p->assignment) {
            /* Not given to librdkafka: floe_kafka_close answers the assignment itself. */
            rd_kafka_topic_partition_list_destroy(p->assignment);
            p->assignment = NULL;
        }
        if (p->kafka_open) {
            p->state = FLOE_PIPELINE_CLOSING;
            floe_kafka_close(&p->kafka, on_kafka_closed, p);
        } else if (p->stopping) {
            p->state = FLOE_PIPELINE_CLOSING;
            on_kafka_closed(p);
        }
        return;
    }
    if (p->assignment) {
        /* The partitions start at the table's offsets: loaded first, off the loop. */
        int rc = start_load(p, FLOE_PIPELINE_LOAD_ASSIGN);
        if (rc == 0) {
            return; /* after_load assigns */
        }
        apply_assignment(p, rc);
    }
    if (p->kafka_open) {
        floe_kafka_resume(&p->kafka);
    }
}

/* ---- Kafka callbacks ---- */

/* Sends a rejected message to the dead-letter topic or file. Returns 0; -ENOBUFS when the
 * topic's producer queue is full, -EIO when the producer cannot take it any more (nothing done
 * either way: the message is not taken). */
static int dead_letter(struct floe_pipeline *p, const rd_kafka_message_t *m, const char *why)
{
    size_t keep = m->len <= MAX_RECORD ? m->len : 0;
    if (p->dlq_open) {
        int rc = floe_dlq_add(&p->dlq, why, p->topic, m->partition, m->offset, m->key, m->key_len,
                              keep ? m->payload : NULL, keep, m->len);
        if (rc < 0) {
            return rc;
        }
        p->stats.rejected++;
        FLOE_DEBUG(MODULE,
                   "record rejected\tpartition=%" PRId32 " offset=%" PRId64 " reason=\"%s\"",
                   m->partition, m->offset, why);
        return 0;
    }
    char source[512];
    size_t at = (size_t)snprintf(source, sizeof(source), "{\"topic\":");
    if (floe_json_string(source + at, sizeof(source) - at - 64, (const uint8_t *)p->topic,
                         strlen(p->topic)) < 0) {
        at += (size_t)snprintf(source + at, sizeof(source) - at, "\"?\"");
    } else {
        at = strlen(source);
    }
    snprintf(source + at, sizeof(source) - at, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64 "}",
             m->partition, m->offset);
    p->stats.rejected++;
    FLOE_DEBUG(MODULE, "record rejected\tpartition=%" PRId32 " offset=%" PRId64 " reason=\"%s\"",
               m->partition, m->offset, why);
    floe_dead_letter_add(&p->dead, why, source, keep ? m->payload : NULL, keep, m->len);
    return 0;
}

/* ---- Partition directories ------------------------------------------------------------
 * In a local warehouse each partition's files go in a directory of their own, and making one
 * costs ext4 more than writing a small file in it (a new directory's inode goes to another
 * block group, whose bitmaps may have to be read from disk first). A batch that opens many
 * partitions — a backlog spread over weeks — spent about half of its commit's writing there.
 * So when a partition first appears in the batch its directory is made at once, on a worker,
 * while the batch goes on filling; the commit finds it there. One job at a time; failures
 * are left to the commit, which reports them. A partition whose rows are all replaced before
 * the commit leaves its directory empty. */

static void dirs_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(paths[i]);
    }
    free(paths);
}

static void dirs_work(uv_work_t *req)
{
    struct floe_pipeline *p = req->data;
    for (size_t i = 0; i < p->dirs.n; i++) {
        floe_mkdirs(p->dirs.paths[i], 0755);
    }
}

static void dirs_start(struct floe_pipeline *p);

static void after_dirs(uv_work_t *req, int status)
{
    struct floe_pipeline *p = req->data;
    (void)status;
    dirs_free(p->dirs.paths, p->dirs.n);
    p->dirs.paths = NULL;
    p->dirs.n = 0;
    p->dirs.active = false;
    if (p->state == FLOE_PIPELINE_CLOSING || p->state == FLOE_PIPELINE_CLOSED) {
        dirs_free(p->dirs.pending, p->dirs.npending);
        p->dirs.pending = NULL;
        p->dirs.npending = p->dirs.cap_pending = 0;
        return;
    }
    dirs_start(p);
}

static void dirs_start(struct floe_pipeline *p)
{
    if (p->dirs.active || p->dirs.npending == 0) {
        return;
    }
    p->dirs.paths = p->dirs.pending;
    p->dirs.n = p->dirs.npending;
    p->dirs.pending = NULL;
    p->dirs.npending = p->dirs.cap_pending = 0;
    p->dirs.work.data = p;
    if (uv_queue_work(p->loop, &p->dirs.work, dirs_work, after_dirs) == 0) {
        p->dirs.active = true;
    } else {
        dirs_free(p->dirs.paths, p->dirs.n);
        p->dirs.paths = NULL;
        p->dirs.n = 0;
    }
}

/* After a row was added: queues the directories of the partitions new in the batch. */
static void dirs_note(struct floe_pipeline *p)
{
    uint32_t n = floe_batch_partitions(p->up.data);
    if (n == p->dirs.seen || p->up.data_w.spec.nfields == 0 ||
        !floe_store_is_local(p->table.store)) {
        return; /* nothing new, or no partition directories */
    }
    if (n < p->dirs.seen) {
        p->dirs.seen = 0; /* a new batch */
    }
    for (; p->dirs.seen < n; p->dirs.seen++) {
        const struct ice_value *values;
        uint64_t rows;
        char dir[4096];
        floe_batch_partition(p->up.data, p->dirs.seen, &values, &rows);
        if (floe_table_data_dir(&p->up.data_w, values, dir, sizeof(dir)) < 0) {
            continue;
        }
        if (p->dirs.npending == p->dirs.cap_pending) {
            size_t cap = p->dirs.cap_pending ? 2 * p->dirs.cap_pending : 64;
            char **grown = realloc(p->dirs.pending, cap * sizeof(*grown));
            if (!grown) {
                break; /* a hint only: the commit makes what is missing */
            }
            p->dirs.pending = grown;
            p->dirs.cap_pending = cap;
        }
        char *copy = strdup(floe_store_local_path(dir));
        if (!copy) {
            break;
        }
        p->dirs.pending[p->dirs.npending++] = copy;
    }
    dirs_start(p);
}

/* Decodes m (a value of at most MAX_RECORD bytes) into slot a under the current decoder. */
static void decode_ahead(struct floe_pipeline *p, struct floe_pipeline_ahead *a,
                         const rd_kafka_message_t *m)
{
    a->rc = floe_decode(&p->dec, m->payload, m->len, &a->row);
    a->dec_gen = p->dec_gen;
}

/* A message taken from the queue, before its turn (kafka.h, "Looking ahead"): decoded, and
 * the memory its add will touch asked for. The consumer is not held, so no job owns p->up. */
static void on_ahead(void *ctx, const rd_kafka_message_t *m, unsigned slot, int step)
{
    struct floe_pipeline *p = ctx;
    struct floe_pipeline_ahead *a = &p->ahead[slot];
    if (step == 0) {
        a->dec_gen = 0;
        if (!m->payload || m->len > MAX_RECORD) {
            return; /* rejected in its turn */
        }
        decode_ahead(p, a, m);
    }
    if (a->dec_gen == p->dec_gen && a->rc == 0) {
        floe_upsert_prefetch(&p->up, &a->row, step);
    }
}

static enum floe_kafka_verdict on_message(void *ctx, const rd_kafka_message_t *m, unsigned slot)
{
    struct floe_pipeline *p = ctx;
    struct floe_pipeline_ahead *a = &p->ahead[slot];
    struct floe_pipeline_part *q = part_find(p, m->partition, false);
    char why[FLOE_DECODE_REASON_MAX + 64];
    if (!q || !q->assigned || (q->next >= 0 && m->offset < q->next)) {
        return FLOE_KAFKA_NEXT; /* not ours, or already taken (fetched again after a pause) */
    }
    int rc;
    if (!m->payload) {
        snprintf(why, sizeof(why), "message without a value");
        rc = FLOE_RECORD_REJECTED;
    } else if (m->len > MAX_RECORD) {
        snprintf(why, sizeof(why), "message longer than %u bytes", MAX_RECORD);
        rc = FLOE_RECORD_REJECTED;
    } else {
        if (a->dec_gen != p->dec_gen) {
            decode_ahead(p, a, m); /* not decoded yet, or a reload rebuilt the decoder */
        }
        if (a->rc < 0) {
            snprintf(why, sizeof(why), "%s", a->row.reason);
            rc = FLOE_RECORD_REJECTED;
        } else {
            rc = floe_record_add(&p->up, &p->cfg->validate.rules, &a->row, why, sizeof(why));
        }
    }
    if (rc == -ENOSPC) {
        bool files = p->up.pdata.n + p->up.pdels.n + p->up.pglobs.n > 0;
        if (floe_upsert_rows(&p->up) > 0 || files) {
            /* Full: commit, then take this message again. Held, not paused: the commit
             * follows at once (see start_flush). */
            p->held = true;
            floe_kafka_hold(&p->kafka);
            advance(p);
            return FLOE_KAFKA_HOLD;
        }
        snprintf(why, sizeof(why), "record larger than the batch memory (limits.memory)");
        rc = FLOE_RECORD_REJECTED;
    }
    if (rc < 0) {
        fatal(p, p->up.err[0] ? p->up.err : strerror(-rc));
        floe_kafka_pause(&p->kafka);
        return FLOE_KAFKA_HOLD;
    }
    int dl = rc == FLOE_RECORD_REJECTED ? dead_letter(p, m, why) : 0;
    if (dl == -ENOBUFS) {
        /* The dead-letter producer's queue is full: flush (which waits for its acks), then
         * take this message again. */
        p->held = true;
        floe_kafka_pause(&p->kafka);
        advance(p);
        return FLOE_KAFKA_HOLD;
    }
    if (dl < 0) {
        /* Not taken, so no commit passes it; the stop commits what came before. */
        fatal(p, "cannot produce to the dead-letter topic");
        floe_kafka_pause(&p->kafka);
        return FLOE_KAFKA_HOLD;
    }
    if (rc == FLOE_RECORD_REJECTED) {
        /* in the dead letter (counted there) */
    } else if (rc == FLOE_RECORD_STALE) {
        p->stats.stale++;
    } else {
        p->stats.rows++;
        dirs_note(p);
    }
    p->stats.records++;
    q->next = m->offset + 1;
    p->dirty++;
    if (rc == FLOE_RECORD_ADDED && p->cfg->limits.flush_every_ms &&
        !uv_is_active((uv_handle_t *)&p->flush_timer)) {
        uv_timer_start(&p->flush_timer, on_flush_timer, p->cfg->limits.flush_every_ms, 0);
    }
    if (p->progress && p->stats.records % 4096 == 0) {
        p->progress(p->progress_ctx, &p->stats);
    }
    if ((p->cfg->limits.flush_rows > 0 &&
         floe_upsert_rows(&p->up) >= (uint64_t)p->cfg->limits.flush_rows) ||
        (p->cfg->limits.flush_bytes > 0 &&
         floe_batch_bytes(p->up.data) >= p->cfg->limits.flush_bytes)) {
        p->flush_wanted = true;
        floe_kafka_hold(&p->kafka); /* the commit follows: keep librdkafka's queue */
        advance(p);
        return FLOE_KAFKA_PAUSE;
    }
    return FLOE_KAFKA_NEXT;
}

/* The pending assignment, with each partition's offset from the table as last loaded, given to
 * the consumer (on the loop, after the ASSIGN job). loaded is that job's result, or why it
 * could not start: below 0, the table as loaded before is used, and that is logged. */
static void apply_assignment(struct floe_pipeline *p, int loaded)
{
    if (loaded < 0) {
        FLOE_WARN(MODULE, "cannot reload the table; its last loaded offsets are used\terror=\"%s\"",
                  p->load.err[0] ? p->load.err : strerror(-loaded));
    }
    rd_kafka_topic_partition_list_t *list = p->assignment;
    rd_kafka_topic_partition_list_t *starts = p->load.starts; /* resolved by the job */
    p->assignment = NULL;
    p->load.starts = NULL;
    int64_t start = logical_start(p->cfg);
    if (starts && p->load.start != start) {
        /* A reload changed kafka.start while the job ran: its answers are for the old one. */
        rd_kafka_topic_partition_list_destroy(starts);
        starts = NULL;
    }
    if (starts && p->load.resolved < 0) {
        FLOE_WARN(MODULE, "kafka.start not resolved by every partition's leader; librdkafka "
                          "looks it up for those\tstart=%s",
                  p->cfg->kafka.start);
    }
    if (!list) {
        if (starts) {
            rd_kafka_topic_partition_list_destroy(starts);
        }
        return;
    }
    cJSON *map = table_offsets(p->table.meta, p->offsets_key, false);
    for (int i = 0; i < list->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        struct floe_pipeline_part *q = part_find(p, tp->partition, true);
        if (!q) {
            fatal(p, "out of memory");
            break;
        }
        int64_t at = map_get(map, tp->partition);
        q->assigned = true;
        q->committed = q->next = at;
        const rd_kafka_topic_partition_t *r =
            at < 0 && starts ? rd_kafka_topic_partition_list_find(starts, tp->topic, tp->partition)
                             : NULL;
        tp->offset = at >= 0 ? at : r && r->offset >= 0 ? r->offset : start;
        q->origin = at < 0 && tp->offset >= 0 ? tp->offset : -1;
        char where[64];
        if (at >= 0) {
            snprintf(where, sizeof(where), "%" PRId64, at);
        } else if (tp->offset >= 0) {
            snprintf(where, sizeof(where), "%" PRId64 " start=%s", tp->offset,
                     p->cfg->kafka.start);
        } else {
            snprintf(where, sizeof(where), "%s", p->cfg->kafka.start);
        }
        FLOE_INFO(MODULE, "partition assigned\tpartition=%" PRId32 " offset=%s", tp->partition,
                  where);
    }
    cJSON_Delete(map);
    if (starts) {
        rd_kafka_topic_partition_list_destroy(starts);
    }
    floe_kafka_assign(&p->kafka, list);
    rd_kafka_topic_partition_list_destroy(list);
}

/* An assignment: answered once the table has been loaded for its offsets (advance starts the
 * ASSIGN job; the consumer drains nothing until floe_kafka_assign). */
static void on_assign(void *ctx, rd_kafka_topic_partition_list_t *parts)
{
    struct floe_pipeline *p = ctx;
    if (p->assignment) {
        rd_kafka_topic_partition_list_destroy(p->assignment); /* not expected: one at a time */
    }
    p->assignment =
        parts ? rd_kafka_topic_partition_list_copy(parts) : rd_kafka_topic_partition_list_new(0);
    advance(p);
}

/* The consumer has read a backlog to the end of every partition (kafka.h, "Catching up"):
 * commit it now rather than at flush_every — those records are late already, and a batch
 * that a timer commit left small after most of a backlog would otherwise wait one more
 * flush_every. (With nothing to write, start_flush does nothing.) */
static void on_caught_up(void *ctx)
{
    struct floe_pipeline *p = ctx;
    if (!p->up_open) {
        return;
    }
    FLOE_DEBUG(MODULE, "caught up: committing the backlog\trows=%" PRIu64,
               floe_upsert_rows(&p->up));
    p->flush_wanted = true; /* in another state, advance() takes it up when that ends */
    if (p->state == FLOE_PIPELINE_IDLE) {
        floe_kafka_hold(&p->kafka); /* the commit follows: keep librdkafka's queue */
        advance(p);
    }
}

static void on_revoke(void *ctx, const rd_kafka_topic_partition_list_t *parts)
{
    struct floe_pipeline *p = ctx;
    (void)parts; /* everything is flushed: under the eager protocol every partition goes */
    p->revoke_pending = true;
    p->flush_wanted = true;
    advance(p);
}

static int open_kafka(struct floe_pipeline *p)
{
    static const struct floe_kafka_handler h = {on_message, on_assign, on_revoke, on_caught_up,
                                                on_ahead};
    char err[512];
    free(p->topic);
    free(p->offsets_key);
    p->topic = strdup(p->cfg->kafka.topic);
    size_t n = strlen(p->cfg->kafka.topic) + 32;
    p->offsets_key = malloc(n);
    if (!p->topic || !p->offsets_key) {
        return -ENOMEM;
    }
    snprintf(p->offsets_key, n, "floe.offsets.%s", p->topic);
    int rc = floe_kafka_open(&p->kafka, p->loop, p->cfg, &h, p, err, sizeof(err));
    if (rc < 0) {
        FLOE_ERROR(MODULE, "cannot start the consumer\terror=\"%s\"", err);
        return rc;
    }
    p->kafka_open = true;
    FLOE_INFO(MODULE, "consuming\ttopic=%s group=%s brokers=\"%s\"", p->topic, p->cfg->kafka.group,
              p->cfg->kafka.brokers);
    return 0;
}

/* ---- Agent hooks ---- */

static void on_reload(void *ctx, const struct floe_config *old, const struct floe_config *next)
{
    struct floe_pipeline *p = ctx;
    p->cfg = next;
    if (p->up_open && p->state != FLOE_PIPELINE_COMMITTING && p->state != FLOE_PIPELINE_LOADING) {
        p->up.cfg = next; /* the old config is freed after the hooks; a job's end sets it */
    }
    p->flush_wanted = true;
    p->rebuild_pending = true;
    bool same = cfg_equal(old->kafka.brokers, next->kafka.brokers) &&
                cfg_equal(old->kafka.topic, next->kafka.topic) &&
                cfg_equal(old->kafka.group, next->kafka.group) &&
                old->kafka.nrdkafka == next->kafka.nrdkafka;
    for (size_t i = 0; same && i < old->kafka.nrdkafka; i++) {
        same = cfg_equal(old->kafka.rdkafka[i].name, next->kafka.rdkafka[i].name) &&
               cfg_equal(old->kafka.rdkafka[i].value, next->kafka.rdkafka[i].value);
    }
    if (!same) {
        p->reconnect_pending = true;
    }
    if (!same_table_store(old, next)) {
        p->reopen_table = true;
    }
    if (p->state == FLOE_PIPELINE_IDLE && p->kafka_open) {
        floe_kafka_pause(&p->kafka);
    }
    advance(p);
}

static void on_stop(void *ctx)
{
    struct floe_pipeline *p = ctx;
    if (p->state == FLOE_PIPELINE_COMMITTING || p->state == FLOE_PIPELINE_LOADING) {
        /* The job owns the upsert state: the flush follows when it lands. */
        FLOE_INFO(MODULE,
                  "stopping: flushing and leaving the group once the running job "
                  "lands\tjob=%s",
                  p->state == FLOE_PIPELINE_COMMITTING ? "commit" : "table load");
    } else {
        FLOE_INFO(MODULE, "stopping: flushing and leaving the group\trows=%" PRIu64,
                  p->up_open ? floe_upsert_rows(&p->up) : 0);
    }
    p->stopping = true;
    p->flush_wanted = true;
    if (p->kafka_open && p->state == FLOE_PIPELINE_IDLE) {
        floe_kafka_pause(&p->kafka);
    }
    if (p->state == FLOE_PIPELINE_BACKOFF) {
        /* Try at once rather than at the end of the backoff. */
        uv_timer_stop(&p->retry_timer);
        p->state = FLOE_PIPELINE_IDLE;
    }
    advance(p);
}

int floe_pipeline_start(struct floe_pipeline *p, struct floe_agent *agent)
{
    memset(p, 0, sizeof(*p));
    p->agent = agent;
    p->loop = agent->loop;
    p->cfg = agent->cfg;
    p->dead.fd = -1;
    p->state = FLOE_PIPELINE_IDLE;
    /* Handles and hooks first: from here a stop (also after a failure below) closes them. */
    uv_timer_init(p->loop, &p->flush_timer);
    uv_timer_init(p->loop, &p->retry_timer);
    p->flush_timer.data = p;
    p->retry_timer.data = p;
    p->open_handles = 2;
    int rc;
    if ((rc = floe_agent_on_reload(agent, on_reload, p)) < 0 ||
        (rc = floe_agent_on_stop(agent, on_stop, p)) < 0) {
        return rc;
    }
    if ((rc = floe_table_open(p->cfg, &p->table)) < 0) {
        FLOE_ERROR(MODULE, "cannot open the table\terror=\"%s\"", p->table.err);
        return rc;
    }
    /* The one load on the caller's thread: the loop does not run yet (nothing is consumed,
     * signals wait), so blocking on the store here stops nothing. Every later load is a table
     * job (LOADING). */
    rc = open_upsert(p, p->cfg);
    report_upsert(p, rc);
    if (rc < 0) {
        return rc;
    }
    /* A record's scratch never needs more than its length: pages of it are touched only by
     * long strings with escapes. */
    bool scratch = true;
    for (int i = 0; i < FLOE_KAFKA_AHEAD; i++) {
        p->ahead[i].row.scratch_cap = MAX_RECORD + 1;
        p->ahead[i].row.scratch = malloc(p->ahead[i].row.scratch_cap);
        scratch = scratch && p->ahead[i].row.scratch;
    }
    p->job.value_cap = OFFSETS_VALUE_CAP;
    p->job.value = malloc(p->job.value_cap);
    if (!scratch || !p->job.value) {
        FLOE_ERROR(MODULE, "out of memory");
        return -ENOMEM;
    }
    strcpy(p->job.value, "{}");
    if (p->cfg->dead_letter.topic && *p->cfg->dead_letter.topic) {
        char err[512];
        if ((rc = floe_dlq_open(&p->dlq, p->loop, p->cfg, on_dlq_progress, p, err, sizeof(err))) <
            0) {
            FLOE_ERROR(MODULE, "cannot start the dead-letter producer\terror=\"%s\"", err);
            return rc;
        }
        p->dlq_open = true;
        p->open_handles++; /* released by on_dlq_closed */
        FLOE_INFO(MODULE, "rejected records go to the dead-letter topic\ttopic=%s", p->dlq.topic);
    } else if (floe_dead_letter_open(&p->dead, p->cfg) < 0) {
        return -EIO;
    }
    return open_kafka(p);
}

void floe_pipeline_free(struct floe_pipeline *p)
{
    if (p->state == FLOE_PIPELINE_COMMITTING || p->state == FLOE_PIPELINE_LOADING) {
        /* The loop ended on the shutdown timeout with a job still running on a worker: its
         * state cannot be released safely; the process is about to exit. */
        return;
    }
    if (p->kafka_open) {
        floe_kafka_abandon(&p->kafka);
        p->kafka_open = false;
    }
    if (p->dlq_open) {
        if (p->dlq.pending) {
            FLOE_WARN(MODULE,
                      "dead letters not delivered at the shutdown timeout; their records "
                      "were not committed\tcount=%" PRIu64,
                      p->dlq.pending);
        }
        floe_dlq_abandon(&p->dlq);
        p->dlq_open = false;
    }
    if (p->assignment) {
        rd_kafka_topic_partition_list_destroy(p->assignment);
    }
    if (p->load.starts) {
        rd_kafka_topic_partition_list_destroy(p->load.starts);
    }
    floe_config_free(p->load.cfg);
    if (p->load.reopen) {
        floe_table_close(&p->load.fresh);
    }
    close_upsert(p);
    floe_table_close(&p->table);
    floe_dead_letter_close(&p->dead);
    for (int i = 0; i < FLOE_KAFKA_AHEAD; i++) {
        free(p->ahead[i].row.scratch);
    }
    dirs_free(p->dirs.paths, p->dirs.n); /* the loop has run out: no job runs */
    dirs_free(p->dirs.pending, p->dirs.npending);
    free(p->job.parts);
    free(p->job.value);
    free(p->parts);
    free(p->topic);
    free(p->offsets_key);
    memset(p, 0, sizeof(*p));
}
