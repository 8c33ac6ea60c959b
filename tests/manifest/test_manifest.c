/* test_manifest.c — unit tests of agent/manifest*.c: manifests and manifest lists written by
 * floe and read back field by field (all field kinds, nulls, null partition values, equality
 * ids, inherited sequence numbers), golden details of the embedded schemas and metadata,
 * partition summaries, validation, deflate blocks, and hostile input (every truncation, byte
 * flips) that must fail cleanly.
 */
#include "manifest.h"
#include "check.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const uint8_t sync16[AVRO_SYNC_SIZE] = {1, 2,  3,  4,  5,  6,  7,  8,
                                               9, 10, 11, 12, 13, 14, 15, 16};

static const char table_schema[] =
    "{\"type\":\"struct\",\"schema-id\":3,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"signup_ts\",\"required\":false,\"type\":\"timestamptz\"}]}";

static const struct floe_manifest_spec_field users_fields[] = {
    {1000, 4, "signup_ts_day", "day", {.id = ICE_DATE}},
    {1001, 1, "id_bucket", "bucket[16]", {.id = ICE_INT}},
};
static const struct floe_manifest_spec users_spec = {0, users_fields, 2};
static const struct floe_manifest_spec unpartitioned = {1, NULL, 0};

static uint8_t work[1 << 20];
static uint8_t out[4 << 20];

static void le64(uint8_t *b, int64_t v)
{
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)((uint64_t)v >> (8 * i));
    }
}

/* ---- fixtures ---- */

struct fixture {
    struct floe_manifest_entry e[4];
    struct ice_value part[4][2];
    struct floe_manifest_column cols[4][3];
    uint8_t lo[4][8], hi[4][8];
    int64_t splits[2];
    int32_t eq[1];
    char path[4][64];
};

static void make_users(struct fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->splits[0] = 4;
    fx->splits[1] = 1 << 20;
    for (int i = 0; i < 4; i++) {
        struct floe_manifest_entry *e = &fx->e[i];
        struct floe_manifest_data_file *f = &e->file;
        snprintf(fx->path[i], sizeof fx->path[i], "s3://b/t/data/f%d.parquet", i);
        e->status = i == 1   ? FLOE_MANIFEST_EXISTING
                    : i == 2 ? FLOE_MANIFEST_DELETED
                             : FLOE_MANIFEST_ADDED;
        e->has_snapshot_id = i != 3; /* entry 3 inherits everything */
        e->snapshot_id = 9000 + i;
        e->has_sequence_number = e->has_file_sequence_number = i == 1 || i == 2;
        e->sequence_number = 5 + i;
        e->file_sequence_number = 6 + i;
        f->content = FLOE_CONTENT_DATA;
        f->path = fx->path[i];
        f->format = "PARQUET";
        fx->part[i][0] = i == 2 ? ice_null(ICE_DATE) : ice_date(20415 + i);
        fx->part[i][1] = ice_int(3 * i);
        f->partition = fx->part[i];
        f->npartition = 2;
        f->record_count = 100 + i;
        f->file_size_in_bytes = 4096 + i;
        for (int c = 0; c < 3; c++) {
            struct floe_manifest_column *col = &fx->cols[i][c];
            col->field_id = c + 1;
            col->has = FLOE_COL_SIZE | FLOE_COL_VALUES | FLOE_COL_NULLS;
            col->column_size = 1000 * (c + 1) + i;
            col->value_count = 100 + i;
            col->null_count = c;
        }
        le64(fx->lo[i], 10 * i);
        le64(fx->hi[i], 10 * i + 9);
        fx->cols[i][0].has |= FLOE_COL_LOWER | FLOE_COL_UPPER;
        fx->cols[i][0].lower = fx->lo[i];
        fx->cols[i][0].lower_len = 8;
        fx->cols[i][0].upper = fx->hi[i];
        fx->cols[i][0].upper_len = 8;
        f->columns = fx->cols[i];
        f->ncolumns = 3;
        f->maps = FLOE_COL_ALL & ~(i == 3 ? FLOE_COL_NANS : 0u);
        f->split_offsets = i == 0 ? fx->splits : NULL;
        f->nsplit_offsets = i == 0 ? 2 : 0;
        f->has_sort_order_id = i == 0;
        f->sort_order_id = 0;
        if (i == 3) {
            f->key_metadata = (const uint8_t *)"\x01\x02";
            f->key_metadata_len = 2;
        }
    }
}

static int write_manifest(const struct floe_manifest_spec *spec, int32_t content,
                          const struct floe_manifest_entry *e, size_t n, size_t work_cap,
                          struct floe_manifest_buf *b, uint64_t *len)
{
    struct floe_manifest_info info = {table_schema, strlen(table_schema), 3, spec, content, sync16};
    b->p = out;
    b->cap = sizeof out;
    b->len = 0;
    return floe_manifest_write(&info, e, n, work, work_cap, floe_manifest_buf_sink, b, len);
}

