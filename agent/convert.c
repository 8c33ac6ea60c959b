/* convert.c — `floe convert`: newline-delimited JSON into one Parquet file.
 *
 * The users' backfill tool and the benchmark entry point for the write path. Input is read in
 * large blocks into one bounded buffer (the longest accepted line plus a block), each line is
 * decoded against the schema (decode.h) and appended row-wise to the Parquet writer, whose
 * workspace is allocated once. The output is written to OUT.tmp and renamed over OUT only when
 * the file is complete, so a failed run never leaves a partial file under the final name.
 *
 * Blank lines are skipped silently; every other line either becomes a row or is reported on
 * stderr as `IN:LINE: reason` and counted as rejected. Exit status: 0 every line converted,
 * 2 some lines rejected, 1 fatal error or bad usage (no file written).
 */
#include "convert.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "batch.h"
#include "decode.h"
#include "fsutil.h"
#include "lines.h"
#include "parquet.h"
#include "schema.h"
#include "version.h"

struct convert_opts {
    const char *schema;
    const char *in;
    const char *out;
    enum pq_codec codec;
    int level;
    uint64_t max_line;
    uint64_t row_group;
};

/* The Parquet writer's sink: the output file. */
static int sink_write(void *ctx, const uint8_t *buf, size_t len)
{
    return floe_write_all(*(int *)ctx, buf, len);
}

/* Appends one decoded row; on failure the row is dropped from the writer and *why says why. */
static int put_row(struct pq_writer *w, const struct floe_schema *schema,
                   const struct floe_row *row, const char **why)
{
    int rc = 0;
    for (int i = 0; i < schema->ncolumns && rc == 0; i++) {
        const struct floe_cell *cell = &row->cells[i];
        uint32_t col = (uint32_t)i;
        if (cell->null) {
            rc = pq_put_null(w, col);
            continue;
        }
        switch (schema->columns[i].type) {
        case FLOE_TYPE_BOOLEAN:
            rc = pq_put_bool(w, col, cell->v.b);
            break;
        case FLOE_TYPE_INT:
        case FLOE_TYPE_DATE:
            rc = pq_put_i32(w, col, (int32_t)cell->v.i);
            break;
        case FLOE_TYPE_LONG:
        case FLOE_TYPE_TIMESTAMP:
        case FLOE_TYPE_TIMESTAMPTZ:
            rc = pq_put_i64(w, col, cell->v.i);
            break;
        case FLOE_TYPE_FLOAT:
            rc = pq_put_float(w, col, (float)cell->v.d);
            break;
        case FLOE_TYPE_DOUBLE:
            rc = pq_put_double(w, col, cell->v.d);
            break;
        case FLOE_TYPE_STRING:
        case FLOE_TYPE_BINARY:
            rc = pq_put_bytes(w, col, cell->v.s.p, cell->v.s.n);
            break;
        }
    }
    if (rc == 0) {
        rc = pq_end_row(w);
        if (rc < 0) {
            *why = "the Parquet writer failed";
        }
        return rc;
    }
    if (rc == -EINVAL) {
        *why = "a value the Parquet writer refused (longer than its value limit?)";
        int arc = pq_abort_row(w);
        return arc < 0 ? arc : -EINVAL;
    }
    *why = "the Parquet writer failed";
    return rc;
}

static int parse_args(int argc, char **argv, struct convert_opts *o)
{
    o->codec = PQ_ZSTD;
    o->level = 3;
    o->max_line = 1u << 20;
    o->row_group = 16u << 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(a, "--schema") == 0 || strcmp(a, "--compression") == 0 ||
            strcmp(a, "--level") == 0 || strcmp(a, "--max-line") == 0 ||
            strcmp(a, "--row-group") == 0) {
            if (!v) {
                fprintf(stderr, "floe convert: %s needs a value\n", a);
                return -1;
            }
            i++;
            if (strcmp(a, "--schema") == 0) {
                o->schema = v;
            } else if (strcmp(a, "--compression") == 0) {
                if (strcmp(v, "zstd") == 0) {
                    o->codec = PQ_ZSTD;
                } else if (strcmp(v, "none") == 0) {
                    o->codec = PQ_UNCOMPRESSED;
                } else {
                    fprintf(stderr, "floe convert: --compression is zstd or none, not '%s'\n", v);
                    return -1;
                }
            } else if (strcmp(a, "--level") == 0) {
                char *end;
                long level = strtol(v, &end, 10);
                if (*end || level < 1 || level > 19) {
                    fprintf(stderr, "floe convert: --level takes 1 to 19, not '%s'\n", v);
                    return -1;
                }
                o->level = (int)level;
            } else {
                uint64_t *dst = strcmp(a, "--max-line") == 0 ? &o->max_line : &o->row_group;
                if (floe_parse_size(v, dst) < 0 || *dst < 1024 || *dst > (1ull << 30)) {
                    fprintf(stderr, "floe convert: %s takes a size from 1K to 1G, not '%s'\n", a,
                            v);
                    return -1;
                }
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "floe convert: unknown option '%s'\n", a);
            return -1;
        } else if (!o->in) {
            o->in = a;
        } else if (!o->out) {
            o->out = a;
        } else {
            fprintf(stderr, "floe convert: unexpected argument '%s'\n", a);
            return -1;
        }
    }
    if (!o->schema || !o->in || !o->out) {
        fprintf(stderr, "floe convert: needs --schema SPEC, IN.ndjson and OUT.parquet\n");
        return -1;
    }
    return 0;
}

