/* ice_transform.c — Iceberg partition transforms: names, result types and application.
 *
 * Spec "Partition Transforms" and "Truncate Transform Details". Time transforms count whole
 * units from the epoch with floor semantics, so an instant before 1970 falls in the earlier
 * year, month, day or hour (as Java's DateTimeUtil does): day of -1 µs is -1, not 0.
 */
#include "ice_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MICROS_PER_HOUR INT64_C(3600000000)
#define MICROS_PER_DAY INT64_C(86400000000)

/* ---- values ---- */

struct ice_value ice_null(enum ice_type_id type)
{
    struct ice_value v;
    memset(&v, 0, sizeof v);
    v.type = type;
    v.is_null = true;
    return v;
}

struct ice_value ice_int(int32_t i)
{
    struct ice_value v = ice_null(ICE_INT);
    v.is_null = false;
    v.v.i = i;
    return v;
}

struct ice_value ice_long(int64_t l)
{
    struct ice_value v = ice_null(ICE_LONG);
    v.is_null = false;
    v.v.l = l;
    return v;
}

struct ice_value ice_date(int32_t days)
{
    struct ice_value v = ice_int(days);
    v.type = ICE_DATE;
    return v;
}

struct ice_value ice_timestamptz(int64_t micros)
{
    struct ice_value v = ice_long(micros);
    v.type = ICE_TIMESTAMPTZ;
    return v;
}

struct ice_value ice_string(const char *s, size_t n)
{
    struct ice_value v = ice_null(ICE_STRING);
    v.is_null = false;
    v.v.bin.p = (const uint8_t *)s;
    v.v.bin.n = n;
    return v;
}

struct ice_value ice_binary(const uint8_t *p, size_t n)
{
    struct ice_value v = ice_null(ICE_BINARY);
    v.is_null = false;
    v.v.bin.p = p;
    v.v.bin.n = n;
    return v;
}

/* ---- calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

int32_t ice_days_from_micros(int64_t micros)
{
    return (int32_t)floor_div(micros, MICROS_PER_DAY);
}

int64_t ice_hours_from_micros(int64_t micros)
{
    return floor_div(micros, MICROS_PER_HOUR);
}

/* Civil date of a day count, in 400-year eras of 146097 days that start on March 1st so the
 * leap day ends each year: day of era → year of era → day of year → month and day. */
void ice_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468; /* days from 0000-03-01 */
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], March = 0 */
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);

    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = m;
    *year = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

int32_t ice_years_from_days(int32_t days)
{
    int64_t y;
    int m, d;

    ice_civil_from_days(days, &y, &m, &d);
    return (int32_t)(y - 1970);
}

int32_t ice_months_from_days(int32_t days)
{
    int64_t y;
    int m, d;

    ice_civil_from_days(days, &y, &m, &d);
    return (int32_t)((y - 1970) * 12 + (m - 1));
}

/* ---- names ---- */

static bool name_eq(const char *s, size_t n, const char *lit)
{
    size_t ln = strlen(lit);

    if (n != ln) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != lit[i]) {
            return false;
        }
    }
    return true;
}

/* "name[digits]" with 1 <= digits value <= INT32_MAX. */
static int parse_param(const char *s, size_t n, const char *name, int32_t *param)
{
    size_t ln = strlen(name);
    int64_t v = 0;

    if (n < ln + 3 || !name_eq(s, ln, name) || s[ln] != '[' || s[n - 1] != ']') {
        return -EINVAL;
    }
    for (size_t i = ln + 1; i < n - 1; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -EINVAL;
        }
        v = v * 10 + (s[i] - '0');
        if (v > INT32_MAX) {
            return -EINVAL;
        }
    }
    if (v <= 0) {
        return -EINVAL;
    }
    *param = (int32_t)v;
    return 0;
}

