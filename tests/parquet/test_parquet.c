/* test_parquet.c — floe's Parquet writer and footer reader.
 *
 * Golden RLE/bit-packed hybrid encodings (hand-derived from Encodings.md, and the SPEC-NOTES §6
 * example), PLAIN page bodies for every type, dictionary and fallback behaviour, statistics
 * (NaN, -0.0/+0.0, truncated strings), the footer read back through pq_read_footer(), Iceberg
 * metrics, and the error contract. Files are written to memory through the sink callback.
 * Readers outside floe check the same files' values in tests/readers/check-parquet.mjs.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#include "check.h"
#include "parquet.h"
#include "thrift.h"

/* ---- helpers ------------------------------------------------------------------------------ */

struct mem {
    uint8_t *p;
    size_t len, cap;
    int fail_after; /* fail the Nth call (0 = never) */
    int calls;
};

static int mem_sink(void *ctx, const uint8_t *buf, size_t len)
{
    struct mem *m = ctx;
    if (m->fail_after && ++m->calls >= m->fail_after) {
        return -EPIPE;
    }
    if (m->len + len > m->cap) {
        size_t nc = (m->len + len) * 2;
        m->p = realloc(m->p, nc);
        m->cap = nc;
    }
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return 0;
}

struct file {
    struct mem m;
    void *ws;
    struct pq_writer *w;
};

static int open_file(struct file *f, const struct pq_column *cols, uint32_t n,
                     const struct pq_options *o)
{
    size_t size;
    memset(f, 0, sizeof(*f));
    int rc = pq_workspace_size(cols, n, o, &size);
    if (rc) {
        return rc;
    }
    f->ws = malloc(size);
    return pq_writer_init(cols, n, o, f->ws, size, mem_sink, &f->m, &f->w);
}

static void close_file(struct file *f)
{
    free(f->ws);
    free(f->m.p);
}

#define FOOTER_CAP 64
struct footer {
    struct pq_footer f;
    struct pq_schema_node schema[FOOTER_CAP];
    struct pq_row_group_meta rgs[FOOTER_CAP];
    struct pq_chunk_meta chunks[FOOTER_CAP * 4];
    struct pq_kv_view kv[8];
};

static int read_footer(const struct mem *m, struct footer *ft)
{
    memset(ft, 0, sizeof(*ft));
    ft->f.schema = ft->schema;
    ft->f.schema_cap = FOOTER_CAP;
    ft->f.row_groups = ft->rgs;
    ft->f.row_groups_cap = FOOTER_CAP;
    ft->f.chunks = ft->chunks;
    ft->f.chunks_cap = FOOTER_CAP * 4;
    ft->f.kv = ft->kv;
    ft->f.kv_cap = 8;
    return pq_read_footer(m->p, m->len, &ft->f);
}

/* A page header parsed from the file. */
struct page {
    int32_t type, unc, comp, num_values, encoding;
    const uint8_t *body;
    size_t header_len;
};

static int read_page(const struct mem *m, int64_t off, struct page *pg)
{
    struct thr_reader r;
    uint8_t type;
    int16_t id;
    memset(pg, 0, sizeof(*pg));
    if (off < 0 || (size_t)off >= m->len) {
        return -1;
    }
    thr_reader_init(&r, m->p + off, m->len - (size_t)off);
    for (;;) {
        if (thr_read_field_begin(&r, &type, &id)) {
            return -1;
        }
        if (type == THR_STOP) {
            break;
        }
        if (id <= 3) {
            thr_read_i32(&r, id == 1 ? &pg->type : id == 2 ? &pg->unc : &pg->comp);
        } else if (id == 5 || id == 7) {
            thr_read_struct_begin(&r);
            for (;;) {
                thr_read_field_begin(&r, &type, &id);
                if (type == THR_STOP) {
                    break;
                }
                if (id == 1) {
                    thr_read_i32(&r, &pg->num_values);
                } else if (id == 2) {
                    thr_read_i32(&r, &pg->encoding);
                } else {
                    thr_skip(&r, type);
                }
            }
            thr_read_struct_end(&r);
        } else {
            thr_skip(&r, type);
        }
    }
    pg->header_len = r.pos;
    pg->body = m->p + off + r.pos;
    return thr_reader_error(&r);
}

/* Decodes an RLE/bit-packed hybrid run sequence into out[0..n). Returns bytes consumed, or
 * 0 on malformed input. Written from Encodings.md for the tests only. */
static size_t rle_decode(const uint8_t *p, size_t len, unsigned bw, uint32_t *out, size_t n)
{
    size_t pos = 0, got = 0;
    while (got < n) {
        uint64_t h = 0;
        unsigned shift = 0;
        for (;;) {
            if (pos >= len) {
                return 0;
            }
            uint8_t b = p[pos++];
            h |= (uint64_t)(b & 0x7F) << shift;
            shift += 7;
            if (!(b & 0x80)) {
                break;
            }
        }
        if (h & 1) {
            size_t count = (size_t)(h >> 1) * 8;
            uint64_t acc = 0;
            unsigned bits = 0;
            for (size_t i = 0; i < count; i++) {
                while (bits < bw) {
                    if (pos >= len) {
                        return 0;
                    }
                    acc |= (uint64_t)p[pos++] << bits;
                    bits += 8;
                }
                uint32_t v = (uint32_t)(acc & (bw == 32 ? 0xFFFFFFFFu : ((1u << bw) - 1)));
                acc >>= bw;
                bits -= bw;
                if (got < n) {
                    out[got++] = v;
                }
            }
        } else {
            size_t count = (size_t)(h >> 1);
            uint32_t v = 0;
            for (unsigned b = 0; b < (bw + 7) / 8; b++) {
                if (pos >= len) {
                    return 0;
                }
                v |= (uint32_t)p[pos++] << (8 * b);
            }
            for (size_t i = 0; i < count && got < n; i++) {
                out[got++] = v;
            }
        }
    }
    return pos;
}

static int64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return (int64_t)v;
}

static int32_t le32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

/* ---- RLE / bit-packed hybrid ------------------------------------------------------------- */

static void rle_golden(const uint32_t *v, size_t n, unsigned bw, const uint8_t *want,
                       size_t want_len)
{
    uint8_t out[64];
    size_t len = 0;
    CHECK_INT(pq_rle_encode(NULL, v, n, bw, out, sizeof(out), &len), 0);
    CHECK_INT(len, want_len);
    CHECK_MEM(out, want, want_len);
}