struct counts {
    uint64_t rows;
    uint64_t rejected;
};

/* What the line reader's callbacks need. */
struct convert_run {
    const struct convert_opts *o;
    const struct floe_decoder *dec;
    struct floe_row *row;
    struct pq_writer *w;
    struct counts k;
    bool reported; /* on_line stopped the read and said why */
};

static void on_long_line(void *ctx, uint64_t lineno)
{
    struct convert_run *r = ctx;
    fprintf(stderr, "%s:%" PRIu64 ": line longer than %" PRIu64 " bytes\n", r->o->in, lineno,
            r->o->max_line);
    r->k.rejected++;
}

/* Decodes one line and appends it, or reports it. Returns 0, or a fatal writer error. */
static int on_line(void *ctx, const uint8_t *line, size_t n, uint64_t lineno)
{
    struct convert_run *r = ctx;
    const char *why = NULL;
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    if (i == n) {
        return 0; /* blank line */
    }
    if (floe_decode(r->dec, line, n, r->row) < 0) {
        fprintf(stderr, "%s:%" PRIu64 ": %s\n", r->o->in, lineno, r->row->reason);
        r->k.rejected++;
        return 0;
    }
    int rc = put_row(r->w, r->dec->schema, r->row, &why);
    if (rc == -EINVAL) {
        fprintf(stderr, "%s:%" PRIu64 ": %s\n", r->o->in, lineno, why);
        r->k.rejected++;
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "floe convert: %s: %s\n", why, strerror(-rc));
        r->reported = true;
        return rc;
    }
    r->k.rows++;
    return 0;
}

