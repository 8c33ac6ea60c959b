/* pq_gen.c — writes a randomized Parquet file with floe's writer, plus the values it wrote, so
 * that independent readers (tests/readers/check-parquet.mjs) can check the file.
 *
 *   pq_gen SEED ROWS OUT.parquet OUT.expected.json [options]
 *
 *   --schema all|users   every supported type (default), or the users table shape
 *   --codec zstd|none    page codec (zstd)
 *   --page-bytes N  --page-max N  --rg-bytes N  --dict-bytes N  --dict-entries N  --no-dict
 *   --long-strings N     some strings of N bytes or more (longer than a page when N is)
 *   --columns            use the column-wise API (pq_put_columns) instead of row-wise puts
 *   --ramp               the "cat" column has 5 values for 1000 rows, then only new ones, so
 *                        its dictionary overflows after dictionary-encoded pages
 *
 * The expected JSON follows the format documented at the top of check-parquet.mjs; its rows go
 * to OUT.expected.json's name with ".rows.ndjson" in place of ".json". Values cover nulls,
 * empty and multi-byte strings, INT64_MIN/MAX, NaN, +-0.0 and infinities.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"

static uint64_t rng;

static uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint32_t rnd(uint32_t n)
{
    return n ? (uint32_t)(rnd64() % n) : 0;
}

static int file_sink(void *ctx, const uint8_t *buf, size_t len)
{
    return fwrite(buf, 1, len, ctx) == len ? 0 : -EIO;
}

/* ---- JSON output ---------------------------------------------------------------------------- */

