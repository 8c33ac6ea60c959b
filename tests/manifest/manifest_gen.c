/* manifest_gen.c — writes manifests and a manifest list with floe's writers, and prints what
 * floe's readers decode from any manifest or manifest list, so that an independent Avro
 * implementation (avsc, tests/readers/check-manifest.mjs) can check both directions.
 *
 *   manifest_gen OUT_DIR               writes OUT_DIR/manifest.avro (3 entries under the users
 *                                      spec day(signup_ts), bucket[16](id)), deletes.avro (one
 *                                      equality delete file, unpartitioned spec 1) and
 *                                      manifest-list.avro (their two rows, from
 *                                      floe_manifest_summarize()).
 *   manifest_gen --dump-manifest FILE  one JSON line for the spec, then one per entry.
 *   manifest_gen --dump-list FILE      one JSON line for the list metadata, then one per row.
 *   manifest_gen --seeds DIR           small files for the fuzz corpus.
 *
 * In the dumps longs are decimal strings, bytes lowercase hex, absent values null. The values
 * written are spelled out here and again, independently, in check-manifest.mjs.
 */
#include "manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP INT64_C(3051729675574597004)

static const uint8_t gen_sync[AVRO_SYNC_SIZE] = {0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0xff, 0x10, 0x20,
                                                 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0x99};

static const char table_schema[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"email\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"signup_ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"age\",\"required\":false,\"type\":\"int\"}]}";

static const struct floe_manifest_spec_field users_fields[] = {
    {1000, 4, "signup_ts_day", "day", {.id = ICE_DATE}},
    {1001, 1, "id_bucket", "bucket[16]", {.id = ICE_INT}},
};
static const struct floe_manifest_spec users_spec = {0, users_fields, 2};
static const struct floe_manifest_spec unpartitioned = {1, NULL, 0};

static uint8_t work[1 << 18];
static uint8_t bufs[3][1 << 16];

static void le64(uint8_t *b, int64_t v)
{
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)((uint64_t)v >> (8 * i));
    }
}

static int save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[4096];
    FILE *fp;
    int rc = 0;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (!fp) {
        return -errno;
    }
    if (fwrite(p, 1, n, fp) != n) {
        rc = -EIO;
    }
    if (fclose(fp) != 0 && rc == 0) {
        rc = -EIO;
    }
    return rc;
}

static uint8_t *load(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *p = NULL;
    long len;

    if (!fp || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        goto fail;
    }
    p = malloc((size_t)len + 1);
    if (!p || fread(p, 1, (size_t)len, fp) != (size_t)len) {
        free(p);
        p = NULL;
        goto fail;
    }
    *n = (size_t)len;
fail:
    if (fp) {
        fclose(fp);
    }
    return p;
}

/* ---- the files ---- */

struct users {
    struct floe_manifest_entry e[3];
    struct ice_value part[3][2];
    struct floe_manifest_column cols[3][3];
    uint8_t lo[3][8], hi[3][8];
    char path[3][64];
};

static const int64_t splits[] = {4, 1048576};

