/* pq_layout.c — sizes and lays out the Parquet writer's single workspace, and starts a writer
 * in it (pq_workspace_size, pq_writer_init; see parquet.h).
 *
 * One function, layout(), walks the same sequence of buffers twice: once with no base to add up
 * the size, once over the caller's memory to hand out pointers, so the estimate and the real
 * layout cannot drift apart. Per column: page body (levels reserve + values), definition levels,
 * dictionary (indices, PLAIN entries, entry offsets and hashes, hash slots), statistics prefixes;
 * then the shared level scratch, the row-group arena, the footer stores and a static zstd
 * context sized for the largest page.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include "pq_internal.h"

#include <errno.h>
#include <zstd.h>

#include "thrift.h"

/* ---- workspace layout -------------------------------------------------------------------- */

struct bump {
    uint8_t *base; /* NULL while sizing */
    size_t off;
    bool overflow;
};

static void *take(struct bump *b, size_t n, size_t align)
{
    size_t o = (b->off + align - 1) & ~(align - 1);
    if (o < b->off || n > SIZE_MAX - o) {
        b->overflow = true;
        return NULL;
    }
    b->off = o + n;
    return b->base ? b->base + o : NULL;
}

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t mul_sat(size_t a, size_t b)
{
    return (b != 0 && a > SIZE_MAX / b) ? SIZE_MAX : a * b;
}

static int kind_of(enum pq_type t, enum pq__kind *k, uint8_t *phys, uint8_t *width)
{
    switch (t) {
    case PQ_BOOLEAN:
        *k = PQ__K_BOOL, *phys = PQ__T_BOOLEAN, *width = 0;
        return 0;
    case PQ_INT:
    case PQ_DATE:
        *k = PQ__K_I32, *phys = PQ__T_INT32, *width = 4;
        return 0;
    case PQ_LONG:
    case PQ_TIMESTAMP:
    case PQ_TIMESTAMPTZ:
        *k = PQ__K_I64, *phys = PQ__T_INT64, *width = 8;
        return 0;
    case PQ_FLOAT:
        *k = PQ__K_FLOAT, *phys = PQ__T_FLOAT, *width = 4;
        return 0;
    case PQ_DOUBLE:
        *k = PQ__K_DOUBLE, *phys = PQ__T_DOUBLE, *width = 8;
        return 0;
    case PQ_STRING:
    case PQ_BINARY:
        *k = PQ__K_BYTES, *phys = PQ__T_BYTE_ARRAY, *width = 0;
        return 0;
    }
    return -EINVAL;
}

/* Resolves defaults and checks ranges into a zeroed writer (only its option fields are used). */
static int resolve(const struct pq_options *o, struct pq_writer *r)
{
    static const struct pq_options none;
    if (o == NULL) {
        o = &none;
    }
    r->row_group_bytes = o->row_group_bytes ? o->row_group_bytes : (size_t)64 << 20;
    r->page_bytes = o->page_bytes ? o->page_bytes : (size_t)1 << 20;
    r->page_max = o->page_max_values ? o->page_max_values : 20000;
    r->max_value_bytes = o->max_value_bytes ? o->max_value_bytes : (size_t)1 << 20;
    r->dict_bytes = o->no_dictionary ? 0 : o->dict_bytes ? o->dict_bytes : (size_t)1 << 20;
    r->dict_max = o->no_dictionary ? 0 : o->dict_max_entries ? o->dict_max_entries : 65536;
    r->stats_max = o->stats_max_bytes ? o->stats_max_bytes : 256;
    r->max_row_groups = o->max_row_groups ? o->max_row_groups : 256;
    r->zstd_level = o->zstd_level ? o->zstd_level : 3;
    if (o->codec == PQ_ZSTD) {
        r->codec = PQ__CODEC_ZSTD;
    } else if (o->codec == PQ_UNCOMPRESSED) {
        r->codec = PQ__CODEC_UNCOMPRESSED;
    } else {
        return -EINVAL;
    }
    if (r->row_group_bytes > ((size_t)1 << 30) || r->page_bytes > ((size_t)1 << 28) ||
        r->page_max > (1u << 24) || r->max_value_bytes > ((size_t)1 << 28) ||
        r->dict_bytes > ((size_t)1 << 28) || r->dict_max > (1u << 24) ||
        r->stats_max < PQ_BOUND_TRUNCATE || r->stats_max > ((size_t)1 << 20) ||
        r->max_row_groups > (1u << 20) || r->zstd_level < 1 || r->zstd_level > ZSTD_maxCLevel() ||
        (o->nkv > 0 && o->kv == NULL) || o->nkv > (1u << 16)) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < o->nkv; i++) {
        if (o->kv[i].key == NULL) {
            return -EINVAL;
        }
    }
    return 0;
}

