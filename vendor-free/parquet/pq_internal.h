/* pq_internal.h — the Parquet writer's private state, shared by its source files.
 *
 * pq_layout.c sizes and lays out the workspace, pq_writer.c owns the hot path (puts, pages,
 * dictionary, row-group flush), pq_meta.c turns the state into Thrift (schema, row-group
 * metadata, footer) and Iceberg metrics, pq_read.c reads footers back, pq_encode.c holds the
 * pure encoders. Everything here lives in the caller's workspace; nothing is allocated.
 */
#ifndef FLOE_PQ_INTERNAL_H
#define FLOE_PQ_INTERNAL_H

#include "parquet.h"

#include <string.h>

/* Parquet enum values used by the writer (parquet.thrift). */
enum {
    PQ__T_BOOLEAN = 0,
    PQ__T_INT32 = 1,
    PQ__T_INT64 = 2,
    PQ__T_FLOAT = 4,
    PQ__T_DOUBLE = 5,
    PQ__T_BYTE_ARRAY = 6,
    PQ__ENC_PLAIN = 0,
    PQ__ENC_RLE = 3,
    PQ__ENC_RLE_DICTIONARY = 8,
    PQ__PAGE_DATA = 0,
    PQ__PAGE_DICTIONARY = 2,
    PQ__CODEC_UNCOMPRESSED = 0,
    PQ__CODEC_ZSTD = 6,
};

/* Value kinds: which put call a column takes. */
enum pq__kind { PQ__K_BOOL, PQ__K_I32, PQ__K_I64, PQ__K_FLOAT, PQ__K_DOUBLE, PQ__K_BYTES };

/* Largest page header the writer produces (V1 data or dictionary page, no statistics). */
#define PQ__HDR_MAX 48
/* Arena bookkeeping in front of every page: next page, start, length (3 x u64). */
#define PQ__REC 24
#define PQ__NONE ((uint64_t)-1)

/* Running min/max. Fixed-width types use i (ints, bools) or d (float, double) and count the
 * non-null, non-NaN values seen; byte arrays keep the smallest and largest prefix of at most cap
 * bytes (prefix order is monotone, so prefixes of min/max are min/max of prefixes). */
struct pq__stat {
    uint64_t count;
    int64_t imin, imax;
    double dmin, dmax;
    uint8_t *minb, *maxb;
    uint32_t minb_len, maxb_len;
    uint32_t cap;
};

struct pq__col {
    /* schema */
    const char *name;
    size_t name_len;
    enum pq_type type;
    enum pq__kind kind;
    uint8_t phys;    /* Parquet physical type */
    uint8_t width;   /* PLAIN bytes per value for fixed-width kinds, 0 otherwise */
    bool required;
    int32_t field_id;

    /* current data page: values are written at body + w->lvl_reserve */
    uint8_t *body;
    uint8_t *def;      /* definition levels, one byte per value (optional columns) */
    uint32_t *idx;     /* dictionary indices of the non-null values (dictionary columns) */
    size_t vlen;       /* PLAIN value bytes (booleans: bits) in the page */
    size_t page_plain; /* PLAIN-equivalent bytes of the page's values */
    uint32_t n;        /* values in the page, nulls included */
    uint32_t nn;       /* non-null values in the page */
    uint32_t pnan;     /* NaNs in the page */
    bool page_has_null;

    /* the value put in the current row, for pq_abort_row() */
    uint64_t stamp;
    uint32_t last_plain;
    bool last_null, last_nan;

    /* dictionary for the current chunk */
    bool dict_enabled; /* the column may use a dictionary at all */
    bool dict_on;      /* new values go through the dictionary */
    uint8_t *dict;     /* PLAIN-encoded entries, i.e. the dictionary page body */
    size_t dict_len;
    uint32_t dict_count;
    uint32_t *dict_off;  /* byte arrays: offset of entry i (its 4-byte length) in dict */
    uint32_t *dict_hash; /* byte arrays: hash of entry i */
    uint32_t *slots;     /* open addressing, entry index + 1, 0 = empty */
    uint32_t slot_mask;  /* of the slots in use: 2^slot_lg - 1 */
    unsigned slot_shift; /* 64 - slot_lg */
    unsigned slot_lg;    /* the table in use has 2^slot_lg slots; it starts small and doubles */
    unsigned slot_lg_max; /* up to the 2^slot_lg_max slots the workspace holds */
    unsigned dict_bw;    /* bits needed for the largest index */
    uint32_t dict_pages; /* dictionary-encoded data pages in the chunk */

    /* current chunk */
    uint64_t first_page, last_page; /* arena offsets of page records, PQ__NONE if none */
    uint32_t chunk_pages;
    bool chunk_plain;               /* some data page is PLAIN */
    int64_t chunk_values, chunk_nulls, chunk_nans;
    int64_t chunk_unc, chunk_comp; /* headers included */
    int64_t dict_page_off, data_page_off; /* file offsets once written, -1 if none */
    bool st_loose; /* a value counted in st was dropped by pq_abort_row(): bounds not exact */
    struct pq__stat st;