static void check_value(const struct ice_value *got, const struct ice_value *want)
{
    CHECK_INT(got->type, want->type);
    CHECK_INT(got->is_null, want->is_null);
    if (got->is_null || want->is_null) {
        return;
    }
    switch (want->type) {
    case ICE_BOOLEAN:
        CHECK_INT(got->v.b, want->v.b);
        break;
    case ICE_INT:
    case ICE_DATE:
        CHECK_INT(got->v.i, want->v.i);
        break;
    case ICE_FLOAT:
        CHECK(memcmp(&got->v.f, &want->v.f, 4) == 0);
        break;
    case ICE_DOUBLE:
        CHECK(memcmp(&got->v.d, &want->v.d, 8) == 0);
        break;
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
        CHECK_INT(got->v.bin.n, want->v.bin.n);
        if (want->v.bin.n && got->v.bin.n == want->v.bin.n) {
            CHECK_MEM(got->v.bin.p, want->v.bin.p, want->v.bin.n);
        }
        break;
    case ICE_UUID:
        CHECK_MEM(got->v.uuid, want->v.uuid, 16);
        break;
    case ICE_DECIMAL:
        CHECK_MEM(got->v.dec, want->v.dec, 16);
        CHECK_INT(got->scale, want->scale);
        break;
    default:
        CHECK_INT(got->v.l, want->v.l);
        break;
    }
}

static const struct floe_manifest_column *find_col(const struct floe_manifest_data_file *f,
                                                   int32_t id)
{
    for (uint32_t i = 0; i < f->ncolumns; i++) {
        if (f->columns[i].field_id == id) {
            return &f->columns[i];
        }
    }
    return NULL;
}

static void check_entry(const struct floe_manifest_entry *got,
                        const struct floe_manifest_entry *want)
{
    const struct floe_manifest_data_file *g = &got->file, *w = &want->file;

    CHECK_INT(got->status, want->status);
    CHECK_INT(got->has_snapshot_id, want->has_snapshot_id);
    if (want->has_snapshot_id) {
        CHECK_INT(got->snapshot_id, want->snapshot_id);
    }
    CHECK_INT(got->has_sequence_number, want->has_sequence_number);
    CHECK_INT(got->has_file_sequence_number, want->has_file_sequence_number);
    if (want->has_sequence_number) {
        CHECK_INT(got->sequence_number, want->sequence_number);
        CHECK_INT(got->file_sequence_number, want->file_sequence_number);
    }
    CHECK_INT(g->content, w->content);
    CHECK_STR(g->path, w->path);
    CHECK_STR(g->format, w->format);
    CHECK_INT(g->npartition, w->npartition);
    for (uint32_t i = 0; i < w->npartition && i < g->npartition; i++) {
        check_value(&g->partition[i], &w->partition[i]);
    }
    CHECK_INT(g->record_count, w->record_count);
    CHECK_INT(g->file_size_in_bytes, w->file_size_in_bytes);
    CHECK_INT(g->maps, w->maps);
    for (uint32_t i = 0; i < w->ncolumns; i++) {
        const struct floe_manifest_column *wc = &w->columns[i];
        const struct floe_manifest_column *gc = find_col(g, wc->field_id);
        uint32_t expect_has = wc->has & w->maps;
        if (!expect_has) {
            continue;
        }
        if (!CHECK(gc != NULL)) {
            continue;
        }
        CHECK_INT(gc->has, expect_has);
        if (expect_has & FLOE_COL_SIZE)
            CHECK_INT(gc->column_size, wc->column_size);
        if (expect_has & FLOE_COL_VALUES)
            CHECK_INT(gc->value_count, wc->value_count);
        if (expect_has & FLOE_COL_NULLS)
            CHECK_INT(gc->null_count, wc->null_count);
        if (expect_has & FLOE_COL_NANS)
            CHECK_INT(gc->nan_count, wc->nan_count);
        if (expect_has & FLOE_COL_LOWER) {
            CHECK_INT(gc->lower_len, wc->lower_len);
            CHECK_MEM(gc->lower, wc->lower, wc->lower_len);
        }
        if (expect_has & FLOE_COL_UPPER) {
            CHECK_INT(gc->upper_len, wc->upper_len);
            CHECK_MEM(gc->upper, wc->upper, wc->upper_len);
        }
    }
    CHECK_INT(g->key_metadata != NULL, w->key_metadata != NULL);
    if (w->key_metadata && g->key_metadata) {
        CHECK_INT(g->key_metadata_len, w->key_metadata_len);
        CHECK_MEM(g->key_metadata, w->key_metadata, w->key_metadata_len);
    }
    CHECK_INT(g->split_offsets != NULL, w->split_offsets != NULL);
    CHECK_INT(g->nsplit_offsets, w->nsplit_offsets);
    for (uint32_t i = 0; i < w->nsplit_offsets && i < g->nsplit_offsets; i++) {
        CHECK_INT(g->split_offsets[i], w->split_offsets[i]);
    }
    CHECK_INT(g->equality_ids != NULL, w->equality_ids != NULL);
    CHECK_INT(g->nequality_ids, w->nequality_ids);
    for (uint32_t i = 0; i < w->nequality_ids && i < g->nequality_ids; i++) {
        CHECK_INT(g->equality_ids[i], w->equality_ids[i]);
    }
    CHECK_INT(g->has_sort_order_id, w->has_sort_order_id);
    if (w->has_sort_order_id) {
        CHECK_INT(g->sort_order_id, w->sort_order_id);
    }
}

