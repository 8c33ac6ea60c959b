/* batch.c — rows grouped by partition in one arena (layout in batch.h).
 *
 * Partitions live in a small open-addressed table keyed by the hash of the tuple; each keeps
 * the head and tail of its chain of rows, so a flush replays one partition's rows in arrival
 * order without sorting. Partition values that are bytes (identity or truncate of a string)
 * are copied into the top of the arena, growing down, so that the rows lie end to end from
 * its start: floe_batch_compact walks them in order and slides the live ones down over the
 * removed ones.
 */
#include "batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct part {
    uint64_t hash;
    uint32_t head, tail; /* arena offsets / 8 of the first and last row; 0 = none */
    uint64_t rows;
};

struct floe_batch {
    const struct floe_schema *schema;
    const struct floe_partition *spec;
    struct ice_transform transforms[FLOE_PARTITION_FIELDS_MAX];
    int nfields;
    size_t bitmap_bytes;

    uint8_t *arena;
    size_t cap, used; /* rows in [8, used) */
    size_t top;       /* partition values in [top, cap) */

    struct part *parts;
    struct ice_value *values; /* nfields per partition */
    uint32_t nparts, max_parts;
    uint32_t *slots; /* partition index + 1; 0 = empty */
    uint32_t slot_mask;

    uint64_t rows;
    size_t removed; /* bytes of the rows removed since the last clear or compaction */
};

/* A hint to fetch the cache lines of the row at p: a flush walks a partition's chain, whose
 * rows lie far apart in the arena, so the next row is fetched while this one is written. */
#if defined(__GNUC__)
#define PREFETCH_ROW(p) (__builtin_prefetch(p), __builtin_prefetch((const uint8_t *)(p) + 64))
#else
#define PREFETCH_ROW(p) ((void)(p))
#endif

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

enum ice_type_id floe_ice_type_of(enum floe_type type)
{
    switch (type) {
    case FLOE_TYPE_BOOLEAN:
        return ICE_BOOLEAN;
    case FLOE_TYPE_INT:
        return ICE_INT;
    case FLOE_TYPE_LONG:
        return ICE_LONG;
    case FLOE_TYPE_FLOAT:
        return ICE_FLOAT;
    case FLOE_TYPE_DOUBLE:
        return ICE_DOUBLE;
    case FLOE_TYPE_DATE:
        return ICE_DATE;
    case FLOE_TYPE_TIMESTAMP:
        return ICE_TIMESTAMP;
    case FLOE_TYPE_TIMESTAMPTZ:
        return ICE_TIMESTAMPTZ;
    case FLOE_TYPE_STRING:
        return ICE_STRING;
    case FLOE_TYPE_BINARY:
        return ICE_BINARY;
    }
    return ICE_BINARY;
}

enum pq_type floe_pq_type_of(enum floe_type type)
{
    static const enum pq_type map[] = {
        [FLOE_TYPE_BOOLEAN] = PQ_BOOLEAN,     [FLOE_TYPE_INT] = PQ_INT,
        [FLOE_TYPE_LONG] = PQ_LONG,           [FLOE_TYPE_FLOAT] = PQ_FLOAT,
        [FLOE_TYPE_DOUBLE] = PQ_DOUBLE,       [FLOE_TYPE_DATE] = PQ_DATE,
        [FLOE_TYPE_TIMESTAMP] = PQ_TIMESTAMP, [FLOE_TYPE_TIMESTAMPTZ] = PQ_TIMESTAMPTZ,
        [FLOE_TYPE_STRING] = PQ_STRING,       [FLOE_TYPE_BINARY] = PQ_BINARY,
    };
    return map[type];
}