static void make_users(struct users *u)
{
    memset(u, 0, sizeof *u);
    for (int j = 0; j < 3; j++) {
        struct floe_manifest_entry *e = &u->e[j];
        struct floe_manifest_data_file *f = &e->file;
        e->status = j == 0   ? FLOE_MANIFEST_ADDED
                    : j == 1 ? FLOE_MANIFEST_EXISTING
                             : FLOE_MANIFEST_DELETED;
        e->has_snapshot_id = true;
        e->snapshot_id = j == 1 ? SNAP - 4 : SNAP;
        e->has_sequence_number = e->has_file_sequence_number = j != 0;
        e->sequence_number = j == 1 ? 7 : 3;
        e->file_sequence_number = j == 1 ? 8 : 3;
        snprintf(u->path[j], sizeof u->path[j], "s3://bucket/wh/db/users/data/f%d.parquet", j);
        f->content = FLOE_CONTENT_DATA;
        f->path = u->path[j];
        f->format = "PARQUET";
        u->part[j][0] = j == 1 ? ice_null(ICE_DATE) : ice_date(20415 + j);
        u->part[j][1] = ice_int(3 * j);
        f->partition = u->part[j];
        f->npartition = 2;
        f->record_count = 100 + j;
        f->file_size_in_bytes = 8192 + j;
        for (int c = 1; c <= 3; c++) {
            struct floe_manifest_column *col = &u->cols[j][c - 1];
            col->field_id = c;
            col->has = FLOE_COL_SIZE | FLOE_COL_VALUES | FLOE_COL_NULLS;
            col->column_size = 1000 * c + j;
            col->value_count = 100 + j;
            col->null_count = c == 3 ? j : 0;
        }
        le64(u->lo[j], 10 * j);
        le64(u->hi[j], 10 * j + 9);
        u->cols[j][0].has |= FLOE_COL_LOWER | FLOE_COL_UPPER;
        u->cols[j][0].lower = u->lo[j];
        u->cols[j][0].lower_len = 8;
        u->cols[j][0].upper = u->hi[j];
        u->cols[j][0].upper_len = 8;
        u->cols[j][1].has |= FLOE_COL_LOWER | FLOE_COL_UPPER;
        u->cols[j][1].lower = (const uint8_t *)"alice";
        u->cols[j][1].lower_len = 5;
        u->cols[j][1].upper = (const uint8_t *)"zed";
        u->cols[j][1].upper_len = 3;
        f->columns = u->cols[j];
        f->ncolumns = 3;
        f->maps = FLOE_COL_ALL; /* nan_value_counts: an empty map */
        if (j == 2) {
            f->key_metadata = (const uint8_t *)"\xde\xad\xbe\xef";
            f->key_metadata_len = 4;
        }
        f->split_offsets = j == 0 ? splits : NULL;
        f->nsplit_offsets = j == 0 ? 2 : 0;
        f->has_sort_order_id = j == 0;
    }
}

static int write_all(const char *dir)
{
    struct users u;
    struct floe_manifest_entry del;
    struct floe_manifest_column dcol;
    uint8_t dlo[8], dhi[8], bounds[64];
    static const int32_t eq[] = {1};
    struct floe_manifest_buf b[3];
    struct floe_mlist_row rows[2];
    struct floe_mlist_summary sums[2];
    uint64_t len[3];
    int rc;

    make_users(&u);
    memset(&del, 0, sizeof del);
    del.status = FLOE_MANIFEST_ADDED;
    del.has_snapshot_id = true;
    del.snapshot_id = SNAP;
    del.file.content = FLOE_CONTENT_EQUALITY_DELETES;
    del.file.path = "s3://bucket/wh/db/users/data/eq0.parquet";
    del.file.format = "PARQUET";
    del.file.record_count = 5;
    del.file.file_size_in_bytes = 700;
    le64(dlo, 1);
    le64(dhi, 99);
    dcol = (struct floe_manifest_column){
        1,   FLOE_COL_SIZE | FLOE_COL_VALUES | FLOE_COL_NULLS | FLOE_COL_LOWER | FLOE_COL_UPPER,
        50,  5,
        0,   0,
        dlo, 8,
        dhi, 8};
    del.file.columns = &dcol;
    del.file.ncolumns = 1;
    del.file.maps = FLOE_COL_ALL & ~FLOE_COL_NANS;
    del.file.equality_ids = eq;
    del.file.nequality_ids = 1;

    struct floe_manifest_info mi = {table_schema, strlen(table_schema),       0,
                                    &users_spec,  FLOE_MANIFEST_CONTENT_DATA, gen_sync};
    struct floe_manifest_info di = {table_schema,   strlen(table_schema),          0,
                                    &unpartitioned, FLOE_MANIFEST_CONTENT_DELETES, gen_sync};
    for (int i = 0; i < 3; i++) {
        b[i] = (struct floe_manifest_buf){bufs[i], sizeof bufs[i], 0};
    }
    rc =
        floe_manifest_write(&mi, u.e, 3, work, sizeof work, floe_manifest_buf_sink, &b[0], &len[0]);
    if (rc == 0) {
        rc = floe_manifest_write(&di, &del, 1, work, sizeof work, floe_manifest_buf_sink, &b[1],
                                 &len[1]);
    }
    if (rc == 0) {
        rc = floe_manifest_summarize(&users_spec, u.e, 3, 16, SNAP, &rows[0], sums, bounds,
                                     sizeof bounds);
    }
    if (rc == 0) {
        rc = floe_manifest_summarize(&unpartitioned, &del, 1, 16, SNAP, &rows[1], NULL, NULL, 0);
    }
    if (rc < 0) {
        return rc;
    }
    rows[0].path = "s3://bucket/wh/db/users/metadata/m0.avro";
    rows[0].length = (int64_t)len[0];
    rows[1].path = "s3://bucket/wh/db/users/metadata/m1.avro";
    rows[1].length = (int64_t)len[1];
    struct floe_mlist_info li = {SNAP, true, SNAP - 1, 16, gen_sync};
    rc = floe_mlist_write(&li, rows, 2, work, sizeof work, floe_manifest_buf_sink, &b[2], &len[2]);
    if (rc == 0) {
        rc = save(dir, "manifest.avro", b[0].p, b[0].len);
    }
    if (rc == 0) {
        rc = save(dir, "deletes.avro", b[1].p, b[1].len);
    }
    if (rc == 0) {
        rc = save(dir, "manifest-list.avro", b[2].p, b[2].len);
    }
    return rc;
}

