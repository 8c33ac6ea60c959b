/* pq_encode.c — pure encoders for the Parquet writer: the RLE/bit-packed hybrid (definition
 * levels and dictionary indices), UTF-8 validation and cutting, bound increments for truncated
 * statistics, byte-array min/max tracking, and the dictionary's byte hash.
 *
 * Spec: parquet-format Encodings.md ("Run Length Encoding / Bit-Packing Hybrid"), SPEC-NOTES §6.
 */
#include "pq_internal.h"

#include <errno.h>
#include <math.h>

#include "thrift.h"

/* RLE/bit-packed hybrid, without the length prefix (callers add it for V1 levels):
 *
 *   rle-run        := varint(count << 1)          value: ceil(bw/8) bytes, little-endian
 *   bit-packed-run := varint(groups << 1 | 1)     groups*8 values, bw bits each, LSB first
 *
 *   bw=1, ten 1s                 -> 14 01
 *   bw=3, 0 1 2 3 4 5 6 7        -> 03 88 C6 FA
 *
 * Runs of 8 or more equal values become RLE runs (a final run also when nothing precedes it);
 * everything else is gathered into bit-packed runs. A bit-packed run that is followed by an RLE
 * run must hold a multiple of 8 values, so it borrows up to 7 values from the run; the last
 * bit-packed run of the data is padded with zero bits.
 */
#define GET(i) (v8 ? (uint32_t)v8[i] : v32[i])

size_t pq_rle_bound(size_t n, unsigned bw)
{
    unsigned vb = (bw + 7) / 8;
    return (n / 8 + 2) * (10 + vb) + ((n + 15) / 8) * bw;
}

static size_t emit_packed(const uint8_t *v8, const uint32_t *v32, size_t start, size_t count,
                          unsigned bw, uint8_t *dst)
{
    size_t groups = (count + 7) / 8;
    size_t o = thr_put_uvarint(dst, ((uint64_t)groups << 1) | 1);
    uint64_t acc = 0;
    unsigned nbits = 0;
    for (size_t k = 0; k < groups * 8; k++) {
        uint64_t v = k < count ? GET(start + k) : 0;
        acc |= v << nbits;
        nbits += bw;
        while (nbits >= 8) {
            dst[o++] = (uint8_t)acc;
            acc >>= 8;
            nbits -= 8;
        }
    }
    return o;
}

static size_t emit_rle(uint32_t v, size_t count, unsigned bw, uint8_t *dst)
{
    size_t o = thr_put_uvarint(dst, (uint64_t)count << 1);
    for (unsigned b = 0; b < (bw + 7) / 8; b++) {
        dst[o++] = (uint8_t)(v >> (8 * b));
    }
    return o;
}

int pq_rle_encode(const uint8_t *v8, const uint32_t *v32, size_t n, unsigned bw, uint8_t *dst,
                  size_t cap, size_t *len)
{
    if (bw > 32 || (v8 == NULL) == (v32 == NULL) || n > ((size_t)1 << 31) - 1) {
        return -EINVAL;
    }
    unsigned vb = (bw + 7) / 8;
    size_t out = 0, lit_start = 0, nlit = 0, i = 0;
    while (i < n) {
        uint32_t v = GET(i);
        if (bw < 32 && (v >> bw) != 0) {
            return -EINVAL;
        }
        size_t r = 1;
        while (i + r < n && GET(i + r) == v) {
            r++;
        }
        size_t pad = (8 - nlit % 8) % 8;
        bool rle = (nlit == 0 && (r >= 8 || i + r == n)) || (nlit > 0 && r >= pad + 8);
        if (!rle) {
            if (nlit == 0) {
                lit_start = i;
            }
            nlit += r;
            i += r;
            continue;
        }
        if (nlit > 0) {
            nlit += pad;
            i += pad;
            r -= pad;
            size_t need = 5 + (nlit / 8) * bw;
            if (need > cap - out) {
                return -ENOSPC;
            }
            out += emit_packed(v8, v32, lit_start, nlit, bw, dst + out);
            nlit = 0;
        }
        if (5 + vb > cap - out) {
            return -ENOSPC;
        }
        out += emit_rle(v, r, bw, dst + out);
        i += r;
    }
    if (nlit > 0) {
        size_t need = 5 + ((nlit + 7) / 8) * bw;
        if (need > cap - out) {
            return -ENOSPC;
        }
        out += emit_packed(v8, v32, lit_start, nlit, bw, dst + out);
    }
    *len = out;
    return 0;
}

#undef GET

bool pq_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((b & 0xE0) == 0xC0) {
            k = 1;
            cp = b & 0x1F;
            min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            k = 2;
            cp = b & 0x0F;
            min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            k = 3;
            cp = b & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (k > n - i - 1) {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += k + 1;
    }
    return true;
}

size_t pq__utf8_cut(const uint8_t *p, size_t n, size_t max)
{
    size_t pos = max < n ? max : n;
    while (pos > 0 && pos < n && (p[pos] & 0xC0) == 0x80) {
        pos--;
    }
    return pos;
}

