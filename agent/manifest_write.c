/* manifest_write.c — writes Iceberg v2 manifests and manifest lists as Avro container files,
 * computes a manifest's list row (counts, min sequence number, partition summaries), and turns
 * Parquet writer metrics into a data file's metrics.
 *
 * File layout (Avro "Object Container Files", codec "null"):
 *
 *     'O' 'b' 'j' 0x01 | metadata map | sync[16]          header
 *     long count | long size | objects | sync[16]        each block
 *
 * A manifest's metadata holds avro.schema (manifest_entry, built from the spec by
 * manifest_schema.c), avro.codec, schema, schema-id, partition-spec, partition-spec-id,
 * format-version "2" and content "data"|"deletes" (spec "Manifests"). A manifest list's holds
 * avro.schema (manifest_file), avro.codec, snapshot-id, parent-snapshot-id, sequence-number and
 * format-version "2" (Java ManifestListWriter.V2Writer).
 *
 * One `manifest_entry` object, in schema order (u = union branch, 0 null / 1 value):
 *
 *     int status | u long snapshot_id | u long sequence_number | u long file_sequence_number
 *     data_file: int content | string path | string format | partition (u value per field)
 *                | long record_count | long size | 6 × (u [int key, long|bytes value]…)
 *                | u bytes key_metadata | u [long]… | u [int]… | u int sort_order_id
 *
 * The workspace is used twice: first for the schema JSON, spec JSON and encoded header; then
 * split in halves, one for the block being encoded and one for its framed copy handed to the
 * sink. Nothing is allocated.
 */
#include "fsutil.h"
#include "manifest_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Framing around a block: two longs and a sync marker. */
#define FRAME_OVERHEAD (2 * AVRO_LONG_MAX_SIZE + AVRO_SYNC_SIZE)
/* Workspaces below this are rounded up by the size functions, so that blocks hold many rows. */
#define WORK_MIN (64u << 10)

int floe_manifest_buf_sink(void *ctx, const uint8_t *p, size_t n)
{
    struct floe_manifest_buf *b = ctx;
    if (n > b->cap - b->len) {
        return -ENOSPC;
    }
    if (n) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
    return 0;
}

static int make_sync(const uint8_t *given, uint8_t sync[AVRO_SYNC_SIZE])
{
    if (given) {
        memcpy(sync, given, AVRO_SYNC_SIZE);
        return 0;
    }
    return floe_random(sync, AVRO_SYNC_SIZE);
}

/* ---- validation and sizes ---- */

static bool decimal_fits(const struct ice_value *v, int32_t nbytes)
{
    /* The dropped leading bytes must be pure sign extension of the kept ones. */
    uint8_t ext = (v->v.dec[ICE_DECIMAL_BYTES - nbytes] & 0x80) ? 0xFF : 0x00;
    for (int32_t i = 0; i < ICE_DECIMAL_BYTES - nbytes; i++) {
        if (v->v.dec[i] != ext) {
            return false;
        }
    }
    return true;
}

static int check_entry(const struct floe_manifest_info *info, const struct floe_manifest_entry *e)
{
    const struct floe_manifest_data_file *f = &e->file;
    const struct floe_manifest_spec *spec = info->spec;

    if (e->status < FLOE_MANIFEST_EXISTING || e->status > FLOE_MANIFEST_DELETED) {
        return -EINVAL;
    }
    /* Only ADDED entries inherit from the list row: the others carry their snapshot id and
     * both sequence numbers (a null snapshot id would inherit the new manifest's). */
    if (e->status != FLOE_MANIFEST_ADDED &&
        (!e->has_sequence_number || !e->has_file_sequence_number || !e->has_snapshot_id)) {
        return -EINVAL;
    }
    if (f->content < FLOE_CONTENT_DATA || f->content > FLOE_CONTENT_EQUALITY_DELETES) {
        return -EINVAL;
    }
    if ((info->content == FLOE_MANIFEST_CONTENT_DATA) != (f->content == FLOE_CONTENT_DATA)) {
        return -EINVAL;
    }
    if (f->content == FLOE_CONTENT_EQUALITY_DELETES && (!f->equality_ids || !f->nequality_ids)) {
        return -EINVAL;
    }
    if (!f->path || !f->format || f->npartition != spec->nfields ||
        (f->npartition && !f->partition) || (f->ncolumns && !f->columns)) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < f->npartition; i++) {
        const struct ice_value *v = &f->partition[i];
        if (!floe__value_fits(&spec->fields[i].type, v)) {
            return -EINVAL;
        }
        if (!v->is_null && v->type == ICE_DECIMAL &&
            !decimal_fits(v, floe__decimal_bytes(spec->fields[i].type.precision))) {
            return -EINVAL;
        }
    }
    for (uint32_t i = 0; i < f->ncolumns; i++) {
        const struct floe_manifest_column *c = &f->columns[i];
        if (((c->has & FLOE_COL_LOWER) && !c->lower && c->lower_len) ||
            ((c->has & FLOE_COL_UPPER) && !c->upper && c->upper_len)) {
            return -EINVAL;
        }
    }
    return 0;
}

