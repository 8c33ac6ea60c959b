/* validate.h — per-column rules from the config's [validate] section, checked on decoded rows.
 *
 *     [validate]
 *     age   = min 0, max 150
 *     name  = not_null, max_length 200
 *     email = max_length 254, pattern ^[^@ ]+@[^@ ]+$
 *
 * Rules: `min N` and `max N` (numeric columns: int, long, float, double; inclusive),
 * `max_length N` (string columns, in characters; binary columns, in bytes), `not_null`, and
 * `pattern RE` (string columns: a POSIX extended regular expression the whole value must
 * match somewhere, as with grep -E; anchor it with ^ and $ for the whole value). The pattern
 * takes the rest of the line, commas included, so it comes last. A null value passes every
 * rule but not_null.
 */
#ifndef FLOE_VALIDATE_H
#define FLOE_VALIDATE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "schema.h"

struct floe_rule {
    char column[FLOE_NAME_MAX];
    bool not_null;
    bool has_min, has_max;
    double min, max;
    int64_t max_length; /* -1: none */
    bool has_pattern;
    regex_t pattern;
};

struct floe_rules {
    int n;
    struct floe_rule *rules; /* one per column that has rules */
};

/* floe_rules_add(rules, schema, column, text, err, cap): parses the rules text for column and
 * appends them. Returns 0, or -EINVAL with a reason in err (unknown column, a rule that does
 * not apply to the column's type, a bad number, a pattern that does not compile), -ENOMEM. */
int floe_rules_add(struct floe_rules *rules, const struct floe_schema *schema,
                   const char *column, const char *text, char *err, size_t cap);

/* floe_rules_check(rules, schema, row, why, cap): 0 when the decoded row passes every rule;
 * -EINVAL with a reason naming the column otherwise. Rules are matched to columns by name. */
int floe_rules_check(const struct floe_rules *rules, const struct floe_schema *schema,
                     const struct floe_row *row, char *why, size_t cap);

/* floe_rules_free(rules): releases the rules (and their compiled patterns); empties rules. */
void floe_rules_free(struct floe_rules *rules);

#endif