static size_t utf8_put(uint8_t *d, uint32_t cp)
{
    if (cp < 0x80) {
        d[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (uint8_t)(0xC0 | (cp >> 6));
        d[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (uint8_t)(0xE0 | (cp >> 12));
        d[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | (cp >> 18));
    d[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

size_t pq__increment(const uint8_t *p, size_t n, bool utf8, uint8_t *dst)
{
    if (n > 0) {
        memcpy(dst, p, n);
    }
    if (!utf8) {
        while (n > 0) {
            if (dst[n - 1] != 0xFF) {
                dst[n - 1]++;
                return n;
            }
            n--;
        }
        return 0;
    }
    while (n > 0) {
        size_t s = n - 1;
        while (s > 0 && (dst[s] & 0xC0) == 0x80) {
            s--;
        }
        uint8_t b = dst[s];
        size_t k = n - s - 1;
        uint32_t cp = k == 0 ? b : k == 1 ? b & 0x1F : k == 2 ? b & 0x0F : b & 0x07;
        for (size_t j = 1; j <= k; j++) {
            cp = (cp << 6) | (dst[s + j] & 0x3F);
        }
        cp++;
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xE000;
        }
        if (cp <= 0x10FFFF && k <= 3) {
            return s + utf8_put(dst + s, cp);
        }
        n = s;
    }
    return 0;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c != 0) {
        return c;
    }
    return an < bn ? -1 : an > bn;
}

void pq__stat_reset(struct pq__stat *s)
{
    s->count = 0;
    s->imin = INT64_MAX;
    s->imax = INT64_MIN;
    s->dmin = INFINITY;
    s->dmax = -INFINITY;
    s->minb_len = UINT32_MAX;
    s->maxb_len = UINT32_MAX;
}

void pq__stat_bytes_min(struct pq__stat *s, const uint8_t *p, size_t n)
{
    size_t k = n < s->cap ? n : s->cap;
    if (s->minb_len == UINT32_MAX || cmp_bytes(p, k, s->minb, s->minb_len) < 0) {
        if (k) {
            memcpy(s->minb, p, k);
        }
        s->minb_len = (uint32_t)k;
    }
}

void pq__stat_bytes_max(struct pq__stat *s, const uint8_t *p, size_t n)
{
    size_t k = n < s->cap ? n : s->cap;
    if (s->maxb_len == UINT32_MAX || cmp_bytes(p, k, s->maxb, s->maxb_len) > 0) {
        if (k) {
            memcpy(s->maxb, p, k);
        }
        s->maxb_len = (uint32_t)k;
    }
}

bool pq__bytes_lower(const struct pq__stat *s, size_t max, bool utf8, uint8_t *dst, size_t *len,
                     bool *exact)
{
    if (s->minb_len == UINT32_MAX) {
        return false;
    }
    size_t n = s->minb_len;
    *exact = n <= max;
    if (!*exact) {
        n = utf8 ? pq__utf8_cut(s->minb, n, max) : max;
    }
    if (n) {
        memcpy(dst, s->minb, n);
    }
    *len = n;
    return true;
}

bool pq__bytes_upper(const struct pq__stat *s, size_t max, bool utf8, uint8_t *dst, size_t *len,
                     bool *exact)
{
    if (s->maxb_len == UINT32_MAX) {
        return false;
    }
    size_t n = s->maxb_len;
    *exact = n <= max;
    if (*exact) {
        if (n) {
            memcpy(dst, s->maxb, n);
        }
        *len = n;
        return true;
    }
    n = utf8 ? pq__utf8_cut(s->maxb, n, max) : max;
    n = pq__increment(s->maxb, n, utf8, dst);
    *len = n;
    return n > 0;
}

/* Hash of a dictionary key (only ever compared within one writer). The bytes are read with
 * whole-word loads only: the last word overlaps the one before it rather than being gathered
 * byte by byte, and keys under 8 bytes take two overlapping 4-byte loads or three single bytes.
 * A byte-wise tail stored into a word and read back stalls on store forwarding, which made the
 * tail cost more than the rest on short strings (names, codes). The length is mixed in first,
 * so keys that differ only in length and overlap still hash apart. */
uint64_t pq__hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xFF51AFD7ED558CCDull);
    uint64_t x;
    if (n >= 8) {
        const uint8_t *last = p + n - 8;
        while (p < last) {
            memcpy(&x, p, 8);
            h = (h ^ x) * 0xBF58476D1CE4E5B9ull;
            h ^= h >> 29;
            p += 8;
        }
        memcpy(&x, last, 8);
    } else if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        x = lo | (uint64_t)hi << 32;
    } else if (n > 0) {
        x = p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    } else {
        x = 0;
    }
    h = (h ^ x) * 0x94D049BB133111EBull;
    h ^= h >> 32;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h;
}
