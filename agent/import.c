/* import.c — `floe import`: newline-delimited JSON files into the config's Iceberg table.
 *
 * The write path without Kafka: each line is decoded against the config's columns, checked
 * against the [validate] rules, and handed to the upsert path (upsert.h): with a key column a
 * record replaces its key's row only if its version is newer, older ones are dropped and
 * counted. Rows are committed every limits.flush_rows rows, whenever a batch is full, and at
 * the end, each time as one snapshot (new rows and the equality deletes that retire their
 * keys' old rows). The table is created from the config when it does not exist, and columns
 * added to the config are added to the table first.
 *
 * Memory: limits.memory holds the dedup hash (dedup.memory) and, of the rest, the batches and
 * the Parquet writers (upsert.c), all allocated once; beside them a line buffer and a decode
 * scratch of MAX_LINE each.
 */
#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "deadletter.h"
#include "decode.h"
#include "lines.h"
#include "record.h"
#include "table.h"
#include "upsert.h"

#define MAX_LINE (1u << 20)

struct import_run {
    const struct floe_config *cfg;
    struct floe_table table;
    struct floe_upsert up;
    struct floe_decoder dec;
    struct floe_row row;
    const char *file; /* the input being read */
    struct floe_dead_letter dead;
    uint64_t rows_in, rows_ok, rejected;
    int64_t last_snapshot;
    bool progress;
    double last_progress;
    bool failed;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct import_run *r, bool final)
{
    if (!r->progress) {
        return;
    }
    double now = mono_s();
    if (!final && now - r->last_progress < 0.5) {
        return;
    }
    r->last_progress = now;
    fprintf(stderr, "\r%" PRIu64 " rows imported, %" PRIu64 " stale, %" PRIu64 " rejected, %" PRIu64
                    " commits%s",
            r->rows_ok, r->up.stats.stale, r->rejected, r->up.stats.commits, final ? "\n" : "");
}

/* Commits what is buffered. */
static int commit(struct import_run *r)
{
    int64_t id;
    int rc = floe_upsert_commit(&r->up, NULL, 0, &id);
    if (rc < 0) {
        fprintf(stderr, "floe import: %s\n", r->up.err);
        return rc;
    }
    if (id >= 0) {
        r->last_snapshot = id;
    }
    return 0;
}

/* Reports a rejected record on stderr and in the dead letter. raw may be NULL (not kept). */
static void reject(struct import_run *r, uint64_t lineno, const char *reason, const uint8_t *raw,
                   size_t len, uint64_t raw_len)
{
    char source[4200];
    fprintf(stderr, "%s:%" PRIu64 ": %s\n", r->file, lineno, reason);
    r->rejected++;
    size_t at = (size_t)snprintf(source, sizeof(source), "{\"file\":");
    int n = floe_json_string(source + at, sizeof(source) - at - 40, (const uint8_t *)r->file,
                             strlen(r->file));
    if (n < 0) {
        n = floe_json_string(source + at, sizeof(source) - at - 40, (const uint8_t *)"?", 1);
    }
    snprintf(source + at + (size_t)n, sizeof(source) - at - (size_t)n, ",\"line\":%" PRIu64 "}",
             lineno);
    floe_dead_letter_add(&r->dead, reason, source, raw, len, raw_len);
}

static void on_long(void *ctx, uint64_t lineno)
{
    struct import_run *r = ctx;
    char reason[64];
    snprintf(reason, sizeof(reason), "line longer than %u bytes", MAX_LINE);
    r->rows_in++;
    reject(r, lineno, reason, NULL, 0, MAX_LINE + 1);
}

static int on_line(void *ctx, const uint8_t *line, size_t n, uint64_t lineno)
{
    struct import_run *r = ctx;
    char why[FLOE_DECODE_REASON_MAX + 64];
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    if (i == n) {
        return 0;
    }
    r->rows_in++;
    int rc = floe_record_apply(&r->up, &r->dec, &r->cfg->validate.rules, &r->row, line, n, why,
                               sizeof(why));
    if (rc == -ENOSPC) {
        if ((rc = commit(r)) < 0) {
            r->failed = true;
            return rc;
        }
        rc = floe_record_apply(&r->up, &r->dec, &r->cfg->validate.rules, &r->row, line, n, why,
                               sizeof(why));
        if (rc == -ENOSPC) {
            snprintf(why, sizeof(why), "record larger than the batch memory (limits.memory)");
            rc = FLOE_RECORD_REJECTED;
        }
    }
    if (rc == FLOE_RECORD_REJECTED) {
        reject(r, lineno, why, line, n, n);
        return 0;
    }
    if (rc < 0) {
        r->failed = true;
        return rc;
    }
    if (rc == FLOE_RECORD_STALE) {
        progress(r, false);
        return 0;
    }
    r->rows_ok++;
    if (floe_upsert_rows(&r->up) >= (uint64_t)r->cfg->limits.flush_rows) {
        if ((rc = commit(r)) < 0) {
            r->failed = true;
            return rc;
        }
    }
    progress(r, false);
    return 0;
}

