/* record.c — decode, validate and upsert one record (record.h). */
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int floe_record_apply(struct floe_upsert *u, const struct floe_decoder *dec,
                      const struct floe_rules *rules, struct floe_row *row, const uint8_t *json,
                      size_t n, char *why, size_t cap)
{
    if (floe_decode(dec, json, n, row) < 0) {
        snprintf(why, cap, "%s", row->reason);
        return FLOE_RECORD_REJECTED;
    }
    return floe_record_add(u, rules, row, why, cap);
}

int floe_record_add(struct floe_upsert *u, const struct floe_rules *rules,
                    const struct floe_row *row, char *why, size_t cap)
{
    if (rules && floe_rules_check(rules, &u->data_w.bound, row, why, cap) < 0) {
        return FLOE_RECORD_REJECTED;
    }
    int rc = floe_upsert_add(u, row, why, cap);
    if (rc == -EINVAL) {
        return FLOE_RECORD_REJECTED; /* cannot be partitioned: why says so */
    }
    if (rc == FLOE_UPSERT_STALE) {
        return FLOE_RECORD_STALE;
    }
    return rc == FLOE_UPSERT_ADDED ? FLOE_RECORD_ADDED : rc;
}