int floe_partition_transform(const struct floe_partition_field *field,
                             const struct floe_schema *schema, struct ice_transform *t,
                             struct ice_type *result)
{
    static const enum ice_transform_kind kinds[] = {
        [FLOE_TRANSFORM_IDENTITY] = ICE_T_IDENTITY, [FLOE_TRANSFORM_BUCKET] = ICE_T_BUCKET,
        [FLOE_TRANSFORM_TRUNCATE] = ICE_T_TRUNCATE, [FLOE_TRANSFORM_YEAR] = ICE_T_YEAR,
        [FLOE_TRANSFORM_MONTH] = ICE_T_MONTH,       [FLOE_TRANSFORM_DAY] = ICE_T_DAY,
        [FLOE_TRANSFORM_HOUR] = ICE_T_HOUR,         [FLOE_TRANSFORM_VOID] = ICE_T_VOID,
    };
    if (field->column < 0 || field->column >= schema->ncolumns ||
        (size_t)field->transform >= sizeof(kinds) / sizeof(kinds[0])) {
        return -EINVAL;
    }
    t->kind = kinds[field->transform];
    t->param = field->param;
    struct ice_type src = {floe_ice_type_of(schema->columns[field->column].type), 0, 0, 0};
    return ice_transform_result_type(t, &src, result);
}

int floe_batch_new(const struct floe_schema *schema, const struct floe_partition *spec,
                   size_t arena_bytes, uint32_t max_partitions, struct floe_batch **out)
{
    struct floe_batch *b = calloc(1, sizeof(*b));
    if (!b) {
        return -ENOMEM;
    }
    b->schema = schema;
    b->spec = spec;
    b->nfields = spec->nfields;
    for (int i = 0; i < spec->nfields; i++) {
        struct ice_type result;
        if (floe_partition_transform(&spec->fields[i], schema, &b->transforms[i], &result) < 0) {
            free(b);
            return -EINVAL;
        }
    }
    b->bitmap_bytes = align8(((size_t)schema->ncolumns + 7) / 8);
    b->max_parts = max_partitions ? max_partitions : 1;
    uint32_t nslots = 2;
    while (nslots < 2 * b->max_parts) {
        nslots *= 2;
    }
    b->slot_mask = nslots - 1;
    /* Rows are linked by u32 offsets in 8-byte units: the arena addresses at most 32 GiB. */
    if (arena_bytes > (size_t)UINT32_MAX * 8) {
        arena_bytes = (size_t)UINT32_MAX * 8;
    }
    b->cap = align8(arena_bytes);
    b->arena = malloc(b->cap);
    b->parts = calloc(b->max_parts, sizeof(*b->parts));
    b->values =
        calloc((size_t)b->max_parts * (b->nfields ? (size_t)b->nfields : 1), sizeof(*b->values));
    b->slots = calloc(nslots, sizeof(*b->slots));
    if (!b->arena || !b->parts || !b->values || !b->slots || b->cap < 64) {
        int rc = b->cap < 64 ? -EINVAL : -ENOMEM;
        floe_batch_free(b);
        return rc;
    }
    floe_batch_clear(b);
    *out = b;
    return 0;
}

void floe_batch_free(struct floe_batch *b)
{
    if (!b) {
        return;
    }
    free(b->arena);
    free(b->parts);
    free(b->values);
    free(b->slots);
    free(b);
}

void floe_batch_clear(struct floe_batch *b)
{
    b->used = 8; /* offset 0 means "none" */
    b->top = b->cap;
    b->rows = 0;
    b->removed = 0;
    b->nparts = 0;
    memset(b->slots, 0, ((size_t)b->slot_mask + 1) * sizeof(*b->slots));
}

uint64_t floe_batch_rows(const struct floe_batch *b)
{
    return b->rows;
}

size_t floe_batch_bytes(const struct floe_batch *b)
{
    return b->used - b->removed + (b->cap - b->top);
}

bool floe_batch_table_full(const struct floe_batch *b)
{
    return b->nparts == b->max_parts;
}

size_t floe_batch_removed(const struct floe_batch *b)
{
    return b->removed;
}

uint32_t floe_batch_partitions(const struct floe_batch *b)
{
    return b->nparts;
}

int floe_batch_partition(const struct floe_batch *b, uint32_t i, const struct ice_value **values,
                         uint64_t *rows)
{
    if (i >= b->nparts) {
        return -EINVAL;
    }
    *values = &b->values[(size_t)i * (size_t)b->nfields];
    *rows = b->parts[i].rows;
    return 0;
}