/* An upper bound of one entry's encoded size. */
static size_t entry_bound(const struct floe_manifest_entry *e)
{
    const struct floe_manifest_data_file *f = &e->file;
    const size_t L = AVRO_LONG_MAX_SIZE;
    size_t n = L + 3 * (1 + L);

    n += L + (L + strlen(f->path)) + (L + strlen(f->format));
    for (uint32_t i = 0; i < f->npartition; i++) {
        const struct ice_value *v = &f->partition[i];
        n += 1 + L;
        if (!v->is_null &&
            (v->type == ICE_STRING || v->type == ICE_BINARY || v->type == ICE_FIXED)) {
            n += v->v.bin.n;
        } else {
            n += ICE_DECIMAL_BYTES;
        }
    }
    n += 2 * L;
    n += 6 * (1 + 2 * L);
    for (uint32_t i = 0; i < f->ncolumns; i++) {
        const struct floe_manifest_column *c = &f->columns[i];
        n += 6 * 2 * L + c->lower_len + c->upper_len;
    }
    n += 1 + L + f->key_metadata_len;
    n += 1 + 2 * L + (size_t)f->nsplit_offsets * L;
    n += 1 + 2 * L + (size_t)f->nequality_ids * L;
    n += 1 + L;
    return n;
}

/* An upper bound of an encoded header with a schema and metadata of these total sizes. */
static size_t header_bound(size_t schema_len, size_t meta_bytes, size_t nmeta)
{
    return AVRO_MAGIC_SIZE + 2 * AVRO_LONG_MAX_SIZE + AVRO_SYNC_SIZE +
           (nmeta + 2) * 2 * AVRO_LONG_MAX_SIZE + schema_len + meta_bytes + 64;
}

static size_t json_len_manifest(const struct floe_manifest_spec *spec, size_t *spec_len)
{
    struct floe__json j = {NULL, 0, 0};
    if (floe__manifest_avro_schema(spec, &j) < 0) {
        return 0;
    }
    size_t n = j.len;
    j.len = 0;
    floe__manifest_spec_json(spec, &j);
    *spec_len = j.len;
    return n;
}

size_t floe_manifest_work_size(const struct floe_manifest_info *info,
                               const struct floe_manifest_entry *entries, size_t n)
{
    size_t spec_len = 0, schema_len, head, big = 0;

    if (!info || !info->spec || !info->table_schema_json) {
        return 0;
    }
    schema_len = json_len_manifest(info->spec, &spec_len);
    if (!schema_len) {
        return 0;
    }
    head =
        schema_len + spec_len + header_bound(schema_len, spec_len + info->table_schema_len + 64, 6);
    for (size_t i = 0; i < n; i++) {
        if (!entries[i].file.path || !entries[i].file.format) {
            return 0;
        }
        size_t b = entry_bound(&entries[i]);
        big = b > big ? b : big;
    }
    big = 2 * big + FRAME_OVERHEAD;
    head = head > big ? head : big;
    return head > WORK_MIN ? head : WORK_MIN;
}

/* ---- encoding ---- */

