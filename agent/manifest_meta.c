/* manifest_meta.c — what the manifest readers need around the records themselves: opening the
 * container with its writer schema, walking blocks (with "deflate" decompression through zlib's
 * raw inflate, Avro specification "Required Codecs"), reading integer metadata values, and
 * rebuilding a manifest's partition spec from its metadata.
 *
 * The spec comes from the "partition-spec" metadata (a JSON fields array; older writers stored
 * an object with "fields") and each field's result type from its transform: bucket, year, month
 * and hour give int, day gives date, identity/truncate/void keep the type of the source column,
 * found by id in the "schema" metadata (the table schema JSON, nested structs included). When
 * the metadata cannot tell (no spec JSON, an unknown source or type), the type is taken from the
 * Avro type of the partition field in the writer schema. Metadata is hostile: it is parsed with
 * cJSON (length-bounded) and every value checked.
 */
#include "manifest_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SCRATCH_START (256u << 10)

/* ---- deflate ---- */

int floe_manifest_inflate(void *ctx, const char *codec, const uint8_t *src, size_t src_len,
                          uint8_t *dst, size_t cap, size_t *len)
{
    z_stream z;
    int zr, rc;

    (void)ctx;
    *len = 0;
    if (strcmp(codec, "deflate") != 0) {
        return -ENOTSUP;
    }
    if (src_len > UINT_MAX) {
        return -EOVERFLOW;
    }
    memset(&z, 0, sizeof z);
    /* Negative window bits: raw RFC 1951, no zlib header or checksum. */
    if (inflateInit2(&z, -15) != Z_OK) {
        return -ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)src_len;
    z.next_out = dst;
    z.avail_out = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
    zr = inflate(&z, Z_FINISH);
    if (zr == Z_STREAM_END) {
        *len = z.total_out;
        rc = 0;
    } else if (zr == Z_BUF_ERROR && z.avail_out == 0) {
        rc = -ENOSPC; /* more output than cap: retry with a larger buffer */
    } else if (zr == Z_MEM_ERROR) {
        rc = -ENOMEM;
    } else {
        rc = -EBADMSG; /* corrupt or truncated stream */
    }
    inflateEnd(&z);
    return rc;
}

/* ---- container ---- */

int floe__mf_open(struct floe__mf_avro *a, const uint8_t *buf, size_t len)
{
    int rc;

    rc = avro_reader_open(a->avro, buf, len);
    if (rc < 0) {
        return rc;
    }
    *a->nodes = malloc(FLOE_MANIFEST_MAX_NODES * sizeof **a->nodes);
    if (!*a->nodes) {
        return -ENOMEM;
    }
    rc = avro_schema_parse(a->schema, *a->nodes, FLOE_MANIFEST_MAX_NODES, a->avro->schema,
                           a->avro->schema_len);
    if (rc == -ENOSPC) {
        return -EOVERFLOW;
    }
    if (rc < 0) {
        return rc;
    }
    if (a->schema->nodes[avro_schema_resolve(a->schema, 0)].type != AVRO_RECORD) {
        return -EBADMSG;
    }
    if (strcmp(a->avro->codec, "null") != 0) {
        if (strcmp(a->avro->codec, "deflate") != 0) {
            return -ENOTSUP;
        }
        *a->scratch = malloc(SCRATCH_START);
        if (!*a->scratch) {
            return -ENOMEM;
        }
        *a->scratch_cap = SCRATCH_START;
        avro_reader_set_decompress(a->avro, floe_manifest_inflate, NULL, *a->scratch,
                                   *a->scratch_cap);
    }
    memset(a->block, 0, sizeof *a->block);
    *a->left = 0;
    return 0;
}

int floe__mf_next_object(struct floe__mf_avro *a)
{
    int64_t count;
    int rc;

    while (*a->left == 0) {
        /* The block just finished must have held exactly its objects. */
        rc = avro_dec_finish(a->block);
        if (rc < 0) {
            return rc;
        }
        rc = avro_reader_next_block(a->avro, a->block, &count);
        if (rc == -ENOSPC && *a->scratch) {
            size_t cap = *a->scratch_cap * 2;
            uint8_t *p;
            if (*a->scratch_cap >= FLOE_MANIFEST_MAX_BLOCK) {
                return -EOVERFLOW;
            }
            p = realloc(*a->scratch, cap);
            if (!p) {
                return -ENOMEM;
            }
            *a->scratch = p;
            *a->scratch_cap = cap;
            avro_reader_set_decompress(a->avro, floe_manifest_inflate, NULL, p, cap);
            continue;
        }
        if (rc < 0) {
            return rc;
        }
        if (count == 0) {
            return 0;
        }
        *a->left = count;
    }
    (*a->left)--;
    return 1;
}