int floe_convert_main(int argc, char **argv)
{
    struct convert_opts o = {0};
    struct floe_schema *schema = NULL;
    struct floe_row *row = NULL;
    struct floe_decoder dec;
    struct pq_column cols[FLOE_COLUMNS_MAX];
    struct pq_writer *w = NULL;
    int out_fd = -1;
    uint8_t *buf = NULL;
    void *ws = NULL;
    char *tmp = NULL;
    char *schema_json = NULL;
    char err[512];
    int in_fd = -1;
    int status = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("%s\n", floe_convert_usage);
            return 0;
        }
    }
    if (parse_args(argc, argv, &o) < 0) {
        fprintf(stderr, "Run 'floe convert --help' for usage.\n");
        return 1;
    }
    schema = calloc(1, sizeof(*schema));
    row = calloc(1, sizeof(*row));
    size_t cap = floe_lines_buffer_size((size_t)o.max_line);
    buf = malloc(cap);
    if (row) {
        row->scratch_cap = (size_t)o.max_line + 1;
        row->scratch = malloc(row->scratch_cap);
    }
    if (!schema || !row || !buf || !row->scratch) {
        fprintf(stderr, "floe convert: out of memory\n");
        goto done;
    }
    if (floe_schema_parse(o.schema, schema, err, sizeof(err)) < 0) {
        fprintf(stderr, "floe convert: --schema: %s\n", err);
        goto done;
    }
    for (int i = 0; i < schema->ncolumns; i++) {
        schema->columns[i].field_id = i + 1;
        cols[i].name = schema->columns[i].name;
        cols[i].type = floe_pq_type_of(schema->columns[i].type);
        cols[i].required = schema->columns[i].required;
        cols[i].field_id = i + 1;
    }
    floe_decoder_init(&dec, schema);

    size_t json_cap = 64 + (size_t)schema->ncolumns * (FLOE_NAME_MAX + 96);
    schema_json = malloc(json_cap);
    if (!schema_json || floe_schema_json(schema, 0, schema_json, json_cap) < 0) {
        fprintf(stderr, "floe convert: out of memory\n");
        goto done;
    }
    struct pq_kv kv = {"iceberg.schema", schema_json};
    struct pq_options opt = {0};
    opt.codec = o.codec;
    opt.zstd_level = o.level;
    opt.row_group_bytes = (size_t)o.row_group;
    opt.max_value_bytes = (size_t)o.max_line;
    opt.max_row_groups = 1u << 16;
    opt.created_by = "floe " FLOE_VERSION;
    opt.kv = &kv;
    opt.nkv = 1;
    size_t ws_size = 0;
    int rc = pq_workspace_size(cols, (uint32_t)schema->ncolumns, &opt, &ws_size);
    if (rc < 0) {
        fprintf(stderr, "floe convert: cannot size the Parquet writer: %s\n", strerror(-rc));
        goto done;
    }
    ws = aligned_alloc(64, (ws_size + 63) & ~(size_t)63);
    if (!ws) {
        fprintf(stderr, "floe convert: out of memory (%zu bytes for the writer)\n", ws_size);
        goto done;
    }

    if (strcmp(o.in, "-") == 0) {
        in_fd = 0;
    } else if ((in_fd = open(o.in, O_RDONLY)) < 0) {
        fprintf(stderr, "floe convert: cannot open %s: %s\n", o.in, strerror(errno));
        goto done;
    }
    size_t tlen = strlen(o.out) + 8;
    tmp = malloc(tlen);
    if (!tmp) {
        goto done;
    }
    snprintf(tmp, tlen, "%s.tmp", o.out);
    out_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0) {
        fprintf(stderr, "floe convert: cannot create %s: %s\n", tmp, strerror(errno));
        goto done;
    }
    rc = pq_writer_init(cols, (uint32_t)schema->ncolumns, &opt, ws, ws_size, sink_write, &out_fd, &w);
    if (rc < 0) {
        fprintf(stderr, "floe convert: cannot start the Parquet writer: %s\n", strerror(-rc));
        goto done;
    }
    struct convert_run run = {&o, &dec, row, w, {0, 0}, false};
    rc = floe_read_lines(in_fd, (size_t)o.max_line, buf, cap, on_line, on_long_line, &run);
    if (rc < 0) {
        if (!run.reported) {
            fprintf(stderr, "floe convert: reading %s: %s\n", o.in, strerror(-rc));
        }
        goto done;
    }
    struct counts k = run.k;
    rc = pq_close(w);
    if (rc < 0) {
        fprintf(stderr, "floe convert: writing %s: %s\n", tmp, strerror(-rc));
        goto done;
    }
    int sync_err = fsync(out_fd) < 0 ? errno : 0;
    int close_err = close(out_fd) < 0 ? errno : 0;
    out_fd = -1;
    if (sync_err || close_err) {
        fprintf(stderr, "floe convert: writing %s: %s\n", tmp,
                strerror(sync_err ? sync_err : close_err));
        unlink(tmp);
        goto done;
    }
    if (rename(tmp, o.out) < 0) {
        int rename_err = errno;
        fprintf(stderr, "floe convert: cannot rename %s to %s: %s\n", tmp, o.out,
                strerror(rename_err));
        unlink(tmp);
        goto done;
    }
    struct pq_file_metrics fm;
    pq_file_metrics(w, &fm);
    printf("%s: %" PRIu64 " rows written (%" PRIu64 " bytes, %u row group%s), %" PRIu64
           " lines rejected\n",
           o.out, k.rows, fm.file_size, fm.row_groups, fm.row_groups == 1 ? "" : "s",
           k.rejected);
    status = k.rejected ? 2 : 0;

done:
    if (out_fd >= 0) {
        close(out_fd);
        unlink(tmp);
    }
    if (in_fd > 0) {
        close(in_fd);
    }
    free(tmp);
    free(ws);
    free(schema_json);
    free(buf);
    if (row) {
        free(row->scratch);
    }
    free(row);
    free(schema);
    return status;
}

const char floe_convert_usage[] =
    "usage: floe convert --schema SPEC [--compression zstd|none] [--level N]\n"
    "                    [--max-line SIZE] [--row-group SIZE] IN.ndjson OUT.parquet\n"
    "\n"
    "Converts newline-delimited JSON objects into one Parquet file (IN may be - for stdin).\n"
    "  --schema SPEC        columns as in the config's table.schema, e.g.\n"
    "                       'id long required, name string, signup_ts timestamptz, age int';\n"
    "                       field ids are 1, 2, … in order\n"
    "  --compression C      zstd (default) or none\n"
    "  --level N            zstd level, 1 to 19 (default 3)\n"
    "  --max-line SIZE      longest line accepted (default 1M, Kafka's default message size)\n"
    "  --row-group SIZE     buffered bytes per row group (default 16M)\n"
    "\n"
    "Keys map to columns by name; other keys are ignored. A line that does not fit the schema\n"
    "is reported as IN:LINE: reason and skipped; blank lines are skipped silently. Exit 0 when\n"
    "every line converted, 2 when some were rejected, 1 on a fatal error or bad usage (then no\n"
    "file is written).";
