/* pq_writer.c — the streaming Parquet writer: the row-wise hot path, pages, dictionaries and
 * row-group flushes (see parquet.h for the contract).
 *
 * Data path. Each column owns a page "body" buffer; PLAIN values are appended at
 * body + lvl_reserve so that, when the page is finished, the encoded definition levels can be
 * placed right in front of them and the page body is one contiguous run for zstd:
 *
 *   body: [ .. free .. | 4-byte len | def levels (RLE hybrid) | values (PLAIN or bw + indices) ]
 *                      ^ page start                           ^ body + lvl_reserve
 *
 * A dictionary column keeps indices (uint32) instead of values and a hash table over its PLAIN
 * dictionary; when the dictionary passes dict_bytes/dict_max_entries the page is closed and the
 * rest of the chunk is PLAIN; when the first dictionary page is no smaller than its PLAIN form
 * the page is re-encoded PLAIN and the dictionary dropped for the chunk.
 *
 * Finished pages (header + compressed body) go to the row-group arena, one linked list per
 * column:
 *
 *   arena: [rec: next u64 | start u64 | len u64][gap][page header][compressed body] [rec]...
 *
 * A flush writes, column by column, the dictionary page (built then, since the dictionary is
 * final only at the end of the chunk) and the data pages to the sink, appends the RowGroup
 * metadata to the footer store, and empties the arena. Pages are finished lazily, before the
 * next value of a full page is added, so the current row's values are always in the current
 * pages (pq_abort_row) and each column finishes at most one page per row, which is what bounds
 * the arena: row_group_bytes plus two pages and a dictionary page per column.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include "pq_internal.h"

#include <errno.h>
#include <math.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "thrift.h"

void pq__dict_size_slots(struct pq__col *c, unsigned lg)
{
    c->slot_lg = lg;
    c->slot_mask = (uint32_t)(((size_t)1 << lg) - 1);
    c->slot_shift = 64 - lg;
}

static void dict_reset(struct pq__col *c)
{
    if (c->dict_count > 0) {
        memset(c->slots, 0, ((size_t)c->slot_mask + 1) * 4);
    }
    if (c->slot_lg_max > 0) {
        pq__dict_size_slots(c, c->slot_lg_max < PQ__SLOT_LG_START ? c->slot_lg_max
                                                                  : PQ__SLOT_LG_START);
    }
    c->dict_count = 0;
    c->dict_len = 0;
    c->dict_bw = 1;
    c->dict_pages = 0;
    c->dict_on = c->dict_enabled;
}

void pq__chunk_reset(struct pq__col *c)
{
    c->first_page = PQ__NONE;
    c->last_page = PQ__NONE;
    c->chunk_pages = 0;
    c->chunk_plain = false;
    c->chunk_values = c->chunk_nulls = c->chunk_nans = 0;
    c->chunk_unc = c->chunk_comp = 0;
    c->dict_page_off = c->data_page_off = -1;
    c->st_loose = false;
    pq__stat_reset(&c->st);
    dict_reset(c);
}

size_t pq__compress_bound(const struct pq_writer *r, size_t n)
{
    return r->codec == PQ__CODEC_ZSTD ? ZSTD_compressBound(n) : n;
}

/* ---- pages ------------------------------------------------------------------------------- */

static int fail(struct pq_writer *w, int err)
{
    if (w->err == 0) {
        w->err = err;
    }
    return w->err;
}

static void rec_put(uint8_t *p, uint64_t next, uint64_t start, uint64_t len)
{
    memcpy(p, &next, 8);
    memcpy(p + 8, &start, 8);
    memcpy(p + 16, &len, 8);
}

static void rec_get(const uint8_t *p, uint64_t *next, uint64_t *start, uint64_t *len)
{
    memcpy(next, p, 8);
    memcpy(start, p + 8, 8);
    memcpy(len, p + 16, 8);
}

/* Page header, compact Thrift (SPEC-NOTES §6 example, 10 values, PLAIN, 100 -> 60 bytes):
 *
 *   15 00 | 15 C8 01 | 15 78 | 2C { 15 14 | 15 00 | 15 06 | 15 06 | 00 } | 00
 *   type    uncompr.   compr.  data_page_header {num_values, enc, def, rep}
 *
 * A dictionary page has field 7 {1: num_values, 2: encoding PLAIN} instead of field 5.
 */