/* Reads buf back and compares with want[0..n). */
static void check_read_back(const uint8_t *buf, size_t len, const struct floe_manifest_spec *spec,
                            const struct floe_manifest_entry *want, size_t n)
{
    struct floe_manifest_reader r;
    struct floe_manifest_entry e;
    const struct floe_manifest_spec *got;
    size_t i = 0;
    int rc;

    rc = floe_manifest_reader_open(&r, buf, len);
    CHECK_INT(rc, 0);
    if (rc < 0) {
        return;
    }
    got = floe_manifest_reader_spec(&r);
    CHECK_INT(got->spec_id, spec->spec_id);
    CHECK_INT(got->nfields, spec->nfields);
    for (uint32_t k = 0; k < spec->nfields && k < got->nfields; k++) {
        CHECK_INT(got->fields[k].field_id, spec->fields[k].field_id);
        CHECK_INT(got->fields[k].source_id, spec->fields[k].source_id);
        CHECK_STR(got->fields[k].name, spec->fields[k].name);
        CHECK_STR(got->fields[k].transform, spec->fields[k].transform);
        CHECK_INT(got->fields[k].type.id, spec->fields[k].type.id);
    }
    CHECK(r.has_schema_id && r.schema_id == 3);
    CHECK_INT(r.format_version, 2);
    while ((rc = floe_manifest_reader_next(&r, &e)) == 1) {
        if (CHECK(i < n)) {
            check_entry(&e, &want[i]);
        }
        i++;
    }
    CHECK_INT(rc, 0);
    CHECK_INT(i, n);
    floe_manifest_reader_close(&r);
}

/* ---- tests ---- */

static void test_round_trip(void)
{
    struct fixture fx;
    struct floe_manifest_buf b;
    uint64_t len = 0;

    make_users(&fx);
    CHECK_INT(
        write_manifest(&users_spec, FLOE_MANIFEST_CONTENT_DATA, fx.e, 4, sizeof work, &b, &len), 0);
    CHECK_INT(len, b.len);
    CHECK_MEM(out, "Obj\x01", 4);
    check_read_back(out, b.len, &users_spec, fx.e, 4);

    /* An empty manifest is valid too. */
    CHECK_INT(
        write_manifest(&users_spec, FLOE_MANIFEST_CONTENT_DATA, fx.e, 0, sizeof work, &b, &len), 0);
    check_read_back(out, b.len, &users_spec, fx.e, 0);
}

static void test_deletes(void)
{
    struct fixture fx;
    struct floe_manifest_buf b;
    struct floe_manifest_reader r;
    uint64_t len;
    int32_t eq[2] = {1, 4};

    make_users(&fx);
    for (int i = 0; i < 2; i++) {
        struct floe_manifest_data_file *f = &fx.e[i].file;
        fx.e[i].status = FLOE_MANIFEST_ADDED;
        fx.e[i].has_sequence_number = fx.e[i].has_file_sequence_number = false;
        f->partition = NULL;
        f->npartition = 0;
        f->content = i == 0 ? FLOE_CONTENT_EQUALITY_DELETES : FLOE_CONTENT_POSITION_DELETES;
        f->equality_ids = i == 0 ? eq : NULL;
        f->nequality_ids = i == 0 ? 2 : 0;
        f->has_sort_order_id = false;
    }
    CHECK_INT(write_manifest(&unpartitioned, FLOE_MANIFEST_CONTENT_DELETES, fx.e, 2, sizeof work,
                             &b, &len),
              0);
    check_read_back(out, b.len, &unpartitioned, fx.e, 2);
    CHECK_INT(floe_manifest_reader_open(&r, out, b.len), 0);
    CHECK_INT(r.content, FLOE_MANIFEST_CONTENT_DELETES);
    floe_manifest_reader_close(&r);

    /* An empty equality id list is refused, and so is a data file in a deletes manifest. */
    fx.e[0].file.nequality_ids = 0;
    CHECK_INT(write_manifest(&unpartitioned, FLOE_MANIFEST_CONTENT_DELETES, fx.e, 2, sizeof work,
                             &b, &len),
              -EINVAL);
    CHECK_INT(b.len, 0);
    fx.e[0].file.nequality_ids = 2;
    fx.e[1].file.content = FLOE_CONTENT_DATA;
    CHECK_INT(write_manifest(&unpartitioned, FLOE_MANIFEST_CONTENT_DELETES, fx.e, 2, sizeof work,
                             &b, &len),
              -EINVAL);
}

static void test_validation(void)
{
    struct fixture fx;
    struct floe_manifest_buf b;
    uint64_t len;

    make_users(&fx);
    fx.e[1].has_sequence_number = false; /* EXISTING must carry its sequence numbers */
    CHECK_INT(write_manifest(&users_spec, 0, fx.e, 4, sizeof work, &b, &len), -EINVAL);
    make_users(&fx);
    fx.part[0][1] = ice_long(3); /* bucket values are ints */
    CHECK_INT(write_manifest(&users_spec, 0, fx.e, 4, sizeof work, &b, &len), -EINVAL);
    make_users(&fx);
    fx.e[0].file.npartition = 1;
    CHECK_INT(write_manifest(&users_spec, 0, fx.e, 4, sizeof work, &b, &len), -EINVAL);
    make_users(&fx);
    fx.e[0].status = 3;
    CHECK_INT(write_manifest(&users_spec, 0, fx.e, 4, sizeof work, &b, &len), -EINVAL);
    CHECK_INT(b.len, 0);
    make_users(&fx);
    /* A workspace too small for the header, and a sink that is too small. */
    CHECK_INT(write_manifest(&users_spec, 0, fx.e, 4, 512, &b, &len), -ENOSPC);
    {
        struct floe_manifest_info info = {table_schema, strlen(table_schema), 3, &users_spec, 0,
                                          sync16};
        struct floe_manifest_buf small = {out, 100, 0};
        CHECK_INT(floe_manifest_write(&info, fx.e, 4, work, sizeof work, floe_manifest_buf_sink,
                                      &small, &len),
                  -ENOSPC);
        CHECK_INT(len, 0);
    }
}