static void put_opt_long(struct avro_enc *e, bool has, int64_t v)
{
    avro_put_union(e, has ? 1 : 0);
    if (has) {
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

static void put_partition_value(struct avro_enc *e, const struct ice_type *t,
                                const struct ice_value *v)
{
    if (v->is_null) {
        avro_put_union(e, 0);
        return;
    }
    avro_put_union(e, 1);
    switch (t->id) {
    case ICE_BOOLEAN:
        avro_put_boolean(e, v->v.b);
        break;
    case ICE_INT:
    case ICE_DATE:
        avro_put_int(e, v->v.i);
        break;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
        avro_put_long(e, v->v.l);
        break;
    case ICE_FLOAT:
        avro_put_float(e, v->v.f);
        break;
    case ICE_DOUBLE:
        avro_put_double(e, v->v.d);
        break;
    case ICE_STRING:
        avro_put_string(e, (const char *)v->v.bin.p, v->v.bin.n);
        break;
    case ICE_BINARY:
        avro_put_bytes(e, v->v.bin.p, v->v.bin.n);
        break;
    case ICE_FIXED:
        avro_put_fixed(e, v->v.bin.p, v->v.bin.n);
        break;
    case ICE_UUID:
        avro_put_fixed(e, v->v.uuid, ICE_UUID_BYTES);
        break;
    case ICE_DECIMAL: {
        int32_t nb = floe__decimal_bytes(t->precision);
        avro_put_fixed(e, v->v.dec + ICE_DECIMAL_BYTES - nb, (size_t)nb);
        break;
    }
    }
}

/* One metrics map: the columns whose `has` carries bit, as int → long or int → bytes. */
static void put_metric_map(struct avro_enc *e, const struct floe_manifest_data_file *f,
                           uint32_t bit)
{
    int64_t count = 0;

    if (!(f->maps & bit)) {
        avro_put_union(e, 0);
        return;
    }
    for (uint32_t i = 0; i < f->ncolumns; i++) {
        count += (f->columns[i].has & bit) != 0;
    }
    avro_put_union(e, 1);
    avro_array_begin(e, count);
    for (uint32_t i = 0; i < f->ncolumns; i++) {
        const struct floe_manifest_column *c = &f->columns[i];
        if (!(c->has & bit)) {
            continue;
        }
        avro_put_int(e, c->field_id);
        switch (bit) {
        case FLOE_COL_SIZE:
            avro_put_long(e, c->column_size);
            break;
        case FLOE_COL_VALUES:
            avro_put_long(e, c->value_count);
            break;
        case FLOE_COL_NULLS:
            avro_put_long(e, c->null_count);
            break;
        case FLOE_COL_NANS:
            avro_put_long(e, c->nan_count);
            break;
        case FLOE_COL_LOWER:
            avro_put_bytes(e, c->lower, c->lower_len);
            break;
        default:
            avro_put_bytes(e, c->upper, c->upper_len);
            break;
        }
    }
    avro_array_end(e);
}

static void put_entry(struct avro_enc *e, const struct floe_manifest_spec *spec,
                      const struct floe_manifest_entry *en)
{
    static const uint32_t map_order[] = {FLOE_COL_SIZE, FLOE_COL_VALUES, FLOE_COL_NULLS,
                                         FLOE_COL_NANS, FLOE_COL_LOWER,  FLOE_COL_UPPER};
    const struct floe_manifest_data_file *f = &en->file;

    avro_put_int(e, en->status);
    put_opt_long(e, en->has_snapshot_id, en->snapshot_id);
    put_opt_long(e, en->has_sequence_number, en->sequence_number);
    put_opt_long(e, en->has_file_sequence_number, en->file_sequence_number);
    avro_put_int(e, f->content);
    avro_put_cstring(e, f->path);
    avro_put_cstring(e, f->format);
    for (uint32_t i = 0; i < f->npartition; i++) {
        put_partition_value(e, &spec->fields[i].type, &f->partition[i]);
    }
    avro_put_long(e, f->record_count);
    avro_put_long(e, f->file_size_in_bytes);
    for (size_t m = 0; m < sizeof map_order / sizeof map_order[0]; m++) {
        put_metric_map(e, f, map_order[m]);
    }
    put_opt_bytes(e, f->key_metadata, f->key_metadata_len);
    avro_put_union(e, f->split_offsets ? 1 : 0);
    if (f->split_offsets) {
        avro_array_begin(e, f->nsplit_offsets);
        for (uint32_t i = 0; i < f->nsplit_offsets; i++) {
            avro_put_long(e, f->split_offsets[i]);
        }
        avro_array_end(e);
    }
    avro_put_union(e, f->equality_ids ? 1 : 0);
    if (f->equality_ids) {
        avro_array_begin(e, f->nequality_ids);
        for (uint32_t i = 0; i < f->nequality_ids; i++) {
            avro_put_int(e, f->equality_ids[i]);
        }
        avro_array_end(e);
    }
    avro_put_union(e, f->has_sort_order_id ? 1 : 0);
    if (f->has_sort_order_id) {
        avro_put_int(e, f->sort_order_id);
    }
}

static void put_mlist_row(struct avro_enc *e, const struct floe_mlist_row *r)
{
    avro_put_cstring(e, r->path);
    avro_put_long(e, r->length);
    avro_put_int(e, r->spec_id);
    avro_put_int(e, r->content);
    avro_put_long(e, r->sequence_number);
    avro_put_long(e, r->min_sequence_number);
    avro_put_long(e, r->added_snapshot_id);
    avro_put_int(e, r->added_files_count);
    avro_put_int(e, r->existing_files_count);
    avro_put_int(e, r->deleted_files_count);
    avro_put_long(e, r->added_rows_count);
    avro_put_long(e, r->existing_rows_count);
    avro_put_long(e, r->deleted_rows_count);
    avro_put_union(e, r->partitions ? 1 : 0);
    if (r->partitions) {
        avro_array_begin(e, r->npartitions);
        for (uint32_t i = 0; i < r->npartitions; i++) {
            const struct floe_mlist_summary *s = &r->partitions[i];
            avro_put_boolean(e, s->contains_null);
            avro_put_union(e, s->has_contains_nan ? 1 : 0);
            if (s->has_contains_nan) {
                avro_put_boolean(e, s->contains_nan);
            }
            put_opt_bytes(e, s->lower, s->lower_len);
            put_opt_bytes(e, s->upper, s->upper_len);
        }
        avro_array_end(e);
    }
    put_opt_bytes(e, r->key_metadata, r->key_metadata_len);
}

/* ---- the shared container loop ---- */

/* Encodes object i of a file into an encoder. */
typedef void (*put_object_fn)(struct avro_enc *e, const void *objs, size_t i, const void *arg);

struct out {
    floe_manifest_sink_fn sink;
    void *ctx;
    uint64_t written;
};

static int emit(struct out *o, const uint8_t *p, size_t n)
{
    int rc = o->sink(o->ctx, p, n);
    if (rc == 0) {
        o->written += n;
    }
    return rc;
}

/* Writes the blocks of objs[0..n) after the header has been emitted. */
static int write_blocks(struct out *o, const uint8_t sync[AVRO_SYNC_SIZE], put_object_fn put,
                        const void *objs, size_t n, const void *arg, uint8_t *work, size_t work_cap)
{
    struct avro_writer w;
    size_t block_cap, len;
    uint8_t *frame;
    int rc = 0;

    if (work_cap < 2 * FRAME_OVERHEAD + 64) {
        return -ENOSPC;
    }
    block_cap = (work_cap - FRAME_OVERHEAD) / 2;
    frame = work + block_cap;
    avro_writer_init(&w, sync, work, block_cap);
    for (size_t i = 0; i < n; i++) {
        put(avro_writer_begin(&w), objs, i, arg);
        rc = avro_writer_end(&w);
        if (rc == -ENOSPC) {
            /* The block is full: frame it, hand it over, encode the object again. */
            rc = avro_writer_flush(&w, frame, work_cap - block_cap, &len);
            if (rc == 0) {
                rc = emit(o, frame, len);
            }
            if (rc == 0) {
                put(avro_writer_begin(&w), objs, i, arg);
                rc = avro_writer_end(&w);
            }
        }
        if (rc < 0) {
            return rc == -ENOSPC ? -EMSGSIZE : rc;
        }
    }
    rc = avro_writer_flush(&w, frame, work_cap - block_cap, &len);
    if (rc == 0 && len) {
        rc = emit(o, frame, len);
    }
    return rc;
}

static void put_entry_obj(struct avro_enc *e, const void *objs, size_t i, const void *arg)
{
    put_entry(e, arg, &((const struct floe_manifest_entry *)objs)[i]);
}

static void put_row_obj(struct avro_enc *e, const void *objs, size_t i, const void *arg)
{
    (void)arg;
    put_mlist_row(e, &((const struct floe_mlist_row *)objs)[i]);
}

static struct avro_meta meta_str(const char *key, const char *value)
{
    struct avro_meta m = {key, (const uint8_t *)value, strlen(value)};
    return m;
}

int floe_manifest_write(const struct floe_manifest_info *info,
                        const struct floe_manifest_entry *entries, size_t n, uint8_t *work,
                        size_t work_cap, floe_manifest_sink_fn sink, void *ctx, uint64_t *length)
{
    struct floe__json schema = {(char *)work, work_cap, 0}, spec_json;
    struct avro_writer w;
    struct avro_meta meta[6];
    struct out o = {sink, ctx, 0};
    uint8_t sync[AVRO_SYNC_SIZE];
    char schema_id[16], spec_id[16];
    size_t head_len;
    int rc;

    *length = 0;
    if (!info || !info->spec || !info->table_schema_json || (n && !entries) || !sink ||
        (info->content != FLOE_MANIFEST_CONTENT_DATA &&
         info->content != FLOE_MANIFEST_CONTENT_DELETES)) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        rc = check_entry(info, &entries[i]);
        if (rc < 0) {
            return rc;
        }
    }
    rc = make_sync(info->sync, sync);
    if (rc < 0) {
        return rc;
    }

    /* Header: the schema JSON and spec JSON go first in the workspace, the encoded header
     * after them. */
    rc = floe__manifest_avro_schema(info->spec, &schema);
    if (rc < 0) {
        return rc;
    }
    if (schema.len > work_cap) {
        return -ENOSPC;
    }
    spec_json = (struct floe__json){(char *)work + schema.len, work_cap - schema.len, 0};
    floe__manifest_spec_json(info->spec, &spec_json);
    if (spec_json.len > spec_json.cap) {
        return -ENOSPC;
    }
    snprintf(schema_id, sizeof schema_id, "%d", (int)info->schema_id);
    snprintf(spec_id, sizeof spec_id, "%d", (int)info->spec->spec_id);
    meta[0] = (struct avro_meta){"schema", (const uint8_t *)info->table_schema_json,
                                 info->table_schema_len};
    meta[1] = meta_str("schema-id", schema_id);
    meta[2] = (struct avro_meta){"partition-spec", (const uint8_t *)spec_json.p, spec_json.len};
    meta[3] = meta_str("partition-spec-id", spec_id);
    meta[4] = meta_str("format-version", "2");
    meta[5] = meta_str("content", info->content == FLOE_MANIFEST_CONTENT_DATA ? "data" : "deletes");
    {
        size_t used = schema.len + spec_json.len;
        avro_writer_init(&w, sync, NULL, 0);
        rc = avro_writer_header(&w, schema.p, schema.len, "null", meta, 6, work + used,
                                work_cap - used, &head_len);
        if (rc < 0) {
            return rc;
        }
        rc = emit(&o, work + used, head_len);
        if (rc < 0) {
            return rc;
        }
    }
    rc = write_blocks(&o, sync, put_entry_obj, entries, n, info->spec, work, work_cap);
    if (rc == 0) {
        *length = o.written;
    }
    return rc;
}

/* ---- manifest list ---- */

size_t floe_mlist_work_size(const struct floe_mlist_row *rows, size_t n)
{
    struct floe__json j = {NULL, 0, 0};
    size_t head, big = 0;

    floe__mlist_avro_schema(&j);
    head = j.len + header_bound(j.len, 4 * 24, 4);
    for (size_t i = 0; i < n; i++) {
        const struct floe_mlist_row *r = &rows[i];
        size_t b =
            16 * AVRO_LONG_MAX_SIZE + (r->path ? strlen(r->path) : 0) + r->key_metadata_len + 2;
        for (uint32_t k = 0; r->partitions && k < r->npartitions; k++) {
            b += 6 + 2 * AVRO_LONG_MAX_SIZE + r->partitions[k].lower_len +
                 r->partitions[k].upper_len;
        }
        big = b > big ? b : big;
    }
    big = 2 * big + FRAME_OVERHEAD;
    head = head > big ? head : big;
    return head > WORK_MIN ? head : WORK_MIN;
}

int floe_mlist_write(const struct floe_mlist_info *info, const struct floe_mlist_row *rows,
                     size_t n, uint8_t *work, size_t work_cap, floe_manifest_sink_fn sink,
                     void *ctx, uint64_t *length)
{
    struct floe__json schema = {(char *)work, work_cap, 0};
    struct avro_writer w;
    struct avro_meta meta[4];
    struct out o = {sink, ctx, 0};
    uint8_t sync[AVRO_SYNC_SIZE];
    char snap[24], parent[24], seq[24];
    size_t head_len;
    int rc;

    *length = 0;
    if (!info || (n && !rows) || !sink) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].path || rows[i].content < 0 || rows[i].content > 1 ||
            (rows[i].npartitions && !rows[i].partitions)) {
            return -EINVAL;
        }
    }
    rc = make_sync(info->sync, sync);
    if (rc < 0) {
        return rc;
    }
    floe__mlist_avro_schema(&schema);
    if (schema.len > work_cap) {
        return -ENOSPC;
    }
    snprintf(snap, sizeof snap, "%lld", (long long)info->snapshot_id);
    if (info->has_parent_snapshot_id) {
        snprintf(parent, sizeof parent, "%lld", (long long)info->parent_snapshot_id);
    } else {
        /* Java writes String.valueOf(null). */
        snprintf(parent, sizeof parent, "null");
    }
    snprintf(seq, sizeof seq, "%lld", (long long)info->sequence_number);
    meta[0] = meta_str("snapshot-id", snap);
    meta[1] = meta_str("parent-snapshot-id", parent);
    meta[2] = meta_str("sequence-number", seq);
    meta[3] = meta_str("format-version", "2");
    avro_writer_init(&w, sync, NULL, 0);
    rc = avro_writer_header(&w, schema.p, schema.len, "null", meta, 4, work + schema.len,
                            work_cap - schema.len, &head_len);
    if (rc < 0) {
        return rc;
    }
    rc = emit(&o, work + schema.len, head_len);
    if (rc < 0) {
        return rc;
    }
    rc = write_blocks(&o, sync, put_row_obj, rows, n, NULL, work, work_cap);
    if (rc == 0) {
        *length = o.written;
    }
    return rc;
}