static int emit_page(struct pq_writer *w, struct pq__col *c, int type, const uint8_t *src,
                     size_t raw, uint32_t nvalues, int enc, uint64_t *rec_out)
{
    size_t rec = (w->arena_used + 7) & ~(size_t)7;
    size_t body = rec + PQ__REC + PQ__HDR_MAX;
    size_t bound = pq__compress_bound(w, raw);
    size_t clen;
    if (body > w->arena_cap || bound > w->arena_cap - body || raw > INT32_MAX) {
        return fail(w, -EOVERFLOW);
    }
    if (w->codec == PQ__CODEC_ZSTD) {
        size_t zr = ZSTD_compress2(w->cctx, w->arena + body, bound, src, raw);
        if (ZSTD_isError(zr)) {
            return fail(w, ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation ? -ENOMEM
                                                                                  : -EIO);
        }
        clen = zr;
    } else {
        if (raw) {
            memcpy(w->arena + body, src, raw);
        }
        clen = raw;
    }
    uint8_t hdr[PQ__HDR_MAX];
    struct thr_writer t;
    thr_writer_init(&t, hdr, sizeof(hdr));
    thr_field_i32(&t, 1, type);
    thr_field_i32(&t, 2, (int32_t)raw);
    thr_field_i32(&t, 3, (int32_t)clen);
    if (type == PQ__PAGE_DATA) {
        thr_field_struct_begin(&t, 5);
        thr_field_i32(&t, 1, (int32_t)nvalues);
        thr_field_i32(&t, 2, enc);
        thr_field_i32(&t, 3, PQ__ENC_RLE);
        thr_field_i32(&t, 4, PQ__ENC_RLE);
    } else {
        thr_field_struct_begin(&t, 7);
        thr_field_i32(&t, 1, (int32_t)nvalues);
        thr_field_i32(&t, 2, PQ__ENC_PLAIN);
    }
    thr_struct_end(&t);
    thr_write_stop(&t);
    if (thr_writer_error(&t)) {
        return fail(w, -EOVERFLOW);
    }
    memcpy(w->arena + body - t.len, hdr, t.len);
    rec_put(w->arena + rec, PQ__NONE, body - t.len, t.len + clen);
    w->arena_used = body + clen;
    c->chunk_unc += (int64_t)(t.len + raw);
    c->chunk_comp += (int64_t)(t.len + clen);
    *rec_out = rec;
    return 0;
}

/* Writes the page's dictionary-encoded values back as PLAIN (values area of the body). */
static size_t plain_from_dict(const struct pq__col *c, uint8_t *dst)
{
    size_t o = 0;
    if (c->kind == PQ__K_BYTES) {
        for (uint32_t i = 0; i < c->nn; i++) {
            const uint8_t *e = c->dict + c->dict_off[c->idx[i]];
            size_t n = 4 + (size_t)pq__rd32(e);
            memcpy(dst + o, e, n);
            o += n;
        }
    } else {
        for (uint32_t i = 0; i < c->nn; i++) {
            memcpy(dst + o, c->dict + (size_t)c->idx[i] * c->width, c->width);
            o += c->width;
        }
    }
    return o;
}