static struct ice_value cell_value(const struct floe_column *col, const struct floe_cell *cell)
{
    struct ice_value v;
    memset(&v, 0, sizeof(v));
    v.type = floe_ice_type_of(col->type);
    v.is_null = cell->null;
    if (cell->null) {
        return v;
    }
    switch (col->type) {
    case FLOE_TYPE_BOOLEAN:
        v.v.b = cell->v.b;
        break;
    case FLOE_TYPE_INT:
    case FLOE_TYPE_DATE:
        v.v.i = (int32_t)cell->v.i;
        break;
    case FLOE_TYPE_LONG:
    case FLOE_TYPE_TIMESTAMP:
    case FLOE_TYPE_TIMESTAMPTZ:
        v.v.l = cell->v.i;
        break;
    case FLOE_TYPE_FLOAT:
        v.v.f = (float)cell->v.d;
        break;
    case FLOE_TYPE_DOUBLE:
        v.v.d = cell->v.d;
        break;
    case FLOE_TYPE_STRING:
    case FLOE_TYPE_BINARY:
        v.v.bin.p = cell->v.s.p;
        v.v.bin.n = cell->v.s.n;
        break;
    }
    return v;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xBF58476D1CE4E5B9ull;
}

/* Partition results are int, date, long, timestamps, booleans, strings or binaries (floats
 * only through identity, compared by bits). */
static uint64_t value_hash(uint64_t h, const struct ice_value *v)
{
    h = mix(h, (uint64_t)v->type * 2 + v->is_null);
    if (v->is_null) {
        return h;
    }
    switch (v->type) {
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
        for (size_t i = 0; i < v->v.bin.n; i++) {
            h = mix(h, v->v.bin.p[i]);
        }
        return mix(h, v->v.bin.n);
    case ICE_INT:
    case ICE_DATE:
        return mix(h, (uint64_t)(uint32_t)v->v.i);
    case ICE_BOOLEAN:
        return mix(h, v->v.b);
    case ICE_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &v->v.f, 4);
        return mix(h, bits);
    }
    case ICE_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->v.d, 8);
        return mix(h, bits);
    }
    default:
        return mix(h, (uint64_t)v->v.l);
    }
}

static bool value_equal(const struct ice_value *a, const struct ice_value *b)
{
    if (a->type != b->type || a->is_null != b->is_null) {
        return false;
    }
    if (a->is_null) {
        return true;
    }
    switch (a->type) {
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
        return a->v.bin.n == b->v.bin.n &&
               (a->v.bin.n == 0 || memcmp(a->v.bin.p, b->v.bin.p, a->v.bin.n) == 0);
    case ICE_INT:
    case ICE_DATE:
        return a->v.i == b->v.i;
    case ICE_BOOLEAN:
        return a->v.b == b->v.b;
    case ICE_FLOAT:
        return memcmp(&a->v.f, &b->v.f, 4) == 0;
    case ICE_DOUBLE:
        return memcmp(&a->v.d, &b->v.d, 8) == 0;
    default:
        return a->v.l == b->v.l;
    }
}

/* The bytes a row takes in the arena. */
static size_t row_size(const struct floe_batch *b, const struct floe_row *row)
{
    size_t n = 8 + b->bitmap_bytes;
    for (int c = 0; c < b->schema->ncolumns; c++) {
        const struct floe_cell *cell = &row->cells[c];
        if (cell->null) {
            continue;
        }
        enum floe_type t = b->schema->columns[c].type;
        n += (t == FLOE_TYPE_STRING || t == FLOE_TYPE_BINARY) ? align8(4 + cell->v.s.n) : 8;
    }
    return n;
}

/* Finds the partition of tuple (hash h) or creates it, copying byte values into the arena; a
 * new partition is created only if its bytes and a row of row_bytes fit after it. Returns its
 * index, or -ENOSPC with nothing changed. */
