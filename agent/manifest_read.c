/* manifest_read.c — reads Iceberg manifests and manifest lists held in memory, whoever wrote
 * them.
 *
 * Each object is decoded by walking the writer schema embedded in the file (spec "Manifests",
 * "Manifest Lists"; Appendix A): for every field of a record, in the writer's order, its
 * Iceberg field id picks the handler; fields this reader does not know are skipped with
 * avro_skip_value(). Optional fields may be unions with null in either position; a value whose
 * Avro type does not match what the field id means is -EBADMSG. So Java's files (other field
 * order, extra fields such as referenced_data_file or v1's block_size_in_bytes, deflate blocks)
 * read the same as floe's.
 *
 * The readers allocate: schema nodes, a decompression buffer, and per-object arrays (metrics
 * columns, split offsets, equality ids, summaries, a path copy), each grown as needed and
 * bounded by the FLOE_MANIFEST_MAX_* limits. Bounds and partition strings are views into the
 * file or the decompressed block.
 */
#include "manifest_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What an empty (not null) list points to. */
static const int64_t no_longs;
static const int32_t no_ints;
static const struct floe_mlist_summary no_sums;

/* ---- typed access by schema ---- */

/* Resolves a field's type node; for an optional union reads the branch. *present is false for
 * null (a union's null branch or a "null" type). */
static int read_opt(struct avro_dec *d, const struct avro_schema *s, uint32_t type, bool *present,
                    uint32_t *inner)
{
    uint32_t t = avro_schema_resolve(s, type);
    int64_t null_branch, branch;
    int rc;

    *present = false;
    *inner = t;
    if (s->nodes[t].type == AVRO_NULL) {
        return 0;
    }
    if (s->nodes[t].type != AVRO_UNION) {
        *present = true;
        return 0;
    }
    if (avro_schema_optional(s, t, &null_branch, inner) < 0) {
        return -EBADMSG;
    }
    rc = avro_get_union(d, 2, &branch);
    if (rc < 0) {
        return rc;
    }
    *present = branch != null_branch;
    return 0;
}

static enum avro_type type_of(const struct avro_schema *s, uint32_t node)
{
    return s->nodes[avro_schema_resolve(s, node)].type;
}

static int get_long(struct avro_dec *d, const struct avro_schema *s, uint32_t node, int64_t *v)
{
    int32_t i;
    int rc;

    switch (type_of(s, node)) {
    case AVRO_LONG:
        return avro_get_long(d, v);
    case AVRO_INT: /* Avro promotes int to long */
        rc = avro_get_int(d, &i);
        *v = i;
        return rc;
    default:
        return -EBADMSG;
    }
}

static int get_int(struct avro_dec *d, const struct avro_schema *s, uint32_t node, int32_t *v)
{
    return type_of(s, node) == AVRO_INT ? avro_get_int(d, v) : -EBADMSG;
}

static int get_bool(struct avro_dec *d, const struct avro_schema *s, uint32_t node, bool *v)
{
    return type_of(s, node) == AVRO_BOOLEAN ? avro_get_boolean(d, v) : -EBADMSG;
}

/* bytes and string promote to each other in Avro. */
static int get_bytes(struct avro_dec *d, const struct avro_schema *s, uint32_t node,
                     const uint8_t **p, size_t *n)
{
    enum avro_type t = type_of(s, node);
    if (t == AVRO_BYTES) {
        return avro_get_bytes(d, p, n);
    }
    if (t == AVRO_STRING) {
        return avro_get_string(d, (const char **)p, n);
    }
    return -EBADMSG;
}

/* An optional long field: *has false for null. */
static int get_opt_long(struct avro_dec *d, const struct avro_schema *s, uint32_t type, bool *has,
                        int64_t *v)
{
    uint32_t inner;
    int rc = read_opt(d, s, type, has, &inner);
    *v = 0;
    if (rc < 0 || !*has) {
        return rc;
    }
    return get_long(d, s, inner, v);
}