static void test_golden_schema(void)
{
    struct fixture fx;
    struct floe_manifest_buf b;
    struct avro_reader ar;
    const uint8_t *v;
    size_t n;
    uint64_t len;
    static const char *needles[] = {
        "\"name\":\"manifest_entry\"",
        "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1}",
        "\"name\":\"r2\"",
        "\"name\":\"r102\"",
        "{\"name\":\"signup_ts_day\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}"
        "],"
        "\"default\":null,\"field-id\":1000}",
        "{\"name\":\"id_bucket\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":1001}",
        "{\"name\":\"column_sizes\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":"
        "\"record\",\"name\":\"k117_v118\",\"fields\":[{\"name\":\"key\",\"type\":\"int\","
        "\"field-id\":117},{\"name\":\"value\",\"type\":\"long\",\"field-id\":118}]},"
        "\"logicalType\":\"map\"}],\"default\":null,\"field-id\":108}",
        "\"name\":\"k126_v127\"",
        "\"name\":\"k138_v139\"",
        "{\"type\":\"array\",\"items\":\"long\",\"element-id\":133}",
        "{\"type\":\"array\",\"items\":\"int\",\"element-id\":136}",
    };

    make_users(&fx);
    CHECK_INT(write_manifest(&users_spec, 0, fx.e, 4, sizeof work, &b, &len), 0);
    CHECK_INT(avro_reader_open(&ar, out, b.len), 0);
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        char *schema = strndup(ar.schema, ar.schema_len);
        if (!CHECK(schema && strstr(schema, needles[i]))) {
            fprintf(stderr, "    missing %s\n", needles[i]);
        }
        free(schema);
    }
#define META_IS(key, want)                                                                         \
    do {                                                                                           \
        CHECK_INT(avro_reader_meta(&ar, key, &v, &n), 0);                                          \
        CHECK_INT(n, strlen(want));                                                                \
        CHECK_MEM(v, want, strlen(want));                                                          \
    } while (0)
    META_IS("avro.codec", "null");
    META_IS("format-version", "2");
    META_IS("content", "data");
    META_IS("schema-id", "3");
    META_IS("partition-spec-id", "0");
    META_IS("schema", table_schema);
    META_IS(
        "partition-spec",
        "[{\"name\":\"signup_ts_day\",\"transform\":\"day\",\"source-id\":4,\"field-id\":1000},"
        "{\"name\":\"id_bucket\",\"transform\":\"bucket[16]\",\"source-id\":1,\"field-id\":1001}]");
    CHECK_MEM(ar.sync, sync16, 16);

    /* The first entry's bytes right after the block header: status 1 (02), snapshot id
     * union 1 (02) + 9000 (zig-zag d0 8c 01), sequence numbers null (00 00), content 0. */
    {
        struct avro_dec d;
        int64_t count;
        static const uint8_t head[] = {0x02, 0x02, 0xd0, 0x8c, 0x01, 0x00, 0x00, 0x00};
        CHECK_INT(avro_reader_next_block(&ar, &d, &count), 0);
        CHECK_INT(count, 4);
        CHECK_MEM(d.p + d.pos, head, sizeof head);
    }
}