static int find_partition(struct floe_batch *b, const struct ice_value *tuple, uint64_t h,
                          size_t row_bytes)
{
    uint32_t s = (uint32_t)h & b->slot_mask;
    int nf = b->nfields;
    for (;;) {
        uint32_t e = b->slots[s];
        if (e == 0) {
            break;
        }
        struct part *p = &b->parts[e - 1];
        if (p->hash == h) {
            const struct ice_value *v = &b->values[(size_t)(e - 1) * (size_t)nf];
            bool same = true;
            for (int i = 0; same && i < nf; i++) {
                same = value_equal(&v[i], &tuple[i]);
            }
            if (same) {
                return (int)(e - 1);
            }
        }
        s = (s + 1) & b->slot_mask;
    }
    if (b->nparts == b->max_parts) {
        return -ENOSPC;
    }
    size_t bytes = 0;
    for (int i = 0; i < nf; i++) {
        if (!tuple[i].is_null && (tuple[i].type == ICE_STRING || tuple[i].type == ICE_BINARY)) {
            bytes += align8(tuple[i].v.bin.n);
        }
    }
    if (bytes + row_bytes > b->top - b->used) {
        return -ENOSPC;
    }
    uint32_t idx = b->nparts++;
    struct ice_value *v = &b->values[(size_t)idx * (size_t)nf];
    for (int i = 0; i < nf; i++) {
        v[i] = tuple[i];
        if (!v[i].is_null && (v[i].type == ICE_STRING || v[i].type == ICE_BINARY) &&
            v[i].v.bin.n > 0) {
            b->top -= align8(v[i].v.bin.n);
            memcpy(b->arena + b->top, v[i].v.bin.p, v[i].v.bin.n);
            v[i].v.bin.p = b->arena + b->top;
        }
    }
    b->parts[idx] = (struct part){h, 0, 0, 0};
    b->slots[s] = idx + 1;
    return (int)idx;
}

/* The row header's partition word: the index, and this bit once the row is removed. */
#define ROW_REMOVED 0x80000000u

int floe_batch_add(struct floe_batch *b, const struct floe_row *row, char *why, size_t cap)
{
    return floe_batch_add_ref(b, row, NULL, why, cap);
}

int floe_batch_add_ref(struct floe_batch *b, const struct floe_row *row, uint32_t *ref, char *why,
                       size_t cap)
{
    const struct floe_schema *schema = b->schema;
    struct ice_value tuple[FLOE_PARTITION_FIELDS_MAX];
    uint64_t h = 0x243F6A8885A308D3ull;
    for (int i = 0; i < b->nfields; i++) {
        const struct floe_partition_field *f = &b->spec->fields[i];
        struct ice_value in = cell_value(&schema->columns[f->column], &row->cells[f->column]);
        if (ice_transform_apply(&b->transforms[i], &in, &tuple[i]) < 0) {
            snprintf(why, cap, "partition field '%s': %s(%s) cannot be computed for this value",
                     f->name, floe_transform_name(f->transform), schema->columns[f->column].name);
            return -EINVAL;
        }
        h = value_hash(h, &tuple[i]);
    }
    size_t need = row_size(b, row);
    if (need > b->top - b->used) {
        return -ENOSPC;
    }
    int pi = find_partition(b, tuple, h, need);
    if (pi < 0) {
        return pi;
    }

    uint8_t *r = b->arena + b->used;
    uint32_t off8 = (uint32_t)(b->used / 8);
    uint32_t zero = 0, part = (uint32_t)pi;
    memcpy(r, &zero, 4);
    memcpy(r + 4, &part, 4);
    uint8_t *bitmap = r + 8;
    memset(bitmap, 0, b->bitmap_bytes);
    uint8_t *at = bitmap + b->bitmap_bytes;
    for (int c = 0; c < schema->ncolumns; c++) {
        const struct floe_cell *cell = &row->cells[c];
        if (cell->null) {
            bitmap[c / 8] |= (uint8_t)(1u << (c % 8));
            continue;
        }
        switch (schema->columns[c].type) {
        case FLOE_TYPE_STRING:
        case FLOE_TYPE_BINARY: {
            uint32_t n = cell->v.s.n;
            memcpy(at, &n, 4);
            if (n) {
                memcpy(at + 4, cell->v.s.p, n);
            }
            at += align8(4 + (size_t)n);
            break;
        }
        case FLOE_TYPE_FLOAT:
        case FLOE_TYPE_DOUBLE:
            memcpy(at, &cell->v.d, 8);
            at += 8;
            break;
        case FLOE_TYPE_BOOLEAN: {
            int64_t v = cell->v.b;
            memcpy(at, &v, 8);
            at += 8;
            break;
        }
        default:
            memcpy(at, &cell->v.i, 8);
            at += 8;
            break;
        }
    }
    b->used += need;
    struct part *p = &b->parts[pi];
    if (p->tail) {
        memcpy(b->arena + (size_t)p->tail * 8, &off8, 4);
    } else {
        p->head = off8;
    }
    p->tail = off8;
    p->rows++;
    b->rows++;
    if (ref) {
        *ref = off8;
    }
    return 0;
}

