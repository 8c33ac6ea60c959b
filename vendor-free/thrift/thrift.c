/* thrift.c — Thrift compact protocol writer and bounded reader (see thrift.h).
 *
 * The writer appends to a caller buffer and records the first error; the reader checks every
 * byte it consumes against the end of its input, limits depth, counts and lengths, and never
 * trusts a length prefix further than the remaining input.
 */
#include "thrift.h"

#include <errno.h>
#include <string.h>

/* ---- writer ------------------------------------------------------------------------------ */

void thr_writer_init(struct thr_writer *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
}

int thr_writer_error(const struct thr_writer *w)
{
    return w->err;
}

static void fail(struct thr_writer *w, int err)
{
    if (w->err == 0) {
        w->err = err;
    }
}

static void put(struct thr_writer *w, const void *p, size_t n)
{
    if (w->err) {
        return;
    }
    if (n > w->cap - w->len) {
        fail(w, -ENOSPC);
        return;
    }
    if (n > 0) {
        memcpy(w->buf + w->len, p, n);
    }
    w->len += n;
}

static void put_byte(struct thr_writer *w, uint8_t b)
{
    if (w->err) {
        return;
    }
    if (w->len >= w->cap) {
        fail(w, -ENOSPC);
        return;
    }
    w->buf[w->len++] = b;
}