/* Small seeds for the fuzz corpus: a one-entry manifest with a tiny table schema (prefixed
 * 'M') and the manifest list (prefixed 'L'), each under 4096 bytes. */
static int write_seeds(const char *dir)
{
    struct users u;
    struct floe_manifest_buf b = {bufs[0] + 1, sizeof bufs[0] - 1, 0};
    static const char tiny[] = "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"id\","
                               "\"required\":true,\"type\":\"long\"},{\"id\":4,\"name\":\"t\","
                               "\"required\":false,\"type\":\"timestamptz\"}]}";
    struct floe_manifest_info mi = {tiny, strlen(tiny), 0, &users_spec, 0, gen_sync};
    struct floe_mlist_row row;
    struct floe_mlist_summary sums[2];
    uint8_t bounds[64];
    struct floe_mlist_info li = {SNAP, false, 0, 1, gen_sync};
    uint64_t len;
    int rc;

    make_users(&u);
    bufs[0][0] = 'M';
    rc = floe_manifest_write(&mi, u.e, 1, work, sizeof work, floe_manifest_buf_sink, &b, &len);
    if (rc == 0) {
        rc = save(dir, "manifest-1", bufs[0], b.len + 1);
    }
    if (rc == 0) {
        rc = floe_manifest_summarize(&users_spec, u.e, 3, 1, SNAP, &row, sums, bounds,
                                     sizeof bounds);
    }
    row.path = "m0.avro";
    row.length = (int64_t)len;
    b = (struct floe_manifest_buf){bufs[1] + 1, sizeof bufs[1] - 1, 0};
    bufs[1][0] = 'L';
    if (rc == 0) {
        rc = floe_mlist_write(&li, &row, 1, work, sizeof work, floe_manifest_buf_sink, &b, &len);
    }
    if (rc == 0) {
        rc = save(dir, "list-1", bufs[1], b.len + 1);
    }
    return rc;
}

/* ---- dumps ---- */

static void hex(const uint8_t *p, size_t n)
{
    if (!p) {
        printf("null");
        return;
    }
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
    putchar('"');
}

static void jstr(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            printf("\\%c", *s);
        } else if ((unsigned char)*s < 0x20) {
            printf("\\u%04x", *s);
        } else {
            putchar(*s);
        }
    }
    putchar('"');
}

static void opt_long(bool has, int64_t v)
{
    if (has) {
        printf("\"%" PRId64 "\"", v);
    } else {
        printf("null");
    }
}

static void value(const struct ice_value *v)
{
    if (v->is_null) {
        printf("null");
        return;
    }
    switch (v->type) {
    case ICE_INT:
    case ICE_DATE:
        printf("%d", (int)v->v.i);
        break;
    case ICE_BOOLEAN:
        printf(v->v.b ? "true" : "false");
        break;
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
        hex(v->v.bin.p, v->v.bin.n);
        break;
    case ICE_FLOAT:
        printf("%.9g", (double)v->v.f);
        break;
    case ICE_DOUBLE:
        printf("%.17g", v->v.d);
        break;
    case ICE_UUID:
        hex(v->v.uuid, 16);
        break;
    case ICE_DECIMAL:
        hex(v->v.dec, 16);
        break;
    default:
        printf("\"%" PRId64 "\"", v->v.l);
        break;
    }
}

