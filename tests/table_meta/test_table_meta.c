/* test_table_meta.c — unit tests for the Iceberg v2 table metadata module (agent/table_meta*).
 *
 * Covers: a new table's document byte for byte and its round trip; a Java/Spark-style document
 * (tests/table_meta/spark_v2.metadata.json) with 63-bit ids, tags, statistics, a nested older
 * schema and unknown fields, surviving a commit and a rewrite; an error naming the field for
 * every required field missing or mistyped; hostile JSON; schema evolution; the ancestor walk
 * for committed offsets; summary totals; expiry selection and removal.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "table_meta.h"

#define FIXTURE "spark_v2.metadata.json"

static char err[512];

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    if (f) {
        fclose(f);
    }
    return buf;
}

static struct floe_meta *parse_str(const char *text)
{
    struct floe_meta *m = NULL;
    int rc = floe_meta_parse(text, strlen(text), &m, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "    parse failed: %d %s\n", rc, err);
    }
    return m;
}

static struct floe_meta *parse_fixture(void)
{
    size_t len;
    char *text = read_file(FIXTURE, &len);
    struct floe_meta *m = NULL;
    if (text) {
        int rc = floe_meta_parse(text, len, &m, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "    fixture: %d %s\n", rc, err);
        }
    }
    free(text);
    return m;
}

/* The users table of DESIGN.md. */
static struct floe_meta *create_users(void)
{
    static const uint8_t uuid[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    struct floe_schema sc;
    struct floe_partition pt;
    struct floe_meta *m = NULL;
    if (floe_schema_parse("id long required, name string, email string, signup_ts timestamptz, "
                          "age int", &sc, err, sizeof err) != 0 ||
        floe_partition_parse("day(signup_ts), bucket(16, id)", &sc, &pt, err, sizeof err) != 0) {
        fprintf(stderr, "    config parse: %s\n", err);
        return NULL;
    }
    struct floe_meta_kv props[] = {{"commit.retry.num-retries", "10"},
                                   {"write.parquet.compression-codec", "zstd"}};
    struct floe_meta_create_args a = {.uuid = uuid, .location = "s3://b/wh/db/users",
                                      .schema = &sc, .partition = &pt, .key = "id",
                                      .now_ms = 1700000000000, .properties = props,
                                      .nproperties = 2};
    int rc = floe_meta_create(&a, &m, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "    create: %d %s\n", rc, err);
    }
    return m;
}

