/* avro_gen.c — writes Avro container files shaped like Iceberg v2 metadata, and dumps container
 * files through floe's reader, for checks against an independent Avro implementation.
 *
 *   avro_gen OUT_DIR        writes OUT_DIR/manifest-list.avro (manifest_file records, field ids
 *                           500-519, optional partitions array of r508 summaries, 3 blocks) and
 *                           OUT_DIR/manifest.avro (manifest_entry records with data_file r2,
 *                           partition r102, k<id>_v<id> map arrays, 2 blocks).
 *   avro_gen --dump FILE    decodes FILE with floe's reader and its writer schema and prints one
 *                           JSON value per object: longs as strings, bytes and fixed as hex,
 *                           unions as their branch's value, enums as their index.
 *
 * tests/readers/check-avro.mjs runs both directions with avsc and checks every value. The row
 * values below are formulas of the row number; the checker recomputes them on its side.
 */
#include "avro.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPSHOT_ID INT64_C(3051729675574597004)
#define TS_BASE INT64_C(1510871468000000)

static const uint8_t gen_sync[AVRO_SYNC_SIZE] = {0xf1, 0x0e, 0x5a, 0x4b, 0x00, 0xff, 0x01, 0x80,
                                                 0x7f, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};

/* clang-format off */
static const char manifest_list_schema[] =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"doc\":\"Location URI with FS scheme\","
    "\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"doc\":\"Total file size in bytes\","
    "\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":"
    "{\"type\":\"record\",\"name\":\"r508\",\"fields\":["
    "{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
    "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"default\":null,"
    "\"field-id\":518},"
    "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":510},"
    "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":511}"
    "]},\"element-id\":508}],\"default\":null,\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":519}"
    "]}";

#define KV_MAP(name, id, kid, vid, vtype)                                                   \
    "{\"name\":\"" name "\",\"type\":[\"null\",{\"type\":\"array\",\"items\":"                  \
    "{\"type\":\"record\","                                                                     \
    "\"name\":\"k" #kid "_v" #vid "\",\"fields\":[{\"name\":\"key\",\"type\":\"int\","            \
    "\"field-id\":" #kid "},{\"name\":\"value\",\"type\":\"" vtype "\",\"field-id\":" #vid "}]},"  \
    "\"logicalType\":\"map\"}],\"default\":null,\"field-id\":" #id "}"

static const char manifest_schema[] =
    "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
    "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
    "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
    "{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,"
    "\"field-id\":3},"
    "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,"
    "\"field-id\":4},"
    "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
    "{\"name\":\"content\",\"type\":\"int\",\"doc\":\"Contents of the file: 0=data, "
    "1=position deletes, 2=equality deletes\",\"field-id\":134},"
    "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
    "{\"name\":\"file_format\",\"type\":\"string\",\"field-id\":101},"
    "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":["
    "{\"name\":\"signup_ts_day\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],"
    "\"default\":null,\"field-id\":1000},"
    "{\"name\":\"id_bucket\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":1001}"
    "]},\"field-id\":102},"
    "{\"name\":\"record_count\",\"type\":\"long\",\"field-id\":103},"
    "{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"field-id\":104},"
    KV_MAP("column_sizes", 108, 117, 118, "long") ","
    KV_MAP("value_counts", 109, 119, 120, "long") ","
    KV_MAP("null_value_counts", 110, 121, 122, "long") ","
    KV_MAP("nan_value_counts", 137, 138, 139, "long") ","
    KV_MAP("lower_bounds", 125, 126, 127, "bytes") ","
    KV_MAP("upper_bounds", 128, 129, 130, "bytes") ","
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":131},"
    "{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"long\","
    "\"element-id\":133}],\"default\":null,\"field-id\":132},"
    "{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"int\","
    "\"element-id\":136}],\"default\":null,\"field-id\":135},"
    "{\"name\":\"sort_order_id\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":140},"
    "{\"name\":\"referenced_data_file\",\"type\":[\"null\",\"string\"],\"default\":null,"
    "\"field-id\":143}"
    "]},\"field-id\":2}]}";

