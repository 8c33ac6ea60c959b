/* rowdelta.c — a test driver for the row-delta commit (floe_table_commit with data and
 * equality-delete files), used by test_table.py until a command of floe's own commits one.
 *
 *     table_rowdelta CONFIG DELETES.ndjson DATA.ndjson
 *
 * DELETES holds the removed rows' key and partition-source values (they choose each delete's
 * partition); DATA the new rows. Both are committed as one snapshot; its id is printed. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lines.h"
#include "table.h"

struct feed {
    struct floe_decoder dec;
    struct floe_row row;
    struct floe_batch *batch;
    int failed;
};

static int on_line(void *ctx, const uint8_t *line, size_t n, uint64_t lineno)
{
    struct feed *f = ctx;
    char why[200];
    if (n == 0) {
        return 0;
    }
    if (floe_decode(&f->dec, line, n, &f->row) < 0 ||
        floe_batch_add(f->batch, &f->row, why, sizeof(why)) < 0) {
        fprintf(stderr, "line %" PRIu64 ": %s\n", lineno, f->row.reason);
        f->failed = 1;
        return -1;
    }
    return 0;
}

static void on_long(void *ctx, uint64_t lineno)
{
    (void)lineno;
    ((struct feed *)ctx)->failed = 1;
}

/* Reads path into a batch over w's columns and writes its files to pending. */
static int feed(struct floe_table_writer *w, const char *path, struct floe_table_pending *pending)
{
    static uint8_t scratch[1 << 16], buf[(1 << 16) + (1 << 20) + 2];
    struct feed f = {0};
    f.row.scratch = scratch;
    f.row.scratch_cap = sizeof(scratch);
    if (floe_decoder_init(&f.dec, &w->bound) < 0 ||
        floe_batch_new(&w->bound, &w->spec, 1 << 22, 4096, &f.batch) < 0) {
        return -1;
    }
    int fd = open(path, O_RDONLY);
    int rc = fd < 0 ? -1
                    : floe_read_lines(fd, 1 << 16, buf, sizeof(buf), on_line, on_long, &f);
    if (fd >= 0) {
        close(fd);
    }
    size_t before = pending->n;
    if (rc == 0 && !f.failed) {
        rc = floe_table_write_batch(w, f.batch, pending);
    }
    /* Each partition's file lies right in the directory floe_table_data_dir names for it (the
     * pipeline makes those directories ahead of the commit). */
    size_t k = before; /* files come in partition order, none for a partition left empty */
    for (uint32_t i = 0; rc == 0 && i < floe_batch_partitions(f.batch); i++) {
        const struct ice_value *values;
        uint64_t rows;
        char dir[4096];
        floe_batch_partition(f.batch, i, &values, &rows);
        if (rows == 0) {
            continue;
        }
        const char *file = k < pending->n ? pending->files[k++].df.path : "";
        if (floe_table_data_dir(w, values, dir, sizeof(dir)) < 0) {
            dir[0] = '\0';
        }
        size_t n = strlen(dir);
        if (n == 0 || strncmp(file, dir, n) != 0 || file[n] != '/' || strchr(file + n + 1, '/')) {
            fprintf(stderr, "partition %u: file %s is not in its data directory %s\n", i, file,
                    dir);
            rc = -1;
        }
    }
    floe_batch_free(f.batch);
    return rc < 0 || f.failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct floe_cfg_errors errs = {0};
    struct floe_table t;
    struct floe_table_writer dw, xw;
    struct floe_table_pending data = {0}, deletes = {0};
    int64_t id = 0;
    if (argc != 4) {
        fprintf(stderr, "usage: table_rowdelta CONFIG DELETES.ndjson DATA.ndjson\n");
        return 2;
    }
    struct floe_config *cfg = floe_config_load(argv[1], &errs);
    if (!cfg || floe_table_open(cfg, &t) < 0 || floe_table_load(&t) < 0 ||
        floe_table_writer_init(&dw, &t, cfg, 1 << 20) < 0 ||
        floe_table_writer_init_deletes(&xw, &t, cfg, 1 << 20) < 0) {
        fprintf(stderr, "setup failed: %s\n", cfg ? t.err : "config");
        return 1;
    }
    if (feed(&xw, argv[2], &deletes) < 0 || feed(&dw, argv[3], &data) < 0) {
        fprintf(stderr, "writing failed: %s\n", t.err);
        return 1;
    }
    struct floe_meta_kv extra[] = {{"floe.commit-id", "rowdelta-test"}};
    if (floe_table_commit(&t, &data, &deletes, NULL, extra, 1, &id) < 0) {
        fprintf(stderr, "commit failed: %s\n", t.err);
        return 1;
    }
    printf("%" PRId64 "\n", id);
    floe_table_writer_free(&dw);
    floe_table_writer_free(&xw);
    floe_table_close(&t);
    floe_config_free(cfg);
    floe_cfg_errors_free(&errs);
    return 0;
}
