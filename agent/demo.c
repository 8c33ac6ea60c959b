/* demo.c — `floe demo`: a mock Kafka cluster, a users producer and the pipeline in one process.
 *
 * Everything runs on one libuv loop. The producer is an idle handle that hands a chunk of
 * records to librdkafka per loop iteration (a full local queue just ends the chunk) and a
 * timer that serves delivery reports; the pipeline is the one `floe run` starts, on the
 * agent the demo builds from its embedded config. A tick timer draws the progress line and
 * notices the end: the producer done, every delivered record taken by the pipeline, nothing
 * left buffered. Then the agent is stopped as by SIGTERM (the pipeline flushes, leaves the
 * group, the demo's handles close) and the summary is printed from the table's metadata.
 */
#define _XOPEN_SOURCE 700
#include "demo.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "agent.h"
#include "config.h"
#include "deadletter.h"
#include "fsutil.h"
#include "log.h"
#include "mockkafka.h"
#include "pipeline.h"
#include "table.h"
#include "userstream.h"

#define MODULE "demo"
#define TOPIC "users"
#define CHUNK 2000            /* records handed to librdkafka per loop iteration */
#define MARKER "# floe demo" /* first line of floe.conf: the directory is the demo's */

const char floe_demo_usage[] =
    "usage: floe demo [--records N] [--keys N] [--seed N] [--dir PATH]\n"
    "\n"
    "Runs the whole pipeline in one process: an in-process mock Kafka cluster, a producer of\n"
    "users records (with duplicates, stale versions and invalid records) and the pipeline of\n"
    "'floe run', into the local table db.users under PATH/warehouse. PATH (./floe-demo) is\n"
    "wiped at start; it receives floe.conf (the config used), dead-letter.ndjson, state/ and\n"
    "produced.ndjson (every record produced). When every record is in the table or the dead\n"
    "letter, the pipeline stops and a summary shows the table and how to query it.\n"
    "  --records N   records to produce (200000)\n"
    "  --keys N      distinct ids, 1..N (records / 4)\n"
    "  --seed N      the generator's seed (1)\n"
    "  --dir PATH    the demo directory (./floe-demo)";

struct demo_opts {
    uint64_t records;
    uint32_t keys;
    uint64_t seed;
    const char *dir;
};

struct demo {
    struct demo_opts opt;
    char dir[PATH_MAX];     /* absolute */
    char conf_path[PATH_MAX + 16];
    uv_loop_t loop;
    struct floe_agent agent;
    bool agent_init;
    struct floe_pipeline pipe;
    bool pipe_started;
    struct floe_mockkafka mock;
    int partitions;
    rd_kafka_t *rk;
    struct floe_userstream us;
    FILE *log; /* produced.ndjson */
    uint8_t rec[FLOE_USERSTREAM_RECORD_MAX];
    struct floe_userstream_record meta;
    bool pending; /* rec holds a record librdkafka has not taken yet */
    uint64_t produced, delivered, undelivered;
    bool generated_all, producer_done, finished, failed, stopping;
    char why[512];
    uv_idle_t produce_idle;
    uv_timer_t poll_timer;
    uv_timer_t tick_timer;
    int open_handles;
    bool tty;
    uint64_t started_ms, last_log_ms, ticks;
    uint64_t rows_committed, last_commits;
};