static const char table_schema[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"email\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"signup_ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"age\",\"required\":false,\"type\":\"int\"}]}";

static const char partition_spec[] =
    "[{\"source-id\":4,\"field-id\":1000,\"name\":\"signup_ts_day\",\"transform\":\"day\"},"
    "{\"source-id\":1,\"field-id\":1001,\"name\":\"id_bucket\",\"transform\":\"bucket[16]\"}]";
/* clang-format on */

/* ---- output ---- */

struct file_out {
    uint8_t buf[65536];
    size_t len;
    struct avro_writer w;
    uint8_t block[8192];
};

static int out_header(struct file_out *f, const char *schema, const struct avro_meta *meta,
                      size_t n)
{
    size_t len;
    int rc;

    f->len = 0;
    avro_writer_init(&f->w, gen_sync, f->block, sizeof f->block);
    rc = avro_writer_header(&f->w, schema, strlen(schema), NULL, meta, n, f->buf, sizeof f->buf,
                            &len);
    f->len = len;
    return rc;
}

static int out_flush(struct file_out *f)
{
    size_t len;
    int rc = avro_writer_flush(&f->w, f->buf + f->len, sizeof f->buf - f->len, &len);
    f->len += len;
    return rc;
}

static int out_save(struct file_out *f, const char *dir, const char *name)
{
    char path[4096];
    FILE *fp;
    int rc = 0;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (!fp) {
        return -errno;
    }
    if (fwrite(f->buf, 1, f->len, fp) != f->len) {
        rc = -EIO;
    }
    if (fclose(fp) != 0 && rc == 0) {
        rc = -EIO;
    }
    return rc;
}

static void le32(uint8_t *b, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(u >> (8 * i));
    }
}

static void le64(uint8_t *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(u >> (8 * i));
    }
}

static void put_opt_long(struct avro_enc *e, bool present, int64_t v)
{
    avro_put_union(e, present ? 1 : 0);
    if (present) {
        avro_put_long(e, v);
    }
}

static void put_opt_bytes(struct avro_enc *e, const uint8_t *p, size_t n)
{
    avro_put_union(e, p ? 1 : 0);
    if (p) {
        avro_put_bytes(e, p, n);
    }
}

/* ---- manifest list ---- */

static void encode_manifest_file(struct avro_enc *e, int i)
{
    char path[128];
    uint8_t lo[4], hi[4], zero[4], fifteen[4];

    snprintf(path, sizeof path, "s3://bucket/wh/db/users/metadata/snap-%d-m%d\xC3\xA9.avro", i, i);
    avro_put_cstring(e, path);
    avro_put_long(e, 4096 + 1000 * i);
    avro_put_int(e, i % 2);
    avro_put_int(e, i % 2);
    avro_put_long(e, 10 + i);
    avro_put_long(e, 5 + i);
    avro_put_long(e, SNAPSHOT_ID + i);
    avro_put_int(e, i);
    avro_put_int(e, 2 * i);
    avro_put_int(e, 0);
    avro_put_long(e, 100 * i);
    avro_put_long(e, i == 6 ? INT64_MIN : 7 * i);
    avro_put_long(e, i == 6 ? INT64_MAX : 0);
    if (i % 3 == 0) {
        avro_put_union(e, 0);
    } else {
        le32(lo, 20415 + i);
        le32(hi, 20415 + i + 1);
        le32(zero, 0);
        le32(fifteen, 15);
        avro_put_union(e, 1);
        avro_array_begin(e, 2);
        /* signup_ts_day summary */
        avro_put_boolean(e, i % 2 == 0);
        avro_put_union(e, 0);
        put_opt_bytes(e, lo, 4);
        put_opt_bytes(e, hi, 4);
        /* id_bucket summary */
        avro_put_boolean(e, false);
        avro_put_union(e, 1);
        avro_put_boolean(e, false);
        put_opt_bytes(e, zero, 4);
        put_opt_bytes(e, i == 5 ? NULL : fifteen, 4);
        avro_array_end(e);
    }
    put_opt_bytes(e, i == 4 ? (const uint8_t *)"\xde\xad\xbe\xef" : NULL, 4);
}

static int write_manifest_list(struct file_out *f, const char *dir)
{
    struct avro_meta meta[] = {
        {"snapshot-id", (const uint8_t *)"3051729675574597010", 19},
        {"parent-snapshot-id", (const uint8_t *)"3051729675574597009", 19},
        {"sequence-number", (const uint8_t *)"16", 2},
        {"format-version", (const uint8_t *)"2", 1},
    };
    int rc = out_header(f, manifest_list_schema, meta, sizeof meta / sizeof meta[0]);

    for (int i = 0; i < 7 && rc == 0; i++) {
        encode_manifest_file(avro_writer_begin(&f->w), i);
        rc = avro_writer_end(&f->w);
        if (rc == 0 && (i == 2 || i == 4)) {
            rc = out_flush(f);
        }
    }
    if (rc == 0) {
        rc = out_flush(f);
    }
    return rc == 0 ? out_save(f, dir, "manifest-list.avro") : rc;
}

/* ---- manifest ---- */

static void put_kv_longs(struct avro_enc *e, int n, int64_t (*value)(int c, int j), int j)
{
    avro_put_union(e, 1);
    avro_array_begin(e, n);
    for (int c = 1; c <= n; c++) {
        avro_put_int(e, c);
        avro_put_long(e, value(c, j));
    }
    avro_array_end(e);
}

