/* table_meta.c — validating a v2 table metadata document, building its typed view, creating a
 * new one, and printing it.
 *
 * Validation follows the spec's "Table Metadata Fields" (v2 column) and what Java's
 * TableMetadataParser.fromJson and the TableMetadata constructor refuse: the required fields
 * and their types, then the references between them. Errors name the field with its path
 * ("snapshots[2].manifest-list"), because the person reading them has a metadata file open.
 * A new document is written in the field order Java uses, so files diff cleanly against
 * Java-written ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "table_meta_internal.h"

#define ERRBUF 256

/* ---- field accessors with messages that name the field ---- */

static int missing(char *err, size_t cap, const char *ctx, const char *key)
{
    return floe_errbuf_fail(err, cap, -EINVAL, "table metadata: required field '%s%s' is missing",
                            ctx, key);
}

static int wrong(char *err, size_t cap, const char *ctx, const char *key, const char *what)
{
    return floe_errbuf_fail(err, cap, -EINVAL, "table metadata: field '%s%s' must be %s", ctx, key,
                            what);
}

/* Reads obj[key] as an int64. Absent (or null when null_ok) leaves *v alone and sets *present
 * false; a required absent field is an error. */
static int get_i64(const cJSON *obj, const char *ctx, const char *key, bool required, bool null_ok,
                   int64_t *v, bool *present, char *err, size_t cap)
{
    const cJSON *it = floe_meta__get(obj, key);
    if (present) {
        *present = false;
    }
    if (!it || (null_ok && cJSON_IsNull(it))) {
        return required ? missing(err, cap, ctx, key) : 0;
    }
    if (floe_meta__i64(it, v) != 0) {
        return wrong(err, cap, ctx, key, "a 64-bit integer");
    }
    if (present) {
        *present = true;
    }
    return 0;
}

static int get_i32(const cJSON *obj, const char *ctx, const char *key, bool required, int *v,
                   bool *present, char *err, size_t cap)
{
    const cJSON *it = floe_meta__get(obj, key);
    if (present) {
        *present = false;
    }
    if (!it) {
        return required ? missing(err, cap, ctx, key) : 0;
    }
    if (floe_meta__i32(it, v) != 0) {
        return wrong(err, cap, ctx, key, "a 32-bit integer");
    }
    if (present) {
        *present = true;
    }
    return 0;
}

static int get_str(const cJSON *obj, const char *ctx, const char *key, bool required,
                   const char **v, char *err, size_t cap)
{
    const cJSON *it = floe_meta__get(obj, key);
    if (!it) {
        return required ? missing(err, cap, ctx, key) : 0;
    }
    if (!cJSON_IsString(it) || !it->valuestring) {
        return wrong(err, cap, ctx, key, "a string");
    }
    *v = it->valuestring;
    return 0;
}

/* obj[key] must be an array (or absent when optional). *arr is NULL when absent. */
static int get_array(const cJSON *obj, const char *ctx, const char *key, bool required,
                     const cJSON **arr, char *err, size_t cap)
{
    const cJSON *it = floe_meta__get(obj, key);
    *arr = NULL;
    if (!it) {
        return required ? missing(err, cap, ctx, key) : 0;
    }
    if (!cJSON_IsArray(it)) {
        return wrong(err, cap, ctx, key, "an array");
    }
    *arr = it;
    return 0;
}

/* obj[key] must be an object whose values are all strings (properties, summary). */
static int get_string_map(const cJSON *obj, const char *ctx, const char *key, bool required,
                          const cJSON **map, char *err, size_t cap)
{
    const cJSON *it = floe_meta__get(obj, key);
    *map = NULL;
    if (!it) {
        return required ? missing(err, cap, ctx, key) : 0;
    }
    if (!cJSON_IsObject(it)) {
        return wrong(err, cap, ctx, key, "an object of strings");
    }
    for (const cJSON *c = it->child; c; c = c->next) {
        if (!cJSON_IsString(c)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: field '%s%s.%s' must be a string", ctx, key,
                                    c->string);
        }
    }
    *map = it;
    return 0;
}

static int elem_object(const cJSON *e, const char *key, int i, char *ctx, size_t ctxcap, char *err,
                       size_t cap)
{
    snprintf(ctx, ctxcap, "%s[%d].", key, i);
    if (!cJSON_IsObject(e)) {
        return floe_errbuf_fail(err, cap, -EINVAL, "table metadata: '%s[%d]' must be an object",
                                key, i);
    }
    return 0;
}

