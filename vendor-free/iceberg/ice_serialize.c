/* ice_serialize.c — Iceberg binary single-value serialization (spec Appendix D).
 *
 * The form of lower/upper bounds in manifests and of partition summaries in manifest lists.
 * Numbers are little-endian, UUIDs and decimals big-endian, strings and binaries their bytes
 * with no length (the enclosing Avro bytes value carries it).
 */
#include "ice_internal.h"

#include <errno.h>
#include <string.h>

static void put_le(uint8_t *dst, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Layouts:
 *
 *     boolean             00 | 01
 *     int, date           i32 LE             34 → 22 00 00 00
 *     long, time, ts(tz)  i64 LE
 *     float / double      IEEE 754 LE        1.0f → 00 00 80 3f
 *     string/binary/fixed raw bytes
 *     uuid                16 bytes as held (big-endian)
 *     decimal             minimal two's-complement big-endian unscaled value
 */
int ice_serialize(const struct ice_value *v, uint8_t *dst, size_t cap, size_t *len)
{
    uint8_t tmp[ICE_DECIMAL_BYTES];
    const uint8_t *src = tmp;
    size_t n;
    uint32_t f32;
    uint64_t f64;
    size_t start;

    *len = 0;
    if (v->is_null) {
        return -EINVAL;
    }
    switch (v->type) {
    case ICE_BOOLEAN:
        tmp[0] = v->v.b ? 1 : 0;
        n = 1;
        break;
    case ICE_INT:
    case ICE_DATE:
        put_le(tmp, (uint32_t)v->v.i, 4);
        n = 4;
        break;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
        put_le(tmp, (uint64_t)v->v.l, 8);
        n = 8;
        break;
    case ICE_FLOAT:
        memcpy(&f32, &v->v.f, 4);
        put_le(tmp, f32, 4);
        n = 4;
        break;
    case ICE_DOUBLE:
        memcpy(&f64, &v->v.d, 8);
        put_le(tmp, f64, 8);
        n = 8;
        break;
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
        src = v->v.bin.p;
        n = v->v.bin.n;
        break;
    case ICE_UUID:
        src = v->v.uuid;
        n = ICE_UUID_BYTES;
        break;
    case ICE_DECIMAL:
        ice_decimal_minimal(v->v.dec, &start, &n);
        src = v->v.dec + start;
        break;
    default:
        return -EINVAL;
    }
    if (n > cap) {
        return -ENOSPC;
    }
    if (n > 0) {
        memcpy(dst, src, n);
    }
    *len = n;
    return 0;
}

int ice_deserialize(const struct ice_type *t, const uint8_t *p, size_t n, struct ice_value *out)
{
    uint32_t f32;
    uint64_t f64;

    *out = ice_null(t->id);
    out->scale = t->scale;
    if (n > 0 && !p) {
        return -EINVAL;
    }
    switch (t->id) {
    case ICE_BOOLEAN:
        if (n != 1) {
            return -EBADMSG;
        }
        out->v.b = p[0] != 0;
        break;
    case ICE_INT:
    case ICE_DATE:
        if (n != 4) {
            return -EBADMSG;
        }
        f32 = (uint32_t)get_le(p, 4);
        memcpy(&out->v.i, &f32, 4);
        break;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
        if (n != 8) {
            return -EBADMSG;
        }
        f64 = get_le(p, 8);
        memcpy(&out->v.l, &f64, 8);
        break;
    case ICE_FLOAT:
        if (n != 4) {
            return -EBADMSG;
        }
        f32 = (uint32_t)get_le(p, 4);
        memcpy(&out->v.f, &f32, 4);
        break;
    case ICE_DOUBLE:
        if (n != 8) {
            return -EBADMSG;
        }
        f64 = get_le(p, 8);
        memcpy(&out->v.d, &f64, 8);
        break;
    case ICE_FIXED:
        if (t->length < 0 || n != (size_t)t->length) {
            return -EBADMSG;
        }
        /* fall through */
    case ICE_STRING:
    case ICE_BINARY:
        out->v.bin.p = n ? p : NULL;
        out->v.bin.n = n;
        break;
    case ICE_UUID:
        if (n != ICE_UUID_BYTES) {
            return -EBADMSG;
        }
        memcpy(out->v.uuid, p, ICE_UUID_BYTES);
        break;
    case ICE_DECIMAL:
        if (n == 0) {
            return -EBADMSG;
        }
        if (n > ICE_DECIMAL_BYTES) {
            return -EOVERFLOW;
        }
        /* Sign-extend the big-endian bytes to 16. */
        memset(out->v.dec, (p[0] & 0x80) ? 0xff : 0x00, ICE_DECIMAL_BYTES);
        memcpy(out->v.dec + ICE_DECIMAL_BYTES - n, p, n);
        break;
    default:
        return -EINVAL;
    }
    out->is_null = false;
    return 0;
}