static int finish_page(struct pq_writer *w, struct pq__col *c)
{
    if (c->n == 0) {
        return 0;
    }
    uint8_t *vals = c->body + w->lvl_reserve;
    size_t vlen;
    int enc = PQ__ENC_PLAIN, rc;
    if (c->dict_on && c->nn > 0) {
        size_t idx_est = ((size_t)c->nn * c->dict_bw + 7) / 8;
        if (c->dict_pages == 0 && c->dict_len + idx_est >= c->page_plain) {
            vlen = plain_from_dict(c, vals);
            dict_reset(c);
            c->dict_on = false;
        } else {
            size_t l;
            vals[0] = (uint8_t)c->dict_bw;
            rc = pq_rle_encode(NULL, c->idx, c->nn, c->dict_bw, vals + 1,
                               1 + pq_rle_bound(w->page_max, 32), &l);
            if (rc) {
                return fail(w, rc == -ENOSPC ? -EOVERFLOW : rc);
            }
            vlen = 1 + l;
            enc = PQ__ENC_RLE_DICTIONARY;
            c->dict_pages++;
        }
    } else if (c->kind == PQ__K_BOOL) {
        vlen = (c->vlen + 7) / 8;
    } else {
        vlen = c->vlen;
    }
    uint8_t *start = vals;
    if (!c->required) {
        size_t l;
        uint8_t *lv = w->lvl;
        if (!c->page_has_null) {
            l = thr_put_uvarint(lv + 4, (uint64_t)c->n << 1);
            lv[4 + l++] = 1;
        } else {
            rc = pq_rle_encode(c->def, NULL, c->n, 1, lv + 4, w->lvl_reserve - 4, &l);
            if (rc) {
                return fail(w, rc == -ENOSPC ? -EOVERFLOW : rc);
            }
        }
        pq__le32(lv, (uint32_t)l);
        start = vals - (4 + l);
        memcpy(start, lv, 4 + l);
    }
    uint64_t rec;
    rc = emit_page(w, c, PQ__PAGE_DATA, start, (size_t)(vals + vlen - start), c->n, enc, &rec);
    if (rc) {
        return rc;
    }
    if (c->first_page == PQ__NONE) {
        c->first_page = rec;
    } else {
        memcpy(w->arena + c->last_page, &rec, 8);
    }
    c->last_page = rec;
    c->chunk_pages++;
    c->chunk_plain |= enc == PQ__ENC_PLAIN;
    c->chunk_values += c->n;
    c->chunk_nulls += c->n - c->nn;
    c->chunk_nans += c->pnan;
    c->n = c->nn = c->pnan = 0;
    c->vlen = 0;
    c->page_plain = 0;
    c->page_has_null = false;
    return 0;
}

int pq__sink(struct pq_writer *w, const uint8_t *p, size_t n)
{
    int rc = w->sink(w->ctx, p, n);
    if (rc) {
        return fail(w, rc < 0 ? rc : -EIO);
    }
    w->offset += n;
    return 0;
}

static void merge_file_stats(struct pq__col *c)
{
    c->f_values += c->chunk_values;
    c->f_nulls += c->chunk_nulls;
    c->f_nans += c->chunk_nans;
    c->f_size += c->chunk_comp;
    struct pq__stat *s = &c->st, *f = &c->fst;
    if (c->kind == PQ__K_BYTES) {
        if (s->minb_len != UINT32_MAX) {
            pq__stat_bytes_min(f, s->minb, s->minb_len);
            pq__stat_bytes_max(f, s->maxb, s->maxb_len);
        }
        return;
    }
    f->count += s->count;
    f->imin = s->imin < f->imin ? s->imin : f->imin;
    f->imax = s->imax > f->imax ? s->imax : f->imax;
    f->dmin = s->dmin < f->dmin ? s->dmin : f->dmin;
    f->dmax = s->dmax > f->dmax ? s->dmax : f->dmax;
}

static int flush_row_group(struct pq_writer *w)
{
    int rc;
    for (uint32_t i = 0; i < w->ncols; i++) {
        rc = finish_page(w, &w->cols[i]);
        if (rc) {
            return rc;
        }
    }
    if (w->offset == 0) {
        rc = pq__sink(w, (const uint8_t *)"PAR1", 4);
        if (rc) {
            return rc;
        }
    }
    int64_t rg_start = (int64_t)w->offset;
    for (uint32_t i = 0; i < w->ncols; i++) {
        struct pq__col *c = &w->cols[i];
        uint64_t next, start, len, rec;
        if (c->dict_pages > 0) {
            rc = emit_page(w, c, PQ__PAGE_DICTIONARY, c->dict, c->dict_len, c->dict_count,
                           PQ__ENC_PLAIN, &rec);
            if (rc) {
                return rc;
            }
            rec_get(w->arena + rec, &next, &start, &len);
            c->dict_page_off = (int64_t)w->offset;
            rc = pq__sink(w, w->arena + start, len);
            if (rc) {
                return rc;
            }
        }
        c->data_page_off = (int64_t)w->offset;
        for (rec = c->first_page; rec != PQ__NONE; rec = next) {
            rec_get(w->arena + rec, &next, &start, &len);
            rc = pq__sink(w, w->arena + start, len);
            if (rc) {
                return rc;
            }
        }
    }
    rc = pq__write_row_group(w, rg_start);
    if (rc) {
        return fail(w, rc);
    }
    w->split_offsets[w->nrg++] = rg_start;
    w->rows += w->rg_rows;
    w->rg_rows = 0;
    w->arena_used = 0;
    for (uint32_t i = 0; i < w->ncols; i++) {
        merge_file_stats(&w->cols[i]);
        pq__chunk_reset(&w->cols[i]);
    }
    if (w->nrg >= w->max_row_groups) {
        w->full = true;
    }
    return 0;
}