static const char users_json[] =
    "{\"format-version\":2,\"table-uuid\":\"00010203-0405-4607-8809-0a0b0c0d0e0f\","
    "\"location\":\"s3://b/wh/db/users\",\"last-sequence-number\":0,"
    "\"last-updated-ms\":1700000000000,\"last-column-id\":5,\"current-schema-id\":0,"
    "\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"email\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"signup_ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"age\",\"required\":false,\"type\":\"int\"}]}],"
    "\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":["
    "{\"name\":\"signup_ts_day\",\"transform\":\"day\",\"source-id\":4,\"field-id\":1000},"
    "{\"name\":\"id_bucket\",\"transform\":\"bucket[16]\",\"source-id\":1,\"field-id\":1001}]}],"
    "\"last-partition-id\":1001,\"default-sort-order-id\":0,"
    "\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],"
    "\"properties\":{\"write.format.default\":\"parquet\","
    "\"write.parquet.compression-codec\":\"zstd\",\"commit.retry.num-retries\":\"10\"},"
    "\"current-snapshot-id\":-1,\"refs\":{},\"snapshots\":[],\"statistics\":[],"
    "\"partition-statistics\":[],\"snapshot-log\":[],\"metadata-log\":[]}";

static void check_users_view(const struct floe_meta *m)
{
    CHECK_INT(m->format_version, 2);
    CHECK_STR(m->uuid, "00010203-0405-4607-8809-0a0b0c0d0e0f");
    CHECK_STR(m->location, "s3://b/wh/db/users");
    CHECK_INT(m->last_sequence_number, 0);
    CHECK_INT(m->last_updated_ms, 1700000000000LL);
    CHECK_INT(m->last_column_id, 5);
    CHECK_INT(m->last_partition_id, 1001);
    CHECK_INT(m->current_schema_id, 0);
    CHECK_INT(m->schema.ncolumns, 5);
    static const char *const names[] = {"id", "name", "email", "signup_ts", "age"};
    static const enum floe_type types[] = {FLOE_TYPE_LONG, FLOE_TYPE_STRING, FLOE_TYPE_STRING,
                                           FLOE_TYPE_TIMESTAMPTZ, FLOE_TYPE_INT};
    for (int i = 0; i < 5 && i < m->schema.ncolumns; i++) {
        CHECK_STR(m->schema.columns[i].name, names[i]);
        CHECK_INT(m->schema.columns[i].field_id, i + 1);
        CHECK_INT(m->schema.columns[i].type, types[i]);
        CHECK_INT(m->schema.columns[i].required, i == 0);
    }
    CHECK_INT(m->nidentifier, 1);
    CHECK_INT(m->identifier_ids[0], 1);
    CHECK_INT(m->spec.spec_id, 0);
    CHECK_INT(m->spec.nfields, 2);
    CHECK_INT(m->spec.fields[0].source_id, 4);
    CHECK_INT(m->spec.fields[0].field_id, 1000);
    CHECK_INT(m->spec.fields[0].column, 3);
    CHECK_INT(m->spec.fields[0].transform, FLOE_TRANSFORM_DAY);
    CHECK_STR(m->spec.fields[0].name, "signup_ts_day");
    CHECK_INT(m->spec.fields[1].source_id, 1);
    CHECK_INT(m->spec.fields[1].field_id, 1001);
    CHECK_INT(m->spec.fields[1].transform, FLOE_TRANSFORM_BUCKET);
    CHECK_INT(m->spec.fields[1].param, 16);
    CHECK_STR(m->spec.fields[1].name, "id_bucket");
    CHECK_INT(m->current_snapshot_id, -1);
    CHECK_INT(m->main_snapshot_id, -1);
    CHECK_INT(m->nsnapshots, 0);
    CHECK_STR(floe_meta_property(m, "write.format.default"), "parquet");
    CHECK_STR(floe_meta_property(m, "write.parquet.compression-codec"), "zstd");
    CHECK_STR(floe_meta_property(m, "commit.retry.num-retries"), "10");
    CHECK(floe_meta_property(m, "nope") == NULL);
}

static void test_create_round_trip(void)
{
    struct floe_meta *m = create_users();
    CHECK(m != NULL);
    if (!m) {
        return;
    }
    check_users_view(m);
    char *text = floe_meta_serialize(m);
    CHECK_STR(text, users_json);
    struct floe_meta *back = text ? parse_str(text) : NULL;
    CHECK(back != NULL);
    if (back) {
        check_users_view(back);
        char *again = floe_meta_serialize(back);
        CHECK_STR(again, users_json);
        free(again);
    }
    floe_meta_free(back);
    free(text);
    floe_meta_free(m);

    /* Key column rules. */
    struct floe_schema sc;
    static const uint8_t uuid[16] = {0};
    floe_schema_parse("id long, v double required", &sc, err, sizeof err);
    struct floe_meta_create_args a = {.uuid = uuid, .location = "/t", .schema = &sc, .key = "id"};
    CHECK_INT(floe_meta_create(&a, &m, err, sizeof err), -EINVAL);
    CHECK(m == NULL && strstr(err, "'id' must be declared required"));
    a.key = "v";
    CHECK_INT(floe_meta_create(&a, &m, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "floating point") != NULL);
    a.key = "nope";
    CHECK_INT(floe_meta_create(&a, &m, err, sizeof err), -EINVAL);
    a.key = NULL; /* no key: no identifier-field-ids, unpartitioned */
    CHECK_INT(floe_meta_create(&a, &m, err, sizeof err), 0);
    if (m) {
        CHECK_INT(m->nidentifier, 0);
        CHECK_INT(m->spec.nfields, 0);
        CHECK_INT(m->last_partition_id, 999);
        char *t = floe_meta_serialize(m);
        CHECK(t && strstr(t, "identifier-field-ids") == NULL);
        CHECK(t && strstr(t, "\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}]") != NULL);
        free(t);
    }
    floe_meta_free(m);
}

static void test_fixture_view(void)
{
    struct floe_meta *m = parse_fixture();
    CHECK(m != NULL);
    if (!m) {
        return;
    }
    CHECK_STR(m->uuid, "9c12d441-03fe-4693-9a96-a0705ddf69c1");
    CHECK_STR(m->location, "s3://warehouse/db/users");
    CHECK_INT(m->last_sequence_number, 2);
    CHECK_INT(m->last_updated_ms, 1763892900123LL);
    CHECK_INT(m->last_column_id, 7);
    CHECK_INT(m->current_schema_id, 1);
    CHECK_INT(m->schema.ncolumns, 5);
    CHECK_STR(m->schema.columns[2].name, "signup_ts");
    CHECK_INT(m->schema.columns[2].field_id, 4);
    CHECK_INT(m->schema.columns[4].field_id, 7);
    CHECK_INT(m->schema.columns[4].type, FLOE_TYPE_FLOAT);
    CHECK_INT(m->spec.spec_id, 1);
    CHECK_INT(m->spec.nfields, 2);
    CHECK_INT(m->spec.fields[0].column, 2);
    CHECK_INT(m->spec.fields[1].param, 16);
    CHECK_INT(m->current_snapshot_id, 8744736658442914487LL);
    CHECK_INT(m->main_snapshot_id, 8744736658442914487LL);
    CHECK_INT(m->nsnapshots, 2);
    const struct floe_meta_snapshot *s = &m->snapshots[1];
    CHECK_INT(s->id, 8744736658442914487LL);
    CHECK_INT(s->parent_id, 3051729675574597004LL);
    CHECK_INT(s->sequence_number, 2);
    CHECK_INT(s->timestamp_ms, 1763892900123LL);
    CHECK_INT(s->schema_id, 1);
    CHECK_STR(s->operation, "overwrite");
    CHECK_STR(s->manifest_list,
              "s3://warehouse/db/users/metadata/snap-8744736658442914487-1-77aa.avro");
    CHECK_STR(floe_meta_summary_get(s, "total-records"), "13");
    CHECK(floe_meta_summary_get(s, "nope") == NULL);
    CHECK_INT(m->snapshots[0].parent_id, -1);
    CHECK(floe_meta_find_snapshot(m, 3051729675574597004LL) == &m->snapshots[0]);
    CHECK(floe_meta_find_snapshot(m, 1) == NULL);
    floe_meta_free(m);
}

/* After a commit and a rewrite, everything floe does not manage is still there, verbatim. */
static void test_fixture_survives_commit(void)
{
    struct floe_meta *m = parse_fixture();
    CHECK(m != NULL);
    if (!m) {
        return;
    }
    struct floe_meta_kv sum[] = {{"added-data-files", "2"},       {"added-records", "5"},
                                 {"added-files-size", "2000"},    {"added-delete-files", "1"},
                                 {"added-equality-deletes", "5"}, {"floe.commit-id", "c-42"},
                                 {"floe.offsets.users", "{\"0\":15}"}};
    struct floe_meta_commit c = {.snapshot_id = 5555555555555555555LL,
                                 .timestamp_ms = 1763893000000LL,
                                 .manifest_list = "s3://warehouse/db/users/metadata/snap-5.avro",
                                 .operation = "overwrite", .summary = sum, .nsummary = 7,
                                 .previous_metadata = "s3://warehouse/db/users/metadata/v3.json"};
    CHECK_INT(floe_meta_add_snapshot(m, &c, err, sizeof err), 0);
    CHECK_INT(m->current_snapshot_id, 5555555555555555555LL);
    CHECK_INT(m->main_snapshot_id, 5555555555555555555LL);
    CHECK_INT(m->last_sequence_number, 3);
    CHECK_INT(m->last_updated_ms, 1763893000000LL);
    CHECK_INT(m->nsnapshots, 3);
    const struct floe_meta_snapshot *s = floe_meta_find_snapshot(m, c.snapshot_id);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->parent_id, 8744736658442914487LL);
        CHECK_INT(s->sequence_number, 3);
        CHECK_INT(s->schema_id, 1);
        CHECK_STR(s->operation, "overwrite");
        CHECK_STR(floe_meta_summary_get(s, "total-records"), "18");
        CHECK_STR(floe_meta_summary_get(s, "total-files-size"), "7720");
        CHECK_STR(floe_meta_summary_get(s, "total-data-files"), "5");
        CHECK_STR(floe_meta_summary_get(s, "total-delete-files"), "2");
        CHECK_STR(floe_meta_summary_get(s, "total-position-deletes"), "0");
        CHECK_STR(floe_meta_summary_get(s, "total-equality-deletes"), "8");
        CHECK_STR(floe_meta_summary_get(s, "floe.commit-id"), "c-42");
    }
    /* Same id again: refused, nothing changes. */
    CHECK_INT(floe_meta_add_snapshot(m, &c, err, sizeof err), -EEXIST);
    CHECK_INT(m->nsnapshots, 3);

    char *text = floe_meta_serialize(m);
    CHECK(text != NULL);
    if (!text) {
        floe_meta_free(m);
        return;
    }
    static const char *const kept[] = {
        "\"x-vendor-extension\":{\"ratio\":1.0e-3,\"list\":[1.50,-0,true,null],"
        "\"note\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
        "\"statistics\":[{\"snapshot-id\":3051729675574597004,\"statistics-path\":"
        "\"s3://warehouse/db/users/metadata/stats-1.puffin\",\"file-size-in-bytes\":413,",
        "\"v1-release\":{\"snapshot-id\":3051729675574597004,\"type\":\"tag\","
        "\"max-ref-age-ms\":9223372036854775807}",
        "\"main\":{\"snapshot-id\":5555555555555555555,\"type\":\"branch\","
        "\"min-snapshots-to-keep\":5}",
        "\"owner\":\"spark\"",
        "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\",\"doc\":\"user id\"}",
        "\"type\":{\"type\":\"list\",\"element-id\":6,\"element\":\"string\","
        "\"element-required\":false}",
        "{\"transform\":\"identity\",\"source-id\":1,\"direction\":\"asc\","
        "\"null-order\":\"nulls-first\"}",
        "\"default-sort-order-id\":1",
        "\"current-snapshot-id\":5555555555555555555",
        "\"last-sequence-number\":3",
        "{\"sequence-number\":3,\"snapshot-id\":5555555555555555555,"
        "\"parent-snapshot-id\":8744736658442914487,\"timestamp-ms\":1763893000000,"
        "\"summary\":{\"operation\":\"overwrite\",\"added-data-files\":\"2\"",
        "\"manifest-list\":\"s3://warehouse/db/users/metadata/snap-5.avro\",\"schema-id\":1}",
        "{\"timestamp-ms\":1763893000000,\"snapshot-id\":5555555555555555555}]",
        /* previous-versions-max is 2: the oldest entry went, the replaced file came in with the
         * replaced metadata's last-updated-ms. */
        "\"metadata-log\":[{\"timestamp-ms\":1763892800000,\"metadata-file\":"
        "\"s3://warehouse/db/users/metadata/00001-b.metadata.json\"},"
        "{\"timestamp-ms\":1763892900123,\"metadata-file\":"
        "\"s3://warehouse/db/users/metadata/v3.json\"}]",
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        if (!CHECK(strstr(text, kept[i]) != NULL)) {
            fprintf(stderr, "    missing: %s\n", kept[i]);
        }
    }
    CHECK(strstr(text, "00000-a.metadata.json") == NULL);
    /* The output reads back, and the commit is stable through another round. */
    struct floe_meta *back = parse_str(text);
    CHECK(back != NULL);
    if (back) {
        char *again = floe_meta_serialize(back);
        CHECK_STR(again, text);
        free(again);
        CHECK_INT(back->nsnapshots, 3);
    }
    floe_meta_free(back);
    free(text);
    floe_meta_free(m);
}

