/* pq_meta.c — the Parquet footer: FileMetaData in compact Thrift, built in three pieces so the
 * writer keeps only bounded state per row group.
 *
 *   head   (at init)   1: version = 1, 2: schema (root "table" + one leaf per column)
 *   middle (at close)  3: num_rows, 4: list header of row_groups
 *   rgmeta (per flush) one serialized RowGroup per row group, appended as flushed
 *   tail   (at init)   5: key_value_metadata, 6: created_by, 7: column_orders, stop
 *   trailer            4-byte LE length of the above, "PAR1"
 *
 * Field ids and types: parquet.thrift (SPEC-NOTES §6). Statistics follow the ColumnOrder rules
 * for TypeDefinedOrder: NaN is never a bound and nan_count is always written for floats, a zero
 * minimum is written -0.0 and a zero maximum +0.0, byte arrays compare as unsigned bytes and are
 * truncated (marked inexact) beyond stats_max_bytes. The file's Iceberg metrics are computed
 * here as well.
 */
#include "pq_internal.h"

#include <errno.h>

#include "thrift.h"

enum {
    CONV_UTF8 = 0,
    CONV_DATE = 6,
    CONV_TIMESTAMP_MICROS = 10,
    LT_STRING = 1,
    LT_DATE = 6,
    LT_TIMESTAMP = 8,
    TU_MICROS = 2,
};

size_t pq__chunk_meta_bound(size_t name_len, size_t stats_max)
{
    return 200 + name_len + 2 * (stats_max + 4 + 6);
}

size_t pq__tail_bound(const struct pq_column *cols, uint32_t ncols, const struct pq_options *opt)
{
    (void)cols;
    size_t n = 64 + (size_t)ncols * 4;
    if (opt) {
        for (uint32_t i = 0; i < opt->nkv; i++) {
            n += 24 + strlen(opt->kv[i].key) + (opt->kv[i].value ? strlen(opt->kv[i].value) : 0);
        }
        if (opt->created_by) {
            n += 8 + strlen(opt->created_by);
        }
    }
    return n;
}

static int thr_err(const struct thr_writer *t)
{
    int e = thr_writer_error(t);
    return e == -ENOSPC ? -EOVERFLOW : e;
}

int pq__write_head(struct pq_writer *w, uint8_t *dst, size_t cap, size_t *len)
{
    struct thr_writer t;
    thr_writer_init(&t, dst, cap);
    thr_field_i32(&t, 1, 1);
    thr_field_list_begin(&t, 2, THR_STRUCT, w->ncols + 1);
    thr_struct_begin(&t);
    thr_field_string(&t, 4, "table");
    thr_field_i32(&t, 5, (int32_t)w->ncols);
    thr_struct_end(&t);
    for (uint32_t i = 0; i < w->ncols; i++) {
        const struct pq__col *c = &w->cols[i];
        thr_struct_begin(&t);
        thr_field_i32(&t, 1, c->phys);
        thr_field_i32(&t, 3, c->required ? 0 : 1);
        thr_field_binary(&t, 4, c->name, c->name_len);
        if (c->type == PQ_STRING) {
            thr_field_i32(&t, 6, CONV_UTF8);
        } else if (c->type == PQ_DATE) {
            thr_field_i32(&t, 6, CONV_DATE);
        } else if (c->type == PQ_TIMESTAMPTZ) {
            /* the legacy annotation means UTC-adjusted, so local timestamps go without it */
            thr_field_i32(&t, 6, CONV_TIMESTAMP_MICROS);
        }
        thr_field_i32(&t, 9, c->field_id);
        if (c->type == PQ_STRING || c->type == PQ_DATE) {
            thr_field_struct_begin(&t, 10);
            thr_field_struct_begin(&t, c->type == PQ_STRING ? LT_STRING : LT_DATE);
            thr_struct_end(&t);
            thr_struct_end(&t);
        } else if (c->type == PQ_TIMESTAMP || c->type == PQ_TIMESTAMPTZ) {
            thr_field_struct_begin(&t, 10);
            thr_field_struct_begin(&t, LT_TIMESTAMP);
            thr_field_bool(&t, 1, c->type == PQ_TIMESTAMPTZ);
            thr_field_struct_begin(&t, 2);
            thr_field_struct_begin(&t, TU_MICROS);
            thr_struct_end(&t);
            thr_struct_end(&t);
            thr_struct_end(&t);
            thr_struct_end(&t);
        }
        thr_struct_end(&t);
    }
    if (thr_writer_error(&t)) {
        return thr_err(&t);
    }
    *len = t.len;
    return 0;
}

