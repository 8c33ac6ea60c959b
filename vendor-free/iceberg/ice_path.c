/* ice_path.c — partition paths as Java Iceberg writes them.
 *
 * PartitionSpec.partitionToPath() joins "name=value" with '/', where value is the transform's
 * toHumanString() of the partition value and both sides go through java.net.URLEncoder
 * (UTF-8). Matching Java byte for byte keeps floe's data files in the directories other
 * writers of the same table use. Human strings follow TransformUtil (humanYear, humanMonth,
 * humanDay, humanHour: String.format("%04d…")), java.time's toString() for times and
 * timestamps, BigDecimal.toString(), Double/Float.toString() (shortest round-trip digits, as
 * in JDK 19 and later) and base64 for binary values.
 */
#include "ice_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output cursor; keeps one byte for the NUL. With `encode`, bytes are URL-encoded on the way. */
struct out {
    char *dst;
    size_t cap;
    size_t len;
    bool encode;
    int err;
};

static void raw(struct out *o, const char *s, size_t n)
{
    if (o->err) {
        return;
    }
    if (o->cap == 0 || n > o->cap - 1 - o->len) {
        o->err = -ENOSPC;
        return;
    }
    memcpy(o->dst + o->len, s, n);
    o->len += n;
}

static bool url_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '*' || c == '_';
}

