/* record.h — one record through the write path: decode, validate, upsert.
 *
 * The step `floe import` (one NDJSON line) and `floe run` (one Kafka message) share: the raw
 * JSON object is decoded against the upsert's bound columns, checked against the [validate]
 * rules and handed to floe_upsert_add. What to do with a rejected record (stderr, dead letter)
 * and with a full batch (commit now, or later off the loop) stays with the caller.
 */
#ifndef FLOE_RECORD_H
#define FLOE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "upsert.h"
#include "validate.h"

enum {
    FLOE_RECORD_ADDED = 0,    /* in the batch */
    FLOE_RECORD_STALE = 1,    /* dropped: version not newer than the key's (counted by upsert) */
    FLOE_RECORD_REJECTED = 2, /* invalid: the reason is in why */
};

/* floe_record_apply(u, dec, rules, row, json, n, why, cap): decodes json[0..n) with dec (bound
 * to u's columns) into row (its scratch caller-owned), checks rules, and adds the row to u.
 * Returns FLOE_RECORD_ADDED, FLOE_RECORD_STALE, FLOE_RECORD_REJECTED (reason in why[0..cap));
 * -ENOSPC when a batch is full (nothing changed: commit, then apply the record again); another
 * negative errno on a failure of the write path (u->err). rules may be NULL (none). */
int floe_record_apply(struct floe_upsert *u, const struct floe_decoder *dec,
                      const struct floe_rules *rules, struct floe_row *row, const uint8_t *json,
                      size_t n, char *why, size_t cap);

/* floe_record_add(u, rules, row, why, cap): the rest of floe_record_apply for a row that
 * floe_decode has filled (bound to u's columns): checks rules and adds it to u. Returns what
 * floe_record_apply does. */
int floe_record_add(struct floe_upsert *u, const struct floe_rules *rules,
                    const struct floe_row *row, char *why, size_t cap);

#endif
