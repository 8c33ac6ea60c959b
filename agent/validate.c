/* validate.c — parsing and checking the [validate] rules (validate.h).
 *
 * Rules are parsed once, when the config is read; checking a row costs a comparison per rule
 * (and a regexec for patterns, on a NUL-terminated copy of the value in a bounded buffer).
 */
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

#define PATTERN_VALUE_MAX 4096 /* longer values are matched on their first 4096 bytes */

static bool numeric(enum floe_type t)
{
    return t == FLOE_TYPE_INT || t == FLOE_TYPE_LONG || t == FLOE_TYPE_FLOAT ||
           t == FLOE_TYPE_DOUBLE;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) {
        end++;
    }
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        return -1;
    }
    *out = v;
    return 0;
}

int floe_rules_add(struct floe_rules *rules, const struct floe_schema *schema,
                   const char *column, const char *text, char *err, size_t cap)
{
    int col = floe_schema_find(schema, column);
    if (col < 0) {
        return floe_errbuf_fail(err, cap, -EINVAL, "validate.%s: no column '%s' in table.schema",
                                column, column);
    }
    for (int i = 0; i < rules->n; i++) {
        if (strcmp(rules->rules[i].column, column) == 0) {
            return floe_errbuf_fail(err, cap, -EINVAL, "validate.%s: the column has rules already",
                                    column);
        }
    }
    enum floe_type type = schema->columns[col].type;
    struct floe_rule r;
    memset(&r, 0, sizeof(r));
    snprintf(r.column, sizeof(r.column), "%s", column);
    r.max_length = -1;

    char *copy = strdup(text);
    if (!copy) {
        return -ENOMEM;
    }
    int rc = 0;
    char *p = copy;
    while (rc == 0 && *p) {
        while (isspace((unsigned char)*p) || *p == ',') {
            p++;
        }
        if (!*p) {
            break;
        }
        char *word = p;
        while (*p && !isspace((unsigned char)*p) && *p != ',') {
            p++;
        }
        size_t wl = (size_t)(p - word);
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (wl == 7 && strncmp(word, "pattern", 7) == 0) {
            if (type != FLOE_TYPE_STRING) {
                rc = floe_errbuf_fail(err, cap, -EINVAL,
                                      "validate.%s: pattern applies to string columns, not %s",
                                      column, floe_type_name(type));
                break;
            }
            char *end = p + strlen(p);
            while (end > p && isspace((unsigned char)end[-1])) {
                *--end = '\0';
            }
            if (!*p) {
                rc = floe_errbuf_fail(err, cap, -EINVAL,
                                      "validate.%s: pattern needs a regular expression", column);
                break;
            }
            int rerr = regcomp(&r.pattern, p, REG_EXTENDED | REG_NOSUB);
            if (rerr != 0) {
                char msg[160];
                regerror(rerr, &r.pattern, msg, sizeof(msg));
                rc = floe_errbuf_fail(err, cap, -EINVAL, "validate.%s: pattern '%s': %s", column, p,
                                      msg);
                break;
            }
            r.has_pattern = true;
            p += strlen(p);
            break;
        }
        /* The other rules take no value or one value up to the next comma. */
        char *val = p;
        while (*p && *p != ',') {
            p++;
        }
        if (*p == ',') {
            *p++ = '\0';
        }
        if (wl == 8 && strncmp(word, "not_null", 8) == 0) {
            if (*val) {
                rc = floe_errbuf_fail(err, cap, -EINVAL, "validate.%s: not_null takes no value",
                                      column);
            }
            r.not_null = true;
        } else if ((wl == 3 && strncmp(word, "min", 3) == 0) ||
                   (wl == 3 && strncmp(word, "max", 3) == 0)) {
            double v;
            bool is_min = word[1] == 'i';
            if (!numeric(type)) {
                rc = floe_errbuf_fail(err, cap, -EINVAL,
                                      "validate.%s: %s applies to numeric columns, not %s", column,
                                      is_min ? "min" : "max", floe_type_name(type));
            } else if (parse_number(val, &v) < 0) {
                rc = floe_errbuf_fail(err, cap, -EINVAL, "validate.%s: %s needs a number, not '%s'",
                                      column, is_min ? "min" : "max", val);
            } else if (is_min) {
                r.has_min = true;
                r.min = v;
            } else {
                r.has_max = true;
                r.max = v;
            }
        } else if (wl == 10 && strncmp(word, "max_length", 10) == 0) {
            double v;
            if (type != FLOE_TYPE_STRING && type != FLOE_TYPE_BINARY) {
                rc = floe_errbuf_fail(err, cap, -EINVAL,
                                      "validate.%s: max_length applies to string and binary "
                                      "columns, not %s",
                                      column, floe_type_name(type));
            } else if (parse_number(val, &v) < 0 || v < 0 || v != floor(v) || v > 1e12) {
                rc = floe_errbuf_fail(err, cap, -EINVAL,
                                      "validate.%s: max_length needs a whole number, not '%s'",
                                      column, val);
            } else {
                r.max_length = (int64_t)v;
            }
        } else {
            rc = floe_errbuf_fail(
                err, cap, -EINVAL,
                "validate.%s: unknown rule '%.*s' (min, max, max_length, not_null, pattern)",
                column, (int)wl, word);
        }
    }
    free(copy);
    if (rc == 0 && r.has_min && r.has_max && r.min > r.max) {
        rc = floe_errbuf_fail(err, cap, -EINVAL, "validate.%s: min is above max", column);
    }
    if (rc == 0 && !r.not_null && !r.has_min && !r.has_max && r.max_length < 0 &&
        !r.has_pattern) {
        rc = floe_errbuf_fail(err, cap, -EINVAL, "validate.%s: no rule given", column);
    }
    if (rc == 0) {
        struct floe_rule *grown = realloc(rules->rules, (size_t)(rules->n + 1) * sizeof(*grown));
        if (!grown) {
            rc = -ENOMEM;
        } else {
            rules->rules = grown;
            rules->rules[rules->n++] = r;
            return 0;
        }
    }
    if (r.has_pattern) {
        regfree(&r.pattern);
    }
    return rc;
}