static size_t next_pow2(size_t x)
{
    size_t p = 2;
    while (p < x) {
        p <<= 1;
    }
    return p;
}


static size_t page_room(const struct pq_writer *r, size_t raw)
{
    return add_sat(pq__compress_bound(r, raw), PQ__REC + PQ__HDR_MAX + 8);
}

/* Value area of a column's page body (after lvl_reserve). */
static size_t body_values_cap(const struct pq_writer *r, enum pq__kind k, bool dict)
{
    size_t cap;
    if (k == PQ__K_BOOL) {
        cap = (r->page_max + 7) / 8;
    } else if (k == PQ__K_BYTES) {
        cap = r->page_bytes + r->max_value_bytes + 4;
    } else {
        cap = r->page_bytes + 8;
    }
    if (dict) {
        size_t d = 1 + pq_rle_bound(r->page_max, 32);
        cap = d > cap ? d : cap;
    }
    return cap;
}

/* zstd's parameters for a level, the same for every page. Levels 2 and 3 (the double-fast
 * match finder) get a 2^17-entry hash and a 2^16-entry chain table (768 KiB, about the L2 cache)
 * and 6-byte minimum matches. On column pages 5-byte matches are mostly coincidences, such as
 * the equal high bytes of two unrelated 8-byte integers: with 5 the finder spends about a third
 * more time for under 1% smaller pages, and the larger tables win back more than that. Other
 * levels keep zstd's own choice. zstd still shrinks the tables for pages smaller than them. */
static ZSTD_compressionParameters zstd_cparams(int level)
{
    ZSTD_compressionParameters p = ZSTD_getCParams(level, 0, 0);
    if (level <= 3 && p.strategy == ZSTD_dfast) {
        p.hashLog = p.hashLog > 17 ? 17 : p.hashLog;
        p.chainLog = p.chainLog > 16 ? 16 : p.chainLog;
        p.minMatch = 6;
    }
    return p;
}

/* The context's workspace for pages of up to max_src bytes: every parameter is set explicitly
 * (pq_writer_init) and zstd fits them to each page's size, only ever shrinking them as the page
 * gets smaller, so the parameters fitted to the largest page bound every page's need. */
static size_t zstd_ws(const struct pq_writer *r, size_t max_src)
{
    ZSTD_compressionParameters p = ZSTD_adjustCParams(zstd_cparams(r->zstd_level), max_src, 0);
    return ZSTD_estimateCCtxSize_usingCParams(p);
}

/* Lays the workspace out (sizing it when b->base is NULL). cols/opt are already validated. On a
 * real layout it also fills in w's pointers and copies names, but writes nothing else. */