void floe__mf_close(struct floe__mf_avro *a)
{
    free(*a->nodes);
    *a->nodes = NULL;
    free(*a->scratch);
    *a->scratch = NULL;
    *a->scratch_cap = 0;
}

int floe__meta_i64(const struct avro_reader *r, const char *key, int64_t *v)
{
    const uint8_t *p;
    size_t n, i = 0;
    bool neg = false;
    uint64_t acc = 0;

    *v = 0;
    if (avro_reader_meta(r, key, &p, &n) < 0) {
        return -ENOENT;
    }
    if (n && p[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n || n - i > 19) {
        return -EBADMSG;
    }
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -EBADMSG;
        }
        acc = acc * 10 + (uint64_t)(p[i] - '0');
    }
    if (acc > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
        return -EBADMSG;
    }
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

/* ---- partition spec ---- */

/* Parses an Iceberg primitive type name: "int", "decimal(9, 2)", "fixed[16]", … */
static int parse_type_name(const char *s, struct ice_type *t)
{
    static const struct {
        const char *name;
        enum ice_type_id id;
    } names[] = {
        {"boolean", ICE_BOOLEAN},
        {"int", ICE_INT},
        {"long", ICE_LONG},
        {"float", ICE_FLOAT},
        {"double", ICE_DOUBLE},
        {"date", ICE_DATE},
        {"time", ICE_TIME},
        {"timestamp", ICE_TIMESTAMP},
        {"timestamptz", ICE_TIMESTAMPTZ},
        {"string", ICE_STRING},
        {"uuid", ICE_UUID},
        {"binary", ICE_BINARY},
    };
    char *end;
    long a, b;

    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            t->id = names[i].id;
            return 0;
        }
    }
    if (strncmp(s, "fixed[", 6) == 0) {
        a = strtol(s + 6, &end, 10);
        if (end == s + 6 || strcmp(end, "]") != 0 || a <= 0 || a > INT32_MAX) {
            return -EBADMSG;
        }
        t->id = ICE_FIXED;
        t->length = (int32_t)a;
        return 0;
    }
    if (strncmp(s, "decimal(", 8) == 0) {
        a = strtol(s + 8, &end, 10);
        if (end == s + 8 || *end != ',') {
            return -EBADMSG;
        }
        s = end + 1;
        b = strtol(s, &end, 10);
        if (end == s || strcmp(end, ")") != 0 || a < 1 || a > 38 || b < 0 || b > a) {
            return -EBADMSG;
        }
        t->id = ICE_DECIMAL;
        t->precision = (int32_t)a;
        t->scale = (int32_t)b;
        return 0;
    }
    return -ENOTSUP;
}

/* Finds the type of field `id` in a schema/struct JSON object, nested structs included. */
static const cJSON *find_field(const cJSON *st, int id, int depth)
{
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(st, "fields");
    const cJSON *f;

    if (depth > AVRO_MAX_DEPTH || !cJSON_IsArray(fields)) {
        return NULL;
    }
    cJSON_ArrayForEach(f, fields)
    {
        const cJSON *fid = cJSON_GetObjectItemCaseSensitive(f, "id");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "type");
        if (cJSON_IsNumber(fid) && fid->valuedouble == (double)id) {
            return type;
        }
        if (cJSON_IsObject(type)) {
            const cJSON *found = find_field(type, id, depth + 1);
            if (found) {
                return found;
            }
        }
    }
    return NULL;
}

