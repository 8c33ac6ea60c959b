/* decode.c — a single-pass JSON object decoder for flat records.
 *
 * The scanner walks the object once: each key is hashed and looked up among the columns; a
 * column's value is parsed straight into its typed cell; anything else is skipped with the
 * JSON grammar checked (depth-limited). Strings without escapes stay views into the input;
 * strings with escapes are decoded into the row's scratch, which never needs more bytes than
 * the record has. Nothing allocates, and every error leaves a reason naming the column.
 */
#include "decode.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"

struct cur {
    const uint8_t *p;
    const uint8_t *end;
    const uint8_t *start;
    struct floe_row *row;
    size_t scratch_used;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int reject(struct cur *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->row->reason, sizeof(c->row->reason), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int malformed(struct cur *c, const char *what)
{
    if (c->p >= c->end) {
        return reject(c, "malformed JSON: %s, got the end of the record", what);
    }
    return reject(c, "malformed JSON at byte %zu: %s", (size_t)(c->p - c->start), what);
}

static inline void skip_ws(struct cur *c)
{
    /* Compact JSON has no whitespace between tokens, and no byte above ' ' is whitespace: one
     * compare settles the usual case. */
    while (c->p < c->end && *c->p <= ' ' &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static uint32_t hash_name(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

#define NSLOTS (sizeof(((struct floe_decoder *)0)->slots) / sizeof(uint16_t))

int floe_decoder_init(struct floe_decoder *d, const struct floe_schema *schema)
{
    if (schema->ncolumns <= 0 || schema->ncolumns > FLOE_COLUMNS_MAX) {
        return -EINVAL;
    }
    memset(d, 0, sizeof(*d));
    d->schema = schema;
    for (int i = 0; i < schema->ncolumns; i++) {
        const char *name = schema->columns[i].name;
        d->name_len[i] = (uint8_t)strlen(name);
        uint32_t h = hash_name((const uint8_t *)name, d->name_len[i]) % NSLOTS;
        while (d->slots[h]) {
            h = (h + 1) % NSLOTS;
        }
        d->slots[h] = (uint16_t)(i + 1);
    }
    return 0;
}

static int lookup(const struct floe_decoder *d, const uint8_t *p, size_t n)
{
    uint32_t h = hash_name(p, n) % NSLOTS;
    while (d->slots[h]) {
        int col = d->slots[h] - 1;
        if (d->name_len[col] == n && memcmp(d->schema->columns[col].name, p, n) == 0) {
            return col;
        }
        h = (h + 1) % NSLOTS;
    }
    return -1;
}

/* ---- strings ------------------------------------------------------------------------------ */

static int hex4(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') {
            v |= (uint32_t)(ch - '0');
        } else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') {
            v |= (uint32_t)((ch | 0x20) - 'a' + 10);
        } else {
            return -1;
        }
    }
    *out = v;
    return 0;
}

static size_t put_utf8(uint8_t *dst, uint32_t cp)
{
    if (cp < 0x80) {
        dst[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (uint8_t)(0xC0 | (cp >> 6));
        dst[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (uint8_t)(0xE0 | (cp >> 12));
        dst[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (uint8_t)(0xF0 | (cp >> 18));
    dst[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Non-zero when one of the 8 bytes in v is '"', '\\' or below 0x20 (the bytes that end the
 * fast scan of a string). The usual SWAR tests: a byte b is zero in x when (x - 1) borrows
 * into its high bit while x's own high bit is clear; bytes >= 0x80 never match. */
static inline uint64_t special_bytes(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = v ^ (ones * '"');
    uint64_t slash = v ^ (ones * '\\');
    uint64_t r = ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | ((v - ones * 0x20) & ~v);
    return r & highs;
}

/* Parses a JSON string at c->p (which is at the opening quote). The content, unescaped, is
 * returned as a view (into the input, or into scratch when decode is set and there were
 * escapes). With decode unset only the syntax is checked. Does not check UTF-8, but sets
 * *ascii when every byte is below 0x80 (and so needs no UTF-8 check). */
static inline bool little_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static int parse_string_ascii(struct cur *c, bool decode, const uint8_t **out, uint32_t *outn,
                              bool *ascii)
{
    const uint8_t *p = ++c->p; /* past the quote */
    const uint8_t *end = c->end;
    uint64_t high = 0;
    /* Fast path: no escapes; eight bytes at a time (byte order little-endian, so the lowest set
     * bit of the mask marks the first special byte: the SWAR test's false positives only ever
     * appear above a true match), then byte by byte near the end of the input. */
    bool found = false;
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t mask = little_endian() ? special_bytes(v) : 0;
        if (mask) {
            unsigned at = (unsigned)__builtin_ctzll(mask) >> 3;
            high |= v & ((1ull << (8 * at)) - 1); /* at < 8: the shift is defined */
            p += at;
            found = true;
            break;
        }
        if (!little_endian() && special_bytes(v)) {
            break;
        }
        high |= v;
        p += 8;
    }
    while (!found && p < end && *p != '"' && *p != '\\' && *p >= 0x20) {
        high |= *p;
        p++;
    }
    if (p < end && *p == '"') {
        *out = c->p;
        *outn = (uint32_t)(p - c->p);
        *ascii = (high & 0x8080808080808080u) == 0;
        c->p = p + 1;
        return 0;
    }
    *ascii = false;
    if (p >= end) {
        c->p = p;
        return malformed(c, "unterminated string");
    }
    if (*p < 0x20) {
        c->p = p;
        return malformed(c, "control character in a string");
    }
    /* Escapes: copy what was scanned, then decode the rest. */
    uint8_t *dst = NULL;
    size_t n = 0;
    if (decode) {
        dst = c->row->scratch + c->scratch_used;
        if (c->scratch_used + (size_t)(end - c->p) > c->row->scratch_cap) {
            return reject(c, "record larger than the decoder's scratch space");
        }
        n = (size_t)(p - c->p);
        memcpy(dst, c->p, n);
    }
    while (p < end) {
        uint8_t ch = *p;
        if (ch == '"') {
            if (decode) {
                *out = dst;
                *outn = (uint32_t)n;
                c->scratch_used += n;
            }
            c->p = p + 1;
            return 0;
        }
        if (ch < 0x20) {
            c->p = p;
            return malformed(c, "control character in a string");
        }
        if (ch != '\\') {
            if (decode) {
                dst[n++] = ch;
            }
            p++;
            continue;
        }
        if (p + 1 >= end) {
            break;
        }
        uint8_t e = p[1];
        uint8_t simple = 0;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            simple = e;
            break;
        case 'b':
            simple = '\b';
            break;
        case 'f':
            simple = '\f';
            break;
        case 'n':
            simple = '\n';
            break;
        case 'r':
            simple = '\r';
            break;
        case 't':
            simple = '\t';
            break;
        case 'u': {
            uint32_t cp, lo;
            if (end - p < 6 || hex4(p + 2, &cp) < 0) {
                c->p = p;
                return malformed(c, "bad \\u escape");
            }
            p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF) {
                    c->p = p;
                    return malformed(c, "unpaired UTF-16 surrogate in a \\u escape");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                c->p = p;
                return malformed(c, "unpaired UTF-16 surrogate in a \\u escape");
            }
            if (decode) {
                n += put_utf8(dst + n, cp);
            }
            continue;
        }
        default:
            c->p = p;
            return malformed(c, "unknown escape in a string");
        }
        if (decode) {
            dst[n++] = simple;
        }
        p += 2;
    }
    c->p = end;
    return malformed(c, "unterminated string");
}

static int parse_string(struct cur *c, bool decode, const uint8_t **out, uint32_t *outn)
{
    bool ascii;
    return parse_string_ascii(c, decode, out, outn, &ascii);
}

/* ---- numbers ------------------------------------------------------------------------------ */

/* Scans a JSON number at c->p; sets *is_int when it has no fraction or exponent. */
static int scan_number(struct cur *c, const uint8_t **start, size_t *n, bool *is_int)
{
    const uint8_t *p = c->p;
    *start = p;
    *is_int = true;
    if (p < c->end && *p == '-') {
        p++;
    }
    if (p >= c->end || *p < '0' || *p > '9') {
        return malformed(c, "bad number");
    }
    if (*p == '0') {
        p++;
    } else {
        while (p < c->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < c->end && *p == '.') {
        *is_int = false;
        p++;
        if (p >= c->end || *p < '0' || *p > '9') {
            c->p = p;
            return malformed(c, "bad number");
        }
        while (p < c->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < c->end && (*p == 'e' || *p == 'E')) {
        *is_int = false;
        p++;
        if (p < c->end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= c->end || *p < '0' || *p > '9') {
            c->p = p;
            return malformed(c, "bad number");
        }
        while (p < c->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    *n = (size_t)(p - *start);
    c->p = p;
    return 0;
}

/* Converts a scanned integer; -ERANGE if it does not fit in int64. */
static int int_value(const uint8_t *s, size_t n, int64_t *out)
{
    bool neg = s[0] == '-';
    size_t ndigits = n - neg;
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (ndigits <= 18) {
        /* Cannot overflow: 10^18 - 1 < 2^63. */
        for (size_t i = neg; i < n; i++) {
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
    } else {
        for (size_t i = neg; i < n; i++) {
            if (__builtin_mul_overflow(v, 10u, &v) ||
                __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v)) {
                return -ERANGE;
            }
        }
        if (v > limit) {
            return -ERANGE;
        }
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* ---- dates and times ---------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (valid for any year). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dm[m - 1] + (m == 2 && leap);
}

static int parse_ymd(const char *s, size_t n, int64_t *days)
{
    int y, m, d;
    if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) < 0 ||
        digits(s + 5, 2, &m) < 0 || digits(s + 8, 2, &d) < 0 || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, m)) {
        return -EINVAL;
    }
    *days = days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

int floe_parse_date(const char *s, size_t n, int32_t *days)
{
    int64_t d;
    if (n != 10 || parse_ymd(s, n, &d) < 0) {
        return -EINVAL;
    }
    *days = (int32_t)d;
    return 0;
}

/* The eight ASCII digits at s as a number, or -1 if any is not a digit (SWAR: subtract '0'
 * from each byte, check each is 0..9, then combine pairs, quads and the halves). */
static int64_t eight_digits(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    v -= 0x3030303030303030u;
    if ((v | (v + 0x7676767676767676u)) & 0x8080808080808080u) {
        return -1;
    }
    /* Little-endian: the first digit is the lowest byte. */
    v = (v * 10) + (v >> 8);
    v = (((v & 0x000000FF000000FFu) * (100 + (1000000ull << 32))) +
         (((v >> 16) & 0x000000FF000000FFu) * (1 + (10000ull << 32)))) >> 32;
    return (int64_t)v;
}

/* The common shape "YYYY-MM-DDTHH:MM:SS.ffffffZ" (27 bytes), parsed with fewer branches.
 * Returns 0, or -1 when s is not exactly of that shape (the general parser then decides). */
static int parse_timestamp_fast(const char *s, size_t n, int64_t *us)
{
    if (n != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != '.' || s[26] != 'Z') {
        return -1;
    }
    char ymd[8] = {s[0], s[1], s[2], s[3], s[5], s[6], s[8], s[9]};
    char hms[8] = {'0', '0', s[11], s[12], s[14], s[15], s[17], s[18]};
    char frac[8] = {'0', '0', s[20], s[21], s[22], s[23], s[24], s[25]};
    int64_t date = eight_digits(ymd), time = eight_digits(hms), f = eight_digits(frac);
    if (date < 0 || time < 0 || f < 0) {
        return -1;
    }
    int y = (int)(date / 10000), m = (int)(date / 100 % 100), d = (int)(date % 100);
    int hh = (int)(time / 10000), mm = (int)(time / 100 % 100), ss = (int)(time % 100);
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 59) {
        return -1;
    }
    int64_t secs = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
    *us = secs * 1000000 + f;
    return 0;
}

int floe_parse_timestamp(const char *s, size_t n, int need_offset, int64_t *us)
{
    /* The fast path's digit arithmetic assumes little-endian loads. */
    if (need_offset == 1 && little_endian() && parse_timestamp_fast(s, n, us) == 0) {
        return 0;
    }
    int64_t days;
    int hh, mm, ss, frac = 0, fdigits = 0;
    if (n < 19 || parse_ymd(s, n, &days) < 0 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':' || digits(s + 11, 2, &hh) < 0 ||
        digits(s + 14, 2, &mm) < 0 || digits(s + 17, 2, &ss) < 0 || hh > 23 || mm > 59 ||
        ss > 59) {
        return -EINVAL;
    }
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (fdigits < 6) {
                frac = frac * 10 + (s[i] - '0');
            }
            fdigits++;
            i++;
        }
        if (fdigits == 0 || fdigits > 9) {
            return -EINVAL;
        }
        for (int k = fdigits; k < 6; k++) {
            frac *= 10;
        }
    }
    int64_t offset_s = 0;
    bool has_offset = false;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        has_offset = true;
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        bool negative = s[i] == '-';
        size_t rest = n - i;
        /* ±hh:mm or ±hhmm, and nothing after it */
        if (rest == 6 && s[i + 3] == ':' && digits(s + i + 1, 2, &oh) == 0 &&
            digits(s + i + 4, 2, &om) == 0) {
            i += 6;
        } else if (rest == 5 && digits(s + i + 1, 2, &oh) == 0 &&
                   digits(s + i + 3, 2, &om) == 0) {
            i += 5;
        } else {
            return -EINVAL;
        }
        if (oh > 23 || om > 59) {
            return -EINVAL;
        }
        offset_s = (int64_t)(oh * 3600 + om * 60);
        if (negative) {
            offset_s = -offset_s;
        }
        has_offset = true;
    }
    if (i != n) {
        return -EINVAL;
    }
    if (need_offset == 1 && !has_offset) {
        return -EINVAL;
    }
    if (need_offset == 0 && has_offset) {
        return -EINVAL;
    }
    int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
    *us = secs * 1000000 + frac;
    return 0;
}

/* ---- base64 --------------------------------------------------------------------------------- */

static int b64_value(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    if (ch == '+') {
        return 62;
    }
    if (ch == '/') {
        return 63;
    }
    return -1;
}

/* Decodes base64 in place (dst may equal src: output is never longer than input). */
static int base64_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t *outn)
{
    for (int pad = 0; pad < 2 && n > 0 && src[n - 1] == '='; pad++) {
        n--;
    }
    if (n % 4 == 1) {
        return -EINVAL;
    }
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(src[i]);
        if (v < 0) {
            return -EINVAL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (uint8_t)(acc >> bits);
        }
    }
    *outn = o;
    return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

static const char *json_kind(uint8_t ch)
{
    switch (ch) {
    case '"':
        return "a string";
    case '{':
        return "an object";
    case '[':
        return "an array";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return (ch == '-' || (ch >= '0' && ch <= '9')) ? "a number" : "something that is not JSON";
    }
}

static int literal(struct cur *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return malformed(c, "bad literal");
    }
    c->p += n;
    return 0;
}

/* Skips any JSON value, checking its syntax. */
static int skip_value(struct cur *c, int depth)
{
    const uint8_t *s;
    uint32_t sn;
    size_t nn;
    bool is_int;
    if (depth > FLOE_DECODE_DEPTH_MAX) {
        return reject(c, "JSON nested deeper than %d levels", FLOE_DECODE_DEPTH_MAX);
    }
    skip_ws(c);
    if (c->p >= c->end) {
        return malformed(c, "expected a value");
    }
    switch (*c->p) {
    case '"':
        return parse_string(c, false, &s, &sn);
    case 't':
        return literal(c, "true", 4);
    case 'f':
        return literal(c, "false", 5);
    case 'n':
        return literal(c, "null", 4);
    case '[':
    case '{': {
        uint8_t close = *c->p == '[' ? ']' : '}';
        bool object = close == '}';
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 0;
        }
        for (;;) {
            if (object) {
                skip_ws(c);
                if (c->p >= c->end || *c->p != '"') {
                    return malformed(c, "expected a key");
                }
                if (parse_string(c, false, &s, &sn) < 0) {
                    return -EINVAL;
                }
                skip_ws(c);
                if (c->p >= c->end || *c->p != ':') {
                    return malformed(c, "expected ':'");
                }
                c->p++;
            }
            if (skip_value(c, depth + 1) < 0) {
                return -EINVAL;
            }
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == close) {
                c->p++;
                return 0;
            }
            return malformed(c, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    default:
        return scan_number(c, &s, &nn, &is_int);
    }
}

static int wrong_type(struct cur *c, const struct floe_column *col, uint8_t got)
{
    return reject(c, "column '%s': expected %s %s, got %s", col->name,
                  col->type == FLOE_TYPE_INT ? "an" : "a", floe_type_name(col->type),
                  json_kind(got));
}

/* Parses the value for column col into cell. */
static int parse_cell(struct cur *c, const struct floe_column *col, struct floe_cell *cell)
{
    skip_ws(c);
    if (c->p >= c->end) {
        return malformed(c, "expected a value");
    }
    uint8_t first = *c->p;
    if (first == 'n') {
        if (literal(c, "null", 4) < 0) {
            return -EINVAL;
        }
        if (col->required) {
            return reject(c, "column '%s': null in a required column", col->name);
        }
        cell->null = true;
        return 0;
    }
    cell->null = false;
    const uint8_t *s;
    uint32_t sn;
    size_t nn;
    bool is_int;
    switch (col->type) {
    case FLOE_TYPE_BOOLEAN:
        if (first == 't') {
            cell->v.b = true;
            return literal(c, "true", 4);
        }
        if (first == 'f') {
            cell->v.b = false;
            return literal(c, "false", 5);
        }
        return wrong_type(c, col, first);
    case FLOE_TYPE_INT:
    case FLOE_TYPE_LONG:
    case FLOE_TYPE_TIMESTAMP:
    case FLOE_TYPE_TIMESTAMPTZ:
    case FLOE_TYPE_DATE:
        if (first == '-' || (first >= '0' && first <= '9')) {
            /* Fast path: a plain integer of at most 18 digits (which cannot overflow) is
             * converted while it is scanned. A fraction, an exponent, a leading zero, more
             * digits or an out-of-range INT take the general path, which also words the
             * errors. */
            const uint8_t *d0 = c->p + (first == '-'), *q = d0;
            uint64_t u = 0;
            while (q < c->end && q - d0 < 19 && (unsigned)(*q - '0') < 10) {
                u = u * 10 + (unsigned)(*q - '0');
                q++;
            }
            size_t nd = (size_t)(q - d0);
            if (nd > 0 && nd <= 18 && !(nd > 1 && *d0 == '0') &&
                (q == c->end || (*q != '.' && *q != 'e' && *q != 'E'))) {
                int64_t v = first == '-' ? -(int64_t)u : (int64_t)u;
                if ((col->type != FLOE_TYPE_INT && col->type != FLOE_TYPE_DATE) ||
                    (v >= INT32_MIN && v <= INT32_MAX)) {
                    cell->v.i = v;
                    c->p = q;
                    return 0;
                }
            }
            if (scan_number(c, &s, &nn, &is_int) < 0) {
                return -EINVAL;
            }
            if (!is_int) {
                return reject(c, "column '%s': %.*s is not a whole number", col->name,
                              (int)(nn > 40 ? 40 : nn), (const char *)s);
            }
            if (int_value(s, nn, &cell->v.i) < 0 ||
                ((col->type == FLOE_TYPE_INT || col->type == FLOE_TYPE_DATE) &&
                 (cell->v.i < INT32_MIN || cell->v.i > INT32_MAX))) {
                return reject(c, "column '%s': %.*s is out of range for %s", col->name,
                              (int)(nn > 40 ? 40 : nn), (const char *)s,
                              floe_type_name(col->type));
            }
            return 0;
        }
        if (first == '"' && col->type != FLOE_TYPE_INT && col->type != FLOE_TYPE_LONG) {
            if (parse_string(c, true, &s, &sn) < 0) { /* decoded: escapes are allowed */
                return -EINVAL;
            }
            int rc;
            if (col->type == FLOE_TYPE_DATE) {
                int32_t days = 0;
                rc = floe_parse_date((const char *)s, sn, &days);
                cell->v.i = days;
            } else {
                rc = floe_parse_timestamp((const char *)s, sn,
                                          col->type == FLOE_TYPE_TIMESTAMPTZ ? 1 : 0, &cell->v.i);
            }
            if (rc < 0) {
                const char *want = col->type == FLOE_TYPE_DATE ? "YYYY-MM-DD"
                                   : col->type == FLOE_TYPE_TIMESTAMPTZ
                                       ? "ISO-8601 with Z or ±hh:mm"
                                       : "ISO-8601 without an offset";
                return reject(c, "column '%s': \"%.*s\" is not a %s (%s)", col->name,
                              (int)(sn > 40 ? 40 : sn), (const char *)s,
                              floe_type_name(col->type), want);
            }
            return 0;
        }
        return wrong_type(c, col, first);
    case FLOE_TYPE_FLOAT:
    case FLOE_TYPE_DOUBLE:
        if (first == '-' || (first >= '0' && first <= '9')) {
            char buf[64];
            if (scan_number(c, &s, &nn, &is_int) < 0) {
                return -EINVAL;
            }
            if (nn >= sizeof(buf)) {
                return reject(c, "column '%s': number longer than %zu characters", col->name,
                              sizeof(buf) - 1);
            }
            memcpy(buf, s, nn);
            buf[nn] = '\0';
            cell->v.d = strtod(buf, NULL);
            /* Out of range for float: rounds to infinity (3.4028235e38, Java's
             * Float.MAX_VALUE as printed, rounds to the largest float and is kept). */
            if (col->type == FLOE_TYPE_FLOAT && isfinite(cell->v.d) &&
                isinf((float)cell->v.d)) {
                return reject(c, "column '%s': %s is out of range for float", col->name, buf);
            }
            if (!isfinite(cell->v.d)) {
                return reject(c, "column '%s': %s is out of range for double", col->name, buf);
            }
            return 0;
        }
        if (first == '"') {
            if (parse_string(c, true, &s, &sn) < 0) {
                return -EINVAL;
            }
            if (sn == 3 && memcmp(s, "NaN", 3) == 0) {
                cell->v.d = NAN;
            } else if (sn == 8 && memcmp(s, "Infinity", 8) == 0) {
                cell->v.d = INFINITY;
            } else if (sn == 9 && memcmp(s, "-Infinity", 9) == 0) {
                cell->v.d = -INFINITY;
            } else {
                return reject(c, "column '%s': expected a number, got a string", col->name);
            }
            return 0;
        }
        return wrong_type(c, col, first);
    case FLOE_TYPE_STRING:
    case FLOE_TYPE_BINARY:
        if (first != '"') {
            return wrong_type(c, col, first);
        }
        bool ascii;
        if (parse_string_ascii(c, true, &s, &sn, &ascii) < 0) {
            return -EINVAL;
        }
        if (col->type == FLOE_TYPE_STRING) {
            if (!ascii && !pq_utf8_valid(s, sn)) {
                return reject(c, "column '%s': invalid UTF-8", col->name);
            }
            cell->v.s.p = s;
            cell->v.s.n = sn;
            return 0;
        }
        /* Binary: base64 into scratch (the decoded bytes are never longer). A string that
         * had escapes already lies at the end of the scratch: decode it in place there. */
        {
            uint8_t *scratch = c->row->scratch;
            bool in_scratch = sn > 0 && s >= scratch && s < scratch + c->row->scratch_cap;
            uint8_t *dst = in_scratch ? (uint8_t *)s : scratch + c->scratch_used;
            size_t outn;
            if (!in_scratch) {
                if (c->scratch_used + sn > c->row->scratch_cap) {
                    return reject(c, "record larger than the decoder's scratch space");
                }
                memmove(dst, s, sn);
            }
            if (base64_decode(dst, sn, dst, &outn) < 0) {
                return reject(c, "column '%s': not valid base64", col->name);
            }
            c->scratch_used = (size_t)(dst - scratch) + outn;
            cell->v.s.p = dst;
            cell->v.s.n = (uint32_t)outn;
        }
        return 0;
    }
    return reject(c, "column '%s': unsupported type", col->name);
}

int floe_decode(const struct floe_decoder *d, const uint8_t *json, size_t len,
                struct floe_row *row)
{
    const struct floe_schema *schema = d->schema;
    struct cur c = {json, json + len, json, row, 0};
    int n = schema->ncolumns;

    row->reason[0] = '\0';
    for (int i = 0; i < n; i++) {
        row->cells[i].present = false;
        row->cells[i].null = true;
    }
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{') {
        const char *kind = "nothing";
        if (c.p < c.end) {
            /* A literal counts as one only if it is spelled out. */
            size_t left = (size_t)(c.end - c.p);
            bool lit = (*c.p == 'n' && left >= 4 && memcmp(c.p, "null", 4) == 0) ||
                       (*c.p == 't' && left >= 4 && memcmp(c.p, "true", 4) == 0) ||
                       (*c.p == 'f' && left >= 5 && memcmp(c.p, "false", 5) == 0);
            kind = (*c.p == 'n' || *c.p == 't' || *c.p == 'f') && !lit
                       ? "something that is not JSON"
                       : json_kind(*c.p);
        }
        return reject(&c, "not a JSON object (starts with %s)", kind);
    }
    c.p++;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        int prev = -1;
        for (;;) {
            const uint8_t *key;
            uint32_t keyn;
            int col = -1;
            skip_ws(&c);
            if (c.p >= c.end || *c.p != '"') {
                return malformed(&c, "expected a key");
            }
            /* Records usually keep their keys in one order: try the column after the last one
             * seen, which costs one memcmp and no hashing when it matches. */
            int guess = prev + 1 < n ? prev + 1 : 0;
            size_t glen = d->name_len[guess];
            size_t left = (size_t)(c.end - c.p);
            bool hit = left > glen + 1 && c.p[glen + 1] == '"';
            const char *gname = schema->columns[guess].name;
            if (hit && glen <= 16 && left >= 17 && little_endian()) {
                /* Two masked word compares (name is a FLOE_NAME_MAX array: 16 bytes readable;
                 * little-endian, so the low bytes of each word come first). */
                uint64_t v0, v1, n0, n1;
                memcpy(&v0, c.p + 1, 8);
                memcpy(&v1, c.p + 9, 8);
                memcpy(&n0, gname, 8);
                memcpy(&n1, gname + 8, 8);
                uint64_t m0 = glen >= 8 ? ~0ull : (1ull << (8 * glen)) - 1;
                uint64_t m1 = glen >= 16 ? ~0ull : glen <= 8 ? 0 : (1ull << (8 * (glen - 8))) - 1;
                hit = (((v0 ^ n0) & m0) | ((v1 ^ n1) & m1)) == 0;
            } else if (hit && glen <= 8 && left >= 9 && little_endian()) {
                uint64_t v, nv;
                memcpy(&v, c.p + 1, 8);
                memcpy(&nv, gname, 8);
                uint64_t mask = glen == 8 ? ~0ull : (1ull << (8 * glen)) - 1;
                hit = ((v ^ nv) & mask) == 0;
            } else {
                for (size_t k = 0; hit && k < glen; k++) {
                    hit = c.p[1 + k] == (uint8_t)gname[k]; /* names are short: no call */
                }
            }
            if (hit) {
                col = guess;
                c.p += glen + 2;
            } else {
                if (parse_string(&c, true, &key, &keyn) < 0) {
                    return -EINVAL;
                }
                col = keyn < FLOE_NAME_MAX ? lookup(d, key, keyn) : -1;
            }
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':') {
                return malformed(&c, "expected ':'");
            }
            c.p++;
            if (col < 0) {
                if (skip_value(&c, 1) < 0) {
                    return -EINVAL;
                }
            } else {
                struct floe_cell *cell = &row->cells[col];
                if (cell->present) {
                    return reject(&c, "column '%s' appears twice in the record",
                                  schema->columns[col].name);
                }
                cell->present = true;
                if (parse_cell(&c, &schema->columns[col], cell) < 0) {
                    return -EINVAL;
                }
                prev = col;
            }
            skip_ws(&c);
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                continue;
            }
            if (c.p < c.end && *c.p == '}') {
                c.p++;
                break;
            }
            return malformed(&c, "expected ',' or '}'");
        }
    }
    skip_ws(&c);
    if (c.p != c.end) {
        return malformed(&c, "unexpected data after the object");
    }
    for (int i = 0; i < n; i++) {
        if (!row->cells[i].present && schema->columns[i].required) {
            return reject(&c, "column '%s': missing (required)", schema->columns[i].name);
        }
    }
    return 0;
}