    /* whole file, for Iceberg */
    int64_t f_values, f_nulls, f_nans, f_size;
    struct pq__stat fst;
};

struct pq_writer {
    int err; /* sticky */
    bool closed;
    bool full; /* max_row_groups written: no more rows */
    pq_sink_fn sink;
    void *ctx;

    uint32_t ncols;
    struct pq__col *cols;

    /* resolved options */
    size_t row_group_bytes, page_bytes, max_value_bytes, dict_bytes, stats_max;
    uint32_t page_max, dict_max, max_row_groups;
    int codec; /* PQ__CODEC_* */
    int zstd_level;

    void *cctx; /* ZSTD_CCtx, static, in the workspace */
    size_t cctx_size;
    size_t lvl_reserve; /* room before the values for the encoded definition levels */
    uint8_t *lvl;       /* scratch for definition levels */

    uint8_t *arena; /* finished pages of the current row group */
    size_t arena_cap, arena_used;

    /* current row */
    uint64_t row_seq;
    uint32_t row_nset;

    /* current row group and file */
    uint64_t rg_rows;
    uint64_t rows;
    uint64_t offset; /* bytes handed to the sink so far */
    uint32_t nrg;
    int64_t *split_offsets;

    /* footer pieces: head (version, schema), row groups, tail (kv, created_by, orders) */
    uint8_t *head, *tail, *rgmeta;
    size_t head_len, tail_len, rgmeta_len;
    size_t head_cap, tail_cap, rgmeta_cap;
};

/* pq_encode.c */
uint64_t pq__hash_bytes(const uint8_t *p, size_t n);
/* Cut position <= max in p[0..n) that does not split a UTF-8 sequence (n > max required). */
size_t pq__utf8_cut(const uint8_t *p, size_t n, size_t max);
/* Smallest string/byte string greater than every string with prefix p[0..n): increments the last
 * character (utf8) or byte, dropping maximal ones. Writes to dst (room n + 4); returns the new
 * length, or 0 if none exists. */
size_t pq__increment(const uint8_t *p, size_t n, bool utf8, uint8_t *dst);
/* Truncated bounds of a byte-array stat for a limit of max bytes: exact when the stored prefix is
 * no longer than max. Returns false when there is no value (or no upper bound). */
bool pq__bytes_lower(const struct pq__stat *s, size_t max, bool utf8, uint8_t *dst, size_t *len,
                     bool *exact);
bool pq__bytes_upper(const struct pq__stat *s, size_t max, bool utf8, uint8_t *dst, size_t *len,
                     bool *exact);
void pq__stat_reset(struct pq__stat *s);
void pq__stat_bytes_min(struct pq__stat *s, const uint8_t *p, size_t n);
void pq__stat_bytes_max(struct pq__stat *s, const uint8_t *p, size_t n);

static inline void pq__le32(uint8_t *d, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(d, &v, 4);
#else
    d[0] = (uint8_t)v;
    d[1] = (uint8_t)(v >> 8);
    d[2] = (uint8_t)(v >> 16);
    d[3] = (uint8_t)(v >> 24);
#endif
}

static inline void pq__le64(uint8_t *d, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(d, &v, 8);
#else
    pq__le32(d, (uint32_t)v);
    pq__le32(d + 4, (uint32_t)(v >> 32));
#endif
}

static inline uint32_t pq__rd32(const uint8_t *s)
{
    return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
}

/* pq_writer.c: hands bytes to the sink, counting them; a sink error fails the writer. */
int pq__sink(struct pq_writer *w, const uint8_t *p, size_t n);
/* Empties a column's chunk state (pages, counters, statistics, dictionary). */
void pq__chunk_reset(struct pq__col *c);
/* Largest compressed size of n bytes under the writer's codec. */
size_t pq__compress_bound(const struct pq_writer *w, size_t n);

/* pq_meta.c */
size_t pq__head_bound(const struct pq_writer *w);
size_t pq__tail_bound(const struct pq_column *cols, uint32_t ncols, const struct pq_options *opt);
size_t pq__chunk_meta_bound(size_t name_len, size_t stats_max);
int pq__write_head(struct pq_writer *w, uint8_t *dst, size_t cap, size_t *len);
int pq__write_tail(const struct pq_writer *w, const struct pq_options *opt, uint8_t *dst,
                   size_t cap, size_t *len);
/* Appends the RowGroup struct for the chunks just written (their page offsets are in the
 * columns) to w->rgmeta. */
int pq__write_row_group(struct pq_writer *w, int64_t rg_offset);
/* Writes the footer and trailer to the sink. */
int pq__write_footer(struct pq_writer *w);

/* A chunk's dictionary starts with 2^PQ__SLOT_LG_START slots, which a column of few distinct
 * values never outgrows (a small table stays in cache); it doubles while at most half full. */
#define PQ__SLOT_LG_START 10

/* Sets the dictionary table in use to 2^lg slots (mask and shift); does not clear it. */
void pq__dict_size_slots(struct pq__col *c, unsigned lg);

#endif
