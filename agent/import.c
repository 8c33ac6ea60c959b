/* import.c — `floe import`: newline-delimited JSON files into the config's Iceberg table.
 *
 * The write path without Kafka: each line is decoded against the config's columns, checked
 * against the [validate] rules, given its partition tuple and added to a batch (batch.h). A full batch is written out as one Parquet
 * file per partition; every limits.flush_rows rows, and at the end, the files written so far
 * are committed as one `append` snapshot. The table is created from the config when it does
 * not exist, and columns added to the config are added to the table first.
 *
 * Memory: limits.memory is split between the batch arena (half) and the Parquet writer (a row
 * group of an eighth; its workspace is about twice that), both allocated once.
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

#include "batch.h"
#include "config.h"
#include "deadletter.h"
#include "decode.h"
#include "lines.h"
#include "table.h"

#define MAX_LINE (1u << 20)
/* Partitions one batch holds: day × bucket[16] over two years is about 12,000. A batch flushes
 * when its memory is full, not when it meets a new partition. */
#define MAX_PARTITIONS 32768
/* Files one commit takes at most: their metadata is held until the commit. */
#define MAX_PENDING_FILES 20000

struct import_run {
    const struct floe_config *cfg;
    struct floe_table table;
    struct floe_table_writer writer;
    struct floe_batch *batch;
    struct floe_decoder dec;
    struct floe_row row;
    struct floe_table_pending pending;
    const char *file; /* the input being read */
    struct floe_dead_letter dead;
    uint64_t rows_in, rows_ok, rejected, files, commits, pending_rows;
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
    fprintf(stderr, "\r%" PRIu64 " rows imported, %" PRIu64 " rejected, %" PRIu64
                    " files, %" PRIu64 " commits%s",
            r->rows_ok, r->rejected, r->files, r->commits, final ? "\n" : "");
}

/* Writes the batch's partitions to files. */
static int write_out(struct import_run *r)
{
    if (floe_batch_rows(r->batch) == 0) {
        return 0;
    }
    size_t before = r->pending.n;
    int rc = floe_table_write_batch(&r->writer, r->batch, &r->pending);
    if (rc < 0) {
        fprintf(stderr, "floe import: %s\n", r->table.err);
        return rc;
    }
    r->files += r->pending.n - before;
    r->pending_rows += floe_batch_rows(r->batch);
    floe_batch_clear(r->batch);
    return 0;
}

static int commit(struct import_run *r);

/* A full batch is written out; many pending files are committed. */
static int batch_full(struct import_run *r)
{
    int rc = write_out(r);
    if (rc == 0 && r->pending.n >= MAX_PENDING_FILES) {
        rc = commit(r);
    }
    return rc;
}

/* Writes what is buffered and commits every file written so far. */
static int commit(struct import_run *r)
{
    int rc = write_out(r);
    if (rc < 0 || r->pending.n == 0) {
        return rc;
    }
    char commit_id[37];
    if (floe_uuid_random(commit_id) < 0) {
        fprintf(stderr, "floe import: no random bytes for the commit id\n");
        return -EIO;
    }
    struct floe_meta_kv extra[] = {{"floe.commit-id", commit_id}};
    rc = floe_table_commit(&r->table, &r->pending, NULL, extra, 1, &r->last_snapshot);
    if (rc < 0) {
        fprintf(stderr, "floe import: %s\n", r->table.err);
        return rc;
    }
    r->commits++;
    r->pending_rows = 0;
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
    char why[256];
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    if (i == n) {
        return 0;
    }
    r->rows_in++;
    if (floe_decode(&r->dec, line, n, &r->row) < 0) {
        reject(r, lineno, r->row.reason, line, n, n);
        return 0;
    }
    if (floe_rules_check(&r->cfg->validate.rules, &r->writer.bound, &r->row, why,
                         sizeof(why)) < 0) {
        reject(r, lineno, why, line, n, n);
        return 0;
    }
    int rc = floe_batch_add(r->batch, &r->row, why, sizeof(why));
    if (rc == -ENOSPC) {
        if ((rc = batch_full(r)) < 0) {
            r->failed = true;
            return rc;
        }
        rc = floe_batch_add(r->batch, &r->row, why, sizeof(why));
        if (rc == -ENOSPC) {
            snprintf(why, sizeof(why), "record larger than the batch memory (limits.memory)");
            rc = -EINVAL;
        }
    }
    if (rc == -EINVAL) {
        reject(r, lineno, why, line, n, n);
        return 0;
    }
    if (rc < 0) {
        r->failed = true;
        return rc;
    }
    r->rows_ok++;
    if (r->pending_rows + floe_batch_rows(r->batch) >= (uint64_t)r->cfg->limits.flush_rows) {
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
    size_t memory = (size_t)cfg->limits.memory;
    if ((rc = floe_table_writer_init(&r.writer, &r.table, cfg, memory / 8)) < 0) {
        fprintf(stderr, "floe import: %s\n", rc == -ENOMEM ? "out of memory" : r.table.err);
        goto done;
    }
    if ((rc = floe_batch_new(&r.writer.bound, &r.writer.spec, memory / 2, MAX_PARTITIONS,
                             &r.batch)) < 0) {
        fprintf(stderr, "floe import: cannot allocate the batch (%s)\n", strerror(-rc));
        goto done;
    }
    floe_decoder_init(&r.dec, &r.writer.bound);
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
    printf("%s.%s: %" PRIu64 " rows in, %" PRIu64 " imported, %" PRIu64 " rejected, %" PRIu64
           " files, %" PRIu64 " commit%s",
           cfg->table.namespace_, cfg->table.name, r.rows_in, r.rows_ok, r.rejected, r.files,
           r.commits, r.commits == 1 ? "" : "s");
    if (r.commits) {
        printf(", snapshot %" PRId64, r.last_snapshot);
    }
    printf("%s\n", created ? " (table created)" : "");
    if (r.dead.written) {
        printf("%" PRIu64 " rejected record%s written to %s\n", r.dead.written,
               r.dead.written == 1 ? "" : "s", r.dead.path);
    }
    status = r.rejected ? 2 : 0;
done:
    floe_dead_letter_close(&r.dead);
    floe_table_pending_clear(&r.pending, true);
    floe_batch_free(r.batch);
    floe_table_writer_free(&r.writer);
    floe_table_close(&r.table);
    free(r.row.scratch);
    free(buf);
    return status;
}