size_t thr_put_uvarint(uint8_t *dst, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        dst[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    dst[n++] = (uint8_t)v;
    return n;
}

static void put_uvarint(struct thr_writer *w, uint64_t v)
{
    uint8_t tmp[10];
    put(w, tmp, thr_put_uvarint(tmp, v));
}

void thr_field_header(struct thr_writer *w, enum thr_type type, int16_t id)
{
    if (w->err) {
        return;
    }
    if ((unsigned)type > THR_UUID || type == THR_STOP) {
        fail(w, -EINVAL);
        return;
    }
    int delta = (int)id - (int)w->last_id;
    if (delta > 0 && delta <= 15) {
        put_byte(w, (uint8_t)((delta << 4) | (int)type));
    } else {
        put_byte(w, (uint8_t)type);
        put_uvarint(w, thr_zigzag64(id));
    }
    w->last_id = id;
}

void thr_write_bool(struct thr_writer *w, bool v)
{
    put_byte(w, v ? 1 : 0);
}

void thr_write_i8(struct thr_writer *w, int8_t v)
{
    put_byte(w, (uint8_t)v);
}

void thr_write_i16(struct thr_writer *w, int16_t v)
{
    put_uvarint(w, thr_zigzag64(v));
}

void thr_write_i32(struct thr_writer *w, int32_t v)
{
    put_uvarint(w, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

void thr_write_i64(struct thr_writer *w, int64_t v)
{
    put_uvarint(w, thr_zigzag64(v));
}

void thr_write_double(struct thr_writer *w, double v)
{
    uint64_t bits;
    uint8_t b[8];
    memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(bits >> (8 * i));
    }
    put(w, b, 8);
}

void thr_write_binary(struct thr_writer *w, const void *p, size_t n)
{
    if (n > INT32_MAX) {
        fail(w, -EOVERFLOW);
        return;
    }
    put_uvarint(w, n);
    put(w, p, n);
}

void thr_write_list_begin(struct thr_writer *w, enum thr_type elem_type, uint32_t n)
{
    if ((unsigned)elem_type > THR_UUID || elem_type == THR_STOP) {
        fail(w, -EINVAL);
        return;
    }
    if (n > INT32_MAX) {
        fail(w, -EOVERFLOW);
        return;
    }
    if (n < 15) {
        put_byte(w, (uint8_t)((n << 4) | (uint32_t)elem_type));
    } else {
        put_byte(w, (uint8_t)(0xF0 | (uint32_t)elem_type));
        put_uvarint(w, n);
    }
}

void thr_struct_begin(struct thr_writer *w)
{
    if (w->err) {
        return;
    }
    if (w->depth >= THR_MAX_DEPTH) {
        fail(w, -EOVERFLOW);
        return;
    }
    w->stack[w->depth++] = w->last_id;
    w->last_id = 0;
}

void thr_struct_end(struct thr_writer *w)
{
    if (w->err) {
        return;
    }
    if (w->depth == 0) {
        fail(w, -EINVAL);
        return;
    }
    put_byte(w, 0);
    w->last_id = w->stack[--w->depth];
}

void thr_write_stop(struct thr_writer *w)
{
    put_byte(w, 0);
}

void thr_write_raw(struct thr_writer *w, const void *p, size_t n)
{
    put(w, p, n);
}

void thr_field_bool(struct thr_writer *w, int16_t id, bool v)
{
    thr_field_header(w, v ? THR_TRUE : THR_FALSE, id);
}

void thr_field_i8(struct thr_writer *w, int16_t id, int8_t v)
{
    thr_field_header(w, THR_I8, id);
    thr_write_i8(w, v);
}

void thr_field_i16(struct thr_writer *w, int16_t id, int16_t v)
{
    thr_field_header(w, THR_I16, id);
    thr_write_i16(w, v);
}

void thr_field_i32(struct thr_writer *w, int16_t id, int32_t v)
{
    thr_field_header(w, THR_I32, id);
    thr_write_i32(w, v);
}

void thr_field_i64(struct thr_writer *w, int16_t id, int64_t v)
{
    thr_field_header(w, THR_I64, id);
    thr_write_i64(w, v);
}

void thr_field_double(struct thr_writer *w, int16_t id, double v)
{
    thr_field_header(w, THR_DOUBLE, id);
    thr_write_double(w, v);
}

void thr_field_binary(struct thr_writer *w, int16_t id, const void *p, size_t n)
{
    thr_field_header(w, THR_BINARY, id);
    thr_write_binary(w, p, n);
}

void thr_field_string(struct thr_writer *w, int16_t id, const char *s)
{
    thr_field_binary(w, id, s, strlen(s));
}

void thr_field_struct_begin(struct thr_writer *w, int16_t id)
{
    thr_field_header(w, THR_STRUCT, id);
    thr_struct_begin(w);
}

void thr_field_list_begin(struct thr_writer *w, int16_t id, enum thr_type elem_type, uint32_t n)
{
    thr_field_header(w, THR_LIST, id);
    thr_write_list_begin(w, elem_type, n);
}

/* ---- reader ------------------------------------------------------------------------------ */

void thr_reader_init(struct thr_reader *r, const uint8_t *buf, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->len = len;
    r->max_depth = THR_MAX_DEPTH;
    r->max_count = 1u << 24;
    r->max_binary = 1u << 30;
}

int thr_reader_error(const struct thr_reader *r)
{
    return r->err;
}

static int rfail(struct thr_reader *r, int err)
{
    if (r->err == 0) {
        r->err = err;
    }
    return r->err;
}

static int get_byte(struct thr_reader *r, uint8_t *b)
{
    if (r->err) {
        return r->err;
    }
    if (r->pos >= r->len) {
        return rfail(r, -EBADMSG);
    }
    *b = r->buf[r->pos++];
    return 0;
}

/* ULEB128 of at most max_bytes bytes; a longer or unterminated varint is -EBADMSG. Bits beyond
 * 64 in a 10th byte are rejected as -EOVERFLOW. */
static int get_uvarint(struct thr_reader *r, unsigned max_bytes, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < max_bytes; i++) {
        uint8_t b;
        int rc = get_byte(r, &b);
        if (rc) {
            return rc;
        }
        if (i == 9 && (b & 0x7E)) {
            return rfail(r, -EOVERFLOW);
        }
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return rfail(r, -EBADMSG);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int thr_read_field_begin(struct thr_reader *r, uint8_t *type, int16_t *id)
{
    uint8_t b;
    int rc = get_byte(r, &b);
    if (rc) {
        return rc;
    }
    uint8_t t = b & 0x0F;
    if (t == THR_STOP) {
        if (b != 0) {
            return rfail(r, -EBADMSG);
        }
        *type = THR_STOP;
        *id = 0;
        return 0;
    }
    if (t > THR_UUID) {
        return rfail(r, -EBADMSG);
    }
    int32_t fid;
    if (b >> 4) {
        fid = (int32_t)r->last_id + (b >> 4);
    } else {
        uint64_t z;
        rc = get_uvarint(r, 3, &z);
        if (rc) {
            return rc;
        }
        fid = (int32_t)unzigzag(z);
    }
    if (fid < INT16_MIN || fid > INT16_MAX) {
        return rfail(r, -EBADMSG);
    }
    r->last_id = (int16_t)fid;
    r->pending_bool = (t == THR_TRUE || t == THR_FALSE) ? t : 0;
    *type = t;
    *id = (int16_t)fid;
    return 0;
}

int thr_read_struct_begin(struct thr_reader *r)
{
    if (r->err) {
        return r->err;
    }
    if (r->depth >= (int)r->max_depth || r->depth >= THR_MAX_DEPTH) {
        return rfail(r, -EOVERFLOW);
    }
    r->stack[r->depth++] = r->last_id;
    r->last_id = 0;
    r->pending_bool = 0;
    return 0;
}

int thr_read_struct_end(struct thr_reader *r)
{
    if (r->err) {
        return r->err;
    }
    if (r->depth == 0) {
        return rfail(r, -EINVAL);
    }
    r->last_id = r->stack[--r->depth];
    return 0;
}

int thr_read_bool(struct thr_reader *r, bool *v)
{
    if (r->err) {
        return r->err;
    }
    if (r->pending_bool) {
        *v = r->pending_bool == THR_TRUE;
        r->pending_bool = 0;
        return 0;
    }
    uint8_t b;
    int rc = get_byte(r, &b);
    if (rc) {
        return rc;
    }
    if (b > 2) {
        return rfail(r, -EBADMSG);
    }
    *v = b == 1;
    return 0;
}

int thr_read_i8(struct thr_reader *r, int8_t *v)
{
    uint8_t b;
    int rc = get_byte(r, &b);
    if (rc == 0) {
        *v = (int8_t)b;
    }
    return rc;
}

int thr_read_i16(struct thr_reader *r, int16_t *v)
{
    uint64_t z;
    int rc = get_uvarint(r, 3, &z);
    if (rc) {
        return rc;
    }
    int64_t x = unzigzag(z);
    if (x < INT16_MIN || x > INT16_MAX) {
        return rfail(r, -EOVERFLOW);
    }
    *v = (int16_t)x;
    return 0;
}

int thr_read_i32(struct thr_reader *r, int32_t *v)
{
    uint64_t z;
    int rc = get_uvarint(r, 5, &z);
    if (rc) {
        return rc;
    }
    int64_t x = unzigzag(z);
    if (x < INT32_MIN || x > INT32_MAX) {
        return rfail(r, -EOVERFLOW);
    }
    *v = (int32_t)x;
    return 0;
}

int thr_read_i64(struct thr_reader *r, int64_t *v)
{
    uint64_t z;
    int rc = get_uvarint(r, 10, &z);
    if (rc == 0) {
        *v = unzigzag(z);
    }
    return rc;
}

int thr_read_double(struct thr_reader *r, double *v)
{
    if (r->err) {
        return r->err;
    }
    if (r->len - r->pos < 8) {
        return rfail(r, -EBADMSG);
    }
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) {
        bits |= (uint64_t)r->buf[r->pos + i] << (8 * i);
    }
    r->pos += 8;
    memcpy(v, &bits, 8);
    return 0;
}

int thr_read_binary(struct thr_reader *r, const uint8_t **p, uint32_t *n)
{
    uint64_t len;
    int rc = get_uvarint(r, 5, &len);
    if (rc) {
        return rc;
    }
    if (len > r->max_binary || len > INT32_MAX) {
        return rfail(r, -EOVERFLOW);
    }
    if (len > r->len - r->pos) {
        return rfail(r, -EBADMSG);
    }
    *p = r->buf + r->pos;
    *n = (uint32_t)len;
    r->pos += (size_t)len;
    return 0;
}

static int check_count(struct thr_reader *r, uint64_t n, unsigned min_elem_bytes)
{
    if (n > r->max_count || n > INT32_MAX) {
        return rfail(r, -EOVERFLOW);
    }
    if (n * min_elem_bytes > r->len - r->pos) {
        return rfail(r, -EBADMSG);
    }
    return 0;
}

static int valid_elem(uint8_t t)
{
    return t >= THR_TRUE && t <= THR_UUID;
}

int thr_read_list_begin(struct thr_reader *r, uint8_t *elem_type, uint32_t *n)
{
    uint8_t b;
    int rc = get_byte(r, &b);
    if (rc) {
        return rc;
    }
    uint8_t t = b & 0x0F;
    uint64_t count = b >> 4;
    if (!valid_elem(t)) {
        return rfail(r, -EBADMSG);
    }
    if (count == 15) {
        rc = get_uvarint(r, 5, &count);
        if (rc) {
            return rc;
        }
    }
    rc = check_count(r, count, 1);
    if (rc) {
        return rc;
    }
    r->pending_bool = 0;
    *elem_type = t;
    *n = (uint32_t)count;
    return 0;
}

int thr_read_map_begin(struct thr_reader *r, uint8_t *key_type, uint8_t *val_type, uint32_t *n)
{
    uint64_t count;
    int rc = get_uvarint(r, 5, &count);
    if (rc) {
        return rc;
    }
    uint8_t kv = 0;
    if (count > 0) {
        rc = get_byte(r, &kv);
        if (rc) {
            return rc;
        }
        if (!valid_elem(kv >> 4) || !valid_elem(kv & 0x0F)) {
            return rfail(r, -EBADMSG);
        }
    }
    rc = check_count(r, count, 2);
    if (rc) {
        return rc;
    }
    r->pending_bool = 0;
    *key_type = kv >> 4;
    *val_type = kv & 0x0F;
    *n = (uint32_t)count;
    return 0;
}

static int skip_value(struct thr_reader *r, uint8_t type, int in_field)
{
    union {
        bool b;
        int8_t i8;
        int16_t i16;
        int32_t i32;
        int64_t i64;
        double d;
    } u;
    const uint8_t *p;
    uint32_t n;
    uint8_t et, kt;
    int rc;

    if (r->err) {
        return r->err;
    }
    switch (type) {
    case THR_TRUE:
    case THR_FALSE:
        if (in_field) {
            return thr_read_bool(r, &u.b);
        }
        r->pending_bool = 0;
        return thr_read_bool(r, &u.b);
    case THR_I8:
        return thr_read_i8(r, &u.i8);
    case THR_I16:
        return thr_read_i16(r, &u.i16);
    case THR_I32:
        return thr_read_i32(r, &u.i32);
    case THR_I64:
        return thr_read_i64(r, &u.i64);
    case THR_DOUBLE:
        return thr_read_double(r, &u.d);
    case THR_BINARY:
        return thr_read_binary(r, &p, &n);
    case THR_UUID:
        if (r->len - r->pos < 16) {
            return rfail(r, -EBADMSG);
        }
        r->pos += 16;
        return 0;
    case THR_LIST:
    case THR_SET:
        rc = thr_read_list_begin(r, &et, &n);
        if (rc) {
            return rc;
        }
        if (r->depth >= (int)r->max_depth) {
            return rfail(r, -EOVERFLOW);
        }
        r->depth++;
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            rc = skip_value(r, et, 0);
        }
        r->depth--;
        return rc;
    case THR_MAP:
        rc = thr_read_map_begin(r, &kt, &et, &n);
        if (rc) {
            return rc;
        }
        if (r->depth >= (int)r->max_depth) {
            return rfail(r, -EOVERFLOW);
        }
        r->depth++;
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            rc = skip_value(r, kt, 0);
            if (rc == 0) {
                rc = skip_value(r, et, 0);
            }
        }
        r->depth--;
        return rc;
    case THR_STRUCT:
        rc = thr_read_struct_begin(r);
        for (;;) {
            int16_t id;
            if (rc) {
                return rc;
            }
            rc = thr_read_field_begin(r, &et, &id);
            if (rc) {
                return rc;
            }
            if (et == THR_STOP) {
                return thr_read_struct_end(r);
            }
            rc = skip_value(r, et, 1);
        }
    default:
        return rfail(r, -EBADMSG);
    }
}

int thr_skip(struct thr_reader *r, uint8_t type)
{
    return skip_value(r, type, r->pending_bool != 0);
}