int pq__write_tail(const struct pq_writer *w, const struct pq_options *opt, uint8_t *dst,
                   size_t cap, size_t *len)
{
    struct thr_writer t;
    thr_writer_init(&t, dst, cap);
    t.last_id = 4; /* follows field 4, row_groups */
    if (opt && opt->nkv > 0) {
        thr_field_list_begin(&t, 5, THR_STRUCT, opt->nkv);
        for (uint32_t i = 0; i < opt->nkv; i++) {
            thr_struct_begin(&t);
            thr_field_string(&t, 1, opt->kv[i].key);
            if (opt->kv[i].value) {
                thr_field_string(&t, 2, opt->kv[i].value);
            }
            thr_struct_end(&t);
        }
    }
    if (opt && opt->created_by) {
        thr_field_string(&t, 6, opt->created_by);
    }
    /* ColumnOrder union, field 1 TypeDefinedOrder {}: 1C 00 00 per column */
    thr_field_list_begin(&t, 7, THR_STRUCT, w->ncols);
    for (uint32_t i = 0; i < w->ncols; i++) {
        thr_struct_begin(&t);
        thr_field_struct_begin(&t, 1);
        thr_struct_end(&t);
        thr_struct_end(&t);
    }
    thr_write_stop(&t);
    if (thr_writer_error(&t)) {
        return thr_err(&t);
    }
    *len = t.len;
    return 0;
}

static void put_double_le(uint8_t *d, double v, bool as_float)
{
    if (as_float) {
        float f = (float)v;
        uint32_t b;
        memcpy(&b, &f, 4);
        pq__le32(d, b);
    } else {
        uint64_t b;
        memcpy(&b, &v, 8);
        pq__le64(d, b);
    }
}

/* Min/max of the current chunk in PLAIN form without length prefix. Returns false when the
 * chunk has no bounds (only nulls and NaNs, or no byte-array upper bound exists). */
static bool chunk_bounds(const struct pq_writer *w, const struct pq__col *c, uint8_t *min,
                         size_t *min_len, bool *min_exact, uint8_t *max, size_t *max_len,
                         bool *max_exact)
{
    const struct pq__stat *s = &c->st;
    *min_exact = *max_exact = true;
    switch (c->kind) {
    case PQ__K_BOOL:
        if (s->count == 0) {
            return false;
        }
        min[0] = (uint8_t)s->imin;
        max[0] = (uint8_t)s->imax;
        *min_len = *max_len = 1;
        return true;
    case PQ__K_I32:
        if (s->count == 0) {
            return false;
        }
        pq__le32(min, (uint32_t)s->imin);
        pq__le32(max, (uint32_t)s->imax);
        *min_len = *max_len = 4;
        return true;
    case PQ__K_I64:
        if (s->count == 0) {
            return false;
        }
        pq__le64(min, (uint64_t)s->imin);
        pq__le64(max, (uint64_t)s->imax);
        *min_len = *max_len = 8;
        return true;
    case PQ__K_FLOAT:
    case PQ__K_DOUBLE:
        if (s->count == 0) {
            return false;
        }
        put_double_le(min, s->dmin == 0 ? -0.0 : s->dmin, c->kind == PQ__K_FLOAT);
        put_double_le(max, s->dmax == 0 ? 0.0 : s->dmax, c->kind == PQ__K_FLOAT);
        *min_len = *max_len = c->width;
        return true;
    case PQ__K_BYTES:
        return pq__bytes_lower(s, w->stats_max, c->type == PQ_STRING, min, min_len, min_exact) &&
               pq__bytes_upper(s, w->stats_max, c->type == PQ_STRING, max, max_len, max_exact);
    }
    return false;
}