/* ---- the row-wise hot path --------------------------------------------------------------- */

static inline int begin_put(struct pq_writer *w, uint32_t col, struct pq__col **out)
{
    if (w->err) {
        return w->err;
    }
    if (col >= w->ncols || w->closed) {
        return -EINVAL;
    }
    struct pq__col *c = &w->cols[col];
    if (c->stamp == w->row_seq) {
        return -EINVAL;
    }
    if (w->full && w->row_nset == 0) {
        return -ENOSPC;
    }
    *out = c;
    return 0;
}

/* Commits to storing a value: finishes a full page first, then marks the column set. */
static inline int start_value(struct pq_writer *w, struct pq__col *c)
{
    if (c->n >= w->page_max || c->page_plain >= w->page_bytes) {
        int rc = finish_page(w, c);
        if (rc) {
            return rc;
        }
    }
    c->stamp = w->row_seq;
    w->row_nset++;
    c->last_null = false;
    c->last_nan = false;
    return 0;
}

static inline void end_value(struct pq__col *c, uint32_t plain)
{
    if (!c->required) {
        c->def[c->n] = 1;
    }
    c->n++;
    c->nn++;
    c->page_plain += plain;
    c->last_plain = plain;
}

/* When the dictionary is full: close the dictionary-encoded page, continue PLAIN. */
static int dict_overflow(struct pq_writer *w, struct pq__col *c)
{
    int rc = finish_page(w, c);
    c->dict_on = false;
    return rc;
}

static inline uint32_t fixed_slot(const struct pq__col *c, uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> c->slot_shift);
}

/* Doubles the table in use once it is half full (and the workspace has room), reinserting
 * every entry: fixed-width keys are read back from the dictionary, byte arrays' slots come
 * from their stored hashes. */
static void dict_maybe_grow(struct pq__col *c)
{
    if (c->dict_count * 2 <= c->slot_mask + 1 || c->slot_lg >= c->slot_lg_max) {
        return;
    }
    pq__dict_size_slots(c, c->slot_lg + 1);
    memset(c->slots, 0, ((size_t)c->slot_mask + 1) * 4);
    for (uint32_t e = 0; e < c->dict_count; e++) {
        uint32_t s;
        if (c->kind == PQ__K_BYTES) {
            s = c->dict_hash[e] & c->slot_mask;
        } else {
            /* Read back as dict_fixed() stored it. */
            uint64_t key;
            const uint8_t *q = c->dict + (size_t)e * c->width;
            if (c->width == 8) {
                memcpy(&key, q, 8);
            } else {
                uint32_t k32;
                memcpy(&k32, q, 4);
                key = k32;
            }
            s = fixed_slot(c, key);
        }
        while (c->slots[s]) {
            s = (s + 1) & c->slot_mask;
        }
        c->slots[s] = e + 1;
    }
}

/* Looks a fixed-width value (key = its PLAIN bits) up in the dictionary, inserting it if new.
 * Returns 1 when new (its index is then dict_count - 1), 0 when found, -1 when full. */