/* ---- partition summaries ---- */

static const struct floe_mlist_summary no_summaries;

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) {
        return c;
    }
    return an < bn ? -1 : an > bn;
}

static int cmp_floating(double a, double b)
{
    if (a < b) {
        return -1;
    }
    if (a > b) {
        return 1;
    }
    /* Equal: only the zeros differ, and -0.0 orders before +0.0. */
    return (int)(signbit(b) != 0) - (int)(signbit(a) != 0);
}

/* Compares two non-null, non-NaN values of the same type. */
static int cmp_values(const struct ice_value *a, const struct ice_value *b)
{
    switch (a->type) {
    case ICE_BOOLEAN:
        return (int)a->v.b - (int)b->v.b;
    case ICE_INT:
    case ICE_DATE:
        return (a->v.i > b->v.i) - (a->v.i < b->v.i);
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
        return (a->v.l > b->v.l) - (a->v.l < b->v.l);
    case ICE_FLOAT:
        return cmp_floating(a->v.f, b->v.f);
    case ICE_DOUBLE:
        return cmp_floating(a->v.d, b->v.d);
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
        return cmp_bytes(a->v.bin.p, a->v.bin.n, b->v.bin.p, b->v.bin.n);
    case ICE_UUID:
        return memcmp(a->v.uuid, b->v.uuid, ICE_UUID_BYTES);
    case ICE_DECIMAL: {
        /* Two's complement big-endian: the sign byte compares signed, the rest unsigned. */
        int sa = (int8_t)a->v.dec[0], sb = (int8_t)b->v.dec[0];
        if (sa != sb) {
            return sa < sb ? -1 : 1;
        }
        return memcmp(a->v.dec + 1, b->v.dec + 1, ICE_DECIMAL_BYTES - 1);
    }
    }
    return 0;
}

