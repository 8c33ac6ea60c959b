/* ice_internal.h — helpers shared by the iceberg module's source files; not part of its API.
 *
 * Decimal arithmetic on 16-byte big-endian two's-complement unscaled values (ice_decimal.c) and
 * the calendar and number formatting used by human strings (ice_path.c, ice_transform.c).
 */
#ifndef FLOE_ICE_INTERNAL_H
#define FLOE_ICE_INTERNAL_H

#include "iceberg.h"

/* Decimal digits of the largest 128-bit magnitude (2^127 has 39). */
#define ICE_DEC_MAX_DIGITS 40

bool ice__dec_negative(const uint8_t dec[ICE_DECIMAL_BYTES]);
/* Two's-complement negation in place. */
void ice__dec_negate(uint8_t dec[ICE_DECIMAL_BYTES]);
/* Divides an unsigned big-endian magnitude by d (> 0) in place; returns the remainder. */
uint32_t ice__dec_divmod_small(uint8_t mag[ICE_DECIMAL_BYTES], uint32_t d);
bool ice__dec_is_zero(const uint8_t mag[ICE_DECIMAL_BYTES]);
/* dec -= r; false if the result wrapped past the minimum 128-bit value. */
bool ice__dec_sub_small(uint8_t dec[ICE_DECIMAL_BYTES], uint32_t r);
/* The decimal digits of |dec| into buf (ICE_DEC_MAX_DIGITS bytes, not NUL-terminated); returns
 * their count and sets *negative. */
size_t ice__dec_digits(const uint8_t dec[ICE_DECIMAL_BYTES], char *buf, bool *negative);

#endif