/* The type of an Avro partition field's value (the non-null branch of its union). */
static int avro_value_type(const struct avro_schema *s, uint32_t field, struct ice_type *t)
{
    uint32_t node = avro_schema_resolve(s, s->nodes[field].child);
    const struct avro_node *n;
    int64_t nb;
    uint32_t inner;

    memset(t, 0, sizeof *t);
    if (s->nodes[node].type == AVRO_UNION) {
        if (avro_schema_optional(s, node, &nb, &inner) < 0) {
            return -EBADMSG;
        }
        node = inner;
    }
    n = &s->nodes[node];
#define LOGICAL(str)                                                                               \
    (n->logical && n->logical_len == strlen(str) && !memcmp(n->logical, str, n->logical_len))
    switch (n->type) {
    case AVRO_BOOLEAN:
        t->id = ICE_BOOLEAN;
        return 0;
    case AVRO_INT:
        t->id = LOGICAL("date") ? ICE_DATE : ICE_INT;
        return 0;
    case AVRO_LONG:
        t->id = LOGICAL("time-micros")        ? ICE_TIME
                : LOGICAL("timestamp-micros") ? ICE_TIMESTAMPTZ
                                              : ICE_LONG;
        return 0;
    case AVRO_FLOAT:
        t->id = ICE_FLOAT;
        return 0;
    case AVRO_DOUBLE:
        t->id = ICE_DOUBLE;
        return 0;
    case AVRO_STRING:
        t->id = ICE_STRING;
        return 0;
    case AVRO_BYTES:
        t->id = ICE_BINARY;
        return 0;
    case AVRO_FIXED:
        if (LOGICAL("decimal")) {
            return -ENOTSUP; /* precision and scale live only in the spec's schema */
        }
        if (LOGICAL("uuid")) {
            t->id = n->size == ICE_UUID_BYTES ? ICE_UUID : ICE_FIXED;
        } else {
            t->id = ICE_FIXED;
        }
        t->length = (int32_t)n->size;
        return 0;
    default:
        return -ENOTSUP;
    }
#undef LOGICAL
}

/* The Avro field of the partition record with this id, or AVRO_NO_NODE. */
static uint32_t partition_avro_field(const struct floe_manifest_reader *r, int32_t id)
{
    uint32_t f;
    if (r->partition_node == AVRO_NO_NODE ||
        avro_schema_field_by_id(&r->schema, r->partition_node, id, &f) < 0) {
        return AVRO_NO_NODE;
    }
    return f;
}

static int result_type(const struct floe_manifest_reader *r, const cJSON *table,
                       struct floe_manifest_spec_field *f)
{
    struct ice_transform tr;
    struct ice_type src;
    uint32_t af;

    if (ice_transform_parse(f->transform, strlen(f->transform), &tr) == 0) {
        switch (tr.kind) {
        case ICE_T_BUCKET:
        case ICE_T_YEAR:
        case ICE_T_MONTH:
        case ICE_T_HOUR:
            f->type = (struct ice_type){.id = ICE_INT};
            return 0;
        case ICE_T_DAY:
            f->type = (struct ice_type){.id = ICE_DATE};
            return 0;
        default:
            break;
        }
        const cJSON *type = table ? find_field(table, f->source_id, 0) : NULL;
        if (cJSON_IsString(type) && parse_type_name(type->valuestring, &src) == 0 &&
            ice_transform_result_type(&tr, &src, &f->type) == 0) {
            return 0;
        }
    }
    af = partition_avro_field(r, f->field_id);
    if (af == AVRO_NO_NODE) {
        return -EBADMSG;
    }
    return avro_value_type(&r->schema, af, &f->type);
}

static char *arena_copy(char **cursor, const char *s, size_t n)
{
    char *out = *cursor;
    memcpy(out, s, n);
    out[n] = '\0';
    *cursor += n + 1;
    return out;
}

/* The spec from the Avro partition record alone: names, ids and Avro-derived types. */
static int spec_from_avro(struct floe_manifest_reader *r)
{
    const struct avro_schema *s = &r->schema;
    uint32_t n = 0, f;
    size_t bytes = 0;
    char *cursor;
    int rc;

    if (r->partition_node == AVRO_NO_NODE) {
        return 0;
    }
    for (f = s->nodes[r->partition_node].child; f != AVRO_NO_NODE; f = s->nodes[f].next) {
        n++;
        bytes += s->nodes[f].name_len + 1 + sizeof "identity";
    }
    if (n > FLOE_MANIFEST_MAX_PARTITION_FIELDS) {
        return -EOVERFLOW;
    }
    r->fields = calloc(n ? n : 1, sizeof *r->fields);
    r->names = malloc(bytes + 1);
    if (!r->fields || !r->names) {
        return -ENOMEM;
    }
    cursor = r->names;
    n = 0;
    for (f = s->nodes[r->partition_node].child; f != AVRO_NO_NODE; f = s->nodes[f].next, n++) {
        struct floe_manifest_spec_field *pf = &r->fields[n];
        if (s->nodes[f].field_id == AVRO_NO_ID) {
            return -EBADMSG; /* a partition field is known only by its id */
        }
        pf->field_id = s->nodes[f].field_id;
        pf->source_id = 0;
        pf->name = arena_copy(&cursor, s->nodes[f].name ? s->nodes[f].name : "",
                              s->nodes[f].name ? s->nodes[f].name_len : 0);
        pf->transform = arena_copy(&cursor, "identity", strlen("identity"));
        rc = avro_value_type(s, f, &pf->type);
        if (rc < 0) {
            return rc;
        }
    }
    r->spec.fields = r->fields;
    r->spec.nfields = n;
    return 0;
}