static void test_types(void)
{
    static const struct floe_manifest_spec_field fields[] = {
        {1000, 1, "b", "identity", {.id = ICE_BOOLEAN}},
        {1001, 2, "l", "identity", {.id = ICE_LONG}},
        {1002, 3, "f", "identity", {.id = ICE_FLOAT}},
        {1003, 4, "d", "identity", {.id = ICE_DOUBLE}},
        {1004, 5, "s", "truncate[4]", {.id = ICE_STRING}},
        {1005, 6, "bin", "identity", {.id = ICE_BINARY}},
        {1006, 7, "fx", "identity", {.id = ICE_FIXED, .length = 3}},
        {1007, 8, "u1", "identity", {.id = ICE_UUID}},
        {1008, 9, "u2", "identity", {.id = ICE_UUID}},
        {1009, 10, "dec", "identity", {.id = ICE_DECIMAL, .precision = 9, .scale = 2}},
        {1010, 11, "ts", "identity", {.id = ICE_TIMESTAMP}},
        {1011, 12, "tm", "identity", {.id = ICE_TIME}},
        {1012, 13, "1st col-x", "identity", {.id = ICE_INT}},
    };
    static const char schema[] =
        "{\"type\":\"struct\",\"fields\":["
        "{\"id\":1,\"name\":\"b\",\"required\":false,\"type\":\"boolean\"},"
        "{\"id\":2,\"name\":\"l\",\"required\":false,\"type\":\"long\"},"
        "{\"id\":3,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
        "{\"id\":4,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
        "{\"id\":5,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
        "{\"id\":6,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
        "{\"id\":7,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[3]\"},"
        "{\"id\":8,\"name\":\"u1\",\"required\":false,\"type\":\"uuid\"},"
        "{\"id\":20,\"name\":\"nested\",\"required\":false,\"type\":{\"type\":\"struct\","
        "\"fields\":[{\"id\":9,\"name\":\"u2\",\"required\":false,\"type\":\"uuid\"}]}},"
        "{\"id\":10,\"name\":\"dec\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
        "{\"id\":11,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
        "{\"id\":12,\"name\":\"tm\",\"required\":false,\"type\":\"time\"},"
        "{\"id\":13,\"name\":\"1st col-x\",\"required\":false,\"type\":\"int\"}]}";
    const struct floe_manifest_spec spec = {7, fields, 13};
    struct ice_value pv[2][13];
    struct floe_manifest_entry e[2];
    struct floe_manifest_info info = {schema, strlen(schema), 0, &spec, 0, sync16};
    struct floe_manifest_buf b = {out, sizeof out, 0};
    struct avro_reader ar;
    uint64_t len;
    static const uint8_t u[16] = {0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd,
                                  0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7};

    memset(e, 0, sizeof e);
    for (int i = 0; i < 2; i++) {
        struct ice_value *v = pv[i];
        v[0] = (struct ice_value){.type = ICE_BOOLEAN, .v.b = i == 0};
        v[1] = ice_long(i ? INT64_MIN : INT64_MAX);
        v[2] = (struct ice_value){.type = ICE_FLOAT, .v.f = i ? -0.0f : 1.5f};
        v[3] = (struct ice_value){.type = ICE_DOUBLE, .v.d = i ? NAN : -2.25};
        v[4] = ice_string(i ? "" : "h\xC3\xA9llo", i ? 0 : 6);
        v[5] = ice_binary((const uint8_t *)"\x00\xff\x10", 3);
        v[6] = (struct ice_value){.type = ICE_FIXED, .v.bin = {(const uint8_t *)"abc", 3}};
        v[7] = (struct ice_value){.type = ICE_UUID};
        memcpy(v[7].v.uuid, u, 16);
        v[8] = i ? ice_null(ICE_UUID) : v[7];
        v[9] = ice_decimal(i ? -12345 : 99999999, 2);
        v[10] = (struct ice_value){.type = ICE_TIMESTAMP, .v.l = -1};
        v[11] = (struct ice_value){.type = ICE_TIME, .v.l = 86399999999};
        v[12] = ice_int(-7);
        e[i].status = FLOE_MANIFEST_ADDED;
        e[i].file.path = "p";
        e[i].file.format = "PARQUET";
        e[i].file.partition = v;
        e[i].file.npartition = 13;
        e[i].file.split_offsets = (const int64_t *)"";
        e[i].file.nsplit_offsets = 0; /* an empty, non-null list */
    }
    CHECK_INT(floe_manifest_write(&info, e, 2, work, sizeof work, floe_manifest_buf_sink, &b, &len),
              0);
    /* The reader takes the types from the spec's transforms and the table schema. */
    {
        struct floe_manifest_reader r;
        struct floe_manifest_entry got;
        int i = 0;
        CHECK_INT(floe_manifest_reader_open(&r, out, b.len), 0);
        CHECK_INT(floe_manifest_reader_spec(&r)->nfields, 13);
        CHECK_INT(floe_manifest_reader_spec(&r)->fields[9].type.precision, 9);
        CHECK_INT(floe_manifest_reader_spec(&r)->fields[9].type.scale, 2);
        CHECK_INT(floe_manifest_reader_spec(&r)->fields[8].type.id, ICE_UUID);
        while (floe_manifest_reader_next(&r, &got) == 1 && i < 2) {
            for (int k = 0; k < 13; k++) {
                check_value(&got.file.partition[k], &pv[i][k]);
            }
            CHECK(got.file.split_offsets != NULL);
            CHECK_INT(got.file.nsplit_offsets, 0);
            CHECK(got.file.equality_ids == NULL);
            i++;
        }
        CHECK_INT(i, 2);
        floe_manifest_reader_close(&r);
    }
    /* The second uuid refers to the named type the first defined; the odd name is made
     * Avro-compatible with the original kept. */
    CHECK_INT(avro_reader_open(&ar, out, b.len), 0);
    {
        char *s = strndup(ar.schema, ar.schema_len);
        CHECK(strstr(s, "{\"type\":\"fixed\",\"name\":\"uuid_fixed\",\"size\":16,"
                        "\"logicalType\":\"uuid\"}") != NULL);
        CHECK(strstr(s, "\"type\":[\"null\",\"uuid_fixed\"]") != NULL);
        CHECK(strstr(s, "\"name\":\"decimal_9_2\",\"size\":4,\"logicalType\":\"decimal\","
                        "\"precision\":9,\"scale\":2") != NULL);
        CHECK(strstr(s, "\"name\":\"_1st_x20col_x2Dx\"") != NULL);
        CHECK(strstr(s, "\"iceberg-field-name\":\"1st col-x\"") != NULL);
        CHECK(strstr(s, "\"adjust-to-utc\":false") != NULL);
        free(s);
    }
    /* A decimal that does not fit its precision's bytes is refused. */
    pv[0][9] = ice_decimal(INT64_MAX, 2);
    b.len = 0;
    CHECK_INT(floe_manifest_write(&info, e, 2, work, sizeof work, floe_manifest_buf_sink, &b, &len),
              -EINVAL);
}