int floe_import_run(const struct floe_config *cfg, const char *const *files, int nfiles,
                    bool show_progress)
{
    struct import_run r;
    uint8_t *buf = NULL;
    int status = 1;
    char changes[2048];
    bool created = false;
    memset(&r, 0, sizeof(r));
    r.dead.fd = -1; /* not open yet */
    r.cfg = cfg;
    r.progress = show_progress;

    if (floe_table_open(cfg, &r.table) < 0) {
        fprintf(stderr, "floe import: %s\n", r.table.err);
        return 1;
    }
    int rc = floe_table_create(&r.table, cfg, &created);
    if (rc < 0 && rc != -EEXIST) {
        fprintf(stderr, "floe import: %s\n", r.table.err);
        goto done;
    }
    /* An existing table whose columns differ is evolved below; its spec must match. */
    if (rc == -EEXIST && floe_table_check_spec(&r.table, cfg) < 0) {
        fprintf(stderr, "floe import: %s\n", r.table.err);
        goto done;
    }
    if ((rc = floe_table_evolve(&r.table, cfg, changes, sizeof(changes))) < 0) {
        fprintf(stderr, "floe import: schema change refused: %s\n", r.table.err);
        goto done;
    }
    if (changes[0]) {
        fprintf(stderr, "floe import: schema updated: %s\n", changes);
    }
    uint64_t memory = cfg->limits.memory;
    if (cfg->table.key && *cfg->table.key) {
        memory -= cfg->dedup.memory; /* the config check keeps 4M or more */
    }
    if (floe_upsert_init(&r.up, cfg, &r.table, memory) < 0) {
        fprintf(stderr, "floe import: %s\n", r.up.err);
        goto done;
    }
    floe_decoder_init(&r.dec, &r.up.data_w.bound);
    if (floe_dead_letter_open(&r.dead, cfg) < 0) {
        goto done;
    }
    r.row.scratch_cap = MAX_LINE + 1;
    r.row.scratch = malloc(r.row.scratch_cap);
    size_t cap = floe_lines_buffer_size(MAX_LINE);
    buf = malloc(cap);
    if (!r.row.scratch || !buf) {
        fprintf(stderr, "floe import: out of memory\n");
        goto done;
    }
    for (int i = 0; i < nfiles; i++) {
        r.file = files[i];
        int fd = strcmp(files[i], "-") == 0 ? 0 : open(files[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "floe import: cannot open %s: %s\n", files[i], strerror(errno));
            goto done;
        }
        rc = floe_read_lines(fd, MAX_LINE, buf, cap, on_line, on_long, &r);
        if (fd > 0) {
            close(fd);
        }
        if (rc < 0) {
            if (!r.failed) {
                fprintf(stderr, "floe import: reading %s: %s\n", files[i], strerror(-rc));
            }
            goto done;
        }
    }
    if (commit(&r) < 0) {
        goto done;
    }
    progress(&r, true);
    const struct floe_upsert_stats *st = &r.up.stats;
    printf("%s.%s: %" PRIu64 " rows in, %" PRIu64 " imported, %" PRIu64 " stale, %" PRIu64
           " rejected, %" PRIu64 " files, %" PRIu64 " commit%s",
           cfg->table.namespace_, cfg->table.name, r.rows_in, r.rows_ok, st->stale, r.rejected,
           st->data_files + st->delete_files, st->commits, st->commits == 1 ? "" : "s");
    if (st->commits) {
        printf(", snapshot %" PRId64, r.last_snapshot);
    }
    printf("%s\n", created ? " (table created)" : "");
    if (r.up.keyed) {
        printf("dedup: %" PRIu64 " keys held, %" PRIu64 " evicted (dedup.memory full), %" PRIu64
               " replaced in place, %" PRIu64 " partition deletes, %" PRIu64 " global deletes\n",
               r.up.dedup.live, r.up.dedup.evictions, st->replaced, st->deletes, st->global);
    }
    if (r.dead.written) {
        printf("%" PRIu64 " rejected record%s written to %s\n", r.dead.written,
               r.dead.written == 1 ? "" : "s", r.dead.path);
    }
    status = r.rejected ? 2 : 0;
done:
    floe_dead_letter_close(&r.dead);
    floe_upsert_free(&r.up);
    floe_table_close(&r.table);
    free(r.row.scratch);
    free(buf);
    return status;
}