int ice_transform_parse(const char *s, size_t len, struct ice_transform *t)
{
    static const struct {
        const char *name;
        enum ice_transform_kind kind;
    } plain[] = {
        {"identity", ICE_T_IDENTITY}, {"year", ICE_T_YEAR}, {"month", ICE_T_MONTH},
        {"day", ICE_T_DAY},           {"hour", ICE_T_HOUR}, {"void", ICE_T_VOID},
    };

    t->kind = ICE_T_VOID;
    t->param = 0;
    if (!s) {
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (name_eq(s, len, plain[i].name)) {
            t->kind = plain[i].kind;
            return 0;
        }
    }
    if (parse_param(s, len, "bucket", &t->param) == 0) {
        t->kind = ICE_T_BUCKET;
        return 0;
    }
    if (parse_param(s, len, "truncate", &t->param) == 0) {
        t->kind = ICE_T_TRUNCATE;
        return 0;
    }
    t->param = 0;
    return -EINVAL;
}

int ice_transform_name(const struct ice_transform *t, char *dst, size_t cap, size_t *len)
{
    static const char *const names[] = {
        [ICE_T_IDENTITY] = "identity", [ICE_T_BUCKET] = "bucket", [ICE_T_TRUNCATE] = "truncate",
        [ICE_T_YEAR] = "year",         [ICE_T_MONTH] = "month",   [ICE_T_DAY] = "day",
        [ICE_T_HOUR] = "hour",         [ICE_T_VOID] = "void",
    };
    int n;

    *len = 0;
    if ((unsigned)t->kind > ICE_T_VOID) {
        return -EINVAL;
    }
    if (t->kind == ICE_T_BUCKET || t->kind == ICE_T_TRUNCATE) {
        n = snprintf(dst, cap, "%s[%d]", names[t->kind], (int)t->param);
    } else {
        n = snprintf(dst, cap, "%s", names[t->kind]);
    }
    if (n < 0 || (size_t)n >= cap) {
        return -ENOSPC;
    }
    *len = (size_t)n;
    return 0;
}

/* ---- result types ---- */

static bool is_time_source(enum ice_type_id id, bool with_date)
{
    return id == ICE_TIMESTAMP || id == ICE_TIMESTAMPTZ || (with_date && id == ICE_DATE);
}

int ice_transform_result_type(const struct ice_transform *t, const struct ice_type *src,
                              struct ice_type *out)
{
    enum ice_type_id id = src->id;

    memset(out, 0, sizeof *out);
    if (id < ICE_BOOLEAN || id > ICE_BINARY) {
        return -EINVAL;
    }
    switch (t->kind) {
    case ICE_T_IDENTITY:
    case ICE_T_VOID:
        *out = *src;
        return 0;
    case ICE_T_BUCKET:
        if (t->param <= 0 || id == ICE_BOOLEAN || id == ICE_FLOAT || id == ICE_DOUBLE) {
            return -EINVAL;
        }
        out->id = ICE_INT;
        return 0;
    case ICE_T_TRUNCATE:
        if (t->param <= 0 || !(id == ICE_INT || id == ICE_LONG || id == ICE_DECIMAL ||
                               id == ICE_STRING || id == ICE_BINARY)) {
            return -EINVAL;
        }
        *out = *src;
        return 0;
    case ICE_T_YEAR:
    case ICE_T_MONTH:
        if (!is_time_source(id, true)) {
            return -EINVAL;
        }
        out->id = ICE_INT;
        return 0;
    case ICE_T_DAY:
        if (!is_time_source(id, true)) {
            return -EINVAL;
        }
        out->id = ICE_DATE;
        return 0;
    case ICE_T_HOUR:
        if (!is_time_source(id, false)) {
            return -EINVAL;
        }
        out->id = ICE_INT;
        return 0;
    }
    return -EINVAL;
}

/* ---- application ---- */

size_t ice_truncate_utf8(const char *s, size_t n, int32_t w)
{
    size_t points = 0;

    if (w <= 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        /* A code point starts at every byte that is not a continuation byte (10xxxxxx). */
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (points == (size_t)w) {
                return i;
            }
            points++;
        }
    }
    return n;
}