/* ---- errors ---- */

/* Parses the created users table with cJSON (its numbers are small), applies a change, and
 * expects floe_meta_parse to fail with code and a message containing want. */
static void expect_error(const char *base, const char *path, const char *replacement, int code,
                         const char *want, int line)
{
    cJSON *root = cJSON_Parse(base);
    cJSON *obj = root;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *key = buf, *dot;
    /* path: "a.b.c" with "[n]" steps written as ".n" */
    while ((dot = strchr(key, '.')) != NULL) {
        *dot = '\0';
        obj = cJSON_IsArray(obj) ? cJSON_GetArrayItem(obj, atoi(key))
                                 : cJSON_GetObjectItemCaseSensitive(obj, key);
        key = dot + 1;
    }
    if (replacement) {
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_Parse(replacement));
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    }
    char *text = cJSON_PrintUnformatted(root);
    struct floe_meta *m = NULL;
    err[0] = '\0';
    int rc = floe_meta_parse(text, strlen(text), &m, err, sizeof err);
    if (!check__report(rc == code && m == NULL && strstr(err, want) != NULL, __FILE__, line,
                       "expected error")) {
        fprintf(stderr, "    %s -> %s: got %d \"%s\", expected %d containing \"%s\"\n", path,
                replacement ? replacement : "(removed)", rc, err, code, want);
    }
    floe_meta_free(m);
    free(text);
    cJSON_Delete(root);
}