static bool uuid_shape(const char *s)
{
    if (strlen(s) != 36) {
        return false;
    }
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex) {
            return false;
        }
    }
    return true;
}

/* ---- sections ---- */

static int index_schemas(const cJSON *root, struct floe_meta *v, char *err, size_t cap)
{
    const cJSON *schemas;
    char ctx[48];
    int rc = get_array(root, "", "schemas", true, &schemas, err, cap);
    if (rc != 0) {
        return rc;
    }
    if ((rc = get_i32(root, "", "current-schema-id", true, &v->current_schema_id, NULL, err,
                      cap)) != 0) {
        return rc;
    }
    int i = 0;
    for (const cJSON *s = schemas->child; s; s = s->next, i++) {
        const char *type = NULL;
        const cJSON *fields;
        int id;
        if ((rc = elem_object(s, "schemas", i, ctx, sizeof ctx, err, cap)) != 0 ||
            (rc = get_i32(s, ctx, "schema-id", true, &id, NULL, err, cap)) != 0 ||
            (rc = get_str(s, ctx, "type", true, &type, err, cap)) != 0 ||
            (rc = get_array(s, ctx, "fields", true, &fields, err, cap)) != 0) {
            return rc;
        }
        if (strcmp(type, "struct") != 0) {
            return wrong(err, cap, ctx, "type", "\"struct\"");
        }
        int j = 0;
        for (const cJSON *t = schemas->child; t != s; t = t->next, j++) {
            int other;
            if (floe_meta__i32(floe_meta__get(t, "schema-id"), &other) == 0 && other == id) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: schemas[%d] and schemas[%d] both have "
                                        "schema-id %d",
                                        j, i, id);
            }
        }
    }
    const cJSON *cur = floe_meta__find_schema(root, v->current_schema_id);
    if (!cur) {
        return floe_errbuf_fail(err, cap, -EINVAL,
                                "table metadata: current-schema-id %d is not in 'schemas'",
                                v->current_schema_id);
    }
    return floe_meta__schema_view(cur, &v->schema, v->identifier_ids, &v->nidentifier, err, cap);
}

/* "bucket[16]" → (BUCKET, 16); the names Iceberg defines, nothing else. */
static int parse_transform(const char *s, enum floe_transform *t, int *param)
{
    static const struct {
        const char *name;
        enum floe_transform t;
    } plain[] = {{"identity", FLOE_TRANSFORM_IDENTITY}, {"year", FLOE_TRANSFORM_YEAR},
                 {"month", FLOE_TRANSFORM_MONTH},       {"day", FLOE_TRANSFORM_DAY},
                 {"hour", FLOE_TRANSFORM_HOUR},         {"void", FLOE_TRANSFORM_VOID}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (strcmp(s, plain[i].name) == 0) {
            *t = plain[i].t;
            *param = 0;
            return 0;
        }
    }
    const char *digits;
    if (strncmp(s, "bucket[", 7) == 0) {
        *t = FLOE_TRANSFORM_BUCKET;
        digits = s + 7;
    } else if (strncmp(s, "truncate[", 9) == 0) {
        *t = FLOE_TRANSFORM_TRUNCATE;
        digits = s + 9;
    } else {
        return -EINVAL;
    }
    long long n = 0;
    const char *p = digits;
    while (*p >= '0' && *p <= '9' && n <= INT32_MAX) {
        n = n * 10 + (*p++ - '0');
    }
    if (p == digits || *digits == '0' || p[0] != ']' || p[1] != '\0' || n > INT32_MAX) {
        return -EINVAL;
    }
    *param = (int)n;
    return 0;
}