int floe__manifest_read_spec(struct floe_manifest_reader *r)
{
    const uint8_t *p;
    size_t n, bytes = 0;
    cJSON *spec = NULL, *table = NULL;
    const cJSON *fields, *f;
    uint32_t count = 0, i = 0;
    char *cursor;
    int64_t v;
    int rc = 0;

    if (floe__meta_i64(&r->avro, "partition-spec-id", &v) == 0) {
        if (v < INT32_MIN || v > INT32_MAX) {
            return -EBADMSG;
        }
        r->spec.spec_id = (int32_t)v;
    }
    if (avro_reader_meta(&r->avro, "partition-spec", &p, &n) < 0) {
        return spec_from_avro(r);
    }
    spec = cJSON_ParseWithLength((const char *)p, n);
    if (!spec) {
        rc = -EBADMSG;
        goto fail;
    }
    fields = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "fields") : spec;
    if (!cJSON_IsArray(fields)) {
        rc = -EBADMSG;
        goto fail;
    }
    cJSON_ArrayForEach(f, fields)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");
        const cJSON *tr = cJSON_GetObjectItemCaseSensitive(f, "transform");
        if (!cJSON_IsString(name) || !cJSON_IsString(tr)) {
            rc = -EBADMSG;
            goto fail;
        }
        bytes += strlen(name->valuestring) + strlen(tr->valuestring) + 2;
        if (++count > FLOE_MANIFEST_MAX_PARTITION_FIELDS) {
            rc = -EOVERFLOW;
            goto fail;
        }
    }
    if (avro_reader_meta(&r->avro, "schema", &p, &n) == 0) {
        table = cJSON_ParseWithLength((const char *)p, n); /* NULL: fall back to Avro types */
    }
    r->fields = calloc(count ? count : 1, sizeof *r->fields);
    r->names = malloc(bytes + 1);
    if (!r->fields || !r->names) {
        rc = -ENOMEM;
        goto fail;
    }
    cursor = r->names;
    cJSON_ArrayForEach(f, fields)
    {
        struct floe_manifest_spec_field *pf = &r->fields[i];
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");
        const cJSON *tr = cJSON_GetObjectItemCaseSensitive(f, "transform");
        const cJSON *fid = cJSON_GetObjectItemCaseSensitive(f, "field-id");
        const cJSON *sid = cJSON_GetObjectItemCaseSensitive(f, "source-id");

        pf->name = arena_copy(&cursor, name->valuestring, strlen(name->valuestring));
        pf->transform = arena_copy(&cursor, tr->valuestring, strlen(tr->valuestring));
        /* v1 specs had no field ids: they were assigned from 1000 in order. */
        pf->field_id = 1000 + (int32_t)i;
        if (cJSON_IsNumber(fid)) {
            if (fid->valuedouble < INT32_MIN || fid->valuedouble > INT32_MAX) {
                rc = -EBADMSG;
                goto fail;
            }
            pf->field_id = (int32_t)fid->valuedouble;
        }
        if (cJSON_IsNumber(sid) && sid->valuedouble >= INT32_MIN && sid->valuedouble <= INT32_MAX) {
            pf->source_id = (int32_t)sid->valuedouble;
        }
        rc = result_type(r, table, pf);
        if (rc < 0) {
            goto fail;
        }
        i++;
    }
    r->spec.fields = r->fields;
    r->spec.nfields = count;
fail:
    cJSON_Delete(spec);
    cJSON_Delete(table);
    return rc;
}