#define EXPECT_ERROR(base, path, repl, code, want)                                               \
    expect_error(base, path, repl, code, want, __LINE__)

/* Replaces the first `from` in base with `to` and expects floe_meta_parse to refuse it. */
static void expect_text_error(const char *base, const char *from, const char *to,
                              const char *want, int line)
{
    const char *at = strstr(base, from);
    char *text = malloc(strlen(base) + strlen(to) + 1);
    if (!at || !text) {
        check__report(0, __FILE__, line, "mutation applies");
        free(text);
        return;
    }
    sprintf(text, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    struct floe_meta *m = NULL;
    err[0] = '\0';
    int rc = floe_meta_parse(text, strlen(text), &m, err, sizeof err);
    if (!check__report(rc == -EINVAL && !m && strstr(err, want), __FILE__, line, "text error")) {
        fprintf(stderr, "    %s: got %d \"%s\", expected \"%s\"\n", to, rc, err, want);
    }
    floe_meta_free(m);
    free(text);
}

static void test_required_fields(void)
{
    static const char *const required[] = {
        "format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms",
        "last-column-id", "schemas", "current-schema-id", "partition-specs", "default-spec-id",
        "last-partition-id", "sort-orders", "default-sort-order-id"};
    char want[80];
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        snprintf(want, sizeof want, "required field '%s' is missing", required[i]);
        EXPECT_ERROR(users_json, required[i], NULL, -EINVAL, want);
        snprintf(want, sizeof want, "'%s' must be", required[i]);
        /* A string where a number or list belongs, a number where a string belongs. */
        bool is_string = strcmp(required[i], "table-uuid") == 0 ||
                         strcmp(required[i], "location") == 0;
        EXPECT_ERROR(users_json, required[i], is_string ? "7" : "\"x\"", -EINVAL, want);
    }
    EXPECT_ERROR(users_json, "format-version", "1", -ENOTSUP, "unsupported format-version 1");
    EXPECT_ERROR(users_json, "format-version", "3", -ENOTSUP, "unsupported format-version 3");
    EXPECT_ERROR(users_json, "format-version", "2.5", -EINVAL, "'format-version' must be");
    EXPECT_ERROR(users_json, "format-version", "99999999999", -EINVAL, "'format-version' must");
    EXPECT_ERROR(users_json, "table-uuid", "\"not-a-uuid\"", -EINVAL, "'table-uuid' must be");
    EXPECT_ERROR(users_json, "last-updated-ms", "1.5", -EINVAL, "'last-updated-ms' must be");
    EXPECT_ERROR(users_json, "last-sequence-number", "-1", -EINVAL, "last-sequence-number");
    EXPECT_ERROR(users_json, "properties", "{\"a\":1}", -EINVAL, "'properties.a' must be");
    EXPECT_ERROR(users_json, "refs", "[]", -EINVAL, "'refs' must be an object");
    EXPECT_ERROR(users_json, "snapshots", "{}", -EINVAL, "'snapshots' must be an array");
    EXPECT_ERROR(users_json, "metadata-log", "[{\"timestamp-ms\":1}]", -EINVAL,
                 "'metadata-log[0].metadata-file' is missing");
    EXPECT_ERROR(users_json, "current-schema-id", "4", -EINVAL, "current-schema-id 4 is not");
    EXPECT_ERROR(users_json, "default-spec-id", "4", -EINVAL, "default-spec-id 4 is not");
    EXPECT_ERROR(users_json, "default-sort-order-id", "4", -EINVAL, "default-sort-order-id 4");
    EXPECT_ERROR(users_json, "current-snapshot-id", "12", -EINVAL, "current-snapshot-id 12 is");
    EXPECT_ERROR(users_json, "schemas.0.fields.4.type", "\"decimal(9,2)\"", -EINVAL,
                 "column 'age' has type 'decimal(9,2)'");
    EXPECT_ERROR(users_json, "schemas.0.fields.1.type",
                 "{\"type\":\"struct\",\"fields\":[]}", -EINVAL,
                 "column 'name' has a nested type (struct)");
    EXPECT_ERROR(users_json, "schemas.0.fields.1.required", "\"no\"", -EINVAL,
                 "column 'name': 'required' must be");
    EXPECT_ERROR(users_json, "schemas.0.fields.1.id", "1", -EINVAL, "share a name or field id");
    EXPECT_ERROR(users_json, "schemas.0.type", "\"list\"", -EINVAL, "'schemas[0].type' must be");
    EXPECT_ERROR(users_json, "schemas.0.schema-id", NULL, -EINVAL,
                 "'schemas[0].schema-id' is missing");
    EXPECT_ERROR(users_json, "partition-specs.0.fields.0.transform", "\"bucket[0]\"", -EINVAL,
                 "'partition-specs[0].fields[0].transform' \"bucket[0]\"");
    EXPECT_ERROR(users_json, "partition-specs.0.fields.1.source-id", NULL, -EINVAL,
                 "'partition-specs[0].fields[1].source-id' is missing");
    EXPECT_ERROR(users_json, "partition-specs.0.fields.1.source-id", "9", -EINVAL,
                 "source-id 9, which is not a column");
    EXPECT_ERROR(users_json, "sort-orders.0.order-id", NULL, -EINVAL,
                 "'sort-orders[0].order-id' is missing");

    /* Number literals are checked as written: no fraction or exponent in integer fields. */
    expect_text_error(users_json, "\"format-version\":2", "\"format-version\":2.0",
                      "'format-version' must be", __LINE__);
    expect_text_error(users_json, "\"last-updated-ms\":1700000000000",
                      "\"last-updated-ms\":1.7e12", "'last-updated-ms' must be", __LINE__);
    expect_text_error(users_json, "\"last-updated-ms\":1700000000000",
                      "\"last-updated-ms\":9223372036854775808", "'last-updated-ms' must be",
                      __LINE__);

    /* current-snapshot-id: -1, null and missing all mean none. */
    EXPECT_ERROR(users_json, "current-snapshot-id", "\"x\"", -EINVAL, "current-snapshot-id");
    struct floe_meta *m = parse_str(users_json);
    CHECK(m && m->current_snapshot_id == -1);
    floe_meta_free(m);
    const char *at = strstr(users_json, "\"current-snapshot-id\":-1");
    char *text = malloc(sizeof users_json + 8);
    if (at && text) {
        sprintf(text, "%.*s\"current-snapshot-id\":null%s", (int)(at - users_json), users_json,
                at + strlen("\"current-snapshot-id\":-1"));
        m = parse_str(text);
        CHECK(m && m->current_snapshot_id == -1);
        floe_meta_free(m);
        sprintf(text, "%.*s%s", (int)(at - users_json), users_json,
                at + strlen("\"current-snapshot-id\":-1,"));
        m = parse_str(text);
        CHECK(m && m->current_snapshot_id == -1);
        floe_meta_free(m);
    }
    free(text);
}