/* RowGroup (per column: ColumnChunk {2: file_offset 0, 3: ColumnMetaData}):
 *
 *   ColumnMetaData  1 type, 2 encodings list<i32>, 3 path_in_schema list<binary>, 4 codec,
 *                   5 num_values, 6 total_uncompressed_size, 7 total_compressed_size,
 *                   9 data_page_offset, 11 dictionary_page_offset?, 12 statistics
 *   Statistics      3 null_count, 5 max_value, 6 min_value, 7/8 is_max/min_value_exact,
 *                   9 nan_count (floats)
 *   RowGroup        1 columns, 2 total_byte_size, 3 num_rows, 5 file_offset,
 *                   6 total_compressed_size, 7 ordinal
 */
int pq__write_row_group(struct pq_writer *w, int64_t rg_offset)
{
    struct thr_writer t;
    int64_t unc = 0, comp = 0;
    thr_writer_init(&t, w->rgmeta + w->rgmeta_len, w->rgmeta_cap - w->rgmeta_len);
    thr_struct_begin(&t);
    thr_field_list_begin(&t, 1, THR_STRUCT, w->ncols);
    for (uint32_t i = 0; i < w->ncols; i++) {
        struct pq__col *c = &w->cols[i];
        /* bounds may grow by one UTF-8 character when an upper bound is incremented */
        uint8_t *min = w->lvl, *max = w->lvl + w->stats_max + 4;
        size_t min_len, max_len;
        bool min_exact, max_exact;
        int32_t encs[3];
        uint32_t nenc = 0;
        if (c->chunk_plain || c->dict_pages > 0) {
            encs[nenc++] = PQ__ENC_PLAIN;
        }
        encs[nenc++] = PQ__ENC_RLE;
        if (c->dict_pages > 0) {
            encs[nenc++] = PQ__ENC_RLE_DICTIONARY;
        }
        thr_struct_begin(&t);
        thr_field_i64(&t, 2, 0);
        thr_field_struct_begin(&t, 3);
        thr_field_i32(&t, 1, c->phys);
        thr_field_list_begin(&t, 2, THR_I32, nenc);
        for (uint32_t e = 0; e < nenc; e++) {
            thr_write_i32(&t, encs[e]);
        }
        thr_field_list_begin(&t, 3, THR_BINARY, 1);
        thr_write_binary(&t, c->name, c->name_len);
        thr_field_i32(&t, 4, w->codec);
        thr_field_i64(&t, 5, c->chunk_values);
        thr_field_i64(&t, 6, c->chunk_unc);
        thr_field_i64(&t, 7, c->chunk_comp);
        thr_field_i64(&t, 9, c->data_page_off);
        if (c->dict_page_off >= 0) {
            thr_field_i64(&t, 11, c->dict_page_off);
        }
        thr_field_struct_begin(&t, 12);
        thr_field_i64(&t, 3, c->chunk_nulls);
        if (chunk_bounds(w, c, min, &min_len, &min_exact, max, &max_len, &max_exact)) {
            min_exact &= !c->st_loose;
            max_exact &= !c->st_loose;
            thr_field_binary(&t, 5, max, max_len);
            thr_field_binary(&t, 6, min, min_len);
            thr_field_bool(&t, 7, max_exact);
            thr_field_bool(&t, 8, min_exact);
        }
        if (c->kind == PQ__K_FLOAT || c->kind == PQ__K_DOUBLE) {
            thr_field_i64(&t, 9, c->chunk_nans);
        }
        thr_struct_end(&t);
        thr_struct_end(&t);
        thr_struct_end(&t);
        unc += c->chunk_unc;
        comp += c->chunk_comp;
    }
    thr_field_i64(&t, 2, unc);
    thr_field_i64(&t, 3, (int64_t)w->rg_rows);
    thr_field_i64(&t, 5, rg_offset);
    thr_field_i64(&t, 6, comp);
    if (w->nrg <= INT16_MAX) {
        thr_field_i16(&t, 7, (int16_t)w->nrg);
    }
    thr_struct_end(&t);
    if (thr_writer_error(&t)) {
        return thr_err(&t);
    }
    w->rgmeta_len += t.len;
    return 0;
}