/* A required field: null is -EBADMSG. */
static int require(struct avro_dec *d, const struct avro_schema *s, uint32_t type, uint32_t *inner)
{
    bool present;
    int rc = read_opt(d, s, type, &present, inner);
    if (rc < 0) {
        return rc;
    }
    return present ? 0 : -EBADMSG;
}

/* A copy of a string value into a growing NUL-terminated buffer. */
static int get_path(struct avro_dec *d, const struct avro_schema *s, uint32_t inner, char **buf,
                    size_t *cap)
{
    const uint8_t *p;
    size_t n;
    int rc = get_bytes(d, s, inner, &p, &n);

    if (rc < 0) {
        return rc;
    }
    if (n > FLOE_MANIFEST_MAX_STRING) {
        return -EOVERFLOW;
    }
    if (n && memchr(p, '\0', n)) {
        return -EBADMSG;
    }
    if (n + 1 > *cap) {
        char *q = realloc(*buf, n + 1);
        if (!q) {
            return -ENOMEM;
        }
        *buf = q;
        *cap = n + 1;
    }
    if (n) {
        memcpy(*buf, p, n);
    }
    (*buf)[n] = '\0';
    return 0;
}

/* Makes room for at least `need` items of `size` bytes in *arr (capacity *cap). */
static int grow(void **arr, uint32_t *cap, size_t need, size_t size, uint32_t limit)
{
    void *p;
    size_t n;

    if (need <= *cap) {
        return 0;
    }
    if (need > limit) {
        return -EOVERFLOW;
    }
    n = *cap ? *cap : 8;
    while (n < need) {
        n *= 2;
    }
    n = n > limit ? limit : n;
    p = realloc(*arr, n * size);
    if (!p) {
        return -ENOMEM;
    }
    *arr = p;
    *cap = (uint32_t)n;
    return 0;
}

/* ---- manifest entries ---- */

/* Returns the metrics column for field id `id`, adding it when new. Writers emit every map in
 * the same column order, so the item index is tried first. */
static int column_for(struct floe_manifest_reader *r, uint32_t *ncols, int32_t id, uint32_t hint,
                      struct floe_manifest_column **out)
{
    int rc;

    if (hint < *ncols && r->columns[hint].field_id == id) {
        *out = &r->columns[hint];
        return 0;
    }
    for (uint32_t i = 0; i < *ncols; i++) {
        if (r->columns[i].field_id == id) {
            *out = &r->columns[i];
            return 0;
        }
    }
    rc = grow((void **)&r->columns, &r->columns_cap, (size_t)*ncols + 1, sizeof *r->columns,
              FLOE_MANIFEST_MAX_COLUMNS);
    if (rc < 0) {
        return rc;
    }
    *out = &r->columns[(*ncols)++];
    memset(*out, 0, sizeof **out);
    (*out)->field_id = id;
    return 0;
}