/* The users table with one snapshot (id 7), as text. */
static char *users_with_snapshot(void)
{
    struct floe_meta *m = create_users();
    struct floe_meta_commit c = {.snapshot_id = 7, .timestamp_ms = 1700000001000,
                                 .manifest_list = "s3://b/ml.avro", .operation = "append"};
    char *text = NULL;
    if (m && floe_meta_add_snapshot(m, &c, err, sizeof err) == 0) {
        text = floe_meta_serialize(m);
    }
    floe_meta_free(m);
    return text;
}

static void test_snapshot_fields(void)
{
    char *base = users_with_snapshot();
    CHECK(base != NULL);
    if (!base) {
        return;
    }
    /* sequence-number and summary may be missing (snapshots from before a v1 table became
     * v2), but not mistyped. */
    static const char *const required[] = {"snapshot-id", "sequence-number", "timestamp-ms",
                                           "manifest-list", "summary"};
    char path[64], want[96];
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        snprintf(path, sizeof path, "snapshots.0.%s", required[i]);
        snprintf(want, sizeof want, "'snapshots[0].%s' is missing", required[i]);
        if (strcmp(required[i], "sequence-number") != 0 && strcmp(required[i], "summary") != 0) {
            EXPECT_ERROR(base, path, NULL, -EINVAL, want);
        }
        snprintf(want, sizeof want, "'snapshots[0].%s' must be", required[i]);
        EXPECT_ERROR(base, path, strcmp(required[i], "manifest-list") == 0 ? "1" : "[]", -EINVAL,
                     want);
    }
    EXPECT_ERROR(base, "snapshots.0.summary.operation", NULL, -EINVAL,
                 "'snapshots[0].summary.operation' is missing");
    EXPECT_ERROR(base, "snapshots.0.summary.total-records", "3", -EINVAL,
                 "'snapshots[0].summary.total-records' must be a string");
    EXPECT_ERROR(base, "snapshots.0.sequence-number", "9", -EINVAL,
                 "above last-sequence-number");
    EXPECT_ERROR(base, "refs.main.snapshot-id", "8", -EINVAL, "'refs.main.snapshot-id' 8 is not");
    EXPECT_ERROR(base, "refs.main.type", "\"tag\"", -EINVAL, "'refs.main.type' must be");
    EXPECT_ERROR(base, "refs.main.type", NULL, -EINVAL, "'refs.main.type' is missing");
    EXPECT_ERROR(base, "current-snapshot-id", "-1", -EINVAL, "refs.main (7) differs");
    EXPECT_ERROR(base, "snapshot-log.0.snapshot-id", "\"7\"", -EINVAL,
                 "'snapshot-log[0].snapshot-id' must be");

    /* A snapshot that is its own parent (hostile): the ancestor walk still ends. */
    cJSON *root = cJSON_Parse(base);
    cJSON *snap = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "snapshots"), 0);
    cJSON_AddItemToObject(snap, "parent-snapshot-id", cJSON_CreateNumber(7));
    char *text = cJSON_PrintUnformatted(root);
    struct floe_meta *m = text ? parse_str(text) : NULL;
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(m->snapshots[0].parent_id, 7);
        CHECK(floe_meta_snapshot_ancestor_summary(m, "absent", NULL) == NULL);
        CHECK_STR(floe_meta_snapshot_ancestor_summary(m, "operation", NULL), "append");
    }
    floe_meta_free(m);
    free(text);
    cJSON_Delete(root);
    free(base);
}

static void expect_bad_json(const char *text, size_t len, const char *want)
{
    struct floe_meta *m = NULL;
    err[0] = '\0';
    int rc = floe_meta_parse(text, len, &m, err, sizeof err);
    if (!CHECK(rc == -EINVAL && m == NULL && strstr(err, want) != NULL)) {
        fprintf(stderr, "    got %d \"%s\", expected \"%s\"\n", rc, err, want);
    }
    floe_meta_free(m);
}