static void json_str(FILE *f, const uint8_t *p, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

static void json_float(FILE *f, double v, bool is_float)
{
    if (isnan(v)) {
        fputs("\"NaN\"", f);
    } else if (isinf(v)) {
        fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
    } else if (v == 0 && signbit(v)) {
        fputs("\"-0\"", f);
    } else {
        fprintf(f, is_float ? "%.9g" : "%.17g", v);
    }
}

static const char *type_name(enum pq_type t)
{
    static const char *names[] = {"boolean", "int",       "long",        "float",  "double",
                                  "date",    "timestamp", "timestamptz", "string", "binary"};
    return names[t];
}

/* ---- values --------------------------------------------------------------------------------- */

struct value {
    bool null;
    int64_t i;
    double d;
    uint8_t *p;
    size_t n;
};

static const char *pieces[] = {"a", "Z", "0", " ", "\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
                               "\xf0\x9f\x98\x80", "\"", "\\", "\n", "\t", "\x01", "/",
                               "\xd0\x96", "~", "\xef\xbf\xbf"};

static size_t rand_string(uint8_t *dst, size_t max_len, size_t target)
{
    size_t n = 0;
    while (n < target) {
        const char *s = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
        size_t l = strlen(s);
        if (n + l > max_len) {
            break;
        }
        memcpy(dst + n, s, l);
        n += l;
    }
    return n;
}

struct gen {
    const struct pq_column *cols;
    uint32_t ncols;
    size_t long_strings;
    bool ramp; /* "cat" turns from 5 values to all-distinct after row 1000 */
    uint8_t *buf; /* string storage for one row */
    size_t buf_cap;
};

static void gen_value(struct gen *g, uint32_t c, uint64_t row, uint8_t **bp, struct value *v)
{
    const struct pq_column *col = &g->cols[c];
    memset(v, 0, sizeof(*v));
    bool users = strcmp(g->cols[0].name, "id") == 0 && g->ncols == 5;
    if (!col->required && rnd(users ? 20 : 7) == 0) {
        v->null = true;
        return;
    }
    switch (col->type) {
    case PQ_BOOLEAN:
        v->i = rnd(2);
        break;
    case PQ_INT: {
        static const int32_t sp[] = {INT32_MIN, INT32_MAX, 0, -1, 1};
        if (users) {
            v->i = 18 + (int64_t)rnd(60);
        } else {
            v->i = rnd(10) == 0 ? sp[rnd(5)] : (int32_t)(uint32_t)rnd64();
        }
        break;
    }
    case PQ_LONG: {
        static const int64_t sp[] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MIN + 1};
        if (users || c == 0) {
            v->i = row < 2 && !users ? sp[row] : (int64_t)row * 7 + 1;
        } else {
            v->i = rnd(8) == 0 ? sp[rnd(5)] : (int64_t)rnd64();
        }
        break;
    }
    case PQ_FLOAT: {
        static const float sp[] = {NAN, -0.0f, 0.0f, INFINITY, -INFINITY, FLT_MAX, -FLT_MIN,
                                   1e-45f};
        float f = rnd(5) == 0 ? sp[rnd(8)] : (float)((double)(int32_t)rnd64() / 997.0);
        v->d = f;
        break;
    }
    case PQ_DOUBLE: {
        static const double sp[] = {NAN, -0.0, 0.0, INFINITY, -INFINITY, DBL_MAX, -DBL_MIN,
                                    5e-324};
        v->d = rnd(5) == 0 ? sp[rnd(8)] : (double)(int64_t)rnd64() / 1e7;
        break;
    }
    case PQ_DATE:
        /* 0001-01-01 .. 9999-12-31 */
        v->i = -719162 + (int64_t)rnd(719162 + 2932896 + 1);
        break;
    case PQ_TIMESTAMP:
    case PQ_TIMESTAMPTZ:
        if (users) {
            v->i = 1700000000000000LL + (int64_t)(rnd64() % 100000000000000ULL);
        } else {
            /* years 0001 .. 9999, microseconds */
            v->i = -62135596800000000LL + (int64_t)(rnd64() % 315537897599999999ULL);
        }
        break;
    case PQ_STRING:
    case PQ_BINARY: {
        uint8_t *p = *bp;
        size_t room = g->buf_cap - (size_t)(p - g->buf);
        size_t n;
        if (users && c == 1) {
            n = (size_t)snprintf((char *)p, room, "%s %s", rnd(2) ? "Ana" : "J\xc3\xb6rg",
                                 rnd(3) ? "Smith" : "\xe5\xb1\xb1\xe7\x94\xb0");
        } else if (users) {
            n = (size_t)snprintf((char *)p, room, "u%" PRIu64 "@example.%s", row,
                                 row % 3 ? "com" : "org");
        } else if (col->required && g->ramp && row >= 1000) {
            n = (size_t)snprintf((char *)p, room, "k%" PRIu64, row);
        } else if (col->required) {
            static const char *cats[] = {"red", "green", "blue", "", "\xe7\xb4\xab"};
            n = strlen(cats[row % 5]);
            memcpy(p, cats[row % 5], n);
        } else if (col->type == PQ_BINARY) {
            n = rnd(12);
            for (size_t i = 0; i < n; i++) {
                p[i] = (uint8_t)rnd64();
            }
        } else if (g->long_strings && rnd(50) == 0) {
            n = rand_string(p, room, g->long_strings + rnd(100));
        } else {
            n = rand_string(p, room, rnd(4) == 0 ? 0 : rnd(24));
        }
        v->p = p;
        v->n = n;
        *bp = p + n;
        break;
    }
    }
}

static void json_value(FILE *f, const struct pq_column *col, const struct value *v)
{
    if (v->null) {
        fputs("null", f);
        return;
    }
    switch (col->type) {
    case PQ_BOOLEAN:
        fputs(v->i ? "true" : "false", f);
        break;
    case PQ_INT:
    case PQ_DATE:
        fprintf(f, "%" PRId64, v->i);
        break;
    case PQ_LONG:
    case PQ_TIMESTAMP:
    case PQ_TIMESTAMPTZ:
        fprintf(f, "\"%" PRId64 "\"", v->i);
        break;
    case PQ_FLOAT:
        json_float(f, v->d, true);
        break;
    case PQ_DOUBLE:
        json_float(f, v->d, false);
        break;
    case PQ_STRING:
        json_str(f, v->p, v->n);
        break;
    case PQ_BINARY:
        fputc('"', f);
        for (size_t i = 0; i < v->n; i++) {
            fprintf(f, "%02x", v->p[i]);
        }
        fputc('"', f);
        break;
    }
}