static bool is_nan(const struct ice_value *v)
{
    return (v->type == ICE_FLOAT && isnan(v->v.f)) || (v->type == ICE_DOUBLE && isnan(v->v.d));
}

static int add_i32(int32_t *acc, int32_t v)
{
    return __builtin_add_overflow(*acc, v, acc) ? -EOVERFLOW : 0;
}

static int add_i64(int64_t *acc, int64_t v)
{
    return __builtin_add_overflow(*acc, v, acc) ? -EOVERFLOW : 0;
}

int floe_manifest_summarize(const struct floe_manifest_spec *spec,
                            const struct floe_manifest_entry *entries, size_t n,
                            int64_t sequence_number, int64_t snapshot_id,
                            struct floe_mlist_row *row, struct floe_mlist_summary *sums,
                            uint8_t *bounds, size_t bounds_cap)
{
    bool have_min_seq = false;
    size_t used = 0;
    int rc = 0;

    memset(row, 0, sizeof *row);
    row->spec_id = spec->spec_id;
    row->sequence_number = sequence_number;
    row->added_snapshot_id = snapshot_id;
    row->min_sequence_number = sequence_number;
    row->content = FLOE_MANIFEST_CONTENT_DATA;
    for (size_t i = 0; i < n; i++) {
        const struct floe_manifest_entry *e = &entries[i];
        if (e->file.npartition != spec->nfields) {
            return -EINVAL;
        }
        if (e->file.content != FLOE_CONTENT_DATA) {
            row->content = FLOE_MANIFEST_CONTENT_DELETES;
        }
        switch (e->status) {
        case FLOE_MANIFEST_ADDED:
            rc = add_i32(&row->added_files_count, 1);
            rc = rc ? rc : add_i64(&row->added_rows_count, e->file.record_count);
            break;
        case FLOE_MANIFEST_EXISTING:
            rc = add_i32(&row->existing_files_count, 1);
            rc = rc ? rc : add_i64(&row->existing_rows_count, e->file.record_count);
            break;
        case FLOE_MANIFEST_DELETED:
            rc = add_i32(&row->deleted_files_count, 1);
            rc = rc ? rc : add_i64(&row->deleted_rows_count, e->file.record_count);
            break;
        default:
            return -EINVAL;
        }
        if (rc < 0) {
            return rc;
        }
        if (e->status != FLOE_MANIFEST_DELETED && e->has_sequence_number &&
            (!have_min_seq || e->sequence_number < row->min_sequence_number)) {
            row->min_sequence_number = e->sequence_number;
            have_min_seq = true;
        }
    }

    for (uint32_t k = 0; k < spec->nfields; k++) {
        const struct ice_value *lo = NULL, *hi = NULL;
        struct floe_mlist_summary *s = &sums[k];
        size_t len;

        memset(s, 0, sizeof *s);
        s->has_contains_nan = true;
        for (size_t i = 0; i < n; i++) {
            const struct ice_value *v = &entries[i].file.partition[k];
            if (!floe__value_fits(&spec->fields[k].type, v)) {
                return -EINVAL;
            }
            if (v->is_null) {
                s->contains_null = true;
            } else if (is_nan(v)) {
                s->contains_nan = true;
            } else {
                if (!lo || cmp_values(v, lo) < 0) {
                    lo = v;
                }
                if (!hi || cmp_values(v, hi) > 0) {
                    hi = v;
                }
            }
        }
        if (lo) {
            rc = ice_serialize(lo, bounds + used, bounds_cap - used, &len);
            if (rc < 0) {
                return rc;
            }
            s->lower = bounds + used;
            s->lower_len = len;
            used += len;
            rc = ice_serialize(hi, bounds + used, bounds_cap - used, &len);
            if (rc < 0) {
                return rc;
            }
            s->upper = bounds + used;
            s->upper_len = len;
            used += len;
        }
    }
    /* An unpartitioned spec still gets a (empty) list, as Java writes it. */
    row->partitions = spec->nfields ? sums : &no_summaries;
    row->npartitions = spec->nfields;
    return 0;
}