static void test_hostile_json(void)
{
    expect_bad_json("", 0, "unexpected end");
    expect_bad_json("[]", 2, "not an object");
    expect_bad_json("{\"a\":1,\"a\":2}", 13, "repeats a key");
    expect_bad_json("{\"a\":\"\\u0000\"}", 14, "NUL");
    expect_bad_json("{\"a\":\"\xc3\x28\"}", 10, "UTF-8");
    expect_bad_json("{\"a\":\"\\ud800\"}", 14, "surrogate");
    expect_bad_json("{\"a\":01}", 8, "expected ','");
    expect_bad_json("{\"a\":1} x", 9, "text after");
    expect_bad_json("{\"a\":tru}", 9, "unexpected character");
    expect_bad_json("{\"a\":\"x", 7, "unterminated string");
    expect_bad_json("{\"a\":-}", 7, "bad number");
    expect_bad_json("{\"a\":1.}", 8, "bad number fraction");
    /* Length is honoured: the text need not end in NUL. */
    expect_bad_json(users_json, sizeof users_json - 2, "expected ',' or '}'");
    char deep[300];
    memset(deep, '[', sizeof deep);
    expect_bad_json(deep, sizeof deep, "nesting deeper");
}

/* ---- schema evolution ---- */

static void evolve_expect(struct floe_meta *m, const char *config, int code, const char *want,
                          struct floe_meta_evolution *ev, int line)
{
    struct floe_schema sc;
    if (floe_schema_parse(config, &sc, err, sizeof err) != 0) {
        check__report(0, __FILE__, line, "config schema parses");
        return;
    }
    err[0] = '\0';
    int rc = floe_meta_evolve_schema(m, &sc, ev, err, sizeof err);
    if (!check__report(rc == code && (!want || strstr(err, want)), __FILE__, line,
                       "evolve result")) {
        fprintf(stderr, "    got %d \"%s\", expected %d \"%s\"\n", rc, err, code,
                want ? want : "");
    }
}

static void test_evolution(void)
{
    struct floe_meta *m = create_users();
    struct floe_meta_evolution ev;
    char text[512];
    if (!CHECK(m != NULL)) {
        return;
    }
    /* Same columns: nothing to do. */
    evolve_expect(m, "id long required, name string, email string, signup_ts timestamptz, age int",
                  0, NULL, &ev, __LINE__);
    CHECK(!ev.changed && ev.nchanges == 0 && ev.schema_id == 0);
    floe_meta_evolution_describe(&ev, text, sizeof text);
    CHECK_STR(text, "schema unchanged (schema 0)");

    /* Add a column (config says required: added as optional), widen int → long, and leave
     * email out of the config (it stays). */
    evolve_expect(m, "id long required, name string, signup_ts timestamptz, age long, "
                     "country string required",
                  0, NULL, &ev, __LINE__);
    CHECK(ev.changed);
    CHECK_INT(ev.schema_id, 1);
    CHECK_INT(ev.nchanges, 2);
    CHECK_INT(ev.changes[0].kind, FLOE_META_WIDENED);
    CHECK_STR(ev.changes[0].column, "age");
    CHECK_INT(ev.changes[0].field_id, 5);
    CHECK_INT(ev.changes[1].kind, FLOE_META_ADDED);
    CHECK_STR(ev.changes[1].column, "country");
    CHECK_INT(ev.changes[1].field_id, 6);
    CHECK(ev.changes[1].wanted_required);
    floe_meta_evolution_describe(&ev, text, sizeof text);
    CHECK_STR(text, "widened column age (field 5) from int to long\n"
                    "added column country string (field 6) as optional; the config says "
                    "required, but Iceberg v2 adds columns as optional");
    CHECK_INT(m->current_schema_id, 1);
    CHECK_INT(m->last_column_id, 6);
    CHECK_INT(m->schema.ncolumns, 6);
    CHECK_STR(m->schema.columns[2].name, "email");
    CHECK_INT(m->schema.columns[4].type, FLOE_TYPE_LONG);
    CHECK_STR(m->schema.columns[5].name, "country");
    CHECK_INT(m->schema.columns[5].required, 0);
    CHECK_INT(m->nidentifier, 1);

    /* Writers: config columns in config order with the table's ids. */
    struct floe_schema cfg, bound;
    floe_schema_parse("age long, id long required, country string", &cfg, err, sizeof err);
    CHECK_INT(floe_meta_bind_schema(m, &cfg, &bound, err, sizeof err), 0);
    CHECK_INT(bound.ncolumns, 3);
    CHECK_INT(bound.columns[0].field_id, 5);
    CHECK_INT(bound.columns[1].field_id, 1);
    CHECK_INT(bound.columns[2].field_id, 6);
    CHECK_INT(bound.columns[2].required, 0);
    floe_schema_parse("id long required, zip string", &cfg, err, sizeof err);
    CHECK_INT(floe_meta_bind_schema(m, &cfg, &bound, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "'zip' is not in the table") != NULL);

    /* float → double, then refused changes leave the table as it was. */
    struct floe_meta *f = parse_fixture();
    if (CHECK(f != NULL)) {
        evolve_expect(f, "id long required, name string, signup_ts timestamptz, age int, "
                         "score double", 0, NULL, &ev, __LINE__);
        CHECK_INT(ev.nchanges, 1);
        CHECK_INT(ev.changes[0].kind, FLOE_META_WIDENED);
        CHECK_INT(ev.changes[0].from, FLOE_TYPE_FLOAT);
        CHECK_INT(ev.changes[0].to, FLOE_TYPE_DOUBLE);
        CHECK_INT(ev.schema_id, 2);
        CHECK_INT(f->schema.columns[4].type, FLOE_TYPE_DOUBLE);
        CHECK_INT(f->last_column_id, 7);
        char *t = floe_meta_serialize(f);
        /* The copy keeps the doc attribute; the nested schema 0 is untouched. */
        CHECK(t && strstr(t, "\"schema-id\":2,\"identifier-field-ids\":[1],\"fields\":[{\"id\":1,"
                             "\"name\":\"id\",\"required\":true,\"type\":\"long\",\"doc\":"
                             "\"user id\"}") != NULL);
        CHECK(t && strstr(t, "{\"id\":7,\"name\":\"score\",\"required\":false,\"type\":"
                             "\"double\"}]}]") != NULL);
        CHECK(t && strstr(t, "\"current-schema-id\":2") != NULL);
        free(t);
        /* A new column after a nested schema gets an id above every id ever used (6 was the
         * list element's; last-column-id is 7). */
        evolve_expect(f, "id long required, plan string", 0, NULL, &ev, __LINE__);
        CHECK_INT(ev.changes[ev.nchanges - 1].field_id, 8);
        floe_meta_free(f);
    }

    int before = m->current_schema_id;
    evolve_expect(m, "id long required, name int", -EINVAL,
                  "column 'name' is string in the table and int in the config", &ev, __LINE__);
    evolve_expect(m, "id long required, age int", -EINVAL,
                  "column 'age' is long in the table and int in the config", &ev, __LINE__);
    evolve_expect(m, "id long required, name string required", -EINVAL,
                  "column 'name' is optional in the table; it cannot become required", &ev,
                  __LINE__);
    evolve_expect(m, "id long, name string", -EINVAL,
                  "column 'id' is a key (identifier) column", &ev, __LINE__);
    evolve_expect(m, "name string", -EINVAL, "key (identifier) column 'id'", &ev, __LINE__);
    CHECK_INT(m->current_schema_id, before);
    CHECK_INT(m->last_column_id, 6);
    CHECK_INT(m->schema.ncolumns, 6);
    floe_meta_free(m);

    /* A required non-key column left out of the config becomes optional. */
    struct floe_schema sc;
    static const uint8_t uuid[16] = {1};
    floe_schema_parse("id long required, code string required", &sc, err, sizeof err);
    struct floe_meta_create_args a = {.uuid = uuid, .location = "/t", .schema = &sc, .key = "id"};
    if (CHECK(floe_meta_create(&a, &m, err, sizeof err) == 0)) {
        evolve_expect(m, "id long required", 0, NULL, &ev, __LINE__);
        CHECK_INT(ev.nchanges, 1);
        CHECK_INT(ev.changes[0].kind, FLOE_META_RELAXED);
        CHECK_STR(ev.changes[0].column, "code");
        CHECK_INT(m->schema.columns[1].required, 0);
        CHECK_INT(m->schema.ncolumns, 2);
        floe_meta_free(m);
    }
}

