/* pq_read.c — reads a Parquet footer (FileMetaData) back into caller-provided arrays.
 *
 * Used by tests and by tools that inspect files floe wrote; the bytes come from storage and are
 * treated as hostile: the Thrift reader bounds every read, each field's wire type is checked
 * against parquet.thrift before it is used, unknown fields are skipped, and the required fields
 * must be present. Strings and binaries are views into the caller's buffer.
 *
 *   file: ... | FileMetaData (compact Thrift) | u32 LE length | "PAR1"
 */
#include "pq_internal.h"

#include <errno.h>

#include "thrift.h"

#define TRY(expr)                                                                                \
    do {                                                                                         \
        int rc__ = (expr);                                                                       \
        if (rc__) {                                                                              \
            return rc__;                                                                         \
        }                                                                                        \
    } while (0)

/* A field of the wrong wire type is malformed input. */
#define EXPECT(type, want)                                                                       \
    do {                                                                                         \
        if ((type) != (want)) {                                                                  \
            return -EBADMSG;                                                                     \
        }                                                                                        \
    } while (0)

static int read_view(struct thr_reader *r, struct pq_view *v)
{
    return thr_read_binary(r, &v->p, &v->n);
}

static int is_bool(uint8_t t)
{
    return t == THR_TRUE || t == THR_FALSE;
}

