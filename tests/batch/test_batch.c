/* test_batch.c — rows grouped by partition: tuples computed with the spec's transforms (the
 * spec's vectors: bucket16(34) = 3, day(2017-11-16T22:31:08Z) = 17486), null partition values,
 * byte values copied, -ENOSPC leaving the batch unchanged, rows written back in order, and
 * compaction (the same Parquet bytes as a batch that never held the removed rows). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "check.h"

static struct floe_schema schema;
static struct floe_decoder dec;
static struct floe_row row;
static uint8_t scratch[4096];

static void parse(const char *spec, struct floe_partition *part)
{
    char err[256];
    if (floe_partition_parse(spec, &schema, part, err, sizeof(err)) < 0) {
        fprintf(stderr, "partition: %s\n", err);
        exit(1);
    }
}

static int add(struct floe_batch *b, const char *json)
{
    char why[200];
    if (floe_decode(&dec, (const uint8_t *)json, strlen(json), &row) < 0) {
        fprintf(stderr, "decode: %s\n", row.reason);
        return -1000;
    }
    return floe_batch_add(b, &row, why, sizeof(why));
}

/* Finds the partition whose tuple is (day, bucket); returns its index or -1. */
static int find(struct floe_batch *b, int null_day, int32_t day, int32_t bucket)
{
    for (uint32_t i = 0; i < floe_batch_partitions(b); i++) {
        const struct ice_value *v;
        uint64_t rows;
        floe_batch_partition(b, i, &v, &rows);
        bool day_ok = null_day ? v[0].is_null : (!v[0].is_null && v[0].v.i == day);
        if (day_ok && v[0].type == ICE_DATE && v[1].type == ICE_INT && v[1].v.i == bucket) {
            return (int)i;
        }
    }
    return -1;
}

struct mem {
    uint8_t *buf;
    size_t len, cap;
};