int pq__write_footer(struct pq_writer *w)
{
    uint8_t mid[32], trailer[8];
    struct thr_writer t;
    thr_writer_init(&t, mid, sizeof(mid));
    t.last_id = 2; /* follows field 2, schema */
    thr_field_i64(&t, 3, (int64_t)w->rows);
    thr_field_list_begin(&t, 4, THR_STRUCT, w->nrg);
    if (thr_writer_error(&t)) {
        return thr_err(&t);
    }
    size_t total = w->head_len + t.len + w->rgmeta_len + w->tail_len;
    if (total > UINT32_MAX) {
        return -EOVERFLOW;
    }
    pq__le32(trailer, (uint32_t)total);
    memcpy(trailer + 4, "PAR1", 4);
    int rc = pq__sink(w, w->head, w->head_len);
    if (rc == 0) {
        rc = pq__sink(w, mid, t.len);
    }
    if (rc == 0 && w->rgmeta_len > 0) {
        rc = pq__sink(w, w->rgmeta, w->rgmeta_len);
    }
    if (rc == 0) {
        rc = pq__sink(w, w->tail, w->tail_len);
    }
    if (rc == 0) {
        rc = pq__sink(w, trailer, 8);
    }
    return rc;
}

/* ---- Iceberg metrics ---------------------------------------------------------------------- */

int pq_file_metrics(const struct pq_writer *w, struct pq_file_metrics *out)
{
    if (w->err) {
        return w->err;
    }
    if (!w->closed) {
        return -EINVAL;
    }
    out->file_size = w->offset;
    out->rows = w->rows;
    out->row_groups = w->nrg;
    out->split_offsets = w->split_offsets;
    return 0;
}

int pq_column_metrics(const struct pq_writer *w, uint32_t col, struct pq_column_metrics *out)
{
    if (w->err) {
        return w->err;
    }
    if (!w->closed || col >= w->ncols) {
        return -EINVAL;
    }
    const struct pq__col *c = &w->cols[col];
    const struct pq__stat *f = &c->fst;
    bool is_float = c->kind == PQ__K_FLOAT || c->kind == PQ__K_DOUBLE;
    memset(out, 0, sizeof(*out));
    out->field_id = c->field_id;
    out->value_count = c->f_values;
    out->null_count = c->f_nulls;
    out->nan_count = is_float ? c->f_nans : -1;
    out->column_size = c->f_size;
    if (c->kind == PQ__K_BYTES) {
        size_t len;
        bool exact;
        bool utf8 = c->type == PQ_STRING;
        if (pq__bytes_lower(f, PQ_BOUND_TRUNCATE, utf8, out->lower, &len, &exact)) {
            out->has_lower = true;
            out->lower_len = (uint8_t)len;
        }
        if (pq__bytes_upper(f, PQ_BOUND_TRUNCATE, utf8, out->upper, &len, &exact)) {
            out->has_upper = true;
            out->upper_len = (uint8_t)len;
        }
        return 0;
    }
    if (f->count == 0) {
        return 0;
    }
    out->has_lower = out->has_upper = true;
    if (c->kind == PQ__K_BOOL) {
        out->lower_len = out->upper_len = 1;
        out->lower[0] = (uint8_t)f->imin;
        out->upper[0] = (uint8_t)f->imax;
    } else if (is_float) {
        out->lower_len = out->upper_len = c->width;
        put_double_le(out->lower, f->dmin == 0 ? -0.0 : f->dmin, c->kind == PQ__K_FLOAT);
        put_double_le(out->upper, f->dmax == 0 ? 0.0 : f->dmax, c->kind == PQ__K_FLOAT);
    } else if (c->width == 4) {
        out->lower_len = out->upper_len = 4;
        pq__le32(out->lower, (uint32_t)f->imin);
        pq__le32(out->upper, (uint32_t)f->imax);
    } else {
        out->lower_len = out->upper_len = 8;
        pq__le64(out->lower, (uint64_t)f->imin);
        pq__le64(out->upper, (uint64_t)f->imax);
    }
    return 0;
}