/* TimeUnit / LogicalType unions: the id of the one field present (-1 if none). */
static int read_union_id(struct thr_reader *r, int32_t *id_out, struct pq_schema_node *ts)
{
    uint8_t type;
    int16_t id;
    *id_out = -1;
    TRY(thr_read_struct_begin(r));
    for (;;) {
        TRY(thr_read_field_begin(r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        EXPECT(type, THR_STRUCT);
        *id_out = id;
        if (ts != NULL && id == 8) {
            /* TimestampType {1: isAdjustedToUTC, 2: unit} */
            TRY(thr_read_struct_begin(r));
            for (;;) {
                uint8_t t2;
                int16_t id2;
                TRY(thr_read_field_begin(r, &t2, &id2));
                if (t2 == THR_STOP) {
                    break;
                }
                if (id2 == 1) {
                    EXPECT(is_bool(t2), 1);
                    TRY(thr_read_bool(r, &ts->ts_utc));
                } else if (id2 == 2) {
                    EXPECT(t2, THR_STRUCT);
                    TRY(read_union_id(r, &ts->ts_unit, NULL));
                } else {
                    TRY(thr_skip(r, t2));
                }
            }
            TRY(thr_read_struct_end(r));
        } else {
            TRY(thr_skip(r, type));
        }
    }
    return thr_read_struct_end(r);
}

static int read_schema_node(struct thr_reader *r, struct pq_schema_node *s)
{
    uint8_t type;
    int16_t id;
    bool has_name = false;
    memset(s, 0, sizeof(*s));
    s->type = s->repetition = s->num_children = s->converted_type = -1;
    s->logical_type = s->ts_unit = -1;
    TRY(thr_read_struct_begin(r));
    for (;;) {
        TRY(thr_read_field_begin(r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        switch (id) {
        case 1:
            EXPECT(type, THR_I32);
            TRY(thr_read_i32(r, &s->type));
            break;
        case 3:
            EXPECT(type, THR_I32);
            TRY(thr_read_i32(r, &s->repetition));
            break;
        case 4:
            EXPECT(type, THR_BINARY);
            TRY(read_view(r, &s->name));
            has_name = true;
            break;
        case 5:
            EXPECT(type, THR_I32);
            TRY(thr_read_i32(r, &s->num_children));
            break;
        case 6:
            EXPECT(type, THR_I32);
            TRY(thr_read_i32(r, &s->converted_type));
            break;
        case 9:
            EXPECT(type, THR_I32);
            TRY(thr_read_i32(r, &s->field_id));
            s->has_field_id = true;
            break;
        case 10:
            EXPECT(type, THR_STRUCT);
            TRY(read_union_id(r, &s->logical_type, s));
            break;
        default:
            TRY(thr_skip(r, type));
        }
    }
    TRY(thr_read_struct_end(r));
    return has_name ? 0 : -EBADMSG;
}

static int read_stats(struct thr_reader *r, struct pq_chunk_meta *c)
{
    uint8_t type;
    int16_t id;
    c->has_stats = true;
    TRY(thr_read_struct_begin(r));
    for (;;) {
        TRY(thr_read_field_begin(r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        switch (id) {
        case 3:
            EXPECT(type, THR_I64);
            TRY(thr_read_i64(r, &c->null_count));
            c->has_null_count = true;
            break;
        case 5:
            EXPECT(type, THR_BINARY);
            TRY(read_view(r, &c->max_value));
            c->has_max = true;
            break;
        case 6:
            EXPECT(type, THR_BINARY);
            TRY(read_view(r, &c->min_value));
            c->has_min = true;
            break;
        case 7:
            EXPECT(is_bool(type), 1);
            TRY(thr_read_bool(r, &c->max_exact));
            break;
        case 8:
            EXPECT(is_bool(type), 1);
            TRY(thr_read_bool(r, &c->min_exact));
            break;
        case 9:
            EXPECT(type, THR_I64);
            TRY(thr_read_i64(r, &c->nan_count));
            c->has_nan_count = true;
            break;
        default:
            TRY(thr_skip(r, type));
        }
    }
    return thr_read_struct_end(r);
}

static int read_column_meta(struct thr_reader *r, struct pq_chunk_meta *c)
{
    uint8_t type, et;
    int16_t id;
    uint32_t n;
    unsigned seen = 0;
    TRY(thr_read_struct_begin(r));
    for (;;) {
        TRY(thr_read_field_begin(r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        switch (id) {
        case 1:
        case 4:
            EXPECT(type, THR_I32);
            TRY(thr_read_i32(r, id == 1 ? &c->type : &c->codec));
            break;
        case 2:
            EXPECT(type, THR_LIST);
            TRY(thr_read_list_begin(r, &et, &n));
            EXPECT(et, THR_I32);
            for (uint32_t i = 0; i < n; i++) {
                int32_t e;
                TRY(thr_read_i32(r, &e));
                if (e >= 0 && e < 32) {
                    c->encodings |= 1u << e;
                }
            }
            break;
        case 3:
            EXPECT(type, THR_LIST);
            TRY(thr_read_list_begin(r, &et, &n));
            EXPECT(et, THR_BINARY);
            c->path_len = n;
            for (uint32_t i = 0; i < n; i++) {
                struct pq_view v;
                TRY(read_view(r, &v));
                if (i == 0) {
                    c->path0 = v;
                }
            }
            break;
        case 5:
        case 6:
        case 7:
        case 9:
        case 11: {
            int64_t v;
            EXPECT(type, THR_I64);
            TRY(thr_read_i64(r, &v));
            if (id == 5) {
                c->num_values = v;
            } else if (id == 6) {
                c->total_uncompressed_size = v;
            } else if (id == 7) {
                c->total_compressed_size = v;
            } else if (id == 9) {
                c->data_page_offset = v;
            } else {
                c->dictionary_page_offset = v;
            }
            break;
        }
        case 12:
            EXPECT(type, THR_STRUCT);
            TRY(read_stats(r, c));
            break;
        default:
            TRY(thr_skip(r, type));
        }
        if (id >= 1 && id <= 9) {
            seen |= 1u << id;
        }
    }
    TRY(thr_read_struct_end(r));
    /* required: 1 type, 2 encodings, 3 path, 4 codec, 5 num_values, 6, 7 sizes, 9 data page */
    const unsigned need = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
                          (1u << 7) | (1u << 9);
    return (seen & need) == need ? 0 : -EBADMSG;
}

static int read_chunk(struct thr_reader *r, struct pq_chunk_meta *c)
{
    uint8_t type;
    int16_t id;
    bool has_meta = false;
    memset(c, 0, sizeof(*c));
    c->dictionary_page_offset = -1;
    TRY(thr_read_struct_begin(r));
    for (;;) {
        TRY(thr_read_field_begin(r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        if (id == 3) {
            EXPECT(type, THR_STRUCT);
            TRY(read_column_meta(r, c));
            has_meta = true;
        } else {
            TRY(thr_skip(r, type));
        }
    }
    TRY(thr_read_struct_end(r));
    return has_meta ? 0 : -EBADMSG;
}

static int read_row_group(struct thr_reader *r, struct pq_footer *f, struct pq_row_group_meta *g)
{
    uint8_t type, et;
    int16_t id;
    uint32_t n;
    unsigned seen = 0;
    memset(g, 0, sizeof(*g));
    g->file_offset = g->total_compressed_size = -1;
    g->first_chunk = f->nchunks;
    TRY(thr_read_struct_begin(r));
    for (;;) {
        TRY(thr_read_field_begin(r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        switch (id) {
        case 1:
            EXPECT(type, THR_LIST);
            TRY(thr_read_list_begin(r, &et, &n));
            EXPECT(et, THR_STRUCT);
            for (uint32_t i = 0; i < n; i++) {
                if (f->nchunks >= f->chunks_cap) {
                    return -ENOSPC;
                }
                TRY(read_chunk(r, &f->chunks[f->nchunks++]));
            }
            g->nchunks += n;
            break;
        case 2:
        case 3:
        case 5:
        case 6: {
            int64_t v;
            EXPECT(type, THR_I64);
            TRY(thr_read_i64(r, &v));
            if (id == 2) {
                g->total_byte_size = v;
            } else if (id == 3) {
                g->num_rows = v;
            } else if (id == 5) {
                g->file_offset = v;
            } else {
                g->total_compressed_size = v;
            }
            break;
        }
        default:
            TRY(thr_skip(r, type));
        }
        if (id >= 1 && id <= 3) {
            seen |= 1u << id;
        }
    }
    TRY(thr_read_struct_end(r));
    return seen == 0xE ? 0 : -EBADMSG;
}

static int read_kv(struct thr_reader *r, struct pq_kv_view *kv)
{
    uint8_t type;
    int16_t id;
    bool has_key = false;
    memset(kv, 0, sizeof(*kv));
    TRY(thr_read_struct_begin(r));
    for (;;) {
        TRY(thr_read_field_begin(r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        if (id == 1 || id == 2) {
            EXPECT(type, THR_BINARY);
            TRY(read_view(r, id == 1 ? &kv->key : &kv->value));
            has_key |= id == 1;
            kv->has_value |= id == 2;
        } else {
            TRY(thr_skip(r, type));
        }
    }
    TRY(thr_read_struct_end(r));
    return has_key ? 0 : -EBADMSG;
}

int pq_read_footer(const uint8_t *file, size_t len, struct pq_footer *f)
{
    struct thr_reader r;
    uint8_t type, et;
    int16_t id;
    uint32_t n;
    unsigned seen = 0;

    if (file == NULL || len < 8 || memcmp(file + len - 4, "PAR1", 4) != 0) {
        return -EBADMSG;
    }
    uint32_t flen = pq__rd32(file + len - 8);
    if (flen > len - 8 || flen == 0) {
        return -EBADMSG;
    }
    f->footer_len = flen;
    f->version = 0;
    f->num_rows = 0;
    f->nschema = f->nrow_groups = f->nchunks = f->nkv = 0;
    f->ncolumn_orders = f->ntype_orders = 0;
    f->created_by.p = NULL;
    f->created_by.n = 0;
    thr_reader_init(&r, file + len - 8 - flen, flen);
    for (;;) {
        TRY(thr_read_field_begin(&r, &type, &id));
        if (type == THR_STOP) {
            break;
        }
        switch (id) {
        case 1:
            EXPECT(type, THR_I32);
            TRY(thr_read_i32(&r, &f->version));
            break;
        case 3:
            EXPECT(type, THR_I64);
            TRY(thr_read_i64(&r, &f->num_rows));
            break;
        case 6:
            EXPECT(type, THR_BINARY);
            TRY(read_view(&r, &f->created_by));
            break;
        case 2:
        case 4:
        case 5:
        case 7:
            EXPECT(type, THR_LIST);
            TRY(thr_read_list_begin(&r, &et, &n));
            EXPECT(et, THR_STRUCT);
            for (uint32_t i = 0; i < n; i++) {
                if (id == 2) {
                    if (f->nschema >= f->schema_cap) {
                        return -ENOSPC;
                    }
                    TRY(read_schema_node(&r, &f->schema[f->nschema++]));
                } else if (id == 4) {
                    if (f->nrow_groups >= f->row_groups_cap) {
                        return -ENOSPC;
                    }
                    TRY(read_row_group(&r, f, &f->row_groups[f->nrow_groups++]));
                } else if (id == 5) {
                    if (f->nkv >= f->kv_cap) {
                        return -ENOSPC;
                    }
                    TRY(read_kv(&r, &f->kv[f->nkv++]));
                } else {
                    int32_t which;
                    TRY(read_union_id(&r, &which, NULL));
                    f->ncolumn_orders++;
                    f->ntype_orders += which == 1;
                }
            }
            break;
        default:
            TRY(thr_skip(&r, type));
        }
        if (id >= 1 && id <= 4) {
            seen |= 1u << id;
        }
    }
    if (seen != 0x1E || f->nschema == 0) {
        return -EBADMSG;
    }
    return 0;
}