static int index_specs(const cJSON *root, struct floe_meta *v, char *err, size_t cap)
{
    const cJSON *specs;
    char ctx[48], fctx[80];
    v->unpartitioned_spec_id = -1;
    int rc = get_array(root, "", "partition-specs", true, &specs, err, cap);
    if (rc != 0 ||
        (rc = get_i32(root, "", "default-spec-id", true, &v->spec.spec_id, NULL, err, cap)) != 0 ||
        (rc = get_i32(root, "", "last-partition-id", true, &v->last_partition_id, NULL, err,
                      cap)) != 0) {
        return rc;
    }
    bool found = false;
    int i = 0;
    for (const cJSON *s = specs->child; s; s = s->next, i++) {
        const cJSON *fields;
        int id;
        if ((rc = elem_object(s, "partition-specs", i, ctx, sizeof ctx, err, cap)) != 0 ||
            (rc = get_i32(s, ctx, "spec-id", true, &id, NULL, err, cap)) != 0 ||
            (rc = get_array(s, ctx, "fields", true, &fields, err, cap)) != 0) {
            return rc;
        }
        bool is_default = id == v->spec.spec_id;
        if (!fields->child && v->unpartitioned_spec_id < 0) {
            v->unpartitioned_spec_id = id;
        }
        if (is_default && found) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: two partition specs have spec-id %d", id);
        }
        int j = 0;
        for (const cJSON *f = fields->child; f; f = f->next, j++) {
            int source_id, field_id;
            const char *name = NULL, *transform = NULL;
            snprintf(fctx, sizeof fctx, "partition-specs[%d].fields[%d].", i, j);
            if (!cJSON_IsObject(f)) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: '%.*s' must be an object",
                                        (int)strlen(fctx) - 1, fctx);
            }
            if ((rc = get_i32(f, fctx, "source-id", true, &source_id, NULL, err, cap)) != 0 ||
                (rc = get_i32(f, fctx, "field-id", true, &field_id, NULL, err, cap)) != 0 ||
                (rc = get_str(f, fctx, "name", true, &name, err, cap)) != 0 ||
                (rc = get_str(f, fctx, "transform", true, &transform, err, cap)) != 0) {
                return rc;
            }
            if (!is_default) {
                continue; /* older specs only need to be well formed */
            }
            if (j >= FLOE_PARTITION_FIELDS_MAX) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: the default partition spec has more "
                                        "than %d fields",
                                        FLOE_PARTITION_FIELDS_MAX);
            }
            struct floe_meta_spec_field *sf = &v->spec.fields[j];
            if (parse_transform(transform, &sf->transform, &sf->param) != 0) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: '%stransform' \"%s\" is not a transform "
                                        "floe knows",
                                        fctx, transform);
            }
            if (strlen(name) >= sizeof sf->name) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: '%sname' is longer than %zu bytes", fctx,
                                        sizeof sf->name - 1);
            }
            sf->source_id = source_id;
            sf->field_id = field_id;
            strcpy(sf->name, name);
            sf->column = -1;
            for (int c = 0; c < v->schema.ncolumns; c++) {
                if (v->schema.columns[c].field_id == source_id) {
                    sf->column = c;
                }
            }
            if (sf->column < 0) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: partition field '%s' has source-id %d, "
                                        "which is not a column of the current schema",
                                        name, source_id);
            }
            v->spec.nfields = j + 1;
        }
        found = found || is_default;
    }
    if (!found) {
        return floe_errbuf_fail(err, cap, -EINVAL,
                                "table metadata: default-spec-id %d is not in 'partition-specs'",
                                v->spec.spec_id);
    }
    return 0;
}

static int index_sort_orders(const cJSON *root, char *err, size_t cap)
{
    const cJSON *orders;
    char ctx[48];
    int def;
    int rc = get_array(root, "", "sort-orders", true, &orders, err, cap);
    if (rc != 0 || (rc = get_i32(root, "", "default-sort-order-id", true, &def, NULL, err, cap))) {
        return rc;
    }
    bool found = false;
    int i = 0;
    for (const cJSON *o = orders->child; o; o = o->next, i++) {
        const cJSON *fields;
        int id;
        if ((rc = elem_object(o, "sort-orders", i, ctx, sizeof ctx, err, cap)) != 0 ||
            (rc = get_i32(o, ctx, "order-id", true, &id, NULL, err, cap)) != 0 ||
            (rc = get_array(o, ctx, "fields", true, &fields, err, cap)) != 0) {
            return rc;
        }
        found = found || id == def;
    }
    if (!found) {
        return floe_errbuf_fail(err, cap, -EINVAL,
                                "table metadata: default-sort-order-id %d is not in 'sort-orders'",
                                def);
    }
    return 0;
}