/* The bytes of the row stored at r (row_size of what was added). */
static size_t stored_size(const struct floe_batch *b, const uint8_t *r)
{
    const uint8_t *bitmap = r + 8;
    size_t n = 8 + b->bitmap_bytes;
    for (int c = 0; c < b->schema->ncolumns; c++) {
        if (bitmap[c / 8] & (1u << (c % 8))) {
            continue;
        }
        enum floe_type t = b->schema->columns[c].type;
        if (t == FLOE_TYPE_STRING || t == FLOE_TYPE_BINARY) {
            uint32_t len;
            memcpy(&len, r + n, 4);
            n += align8(4 + (size_t)len);
        } else {
            n += 8;
        }
    }
    return n;
}

void floe_batch_prefetch(const struct floe_batch *b, uint32_t ref)
{
    if (ref != 0 && (size_t)ref * 8 + 8 <= b->used) {
        PREFETCH_ROW(b->arena + (size_t)ref * 8);
    }
}

int floe_batch_remove(struct floe_batch *b, uint32_t ref)
{
    uint32_t part;
    if (ref == 0 || (size_t)ref * 8 + 8 > b->used) {
        return -EINVAL;
    }
    uint8_t *r = b->arena + (size_t)ref * 8;
    memcpy(&part, r + 4, 4);
    if ((part & ROW_REMOVED) || part >= b->nparts) {
        return -EINVAL;
    }
    part |= ROW_REMOVED;
    memcpy(r + 4, &part, 4);
    b->parts[part & ~ROW_REMOVED].rows--;
    b->rows--;
    b->removed += stored_size(b, r);
    return 0;
}

size_t floe_batch_compact(struct floe_batch *b, floe_batch_remap_fn remap, void *ctx)
{
    if (b->removed == 0) {
        return 0;
    }
    /* First each live row's new place, in its next-row word: the chains are rebuilt below,
     * and meanwhile floe_batch_new_ref reads it. */
    size_t to = 8;
    for (size_t at = 8; at < b->used;) {
        uint8_t *r = b->arena + at;
        size_t n = stored_size(b, r);
        uint32_t part;
        memcpy(&part, r + 4, 4);
        if (!(part & ROW_REMOVED)) {
            uint32_t to8 = (uint32_t)(to / 8);
            memcpy(r, &to8, 4);
            to += n;
        }
        at += n;
    }
    if (remap) {
        remap(ctx, b);
    }
    /* Then the moves, in arena (= arrival) order: a row only moves down, and never over a row
     * not yet moved, since every row before it ends at or below its new place. */
    for (uint32_t i = 0; i < b->nparts; i++) {
        b->parts[i].head = b->parts[i].tail = 0;
    }
    for (size_t at = 8; at < b->used;) {
        uint8_t *r = b->arena + at;
        size_t n = stored_size(b, r);
        uint32_t part, to8, zero = 0;
        memcpy(&part, r + 4, 4);
        if (!(part & ROW_REMOVED)) {
            memcpy(&to8, r, 4);
            uint8_t *d = b->arena + (size_t)to8 * 8;
            if (d != r) {
                memmove(d, r, n);
            }
            memcpy(d, &zero, 4);
            struct part *p = &b->parts[part];
            if (p->tail) {
                memcpy(b->arena + (size_t)p->tail * 8, &to8, 4);
            } else {
                p->head = to8;
            }
            p->tail = to8;
        }
        at += n;
    }
    size_t freed = b->used - to;
    b->used = to;
    b->removed = 0;
    return freed;
}