static void test_rle_golden(void)
{
    uint32_t ones[1000], alt[16], seq[8];
    for (int i = 0; i < 1000; i++) {
        ones[i] = 1;
    }
    for (int i = 0; i < 16; i++) {
        alt[i] = (uint32_t)(i % 2);
    }
    for (int i = 0; i < 8; i++) {
        seq[i] = (uint32_t)i;
    }
    rle_golden(ones, 10, 1, (const uint8_t[]){0x14, 0x01}, 2); /* SPEC-NOTES §6 */
    rle_golden(ones, 1, 1, (const uint8_t[]){0x02, 0x01}, 2);
    rle_golden(ones, 7, 1, (const uint8_t[]){0x0E, 0x01}, 2);
    rle_golden(ones, 8, 1, (const uint8_t[]){0x10, 0x01}, 2);
    rle_golden(ones, 9, 1, (const uint8_t[]){0x12, 0x01}, 2);
    rle_golden(ones, 1000, 1, (const uint8_t[]){0xD0, 0x0F, 0x01}, 3);
    rle_golden(ones, 1000, 9, (const uint8_t[]){0xD0, 0x0F, 0x01, 0x00}, 4);
    rle_golden(alt, 7, 1, (const uint8_t[]){0x03, 0x2A}, 2);
    rle_golden(alt, 8, 1, (const uint8_t[]){0x03, 0xAA}, 2);
    rle_golden(alt, 9, 1, (const uint8_t[]){0x05, 0xAA, 0x00}, 3);
    rle_golden(alt, 16, 1, (const uint8_t[]){0x05, 0xAA, 0xAA}, 3);
    rle_golden(seq, 8, 3, (const uint8_t[]){0x03, 0x88, 0xC6, 0xFA}, 4); /* Encodings.md */
    /* 1 2 3 then twenty 0s at bw 2: 8 literals (borrowing five 0s), then an RLE run of 15 */
    uint32_t mixed[23] = {1, 2, 3};
    rle_golden(mixed, 23, 2, (const uint8_t[]){0x03, 0x39, 0x00, 0x1E, 0x00}, 5);
    /* 1 2 3 then ten 0s: the run is too short after borrowing, all 13 bit-packed */
    rle_golden(mixed, 13, 2, (const uint8_t[]){0x05, 0x39, 0x00, 0x00, 0x00}, 5);
    /* 20-bit values: RLE value in 3 bytes */
    uint32_t big[9];
    for (int i = 0; i < 9; i++) {
        big[i] = 0xABCDE;
    }
    rle_golden(big, 9, 20, (const uint8_t[]){0x12, 0xDE, 0xBC, 0x0A}, 4);

    /* uint8 input (definition levels) encodes the same */
    uint8_t lv[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    uint8_t out[8];
    size_t len;
    CHECK_INT(pq_rle_encode(lv, NULL, 10, 1, out, sizeof(out), &len), 0);
    CHECK_INT(len, 2);
    CHECK_MEM(out, ((const uint8_t[]){0x14, 0x01}), 2);

    /* contract */
    CHECK_INT(pq_rle_encode(NULL, seq, 8, 2, out, sizeof(out), &len), -EINVAL); /* 7 > 2 bits */
    CHECK_INT(pq_rle_encode(NULL, seq, 8, 33, out, sizeof(out), &len), -EINVAL);
    CHECK_INT(pq_rle_encode(lv, seq, 8, 3, out, sizeof(out), &len), -EINVAL);
    len = 77;
    CHECK_INT(pq_rle_encode(NULL, seq, 8, 3, out, 3, &len), -ENOSPC);
    CHECK_INT(len, 77);
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

static void test_rle_round_trips(void)
{
    static const size_t lens[] = {1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 5000};
    uint64_t seed = 42;
    uint32_t *in = malloc(5000 * 4), *back = malloc(5000 * 4);
    size_t cap = pq_rle_bound(5000, 32);
    uint8_t *buf = malloc(cap);
    int bad = 0;
    for (unsigned bw = 1; bw <= 20; bw++) {
        uint32_t mask = (1u << bw) - 1;
        for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
            size_t n = lens[li];
            for (int pattern = 0; pattern < 5; pattern++) {
                for (size_t i = 0; i < n; i++) {
                    switch (pattern) {
                    case 0: /* all same, the largest value */
                        in[i] = mask;
                        break;
                    case 1: /* alternating */
                        in[i] = (i % 2) ? mask : 0;
                        break;
                    case 2: /* random */
                        in[i] = rnd(&seed) & mask;
                        break;
                    case 3: /* runs of random length */
                        in[i] = (i == 0 || rnd(&seed) % 11 == 0) ? rnd(&seed) & mask : in[i - 1];
                        break;
                    default: /* counting */
                        in[i] = (uint32_t)i & mask;
                    }
                }
                size_t len = 0;
                if (pq_rle_encode(NULL, in, n, bw, buf, pq_rle_bound(n, bw), &len) != 0) {
                    bad++;
                    continue;
                }
                memset(back, 0xEE, n * 4);
                size_t used = rle_decode(buf, len, bw, back, n);
                if (used != len || memcmp(in, back, n * 4) != 0) {
                    bad++;
                    fprintf(stderr, "rle mismatch bw=%u n=%zu pattern=%d\n", bw, n, pattern);
                }
            }
        }
    }
    CHECK_INT(bad, 0);
    free(in);
    free(back);
    free(buf);
}

/* ---- PLAIN pages ------------------------------------------------------------------------- */

/* Writes one required column of the given type, uncompressed and without dictionary, with the
 * values put by `fill`, and checks the first data page body against want. */
typedef void (*fill_fn)(struct pq_writer *w);

static void plain_case(enum pq_type type, fill_fn fill, const uint8_t *want, size_t want_len)
{
    struct pq_column col = {"c", type, true, 1};
    struct pq_options o = {0};
    o.codec = PQ_UNCOMPRESSED;
    o.no_dictionary = true;
    struct file f;
    CHECK_INT(open_file(&f, &col, 1, &o), 0);
    fill(f.w);
    CHECK_INT(pq_close(f.w), 0);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    CHECK_INT(ft.f.nchunks, 1);
    struct page pg;
    CHECK_INT(read_page(&f.m, ft.chunks[0].data_page_offset, &pg), 0);
    CHECK_INT(pg.type, 0);
    CHECK_INT(pg.encoding, 0);
    CHECK_INT(pg.unc, (long long)want_len);
    CHECK_INT(pg.comp, (long long)want_len);
    CHECK_MEM(pg.body, want, want_len);
    CHECK_INT(ft.chunks[0].encodings, (1u << 0) | (1u << 3));
    close_file(&f);
}

static void fill_i32(struct pq_writer *w)
{
    int32_t v[] = {1, -1, INT32_MIN};
    for (int i = 0; i < 3; i++) {
        pq_put_i32(w, 0, v[i]);
        pq_end_row(w);
    }
}

static void fill_i64(struct pq_writer *w)
{
    int64_t v[] = {INT64_MIN, 258, INT64_MAX};
    for (int i = 0; i < 3; i++) {
        pq_put_i64(w, 0, v[i]);
        pq_end_row(w);
    }
}

static void fill_float(struct pq_writer *w)
{
    float v[] = {1.0f, -0.0f, NAN};
    for (int i = 0; i < 3; i++) {
        pq_put_float(w, 0, v[i]);
        pq_end_row(w);
    }
}

static void fill_double(struct pq_writer *w)
{
    double v[] = {1.0, -2.0};
    for (int i = 0; i < 2; i++) {
        pq_put_double(w, 0, v[i]);
        pq_end_row(w);
    }
}

static void fill_bool(struct pq_writer *w)
{
    bool v[] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    for (int i = 0; i < 9; i++) {
        pq_put_bool(w, 0, v[i]);
        pq_end_row(w);
    }
}

static void fill_bytes(struct pq_writer *w)
{
    pq_put_bytes(w, 0, (const uint8_t *)"a", 1);
    pq_end_row(w);
    pq_put_bytes(w, 0, (const uint8_t *)"", 0);
    pq_end_row(w);
    pq_put_bytes(w, 0, (const uint8_t *)"h\xc3\xa9llo", 6);
    pq_end_row(w);
}

static void test_plain(void)
{
    plain_case(PQ_INT, fill_i32,
               (const uint8_t[]){1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x80}, 12);
    plain_case(PQ_DATE, fill_i32,
               (const uint8_t[]){1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x80}, 12);
    static const uint8_t i64[] = {0, 0, 0, 0, 0, 0, 0, 0x80, 2, 1, 0, 0, 0, 0, 0, 0,
                                  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    plain_case(PQ_LONG, fill_i64, i64, sizeof(i64));
    plain_case(PQ_TIMESTAMPTZ, fill_i64, i64, sizeof(i64));
    plain_case(PQ_TIMESTAMP, fill_i64, i64, sizeof(i64));
    plain_case(PQ_FLOAT, fill_float,
               (const uint8_t[]){0, 0, 0x80, 0x3F, 0, 0, 0, 0x80, 0, 0, 0xC0, 0x7F}, 12);
    plain_case(PQ_DOUBLE, fill_double,
               (const uint8_t[]){0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0}, 16);
    plain_case(PQ_BOOLEAN, fill_bool, (const uint8_t[]){0x0D, 0x01}, 2);
    static const uint8_t bytes[] = {1, 0, 0, 0, 'a', 0, 0, 0, 0, 6, 0, 0, 0,
                                    'h', 0xC3, 0xA9, 'l', 'l', 'o'};
    plain_case(PQ_STRING, fill_bytes, bytes, sizeof(bytes));
    plain_case(PQ_BINARY, fill_bytes, bytes, sizeof(bytes));
}

/* Definition levels of an optional column: 4-byte length, then the hybrid (SPEC-NOTES §6). */
static void test_def_levels(void)
{
    struct pq_column col = {"c", PQ_INT, false, 7};
    struct pq_options o = {0};
    o.codec = PQ_UNCOMPRESSED;
    o.no_dictionary = true;
    struct file f;
    CHECK_INT(open_file(&f, &col, 1, &o), 0);
    for (int i = 0; i < 10; i++) {
        pq_put_i32(f.w, 0, i);
        pq_end_row(f.w);
    }
    CHECK_INT(pq_close(f.w), 0);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    struct page pg;
    CHECK_INT(read_page(&f.m, ft.chunks[0].data_page_offset, &pg), 0);
    CHECK_INT(pg.num_values, 10);
    CHECK_MEM(pg.body, ((const uint8_t[]){0x02, 0x00, 0x00, 0x00, 0x14, 0x01, 0, 0, 0, 0}), 10);
    close_file(&f);

    /* with nulls: 1 null 1 1 -> bit-packed 0b1101 */
    CHECK_INT(open_file(&f, &col, 1, &o), 0);
    pq_put_i32(f.w, 0, 5);
    pq_end_row(f.w);
    pq_put_null(f.w, 0);
    pq_end_row(f.w);
    pq_put_i32(f.w, 0, 6);
    pq_end_row(f.w);
    pq_put_i32(f.w, 0, 7);
    pq_end_row(f.w);
    CHECK_INT(pq_close(f.w), 0);
    CHECK_INT(read_footer(&f.m, &ft), 0);
    CHECK_INT(read_page(&f.m, ft.chunks[0].data_page_offset, &pg), 0);
    CHECK_INT(pg.num_values, 4);
    CHECK_MEM(pg.body, ((const uint8_t[]){0x02, 0x00, 0x00, 0x00, 0x03, 0x0D, 5, 0, 0, 0, 6}),
              11);
    CHECK_INT(ft.chunks[0].num_values, 4);
    CHECK_INT(ft.chunks[0].null_count, 1);
    close_file(&f);
}

/* ---- dictionary ---------------------------------------------------------------------------- */

static void test_dictionary(void)
{
    struct pq_column col = {"s", PQ_STRING, true, 3};
    struct pq_options o = {0};
    o.codec = PQ_UNCOMPRESSED;
    struct file f;
    static const char *words[] = {"red", "green", "blue"};
    CHECK_INT(open_file(&f, &col, 1, &o), 0);
    for (int i = 0; i < 300; i++) {
        const char *s = words[i % 3];
        CHECK_INT(pq_put_bytes(f.w, 0, (const uint8_t *)s, strlen(s)), 0);
        CHECK_INT(pq_end_row(f.w), 0);
    }
    CHECK_INT(pq_close(f.w), 0);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    struct pq_chunk_meta *c = &ft.chunks[0];
    CHECK_INT(c->encodings, (1u << 0) | (1u << 3) | (1u << 8));
    CHECK(c->dictionary_page_offset == 4);
    struct page pg;
    CHECK_INT(read_page(&f.m, c->dictionary_page_offset, &pg), 0);
    CHECK_INT(pg.type, 2);
    CHECK_INT(pg.num_values, 3);
    CHECK_MEM(pg.body, "\x03\0\0\0red\x05\0\0\0green\x04\0\0\0blue", 24);
    CHECK_INT(read_page(&f.m, c->data_page_offset, &pg), 0);
    CHECK_INT(pg.type, 0);
    CHECK_INT(pg.encoding, 8);
    CHECK_INT(pg.num_values, 300);
    CHECK_INT(pg.body[0], 2); /* bit width for 3 entries */
    uint32_t idx[300];
    CHECK(rle_decode(pg.body + 1, (size_t)pg.unc - 1, 2, idx, 300) > 0);
    int bad = 0;
    for (int i = 0; i < 300; i++) {
        bad += idx[i] != (uint32_t)(i % 3);
    }
    CHECK_INT(bad, 0);
    /* min/max over the dictionary entries */
    CHECK(c->has_min && c->has_max);
    CHECK_INT(c->min_value.n, 4);
    CHECK_MEM(c->min_value.p, "blue", 4);
    CHECK_INT(c->max_value.n, 3);
    CHECK_MEM(c->max_value.p, "red", 3);
    close_file(&f);
}

static void test_dictionary_fallback(void)
{
    struct pq_column col = {"v", PQ_LONG, true, 4};
    struct pq_options o = {0};
    o.codec = PQ_UNCOMPRESSED;
    o.page_max_values = 50;
    o.dict_max_entries = 16;
    struct file f;
    CHECK_INT(open_file(&f, &col, 1, &o), 0);
    /* page 1: 50 values over 5 keys (dictionary pays); then distinct values overflow it */
    for (int i = 0; i < 50; i++) {
        pq_put_i64(f.w, 0, i % 5);
        pq_end_row(f.w);
    }
    for (int i = 0; i < 100; i++) {
        pq_put_i64(f.w, 0, 1000 + i);
        pq_end_row(f.w);
    }
    CHECK_INT(pq_close(f.w), 0);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    struct pq_chunk_meta *c = &ft.chunks[0];
    CHECK_INT(c->encodings, (1u << 0) | (1u << 3) | (1u << 8));
    CHECK(c->dictionary_page_offset >= 4);
    CHECK_INT(c->num_values, 150);
    /* walk the pages: dictionary, then dictionary-encoded pages, then PLAIN ones */
    int64_t off = c->dictionary_page_offset;
    int64_t end = off + c->total_compressed_size;
    int dict_pages = 0, plain_pages = 0, rle_pages = 0, values = 0;
    struct page pg;
    while (off < end) {
        CHECK_INT(read_page(&f.m, off, &pg), 0);
        if (pg.type == 2) {
            dict_pages++;
            CHECK_INT(pg.num_values, 16);
        } else if (pg.encoding == 8) {
            CHECK_INT(plain_pages, 0);
            rle_pages++;
            values += pg.num_values;
        } else {
            plain_pages++;
            values += pg.num_values;
        }
        off += (int64_t)pg.header_len + pg.comp;
    }
    CHECK_INT(off, end);
    CHECK_INT(dict_pages, 1);
    CHECK(rle_pages >= 1);
    CHECK(plain_pages >= 1);
    CHECK_INT(values, 150);
    CHECK(c->has_min && c->min_value.n == 8 && c->has_max && c->max_value.n == 8);
    CHECK_INT(le64(c->min_value.p), 0);
    CHECK_INT(le64(c->max_value.p), 1099);
    close_file(&f);

    /* all-distinct values: the first page is not worth a dictionary, none is written */
    CHECK_INT(open_file(&f, &col, 1, &o), 0);
    for (int i = 0; i < 120; i++) {
        pq_put_i64(f.w, 0, (int64_t)i * 7919);
        pq_end_row(f.w);
    }
    CHECK_INT(pq_close(f.w), 0);
    CHECK_INT(read_footer(&f.m, &ft), 0);
    CHECK_INT(ft.chunks[0].encodings, (1u << 0) | (1u << 3));
    CHECK_INT(ft.chunks[0].dictionary_page_offset, -1);
    close_file(&f);
}

/* ---- schema, footer, statistics, metrics ------------------------------------------------- */

static const struct pq_column all_cols[] = {
    {"id", PQ_LONG, true, 1},       {"name", PQ_STRING, false, 2},
    {"ts", PQ_TIMESTAMPTZ, false, 3}, {"local", PQ_TIMESTAMP, false, 4},
    {"age", PQ_INT, false, 5},      {"day", PQ_DATE, false, 6},
    {"f", PQ_FLOAT, false, 7},      {"d", PQ_DOUBLE, false, 8},
    {"ok", PQ_BOOLEAN, false, 9},   {"raw", PQ_BINARY, false, 10},
};
#define NALL 10

static void test_footer_and_metrics(void)
{
    struct pq_kv kv[] = {{"iceberg.schema", "{\"type\":\"struct\"}"}, {"empty", NULL}};
    struct pq_options o = {0};
    o.created_by = "floe 0.1.0";
    o.kv = kv;
    o.nkv = 2;
    o.stats_max_bytes = 16;
    struct file f;
    CHECK_INT(open_file(&f, all_cols, NALL, &o), 0);
    /* row 0 */
    CHECK_INT(pq_put_i64(f.w, 0, -5), 0);
    CHECK_INT(pq_put_bytes(f.w, 1, (const uint8_t *)"zeta", 4), 0);
    CHECK_INT(pq_put_i64(f.w, 2, 1510871468000000LL), 0);
    CHECK_INT(pq_put_i64(f.w, 3, -1), 0);
    CHECK_INT(pq_put_i32(f.w, 4, 31), 0);
    CHECK_INT(pq_put_i32(f.w, 5, 17486), 0);
    CHECK_INT(pq_put_float(f.w, 6, 0.0f), 0);
    CHECK_INT(pq_put_double(f.w, 7, NAN), 0);
    CHECK_INT(pq_put_bool(f.w, 8, true), 0);
    CHECK_INT(pq_put_bytes(f.w, 9, (const uint8_t *)"\xff\xff\x01", 3), 0);
    CHECK_INT(pq_end_row(f.w), 0);
    /* row 1: nulls where optional, in reverse column order */
    for (int c = NALL - 1; c >= 1; c--) {
        CHECK_INT(pq_put_null(f.w, (uint32_t)c), 0);
    }
    CHECK_INT(pq_put_i64(f.w, 0, INT64_MAX), 0);
    CHECK_INT(pq_end_row(f.w), 0);
    /* row 2: a long multi-byte string (20 x U+00E9, 40 bytes), -0.0, +0.0 */
    char longs[41];
    for (int i = 0; i < 20; i++) {
        longs[2 * i] = (char)0xC3;
        longs[2 * i + 1] = (char)0xA9;
    }
    CHECK_INT(pq_put_i64(f.w, 0, 7), 0);
    CHECK_INT(pq_put_bytes(f.w, 1, (const uint8_t *)longs, 40), 0);
    CHECK_INT(pq_put_i64(f.w, 2, 0), 0);
    CHECK_INT(pq_put_i64(f.w, 3, 5), 0);
    CHECK_INT(pq_put_i32(f.w, 4, -3), 0);
    CHECK_INT(pq_put_i32(f.w, 5, 0), 0);
    CHECK_INT(pq_put_float(f.w, 6, -0.0f), 0);
    CHECK_INT(pq_put_double(f.w, 7, -0.0), 0);
    CHECK_INT(pq_put_bool(f.w, 8, true), 0);
    CHECK_INT(pq_put_bytes(f.w, 9, (const uint8_t *)"", 0), 0);
    CHECK_INT(pq_end_row(f.w), 0);
    CHECK_INT(pq_close(f.w), 0);

    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    CHECK_INT(ft.f.version, 1);
    CHECK_INT(ft.f.num_rows, 3);
    CHECK_INT(ft.f.nschema, NALL + 1);
    CHECK_INT(ft.schema[0].num_children, NALL);
    CHECK_INT(ft.schema[0].name.n, 5);
    CHECK_MEM(ft.schema[0].name.p, "table", 5);
    CHECK_INT(ft.f.ncolumn_orders, NALL);
    CHECK_INT(ft.f.ntype_orders, NALL);
    CHECK_INT(ft.f.created_by.n, 10);
    CHECK_MEM(ft.f.created_by.p, "floe 0.1.0", 10);
    CHECK_INT(ft.f.nkv, 2);
    CHECK_INT(ft.kv[0].key.n, 14);
    CHECK(ft.kv[0].has_value && !ft.kv[1].has_value);
    static const int32_t phys[NALL] = {2, 6, 2, 2, 1, 1, 4, 5, 0, 6};
    static const int32_t conv[NALL] = {-1, 0, 10, -1, -1, 6, -1, -1, -1, -1};
    static const int32_t logical[NALL] = {-1, 1, 8, 8, -1, 6, -1, -1, -1, -1};
    for (int i = 0; i < NALL; i++) {
        const struct pq_schema_node *s = &ft.schema[i + 1];
        CHECK_INT(s->type, phys[i]);
        CHECK_INT(s->repetition, i == 0 ? 0 : 1);
        CHECK(s->has_field_id);
        CHECK_INT(s->field_id, i + 1);
        CHECK_INT(s->converted_type, conv[i]);
        CHECK_INT(s->logical_type, logical[i]);
        CHECK_INT(s->name.n, strlen(all_cols[i].name));
    }
    CHECK(ft.schema[3].ts_utc);
    CHECK_INT(ft.schema[3].ts_unit, 2);
    CHECK(!ft.schema[4].ts_utc);
    CHECK_INT(ft.schema[4].ts_unit, 2);

    CHECK_INT(ft.f.nrow_groups, 1);
    CHECK_INT(ft.rgs[0].num_rows, 3);
    CHECK_INT(ft.rgs[0].nchunks, NALL);
    CHECK_INT(ft.rgs[0].file_offset, 4);
    int64_t unc = 0, comp = 0;
    for (int i = 0; i < NALL; i++) {
        const struct pq_chunk_meta *c = &ft.chunks[i];
        CHECK_INT(c->num_values, 3);
        CHECK_INT(c->codec, 6);
        CHECK_INT(c->null_count, i == 0 ? 0 : 1);
        CHECK_INT(c->path_len, 1);
        CHECK(c->has_null_count);
        CHECK_INT(c->has_nan_count, i == 6 || i == 7);
        unc += c->total_uncompressed_size;
        comp += c->total_compressed_size;
    }
    CHECK_INT(ft.rgs[0].total_byte_size, unc);
    CHECK_INT(ft.rgs[0].total_compressed_size, comp);
    /* statistics */
    CHECK_INT(le64(ft.chunks[0].min_value.p), -5);
    CHECK_INT(le64(ft.chunks[0].max_value.p), INT64_MAX);
    CHECK(ft.chunks[1].min_exact && !ft.chunks[1].max_exact);
    CHECK_INT(ft.chunks[1].min_value.n, 4);
    CHECK_MEM(ft.chunks[1].min_value.p, "zeta", 4);
    /* max: 40-byte string cut to 16 bytes (8 characters), last one incremented to U+00EA */
    CHECK_INT(ft.chunks[1].max_value.n, 16);
    CHECK_MEM(ft.chunks[1].max_value.p + 14, "\xc3\xaa", 2);
    CHECK_INT(le32(ft.chunks[4].min_value.p), -3);
    CHECK_INT(le32(ft.chunks[4].max_value.p), 31);
    /* float: values 0.0 and -0.0: min written -0.0, max +0.0 */
    CHECK_MEM(ft.chunks[6].min_value.p, ((const uint8_t[]){0, 0, 0, 0x80}), 4);
    CHECK_MEM(ft.chunks[6].max_value.p, ((const uint8_t[]){0, 0, 0, 0}), 4);
    CHECK_INT(ft.chunks[6].nan_count, 0);
    /* double: NaN and -0.0: NaN is not a bound */
    CHECK_INT(ft.chunks[7].nan_count, 1);
    CHECK_MEM(ft.chunks[7].min_value.p, ((const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0x80}), 8);
    CHECK_MEM(ft.chunks[7].max_value.p, ((const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0}), 8);
    CHECK_INT(ft.chunks[8].min_value.n, 1);
    CHECK_INT(ft.chunks[8].min_value.p[0], 1);
    CHECK_INT(ft.chunks[9].min_value.n, 0);
    CHECK_INT(ft.chunks[9].max_value.n, 3);

    /* Iceberg metrics */
    struct pq_file_metrics fm;
    CHECK_INT(pq_file_metrics(f.w, &fm), 0);
    CHECK_INT(fm.file_size, f.m.len);
    CHECK_INT(fm.rows, 3);
    CHECK_INT(fm.row_groups, 1);
    CHECK_INT(fm.split_offsets[0], 4);
    struct pq_column_metrics cm;
    for (uint32_t i = 0; i < NALL; i++) {
        CHECK_INT(pq_column_metrics(f.w, i, &cm), 0);
        CHECK_INT(cm.field_id, (long long)i + 1);
        CHECK_INT(cm.value_count, 3);
        CHECK_INT(cm.null_count, i == 0 ? 0 : 1);
        CHECK_INT(cm.nan_count, i == 7 ? 1 : i == 6 ? 0 : -1);
        CHECK_INT(cm.column_size, ft.chunks[i].total_compressed_size);
        CHECK(cm.has_lower && cm.has_upper);
    }
    pq_column_metrics(f.w, 0, &cm);
    CHECK_INT(cm.lower_len, 8);
    CHECK_INT(le64(cm.lower), -5);
    CHECK_INT(le64(cm.upper), INT64_MAX);
    pq_column_metrics(f.w, 1, &cm); /* strings: truncated to 16 bytes */
    CHECK_INT(cm.lower_len, 4);
    CHECK_INT(cm.upper_len, 16);
    CHECK_MEM(cm.upper, longs, 14);
    CHECK_MEM(cm.upper + 14, "\xc3\xaa", 2);
    pq_column_metrics(f.w, 4, &cm);
    CHECK_INT(cm.lower_len, 4);
    CHECK_INT(le32(cm.lower), -3);
    CHECK_INT(le32(cm.upper), 31);
    pq_column_metrics(f.w, 6, &cm);
    CHECK_MEM(cm.lower, ((const uint8_t[]){0, 0, 0, 0x80}), 4);
    CHECK_MEM(cm.upper, ((const uint8_t[]){0, 0, 0, 0}), 4);
    pq_column_metrics(f.w, 8, &cm);
    CHECK_INT(cm.lower_len, 1);
    CHECK_INT(cm.lower[0], 1);
    pq_column_metrics(f.w, 9, &cm); /* binary: "" .. ff ff 01 */
    CHECK_INT(cm.lower_len, 0);
    CHECK_INT(cm.upper_len, 3);
    CHECK_INT(pq_column_metrics(f.w, NALL, &cm), -EINVAL);
    close_file(&f);
}

static void test_bounds_edge_cases(void)
{
    struct pq_column cols[] = {{"b", PQ_BINARY, false, 1}, {"s", PQ_STRING, false, 2},
                               {"d", PQ_DOUBLE, false, 3}};
    struct pq_options o = {0};
    struct file f;
    CHECK_INT(open_file(&f, cols, 3, &o), 0);
    /* binary of 20 x 0xFF then 0x00: no upper bound exists at 16 bytes */
    uint8_t ff[21];
    memset(ff, 0xFF, 20);
    ff[20] = 0;
    /* string "ab" + 15 x U+10FFFF: cut keeps "ab" + 3 maximal characters, which drop on
     * increment, so the upper bound is "ac" */
    uint8_t s[2 + 15 * 4];
    s[0] = 'a';
    s[1] = 'b';
    for (int i = 0; i < 15; i++) {
        memcpy(s + 2 + 4 * i, "\xf4\x8f\xbf\xbf", 4);
    }
    CHECK_INT(pq_put_bytes(f.w, 0, ff, 21), 0);
    CHECK_INT(pq_put_bytes(f.w, 1, s, sizeof(s)), 0);
    CHECK_INT(pq_put_double(f.w, 2, NAN), 0);
    CHECK_INT(pq_end_row(f.w), 0);
    CHECK_INT(pq_put_null(f.w, 0), 0);
    CHECK_INT(pq_put_null(f.w, 1), 0);
    CHECK_INT(pq_put_double(f.w, 2, NAN), 0);
    CHECK_INT(pq_end_row(f.w), 0);
    CHECK_INT(pq_close(f.w), 0);
    struct pq_column_metrics cm;
    CHECK_INT(pq_column_metrics(f.w, 0, &cm), 0);
    CHECK(cm.has_lower && !cm.has_upper);
    CHECK_INT(cm.lower_len, 16);
    CHECK_INT(pq_column_metrics(f.w, 1, &cm), 0);
    CHECK(cm.has_lower && cm.has_upper);
    CHECK_INT(cm.lower_len, 14);
    CHECK_INT(cm.upper_len, 2);
    CHECK_MEM(cm.upper, "ac", 2);
    CHECK_INT(pq_column_metrics(f.w, 2, &cm), 0);
    CHECK(!cm.has_lower && !cm.has_upper);
    CHECK_INT(cm.nan_count, 2);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    CHECK(!ft.chunks[2].has_min && !ft.chunks[2].has_max);
    CHECK_INT(ft.chunks[2].nan_count, 2);
    close_file(&f);
}

static void test_row_groups_and_columns(void)
{
    struct pq_column cols[] = {{"id", PQ_LONG, true, 1}, {"v", PQ_STRING, false, 2}};
    struct pq_options o = {0};
    o.row_group_bytes = 4096;
    o.page_bytes = 512;
    o.max_row_groups = 4;
    struct file f;
    CHECK_INT(open_file(&f, cols, 2, &o), 0);
    int64_t ids[100];
    uint8_t nulls[100];
    uint32_t offs[101];
    char data[1000];
    offs[0] = 0;
    for (int i = 0; i < 100; i++) {
        ids[i] = i;
        nulls[i] = i % 10 == 0;
        int n = snprintf(data + offs[i], 20, "v%d", i * 37);
        offs[i + 1] = offs[i] + (uint32_t)n;
    }
    struct pq_column_data cd[2] = {{ids, NULL, NULL}, {data, offs, nulls}};
    size_t done = 0, total = 0;
    int rc = 0;
    while (rc == 0) {
        rc = pq_put_columns(f.w, cd, 100, &done);
        total += done;
    }
    CHECK_INT(rc, -ENOSPC);
    CHECK(total > 100);
    /* the file is full: rows are refused, nothing changes */
    CHECK_INT(pq_put_i64(f.w, 0, 1), -ENOSPC);
    CHECK_INT(pq_close(f.w), 0);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    CHECK_INT(ft.f.nrow_groups, 4);
    CHECK_INT(ft.f.num_rows, (long long)total);
    struct pq_file_metrics fm;
    CHECK_INT(pq_file_metrics(f.w, &fm), 0);
    CHECK_INT(fm.rows, (long long)total);
    CHECK_INT(fm.row_groups, 4);
    int64_t rows = 0, size1 = 0;
    for (uint32_t g = 0; g < 4; g++) {
        CHECK_INT(fm.split_offsets[g], ft.rgs[g].file_offset);
        CHECK(g == 0 || fm.split_offsets[g] > fm.split_offsets[g - 1]);
        rows += ft.rgs[g].num_rows;
        size1 += ft.chunks[g * 2 + 1].total_compressed_size;
        int64_t first = ft.chunks[g * 2].dictionary_page_offset >= 0
                            ? ft.chunks[g * 2].dictionary_page_offset
                            : ft.chunks[g * 2].data_page_offset;
        CHECK_INT(first, ft.rgs[g].file_offset);
    }
    CHECK_INT(rows, (long long)total);
    struct pq_column_metrics cm;
    CHECK_INT(pq_column_metrics(f.w, 1, &cm), 0);
    CHECK_INT(cm.column_size, size1);
    CHECK_INT(cm.value_count, (long long)total);
    close_file(&f);
}

static void test_errors(void)
{
    struct pq_column cols[] = {{"a", PQ_INT, true, 1}, {"b", PQ_STRING, false, 2}};
    struct pq_options o = {0};
    size_t size;
    CHECK_INT(pq_workspace_size(cols, 0, &o, &size), -EINVAL);
    struct pq_column bad = {"", PQ_INT, true, 1};
    CHECK_INT(pq_workspace_size(&bad, 1, &o, &size), -EINVAL);
    bad.name = "x";
    bad.type = (enum pq_type)99;
    CHECK_INT(pq_workspace_size(&bad, 1, &o, &size), -EINVAL);
    o.codec = (enum pq_codec)7;
    CHECK_INT(pq_workspace_size(cols, 2, &o, &size), -EINVAL);
    o.codec = PQ_ZSTD;
    o.zstd_level = 99;
    CHECK_INT(pq_workspace_size(cols, 2, &o, &size), -EINVAL);
    o.zstd_level = 0;
    o.stats_max_bytes = 4;
    CHECK_INT(pq_workspace_size(cols, 2, &o, &size), -EINVAL);
    o.stats_max_bytes = 0;
    o.max_value_bytes = 8;
    CHECK_INT(pq_workspace_size(cols, 2, &o, &size), 0);
    void *ws = malloc(size);
    struct pq_writer *w = NULL;
    struct mem m = {0};
    CHECK_INT(pq_writer_init(cols, 2, &o, ws, size - 1, mem_sink, &m, &w), -EINVAL);
    CHECK(w == NULL);
    CHECK_INT(pq_writer_init(cols, 2, &o, ws, size, mem_sink, &m, &w), 0);
    CHECK_INT(m.len, 0);
    CHECK_INT(pq_put_i64(w, 0, 1), -EINVAL);           /* wrong type */
    CHECK_INT(pq_put_null(w, 0), -EINVAL);             /* required */
    CHECK_INT(pq_put_i32(w, 2, 1), -EINVAL);           /* no such column */
    CHECK_INT(pq_put_bytes(w, 1, (const uint8_t *)"123456789", 9), -EINVAL); /* too long */
    CHECK_INT(pq_put_i32(w, 0, 1), 0);
    CHECK_INT(pq_put_i32(w, 0, 2), -EINVAL);           /* twice in a row */
    CHECK_INT(pq_end_row(w), -EINVAL);                 /* incomplete */
    CHECK_INT(pq_put_bytes(w, 1, (const uint8_t *)"x", 1), 0);
    CHECK_INT(pq_end_row(w), 0);
    /* abort: the second row disappears */
    CHECK_INT(pq_put_i32(w, 0, 99), 0);
    CHECK_INT(pq_put_null(w, 1), 0);
    CHECK_INT(pq_abort_row(w), 0);
    CHECK_INT(pq_put_i32(w, 0, 3), 0);
    CHECK_INT(pq_put_bytes(w, 1, (const uint8_t *)"yy", 2), 0);
    CHECK_INT(pq_end_row(w), 0);
    CHECK_INT(pq_put_i32(w, 0, 4), 0); /* unfinished at close: dropped */
    CHECK_INT(pq_close(w), 0);
    CHECK_INT(pq_close(w), -EINVAL);
    CHECK_INT(pq_put_i32(w, 0, 1), -EINVAL);
    struct footer ft;
    CHECK_INT(read_footer(&m, &ft), 0);
    CHECK_INT(ft.f.num_rows, 2);
    CHECK_INT(ft.chunks[0].num_values, 2);
    CHECK_INT(ft.chunks[1].null_count, 0);
    /* the aborted 99 still bounds the chunk, marked inexact */
    CHECK_INT(le32(ft.chunks[0].max_value.p), 99);
    CHECK(!ft.chunks[0].max_exact);
    struct page pg;
    CHECK_INT(read_page(&m, ft.chunks[0].data_page_offset, &pg), 0);
    free(m.p);

    /* a failing sink fails the writer, stickily */
    memset(&m, 0, sizeof(m));
    m.fail_after = 1;
    CHECK_INT(pq_writer_init(cols, 2, &o, ws, size, mem_sink, &m, &w), 0);
    CHECK_INT(pq_put_i32(w, 0, 1), 0);
    CHECK_INT(pq_put_null(w, 1), 0);
    CHECK_INT(pq_end_row(w), 0);
    CHECK_INT(pq_close(w), -EPIPE);
    CHECK_INT(pq_put_i32(w, 0, 1), -EPIPE);
    struct pq_file_metrics fm;
    CHECK_INT(pq_file_metrics(w, &fm), -EPIPE);
    free(m.p);
    free(ws);
}

static void test_zero_rows(void)
{
    struct file f;
    struct pq_options o = {0};
    CHECK_INT(open_file(&f, all_cols, NALL, &o), 0);
    CHECK_INT(pq_close(f.w), 0);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    CHECK_INT(ft.f.num_rows, 0);
    CHECK_INT(ft.f.nrow_groups, 0);
    CHECK_MEM(f.m.p, "PAR1", 4);
    struct pq_column_metrics cm;
    CHECK_INT(pq_column_metrics(f.w, 1, &cm), 0);
    CHECK(!cm.has_lower && !cm.has_upper);
    CHECK_INT(cm.value_count, 0);
    close_file(&f);
}

static void test_utf8(void)
{
    CHECK(pq_utf8_valid((const uint8_t *)"", 0));
    CHECK(pq_utf8_valid((const uint8_t *)"plain ascii", 11));
    CHECK(pq_utf8_valid((const uint8_t *)"h\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 12));
    CHECK(pq_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));
    CHECK(!pq_utf8_valid((const uint8_t *)"\xc3", 1));         /* truncated */
    CHECK(!pq_utf8_valid((const uint8_t *)"\xc0\xaf", 2));     /* overlong */
    CHECK(!pq_utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3)); /* overlong */
    CHECK(!pq_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
    CHECK(!pq_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!pq_utf8_valid((const uint8_t *)"\x80", 1));
    CHECK(!pq_utf8_valid((const uint8_t *)"\xff", 1));
    CHECK(!pq_utf8_valid((const uint8_t *)"a\xe6\x97", 3));
}

static void test_footer_hostile(void)
{
    struct file f;
    struct pq_options o = {0};
    CHECK_INT(open_file(&f, all_cols, NALL, &o), 0);
    for (int i = 0; i < 5; i++) {
        pq_put_i64(f.w, 0, i);
        for (uint32_t c = 1; c < NALL; c++) {
            pq_put_null(f.w, c);
        }
        pq_end_row(f.w);
    }
    CHECK_INT(pq_close(f.w), 0);
    struct footer ft;
    CHECK_INT(read_footer(&f.m, &ft), 0);
    uint32_t flen = ft.f.footer_len;
    size_t fstart = f.m.len - 8 - flen;
    /* every truncation of the footer bytes is an error */
    int errs = 0;
    for (uint32_t cut = 1; cut < flen; cut++) {
        struct mem m2;
        m2.len = (size_t)cut + 8;
        m2.p = malloc(m2.len);
        memcpy(m2.p, f.m.p + fstart, cut);
        m2.p[cut] = (uint8_t)cut;
        m2.p[cut + 1] = (uint8_t)(cut >> 8);
        m2.p[cut + 2] = 0;
        m2.p[cut + 3] = 0;
        memcpy(m2.p + cut + 4, "PAR1", 4);
        errs += read_footer(&m2, &ft) != 0;
        free(m2.p);
    }
    CHECK_INT(errs, (long long)flen - 1);
    /* random corruption: an error or a parse, never a crash */
    uint64_t seed = 7;
    for (int iter = 0; iter < 5000; iter++) {
        struct mem m2;
        m2.len = f.m.len;
        m2.p = malloc(m2.len);
        memcpy(m2.p, f.m.p, m2.len);
        for (int k = 0; k < 3; k++) {
            m2.p[fstart + rnd(&seed) % flen] = (uint8_t)rnd(&seed);
        }
        int rc = read_footer(&m2, &ft);
        if (rc != 0 && rc != -EBADMSG && rc != -EOVERFLOW && rc != -ENOSPC) {
            CHECK_INT(rc, -EBADMSG);
        }
        free(m2.p);
    }
    /* bad trailers */
    struct mem m3 = {(uint8_t *)"PAR1\xff\xff\xff\x7fPAR1", 12, 0, 0, 0};
    CHECK_INT(read_footer(&m3, &ft), -EBADMSG);
    struct mem m4 = {(uint8_t *)"PAR1", 4, 0, 0, 0};
    CHECK_INT(read_footer(&m4, &ft), -EBADMSG);
    /* arrays too small */
    struct footer small;
    read_footer(&f.m, &small);
    small.f.schema_cap = 3;
    CHECK_INT(pq_read_footer(f.m.p, f.m.len, &small.f), -ENOSPC);
    close_file(&f);
}

/* Every zstd level writes pages of every size: the context's workspace is sized once for the
 * largest page and must hold for small pages too (zstd fits its parameters to each page), and
 * each page decompresses to its stated size. */
static void test_zstd_levels(void)
{
    static const struct pq_column cols[] = {{"n", PQ_LONG, true, 1}, {"s", PQ_STRING, false, 2}};
    static const uint32_t page_max[] = {7, 300, 20000};
    char text[64];
    for (int level = 1; level <= 19; level++) {
        for (size_t pm = 0; pm < sizeof(page_max) / sizeof(page_max[0]); pm++) {
            struct pq_options o = {0};
            o.codec = PQ_ZSTD;
            o.zstd_level = level;
            o.page_max_values = page_max[pm];
            o.no_dictionary = level % 2 == 0;
            struct file f;
            CHECK_INT(open_file(&f, cols, 2, &o), 0);
            uint64_t x = 88172645463325252ull;
            for (int i = 0; i < 30000; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                int n = snprintf(text, sizeof(text), "v%llu@%d", (unsigned long long)(x % 5000),
                                 i % 7);
                CHECK_INT(pq_put_i64(f.w, 0, (int64_t)(x >> (i % 40))), 0);
                CHECK_INT(pq_put_bytes(f.w, 1, (const uint8_t *)text, (size_t)n), 0);
                CHECK_INT(pq_end_row(f.w), 0);
            }
            CHECK_INT(pq_close(f.w), 0);
            struct footer ft;
            CHECK_INT(read_footer(&f.m, &ft), 0);
            CHECK_INT(ft.f.num_rows, 30000);
            struct page pg;
            CHECK_INT(read_page(&f.m, ft.chunks[1].data_page_offset, &pg), 0);
            uint8_t *raw = malloc((size_t)pg.unc);
            size_t got = ZSTD_decompress(raw, (size_t)pg.unc, pg.body, (size_t)pg.comp);
            CHECK(!ZSTD_isError(got) && got == (size_t)pg.unc);
            free(raw);
            close_file(&f);
        }
    }
}

int main(void)
{
    test_rle_golden();
    test_rle_round_trips();
    test_plain();
    test_def_levels();
    test_dictionary();
    test_dictionary_fallback();
    test_footer_and_metrics();
    test_bounds_edge_cases();
    test_row_groups_and_columns();
    test_errors();
    test_zero_rows();
    test_utf8();
    test_footer_hostile();
    test_zstd_levels();
    return check_done();
}
