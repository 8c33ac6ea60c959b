/* ice_hash.c — the 32-bit hash of Iceberg's bucket transform (spec Appendix B).
 *
 * Murmur3, x86 32-bit variant, seed 0, over a per-type byte form: integers of every width as
 * 8 little-endian bytes (so an int promoted to long keeps its bucket), strings as UTF-8,
 * decimals as their minimal big-endian two's-complement unscaled bytes, UUIDs big-endian.
 */
#include "iceberg.h"

#include <errno.h>
#include <string.h>

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static int32_t as_signed(uint32_t u)
{
    int32_t s;
    memcpy(&s, &u, sizeof s);
    return s;
}

/* Body: 4-byte little-endian blocks; tail: the last 1-3 bytes; then the length and fmix. */
int32_t ice_murmur3_32(const uint8_t *data, size_t len, uint32_t seed)
{
    const uint32_t c1 = 0xcc9e2d51;
    const uint32_t c2 = 0x1b873593;
    uint32_t h = seed;
    size_t nblocks = len / 4;
    uint32_t k;

    for (size_t i = 0; i < nblocks; i++) {
        const uint8_t *b = data + 4 * i;
        k = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64;
    }

    k = 0;
    switch (len & 3) {
    case 3:
        k ^= (uint32_t)data[4 * nblocks + 2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t)data[4 * nblocks + 1] << 8;
        /* fall through */
    case 1:
        k ^= data[4 * nblocks];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        break;
    default:
        break;
    }

    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return as_signed(h);
}

int32_t ice_hash_long(int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t b[8];

    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(u >> (8 * i));
    }
    return ice_murmur3_32(b, sizeof b, 0);
}

int32_t ice_hash_bytes(const uint8_t *p, size_t n)
{
    static const uint8_t empty[1];
    return ice_murmur3_32(n ? p : empty, n, 0);
}

/* doubleToLongBits with NaN canonicalised to 0x7ff8000000000000 and -0.0 to 0.0. */
static int32_t hash_double(double d)
{
    uint64_t bits;

    if (d != d) {
        bits = 0x7ff8000000000000ULL;
    } else if (d == 0.0) {
        bits = 0;
    } else {
        memcpy(&bits, &d, sizeof bits);
    }
    return ice_hash_long((int64_t)bits);
}

int ice_hash_value(const struct ice_value *v, int32_t *hash)
{
    size_t start, n;

    *hash = 0;
    if (v->is_null) {
        return -EINVAL;
    }
    switch (v->type) {
    case ICE_BOOLEAN:
        *hash = ice_hash_long(v->v.b ? 1 : 0);
        return 0;
    case ICE_INT:
    case ICE_DATE:
        *hash = ice_hash_long(v->v.i);
        return 0;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
        *hash = ice_hash_long(v->v.l);
        return 0;
    case ICE_FLOAT:
        *hash = hash_double((double)v->v.f);
        return 0;
    case ICE_DOUBLE:
        *hash = hash_double(v->v.d);
        return 0;
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
        *hash = ice_hash_bytes(v->v.bin.p, v->v.bin.n);
        return 0;
    case ICE_UUID:
        *hash = ice_hash_bytes(v->v.uuid, ICE_UUID_BYTES);
        return 0;
    case ICE_DECIMAL:
        ice_decimal_minimal(v->v.dec, &start, &n);
        *hash = ice_hash_bytes(v->v.dec + start, n);
        return 0;
    }
    return -EINVAL;
}

int32_t ice_bucket_of_hash(int32_t hash, int32_t n)
{
    if (n <= 0) {
        return 0;
    }
    return (int32_t)(((uint32_t)hash & 0x7FFFFFFFu) % (uint32_t)n);
}