static inline int dict_fixed(struct pq_writer *w, struct pq__col *c, uint64_t key)
{
    uint32_t s = fixed_slot(c, key);
    unsigned wd = c->width;
    for (;;) {
        uint32_t e = c->slots[s];
        if (e == 0) {
            break;
        }
        const uint8_t *q = c->dict + (size_t)(e - 1) * wd;
        uint64_t v;
        if (wd == 8) {
            memcpy(&v, q, 8);
        } else {
            uint32_t v32;
            memcpy(&v32, q, 4);
            v = v32;
        }
        if (v == key) {
            c->idx[c->nn] = e - 1;
            return 0;
        }
        s = (s + 1) & c->slot_mask;
    }
    if (c->dict_count >= w->dict_max || c->dict_len + wd > w->dict_bytes) {
        return -1;
    }
    if (wd == 8) {
        memcpy(c->dict + c->dict_len, &key, 8);
    } else {
        uint32_t k32 = (uint32_t)key;
        memcpy(c->dict + c->dict_len, &k32, 4);
    }
    c->dict_len += wd;
    c->slots[s] = ++c->dict_count;
    c->idx[c->nn] = c->dict_count - 1;
    if ((c->dict_count - 1) >> c->dict_bw) {
        c->dict_bw++;
    }
    dict_maybe_grow(c);
    return 1;
}

static inline int dict_bytes(struct pq_writer *w, struct pq__col *c, const uint8_t *p, size_t n)
{
    /* The stored 32-bit tag is the hash's high half; its low bits pick the slot, so the
     * table can be rebuilt from the tags alone when it grows. */
    uint32_t tag = (uint32_t)(pq__hash_bytes(p, n) >> 32);
    uint32_t s = tag & c->slot_mask;
    for (;;) {
        uint32_t e = c->slots[s];
        if (e == 0) {
            break;
        }
        e--;
        if (c->dict_hash[e] == tag) {
            const uint8_t *q = c->dict + c->dict_off[e];
            if (pq__rd32(q) == n && memcmp(q + 4, p, n) == 0) {
                c->idx[c->nn] = e;
                return 0;
            }
        }
        s = (s + 1) & c->slot_mask;
    }
    if (c->dict_count >= w->dict_max || n + 4 > w->dict_bytes - c->dict_len) {
        return -1;
    }
    uint8_t *d = c->dict + c->dict_len;
    pq__le32(d, (uint32_t)n);
    if (n) {
        memcpy(d + 4, p, n);
    }
    c->dict_off[c->dict_count] = (uint32_t)c->dict_len;
    c->dict_hash[c->dict_count] = tag;
    c->dict_len += 4 + n;
    c->slots[s] = ++c->dict_count;
    c->idx[c->nn] = c->dict_count - 1;
    if ((c->dict_count - 1) >> c->dict_bw) {
        c->dict_bw++;
    }
    dict_maybe_grow(c);
    return 1;
}

/* Stores a fixed-width value whose PLAIN bits are `bits` (width 4 or 8). */
static inline int put_fixed(struct pq_writer *w, struct pq__col *c, uint64_t bits)
{
    if (c->dict_on) {
        int r = dict_fixed(w, c, bits);
        if (r >= 0) {
            return 0;
        }
        r = dict_overflow(w, c);
        if (r) {
            return r;
        }
    }
    uint8_t *d = c->body + w->lvl_reserve + c->vlen;
    if (c->width == 8) {
        pq__le64(d, bits);
    } else {
        pq__le32(d, (uint32_t)bits);
    }
    c->vlen += c->width;
    return 0;
}

/* The common start of a typed put: the column exists, holds this kind of value, and takes
 * one now. On an error nothing has changed. */
static inline int begin_typed(struct pq_writer *w, uint32_t col, enum pq__kind kind,
                              struct pq__col **out)
{
    int rc = begin_put(w, col, out);
    if (rc) {
        return rc;
    }
    if ((*out)->kind != kind) {
        return -EINVAL;
    }
    return start_value(w, *out);
}

int pq_put_i32(struct pq_writer *w, uint32_t col, int32_t v)
{
    struct pq__col *c;
    int rc = begin_typed(w, col, PQ__K_I32, &c);
    if (rc) {
        return rc;
    }
    if ((rc = put_fixed(w, c, (uint32_t)v)) != 0) {
        return rc;
    }
    c->st.imin = v < c->st.imin ? v : c->st.imin;
    c->st.imax = v > c->st.imax ? v : c->st.imax;
    c->st.count++;
    end_value(c, 4);
    return 0;
}