static void layout(struct bump *b, const struct pq_column *cols, uint32_t ncols,
                   const struct pq_options *opt, struct pq_writer *r, struct pq_writer **wout)
{
    struct pq_writer *w = take(b, sizeof(*w), 64);
    struct pq__col *cc = take(b, mul_sat(ncols, sizeof(*cc)), 64);
    if (w) {
        *w = *r;
        w->cols = cc;
        w->ncols = ncols;
        memset(cc, 0, ncols * sizeof(*cc));
        *wout = w;
    }
    size_t lvl_reserve = 4 + pq_rle_bound(r->page_max, 1);
    size_t arena = r->row_group_bytes, rgmeta = 64, max_src = 0;
    for (uint32_t i = 0; i < ncols; i++) {
        enum pq__kind k = PQ__K_BOOL;
        uint8_t phys = 0, width = 0;
        kind_of(cols[i].type, &k, &phys, &width);
        bool dict = k != PQ__K_BOOL && r->dict_max > 0 && r->dict_bytes > 0;
        size_t nl = strlen(cols[i].name);
        size_t body = add_sat(lvl_reserve, body_values_cap(r, k, dict));
        char *name = take(b, nl + 1, 1);
        uint8_t *bodyp = take(b, body, 8);
        uint8_t *def = cols[i].required ? NULL : take(b, r->page_max, 8);
        uint32_t *idx = NULL, *off = NULL, *hash = NULL, *slots = NULL;
        uint8_t *dictp = NULL, *st = NULL;
        size_t nslots = 0;
        if (dict) {
            nslots = next_pow2((size_t)r->dict_max * 2);
            idx = take(b, mul_sat(r->page_max, 4), 8);
            dictp = take(b, r->dict_bytes, 8);
            slots = take(b, mul_sat(nslots, 4), 8);
            if (k == PQ__K_BYTES) {
                off = take(b, mul_sat(r->dict_max, 4), 8);
                hash = take(b, mul_sat(r->dict_max, 4), 8);
            }
        }
        size_t stat_room = 0;
        if (k == PQ__K_BYTES) {
            stat_room = 2 * (r->stats_max + 1) + 2 * (PQ_BOUND_TRUNCATE + 1);
            st = take(b, stat_room, 8);
        }
        arena = add_sat(arena, mul_sat(page_room(r, body), 2));
        arena = add_sat(arena, page_room(r, r->dict_bytes));
        rgmeta = add_sat(rgmeta, pq__chunk_meta_bound(nl, r->stats_max));
        max_src = body > max_src ? body : max_src;
        max_src = r->dict_bytes > max_src ? r->dict_bytes : max_src;
        if (w) {
            struct pq__col *c = &cc[i];
            memcpy(name, cols[i].name, nl + 1);
            c->name = name;
            c->name_len = nl;
            c->type = cols[i].type;
            c->kind = k;
            c->phys = phys;
            c->width = width;
            c->required = cols[i].required;
            c->field_id = cols[i].field_id;
            c->body = bodyp;
            c->def = def;
            c->idx = idx;
            c->dict_enabled = dict;
            c->dict = dictp;
            c->dict_off = off;
            c->dict_hash = hash;
            c->slots = slots;
            unsigned lg = 0;
            while (((size_t)1 << lg) < nslots) {
                lg++;
            }
            c->slot_lg_max = lg;
            pq__dict_size_slots(c, lg < PQ__SLOT_LG_START ? lg : PQ__SLOT_LG_START);
            c->st.cap = (uint32_t)r->stats_max + 1;
            c->fst.cap = PQ_BOUND_TRUNCATE + 1;
            if (st) {
                c->st.minb = st;
                c->st.maxb = st + r->stats_max + 1;
                c->fst.minb = st + 2 * (r->stats_max + 1);
                c->fst.maxb = c->fst.minb + PQ_BOUND_TRUNCATE + 1;
            }
        }
    }
    rgmeta = mul_sat(rgmeta, r->max_row_groups);
    /* the level scratch doubles as room for a chunk's min and max when a row group is flushed */
    size_t lvl_room = lvl_reserve > 2 * (r->stats_max + 8) ? lvl_reserve : 2 * (r->stats_max + 8);
    uint8_t *lvl = take(b, lvl_room, 8);
    uint8_t *arenap = take(b, arena, 8);
    uint8_t *rgm = take(b, rgmeta, 8);
    int64_t *splits = take(b, mul_sat(r->max_row_groups, sizeof(int64_t)), 8);
    size_t cctx_size = r->codec == PQ__CODEC_ZSTD ? zstd_ws(r, max_src) : 0;
    void *cctx = cctx_size ? take(b, cctx_size, 64) : NULL;
    if (w) {
        w->lvl_reserve = lvl_reserve;
        w->lvl = lvl;
        w->arena = arenap;
        w->arena_cap = arena;
        w->rgmeta = rgm;
        w->rgmeta_cap = rgmeta;
        w->split_offsets = splits;
        w->cctx = cctx;
        w->cctx_size = cctx_size;
    }
    /* head and tail sizes need the column names in place; bounds come from the inputs */
    size_t head = 64;
    for (uint32_t i = 0; i < ncols; i++) {
        head = add_sat(head, 96 + strlen(cols[i].name));
    }
    uint8_t *headp = take(b, head, 8);
    size_t tail = pq__tail_bound(cols, ncols, opt);
    uint8_t *tailp = take(b, tail, 8);
    if (w) {
        w->head = headp;
        w->tail = tailp;
        w->tail_cap = tail;
        w->head_cap = head;
    }
    if (arena == SIZE_MAX || rgmeta == SIZE_MAX) {
        b->overflow = true;
    }
}

