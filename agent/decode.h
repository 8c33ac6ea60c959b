/* decode.h — JSON records into typed rows of a table schema.
 *
 * One record is one JSON object, from a Kafka message or an NDJSON line. Keys map to columns
 * by exact name; keys that name no column are skipped (any JSON value, nested or not). Each
 * value must fit its column's type:
 *
 *   boolean                true / false
 *   int, long              a JSON integer within range (no fraction, no exponent)
 *   float, double          any JSON number, or the strings "NaN", "Infinity", "-Infinity"
 *   date                   "YYYY-MM-DD", or an integer count of days since 1970-01-01
 *   timestamp              "YYYY-MM-DDTHH:MM:SS[.f]" (no offset; ' ' may replace 'T'), or an
 *                          integer of microseconds since the epoch
 *   timestamptz            the same with a required "Z" or "±hh:mm" offset, or an integer of
 *                          epoch microseconds (UTC)
 *   string                 a JSON string: escapes decoded, well-formed UTF-8 required
 *   binary                 a JSON string of base64 (standard alphabet, padding optional)
 *
 * Fractions of a second take up to 9 digits and are kept to the microsecond (truncated).
 * `null` or an absent key is a null; for a required column either is an error. A key that
 * appears twice for a column is an error. The decoder allocates nothing: string values are
 * views into the input or into the caller's scratch space (for strings with escapes).
 */
#ifndef FLOE_DECODE_H
#define FLOE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h"

#define FLOE_DECODE_REASON_MAX 160
#define FLOE_DECODE_DEPTH_MAX 64

struct floe_cell {
    bool present; /* the key was in the record */
    bool null;    /* the value is null (present or not) */
    union {
        bool b;
        int64_t i; /* int, long, date (days), timestamp(tz) (µs) */
        double d;  /* float, double */
        struct {
            const uint8_t *p;
            uint32_t n;
        } s; /* string, binary: a view valid until the input or scratch is reused */
    } v;
};

/* A decoder for one schema: the column lookup, built once. */
struct floe_decoder {
    const struct floe_schema *schema; /* borrowed for the decoder's life */
    uint16_t slots[512];              /* open-addressed name hash → column index + 1 */
    uint8_t name_len[FLOE_COLUMNS_MAX];
};

/* A decoded record: one cell per schema column, plus the scratch the decoder may write
 * decoded strings into. scratch must be at least as long as the longest record decoded. */
struct floe_row {
    struct floe_cell cells[FLOE_COLUMNS_MAX];
    uint8_t *scratch; /* caller-owned */
    size_t scratch_cap;
    char reason[FLOE_DECODE_REASON_MAX]; /* why the last record was rejected */
};

/* floe_decoder_init(d, schema): prepares the column lookup. schema is borrowed for the
 * decoder's life. Returns 0, or -EINVAL if schema has no columns. */
int floe_decoder_init(struct floe_decoder *d, const struct floe_schema *schema);

/* floe_decode(d, json, len, row): decodes the JSON object json[0..len) into row->cells.
 * Returns 0, or -EINVAL with a one-line reason in row->reason (naming the column); the cells
 * are then unspecified. The input is untrusted: any bytes are safe. String cells may point into
 * json, so json must outlive their use. */
int floe_decode(const struct floe_decoder *d, const uint8_t *json, size_t len,
                struct floe_row *row);

/* floe_parse_timestamp(s, n, need_offset, &us): parses an ISO-8601 timestamp as above into
 * microseconds since the epoch (UTC when an offset is given). need_offset: 1 requires Z or
 * ±hh:mm, 0 forbids an offset. Returns 0, or -EINVAL / -ERANGE with *us unchanged. */
int floe_parse_timestamp(const char *s, size_t n, int need_offset, int64_t *us);

/* floe_parse_date(s, n, &days): "YYYY-MM-DD" into days since 1970-01-01. Returns 0 or
 * -EINVAL with *days unchanged. */
int floe_parse_date(const char *s, size_t n, int32_t *days);

#endif