static int index_snapshots(const cJSON *root, struct floe_meta *v, char *err, size_t cap)
{
    const cJSON *snaps;
    char ctx[48];
    int rc = get_array(root, "", "snapshots", false, &snaps, err, cap);
    if (rc != 0) {
        return rc;
    }
    size_t n = 0;
    for (const cJSON *s = snaps ? snaps->child : NULL; s; s = s->next) {
        n++;
    }
    if (n > 0) {
        v->snapshots = calloc(n, sizeof *v->snapshots);
        if (!v->snapshots) {
            return floe_errbuf_fail(err, cap, -ENOMEM, "out of memory");
        }
    }
    int i = 0;
    for (const cJSON *s = snaps ? snaps->child : NULL; s; s = s->next, i++) {
        struct floe_meta_snapshot *sn = &v->snapshots[i];
        const cJSON *summary = NULL;
        bool has;
        sn->parent_id = -1;
        sn->schema_id = -1;
        sn->sequence_number = 0;
        if ((rc = elem_object(s, "snapshots", i, ctx, sizeof ctx, err, cap)) != 0 ||
            (rc = get_i64(s, ctx, "snapshot-id", true, false, &sn->id, NULL, err, cap)) != 0 ||
            (rc = get_i64(s, ctx, "parent-snapshot-id", false, true, &sn->parent_id, &has, err,
                          cap)) != 0 ||
            /* Absent on snapshots made before a v1 table became v2: Java reads 0. */
            (rc = get_i64(s, ctx, "sequence-number", false, false, &sn->sequence_number, NULL, err,
                          cap)) != 0 ||
            (rc = get_i64(s, ctx, "timestamp-ms", true, false, &sn->timestamp_ms, NULL, err,
                          cap)) != 0 ||
            (rc = get_str(s, ctx, "manifest-list", true, &sn->manifest_list, err, cap)) != 0 ||
            /* Very old snapshots may have no summary: their operation is then unknown. */
            (rc = get_string_map(s, ctx, "summary", false, &summary, err, cap)) != 0 ||
            (rc = get_i32(s, ctx, "schema-id", false, &sn->schema_id, NULL, err, cap)) != 0) {
            return rc;
        }
        sn->summary__ = summary;
        const cJSON *op = summary ? floe_meta__get(summary, "operation") : NULL;
        if (summary && !op) {
            return missing(err, cap, ctx, "summary.operation");
        }
        sn->operation = op ? op->valuestring : NULL;
        if (sn->sequence_number > v->last_sequence_number) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: snapshots[%d] has sequence-number %lld, above "
                                    "last-sequence-number %lld",
                                    i, (long long)sn->sequence_number,
                                    (long long)v->last_sequence_number);
        }
        for (int j = 0; j < i; j++) {
            if (v->snapshots[j].id == sn->id) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: snapshot-id %lld appears twice in "
                                        "'snapshots'",
                                        (long long)sn->id);
            }
        }
        v->nsnapshots = (size_t)i + 1;
    }
    return 0;
}

static int index_refs(const cJSON *root, struct floe_meta *v, char *err, size_t cap)
{
    const cJSON *cur = floe_meta__get(root, "current-snapshot-id");
    int rc = get_i64(root, "", "current-snapshot-id", false, true, &v->current_snapshot_id, NULL,
                     err, cap);
    if (rc != 0) {
        return rc;
    }
    if (!cur || cJSON_IsNull(cur)) {
        v->current_snapshot_id = -1;
    }
    if (v->current_snapshot_id != -1 && !floe_meta_find_snapshot(v, v->current_snapshot_id)) {
        return floe_errbuf_fail(err, cap, -EINVAL,
                                "table metadata: current-snapshot-id %lld is not in 'snapshots'",
                                (long long)v->current_snapshot_id);
    }
    v->main_snapshot_id = v->current_snapshot_id;
    const cJSON *refs = floe_meta__get(root, "refs");
    if (!refs) {
        return 0; /* Java: without refs, main is the current snapshot */
    }
    if (!cJSON_IsObject(refs)) {
        return wrong(err, cap, "", "refs", "an object");
    }
    char ctx[FLOE_NAME_MAX + 16];
    for (const cJSON *r = refs->child; r; r = r->next) {
        int64_t id, age;
        int keep;
        const char *type = NULL;
        snprintf(ctx, sizeof ctx, "refs.%.*s.", FLOE_NAME_MAX, r->string);
        if (!cJSON_IsObject(r)) {
            return floe_errbuf_fail(err, cap, -EINVAL, "table metadata: '%.*s' must be an object",
                                    (int)strlen(ctx) - 1, ctx);
        }
        if ((rc = get_i64(r, ctx, "snapshot-id", true, false, &id, NULL, err, cap)) != 0 ||
            (rc = get_str(r, ctx, "type", true, &type, err, cap)) != 0 ||
            (rc = get_i32(r, ctx, "min-snapshots-to-keep", false, &keep, NULL, err, cap)) != 0 ||
            (rc = get_i64(r, ctx, "max-snapshot-age-ms", false, true, &age, NULL, err, cap)) ||
            (rc = get_i64(r, ctx, "max-ref-age-ms", false, true, &age, NULL, err, cap)) != 0) {
            return rc;
        }
        if (strcmp(type, "branch") != 0 && strcmp(type, "tag") != 0) {
            return wrong(err, cap, ctx, "type", "\"branch\" or \"tag\"");
        }
        if (!floe_meta_find_snapshot(v, id)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: '%ssnapshot-id' %lld is not in 'snapshots'",
                                    ctx, (long long)id);
        }
        if (strcmp(r->string, "main") == 0) {
            if (strcmp(type, "branch") != 0) {
                return wrong(err, cap, ctx, "type", "\"branch\"");
            }
            if (id != v->current_snapshot_id) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: refs.main (%lld) differs from "
                                        "current-snapshot-id (%lld)",
                                        (long long)id, (long long)v->current_snapshot_id);
            }
        }
    }
    return 0;
}

