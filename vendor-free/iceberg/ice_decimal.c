/* ice_decimal.c — arithmetic on Iceberg decimals held as 16-byte unscaled values.
 *
 * A decimal(P, S) with P <= 38 fits a 128-bit two's-complement integer; floe keeps it as 16
 * big-endian bytes, the order Appendix D serializes, so that the module needs no 128-bit
 * integer type (absent on 32-bit ARM). Only what transforms, hashing and paths need is here:
 * the minimal byte form, remainder by a positive int32 width, subtraction of a small value,
 * and conversion to decimal digits.
 */
#include "ice_internal.h"

#include <string.h>

struct ice_value ice_decimal(int64_t unscaled, int32_t scale)
{
    struct ice_value v;
    uint64_t u = (uint64_t)unscaled;
    uint8_t fill = unscaled < 0 ? 0xff : 0x00;

    memset(&v, 0, sizeof v);
    v.type = ICE_DECIMAL;
    v.scale = scale;
    memset(v.v.dec, fill, ICE_DECIMAL_BYTES);
    for (int i = 0; i < 8; i++) {
        v.v.dec[ICE_DECIMAL_BYTES - 1 - i] = (uint8_t)(u >> (8 * i));
    }
    return v;
}

/* Leading 0x00 bytes go while the next byte's top bit is 0, leading 0xff bytes while it is 1:
 * 0 → 00, 127 → 7f, 128 → 00 80, -1 → ff, -128 → 80, -129 → ff 7f. */
void ice_decimal_minimal(const uint8_t dec[ICE_DECIMAL_BYTES], size_t *start, size_t *n)
{
    size_t i = 0;

    while (i < ICE_DECIMAL_BYTES - 1) {
        if (dec[i] == 0x00 && !(dec[i + 1] & 0x80)) {
            i++;
        } else if (dec[i] == 0xff && (dec[i + 1] & 0x80)) {
            i++;
        } else {
            break;
        }
    }
    *start = i;
    *n = ICE_DECIMAL_BYTES - i;
}

bool ice__dec_negative(const uint8_t dec[ICE_DECIMAL_BYTES])
{
    return (dec[0] & 0x80) != 0;
}

void ice__dec_negate(uint8_t dec[ICE_DECIMAL_BYTES])
{
    unsigned carry = 1;

    for (size_t i = ICE_DECIMAL_BYTES; i > 0; i--) {
        unsigned x = (unsigned)(uint8_t)~dec[i - 1] + carry;
        dec[i - 1] = (uint8_t)x;
        carry = x >> 8;
    }
}

/* The remainder of a magnitude (unsigned big-endian) divided by d, and the quotient in place. */
uint32_t ice__dec_divmod_small(uint8_t mag[ICE_DECIMAL_BYTES], uint32_t d)
{
    uint64_t rem = 0;

    for (size_t i = 0; i < ICE_DECIMAL_BYTES; i++) {
        uint64_t cur = (rem << 8) | mag[i];
        mag[i] = (uint8_t)(cur / d);
        rem = cur % d;
    }
    return (uint32_t)rem;
}

bool ice__dec_is_zero(const uint8_t mag[ICE_DECIMAL_BYTES])
{
    for (size_t i = 0; i < ICE_DECIMAL_BYTES; i++) {
        if (mag[i]) {
            return false;
        }
    }
    return true;
}

/* v - r for 0 <= r < 2^31; returns false when the result wraps below the minimum. */
bool ice__dec_sub_small(uint8_t dec[ICE_DECIMAL_BYTES], uint32_t r)
{
    bool was_negative = ice__dec_negative(dec);
    unsigned borrow = 0;

    for (size_t i = ICE_DECIMAL_BYTES; i > 0; i--) {
        int x = (int)dec[i - 1] - (int)(r & 0xff) - (int)borrow;
        r >>= 8;
        borrow = x < 0;
        dec[i - 1] = (uint8_t)(x < 0 ? x + 256 : x);
    }
    /* Subtracting a non-negative amount may only turn a negative value positive by wrapping. */
    return !(was_negative && !ice__dec_negative(dec));
}

size_t ice__dec_digits(const uint8_t dec[ICE_DECIMAL_BYTES], char *buf, bool *negative)
{
    uint8_t mag[ICE_DECIMAL_BYTES];
    char rev[ICE_DEC_MAX_DIGITS];
    size_t n = 0;

    memcpy(mag, dec, ICE_DECIMAL_BYTES);
    *negative = ice__dec_negative(mag);
    if (*negative) {
        ice__dec_negate(mag);
    }
    do {
        rev[n++] = (char)('0' + ice__dec_divmod_small(mag, 10));
    } while (!ice__dec_is_zero(mag) && n < ICE_DEC_MAX_DIGITS);
    for (size_t i = 0; i < n; i++) {
        buf[i] = rev[n - 1 - i];
    }
    return n;
}