static int64_t column_size(int c, int j)
{
    return 1000 * c + j;
}

static int64_t value_count(int c, int j)
{
    (void)c;
    return 100 * j + 1;
}

static int64_t null_count(int c, int j)
{
    return c == 5 ? j : 0;
}

static void put_bounds(struct avro_enc *e, int j, bool upper)
{
    uint8_t id[8], ts[8];
    const char *name = upper ? "zed" : "alice";

    le64(id, upper ? j * 10 + 9 : j * 10);
    le64(ts, TS_BASE + j + (upper ? 1000 : 0));
    avro_put_union(e, 1);
    avro_array_begin(e, 3);
    avro_put_int(e, 1);
    avro_put_bytes(e, id, 8);
    avro_put_int(e, 4);
    avro_put_bytes(e, ts, 8);
    avro_put_int(e, 2);
    avro_put_bytes(e, (const uint8_t *)name, strlen(name));
    avro_array_end(e);
}

static void encode_manifest_entry(struct avro_enc *e, int j)
{
    char path[160];

    avro_put_int(e, j == 3 ? 0 : 1);
    put_opt_long(e, true, j == 3 ? SNAPSHOT_ID - 3 : SNAPSHOT_ID);
    put_opt_long(e, j == 3, 7);
    put_opt_long(e, j == 3, 7);
    /* data_file */
    avro_put_int(e, j == 4 ? 2 : 0);
    snprintf(path, sizeof path,
             "s3://bucket/wh/db/users/data/signup_ts_day=2025-11-%d/id_bucket=%d/0000%d-0-abc"
             ".parquet",
             23 + j, (3 * j) % 16, j);
    avro_put_cstring(e, path);
    avro_put_cstring(e, "PARQUET");
    /* partition r102 */
    if (j == 2) {
        avro_put_union(e, 0);
    } else {
        avro_put_union(e, 1);
        avro_put_int(e, 20415 + j);
    }
    avro_put_union(e, 1);
    avro_put_int(e, (3 * j) % 16);
    avro_put_long(e, 100 * j + 1);
    avro_put_long(e, 8192 + 17 * j);
    put_kv_longs(e, 5, column_size, j);
    put_kv_longs(e, 5, value_count, j);
    put_kv_longs(e, 5, null_count, j);
    if (j % 2 == 0) {
        avro_put_union(e, 1);
        avro_array_begin(e, 0);
        avro_array_end(e);
    } else {
        avro_put_union(e, 0);
    }
    put_bounds(e, j, false);
    put_bounds(e, j, true);
    avro_put_union(e, 0); /* key_metadata */
    avro_put_union(e, 1); /* split_offsets */
    avro_array_begin(e, j % 2 == 0 ? 1 : 2);
    avro_put_long(e, 4);
    if (j % 2 == 1) {
        avro_put_long(e, 1048576);
    }
    avro_array_end(e);
    if (j == 4) {
        avro_put_union(e, 1);
        avro_array_begin(e, 1);
        avro_put_int(e, 1);
        avro_array_end(e);
    } else {
        avro_put_union(e, 0);
    }
    if (j == 4) {
        avro_put_union(e, 0);
    } else {
        avro_put_union(e, 1);
        avro_put_int(e, 0);
    }
    avro_put_union(e, 0); /* referenced_data_file */
}

static int write_manifest(struct file_out *f, const char *dir)
{
    struct avro_meta meta[] = {
        {"schema", (const uint8_t *)table_schema, sizeof table_schema - 1},
        {"schema-id", (const uint8_t *)"0", 1},
        {"partition-spec", (const uint8_t *)partition_spec, sizeof partition_spec - 1},
        {"partition-spec-id", (const uint8_t *)"0", 1},
        {"format-version", (const uint8_t *)"2", 1},
        {"content", (const uint8_t *)"data", 4},
    };
    int rc = out_header(f, manifest_schema, meta, sizeof meta / sizeof meta[0]);

    for (int j = 0; j < 5 && rc == 0; j++) {
        encode_manifest_entry(avro_writer_begin(&f->w), j);
        rc = avro_writer_end(&f->w);
        if (rc == 0 && j == 2) {
            rc = out_flush(f);
        }
    }
    if (rc == 0) {
        rc = out_flush(f);
    }
    return rc == 0 ? out_save(f, dir, "manifest.avro") : rc;
}

/* ---- dump ---- */