static int index_logs(const cJSON *root, char *err, size_t cap)
{
    const cJSON *log;
    char ctx[48];
    int64_t x;
    const char *s;
    int rc = get_array(root, "", "snapshot-log", false, &log, err, cap);
    int i = 0;
    for (const cJSON *e = log ? log->child : NULL; rc == 0 && e; e = e->next, i++) {
        if ((rc = elem_object(e, "snapshot-log", i, ctx, sizeof ctx, err, cap)) == 0 &&
            (rc = get_i64(e, ctx, "timestamp-ms", true, false, &x, NULL, err, cap)) == 0) {
            rc = get_i64(e, ctx, "snapshot-id", true, false, &x, NULL, err, cap);
        }
    }
    if (rc != 0 || (rc = get_array(root, "", "metadata-log", false, &log, err, cap)) != 0) {
        return rc;
    }
    i = 0;
    for (const cJSON *e = log ? log->child : NULL; rc == 0 && e; e = e->next, i++) {
        if ((rc = elem_object(e, "metadata-log", i, ctx, sizeof ctx, err, cap)) == 0 &&
            (rc = get_i64(e, ctx, "timestamp-ms", true, false, &x, NULL, err, cap)) == 0) {
            rc = get_str(e, ctx, "metadata-file", true, &s, err, cap);
        }
    }
    if (rc == 0) {
        rc = get_array(root, "", "statistics", false, &log, err, cap);
    }
    if (rc == 0) {
        rc = get_array(root, "", "partition-statistics", false, &log, err, cap);
    }
    return rc;
}