static void pct(struct out *o, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char b[3] = {'%', hex[c >> 4], hex[c & 15]};
    raw(o, b, 3);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 with *skip = bytes of the maximal invalid
 * subpart (what one U+FFFD replaces when Java decodes the bytes). */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *skip)
{
    unsigned char b = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;

    *skip = 1;
    if (b < 0x80) {
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        need = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 3;
        lo = b == 0xE0 ? 0xA0 : 0x80;
        hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *skip = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

static void put(struct out *o, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    if (!o->encode) {
        raw(o, s, n);
        return;
    }
    while (i < n && !o->err) {
        size_t skip;
        size_t len = utf8_seq(u + i, n - i, &skip);

        if (len == 0) {
            pct(o, 0xEF);
            pct(o, 0xBF);
            pct(o, 0xBD);
            i += skip;
        } else if (len == 1 && url_safe(u[i])) {
            raw(o, s + i, 1);
            i++;
        } else if (len == 1 && u[i] == ' ') {
            raw(o, "+", 1);
            i++;
        } else {
            for (size_t k = 0; k < len; k++) {
                pct(o, u[i + k]);
            }
            i += len;
        }
    }
}

static void putz(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf_i64(struct out *o, const char *fmt, int64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof b, fmt, v);
    put(o, b, (size_t)n);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* String.format("%04d-%02d-%02d") of a day count (TransformUtil.humanDay). */
static void human_day(struct out *o, int64_t days)
{
    int64_t y;
    int m, d;

    ice_civil_from_days(days, &y, &m, &d);
    putf_i64(o, "%04" PRId64, y);
    putf_i64(o, "-%02" PRId64, m);
    putf_i64(o, "-%02" PRId64, d);
}

/* java.time LocalDate.toString(): 4 digits at least, sign for negative years, '+' above 9999. */
static void iso_date(struct out *o, int64_t days)
{
    int64_t y;
    int m, d;

    ice_civil_from_days(days, &y, &m, &d);
    if (y < 0 && y > -1000) {
        putf_i64(o, "-%04" PRId64, -y);
    } else if (y > 9999) {
        putf_i64(o, "+%" PRId64, y);
    } else {
        putf_i64(o, "%04" PRId64, y);
    }
    putf_i64(o, "-%02" PRId64, m);
    putf_i64(o, "-%02" PRId64, d);
}

/* java.time LocalTime.toString(): HH:mm, then :ss if seconds or fraction, then the fraction in
 * groups of 3 digits (millis when whole, else micros; floe has no nanoseconds). */
static void iso_time(struct out *o, int64_t micros_of_day)
{
    int64_t secs = micros_of_day / 1000000;
    int64_t frac = micros_of_day % 1000000;

    putf_i64(o, "%02" PRId64, secs / 3600);
    putf_i64(o, ":%02" PRId64, (secs / 60) % 60);
    if (secs % 60 != 0 || frac != 0) {
        putf_i64(o, ":%02" PRId64, secs % 60);
    }
    if (frac != 0) {
        if (frac % 1000 == 0) {
            putf_i64(o, ".%03" PRId64, frac / 1000);
        } else {
            putf_i64(o, ".%06" PRId64, frac);
        }
    }
}

static void iso_timestamp(struct out *o, int64_t micros, bool utc)
{
    int64_t days = floor_div(micros, INT64_C(86400000000));

    iso_date(o, days);
    put(o, "T", 1);
    iso_time(o, floor_mod(micros, INT64_C(86400000000)));
    if (utc) {
        put(o, "Z", 1);
    }
}

static void base64(struct out *o, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    for (size_t i = 0; i < n && !o->err; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        char b[4];
        size_t left = n - i;

        if (left > 1) {
            v |= (uint32_t)p[i + 1] << 8;
        }
        if (left > 2) {
            v |= p[i + 2];
        }
        b[0] = tab[(v >> 18) & 63];
        b[1] = tab[(v >> 12) & 63];
        b[2] = left > 1 ? tab[(v >> 6) & 63] : '=';
        b[3] = left > 2 ? tab[v & 63] : '=';
        put(o, b, 4);
    }
}

static void uuid(struct out *o, const uint8_t u[ICE_UUID_BYTES])
{
    static const char hex[] = "0123456789abcdef";
    char b[36];
    size_t k = 0;

    for (size_t i = 0; i < ICE_UUID_BYTES; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            b[k++] = '-';
        }
        b[k++] = hex[u[i] >> 4];
        b[k++] = hex[u[i] & 15];
    }
    put(o, b, sizeof b);
}

/* BigDecimal.toString(): plain when the scale is >= 0 and the adjusted exponent >= -6, else
 * one digit, the rest after a point, and E±adjusted (omitted when 0). */
static void decimal(struct out *o, const uint8_t dec[ICE_DECIMAL_BYTES], int32_t scale)
{
    char digits[ICE_DEC_MAX_DIGITS];
    bool negative;
    size_t n = ice__dec_digits(dec, digits, &negative);
    int64_t adjusted = -(int64_t)scale + (int64_t)(n - 1);

    if (negative) {
        put(o, "-", 1);
    }
    if (scale == 0) {
        put(o, digits, n);
    } else if (scale > 0 && adjusted >= -6) {
        if (n > (size_t)scale) {
            put(o, digits, n - (size_t)scale);
            put(o, ".", 1);
            put(o, digits + n - (size_t)scale, (size_t)scale);
        } else {
            put(o, "0.", 2);
            for (size_t i = n; i < (size_t)scale; i++) {
                put(o, "0", 1);
            }
            put(o, digits, n);
        }
    } else {
        put(o, digits, 1);
        if (n > 1) {
            put(o, ".", 1);
            put(o, digits + 1, n - 1);
        }
        if (adjusted != 0) {
            putf_i64(o, adjusted > 0 ? "E+%" PRId64 : "E%" PRId64, adjusted);
        }
    }
}

/* Shortest decimal digits that read back as x (Java's choice: with one digit, the closest of
 * one or two digits). Fills digits (no point) and the decimal exponent of the first digit. */
static size_t shortest_digits(double x, bool is_float, char *digits, int *exp10)
{
    char b[40];
    int max = is_float ? 9 : 17;
    int p;

    for (p = 1; p <= max; p++) {
        snprintf(b, sizeof b, "%.*e", p - 1, x);
        if (is_float ? strtof(b, NULL) == (float)x : strtod(b, NULL) == x) {
            break;
        }
    }
    if (p > max) {
        p = max;
        snprintf(b, sizeof b, "%.*e", p - 1, x);
    }
    if (p == 1) {
        snprintf(b, sizeof b, "%.1e", x);
        p = b[2] == '0' ? 1 : 2;
    }
    /* b is "d.ddde±xx" (or "de±xx" for one digit). */
    {
        size_t n = 0;
        const char *s = b;
        while (*s && *s != 'e') {
            if (*s >= '0' && *s <= '9' && n < (size_t)p) {
                digits[n++] = *s;
            }
            s++;
        }
        *exp10 = *s == 'e' ? atoi(s + 1) : 0;
        while (n > 1 && digits[n - 1] == '0') {
            n--;
        }
        return n;
    }
}

/* Double.toString() / Float.toString(). */
static void java_float(struct out *o, double x, bool is_float)
{
    char digits[20];
    int e;
    size_t n;

    if (isnan(x)) {
        putz(o, "NaN");
        return;
    }
    if (x < 0 || (x == 0 && 1 / x < 0)) {
        put(o, "-", 1);
        x = -x;
    }
    if (x == 0) {
        putz(o, "0.0");
        return;
    }
    if (isinf(x)) {
        putz(o, "Infinity");
        return;
    }
    n = shortest_digits(x, is_float, digits, &e);
    if (e >= -3 && e < 7) {
        if (e >= 0) {
            size_t ip = (size_t)e + 1;
            for (size_t i = 0; i < ip; i++) {
                put(o, i < n ? &digits[i] : "0", 1);
            }
            put(o, ".", 1);
            if (n > ip) {
                put(o, digits + ip, n - ip);
            } else {
                put(o, "0", 1);
            }
        } else {
            put(o, "0.", 2);
            for (int i = -1; i > e; i--) {
                put(o, "0", 1);
            }
            put(o, digits, n);
        }
    } else {
        put(o, digits, 1);
        put(o, ".", 1);
        if (n > 1) {
            put(o, digits + 1, n - 1);
        } else {
            put(o, "0", 1);
        }
        putf_i64(o, "E%" PRId64, e);
    }
}

static void human(struct out *o, const struct ice_transform *t, const struct ice_value *v)
{
    if (v->is_null || t->kind == ICE_T_VOID) {
        putz(o, "null");
        return;
    }
    switch (t->kind) {
    case ICE_T_YEAR:
        putf_i64(o, "%04" PRId64, 1970 + (int64_t)v->v.i);
        return;
    case ICE_T_MONTH:
        putf_i64(o, "%04" PRId64, 1970 + floor_div(v->v.i, 12));
        putf_i64(o, "-%02" PRId64, 1 + floor_mod(v->v.i, 12));
        return;
    case ICE_T_DAY:
        human_day(o, v->v.i);
        return;
    case ICE_T_HOUR:
        human_day(o, floor_div(v->v.i, 24));
        putf_i64(o, "-%02" PRId64, floor_mod(v->v.i, 24));
        return;
    case ICE_T_BUCKET:
        putf_i64(o, "%" PRId64, v->v.i);
        return;
    default:
        break;
    }
    switch (v->type) {
    case ICE_BOOLEAN:
        putz(o, v->v.b ? "true" : "false");
        return;
    case ICE_INT:
        putf_i64(o, "%" PRId64, v->v.i);
        return;
    case ICE_LONG:
        putf_i64(o, "%" PRId64, v->v.l);
        return;
    case ICE_FLOAT:
        java_float(o, (double)v->v.f, true);
        return;
    case ICE_DOUBLE:
        java_float(o, v->v.d, false);
        return;
    case ICE_DECIMAL:
        decimal(o, v->v.dec, v->scale);
        return;
    case ICE_DATE:
        human_day(o, v->v.i);
        return;
    case ICE_TIME:
        if (v->v.l < 0 || v->v.l >= INT64_C(86400000000)) {
            o->err = o->err ? o->err : -EINVAL;
            return;
        }
        iso_time(o, v->v.l);
        return;
    case ICE_TIMESTAMP:
        iso_timestamp(o, v->v.l, false);
        return;
    case ICE_TIMESTAMPTZ:
        iso_timestamp(o, v->v.l, true);
        return;
    case ICE_STRING:
        put(o, (const char *)v->v.bin.p, v->v.bin.n);
        return;
    case ICE_UUID:
        uuid(o, v->v.uuid);
        return;
    case ICE_FIXED:
    case ICE_BINARY:
        base64(o, v->v.bin.p, v->v.bin.n);
        return;
    }
    o->err = o->err ? o->err : -EINVAL;
}

static int finish(struct out *o, size_t *len)
{
    if (o->err) {
        if (o->cap > 0) {
            o->dst[0] = '\0';
        }
        *len = 0;
        return o->err;
    }
    o->dst[o->len] = '\0';
    *len = o->len;
    return 0;
}

int ice_human_string(const struct ice_transform *t, const struct ice_value *v, char *dst,
                     size_t cap, size_t *len)
{
    struct out o = {.dst = dst, .cap = dst ? cap : 0};

    *len = 0;
    if (o.cap == 0) {
        return -ENOSPC;
    }
    human(&o, t, v);
    return finish(&o, len);
}

int ice_url_encode(const char *s, size_t n, char *dst, size_t cap, size_t *len)
{
    struct out o = {.dst = dst, .cap = dst ? cap : 0, .encode = true};

    *len = 0;
    if (o.cap == 0) {
        return -ENOSPC;
    }
    if (n > 0 && !s) {
        return -EINVAL;
    }
    put(&o, s, n);
    return finish(&o, len);
}

int ice_partition_path(const struct ice_partition_field *fields, const struct ice_value *values,
                       size_t n, char *dst, size_t cap, size_t *len)
{
    struct out o = {.dst = dst, .cap = dst ? cap : 0};

    *len = 0;
    if (o.cap == 0) {
        return -ENOSPC;
    }
    for (size_t i = 0; i < n; i++) {
        if (!fields[i].name) {
            o.err = -EINVAL;
            break;
        }
        if (i > 0) {
            raw(&o, "/", 1);
        }
        o.encode = true;
        putz(&o, fields[i].name);
        o.encode = false;
        raw(&o, "=", 1);
        o.encode = true;
        human(&o, &fields[i].transform, &values[i]);
        o.encode = false;
    }
    return finish(&o, len);
}