/* One metrics map (an array of key/value records) into the columns, under bit. */
static int read_metric_map(struct floe_manifest_reader *r, struct avro_dec *d, uint32_t type,
                           uint32_t bit, uint32_t *ncols, uint32_t *maps)
{
    const struct avro_schema *s = &r->schema;
    uint32_t arr, item, f, inner;
    uint32_t index = 0;
    bool present;
    int64_t n;
    int rc = read_opt(d, s, type, &present, &arr);

    if (rc < 0 || !present) {
        return rc;
    }
    if (s->nodes[arr].type != AVRO_ARRAY) {
        return -EBADMSG;
    }
    item = avro_schema_resolve(s, s->nodes[arr].child);
    if (s->nodes[item].type != AVRO_RECORD) {
        return -EBADMSG;
    }
    *maps |= bit;
    while ((rc = avro_get_block(d, &n)) == 0 && n > 0) {
        for (int64_t k = 0; k < n; k++, index++) {
            bool have_key = false, have_value = false;
            int32_t key = 0;
            int64_t lv = 0;
            const uint8_t *bp = NULL;
            size_t bn = 0;
            struct floe_manifest_column *c;

            if (index >= FLOE_MANIFEST_MAX_COLUMNS) {
                return -EOVERFLOW;
            }
            for (f = s->nodes[item].child; f != AVRO_NO_NODE; f = s->nodes[f].next) {
                const struct avro_node *fn = &s->nodes[f];
                if (fn->name_len == 3 && memcmp(fn->name, "key", 3) == 0) {
                    rc = require(d, s, fn->child, &inner);
                    rc = rc ? rc : get_int(d, s, inner, &key);
                    have_key = true;
                } else if (fn->name_len == 5 && memcmp(fn->name, "value", 5) == 0) {
                    rc = read_opt(d, s, fn->child, &have_value, &inner);
                    if (rc == 0 && have_value) {
                        rc = (bit == FLOE_COL_LOWER || bit == FLOE_COL_UPPER)
                                 ? get_bytes(d, s, inner, &bp, &bn)
                                 : get_long(d, s, inner, &lv);
                    }
                } else {
                    rc = avro_skip_value(d, s, fn->child);
                }
                if (rc < 0) {
                    return rc;
                }
            }
            if (!have_key) {
                return -EBADMSG;
            }
            if (!have_value) {
                continue; /* a null value says nothing */
            }
            rc = column_for(r, ncols, key, index, &c);
            if (rc < 0) {
                return rc;
            }
            c->has |= bit;
            switch (bit) {
            case FLOE_COL_SIZE:
                c->column_size = lv;
                break;
            case FLOE_COL_VALUES:
                c->value_count = lv;
                break;
            case FLOE_COL_NULLS:
                c->null_count = lv;
                break;
            case FLOE_COL_NANS:
                c->nan_count = lv;
                break;
            case FLOE_COL_LOWER:
                c->lower = bp;
                c->lower_len = bn;
                break;
            default:
                c->upper = bp;
                c->upper_len = bn;
                break;
            }
        }
    }
    return rc;
}

/* An optional array of longs (split_offsets) or ints (equality_ids). */
static int read_list(struct floe_manifest_reader *r, struct avro_dec *d, uint32_t type, bool longs,
                     uint32_t *count, bool *present)
{
    const struct avro_schema *s = &r->schema;
    uint32_t arr, items;
    int64_t n;
    int rc = read_opt(d, s, type, present, &arr);

    *count = 0;
    if (rc < 0 || !*present) {
        return rc;
    }
    if (s->nodes[arr].type != AVRO_ARRAY) {
        return -EBADMSG;
    }
    items = s->nodes[arr].child;
    while ((rc = avro_get_block(d, &n)) == 0 && n > 0) {
        size_t need = (size_t)*count + (size_t)n;
        rc = longs ? grow((void **)&r->splits, &r->splits_cap, need, sizeof *r->splits,
                          FLOE_MANIFEST_MAX_LIST)
                   : grow((void **)&r->eq_ids, &r->eq_ids_cap, need, sizeof *r->eq_ids,
                          FLOE_MANIFEST_MAX_LIST);
        if (rc < 0) {
            return rc;
        }
        for (int64_t k = 0; k < n; k++) {
            rc = longs ? get_long(d, s, items, &r->splits[*count])
                       : get_int(d, s, items, &r->eq_ids[*count]);
            if (rc < 0) {
                return rc;
            }
            (*count)++;
        }
    }
    return rc;
}