static int check_schema(const struct pq_column *cols, uint32_t ncols)
{
    if (cols == NULL || ncols == 0 || ncols > 4096) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < ncols; i++) {
        enum pq__kind k;
        uint8_t p, wd;
        if (cols[i].name == NULL || cols[i].name[0] == '\0' ||
            kind_of(cols[i].type, &k, &p, &wd) != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

int pq_workspace_size(const struct pq_column *cols, uint32_t ncols, const struct pq_options *opt,
                      size_t *size)
{
    struct pq_writer r;
    memset(&r, 0, sizeof(r));
    int rc = check_schema(cols, ncols);
    if (rc == 0) {
        rc = resolve(opt, &r);
    }
    if (rc) {
        return rc;
    }
    struct bump b = {NULL, 0, false};
    struct pq_writer *unused = NULL;
    layout(&b, cols, ncols, opt, &r, &unused);
    if (b.overflow || b.off > SIZE_MAX - 64) {
        return -EOVERFLOW;
    }
    *size = b.off + 64; /* room to align the base */
    return 0;
}

int pq_writer_init(const struct pq_column *cols, uint32_t ncols, const struct pq_options *opt,
                   void *ws, size_t ws_size, pq_sink_fn sink, void *ctx, struct pq_writer **out)
{
    struct pq_writer r;
    size_t need;
    memset(&r, 0, sizeof(r));
    int rc = pq_workspace_size(cols, ncols, opt, &need);
    if (rc) {
        return rc;
    }
    if (ws == NULL || ws_size < need || sink == NULL || out == NULL) {
        return -EINVAL;
    }
    resolve(opt, &r);
    uintptr_t base = ((uintptr_t)ws + 63) & ~(uintptr_t)63;
    struct bump b = {(uint8_t *)base, 0, false};
    struct pq_writer *w = NULL;
    layout(&b, cols, ncols, opt, &r, &w);
    if (w->cctx) {
        w->cctx = ZSTD_initStaticCCtx(w->cctx, w->cctx_size);
        if (w->cctx == NULL) {
            return -ENOMEM;
        }
        /* The parameters stick to the context for every page (ZSTD_compress2); all of them
         * are set, so the workspace sized by zstd_ws is enough for any page. */
        ZSTD_compressionParameters p = zstd_cparams(r.zstd_level);
        if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
                                                r.zstd_level)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_windowLog, (int)p.windowLog)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_hashLog, (int)p.hashLog)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_chainLog, (int)p.chainLog)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_searchLog, (int)p.searchLog)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_minMatch, (int)p.minMatch)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_targetLength,
                                                (int)p.targetLength)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_strategy, (int)p.strategy))) {
            return -EINVAL;
        }
    }
    w->sink = sink;
    w->ctx = ctx;
    w->row_seq = 1;
    for (uint32_t i = 0; i < ncols; i++) {
        struct pq__col *c = &w->cols[i];
        if (c->slots) {
            memset(c->slots, 0, ((size_t)c->slot_mask + 1) * 4);
        }
        pq__chunk_reset(c);
        pq__stat_reset(&c->fst);
    }
    rc = pq__write_head(w, w->head, w->head_cap, &w->head_len);
    if (rc == 0) {
        rc = pq__write_tail(w, opt, w->tail, w->tail_cap, &w->tail_len);
    }
    if (rc) {
        return rc;
    }
    *out = w;
    return 0;
}