static void metric_map(const struct floe_manifest_data_file *f, uint32_t bit, const char *name)
{
    bool first = true;
    printf(",\"%s\":", name);
    if (!(f->maps & bit)) {
        printf("null");
        return;
    }
    putchar('{');
    for (uint32_t i = 0; i < f->ncolumns; i++) {
        const struct floe_manifest_column *c = &f->columns[i];
        if (!(c->has & bit)) {
            continue;
        }
        printf("%s\"%d\":", first ? "" : ",", (int)c->field_id);
        first = false;
        switch (bit) {
        case FLOE_COL_SIZE:
            printf("\"%" PRId64 "\"", c->column_size);
            break;
        case FLOE_COL_VALUES:
            printf("\"%" PRId64 "\"", c->value_count);
            break;
        case FLOE_COL_NULLS:
            printf("\"%" PRId64 "\"", c->null_count);
            break;
        case FLOE_COL_NANS:
            printf("\"%" PRId64 "\"", c->nan_count);
            break;
        case FLOE_COL_LOWER:
            hex(c->lower, c->lower_len);
            break;
        default:
            hex(c->upper, c->upper_len);
            break;
        }
    }
    putchar('}');
}

static int dump_manifest(const uint8_t *buf, size_t n)
{
    struct floe_manifest_reader r;
    struct floe_manifest_entry e;
    const struct floe_manifest_spec *spec;
    int rc = floe_manifest_reader_open(&r, buf, n);

    if (rc < 0) {
        return rc;
    }
    spec = floe_manifest_reader_spec(&r);
    printf("{\"spec_id\":%d,\"content\":%d,\"fields\":[", (int)spec->spec_id, (int)r.content);
    for (uint32_t i = 0; i < spec->nfields; i++) {
        const struct floe_manifest_spec_field *f = &spec->fields[i];
        printf("%s[%d,%d,", i ? "," : "", (int)f->field_id, (int)f->source_id);
        jstr(f->name);
        putchar(',');
        jstr(f->transform);
        printf(",%d]", (int)f->type.id);
    }
    printf("]}\n");
    while ((rc = floe_manifest_reader_next(&r, &e)) == 1) {
        const struct floe_manifest_data_file *f = &e.file;
        printf("{\"status\":%d,\"snapshot_id\":", (int)e.status);
        opt_long(e.has_snapshot_id, e.snapshot_id);
        printf(",\"sequence_number\":");
        opt_long(e.has_sequence_number, e.sequence_number);
        printf(",\"file_sequence_number\":");
        opt_long(e.has_file_sequence_number, e.file_sequence_number);
        printf(",\"content\":%d,\"file_path\":", (int)f->content);
        jstr(f->path);
        printf(",\"file_format\":");
        jstr(f->format);
        printf(",\"partition\":{");
        for (uint32_t i = 0; i < f->npartition; i++) {
            printf("%s\"%d\":", i ? "," : "", (int)spec->fields[i].field_id);
            value(&f->partition[i]);
        }
        printf("},\"record_count\":\"%" PRId64 "\",\"file_size_in_bytes\":\"%" PRId64 "\"",
               f->record_count, f->file_size_in_bytes);
        metric_map(f, FLOE_COL_SIZE, "column_sizes");
        metric_map(f, FLOE_COL_VALUES, "value_counts");
        metric_map(f, FLOE_COL_NULLS, "null_value_counts");
        metric_map(f, FLOE_COL_NANS, "nan_value_counts");
        metric_map(f, FLOE_COL_LOWER, "lower_bounds");
        metric_map(f, FLOE_COL_UPPER, "upper_bounds");
        printf(",\"key_metadata\":");
        hex(f->key_metadata, f->key_metadata_len);
        printf(",\"split_offsets\":");
        if (f->split_offsets) {
            putchar('[');
            for (uint32_t i = 0; i < f->nsplit_offsets; i++) {
                printf("%s\"%" PRId64 "\"", i ? "," : "", f->split_offsets[i]);
            }
            putchar(']');
        } else {
            printf("null");
        }
        printf(",\"equality_ids\":");
        if (f->equality_ids) {
            putchar('[');
            for (uint32_t i = 0; i < f->nequality_ids; i++) {
                printf("%s%d", i ? "," : "", (int)f->equality_ids[i]);
            }
            putchar(']');
        } else {
            printf("null");
        }
        printf(",\"sort_order_id\":");
        if (f->has_sort_order_id) {
            printf("%d", (int)f->sort_order_id);
        } else {
            printf("null");
        }
        printf("}\n");
    }
    floe_manifest_reader_close(&r);
    return rc;
}