static int truncate_value(int32_t w, const struct ice_value *in, struct ice_value *out)
{
    int64_t r;

    switch (in->type) {
    case ICE_INT: {
        int64_t v = in->v.i;
        r = ((v % w) + w) % w;
        if (v - r < INT32_MIN) {
            return -EOVERFLOW;
        }
        out->v.i = (int32_t)(v - r);
        return 0;
    }
    case ICE_LONG: {
        int64_t v = in->v.l;
        r = ((v % w) + w) % w;
        if (v < INT64_MIN + r) {
            return -EOVERFLOW;
        }
        out->v.l = v - r;
        return 0;
    }
    case ICE_STRING:
        out->v.bin.p = in->v.bin.p;
        out->v.bin.n = ice_truncate_utf8((const char *)in->v.bin.p, in->v.bin.n, w);
        return 0;
    case ICE_BINARY:
        out->v.bin.p = in->v.bin.p;
        out->v.bin.n = in->v.bin.n < (size_t)w ? in->v.bin.n : (size_t)w;
        return 0;
    case ICE_DECIMAL: {
        /* The width applies to the unscaled value: W=50, 10.65 (1065) → 1050 (10.50). */
        uint8_t mag[ICE_DECIMAL_BYTES];
        uint32_t rem;

        memcpy(mag, in->v.dec, sizeof mag);
        if (ice__dec_negative(mag)) {
            ice__dec_negate(mag);
            rem = ice__dec_divmod_small(mag, (uint32_t)w);
            rem = rem == 0 ? 0 : (uint32_t)w - rem;
        } else {
            rem = ice__dec_divmod_small(mag, (uint32_t)w);
        }
        memcpy(out->v.dec, in->v.dec, ICE_DECIMAL_BYTES);
        if (!ice__dec_sub_small(out->v.dec, rem)) {
            return -EOVERFLOW;
        }
        return 0;
    }
    default:
        return -EINVAL;
    }
}

int ice_transform_apply(const struct ice_transform *t, const struct ice_value *in,
                        struct ice_value *out)
{
    struct ice_type src = {.id = in->type, .scale = in->scale};
    struct ice_type rt;
    int32_t hash;
    int32_t days;
    int64_t hours;
    int rc;

    rc = ice_transform_result_type(t, &src, &rt);
    *out = ice_null(rc == 0 ? rt.id : in->type);
    if (rc < 0) {
        return rc;
    }
    out->scale = in->scale;
    if (in->is_null || t->kind == ICE_T_VOID) {
        return 0;
    }

    switch (t->kind) {
    case ICE_T_IDENTITY:
        *out = *in;
        return 0;
    case ICE_T_BUCKET:
        rc = ice_hash_value(in, &hash);
        if (rc < 0) {
            return rc;
        }
        out->v.i = ice_bucket_of_hash(hash, t->param);
        break;
    case ICE_T_TRUNCATE:
        rc = truncate_value(t->param, in, out);
        if (rc < 0) {
            *out = ice_null(rt.id);
            return rc;
        }
        break;
    case ICE_T_YEAR:
    case ICE_T_MONTH:
    case ICE_T_DAY:
        days = in->type == ICE_DATE ? in->v.i : ice_days_from_micros(in->v.l);
        if (t->kind == ICE_T_YEAR) {
            out->v.i = ice_years_from_days(days);
        } else if (t->kind == ICE_T_MONTH) {
            out->v.i = ice_months_from_days(days);
        } else {
            out->v.i = days;
        }
        break;
    case ICE_T_HOUR:
        hours = ice_hours_from_micros(in->v.l);
        if (hours < INT32_MIN || hours > INT32_MAX) {
            return -EOVERFLOW;
        }
        out->v.i = (int32_t)hours;
        break;
    case ICE_T_VOID:
        break;
    }
    out->is_null = false;
    return 0;
}