static void test_summary_and_list(void)
{
    struct fixture fx;
    struct floe_mlist_row rows[3];
    struct floe_mlist_summary sums[2];
    uint8_t bounds[64];
    struct floe_mlist_info info = {777, false, 0, 12, sync16};
    struct floe_manifest_buf b = {out, sizeof out, 0};
    struct floe_mlist_reader r;
    struct floe_mlist_row got;
    uint64_t len;
    int n = 0, rc;

    make_users(&fx);
    CHECK_INT(floe_manifest_summarize(&users_spec, fx.e, 4, 12, 777, &rows[0], sums, bounds,
                                      sizeof bounds),
              0);
    CHECK_INT(rows[0].added_files_count, 2);
    CHECK_INT(rows[0].existing_files_count, 1);
    CHECK_INT(rows[0].deleted_files_count, 1);
    CHECK_INT(rows[0].added_rows_count, 100 + 103);
    CHECK_INT(rows[0].existing_rows_count, 101);
    CHECK_INT(rows[0].deleted_rows_count, 102);
    CHECK_INT(rows[0].min_sequence_number, 6); /* the EXISTING entry; DELETED ones do not count */
    CHECK_INT(rows[0].sequence_number, 12);
    CHECK_INT(rows[0].added_snapshot_id, 777);
    CHECK_INT(rows[0].npartitions, 2);
    CHECK(sums[0].contains_null);
    CHECK(sums[0].has_contains_nan && !sums[0].contains_nan);
    /* day: min 20415, max 20418 (entry 2's null skipped); bucket 0..9. */
    CHECK_INT(sums[0].lower_len, 4);
    CHECK_MEM(sums[0].lower, "\xbf\x4f\x00\x00", 4);
    CHECK_MEM(sums[0].upper, "\xc2\x4f\x00\x00", 4);
    CHECK(!sums[1].contains_null);
    CHECK_MEM(sums[1].lower, "\x00\x00\x00\x00", 4);
    CHECK_MEM(sums[1].upper, "\x09\x00\x00\x00", 4);
    CHECK_INT(floe_manifest_summarize(&users_spec, fx.e, 4, 12, 777, &rows[0], sums, bounds, 10),
              -ENOSPC);

    /* Floats: NaN is flagged and never a bound; -0.0 orders before +0.0. */
    {
        static const struct floe_manifest_spec_field ff[] = {
            {1000, 1, "x", "identity", {.id = ICE_DOUBLE}}};
        const struct floe_manifest_spec fs = {0, ff, 1};
        struct ice_value v[3] = {{.type = ICE_DOUBLE, .v.d = 0.0},
                                 {.type = ICE_DOUBLE, .v.d = NAN},
                                 {.type = ICE_DOUBLE, .v.d = -0.0}};
        struct floe_manifest_entry e[3];
        struct floe_mlist_row row;
        memset(e, 0, sizeof e);
        for (int i = 0; i < 3; i++) {
            e[i].status = FLOE_MANIFEST_ADDED;
            e[i].file.partition = &v[i];
            e[i].file.npartition = 1;
        }
        CHECK_INT(floe_manifest_summarize(&fs, e, 3, 1, 1, &row, sums, bounds, sizeof bounds), 0);
        CHECK(sums[0].contains_nan && !sums[0].contains_null);
        CHECK_MEM(sums[0].lower, "\x00\x00\x00\x00\x00\x00\x00\x80", 8);
        CHECK_MEM(sums[0].upper, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
        CHECK_INT(row.min_sequence_number, 1); /* nothing explicit: the commit's */
    }

    make_users(&fx);
    floe_manifest_summarize(&users_spec, fx.e, 4, 12, 777, &rows[0], sums, bounds, sizeof bounds);
    rows[0].path = "s3://b/t/metadata/m0.avro";
    rows[0].length = 5123;
    rows[1] = rows[0];
    rows[1].path = "s3://b/t/metadata/m1.avro";
    rows[1].partitions = NULL;
    rows[1].npartitions = 0;
    rows[1].content = FLOE_MANIFEST_CONTENT_DELETES;
    rows[1].key_metadata = (const uint8_t *)"k";
    rows[1].key_metadata_len = 1;
    rows[2] = rows[0];
    rows[2].existing_rows_count = INT64_MIN;
    rows[2].deleted_rows_count = INT64_MAX;
    CHECK_INT(floe_mlist_write(&info, rows, 3, work, floe_mlist_work_size(rows, 3),
                               floe_manifest_buf_sink, &b, &len),
              0);
    CHECK_INT(len, b.len);
    CHECK_INT(floe_mlist_reader_open(&r, out, b.len), 0);
    CHECK(r.has_snapshot_id && r.snapshot_id == 777);
    CHECK(!r.has_parent_snapshot_id); /* Java's "null" */
    CHECK(r.has_sequence_number && r.sequence_number == 12);
    while ((rc = floe_mlist_reader_next(&r, &got)) == 1) {
        const struct floe_mlist_row *w = &rows[n];
        CHECK_STR(got.path, w->path);
        CHECK_INT(got.length, w->length);
        CHECK_INT(got.spec_id, w->spec_id);
        CHECK_INT(got.content, w->content);
        CHECK_INT(got.sequence_number, w->sequence_number);
        CHECK_INT(got.min_sequence_number, w->min_sequence_number);
        CHECK_INT(got.added_snapshot_id, w->added_snapshot_id);
        CHECK_INT(got.added_files_count, w->added_files_count);
        CHECK_INT(got.existing_files_count, w->existing_files_count);
        CHECK_INT(got.deleted_files_count, w->deleted_files_count);
        CHECK_INT(got.added_rows_count, w->added_rows_count);
        CHECK_INT(got.existing_rows_count, w->existing_rows_count);
        CHECK_INT(got.deleted_rows_count, w->deleted_rows_count);
        CHECK_INT(got.partitions != NULL, w->partitions != NULL);
        CHECK_INT(got.npartitions, w->npartitions);
        for (uint32_t k = 0; k < got.npartitions && k < w->npartitions; k++) {
            const struct floe_mlist_summary *gs = &got.partitions[k], *ws = &w->partitions[k];
            CHECK_INT(gs->contains_null, ws->contains_null);
            CHECK_INT(gs->has_contains_nan, ws->has_contains_nan);
            CHECK_INT(gs->contains_nan, ws->contains_nan);
            CHECK_INT(gs->lower_len, ws->lower_len);
            CHECK_MEM(gs->lower, ws->lower, ws->lower_len);
            CHECK_INT(gs->upper_len, ws->upper_len);
            CHECK_MEM(gs->upper, ws->upper, ws->upper_len);
        }
        CHECK_INT(got.key_metadata_len, w->key_metadata_len);
        n++;
    }
    CHECK_INT(rc, 0);
    CHECK_INT(n, 3);
    floe_mlist_reader_close(&r);
}

/* Many entries through a small workspace: several blocks, all read back. */
static void test_blocks(void)
{
    enum { N = 600 };
    static struct floe_manifest_entry e[N];
    struct fixture fx;
    struct floe_manifest_info info = {table_schema, strlen(table_schema), 3, &users_spec, 0,
                                      sync16};
    struct floe_manifest_buf b = {out, sizeof out, 0};
    struct avro_reader ar;
    struct avro_dec d;
    int64_t count;
    int blocks = 0;
    uint64_t len;
    size_t ws;

    make_users(&fx);
    for (int i = 0; i < N; i++) {
        e[i] = fx.e[i % 4];
    }
    ws = floe_manifest_work_size(&info, e, N);
    CHECK(ws >= 64 * 1024 && ws < sizeof work);
    CHECK_INT(floe_manifest_write(&info, e, N, work, ws, floe_manifest_buf_sink, &b, &len), 0);
    CHECK_INT(avro_reader_open(&ar, out, b.len), 0);
    while (avro_reader_next_block(&ar, &d, &count) == 0 && count > 0) {
        blocks++;
    }
    CHECK(blocks >= 2);
    check_read_back(out, b.len, &users_spec, e, N);
    /* A workspace whose half cannot hold one entry. */
    {
        static char long_path[20000];
        memset(long_path, 'a', sizeof long_path - 1);
        e[7].file.path = long_path;
        CHECK_INT(floe_manifest_write(&info, e, N, work, 30000, floe_manifest_buf_sink, &b, &len),
                  -EMSGSIZE);
        CHECK(floe_manifest_work_size(&info, e, N) > 40000);
    }
}

/* Rewrites an Avro file with every block compressed by raw deflate. */
static size_t deflate_copy(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    struct avro_reader ar;
    struct avro_writer w;
    struct avro_meta meta[16];
    struct avro_dec d;
    size_t nm = 0, cursor = 0, used, n;
    const char *k;
    size_t kn;
    const uint8_t *v;
    size_t vn;
    int64_t count;
    static char keys[16][64];
    static uint8_t zbuf[4 << 20];

    if (avro_reader_open(&ar, src, len) < 0) {
        return 0;
    }
    while (avro_reader_meta_next(&ar, &cursor, &k, &kn, &v, &vn) == 0 && nm < 16) {
        if ((kn == 11 && !memcmp(k, "avro.schema", 11)) ||
            (kn == 10 && !memcmp(k, "avro.codec", 10))) {
            continue;
        }
        memcpy(keys[nm], k, kn);
        keys[nm][kn] = 0;
        meta[nm] = (struct avro_meta){keys[nm], v, vn};
        nm++;
    }
    avro_writer_init(&w, ar.sync, NULL, 0);
    if (avro_writer_header(&w, ar.schema, ar.schema_len, "deflate", meta, nm, dst, cap, &used) <
        0) {
        return 0;
    }
    while (avro_reader_next_block(&ar, &d, &count) == 0 && count > 0) {
        z_stream z;
        memset(&z, 0, sizeof z);
        deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (Bytef *)(uintptr_t)(d.p + d.pos);
        z.avail_in = (uInt)(d.len - d.pos);
        z.next_out = zbuf;
        z.avail_out = sizeof zbuf;
        deflate(&z, Z_FINISH);
        if (avro_write_block(ar.sync, count, zbuf, z.total_out, dst + used, cap - used, &n) < 0) {
            deflateEnd(&z);
            return 0;
        }
        deflateEnd(&z);
        used += n;
    }
    return used;
}

static void test_deflate(void)
{
    enum { N = 3000 };
    static struct floe_manifest_entry e[N];
    static uint8_t z[4 << 20];
    struct fixture fx;
    struct floe_manifest_buf b;
    uint64_t len;
    size_t zn;
    uint8_t small[8];
    size_t got;

    make_users(&fx);
    for (int i = 0; i < N; i++) {
        e[i] = fx.e[i % 4];
    }
    /* One block of about 600 KiB decompressed: the reader's scratch must grow. */
    CHECK_INT(write_manifest(&users_spec, 0, e, N, sizeof work, &b, &len), 0);
    zn = deflate_copy(out, b.len, z, sizeof z);
    CHECK(zn > 0 && zn < b.len);
    check_read_back(z, zn, &users_spec, e, N);

    CHECK_INT(floe_manifest_inflate(NULL, "snappy", z, 4, small, 8, &got), -ENOTSUP);
    CHECK_INT(
        floe_manifest_inflate(NULL, "deflate", (const uint8_t *)"\xff\xff\xff", 3, small, 8, &got),
        -EBADMSG);
}

/* Every truncation and many byte flips of valid files must fail cleanly or read. */
static void test_hostile(void)
{
    struct fixture fx;
    struct floe_manifest_buf b;
    struct floe_manifest_reader r;
    struct floe_mlist_reader lr;
    struct floe_manifest_entry e;
    struct floe_mlist_row row;
    static uint8_t copy[1 << 16];
    uint64_t len;
    size_t total, ok_cut = 0, header_len;
    int failures = 0;
    struct avro_reader ar;
    struct avro_dec d;
    int64_t count;

    make_users(&fx);
    CHECK_INT(write_manifest(&users_spec, 0, fx.e, 4, sizeof work, &b, &len), 0);
    total = b.len;
    CHECK(total < sizeof copy);
    CHECK_INT(avro_reader_open(&ar, out, total), 0);
    header_len = ar.pos;
    CHECK_INT(avro_reader_next_block(&ar, &d, &count), 0);
    CHECK_INT(count, 4);
    for (size_t cut = 0; cut < total; cut++) {
        int rc = floe_manifest_reader_open(&r, out, cut);
        if (rc == 0) {
            while ((rc = floe_manifest_reader_next(&r, &e)) == 1) {
            }
        }
        if (rc == 0) {
            ok_cut = cut;
        }
        failures += rc < 0;
        floe_manifest_reader_close(&r);
    }
    /* A truncated file never reads as complete, except when cut right after the header, where
     * it is a valid empty container file. */
    CHECK_INT(failures, (int)total - 1);
    CHECK_INT(ok_cut, header_len);
    for (size_t i = 0; i < total; i += 3) {
        int rc;
        memcpy(copy, out, total);
        copy[i] ^= (uint8_t)(0x55 + i);
        rc = floe_manifest_reader_open(&r, copy, total);
        if (rc == 0) {
            while ((rc = floe_manifest_reader_next(&r, &e)) == 1) {
            }
        }
        CHECK(rc <= 0);
        floe_manifest_reader_close(&r);
        rc = floe_mlist_reader_open(&lr, copy, total);
        if (rc == 0) {
            while ((rc = floe_mlist_reader_next(&lr, &row)) == 1) {
            }
        }
        floe_mlist_reader_close(&lr);
    }
    /* A manifest is not a manifest list, and garbage is not Avro. */
    CHECK_INT(floe_mlist_reader_open(&lr, out, total), -EBADMSG);
    floe_mlist_reader_close(&lr);
    CHECK_INT(floe_manifest_reader_open(&r, (const uint8_t *)"PAR1xxxx", 8), -EBADMSG);
    floe_manifest_reader_close(&r);
    CHECK(floe_manifest_reader_next(&r, &e) < 0);
}

static void test_parquet_metrics(void)
{
    struct pq_column_metrics cols[2];
    struct floe_manifest_column out_cols[2];
    static const int64_t splits[] = {4, 900};
    struct pq_file_metrics fm = {12345, 77, 2, splits};
    struct floe_manifest_data_file f;

    memset(cols, 0, sizeof cols);
    memset(&f, 0, sizeof f);
    cols[0] = (struct pq_column_metrics){.field_id = 1,
                                         .value_count = 77,
                                         .null_count = 0,
                                         .nan_count = -1,
                                         .column_size = 300,
                                         .has_lower = true,
                                         .has_upper = true,
                                         .lower_len = 8,
                                         .upper_len = 8};
    cols[1] = (struct pq_column_metrics){
        .field_id = 6, .value_count = 77, .null_count = 77, .nan_count = 3, .column_size = 20};
    floe_manifest_file_from_parquet(&f, &fm, cols, 2, out_cols);
    CHECK_INT(f.record_count, 77);
    CHECK_INT(f.file_size_in_bytes, 12345);
    CHECK(f.split_offsets == splits && f.nsplit_offsets == 2);
    CHECK_INT(f.maps, FLOE_COL_ALL);
    CHECK_INT(f.ncolumns, 2);
    CHECK_INT(out_cols[0].has,
              FLOE_COL_SIZE | FLOE_COL_VALUES | FLOE_COL_NULLS | FLOE_COL_LOWER | FLOE_COL_UPPER);
    CHECK(out_cols[0].lower == cols[0].lower && out_cols[0].lower_len == 8);
    CHECK_INT(out_cols[1].has, FLOE_COL_SIZE | FLOE_COL_VALUES | FLOE_COL_NULLS | FLOE_COL_NANS);
    CHECK_INT(out_cols[1].nan_count, 3);
    CHECK_INT(out_cols[1].column_size, 20);
}

int main(void)
{
    test_round_trip();
    test_deletes();
    test_validation();
    test_golden_schema();
    test_types();
    test_summary_and_list();
    test_blocks();
    test_deflate();
    test_hostile();
    test_parquet_metrics();
    return check_done();
}