static int dump_list(const uint8_t *buf, size_t n)
{
    struct floe_mlist_reader r;
    struct floe_mlist_row row;
    int rc = floe_mlist_reader_open(&r, buf, n);

    if (rc < 0) {
        return rc;
    }
    printf("{\"snapshot_id\":");
    opt_long(r.has_snapshot_id, r.snapshot_id);
    printf(",\"parent_snapshot_id\":");
    opt_long(r.has_parent_snapshot_id, r.parent_snapshot_id);
    printf(",\"sequence_number\":");
    opt_long(r.has_sequence_number, r.sequence_number);
    printf("}\n");
    while ((rc = floe_mlist_reader_next(&r, &row)) == 1) {
        printf("{\"manifest_path\":");
        jstr(row.path);
        printf(",\"manifest_length\":\"%" PRId64 "\",\"partition_spec_id\":%d,\"content\":%d,"
               "\"sequence_number\":\"%" PRId64 "\",\"min_sequence_number\":\"%" PRId64 "\","
               "\"added_snapshot_id\":\"%" PRId64 "\",\"added_files_count\":%d,"
               "\"existing_files_count\":%d,\"deleted_files_count\":%d,"
               "\"added_rows_count\":\"%" PRId64 "\",\"existing_rows_count\":\"%" PRId64 "\","
               "\"deleted_rows_count\":\"%" PRId64 "\",\"partitions\":",
               row.length, (int)row.spec_id, (int)row.content, row.sequence_number,
               row.min_sequence_number, row.added_snapshot_id, (int)row.added_files_count,
               (int)row.existing_files_count, (int)row.deleted_files_count, row.added_rows_count,
               row.existing_rows_count, row.deleted_rows_count);
        if (row.partitions) {
            putchar('[');
            for (uint32_t i = 0; i < row.npartitions; i++) {
                const struct floe_mlist_summary *s = &row.partitions[i];
                printf("%s{\"contains_null\":%s,\"contains_nan\":%s,\"lower_bound\":", i ? "," : "",
                       s->contains_null ? "true" : "false",
                       !s->has_contains_nan ? "null"
                       : s->contains_nan    ? "true"
                                            : "false");
                hex(s->lower, s->lower_len);
                printf(",\"upper_bound\":");
                hex(s->upper, s->upper_len);
                putchar('}');
            }
            putchar(']');
        } else {
            printf("null");
        }
        printf(",\"key_metadata\":");
        hex(row.key_metadata, row.key_metadata_len);
        printf("}\n");
    }
    floe_mlist_reader_close(&r);
    return rc;
}

int main(int argc, char **argv)
{
    uint8_t *buf;
    size_t n;
    int rc;

    if (argc == 2) {
        rc = write_all(argv[1]);
    } else if (argc == 3 && strcmp(argv[1], "--seeds") == 0) {
        rc = write_seeds(argv[2]);
    } else if (argc == 3 &&
               (strcmp(argv[1], "--dump-manifest") == 0 || strcmp(argv[1], "--dump-list") == 0)) {
        buf = load(argv[2], &n);
        if (!buf) {
            fprintf(stderr, "manifest_gen: cannot read %s\n", argv[2]);
            return 1;
        }
        rc = strcmp(argv[1], "--dump-list") == 0 ? dump_list(buf, n) : dump_manifest(buf, n);
        free(buf);
    } else {
        fprintf(stderr, "usage: manifest_gen OUT_DIR | --seeds DIR | --dump-manifest FILE | "
                        "--dump-list FILE\n");
        return 2;
    }
    if (rc < 0) {
        fprintf(stderr, "manifest_gen: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