/* ---- Options ---- */

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') {
        return -EINVAL;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, struct demo_opts *o)
{
    bool keys_set = false;
    o->records = 200000;
    o->seed = 1;
    o->dir = "floe-demo";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("%s\n", floe_demo_usage);
            return 0;
        }
        bool known = strcmp(a, "--records") == 0 || strcmp(a, "--keys") == 0 ||
                     strcmp(a, "--seed") == 0 || strcmp(a, "--dir") == 0;
        if (!known) {
            fprintf(stderr, "floe demo: unexpected argument '%s'\n%s\n", a, floe_demo_usage);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "floe demo: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        uint64_t n = 0;
        int rc = 0;
        if (strcmp(a, "--records") == 0) {
            rc = parse_u64(v, 1, UINT64_C(100000000), &o->records);
        } else if (strcmp(a, "--keys") == 0) {
            rc = parse_u64(v, 1, FLOE_USERSTREAM_KEYS_MAX, &n);
            o->keys = (uint32_t)n;
            keys_set = true;
        } else if (strcmp(a, "--seed") == 0) {
            rc = parse_u64(v, 0, UINT64_MAX, &o->seed);
        } else if (!*v) {
            rc = -EINVAL;
        } else {
            o->dir = v;
        }
        if (rc < 0) {
            fprintf(stderr, "floe demo: %s: '%s' is not a valid value\n", a, v);
            return 2;
        }
    }
    if (!keys_set) {
        uint64_t k = o->records / 4 ? o->records / 4 : 1;
        o->keys = (uint32_t)(k > FLOE_USERSTREAM_KEYS_MAX ? FLOE_USERSTREAM_KEYS_MAX : k);
    }
    return -1;
}

/* ---- The demo directory ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Empties dir (created if missing) when it is a demo directory from an earlier run (its
 * floe.conf starts with MARKER) or empty; refuses anything else. Sets d->dir to its absolute
 * path. Returns 0, or -1 with the reason printed. */
static int prepare_dir(struct demo *d)
{
    const char *dir = d->opt.dir;
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr, "floe demo: %s exists and is not a directory\n", dir);
            return -1;
        }
        char path[PATH_MAX], head[sizeof(MARKER)] = {0};
        snprintf(path, sizeof(path), "%s/floe.conf", dir);
        FILE *f = fopen(path, "r");
        bool ours = f && fread(head, 1, sizeof(head) - 1, f) == sizeof(head) - 1 &&
                    memcmp(head, MARKER, sizeof(head) - 1) == 0;
        if (f) {
            fclose(f);
        }
        if (!ours && rmdir(dir) != 0 && errno != ENOENT) {
            fprintf(stderr,
                    "floe demo: %s is not empty and is not a demo directory (no floe.conf written "
                    "by 'floe demo'); not wiping it\n",
                    dir);
            return -1;
        }
        if (ours && nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
            fprintf(stderr, "floe demo: cannot wipe %s: %s\n", dir, strerror(errno));
            return -1;
        }
    }
    int rc = floe_mkdirs(dir, 0755);
    if (rc < 0 || !realpath(dir, d->dir)) {
        fprintf(stderr, "floe demo: cannot create %s: %s\n", dir, strerror(rc < 0 ? -rc : errno));
        return -1;
    }
    snprintf(d->conf_path, sizeof(d->conf_path), "%s/floe.conf", d->dir);
    return 0;
}

/* Writes the demo's config to floe.conf. Returns 0, or -1 with the reason printed. */
static int write_config(struct demo *d)
{
    FILE *f = fopen(d->conf_path, "w");
    if (!f) {
        fprintf(stderr, "floe demo: cannot write %s: %s\n", d->conf_path, strerror(errno));
        return -1;
    }
    fprintf(f,
            MARKER ": the config it ran with. Its Kafka cluster lived inside the demo process,\n"
            "# so kafka.brokers is gone; `floe table show|snapshots -c` this file works.\n"
            "[kafka]\n"
            "brokers = %s\n"
            "topic = " TOPIC "\n"
            "group = floe-demo\n"
            "start = earliest\n"
            "[table]\n"
            "warehouse = %s/warehouse\n"
            "namespace = db\n"
            "name = users\n"
            "schema = id long required, name string, email string, signup_ts timestamptz, "
            "age int\n"
            "partition = day(signup_ts), bucket(16, id)\n"
            "key = id\n"
            "version = signup_ts\n"
            "[validate]\n"
            "age = min 0, max 150\n"
            "name = max_length 200\n"
            "[dead_letter]\n"
            "file = %s/dead-letter.ndjson\n"
            "[dedup]\n"
            "memory = 16M\n"
            "[limits]\n"
            "memory = 128M\n"
            /* Commits of 10,000 rows: several snapshots, and later versions of an id
             * replacing earlier ones with equality deletes, as a live stream has them. */
            "flush_rows = 10000\n"
            "flush_bytes = 48M\n"
            "flush_every = 2s\n"
            "[agent]\n"
            "state_dir = %s/state\n"
            "shutdown_timeout = 30s\n"
            "log_level = %s\n",
            floe_mockkafka_bootstrap(&d->mock), d->dir, d->dir, d->dir, d->tty ? "warn" : "info");
    if (fclose(f) != 0) {
        fprintf(stderr, "floe demo: cannot write %s: %s\n", d->conf_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- The producer ---- */

static void fail(struct demo *d, const char *why)
{
    if (!d->failed) {
        d->failed = true;
        snprintf(d->why, sizeof(d->why), "%s", why);
        FLOE_ERROR(MODULE, "%s", why);
    }
    floe_agent_stop(&d->agent);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct demo *d = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        d->delivered++;
    } else {
        d->undelivered++;
        char why[300];
        snprintf(why, sizeof(why), "a record was not delivered: %s", rd_kafka_err2str(m->err));
        fail(d, why);
    }
}

static int make_producer(struct demo *d)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", floe_mockkafka_bootstrap(&d->mock), err,
                          sizeof(err)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "floe-demo-producer", err, sizeof(err)) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "2", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        goto fail;
    }
    rd_kafka_conf_set_opaque(conf, d);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!d->rk) {
        goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "floe demo: cannot create the producer: %s\n", err);
    rd_kafka_conf_destroy(conf);
    return -1;
}