static int put_value(struct pq_writer *w, uint32_t c, const struct pq_column *col,
                     const struct value *v)
{
    if (v->null) {
        return pq_put_null(w, c);
    }
    switch (col->type) {
    case PQ_BOOLEAN:
        return pq_put_bool(w, c, v->i != 0);
    case PQ_INT:
    case PQ_DATE:
        return pq_put_i32(w, c, (int32_t)v->i);
    case PQ_LONG:
    case PQ_TIMESTAMP:
    case PQ_TIMESTAMPTZ:
        return pq_put_i64(w, c, v->i);
    case PQ_FLOAT:
        return pq_put_float(w, c, (float)v->d);
    case PQ_DOUBLE:
        return pq_put_double(w, c, v->d);
    case PQ_STRING:
    case PQ_BINARY:
        return pq_put_bytes(w, c, v->p, v->n);
    }
    return -EINVAL;
}

/* Column-wise batch storage. */
struct batch {
    size_t cap, n;
    void *vals[16];
    uint8_t *nulls[16];
    uint32_t *offs[16];
    uint8_t *data[16];
    size_t data_len[16], data_cap[16];
};

static void batch_add(struct batch *b, const struct pq_column *cols, uint32_t ncols,
                      const struct value *v)
{
    size_t r = b->n++;
    for (uint32_t c = 0; c < ncols; c++) {
        b->nulls[c][r] = v[c].null;
        switch (cols[c].type) {
        case PQ_BOOLEAN:
            ((uint8_t *)b->vals[c])[r] = (uint8_t)v[c].i;
            break;
        case PQ_INT:
        case PQ_DATE:
            ((int32_t *)b->vals[c])[r] = (int32_t)v[c].i;
            break;
        case PQ_LONG:
        case PQ_TIMESTAMP:
        case PQ_TIMESTAMPTZ:
            ((int64_t *)b->vals[c])[r] = v[c].i;
            break;
        case PQ_FLOAT:
            ((float *)b->vals[c])[r] = (float)v[c].d;
            break;
        case PQ_DOUBLE:
            ((double *)b->vals[c])[r] = v[c].d;
            break;
        case PQ_STRING:
        case PQ_BINARY:
            if (b->data_len[c] + v[c].n > b->data_cap[c]) {
                b->data_cap[c] = (b->data_len[c] + v[c].n) * 2;
                b->data[c] = realloc(b->data[c], b->data_cap[c]);
            }
            if (v[c].n) {
                memcpy(b->data[c] + b->data_len[c], v[c].p, v[c].n);
            }
            b->data_len[c] += v[c].n;
            b->offs[c][r + 1] = (uint32_t)b->data_len[c];
            break;
        }
    }
}

static int batch_flush(struct batch *b, struct pq_writer *w, const struct pq_column *cols,
                       uint32_t ncols)
{
    struct pq_column_data cd[16];
    memset(cd, 0, sizeof(cd));
    for (uint32_t c = 0; c < ncols; c++) {
        bool bytes = cols[c].type == PQ_STRING || cols[c].type == PQ_BINARY;
        cd[c].values = bytes ? (const void *)b->data[c] : b->vals[c];
        cd[c].offsets = bytes ? b->offs[c] : NULL;
        cd[c].nulls = b->nulls[c];
    }
    size_t done = 0;
    int rc = pq_put_columns(w, cd, b->n, &done);
    if (rc == 0 && done != b->n) {
        rc = -EIO;
    }
    b->n = 0;
    for (uint32_t c = 0; c < ncols; c++) {
        b->data_len[c] = 0;
    }
    return rc;
}