static int mem_sink(void *ctx, const uint8_t *p, size_t n)
{
    struct mem *m = ctx;
    if (m->len + n > m->cap) {
        return -ENOSPC;
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    return 0;
}

/* A Parquet writer of the test schema's four columns into m, with its workspace in *ws (the
 * caller frees it once done with the writer's metrics). */
static struct pq_writer *open_writer(struct mem *m, void **ws)
{
    static const enum pq_type types[] = {PQ_LONG, PQ_STRING, PQ_TIMESTAMPTZ, PQ_INT};
    struct pq_column cols[4];
    for (int c = 0; c < 4; c++) {
        cols[c] =
            (struct pq_column){schema.columns[c].name, types[c], schema.columns[c].required, c + 1};
    }
    struct pq_options opt = {0};
    opt.row_group_bytes = 1 << 20;
    opt.page_bytes = 1 << 16;
    opt.dict_bytes = 1 << 16;
    size_t ws_size = 0;
    CHECK_INT(pq_workspace_size(cols, 4, &opt, &ws_size), 0);
    *ws = aligned_alloc(64, (ws_size + 63) & ~(size_t)63);
    struct pq_writer *w = NULL;
    CHECK_INT(pq_writer_init(cols, 4, &opt, *ws, ws_size, mem_sink, m, &w), 0);
    return w;
}

static void test_partitions(void)
{
    struct floe_partition spec;
    struct floe_batch *b = NULL;
    parse("day(signup_ts), bucket(16, id)", &spec);
    CHECK_INT(floe_batch_new(&schema, &spec, 1 << 20, 64, &b), 0);
    CHECK_INT(add(b, "{\"id\":34,\"name\":\"a\",\"signup_ts\":\"2017-11-16T22:31:08Z\"}"), 0);
    CHECK_INT(add(b, "{\"id\":34,\"name\":\"b\",\"signup_ts\":\"2017-11-16T00:00:00Z\"}"), 0);
    CHECK_INT(add(b, "{\"id\":34,\"name\":\"c\",\"signup_ts\":\"2017-11-15T23:59:59.999999Z\"}"),
              0);
    CHECK_INT(add(b, "{\"id\":34,\"name\":\"d\"}"), 0); /* no signup_ts: null day */
    CHECK_INT(add(b, "{\"id\":1,\"name\":\"e\",\"signup_ts\":\"1969-12-31T23:59:59Z\"}"), 0);
    CHECK_INT(floe_batch_rows(b), 5);
    CHECK_INT(floe_batch_partitions(b), 4);
    int p = find(b, 0, 17486, 3);
    CHECK(p >= 0);
    const struct ice_value *v;
    uint64_t rows = 0;
    CHECK_INT(floe_batch_partition(b, (uint32_t)p, &v, &rows), 0);
    CHECK_INT(rows, 2);
    CHECK(find(b, 0, 17485, 3) >= 0);
    CHECK(find(b, 1, 0, 3) >= 0);
    /* bucket16(1): hashLong(1) = 1392991556 → 1392991556 % 16 = 4; day of -1 s = -1. */
    CHECK(find(b, 0, -1, 4) >= 0);
    CHECK_INT(floe_batch_partition(b, 4, &v, &rows), -EINVAL);

    /* Write partition p: its two rows, in order. */
    void *ws = NULL;
    struct mem m = {malloc(1 << 20), 0, 1 << 20};
    struct pq_writer *w = open_writer(&m, &ws);
    CHECK_INT(floe_batch_write(b, (uint32_t)p, w), 0);
    CHECK_INT(pq_close(w), 0);
    struct pq_file_metrics fm;
    CHECK_INT(pq_file_metrics(w, &fm), 0);
    CHECK_INT(fm.rows, 2);
    struct pq_column_metrics cm;
    CHECK_INT(pq_column_metrics(w, 1, &cm), 0); /* name: "a" then "b" */
    CHECK(cm.has_lower && cm.lower_len == 1 && cm.lower[0] == 'a');
    CHECK(cm.has_upper && cm.upper_len == 1 && cm.upper[0] == 'b');
    free(ws);
    free(m.buf);

    floe_batch_clear(b);
    CHECK_INT(floe_batch_rows(b), 0);
    CHECK_INT(floe_batch_partitions(b), 0);
    floe_batch_free(b);
}

static void test_full(void)
{
    struct floe_partition spec;
    struct floe_batch *b = NULL;
    parse("bucket(16, id)", &spec);
    CHECK_INT(floe_batch_new(&schema, &spec, 512, 4, &b), 0);
    int rc, n = 0;
    while ((rc = add(b, "{\"id\":7,\"name\":\"a fairly long name to fill\"}")) == 0) {
        n++;
    }
    CHECK_INT(rc, -ENOSPC);
    CHECK(n > 0);
    CHECK_INT(floe_batch_rows(b), n); /* the refused row was not added */
    size_t used = floe_batch_bytes(b);
    CHECK_INT(add(b, "{\"id\":7,\"name\":\"x\"}") == -ENOSPC || floe_batch_bytes(b) > used, 1);
    floe_batch_clear(b);
    CHECK_INT(add(b, "{\"id\":7}"), 0);
    floe_batch_free(b);

    /* The partition table full: a fifth distinct bucket is refused. */
    CHECK_INT(floe_batch_new(&schema, &spec, 1 << 16, 4, &b), 0);
    int added = 0;
    for (int id = 1; id < 200 && added < 4; id++) {
        char json[64];
        snprintf(json, sizeof(json), "{\"id\":%d}", id);
        uint32_t before = floe_batch_partitions(b);
        CHECK_INT(add(b, json), 0);
        added += floe_batch_partitions(b) > before;
    }
    CHECK_INT(floe_batch_partitions(b), 4);
    rc = 0;
    for (int id = 200; id < 400 && rc == 0; id++) {
        char json[64];
        snprintf(json, sizeof(json), "{\"id\":%d}", id);
        rc = add(b, json);
    }
    CHECK_INT(rc, -ENOSPC);
    CHECK_INT(floe_batch_partitions(b), 4);
    floe_batch_free(b);
}

static void test_identity_string(void)
{
    struct floe_partition spec;
    struct floe_batch *b = NULL;
    parse("name, truncate(2, name)", &spec);
    CHECK_INT(floe_batch_new(&schema, &spec, 1 << 16, 16, &b), 0);
    char json[] = "{\"id\":1,\"name\":\"\\u00e9t\\u00e9s\"}"; /* decoded into scratch */
    CHECK_INT(add(b, json), 0);
    memset(scratch, 'X', sizeof(scratch)); /* the batch must have copied the values */
    const struct ice_value *v;
    uint64_t rows;
    CHECK_INT(floe_batch_partition(b, 0, &v, &rows), 0);
    CHECK_INT(v[0].v.bin.n, 6);
    CHECK_MEM(v[0].v.bin.p, "\xc3\xa9t\xc3\xa9s", 6);
    CHECK_INT(v[1].v.bin.n, 3); /* two code points */
    CHECK_MEM(v[1].v.bin.p, "\xc3\xa9t", 3);
    floe_batch_free(b);
    /* A transform that does not apply is refused when the batch is made. */
    struct floe_partition bad = spec;
    bad.fields[0].transform = FLOE_TRANSFORM_DAY;
    CHECK_INT(floe_batch_new(&schema, &bad, 1 << 16, 16, &b), -EINVAL);
}

/* Partition i of b written to a Parquet file in m (reset first); the file's length. */
static size_t write_part(struct floe_batch *b, uint32_t i, struct mem *m)
{
    void *ws = NULL;
    m->len = 0;
    struct pq_writer *w = open_writer(m, &ws);
    CHECK_INT(floe_batch_write(b, i, w), 0);
    CHECK_INT(pq_close(w), 0);
    free(ws);
    return m->len;
}

/* The partition of b whose one value is the string s (identity of a string); -1 if none. */
static int find_string(struct floe_batch *b, const char *s)
{
    for (uint32_t i = 0; i < floe_batch_partitions(b); i++) {
        const struct ice_value *v;
        uint64_t rows;
        floe_batch_partition(b, i, &v, &rows);
        if (v[0].v.bin.n == strlen(s) && memcmp(v[0].v.bin.p, s, v[0].v.bin.n) == 0) {
            return (int)i;
        }
    }
    return -1;
}

#define COMPACT_ROWS 600
static uint32_t refs[COMPACT_ROWS];
static bool kept[COMPACT_ROWS];
static char rows_json[COMPACT_ROWS][160];
static int remaps;

static int add_ref(struct floe_batch *b, const char *json, uint32_t *ref);

/* ref_b gets the kept rows of rows_json[0..n) (it is empty); then every partition of b must write
 * the same Parquet bytes as ref_b's partition of the same value. */
static void same_parts(struct floe_batch *b, struct floe_batch *ref_b, int n)
{
    for (int i = 0; i < n; i++) {
        if (kept[i]) {
            CHECK_INT(add_ref(ref_b, rows_json[i], NULL), 0);
        }
    }
    CHECK_INT(floe_batch_rows(b), floe_batch_rows(ref_b));
    CHECK_INT(floe_batch_partitions(b), floe_batch_partitions(ref_b));
    struct mem m1 = {malloc(1 << 20), 0, 1 << 20}, m2 = {malloc(1 << 20), 0, 1 << 20};
    for (const char *s = "abcde"; *s; s++) {
        char one[2] = {*s, 0};
        int p1 = find_string(b, one), p2 = find_string(ref_b, one);
        CHECK(p1 >= 0 && p2 >= 0);
        if (p1 < 0 || p2 < 0) {
            continue;
        }
        size_t n1 = write_part(b, (uint32_t)p1, &m1), n2 = write_part(ref_b, (uint32_t)p2, &m2);
        CHECK_INT(n1, n2);
        CHECK(n1 == n2 && memcmp(m1.buf, m2.buf, n1) == 0);
    }
    free(m1.buf);
    free(m2.buf);
}

static void remap(void *ctx, const struct floe_batch *b)
{
    (void)ctx;
    remaps++;
    for (int i = 0; i < COMPACT_ROWS; i++) {
        if (kept[i] && refs[i]) {
            refs[i] = floe_batch_new_ref(b, refs[i]);
        }
    }
}

static int add_ref(struct floe_batch *b, const char *json, uint32_t *ref)
{
    char why[200];
    if (floe_decode(&dec, (const uint8_t *)json, strlen(json), &row) < 0) {
        return -1000;
    }
    return floe_batch_add_ref(b, &row, ref, why, sizeof(why));
}

/* Rows of varied sizes (null ages, names of 1 to 40 bytes) in partitions named by a string
 * (values at the arena's top): two of three removed, the batch compacted, more rows added and
 * some removed through the new references. Each partition then writes the same Parquet bytes
 * as a batch that only ever held the live rows, in the same order. */
static void test_compact(void)
{
    struct floe_partition spec;
    struct floe_batch *b = NULL, *ref_b = NULL;
    parse("truncate(1, name)", &spec);
    CHECK_INT(floe_batch_new(&schema, &spec, 28 << 10, 16, &b), 0);
    CHECK_INT(floe_batch_new(&schema, &spec, 1 << 20, 16, &ref_b), 0);
    for (int i = 0; i < COMPACT_ROWS; i++) {
        int len = 1 + (i * 7) % 40;
        char name[48];
        for (int k = 0; k < len; k++) {
            name[k] = (char)(k == 0 ? 'a' + i % 5 : 'a' + (i + k) % 26);
        }
        name[len] = '\0';
        if (i % 4 == 0) {
            snprintf(rows_json[i], sizeof(rows_json[i]), "{\"id\":%d,\"name\":\"%s\"}", i, name);
        } else {
            snprintf(rows_json[i], sizeof(rows_json[i]),
                     "{\"id\":%d,\"name\":\"%s\",\"signup_ts\":\"2026-11-%02dT10:00:00Z\","
                     "\"age\":%d}",
                     i, name, 1 + i % 28, i % 90);
        }
    }
    /* Fill until full, removing two rows of three as they come. */
    int n = 0, rc;
    uint64_t live = 0;
    while (n < COMPACT_ROWS && (rc = add_ref(b, rows_json[n], &refs[n])) == 0) {
        kept[n] = n % 3 == 0;
        if (!kept[n]) {
            CHECK_INT(floe_batch_remove(b, refs[n]), 0);
        } else {
            live++;
        }
        n++;
    }
    CHECK(n < COMPACT_ROWS);
    CHECK_INT(floe_batch_rows(b), live);
    size_t removed = floe_batch_removed(b);
    CHECK(removed > 0);
    uint32_t parts = floe_batch_partitions(b);
    size_t before = floe_batch_bytes(b);
    size_t freed = floe_batch_compact(b, remap, NULL);
    CHECK_INT(remaps, 1);
    CHECK_INT(freed, removed);
    CHECK_INT(floe_batch_bytes(b), before); /* removed rows were never counted */
    CHECK_INT(floe_batch_rows(b), live);
    CHECK_INT(floe_batch_removed(b), 0);
    CHECK_INT(floe_batch_partitions(b), parts);
    CHECK_INT(floe_batch_compact(b, remap, NULL), 0); /* nothing removed: nothing to do */
    CHECK_INT(remaps, 1);
    same_parts(b, ref_b, n);
    floe_batch_clear(ref_b);
    /* The rest fits now; every other kept row of the first part goes through its new ref. */
    for (; n < COMPACT_ROWS; n++) {
        CHECK_INT(add_ref(b, rows_json[n], &refs[n]), 0);
        kept[n] = true;
    }
    for (int i = 0; i < 200; i += 6) {
        CHECK_INT(floe_batch_remove(b, refs[i]), 0);
        kept[i] = false;
    }
    same_parts(b, ref_b, COMPACT_ROWS);
    floe_batch_free(b);
    floe_batch_free(ref_b);
}

int main(void)
{
    char err[200];
    if (floe_schema_parse("id long required, name string, signup_ts timestamptz, age int", &schema,
                          err, sizeof(err)) < 0) {
        return 1;
    }
    floe_decoder_init(&dec, &schema);
    row.scratch = scratch;
    row.scratch_cap = sizeof(scratch);
    test_partitions();
    test_full();
    test_identity_string();
    test_compact();
    return check_done();
}