/* ---- Parquet metrics ---- */

void floe_manifest_file_from_parquet(struct floe_manifest_data_file *file,
                                     const struct pq_file_metrics *fm,
                                     const struct pq_column_metrics *cols, uint32_t ncols,
                                     struct floe_manifest_column *out)
{
    file->record_count = (int64_t)fm->rows;
    file->file_size_in_bytes = (int64_t)fm->file_size;
    file->split_offsets = fm->split_offsets;
    file->nsplit_offsets = fm->row_groups;
    file->maps = FLOE_COL_ALL;
    for (uint32_t i = 0; i < ncols; i++) {
        const struct pq_column_metrics *c = &cols[i];
        struct floe_manifest_column *o = &out[i];
        memset(o, 0, sizeof *o);
        o->field_id = c->field_id;
        o->has = FLOE_COL_SIZE | FLOE_COL_VALUES | FLOE_COL_NULLS;
        o->column_size = c->column_size;
        o->value_count = c->value_count;
        o->null_count = c->null_count;
        if (c->nan_count >= 0) {
            o->has |= FLOE_COL_NANS;
            o->nan_count = c->nan_count;
        }
        if (c->has_lower) {
            o->has |= FLOE_COL_LOWER;
            o->lower = c->lower;
            o->lower_len = c->lower_len;
        }
        if (c->has_upper) {
            o->has |= FLOE_COL_UPPER;
            o->upper = c->upper;
            o->upper_len = c->upper_len;
        }
    }
    file->columns = out;
    file->ncolumns = ncols;
}