static const struct pq_column all_schema[] = {
    {"id", PQ_LONG, true, 1},       {"i", PQ_INT, false, 2},        {"b", PQ_BOOLEAN, false, 3},
    {"f", PQ_FLOAT, false, 4},      {"d", PQ_DOUBLE, false, 5},     {"dt", PQ_DATE, false, 6},
    {"ts", PQ_TIMESTAMPTZ, false, 7}, {"tl", PQ_TIMESTAMP, false, 8}, {"s", PQ_STRING, false, 9},
    {"cat", PQ_STRING, true, 10},   {"bin", PQ_BINARY, false, 11},  {"l", PQ_LONG, false, 12},
};

static const struct pq_column users_schema[] = {
    {"id", PQ_LONG, true, 1},
    {"name", PQ_STRING, false, 2},
    {"email", PQ_STRING, false, 3},
    {"signup_ts", PQ_TIMESTAMPTZ, false, 4},
    {"age", PQ_INT, false, 5},
};

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: pq_gen SEED ROWS OUT.parquet OUT.expected.json [options]\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
    uint64_t rows = strtoull(argv[2], NULL, 10);
    const char *out = argv[3], *exp = argv[4];
    struct pq_options o = {0};
    const struct pq_column *cols = all_schema;
    uint32_t ncols = sizeof(all_schema) / sizeof(all_schema[0]);
    bool columnwise = false;
    struct gen g = {0};
    for (int i = 5; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--no-dict") == 0) {
            o.no_dictionary = true;
        } else if (strcmp(a, "--ramp") == 0) {
            g.ramp = true;
        } else if (strcmp(a, "--columns") == 0) {
            columnwise = true;
        } else if (strcmp(a, "--schema") == 0) {
            if (strcmp(v, "users") == 0) {
                cols = users_schema;
                ncols = 5;
            }
            i++;
        } else if (strcmp(a, "--codec") == 0) {
            o.codec = strcmp(v, "none") == 0 ? PQ_UNCOMPRESSED : PQ_ZSTD;
            i++;
        } else if (strcmp(a, "--page-bytes") == 0) {
            o.page_bytes = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--page-max") == 0) {
            o.page_max_values = (uint32_t)strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--rg-bytes") == 0) {
            o.row_group_bytes = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--dict-bytes") == 0) {
            o.dict_bytes = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--dict-entries") == 0) {
            o.dict_max_entries = (uint32_t)strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--long-strings") == 0) {
            g.long_strings = strtoull(v, NULL, 10);
            o.max_value_bytes = g.long_strings + 1024;
            i++;
        } else {
            fprintf(stderr, "pq_gen: unknown option %s\n", a);
            return 2;
        }
    }
    o.max_row_groups = 4096;
    char schema_json[2048];
    size_t sj = (size_t)snprintf(schema_json, sizeof(schema_json),
                                 "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[");
    for (uint32_t c = 0; c < ncols; c++) {
        sj += (size_t)snprintf(schema_json + sj, sizeof(schema_json) - sj,
                               "%s{\"id\":%d,\"name\":\"%s\",\"required\":%s,\"type\":\"%s\"}",
                               c ? "," : "", cols[c].field_id, cols[c].name,
                               cols[c].required ? "true" : "false", type_name(cols[c].type));
    }
    snprintf(schema_json + sj, sizeof(schema_json) - sj, "]}");
    struct pq_kv kv = {"iceberg.schema", schema_json};
    o.kv = &kv;
    o.nkv = 1;
    o.created_by = "floe pq_gen";

    size_t ws_size;
    int rc = pq_workspace_size(cols, ncols, &o, &ws_size);
    if (rc) {
        fprintf(stderr, "pq_gen: workspace: %s\n", strerror(-rc));
        return 1;
    }
    void *ws = malloc(ws_size);
    FILE *pf = fopen(out, "wb");
    char rows_path[4096];
    snprintf(rows_path, sizeof(rows_path), "%.*s.rows.ndjson",
             (int)(strlen(exp) > 5 ? strlen(exp) - 5 : strlen(exp)), exp);
    FILE *rf = fopen(rows_path, "w");
    FILE *ef = fopen(exp, "w");
    if (!ws || !pf || !rf || !ef) {
        fprintf(stderr, "pq_gen: cannot open outputs\n");
        return 1;
    }
    struct pq_writer *w;
    rc = pq_writer_init(cols, ncols, &o, ws, ws_size, file_sink, pf, &w);
    if (rc) {
        fprintf(stderr, "pq_gen: init: %s\n", strerror(-rc));
        return 1;
    }
    g.cols = cols;
    g.ncols = ncols;
    g.buf_cap = ncols * (g.long_strings + 1024) + 4096;
    g.buf = malloc(g.buf_cap);
    struct batch b = {0};
    if (columnwise) {
        b.cap = 1000;
        for (uint32_t c = 0; c < ncols; c++) {
            b.vals[c] = malloc(b.cap * 8);
            b.nulls[c] = malloc(b.cap);
            b.offs[c] = calloc(b.cap + 1, 4);
        }
    }
    struct value vals[16];
    for (uint64_t r = 0; r < rows && rc == 0; r++) {
        uint8_t *bp = g.buf;
        fputc('[', rf);
        for (uint32_t c = 0; c < ncols; c++) {
            gen_value(&g, c, r, &bp, &vals[c]);
            if (c) {
                fputc(',', rf);
            }
            json_value(rf, &cols[c], &vals[c]);
        }
        fputs("]\n", rf);
        if (columnwise) {
            batch_add(&b, cols, ncols, vals);
            if (b.n == b.cap) {
                rc = batch_flush(&b, w, cols, ncols);
            }
            continue;
        }
        for (uint32_t c = 0; c < ncols && rc == 0; c++) {
            rc = put_value(w, c, &cols[c], &vals[c]);
        }
        if (rc == 0) {
            rc = pq_end_row(w);
        }
    }
    if (rc == 0 && columnwise && b.n > 0) {
        rc = batch_flush(&b, w, cols, ncols);
    }
    if (rc == 0) {
        rc = pq_close(w);
    }
    if (rc) {
        fprintf(stderr, "pq_gen: write: %s\n", strerror(-rc));
        return 1;
    }
    struct pq_file_metrics fm;
    pq_file_metrics(w, &fm);
    const char *slash = strrchr(rows_path, '/');
    fprintf(ef, "{\"format\":\"floe-parquet-expected/1\",\"num_rows\":%" PRIu64
                ",\"row_groups\":%u,\"file_size\":%" PRIu64 ",\"created_by\":\"floe pq_gen\",",
            fm.rows, fm.row_groups, fm.file_size);
    fputs("\"key_value_metadata\":{\"iceberg.schema\":", ef);
    json_str(ef, (const uint8_t *)schema_json, strlen(schema_json));
    fputs("},\"columns\":[", ef);
    for (uint32_t c = 0; c < ncols; c++) {
        fprintf(ef, "%s{\"name\":\"%s\",\"type\":\"%s\",\"id\":%d,\"required\":%s}", c ? "," : "",
                cols[c].name, type_name(cols[c].type), cols[c].field_id,
                cols[c].required ? "true" : "false");
    }
    fprintf(ef, "],\"rows_file\":\"%s\"}\n", slash ? slash + 1 : rows_path);
    if (fclose(pf) || fclose(rf) || fclose(ef)) {
        fprintf(stderr, "pq_gen: close failed\n");
        return 1;
    }
    fprintf(stderr, "pq_gen: %" PRIu64 " rows, %u row groups, %" PRIu64 " bytes\n", fm.rows,
            fm.row_groups, fm.file_size);
    free(g.buf);
    free(ws);
    for (uint32_t c = 0; columnwise && c < ncols; c++) {
        free(b.vals[c]);
        free(b.nulls[c]);
        free(b.offs[c]);
        free(b.data[c]);
    }
    return 0;
}