/* Appends the record in d->rec to produced.ndjson. */
static int log_record(struct demo *d)
{
    char value[FLOE_USERSTREAM_RECORD_MAX * 6 + 8];
    if (floe_json_string(value, sizeof(value), d->rec, d->meta.len) < 0) {
        return -ENOSPC;
    }
    if (fprintf(d->log, "{\"seq\":%" PRIu64 ",\"kind\":\"%s\",\"valid\":%s,\"value\":%s}\n",
                d->meta.seq, floe_userstream_kind_name(d->meta.kind),
                d->meta.valid ? "true" : "false", value) < 0) {
        return -EIO;
    }
    return 0;
}

static void on_produce(uv_idle_t *h)
{
    struct demo *d = h->data;
    for (int i = 0; i < CHUNK && !d->stopping; i++) {
        if (!d->pending) {
            int rc = floe_userstream_next(&d->us, d->rec, sizeof(d->rec), &d->meta);
            if (rc == -ENODATA) {
                d->generated_all = true;
                uv_idle_stop(h);
                break;
            }
            if (rc < 0) {
                fail(d, "the record generator failed");
                return;
            }
            if (log_record(d) < 0) {
                fail(d, "cannot write produced.ndjson");
                return;
            }
            d->pending = true;
        }
        char key[16];
        if (d->meta.valid) {
            snprintf(key, sizeof(key), "%" PRIu32, d->meta.id);
        } else {
            snprintf(key, sizeof(key), "invalid");
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            d->rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE(d->rec, d->meta.len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            break; /* the poll timer serves delivery reports; the next iteration goes on */
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            char why[300];
            snprintf(why, sizeof(why), "cannot produce: %s", rd_kafka_err2str(err));
            fail(d, why);
            return;
        }
        d->pending = false;
        d->produced++;
    }
    rd_kafka_poll(d->rk, 0);
}

static void on_poll(uv_timer_t *t)
{
    struct demo *d = t->data;
    rd_kafka_poll(d->rk, 0);
    if (d->generated_all && !d->producer_done && d->delivered + d->undelivered == d->produced) {
        d->producer_done = true;
        fflush(d->log);
        FLOE_INFO(MODULE, "producer done\trecords=%" PRIu64 " delivered=%" PRIu64, d->produced,
                  d->delivered);
        uv_timer_stop(t);
    }
}

/* ---- Progress and the end ---- */

static void on_progress(void *ctx, const struct floe_pipeline_stats *s)
{
    struct demo *d = ctx;
    if (s->commits != d->last_commits) {
        d->rows_committed += d->pipe.job.rows;
        d->last_commits = s->commits;
    }
}

static void show_progress(struct demo *d, bool final)
{
    const struct floe_pipeline_stats *s = &d->pipe.stats;
    if (d->tty) {
        fprintf(stderr,
                "\rproduced %" PRIu64 "  consumed %" PRIu64 "  rows committed %" PRIu64
                "  stale dropped %" PRIu64 "  dead-lettered %" PRIu64 "  commits %" PRIu64 "\033[K%s",
                d->produced, s->records, d->rows_committed, s->stale, s->rejected, s->commits,
                final ? "\n" : "");
        fflush(stderr);
    } else {
        FLOE_INFO(MODULE,
                  "progress\tproduced=%" PRIu64 " consumed=%" PRIu64 " rows_committed=%" PRIu64
                  " stale=%" PRIu64 " dead_lettered=%" PRIu64 " commits=%" PRIu64,
                  d->produced, s->records, d->rows_committed, s->stale, s->rejected, s->commits);
    }
}

static bool all_committed(struct demo *d)
{
    const struct floe_pipeline *p = &d->pipe;
    if (!d->producer_done || p->stats.records < d->delivered || p->state != FLOE_PIPELINE_IDLE) {
        return false;
    }
    if (!p->up_open) {
        return false;
    }
    return floe_upsert_rows(&p->up) == 0 && p->up.pdata.n + p->up.pdels.n + p->up.pglobs.n == 0;
}

static void on_tick(uv_timer_t *t)
{
    struct demo *d = t->data;
    uint64_t now = uv_now(&d->loop);
    d->ticks++;
    if (d->tty || now - d->last_log_ms >= 2000) {
        d->last_log_ms = now;
        show_progress(d, false);
    }
    if (!d->finished && !d->stopping && all_committed(d)) {
        d->finished = true;
        FLOE_INFO(MODULE, "every record is committed; stopping");
        floe_agent_stop(&d->agent);
    }
}

static void on_closed(uv_handle_t *h)
{
    struct demo *d = h->data;
    if (--d->open_handles == 0) {
        floe_agent_stop_done(&d->agent);
    }
}

/* The agent's stop hook: the producer stops (a record not delivered yet is dropped with the
 * producer after the loop) and the demo's handles close. */
static void on_stop(void *ctx)
{
    struct demo *d = ctx;
    d->stopping = true;
    uv_close((uv_handle_t *)&d->produce_idle, on_closed);
    uv_close((uv_handle_t *)&d->poll_timer, on_closed);
    uv_close((uv_handle_t *)&d->tick_timer, on_closed);
}

/* ---- The summary ---- */

static const char *summary_of(const struct floe_meta *meta, const char *key)
{
    const struct floe_meta_snapshot *s = floe_meta_find_snapshot(meta, meta->current_snapshot_id);
    const char *v = s ? floe_meta_summary_get(s, key) : NULL;
    return v ? v : "0";
}

static int print_summary(struct demo *d, const struct floe_config *cfg, double seconds)
{
    struct floe_table t;
    memset(&t, 0, sizeof(t));
    int rc = floe_table_open(cfg, &t);
    if (rc == 0) {
        rc = floe_table_load(&t);
    }
    if (rc < 0) {
        fprintf(stderr, "floe demo: cannot read the table: %s\n", t.err);
        floe_table_close(&t);
        return -1;
    }
    const struct floe_pipeline_stats *s = &d->pipe.stats;
    char table[PATH_MAX + 32];
    snprintf(table, sizeof(table), "%s/warehouse/db/users", d->dir);
    printf("\nfloe demo: %" PRIu64 " records in %.1f s (%.0f records/s) through the pipeline of "
           "'floe run'\n\n",
           s->records, seconds, seconds > 0 ? (double)s->records / seconds : 0.0);
    printf("  records in         %" PRIu64 " produced to a mock Kafka topic of %d partitions, "
           "%" PRIu64 " consumed\n",
           d->produced, d->partitions, s->records);
    printf("  rows in the table  %" PRIu32 " (one per id: its latest valid version)\n",
           d->us.distinct);
    printf("  stale dropped      %" PRIu64 " (not newer than the id's row: stale or equal "
           "versions)\n",
           s->stale);
    printf("  dead-lettered      %" PRIu64 " of %" PRIu64 " invalid records produced, in\n"
           "                     %s/dead-letter.ndjson\n",
           s->rejected, d->us.kinds[FLOE_USERSTREAM_INVALID], d->dir);
    printf("  snapshots          %zu (%" PRIu64 " commits by the pipeline)\n", t.meta->nsnapshots,
           s->commits);
    printf("  files              %s data files (%s records), %s equality-delete files (%s "
           "deletes)\n",
           summary_of(t.meta, "total-data-files"), summary_of(t.meta, "total-records"),
           summary_of(t.meta, "total-delete-files"),
           summary_of(t.meta, "total-equality-deletes"));
    printf("  table              %s (metadata v%" PRId64 ", named in "
           "metadata/version-hint.text)\n",
           table, t.version);
    printf("  config             %s\n", d->conf_path);
    printf("  produced records   %s/produced.ndjson\n\n", d->dir);
    printf("Look at it:\n\n"
           "  build/floe table snapshots -c %s\n"
           "  build/floe table show -c %s\n\n",
           d->conf_path, d->conf_path);
    printf("Query it with DuckDB (the iceberg extension is downloaded by INSTALL: needs network):\n"
           "\n"
           "  duckdb -c \"INSTALL iceberg; LOAD iceberg; SELECT count(*) AS rows, max(signup_ts) "
           "FROM iceberg_scan('%s', version => '%" PRId64 "');\"\n\n",
           table, t.version);
    printf("Spark (a hadoop catalog on the warehouse):\n\n"
           "  spark-sql --packages org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.6.1 \\\n"
           "    --conf spark.sql.extensions="
           "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions \\\n"
           "    --conf spark.sql.catalog.demo=org.apache.iceberg.spark.SparkCatalog \\\n"
           "    --conf spark.sql.catalog.demo.type=hadoop \\\n"
           "    --conf spark.sql.catalog.demo.warehouse=file://%s/warehouse \\\n"
           "    -e \"SELECT count(*) FROM demo.db.users\"\n\n",
           d->dir);
    printf("Trino: its Iceberg connector has no hadoop (file-system) catalog. Use a catalog of\n"
           "type jdbc, rest or hive_metastore, with iceberg.register-table-procedure.enabled=true\n"
           "and local files allowed (fs.native-local.enabled=true), then register the table:\n\n"
           "  CALL iceberg.system.register_table(schema_name => 'db', table_name => 'users',\n"
           "    table_location => 'file://%s');\n"
           "  SELECT count(*) FROM iceberg.db.users;\n",
           table);
    floe_table_close(&t);
    return 0;
}

/* ---- The command ---- */

static int run(struct demo *d)
{
    char err[512];
    /* About 5 MiB per partition is kept by the mock: at most ~1.5 MiB of records in each. */
    uint64_t parts = d->opt.records * 160 / (3u << 19) + 1;
    d->partitions = (int)(parts < 8 ? 8 : parts > FLOE_MOCKKAFKA_PARTITIONS_MAX
                                              ? FLOE_MOCKKAFKA_PARTITIONS_MAX
                                              : parts);
    if (floe_mockkafka_start(&d->mock, 1, TOPIC, d->partitions, err, sizeof(err)) < 0) {
        fprintf(stderr, "floe demo: cannot start the mock Kafka cluster: %s\n", err);
        return 1;
    }
    if (write_config(d) < 0) {
        return 1;
    }
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = floe_config_load(d->conf_path, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.items[i]);
    }
    floe_cfg_errors_free(&errs);
    if (!cfg) {
        return 1;
    }
    struct floe_userstream_options uo = {
        .count = d->opt.records,
        .keys = d->opt.keys,
        .seed = d->opt.seed,
        .duplicates = 0.30,
        .stale = 0.05,
        .equal = 0.02,
        .invalid = 0.01,
        .day_moves = 0.2,
        .days = 7, /* a week of signups: 7 × 16 day × bucket partitions */
    };
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/produced.ndjson", d->dir);
    if (floe_userstream_init(&d->us, &uo) < 0 || !(d->log = fopen(path, "w")) ||
        make_producer(d) < 0) {
        fprintf(stderr, "floe demo: cannot start the producer (%s)\n", strerror(errno));
        floe_config_free(cfg);
        return 1;
    }
    if (uv_loop_init(&d->loop) < 0) {
        floe_config_free(cfg);
        return 1;
    }
    int rc = floe_agent_init(&d->agent, &d->loop, cfg, NULL);
    d->agent_init = true;
    if (rc < 0) {
        uv_loop_close(&d->loop);
        return 1;
    }
    FLOE_INFO(MODULE, "started\trecords=%" PRIu64 " keys=%" PRIu32 " partitions=%d dir=\"%s\"",
              d->opt.records, d->opt.keys, d->partitions, d->dir);
    uv_update_time(&d->loop);
    d->started_ms = uv_now(&d->loop);
    d->pipe_started = true;
    bool failed = floe_pipeline_start(&d->pipe, &d->agent) < 0;
    d->pipe.progress = on_progress;
    d->pipe.progress_ctx = d;
    uv_idle_init(&d->loop, &d->produce_idle);
    uv_timer_init(&d->loop, &d->poll_timer);
    uv_timer_init(&d->loop, &d->tick_timer);
    d->produce_idle.data = d->poll_timer.data = d->tick_timer.data = d;
    d->open_handles = 3;
    if (floe_agent_on_stop(&d->agent, on_stop, d) < 0) {
        failed = true; /* cannot happen with the hooks the pipeline takes */
    }
    if (failed) {
        floe_agent_stop(&d->agent);
    } else {
        uv_idle_start(&d->produce_idle, on_produce);
        uv_timer_start(&d->poll_timer, on_poll, 10, 10);
        uv_timer_start(&d->tick_timer, on_tick, 200, 200);
    }
    uv_run(&d->loop, UV_RUN_DEFAULT);
    uv_update_time(&d->loop);
    double seconds = (double)(uv_now(&d->loop) - d->started_ms) / 1000.0;
    if (d->agent.stop_timed_out) {
        floe_agent_close_rest(&d->agent);
    }
    if (uv_loop_close(&d->loop) < 0) {
        FLOE_ERROR(MODULE, "loop closed with handles still open");
    }
    failed = failed || d->pipe.failed || d->failed;
    if (d->tty) {
        show_progress(d, true);
    }
    if (!failed && !d->finished) {
        fprintf(stderr, "floe demo: stopped before every record was committed\n");
        return 1;
    }
    if (failed) {
        fprintf(stderr, "floe demo: failed%s%s\n", d->why[0] ? ": " : "", d->why);
        return 1;
    }
    if (d->pipe.stats.rejected != d->us.kinds[FLOE_USERSTREAM_INVALID]) {
        fprintf(stderr, "floe demo: %" PRIu64 " records dead-lettered, %" PRIu64 " invalid\n",
                d->pipe.stats.rejected, d->us.kinds[FLOE_USERSTREAM_INVALID]);
        return 1;
    }
    return print_summary(d, d->agent.cfg, seconds) < 0 ? 1 : 0;
}

int floe_demo_main(int argc, char **argv)
{
    struct demo *d = calloc(1, sizeof(*d));
    if (!d) {
        fprintf(stderr, "floe demo: out of memory\n");
        return 1;
    }
    int rc = parse_opts(argc, argv, &d->opt);
    if (rc >= 0) {
        free(d);
        return rc;
    }
    d->tty = isatty(2) == 1;
    rc = prepare_dir(d) < 0 ? 1 : run(d);
    if (d->pipe_started) {
        floe_pipeline_free(&d->pipe);
    }
    if (d->agent_init) {
        floe_agent_free(&d->agent);
    }
    if (d->rk) {
        rd_kafka_purge(d->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(d->rk, 0);
        rd_kafka_destroy(d->rk);
    }
    floe_mockkafka_stop(&d->mock);
    if (d->log && fclose(d->log) != 0 && rc == 0) {
        fprintf(stderr, "floe demo: cannot write produced.ndjson\n");
        rc = 1;
    }
    floe_userstream_free(&d->us);
    floe_env_clear();
    free(d);
    return rc;
}
