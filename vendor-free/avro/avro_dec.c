/* avro_dec.c — bounds-checked decoding of Avro binary primitives from borrowed input.
 *
 * Avro specification, "Binary Encoding". Input comes from files written by other engines or
 * damaged in transit, so every read checks the bytes left, every length is checked against
 * them before use, and the first error is kept so later reads fail the same way.
 */
#include "avro.h"

#include <errno.h>
#include <string.h>

void avro_dec_init(struct avro_dec *d, const uint8_t *p, size_t len)
{
    /* An empty input still gets a real pointer: arithmetic on NULL, even `+ 0`, is undefined. */
    static const uint8_t empty[1];
    d->p = p ? p : empty;
    d->len = p ? len : 0;
    d->pos = 0;
    d->err = 0;
    d->skip_budget = 4 * (uint64_t)d->len + 64;
}

size_t avro_dec_remaining(const struct avro_dec *d)
{
    return d->err ? 0 : d->len - d->pos;
}

int avro_dec_finish(const struct avro_dec *d)
{
    if (d->err) {
        return d->err;
    }
    return d->pos == d->len ? 0 : -EBADMSG;
}

static int fail(struct avro_dec *d, int err)
{
    if (!d->err) {
        d->err = err;
    }
    return d->err;
}

/* Ten bytes carry 70 bits; the tenth may only hold bit 63, so it must be 0 or 1. */
int avro_varint_decode(const uint8_t *p, size_t len, int64_t *v, size_t *used)
{
    uint64_t zz = 0;

    for (size_t i = 0; i < len && i < AVRO_LONG_MAX_SIZE; i++) {
        uint8_t b = p[i];
        if (i == AVRO_LONG_MAX_SIZE - 1 && b > 1) {
            return -EBADMSG;
        }
        zz |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            uint64_t u = (zz >> 1) ^ (0 - (zz & 1));
            memcpy(v, &u, sizeof *v);
            *used = i + 1;
            return 0;
        }
    }
    return -EBADMSG;
}

int avro_get_long(struct avro_dec *d, int64_t *v)
{
    size_t used;

    *v = 0;
    if (d->err) {
        return d->err;
    }
    if (avro_varint_decode(d->p + d->pos, d->len - d->pos, v, &used) < 0) {
        *v = 0;
        return fail(d, -EBADMSG);
    }
    d->pos += used;
    return 0;
}

int avro_get_int(struct avro_dec *d, int32_t *v)
{
    int64_t l;

    *v = 0;
    if (avro_get_long(d, &l) < 0) {
        return d->err;
    }
    if (l < INT32_MIN || l > INT32_MAX) {
        return fail(d, -EOVERFLOW);
    }
    *v = (int32_t)l;
    return 0;
}

int avro_get_boolean(struct avro_dec *d, bool *v)
{
    *v = false;
    if (d->err) {
        return d->err;
    }
    if (d->pos >= d->len || d->p[d->pos] > 1) {
        return fail(d, -EBADMSG);
    }
    *v = d->p[d->pos++] == 1;
    return 0;
}

static int get_le(struct avro_dec *d, size_t n, uint64_t *bits)
{
    *bits = 0;
    if (d->err) {
        return d->err;
    }
    if (d->len - d->pos < n) {
        return fail(d, -EBADMSG);
    }
    for (size_t i = 0; i < n; i++) {
        *bits |= (uint64_t)d->p[d->pos + i] << (8 * i);
    }
    d->pos += n;
    return 0;
}

int avro_get_float(struct avro_dec *d, float *v)
{
    uint64_t bits;
    uint32_t b32;

    *v = 0;
    if (get_le(d, 4, &bits) < 0) {
        return d->err;
    }
    b32 = (uint32_t)bits;
    memcpy(v, &b32, sizeof *v);
    return 0;
}

int avro_get_double(struct avro_dec *d, double *v)
{
    uint64_t bits;

    *v = 0;
    if (get_le(d, 8, &bits) < 0) {
        return d->err;
    }
    memcpy(v, &bits, sizeof *v);
    return 0;
}

int avro_get_bytes(struct avro_dec *d, const uint8_t **p, size_t *n)
{
    int64_t l;

    *p = NULL;
    *n = 0;
    if (avro_get_long(d, &l) < 0) {
        return d->err;
    }
    if (l < 0 || (uint64_t)l > d->len - d->pos) {
        return fail(d, -EBADMSG);
    }
    *p = l > 0 ? d->p + d->pos : NULL;
    *n = (size_t)l;
    d->pos += (size_t)l;
    return 0;
}

int avro_get_string(struct avro_dec *d, const char **s, size_t *n)
{
    const uint8_t *p;
    int rc = avro_get_bytes(d, &p, n);

    *s = (const char *)p;
    return rc;
}

int avro_get_fixed(struct avro_dec *d, size_t n, const uint8_t **p)
{
    *p = NULL;
    if (d->err) {
        return d->err;
    }
    if (d->len - d->pos < n) {
        return fail(d, -EBADMSG);
    }
    *p = d->p + d->pos;
    d->pos += n;
    return 0;
}

int avro_get_union(struct avro_dec *d, int64_t nbranches, int64_t *branch)
{
    int64_t b;

    *branch = 0;
    if (avro_get_long(d, &b) < 0) {
        return d->err;
    }
    if (b < 0 || b >= nbranches) {
        return fail(d, -EBADMSG);
    }
    *branch = b;
    return 0;
}

/* Block header: long count; when negative, long byte-size follows and |count| items. */
int avro_get_block(struct avro_dec *d, int64_t *n)
{
    int64_t count;
    int64_t size;

    *n = 0;
    if (avro_get_long(d, &count) < 0) {
        return d->err;
    }
    if (count < 0) {
        if (count == INT64_MIN) {
            return fail(d, -EBADMSG);
        }
        count = -count;
        if (avro_get_long(d, &size) < 0) {
            return d->err;
        }
        if (size < 0 || (uint64_t)size > d->len - d->pos) {
            return fail(d, -EBADMSG);
        }
    }
    if ((uint64_t)count > d->len - d->pos) {
        return fail(d, -EBADMSG);
    }
    *n = count;
    return 0;
}

int avro_skip(struct avro_dec *d, size_t n)
{
    if (d->err) {
        return d->err;
    }
    if (d->len - d->pos < n) {
        return fail(d, -EBADMSG);
    }
    d->pos += n;
    return 0;
}

int avro_skip_long(struct avro_dec *d)
{
    int64_t v;
    return avro_get_long(d, &v);
}

int avro_skip_bytes(struct avro_dec *d)
{
    const uint8_t *p;
    size_t n;
    return avro_get_bytes(d, &p, &n);
}