int floe_meta__index(cJSON *root, struct floe_meta *v, char *err, size_t cap)
{
    const char *uuid = NULL;
    const cJSON *props;
    int rc;
    memset(v, 0, sizeof *v);
    v->root__ = root;
    if (!cJSON_IsObject(root)) {
        rc = floe_errbuf_fail(err, cap, -EINVAL, "table metadata: the document is not an object");
        goto fail;
    }
    if ((rc = get_i32(root, "", "format-version", true, &v->format_version, NULL, err, cap)) != 0) {
        goto fail;
    }
    if (v->format_version != 2) {
        rc = floe_errbuf_fail(err, cap, -ENOTSUP,
                              "table metadata: unsupported format-version %d: floe reads and "
                              "writes Iceberg v2 tables only (v1 has no sequence numbers for "
                              "equality deletes; v3 needs a v3 writer)",
                              v->format_version);
        goto fail;
    }
    if ((rc = get_str(root, "", "table-uuid", true, &uuid, err, cap)) != 0) {
        goto fail;
    }
    if (!uuid_shape(uuid)) {
        rc = wrong(err, cap, "", "table-uuid", "a UUID (8-4-4-4-12 hex digits)");
        goto fail;
    }
    for (int i = 0; i < 36; i++) {
        char c = uuid[i];
        v->uuid[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    if ((rc = get_str(root, "", "location", true, &v->location, err, cap)) != 0 ||
        (rc = get_i64(root, "", "last-sequence-number", true, false, &v->last_sequence_number, NULL,
                      err, cap)) != 0 ||
        (rc = get_i64(root, "", "last-updated-ms", true, false, &v->last_updated_ms, NULL, err,
                      cap)) != 0 ||
        (rc = get_i32(root, "", "last-column-id", true, &v->last_column_id, NULL, err, cap)) != 0) {
        goto fail;
    }
    if (v->last_sequence_number < 0) {
        rc = wrong(err, cap, "", "last-sequence-number", "zero or more");
        goto fail;
    }
    if ((rc = index_schemas(root, v, err, cap)) != 0 || (rc = index_specs(root, v, err, cap)) ||
        (rc = index_sort_orders(root, err, cap)) != 0 ||
        (rc = get_string_map(root, "", "properties", false, &props, err, cap)) != 0 ||
        (rc = index_snapshots(root, v, err, cap)) != 0 || (rc = index_refs(root, v, err, cap)) ||
        (rc = index_logs(root, err, cap)) != 0) {
        goto fail;
    }
    return 0;
fail:
    free(v->snapshots);
    v->snapshots = NULL;
    v->nsnapshots = 0;
    return rc;
}

int floe_meta__swap(struct floe_meta *meta, cJSON *root, char *err, size_t cap)
{
    struct floe_meta *nv = malloc(sizeof *nv);
    if (!nv) {
        cJSON_Delete(root);
        return floe_errbuf_fail(err, cap, -ENOMEM, "out of memory");
    }
    int rc = floe_meta__index(root, nv, err, cap);
    if (rc != 0) {
        cJSON_Delete(root);
        free(nv);
        return rc;
    }
    cJSON_Delete(meta->root__);
    free(meta->snapshots);
    *meta = *nv;
    free(nv);
    return 0;
}

/* ---- public: parse, serialize, free, lookups ---- */

int floe_meta_parse(const char *text, size_t len, struct floe_meta **out, char *err, size_t errcap)
{
    char buf[ERRBUF];
    int code;
    *out = NULL;
    cJSON *root = floe_meta__json_parse(text, len, &code, buf, sizeof buf);
    if (!root) {
        return floe_errbuf_fail(err, errcap, code, "table metadata: %s", buf);
    }
    struct floe_meta *m = malloc(sizeof *m);
    if (!m) {
        cJSON_Delete(root);
        return floe_errbuf_fail(err, errcap, -ENOMEM, "out of memory");
    }
    int rc = floe_meta__index(root, m, err, errcap);
    if (rc != 0) {
        cJSON_Delete(root);
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

char *floe_meta_serialize(const struct floe_meta *meta)
{
    return cJSON_PrintUnformatted(meta->root__);
}

void floe_meta_free(struct floe_meta *meta)
{
    if (!meta) {
        return;
    }
    cJSON_Delete(meta->root__);
    free(meta->snapshots);
    free(meta);
}

int floe_meta_add_unpartitioned_spec(struct floe_meta *meta, int *spec_id, char *err, size_t errcap)
{
    if (meta->unpartitioned_spec_id >= 0) {
        *spec_id = meta->unpartitioned_spec_id;
        return 0;
    }
    cJSON *root = cJSON_Duplicate(meta->root__, 1);
    cJSON *specs = root ? floe_meta__get(root, "partition-specs") : NULL;
    int max = 0;
    for (const cJSON *s = specs ? specs->child : NULL; s; s = s->next) {
        int id;
        if (floe_meta__i32(floe_meta__get(s, "spec-id"), &id) == 0 && id > max) {
            max = id;
        }
    }
    cJSON *spec = cJSON_CreateObject();
    if (!specs || !spec || floe_meta__set_num(spec, "spec-id", max + 1) < 0 ||
        !cJSON_AddArrayToObject(spec, "fields") || !cJSON_AddItemToArray(specs, spec)) {
        cJSON_Delete(root);
        cJSON_Delete(spec);
        return floe_errbuf_fail(err, errcap, -ENOMEM, "out of memory adding a partition spec");
    }
    int rc = floe_meta__swap(meta, root, err, errcap);
    if (rc == 0) {
        *spec_id = meta->unpartitioned_spec_id;
    }
    return rc;
}

const char *floe_meta_property(const struct floe_meta *meta, const char *key)
{
    const cJSON *v = floe_meta__get(floe_meta__get(meta->root__, "properties"), key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const struct floe_meta_snapshot *floe_meta_find_snapshot(const struct floe_meta *meta, int64_t id)
{
    for (size_t i = 0; i < meta->nsnapshots; i++) {
        if (meta->snapshots[i].id == id) {
            return &meta->snapshots[i];
        }
    }
    return NULL;
}

const char *floe_meta_summary_get(const struct floe_meta_snapshot *snapshot, const char *key)
{
    const cJSON *v = floe_meta__get(snapshot->summary__, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *floe_meta__find_schema(const cJSON *root, int schema_id)
{
    const cJSON *schemas = floe_meta__get(root, "schemas");
    for (cJSON *s = cJSON_IsArray(schemas) ? schemas->child : NULL; s; s = s->next) {
        int id;
        if (floe_meta__i32(floe_meta__get(s, "schema-id"), &id) == 0 && id == schema_id) {
            return s;
        }
    }
    return NULL;
}

/* ---- create ---- */

static void format_uuid(const uint8_t in[16], char out[37])
{
    uint8_t b[16];
    memcpy(b, in, 16);
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4: random */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* variant RFC 4122 */
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[at++] = '-';
        }
        out[at++] = hex[b[i] >> 4];
        out[at++] = hex[b[i] & 15];
    }
    out[at] = '\0';
}

static cJSON *add_obj(cJSON *parent, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !(key ? cJSON_AddItemToObject(parent, key, o) : cJSON_AddItemToArray(parent, o))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *add_arr(cJSON *parent, const char *key)
{
    cJSON *a = cJSON_CreateArray();
    if (a && !cJSON_AddItemToObject(parent, key, a)) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static bool add_num(cJSON *obj, const char *key, int64_t v)
{
    return floe_meta__set_num(obj, key, v) == 0;
}

static bool add_str(cJSON *obj, const char *key, const char *s)
{
    return floe_meta__set_str(obj, key, s) == 0;
}

/* The schema object of a new table: ids 1..n, identifier ids [key]. */
static cJSON *new_schema(const struct floe_schema *sc, int key_index)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *fields, *ids;
    if (!s || !add_str(s, "type", "struct") || !add_num(s, "schema-id", 0)) {
        goto fail;
    }
    if (key_index >= 0) {
        if (!(ids = add_arr(s, "identifier-field-ids"))) {
            goto fail;
        }
        cJSON *id = floe_meta__num(key_index + 1);
        if (!id || !cJSON_AddItemToArray(ids, id)) {
            cJSON_Delete(id);
            goto fail;
        }
    }
    if (!(fields = add_arr(s, "fields"))) {
        goto fail;
    }
    for (int i = 0; i < sc->ncolumns; i++) {
        const struct floe_column *c = &sc->columns[i];
        cJSON *f = add_obj(fields, NULL);
        if (!f || !add_num(f, "id", i + 1) || !add_str(f, "name", c->name) ||
            !cJSON_AddBoolToObject(f, "required", c->required) ||
            !add_str(f, "type", floe_type_name(c->type))) {
            goto fail;
        }
    }
    return s;
fail:
    cJSON_Delete(s);
    return NULL;
}

static cJSON *new_spec(const struct floe_partition *p)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *fields;
    if (!s || !add_num(s, "spec-id", 0) || !(fields = add_arr(s, "fields"))) {
        goto fail;
    }
    for (int i = 0; p && i < p->nfields; i++) {
        const struct floe_partition_field *pf = &p->fields[i];
        char transform[32];
        if (pf->transform == FLOE_TRANSFORM_BUCKET || pf->transform == FLOE_TRANSFORM_TRUNCATE) {
            snprintf(transform, sizeof transform, "%s[%d]", floe_transform_name(pf->transform),
                     pf->param);
        } else {
            snprintf(transform, sizeof transform, "%s", floe_transform_name(pf->transform));
        }
        /* Java's PartitionSpecParser order: name, transform, source-id, field-id. */
        cJSON *f = add_obj(fields, NULL);
        if (!f || !add_str(f, "name", pf->name) || !add_str(f, "transform", transform) ||
            !add_num(f, "source-id", pf->column + 1) || !add_num(f, "field-id", 1000 + i)) {
            goto fail;
        }
    }
    return s;
fail:
    cJSON_Delete(s);
    return NULL;
}

static int check_create(const struct floe_meta_create_args *a, int *key_index, char *err,
                        size_t cap)
{
    if (!a || !a->uuid || !a->location || !a->schema || a->schema->ncolumns <= 0 ||
        a->schema->ncolumns > FLOE_COLUMNS_MAX) {
        return floe_errbuf_fail(err, cap, -EINVAL,
                                "create table: a uuid, a location and at least one column are "
                                "needed");
    }
    *key_index = -1;
    if (a->key) {
        int k = floe_schema_find(a->schema, a->key);
        if (k < 0) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "create table: key column '%s' is not in the schema", a->key);
        }
        const struct floe_column *c = &a->schema->columns[k];
        /* Iceberg identifier fields must be required and not floating point. */
        if (!c->required) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "create table: key column '%s' must be declared required "
                                    "(Iceberg identifier fields cannot be null)",
                                    a->key);
        }
        if (c->type == FLOE_TYPE_FLOAT || c->type == FLOE_TYPE_DOUBLE) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "create table: key column '%s' cannot be %s (Iceberg "
                                    "identifier fields cannot be floating point)",
                                    a->key, floe_type_name(c->type));
        }
        *key_index = k;
    }
    const struct floe_partition *p = a->partition;
    if (p && (p->nfields < 0 || p->nfields > FLOE_PARTITION_FIELDS_MAX)) {
        return floe_errbuf_fail(err, cap, -EINVAL, "create table: bad partition field count");
    }
    for (int i = 0; p && i < p->nfields; i++) {
        if (p->fields[i].column < 0 || p->fields[i].column >= a->schema->ncolumns ||
            p->fields[i].name[0] == '\0') {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "create table: partition field %d names no column", i);
        }
    }
    return 0;
}