int pq_put_i64(struct pq_writer *w, uint32_t col, int64_t v)
{
    struct pq__col *c;
    int rc = begin_typed(w, col, PQ__K_I64, &c);
    if (rc) {
        return rc;
    }
    if ((rc = put_fixed(w, c, (uint64_t)v)) != 0) {
        return rc;
    }
    c->st.imin = v < c->st.imin ? v : c->st.imin;
    c->st.imax = v > c->st.imax ? v : c->st.imax;
    c->st.count++;
    end_value(c, 8);
    return 0;
}

static inline void stat_double(struct pq__col *c, double v)
{
    if (isnan(v)) {
        c->pnan++;
        c->last_nan = true;
        return;
    }
    c->st.dmin = v < c->st.dmin ? v : c->st.dmin;
    c->st.dmax = v > c->st.dmax ? v : c->st.dmax;
    c->st.count++;
}

int pq_put_float(struct pq_writer *w, uint32_t col, float v)
{
    struct pq__col *c;
    int rc = begin_typed(w, col, PQ__K_FLOAT, &c);
    if (rc) {
        return rc;
    }
    uint32_t bits;
    memcpy(&bits, &v, 4);
    if ((rc = put_fixed(w, c, bits)) != 0) {
        return rc;
    }
    stat_double(c, v);
    end_value(c, 4);
    return 0;
}

int pq_put_double(struct pq_writer *w, uint32_t col, double v)
{
    struct pq__col *c;
    int rc = begin_typed(w, col, PQ__K_DOUBLE, &c);
    if (rc) {
        return rc;
    }
    uint64_t bits;
    memcpy(&bits, &v, 8);
    if ((rc = put_fixed(w, c, bits)) != 0) {
        return rc;
    }
    stat_double(c, v);
    end_value(c, 8);
    return 0;
}

int pq_put_bool(struct pq_writer *w, uint32_t col, bool v)
{
    struct pq__col *c;
    int rc = begin_typed(w, col, PQ__K_BOOL, &c);
    if (rc) {
        return rc;
    }
    uint8_t *d = c->body + w->lvl_reserve + c->vlen / 8;
    uint8_t bit = (uint8_t)(1u << (c->vlen % 8));
    *d = v ? (uint8_t)(*d | bit) : (uint8_t)(*d & ~bit);
    c->vlen++;
    c->st.imin = v < c->st.imin ? v : c->st.imin;
    c->st.imax = v > c->st.imax ? v : c->st.imax;
    c->st.count++;
    end_value(c, 0);
    return 0;
}

int pq_put_bytes(struct pq_writer *w, uint32_t col, const uint8_t *p, size_t n)
{
    struct pq__col *c;
    if (n > w->max_value_bytes || (p == NULL && n > 0)) {
        return -EINVAL;
    }
    int rc = begin_typed(w, col, PQ__K_BYTES, &c);
    if (rc) {
        return rc;
    }
    if (c->dict_on) {
        int r = dict_bytes(w, c, p, n);
        if (r == 0) {
            end_value(c, (uint32_t)(4 + n));
            return 0;
        }
        if (r < 0) {
            rc = dict_overflow(w, c);
            if (rc) {
                return rc;
            }
        }
    }
    if (!c->dict_on) {
        uint8_t *d = c->body + w->lvl_reserve + c->vlen;
        pq__le32(d, (uint32_t)n);
        if (n) {
            memcpy(d + 4, p, n);
        }
        c->vlen += 4 + n;
    }
    /* only new dictionary entries and PLAIN values can move the bounds */
    pq__stat_bytes_min(&c->st, p, n);
    pq__stat_bytes_max(&c->st, p, n);
    c->st.count++;
    end_value(c, (uint32_t)(4 + n));
    return 0;
}

int pq_put_null(struct pq_writer *w, uint32_t col)
{
    struct pq__col *c;
    int rc = begin_put(w, col, &c);
    if (rc) {
        return rc;
    }
    if (c->required) {
        return -EINVAL;
    }
    if ((rc = start_value(w, c)) != 0) {
        return rc;
    }
    c->def[c->n++] = 0;
    c->page_has_null = true;
    c->last_null = true;
    c->last_plain = 0;
    return 0;
}