/* One partition value of spec type t from Avro node `inner`. */
static int read_partition_value(const struct avro_schema *s, struct avro_dec *d, uint32_t inner,
                                const struct ice_type *t, struct ice_value *v)
{
    const struct avro_node *n = &s->nodes[inner];
    const uint8_t *p;
    size_t len;
    int rc;

    memset(v, 0, sizeof *v);
    v->type = t->id;
    switch (t->id) {
    case ICE_BOOLEAN:
        return get_bool(d, s, inner, &v->v.b);
    case ICE_INT:
    case ICE_DATE:
        return get_int(d, s, inner, &v->v.i);
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
        return get_long(d, s, inner, &v->v.l);
    case ICE_FLOAT:
        return n->type == AVRO_FLOAT ? avro_get_float(d, &v->v.f) : -EBADMSG;
    case ICE_DOUBLE:
        return n->type == AVRO_DOUBLE ? avro_get_double(d, &v->v.d) : -EBADMSG;
    case ICE_STRING:
    case ICE_BINARY:
        rc = get_bytes(d, s, inner, &v->v.bin.p, &v->v.bin.n);
        return rc;
    case ICE_FIXED:
    case ICE_UUID:
    case ICE_DECIMAL:
        break;
    default:
        return -EBADMSG;
    }
    if (n->type != AVRO_FIXED || n->size < 1 || n->size > INT32_MAX) {
        return -EBADMSG;
    }
    rc = avro_get_fixed(d, (size_t)n->size, &p);
    if (rc < 0) {
        return rc;
    }
    len = (size_t)n->size;
    if (t->id == ICE_FIXED) {
        if (len != (size_t)t->length) {
            return -EBADMSG;
        }
        v->v.bin.p = p;
        v->v.bin.n = len;
    } else if (t->id == ICE_UUID) {
        if (len != ICE_UUID_BYTES) {
            return -EBADMSG;
        }
        memcpy(v->v.uuid, p, ICE_UUID_BYTES);
    } else {
        if (len > ICE_DECIMAL_BYTES) {
            return -EBADMSG;
        }
        /* Sign-extend the big-endian two's complement value to 16 bytes. */
        memset(v->v.dec, (p[0] & 0x80) ? 0xFF : 0x00, ICE_DECIMAL_BYTES);
        memcpy(v->v.dec + ICE_DECIMAL_BYTES - len, p, len);
        v->scale = t->scale;
    }
    return 0;
}