/* ---- snapshots: ancestors, totals, expiry ---- */

static int commit(struct floe_meta *m, int64_t id, int64_t ts, const char *key, const char *val)
{
    struct floe_meta_kv kv[] = {{"added-records", "1"}, {key, val}};
    char ml[64];
    snprintf(ml, sizeof ml, "s3://b/snap-%lld.avro", (long long)id);
    struct floe_meta_commit c = {.snapshot_id = id, .timestamp_ms = ts, .manifest_list = ml,
                                 .operation = "append", .summary = kv, .nsummary = key ? 2 : 1};
    return floe_meta_add_snapshot(m, &c, err, sizeof err);
}

static void test_ancestors_and_totals(void)
{
    struct floe_meta *m = create_users();
    int64_t at = 0;
    if (!CHECK(m != NULL)) {
        return;
    }
    CHECK(floe_meta_snapshot_ancestor_summary(m, "floe.commit-id", &at) == NULL);
    CHECK_INT(commit(m, 11, 1700000001000, "floe.commit-id", "a"), 0);
    CHECK_INT(commit(m, 12, 1700000002000, "floe.offsets.users", "{\"0\":5}"), 0);
    CHECK_INT(commit(m, 13, 1700000003000, "spark.app.id", "x"), 0);
    CHECK_INT(m->last_sequence_number, 3);
    CHECK_INT(m->snapshots[0].parent_id, -1);
    CHECK_INT(m->snapshots[2].parent_id, 12);
    CHECK_STR(floe_meta_snapshot_ancestor_summary(m, "floe.offsets.users", &at), "{\"0\":5}");
    CHECK_INT(at, 12);
    CHECK_STR(floe_meta_snapshot_ancestor_summary(m, "floe.commit-id", &at), "a");
    CHECK_INT(at, 11);
    CHECK(floe_meta_snapshot_ancestor_summary(m, "floe.offsets.other", NULL) == NULL);
    /* Totals start at 0 on the first snapshot and run on. */
    CHECK_STR(floe_meta_summary_get(&m->snapshots[0], "total-records"), "1");
    CHECK_STR(floe_meta_summary_get(&m->snapshots[2], "total-records"), "3");
    CHECK_STR(floe_meta_summary_get(&m->snapshots[2], "total-data-files"), "0");
    /* A clock more than a minute behind the log is refused; slightly behind is accepted. */
    CHECK_INT(commit(m, 14, 1700000003000 - 61000, NULL, NULL), -ERANGE);
    CHECK_INT(commit(m, 14, 1700000003000 - 1000, NULL, NULL), 0);
    CHECK_INT(m->last_updated_ms, 1700000003000);
    /* Bad arguments. */
    struct floe_meta_kv dup[] = {{"operation", "append"}};
    struct floe_meta_commit c = {.snapshot_id = 20, .timestamp_ms = 1700000004000,
                                 .manifest_list = "x", .operation = "append", .summary = dup,
                                 .nsummary = 1};
    CHECK_INT(floe_meta_add_snapshot(m, &c, err, sizeof err), -EINVAL);
    c.nsummary = 0;
    c.operation = "merge";
    CHECK_INT(floe_meta_add_snapshot(m, &c, err, sizeof err), -EINVAL);
    c.operation = "append";
    c.snapshot_id = -5;
    CHECK_INT(floe_meta_add_snapshot(m, &c, err, sizeof err), -EINVAL);
    CHECK_INT(m->nsnapshots, 4);
    floe_meta_free(m);

    int64_t t;
    CHECK(floe_meta_update_total("10", "5", "3", &t) && t == 12);
    CHECK(floe_meta_update_total("10", NULL, NULL, &t) && t == 10);
    CHECK(!floe_meta_update_total(NULL, "5", NULL, &t));
    CHECK(!floe_meta_update_total("x", "5", NULL, &t));
    CHECK(!floe_meta_update_total("1", NULL, "3", &t));
    CHECK(!floe_meta_update_total("1", "y", NULL, &t));
    CHECK(!floe_meta_update_total("9223372036854775807", "1", NULL, &t));
    CHECK(!floe_meta_update_total("9223372036854775807", NULL, "-1", &t));
}