static size_t buffered(const struct pq_writer *w)
{
    size_t est = w->arena_used;
    for (uint32_t i = 0; i < w->ncols; i++) {
        const struct pq__col *c = &w->cols[i];
        if (c->dict_on) {
            est += ((size_t)c->nn * c->dict_bw + 7) / 8;
        } else if (c->kind == PQ__K_BOOL) {
            est += (c->vlen + 7) / 8;
        } else {
            est += c->vlen;
        }
        est += c->dict_len;
    }
    return est;
}

int pq_end_row(struct pq_writer *w)
{
    if (w->err) {
        return w->err;
    }
    if (w->closed || w->row_nset != w->ncols) {
        return -EINVAL;
    }
    w->row_seq++;
    w->row_nset = 0;
    w->rg_rows++;
    if (buffered(w) >= w->row_group_bytes) {
        return flush_row_group(w);
    }
    return 0;
}

int pq_abort_row(struct pq_writer *w)
{
    if (w->err) {
        return w->err;
    }
    for (uint32_t i = 0; i < w->ncols && w->row_nset > 0; i++) {
        struct pq__col *c = &w->cols[i];
        if (c->stamp != w->row_seq) {
            continue;
        }
        c->stamp = 0;
        w->row_nset--;
        c->n--;
        if (c->last_null) {
            continue;
        }
        c->nn--;
        c->st_loose = true;
        c->page_plain -= c->last_plain;
        if (c->last_nan) {
            c->pnan--;
        }
        if (!c->dict_on) {
            c->vlen -= c->kind == PQ__K_BOOL ? 1 : c->kind == PQ__K_BYTES ? c->last_plain
                                                                            : c->width;
        }
    }
    w->row_nset = 0;
    return 0;
}

int pq_put_columns(struct pq_writer *w, const struct pq_column_data *cols, size_t nrows,
                   size_t *done)
{
    size_t r;
    int rc = 0;
    if (w->err) {
        return w->err;
    }
    if (cols == NULL || w->row_nset != 0) {
        return -EINVAL;
    }
    for (r = 0; r < nrows; r++) {
        for (uint32_t i = 0; i < w->ncols && rc == 0; i++) {
            const struct pq_column_data *d = &cols[i];
            const struct pq__col *c = &w->cols[i];
            if (d->nulls && d->nulls[r]) {
                rc = pq_put_null(w, i);
                continue;
            }
            if (d->values == NULL) {
                rc = -EINVAL;
                break;
            }
            switch (c->kind) {
            case PQ__K_BOOL:
                rc = pq_put_bool(w, i, ((const uint8_t *)d->values)[r] != 0);
                break;
            case PQ__K_I32:
                rc = pq_put_i32(w, i, ((const int32_t *)d->values)[r]);
                break;
            case PQ__K_I64:
                rc = pq_put_i64(w, i, ((const int64_t *)d->values)[r]);
                break;
            case PQ__K_FLOAT:
                rc = pq_put_float(w, i, ((const float *)d->values)[r]);
                break;
            case PQ__K_DOUBLE:
                rc = pq_put_double(w, i, ((const double *)d->values)[r]);
                break;
            case PQ__K_BYTES:
                if (d->offsets == NULL || d->offsets[r + 1] < d->offsets[r]) {
                    rc = -EINVAL;
                    break;
                }
                rc = pq_put_bytes(w, i, (const uint8_t *)d->values + d->offsets[r],
                                  d->offsets[r + 1] - d->offsets[r]);
                break;
            }
        }
        if (rc != 0) {
            if (rc == -EINVAL || rc == -ENOSPC) {
                pq_abort_row(w);
            }
            break;
        }
        rc = pq_end_row(w);
        if (rc != 0) {
            r++; /* a failed flush has still taken its row */
            break;
        }
    }
    if (done) {
        *done = r;
    }
    return rc;
}

int pq_close(struct pq_writer *w)
{
    int rc;
    if (w->err) {
        return w->err;
    }
    if (w->closed) {
        return -EINVAL;
    }
    pq_abort_row(w);
    if (w->rg_rows > 0) {
        rc = flush_row_group(w);
        if (rc) {
            return rc;
        }
    }
    if (w->offset == 0) {
        rc = pq__sink(w, (const uint8_t *)"PAR1", 4);
        if (rc) {
            return rc;
        }
    }
    rc = pq__write_footer(w);
    if (rc) {
        return fail(w, rc);
    }
    w->closed = true;
    return 0;
}