uint32_t floe_batch_new_ref(const struct floe_batch *b, uint32_t ref)
{
    uint32_t to8;
    memcpy(&to8, b->arena + (size_t)ref * 8, 4);
    return to8;
}

int floe_batch_write(const struct floe_batch *b, uint32_t i, struct pq_writer *w)
{
    return floe_batch_write_columns(b, i, w, NULL, b->schema->ncolumns);
}

int floe_batch_write_columns(const struct floe_batch *b, uint32_t i, struct pq_writer *w,
                             const int *cols, int ncols)
{
    const struct floe_schema *schema = b->schema;
    if (i >= b->nparts) {
        return -EINVAL;
    }
    for (uint32_t off8 = b->parts[i].head; off8;) {
        const uint8_t *r = b->arena + (size_t)off8 * 8;
        uint32_t part, next8;
        memcpy(&next8, r, 4);
        if (next8) {
            PREFETCH_ROW(b->arena + (size_t)next8 * 8);
        }
        memcpy(&part, r + 4, 4);
        if (part & ROW_REMOVED) {
            off8 = next8;
            continue;
        }
        const uint8_t *bitmap = r + 8;
        const uint8_t *at = bitmap + b->bitmap_bytes;
        int rc = 0;
        int next = 0; /* index into cols of the next column to put */
        for (int c = 0; c < schema->ncolumns && rc == 0; c++) {
            /* Columns that are not written are still walked over, to find the next. */
            bool put = cols ? (next < ncols && cols[next] == c) : true;
            uint32_t col = (uint32_t)(cols ? next : c);
            if (put && cols) {
                next++;
            }
            if (bitmap[c / 8] & (1u << (c % 8))) {
                rc = put ? pq_put_null(w, col) : 0;
                continue;
            }
            if (!put) {
                enum floe_type t = schema->columns[c].type;
                if (t == FLOE_TYPE_STRING || t == FLOE_TYPE_BINARY) {
                    uint32_t n;
                    memcpy(&n, at, 4);
                    at += align8(4 + (size_t)n);
                } else {
                    at += 8;
                }
                continue;
            }
            int64_t iv;
            double dv;
            switch (schema->columns[c].type) {
            case FLOE_TYPE_STRING:
            case FLOE_TYPE_BINARY: {
                uint32_t n;
                memcpy(&n, at, 4);
                rc = pq_put_bytes(w, col, at + 4, n);
                at += align8(4 + (size_t)n);
                continue;
            }
            case FLOE_TYPE_FLOAT:
            case FLOE_TYPE_DOUBLE:
                memcpy(&dv, at, 8);
                rc = schema->columns[c].type == FLOE_TYPE_FLOAT ? pq_put_float(w, col, (float)dv)
                                                                : pq_put_double(w, col, dv);
                break;
            case FLOE_TYPE_BOOLEAN:
                memcpy(&iv, at, 8);
                rc = pq_put_bool(w, col, iv != 0);
                break;
            case FLOE_TYPE_INT:
            case FLOE_TYPE_DATE:
                memcpy(&iv, at, 8);
                rc = pq_put_i32(w, col, (int32_t)iv);
                break;
            default:
                memcpy(&iv, at, 8);
                rc = pq_put_i64(w, col, iv);
                break;
            }
            at += 8;
        }
        if (rc == 0) {
            rc = pq_end_row(w);
        }
        if (rc < 0) {
            return rc;
        }
        off8 = next8;
    }
    return 0;
}

uint64_t floe_ice_tuple_hash(const struct ice_value *v, int n)
{
    uint64_t h = 0x243F6A8885A308D3ull;
    for (int i = 0; i < n; i++) {
        h = value_hash(h, &v[i]);
    }
    return h;
}

bool floe_ice_tuple_equal(const struct ice_value *a, const struct ice_value *b, int n)
{
    for (int i = 0; i < n; i++) {
        if (!value_equal(&a[i], &b[i])) {
            return false;
        }
    }
    return true;
}