static bool has_id(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

static void test_expiry(void)
{
    struct floe_meta *m = create_users();
    if (!CHECK(m != NULL)) {
        return;
    }
    const int64_t day = 86400000, t0 = 1700000000000;
    for (int i = 1; i <= 6; i++) {
        CHECK_INT(commit(m, i, t0 + i * day, NULL, NULL), 0);
    }
    int64_t *ids = NULL;
    size_t n = 0;
    /* Keep the last 2; nothing by age: 1..4 go. */
    CHECK_INT(floe_meta_expire_select(m, 2, 0, t0 + 7 * day, &ids, &n), 0);
    CHECK_INT(n, 4);
    CHECK(has_id(ids, n, 1) && has_id(ids, n, 4) && !has_id(ids, n, 5) && !has_id(ids, n, 6));
    free(ids);
    /* Keep the last 1, and everything younger than 3.5 days: 4, 5, 6 stay. */
    CHECK_INT(floe_meta_expire_select(m, 1, 3 * day + day / 2, t0 + 7 * day, &ids, &n), 0);
    CHECK_INT(n, 3);
    CHECK(has_id(ids, n, 1) && has_id(ids, n, 2) && has_id(ids, n, 3));
    free(ids);
    /* keep_last 0 still keeps the current one. */
    CHECK_INT(floe_meta_expire_select(m, 0, 0, t0 + 7 * day, &ids, &n), 0);
    CHECK_INT(n, 5);
    CHECK(!has_id(ids, n, 6));
    /* Removing: the current snapshot is refused; the rest goes with its log history. */
    int64_t cur = 6;
    CHECK_INT(floe_meta_remove_snapshots(m, &cur, 1, t0 + 7 * day, err, sizeof err), -EINVAL);
    CHECK_INT(m->nsnapshots, 6);
    int64_t some[] = {2, 3};
    CHECK_INT(floe_meta_remove_snapshots(m, some, 2, t0 + 7 * day, err, sizeof err), 0);
    CHECK_INT(m->nsnapshots, 4);
    CHECK(floe_meta_find_snapshot(m, 2) == NULL && floe_meta_find_snapshot(m, 1) != NULL);
    CHECK_INT(m->last_updated_ms, t0 + 7 * day);
    char *text = floe_meta_serialize(m);
    /* History before the last gap (entries 1..3) is dropped from snapshot-log. */
    CHECK(text && strstr(text, "\"snapshot-log\":[{\"timestamp-ms\":1700345600000,"
                               "\"snapshot-id\":4},") != NULL);
    free(text);
    /* The ancestor walk stops at an expired parent. */
    CHECK(floe_meta_snapshot_ancestor_summary(m, "added-records", NULL) != NULL);
    CHECK(floe_meta_snapshot_ancestor_summary(m, "nope", NULL) == NULL);
    CHECK_INT(floe_meta_remove_snapshots(m, ids, n, t0 + 7 * day, err, sizeof err), 0);
    CHECK_INT(m->nsnapshots, 1);
    CHECK_INT(m->snapshots[0].id, 6);
    free(ids);
    floe_meta_free(m);

    /* A tag's target stays; branches other than main keep their own lineage. */
    struct floe_meta *f = parse_fixture();
    if (CHECK(f != NULL)) {
        CHECK_INT(floe_meta_expire_select(f, 1, 0, 1800000000000, &ids, &n), 0);
        CHECK_INT(n, 0);
        free(ids);
        int64_t tagged = 3051729675574597004LL;
        CHECK_INT(floe_meta_remove_snapshots(f, &tagged, 1, 1, err, sizeof err), -EINVAL);
        CHECK(strstr(err, "ref 'v1-release'") != NULL);
        floe_meta_free(f);
    }
}

/* Snapshots written before a v1 table became v2 have no sequence-number (readers take 0), and
 * very old ones no summary: such a table still parses. */
static void test_upgraded_from_v1(void)
{
    /* The Spark fixture with its first snapshot's sequence-number and summary removed. */
    size_t len = 0;
    char *text = read_file("upgraded_v1.metadata.json", &len);
    if (!text) {
        CHECK(0);
        return;
    }
    struct floe_meta *m = NULL;
    int rc = floe_meta_parse(text, strlen(text), &m, err, sizeof err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "    %s\n", err);
    }
    if (m) {
        CHECK_INT(m->snapshots[0].sequence_number, 0);
        CHECK(m->snapshots[0].operation == NULL);
        CHECK(floe_meta_summary_get(&m->snapshots[0], "total-records") == NULL);
        CHECK_INT(m->snapshots[1].sequence_number, 2);
    }
    floe_meta_free(m);
    free(text);
}

int main(void)
{
    test_create_round_trip();
    test_upgraded_from_v1();
    test_fixture_view();
    test_fixture_survives_commit();
    test_required_fields();
    test_snapshot_fields();
    test_hostile_json();
    test_evolution();
    test_ancestors_and_totals();
    test_expiry();
    return check_done();
}
