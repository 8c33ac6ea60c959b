/* avro_enc.c — Avro binary encoding of primitive values into a caller-owned buffer.
 *
 * Avro specification, "Binary Encoding". The cursor keeps the first error sticky so a caller can
 * encode a whole record and check once; a put that does not fit writes nothing of its value.
 */
#include "avro.h"

#include <errno.h>
#include <string.h>

/* Zig-zag then base-128 little-endian groups, high bit set on every byte but the last:
 *
 *     zz = (v << 1) ^ (v >> 63)      0 → 00, -1 → 01, 1 → 02, -64 → 7f, 64 → 80 01
 *
 * Computed on uint64_t so that shifting a negative value is well defined. */
size_t avro_varint_encode(int64_t v, uint8_t *dst)
{
    uint64_t u = (uint64_t)v;
    uint64_t zz = (u << 1) ^ (0 - (u >> 63));
    size_t n = 0;

    while (zz >= 0x80) {
        dst[n++] = (uint8_t)(zz | 0x80);
        zz >>= 7;
    }
    dst[n++] = (uint8_t)zz;
    return n;
}

void avro_enc_init(struct avro_enc *e, uint8_t *dst, size_t cap)
{
    e->dst = dst;
    e->cap = dst ? cap : 0;
    e->len = 0;
    e->err = 0;
}

size_t avro_enc_mark(const struct avro_enc *e)
{
    return e->len;
}

void avro_enc_rewind(struct avro_enc *e, size_t mark)
{
    if (mark <= e->len) {
        e->len = mark;
    }
    e->err = 0;
}

/* Appends n raw bytes, all or nothing. */
static int put_raw(struct avro_enc *e, const void *p, size_t n)
{
    if (e->err) {
        return e->err;
    }
    if (n > e->cap - e->len) {
        e->err = -ENOSPC;
        return e->err;
    }
    if (n > 0) {
        memcpy(e->dst + e->len, p, n);
        e->len += n;
    }
    return 0;
}

int avro_put_null(struct avro_enc *e)
{
    return e->err;
}

int avro_put_boolean(struct avro_enc *e, bool v)
{
    uint8_t b = v ? 1 : 0;
    return put_raw(e, &b, 1);
}

int avro_put_long(struct avro_enc *e, int64_t v)
{
    uint8_t tmp[AVRO_LONG_MAX_SIZE];
    size_t n = avro_varint_encode(v, tmp);
    return put_raw(e, tmp, n);
}

int avro_put_int(struct avro_enc *e, int32_t v)
{
    return avro_put_long(e, v);
}

/* float and double: the IEEE 754 bits, little-endian (4 and 8 bytes). */
int avro_put_float(struct avro_enc *e, float v)
{
    uint32_t bits;
    uint8_t b[4];

    memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(bits >> (8 * i));
    }
    return put_raw(e, b, sizeof b);
}

int avro_put_double(struct avro_enc *e, double v)
{
    uint64_t bits;
    uint8_t b[8];

    memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(bits >> (8 * i));
    }
    return put_raw(e, b, sizeof b);
}

/* bytes and string: long length | bytes. Length and bytes go in together or not at all. */
int avro_put_bytes(struct avro_enc *e, const uint8_t *p, size_t n)
{
    uint8_t tmp[AVRO_LONG_MAX_SIZE];
    size_t hn;

    if (e->err) {
        return e->err;
    }
    if (n > (size_t)INT64_MAX) {
        e->err = -EINVAL;
        return e->err;
    }
    hn = avro_varint_encode((int64_t)n, tmp);
    if (hn > e->cap - e->len || n > e->cap - e->len - hn) {
        e->err = -ENOSPC;
        return e->err;
    }
    memcpy(e->dst + e->len, tmp, hn);
    if (n > 0) {
        memcpy(e->dst + e->len + hn, p, n);
    }
    e->len += hn + n;
    return 0;
}

int avro_put_string(struct avro_enc *e, const char *s, size_t n)
{
    return avro_put_bytes(e, (const uint8_t *)s, n);
}

int avro_put_cstring(struct avro_enc *e, const char *s)
{
    return avro_put_bytes(e, (const uint8_t *)s, strlen(s));
}

int avro_put_fixed(struct avro_enc *e, const uint8_t *p, size_t n)
{
    return put_raw(e, p, n);
}

int avro_put_union(struct avro_enc *e, int64_t branch)
{
    if (e->err) {
        return e->err;
    }
    if (branch < 0) {
        e->err = -EINVAL;
        return e->err;
    }
    return avro_put_long(e, branch);
}

int avro_array_begin(struct avro_enc *e, int64_t n)
{
    if (e->err) {
        return e->err;
    }
    if (n < 0) {
        e->err = -EINVAL;
        return e->err;
    }
    if (n == 0) {
        return 0;
    }
    return avro_put_long(e, n);
}

int avro_array_end(struct avro_enc *e)
{
    return avro_put_long(e, 0);
}

int avro_map_begin(struct avro_enc *e, int64_t n)
{
    return avro_array_begin(e, n);
}

int avro_map_end(struct avro_enc *e)
{
    return avro_array_end(e);
}