static void print_json_string(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static void print_hex(const uint8_t *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
    putchar('"');
}

static int dump_value(struct avro_dec *d, const struct avro_schema *s, uint32_t node, int depth)
{
    const struct avro_node *nd;
    int64_t n, l;
    int32_t i32;
    bool b;
    float f;
    double g;
    const uint8_t *p;
    const char *str;
    size_t len;
    uint32_t c;
    bool first = true;

    if (depth > AVRO_MAX_DEPTH) {
        return -EBADMSG;
    }
    node = avro_schema_resolve(s, node);
    nd = &s->nodes[node];
    switch (nd->type) {
    case AVRO_NULL:
        printf("null");
        break;
    case AVRO_BOOLEAN:
        if (avro_get_boolean(d, &b) == 0) {
            printf(b ? "true" : "false");
        }
        break;
    case AVRO_INT:
        if (avro_get_int(d, &i32) == 0) {
            printf("%d", (int)i32);
        }
        break;
    case AVRO_LONG:
        if (avro_get_long(d, &l) == 0) {
            printf("\"%lld\"", (long long)l);
        }
        break;
    case AVRO_ENUM:
        if (avro_get_long(d, &l) == 0) {
            printf("%lld", (long long)l);
        }
        break;
    case AVRO_FLOAT:
        if (avro_get_float(d, &f) == 0) {
            printf("%.9g", (double)f);
        }
        break;
    case AVRO_DOUBLE:
        if (avro_get_double(d, &g) == 0) {
            printf("%.17g", g);
        }
        break;
    case AVRO_STRING:
        if (avro_get_string(d, &str, &len) == 0) {
            print_json_string(str, len);
        }
        break;
    case AVRO_BYTES:
        if (avro_get_bytes(d, &p, &len) == 0) {
            print_hex(p, len);
        }
        break;
    case AVRO_FIXED:
        if (avro_get_fixed(d, (size_t)nd->size, &p) == 0) {
            print_hex(p, (size_t)nd->size);
        }
        break;
    case AVRO_RECORD:
        putchar('{');
        for (c = nd->child; c != AVRO_NO_NODE && !d->err; c = s->nodes[c].next) {
            printf("%s", first ? "" : ",");
            first = false;
            print_json_string(s->nodes[c].name, s->nodes[c].name_len);
            putchar(':');
            dump_value(d, s, s->nodes[c].child, depth + 1);
        }
        putchar('}');
        break;
    case AVRO_ARRAY:
    case AVRO_MAP:
        putchar(nd->type == AVRO_ARRAY ? '[' : '{');
        while (avro_get_block(d, &n) == 0 && n > 0) {
            for (int64_t i = 0; i < n && !d->err; i++) {
                printf("%s", first ? "" : ",");
                first = false;
                if (nd->type == AVRO_MAP && avro_get_string(d, &str, &len) == 0) {
                    print_json_string(str, len);
                    putchar(':');
                }
                dump_value(d, s, nd->child, depth + 1);
            }
        }
        putchar(nd->type == AVRO_ARRAY ? ']' : '}');
        break;
    case AVRO_UNION:
        if (avro_get_union(d, nd->count, &n) == 0) {
            c = nd->child;
            for (int64_t i = 0; i < n; i++) {
                c = s->nodes[c].next;
            }
            dump_value(d, s, c, depth + 1);
        }
        break;
    case AVRO_FIELD:
    case AVRO_REF:
        return -EINVAL;
    }
    return d->err;
}

static int dump(const char *path)
{
    static uint8_t buf[1 << 22];
    static struct avro_node nodes[4096];
    struct avro_reader r;
    struct avro_schema s;
    struct avro_dec d;
    int64_t count;
    size_t len;
    FILE *fp = fopen(path, "rb");
    int rc;

    if (!fp) {
        return -errno;
    }
    len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    rc = avro_reader_open(&r, buf, len);
    if (rc == 0) {
        rc = avro_schema_parse(&s, nodes, 4096, r.schema, r.schema_len);
    }
    while (rc == 0 && (rc = avro_reader_next_block(&r, &d, &count)) == 0 && count > 0) {
        for (int64_t i = 0; i < count && rc == 0; i++) {
            rc = dump_value(&d, &s, 0, 0);
            putchar('\n');
        }
        if (rc == 0) {
            rc = avro_dec_finish(&d);
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    static struct file_out f;
    int rc;

    if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
        rc = dump(argv[2]);
    } else if (argc == 2) {
        rc = write_manifest_list(&f, argv[1]);
        if (rc == 0) {
            rc = write_manifest(&f, argv[1]);
        }
    } else {
        fprintf(stderr, "usage: avro_gen OUT_DIR | avro_gen --dump FILE\n");
        return 2;
    }
    if (rc < 0) {
        fprintf(stderr, "avro_gen: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