static int read_partition(struct floe_manifest_reader *r, struct avro_dec *d, uint32_t type)
{
    const struct avro_schema *s = &r->schema;
    uint32_t rec, f, inner;
    bool present;
    int rc = require(d, s, type, &rec);

    if (rc < 0) {
        return rc;
    }
    if (s->nodes[rec].type != AVRO_RECORD) {
        return -EBADMSG;
    }
    for (uint32_t i = 0; i < r->spec.nfields; i++) {
        r->partition[i] = ice_null(r->spec.fields[i].type.id);
    }
    for (f = s->nodes[rec].child; f != AVRO_NO_NODE; f = s->nodes[f].next) {
        uint32_t k = 0;
        while (k < r->spec.nfields && r->spec.fields[k].field_id != s->nodes[f].field_id) {
            k++;
        }
        if (k == r->spec.nfields) {
            rc = avro_skip_value(d, s, s->nodes[f].child);
        } else {
            rc = read_opt(d, s, s->nodes[f].child, &present, &inner);
            if (rc == 0 && present) {
                rc = read_partition_value(s, d, inner, &r->spec.fields[k].type, &r->partition[k]);
            }
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* Bits of the data_file fields that must be seen. */
#define SEEN_PATH 1u
#define SEEN_FORMAT 2u
#define SEEN_PARTITION 4u
#define SEEN_COUNT 8u
#define SEEN_SIZE 16u
#define SEEN_ALL 31u

static int read_data_file(struct floe_manifest_reader *r, struct avro_dec *d, uint32_t type,
                          struct floe_manifest_data_file *df)
{
    const struct avro_schema *s = &r->schema;
    uint32_t rec, f, inner, ncols = 0, seen = 0;
    bool present;
    int rc = require(d, s, type, &rec);

    if (rc < 0) {
        return rc;
    }
    if (s->nodes[rec].type != AVRO_RECORD) {
        return -EBADMSG;
    }
    for (f = s->nodes[rec].child; f != AVRO_NO_NODE && rc == 0; f = s->nodes[f].next) {
        uint32_t t = s->nodes[f].child;
        switch (s->nodes[f].field_id) {
        case 134:
            rc = read_opt(d, s, t, &present, &inner);
            if (rc == 0 && present) {
                rc = get_int(d, s, inner, &df->content);
            }
            break;
        case 100:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_path(d, s, inner, &r->path, &r->path_cap);
            df->path = r->path;
            seen |= SEEN_PATH;
            break;
        case 101: {
            const uint8_t *p;
            size_t n;
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_bytes(d, s, inner, &p, &n);
            if (rc == 0 && (n >= sizeof r->format || (n && memchr(p, '\0', n)))) {
                rc = -EBADMSG;
            }
            if (rc == 0) {
                if (n) {
                    memcpy(r->format, p, n);
                }
                r->format[n] = '\0';
            }
            df->format = r->format;
            seen |= SEEN_FORMAT;
            break;
        }
        case 102:
            rc = read_partition(r, d, t);
            seen |= SEEN_PARTITION;
            break;
        case 103:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_long(d, s, inner, &df->record_count);
            seen |= SEEN_COUNT;
            break;
        case 104:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_long(d, s, inner, &df->file_size_in_bytes);
            seen |= SEEN_SIZE;
            break;
        case 108:
            rc = read_metric_map(r, d, t, FLOE_COL_SIZE, &ncols, &df->maps);
            break;
        case 109:
            rc = read_metric_map(r, d, t, FLOE_COL_VALUES, &ncols, &df->maps);
            break;
        case 110:
            rc = read_metric_map(r, d, t, FLOE_COL_NULLS, &ncols, &df->maps);
            break;
        case 137:
            rc = read_metric_map(r, d, t, FLOE_COL_NANS, &ncols, &df->maps);
            break;
        case 125:
            rc = read_metric_map(r, d, t, FLOE_COL_LOWER, &ncols, &df->maps);
            break;
        case 128:
            rc = read_metric_map(r, d, t, FLOE_COL_UPPER, &ncols, &df->maps);
            break;
        case 131:
            rc = read_opt(d, s, t, &present, &inner);
            if (rc == 0 && present) {
                rc = get_bytes(d, s, inner, &df->key_metadata, &df->key_metadata_len);
                /* An empty key is still a key: keep the pointer non-NULL. */
                if (rc == 0 && !df->key_metadata) {
                    df->key_metadata = (const uint8_t *)"";
                }
            }
            break;
        case 132:
            rc = read_list(r, d, t, true, &df->nsplit_offsets, &present);
            df->split_offsets = present ? (r->splits ? r->splits : &no_longs) : NULL;
            break;
        case 135:
            rc = read_list(r, d, t, false, &df->nequality_ids, &present);
            df->equality_ids = present ? (r->eq_ids ? r->eq_ids : &no_ints) : NULL;
            break;
        case 140:
            rc = read_opt(d, s, t, &df->has_sort_order_id, &inner);
            if (rc == 0 && df->has_sort_order_id) {
                rc = get_int(d, s, inner, &df->sort_order_id);
            }
            break;
        default:
            rc = avro_skip_value(d, s, t);
            break;
        }
    }
    if (rc < 0) {
        return rc;
    }
    if (seen != SEEN_ALL) {
        return -EBADMSG;
    }
    df->partition = r->partition;
    df->npartition = r->spec.nfields;
    df->columns = r->columns;
    df->ncolumns = ncols;
    return 0;
}

static void mf_avro(struct floe_manifest_reader *r, struct floe__mf_avro *a)
{
    *a = (struct floe__mf_avro){&r->avro,        &r->schema, &r->nodes, &r->scratch,
                                &r->scratch_cap, &r->block,  &r->left};
}

int floe_manifest_reader_open(struct floe_manifest_reader *r, const uint8_t *buf, size_t len)
{
    struct floe__mf_avro a;
    const uint8_t *p;
    size_t n;
    uint32_t f;
    int64_t v;
    int rc;

    memset(r, 0, sizeof *r);
    r->data_file_node = AVRO_NO_NODE;
    r->partition_node = AVRO_NO_NODE;
    mf_avro(r, &a);
    rc = floe__mf_open(&a, buf, len);
    if (rc < 0) {
        goto fail;
    }
    /* The writer schema must have the required Iceberg fields. */
    if (avro_schema_field_by_id(&r->schema, 0, 0, &f) < 0 ||
        avro_schema_field_by_id(&r->schema, 0, 2, &f) < 0) {
        rc = -EBADMSG;
        goto fail;
    }
    r->data_file_node = avro_schema_resolve(&r->schema, r->schema.nodes[f].child);
    if (r->schema.nodes[r->data_file_node].type != AVRO_RECORD) {
        rc = -EBADMSG;
        goto fail;
    }
    if (avro_schema_field_by_id(&r->schema, r->data_file_node, 102, &f) == 0) {
        r->partition_node = avro_schema_resolve(&r->schema, r->schema.nodes[f].child);
        if (r->schema.nodes[r->partition_node].type != AVRO_RECORD) {
            rc = -EBADMSG;
            goto fail;
        }
    }
    rc = floe__manifest_read_spec(r);
    if (rc < 0) {
        goto fail;
    }
    r->partition = calloc(r->spec.nfields ? r->spec.nfields : 1, sizeof *r->partition);
    if (!r->partition) {
        rc = -ENOMEM;
        goto fail;
    }
    if (floe__meta_i64(&r->avro, "schema-id", &v) == 0 && v >= INT32_MIN && v <= INT32_MAX) {
        r->schema_id = (int32_t)v;
        r->has_schema_id = true;
    }
    r->format_version = 1;
    if (floe__meta_i64(&r->avro, "format-version", &v) == 0 && v > 0 && v < 100) {
        r->format_version = (int)v;
    }
    if (avro_reader_meta(&r->avro, "content", &p, &n) == 0 && n == 7 &&
        memcmp(p, "deletes", 7) == 0) {
        r->content = FLOE_MANIFEST_CONTENT_DELETES;
    }
    return 0;
fail:
    floe_manifest_reader_close(r);
    r->err = rc;
    return rc;
}

const struct floe_manifest_spec *floe_manifest_reader_spec(const struct floe_manifest_reader *r)
{
    return &r->spec;
}

int floe_manifest_reader_next(struct floe_manifest_reader *r, struct floe_manifest_entry *e)
{
    struct floe__mf_avro a;
    const struct avro_schema *s = &r->schema;
    struct avro_dec *d = &r->block;
    bool seen_status = false, seen_file = false;
    uint32_t f, inner;
    int rc;

    memset(e, 0, sizeof *e);
    if (r->err) {
        return r->err;
    }
    if (!r->nodes) {
        return -EINVAL;
    }
    mf_avro(r, &a);
    rc = floe__mf_next_object(&a);
    if (rc <= 0) {
        r->err = rc;
        return rc;
    }
    for (f = s->nodes[0].child; f != AVRO_NO_NODE && rc >= 0; f = s->nodes[f].next) {
        uint32_t t = s->nodes[f].child;
        switch (s->nodes[f].field_id) {
        case 0:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_int(d, s, inner, &e->status);
            seen_status = true;
            break;
        case 1:
            rc = get_opt_long(d, s, t, &e->has_snapshot_id, &e->snapshot_id);
            break;
        case 3:
            rc = get_opt_long(d, s, t, &e->has_sequence_number, &e->sequence_number);
            break;
        case 4:
            rc = get_opt_long(d, s, t, &e->has_file_sequence_number, &e->file_sequence_number);
            break;
        case 2:
            rc = read_data_file(r, d, t, &e->file);
            seen_file = true;
            break;
        default:
            rc = avro_skip_value(d, s, t);
            break;
        }
    }
    if (rc >= 0 && (!seen_status || !seen_file || e->status < 0 || e->status > 2)) {
        rc = -EBADMSG;
    }
    if (rc < 0) {
        memset(e, 0, sizeof *e);
        r->err = rc;
        return rc;
    }
    return 1;
}

void floe_manifest_reader_close(struct floe_manifest_reader *r)
{
    struct floe__mf_avro a;
    mf_avro(r, &a);
    floe__mf_close(&a);
    free(r->fields);
    free(r->names);
    free(r->partition);
    free(r->columns);
    free(r->splits);
    free(r->eq_ids);
    free(r->path);
    r->fields = NULL;
    r->names = NULL;
    r->partition = NULL;
    r->columns = NULL;
    r->splits = NULL;
    r->eq_ids = NULL;
    r->path = NULL;
    r->columns_cap = r->splits_cap = r->eq_ids_cap = 0;
    r->path_cap = 0;
    r->spec.fields = NULL;
    r->spec.nfields = 0;
    if (!r->err) {
        r->err = -EINVAL; /* closed */
    }
}

/* ---- manifest lists ---- */

static void ml_avro(struct floe_mlist_reader *r, struct floe__mf_avro *a)
{
    *a = (struct floe__mf_avro){&r->avro,        &r->schema, &r->nodes, &r->scratch,
                                &r->scratch_cap, &r->block,  &r->left};
}

int floe_mlist_reader_open(struct floe_mlist_reader *r, const uint8_t *buf, size_t len)
{
    struct floe__mf_avro a;
    static const int32_t required[] = {500, 501, 502, 503};
    uint32_t f;
    int rc;

    memset(r, 0, sizeof *r);
    ml_avro(r, &a);
    rc = floe__mf_open(&a, buf, len);
    if (rc < 0) {
        goto fail;
    }
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (avro_schema_field_by_id(&r->schema, 0, required[i], &f) < 0) {
            rc = -EBADMSG;
            goto fail;
        }
    }
    r->has_snapshot_id = floe__meta_i64(&r->avro, "snapshot-id", &r->snapshot_id) == 0;
    r->has_parent_snapshot_id =
        floe__meta_i64(&r->avro, "parent-snapshot-id", &r->parent_snapshot_id) == 0;
    r->has_sequence_number = floe__meta_i64(&r->avro, "sequence-number", &r->sequence_number) == 0;
    return 0;
fail:
    floe_mlist_reader_close(r);
    r->err = rc;
    return rc;
}

static int read_summaries(struct floe_mlist_reader *r, struct avro_dec *d, uint32_t type,
                          struct floe_mlist_row *row)
{
    const struct avro_schema *s = &r->schema;
    uint32_t arr, rec, f, inner;
    bool present;
    int64_t n;
    int rc = read_opt(d, s, type, &present, &arr);

    if (rc < 0 || !present) {
        return rc;
    }
    if (s->nodes[arr].type != AVRO_ARRAY) {
        return -EBADMSG;
    }
    rec = avro_schema_resolve(s, s->nodes[arr].child);
    if (s->nodes[rec].type != AVRO_RECORD) {
        return -EBADMSG;
    }
    while ((rc = avro_get_block(d, &n)) == 0 && n > 0) {
        rc = grow((void **)&r->sums, &r->sums_cap, (size_t)row->npartitions + (size_t)n,
                  sizeof *r->sums, FLOE_MANIFEST_MAX_PARTITION_FIELDS);
        if (rc < 0) {
            return rc;
        }
        for (int64_t k = 0; k < n; k++) {
            struct floe_mlist_summary *sum = &r->sums[row->npartitions++];
            memset(sum, 0, sizeof *sum);
            for (f = s->nodes[rec].child; f != AVRO_NO_NODE && rc == 0; f = s->nodes[f].next) {
                uint32_t t = s->nodes[f].child;
                switch (s->nodes[f].field_id) {
                case 509:
                    rc = require(d, s, t, &inner);
                    rc = rc ? rc : get_bool(d, s, inner, &sum->contains_null);
                    break;
                case 518:
                    rc = read_opt(d, s, t, &sum->has_contains_nan, &inner);
                    if (rc == 0 && sum->has_contains_nan) {
                        rc = get_bool(d, s, inner, &sum->contains_nan);
                    }
                    break;
                case 510:
                case 511: {
                    const uint8_t *p = NULL;
                    size_t len = 0;
                    rc = read_opt(d, s, t, &present, &inner);
                    if (rc == 0 && present) {
                        rc = get_bytes(d, s, inner, &p, &len);
                        p = p ? p : (const uint8_t *)"";
                    }
                    if (s->nodes[f].field_id == 510) {
                        sum->lower = p;
                        sum->lower_len = len;
                    } else {
                        sum->upper = p;
                        sum->upper_len = len;
                    }
                    break;
                }
                default:
                    rc = avro_skip_value(d, s, t);
                    break;
                }
            }
            if (rc < 0) {
                return rc;
            }
        }
    }
    if (rc == 0) {
        row->partitions = r->sums ? r->sums : &no_sums;
    }
    return rc;
}

/* A v1-optional count: null reads as -1 (unknown; the spec says to assume non-zero). */
static int get_count32(struct avro_dec *d, const struct avro_schema *s, uint32_t t, int32_t *v)
{
    uint32_t inner;
    bool present;
    int rc = read_opt(d, s, t, &present, &inner);
    *v = -1;
    if (rc < 0 || !present) {
        return rc;
    }
    return get_int(d, s, inner, v);
}

static int get_count64(struct avro_dec *d, const struct avro_schema *s, uint32_t t, int64_t *v)
{
    bool present;
    int rc = get_opt_long(d, s, t, &present, v);
    if (rc == 0 && !present) {
        *v = -1;
    }
    return rc;
}

int floe_mlist_reader_next(struct floe_mlist_reader *r, struct floe_mlist_row *row)
{
    struct floe__mf_avro a;
    const struct avro_schema *s = &r->schema;
    struct avro_dec *d = &r->block;
    uint32_t f, inner;
    bool present;
    int rc;

    memset(row, 0, sizeof *row);
    if (r->err) {
        return r->err;
    }
    if (!r->nodes) {
        return -EINVAL;
    }
    ml_avro(r, &a);
    rc = floe__mf_next_object(&a);
    if (rc <= 0) {
        r->err = rc;
        return rc;
    }
    for (f = s->nodes[0].child; f != AVRO_NO_NODE && rc >= 0; f = s->nodes[f].next) {
        uint32_t t = s->nodes[f].child;
        switch (s->nodes[f].field_id) {
        case 500:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_path(d, s, inner, &r->path, &r->path_cap);
            row->path = r->path;
            break;
        case 501:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_long(d, s, inner, &row->length);
            break;
        case 502:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_int(d, s, inner, &row->spec_id);
            break;
        case 517:
            rc = read_opt(d, s, t, &present, &inner);
            if (rc == 0 && present) {
                rc = get_int(d, s, inner, &row->content);
            }
            break;
        case 515:
            rc = get_opt_long(d, s, t, &present, &row->sequence_number);
            break;
        case 516:
            rc = get_opt_long(d, s, t, &present, &row->min_sequence_number);
            break;
        case 503:
            rc = require(d, s, t, &inner);
            rc = rc ? rc : get_long(d, s, inner, &row->added_snapshot_id);
            break;
        case 504:
            rc = get_count32(d, s, t, &row->added_files_count);
            break;
        case 505:
            rc = get_count32(d, s, t, &row->existing_files_count);
            break;
        case 506:
            rc = get_count32(d, s, t, &row->deleted_files_count);
            break;
        case 512:
            rc = get_count64(d, s, t, &row->added_rows_count);
            break;
        case 513:
            rc = get_count64(d, s, t, &row->existing_rows_count);
            break;
        case 514:
            rc = get_count64(d, s, t, &row->deleted_rows_count);
            break;
        case 507:
            rc = read_summaries(r, d, t, row);
            break;
        case 519:
            rc = read_opt(d, s, t, &present, &inner);
            if (rc == 0 && present) {
                rc = get_bytes(d, s, inner, &row->key_metadata, &row->key_metadata_len);
                if (rc == 0 && !row->key_metadata) {
                    row->key_metadata = (const uint8_t *)"";
                }
            }
            break;
        default:
            rc = avro_skip_value(d, s, t);
            break;
        }
    }
    if (rc >= 0 && !row->path) {
        rc = -EBADMSG;
    }
    if (rc < 0) {
        memset(row, 0, sizeof *row);
        r->err = rc;
        return rc;
    }
    return 1;
}

void floe_mlist_reader_close(struct floe_mlist_reader *r)
{
    struct floe__mf_avro a;
    ml_avro(r, &a);
    floe__mf_close(&a);
    free(r->sums);
    free(r->path);
    r->sums = NULL;
    r->path = NULL;
    r->sums_cap = 0;
    r->path_cap = 0;
    if (!r->err) {
        r->err = -EINVAL;
    }
}