int floe_meta_create(const struct floe_meta_create_args *a, struct floe_meta **out, char *err,
                     size_t cap)
{
    int key_index = -1;
    char uuid[37];
    cJSON *root = NULL, *arr, *o, *props;
    struct floe_meta *m = NULL;
    *out = NULL;
    int rc = check_create(a, &key_index, err, cap);
    if (rc != 0) {
        return rc;
    }
    format_uuid(a->uuid, uuid);
    int nparts = a->partition ? a->partition->nfields : 0;
    rc = -ENOMEM;
    /* Field order as Java's TableMetadataParser.toJson writes v2. */
    if (!(root = cJSON_CreateObject()) || !add_num(root, "format-version", 2) ||
        !add_str(root, "table-uuid", uuid) || !add_str(root, "location", a->location) ||
        !add_num(root, "last-sequence-number", 0) || !add_num(root, "last-updated-ms", a->now_ms) ||
        !add_num(root, "last-column-id", a->schema->ncolumns) ||
        !add_num(root, "current-schema-id", 0) || !(arr = add_arr(root, "schemas"))) {
        goto fail;
    }
    if (!(o = new_schema(a->schema, key_index)) || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        goto fail;
    }
    if (!add_num(root, "default-spec-id", 0) || !(arr = add_arr(root, "partition-specs"))) {
        goto fail;
    }
    if (!(o = new_spec(a->partition)) || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        goto fail;
    }
    if (!add_num(root, "last-partition-id", 999 + nparts) ||
        !add_num(root, "default-sort-order-id", 0) || !(arr = add_arr(root, "sort-orders")) ||
        !(o = add_obj(arr, NULL)) || !add_num(o, "order-id", 0) || !add_arr(o, "fields") ||
        !(props = add_obj(root, "properties")) ||
        !add_str(props, "write.format.default", "parquet") ||
        !add_str(props, "write.parquet.compression-codec", "zstd")) {
        goto fail;
    }
    for (size_t i = 0; i < a->nproperties; i++) {
        if (!a->properties[i].key || !a->properties[i].value) {
            rc = floe_errbuf_fail(err, cap, -EINVAL, "create table: property %zu is incomplete", i);
            goto fail;
        }
        if (!add_str(props, a->properties[i].key, a->properties[i].value)) {
            goto fail;
        }
    }
    if (!add_num(root, "current-snapshot-id", -1) || !add_obj(root, "refs") ||
        !add_arr(root, "snapshots") || !add_arr(root, "statistics") ||
        !add_arr(root, "partition-statistics") || !add_arr(root, "snapshot-log") ||
        !add_arr(root, "metadata-log")) {
        goto fail;
    }
    if (!(m = malloc(sizeof *m))) {
        goto fail;
    }
    /* Validate what was built with the reader's rules: a new table is also a valid table. */
    if ((rc = floe_meta__index(root, m, err, cap)) != 0) {
        goto fail;
    }
    *out = m;
    return 0;
fail:
    if (rc == -ENOMEM) {
        floe_errbuf_fail(err, cap, rc, "create table: out of memory");
    }
    cJSON_Delete(root);
    free(m);
    return rc;
}