/* Characters in UTF-8 bytes: every byte that does not continue a sequence. */
static int64_t utf8_chars(const uint8_t *p, size_t n)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++) {
        c += (p[i] & 0xC0) != 0x80;
    }
    return c;
}

int floe_rules_check(const struct floe_rules *rules, const struct floe_schema *schema,
                     const struct floe_row *row, char *why, size_t cap)
{
    for (int i = 0; i < rules->n; i++) {
        const struct floe_rule *r = &rules->rules[i];
        int col = floe_schema_find(schema, r->column);
        if (col < 0) {
            continue;
        }
        const struct floe_cell *cell = &row->cells[col];
        enum floe_type type = schema->columns[col].type;
        if (cell->null) {
            if (r->not_null) {
                return floe_errbuf_fail(why, cap, -EINVAL,
                                        "column '%s': null, but validate.%s says not_null",
                                        r->column, r->column);
            }
            continue;
        }
        if (r->has_min || r->has_max) {
            double v = (type == FLOE_TYPE_FLOAT || type == FLOE_TYPE_DOUBLE) ? cell->v.d
                                                                            : (double)cell->v.i;
            if (r->has_min && !(v >= r->min)) { /* NaN fails min and max */
                return floe_errbuf_fail(why, cap, -EINVAL,
                                        "column '%s': %g is below the minimum %g", r->column, v,
                                        r->min);
            }
            if (r->has_max && !(v <= r->max)) {
                return floe_errbuf_fail(why, cap, -EINVAL,
                                        "column '%s': %g is above the maximum %g", r->column, v,
                                        r->max);
            }
        }
        if (r->max_length >= 0) {
            int64_t len = type == FLOE_TYPE_STRING ? utf8_chars(cell->v.s.p, cell->v.s.n)
                                                   : (int64_t)cell->v.s.n;
            if (len > r->max_length) {
                return floe_errbuf_fail(
                    why, cap, -EINVAL, "column '%s': %lld %s, over max_length %lld", r->column,
                    (long long)len, type == FLOE_TYPE_STRING ? "characters" : "bytes",
                    (long long)r->max_length);
            }
        }
        if (r->has_pattern) {
            char buf[PATTERN_VALUE_MAX + 1];
            size_t n = cell->v.s.n < PATTERN_VALUE_MAX ? cell->v.s.n : PATTERN_VALUE_MAX;
            memcpy(buf, cell->v.s.p, n);
            buf[n] = '\0';
            if (memchr(buf, '\0', n) || regexec(&r->pattern, buf, 0, NULL, 0) != 0) {
                return floe_errbuf_fail(why, cap, -EINVAL,
                                        "column '%s': \"%.40s\" does not match validate.%s's "
                                        "pattern",
                                        r->column, buf, r->column);
            }
        }
    }
    return 0;
}

void floe_rules_free(struct floe_rules *rules)
{
    for (int i = 0; i < rules->n; i++) {
        if (rules->rules[i].has_pattern) {
            regfree(&rules->rules[i].pattern);
        }
    }
    free(rules->rules);
    rules->rules = NULL;
    rules->n = 0;
}
