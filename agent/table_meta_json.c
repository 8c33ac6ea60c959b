/* table_meta_json.c — a strict JSON reader for metadata documents, and number helpers.
 *
 * cJSON keeps numbers as doubles, which cannot hold Iceberg's 63-bit snapshot ids (anything
 * above 2^53 would be rounded and printed in exponent form). This reader builds the same cJSON
 * tree cJSON_Parse would, except that each number becomes a cJSON_Raw item holding the literal
 * text as it appeared; cJSON prints raw items verbatim, so numbers written by other engines come
 * back byte for byte, and floe's own numbers are made the same way (floe_meta__num).
 *
 * Input is hostile: RFC 8259 grammar only, strings must be valid UTF-8 (no NUL, which a C
 * string could not carry), a repeated object key is an error (readers disagree on which one
 * wins), nesting stops at 64 levels, and every error names its byte offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "table_meta_internal.h"

#define JSON_DEPTH_MAX 64

struct jr {
    const char *p;
    const char *start;
    const char *end;
    char *err;
    size_t errcap;
    bool failed;
    int code; /* -EINVAL, or -ENOMEM when an allocation failed */
};

FLOE_META__PRINTF(2, 3)
static cJSON *jr_error(struct jr *r, const char *fmt, ...)
{
    if (!r->failed && r->err && r->errcap > 0) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(r->err, r->errcap, "invalid JSON at byte %zu: %s", (size_t)(r->p - r->start),
                 msg);
    }
    r->failed = true;
    return NULL;
}

static cJSON *jr_nomem(struct jr *r)
{
    r->code = -ENOMEM;
    return jr_error(r, "out of memory");
}

static void skip_ws(struct jr *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) {
        r->p++;
    }
}

static bool literal(struct jr *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) >= n && memcmp(r->p, word, n) == 0) {
        r->p += n;
        return true;
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static cJSON *parse_number(struct jr *r)
{
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-') {
        r->p++;
    }
    if (r->p >= r->end || !is_digit(*r->p)) {
        return jr_error(r, "bad number");
    }
    if (*r->p == '0') {
        r->p++;
    } else {
        while (r->p < r->end && is_digit(*r->p)) {
            r->p++;
        }
    }
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (r->p >= r->end || !is_digit(*r->p)) {
            return jr_error(r, "bad number fraction");
        }
        while (r->p < r->end && is_digit(*r->p)) {
            r->p++;
        }
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) {
            r->p++;
        }
        if (r->p >= r->end || !is_digit(*r->p)) {
            return jr_error(r, "bad number exponent");
        }
        while (r->p < r->end && is_digit(*r->p)) {
            r->p++;
        }
    }
    size_t n = (size_t)(r->p - s);
    char *text = malloc(n + 1);
    if (!text) {
        return jr_nomem(r);
    }
    memcpy(text, s, n);
    text[n] = '\0';
    cJSON *item = cJSON_CreateRaw(text);
    free(text);
    return item ? item : jr_nomem(r);
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *dst, unsigned cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one (overlong forms,
 * surrogates and code points above U+10FFFF are refused). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

/* Parses a string at r->p (the opening quote) into a malloc'd NUL-terminated buffer. */
static char *parse_string_raw(struct jr *r)
{
    r->p++; /* the quote */
    const char *s = r->p;
    /* The decoded text is never longer than the source: size the buffer on the source span. */
    const char *q = s;
    while (q < r->end && *q != '"') {
        q += (*q == '\\' && q + 1 < r->end) ? 2 : 1;
    }
    if (q >= r->end) {
        jr_error(r, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - s) + 1);
    if (!out) {
        jr_nomem(r);
        return NULL;
    }
    size_t at = 0;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) {
            jr_error(r, "control character in string");
            goto fail;
        }
        if (c != '\\') {
            size_t n = utf8_len((const unsigned char *)r->p, (const unsigned char *)r->end);
            if (n == 0) {
                jr_error(r, "invalid UTF-8 in string");
                goto fail;
            }
            memcpy(out + at, r->p, n);
            at += n;
            r->p += n;
            continue;
        }
        if (r->end - r->p < 2) {
            jr_error(r, "unterminated escape");
            goto fail;
        }
        char e = r->p[1];
        r->p += 2;
        switch (e) {
        case '"': out[at++] = '"'; break;
        case '\\': out[at++] = '\\'; break;
        case '/': out[at++] = '/'; break;
        case 'b': out[at++] = '\b'; break;
        case 'f': out[at++] = '\f'; break;
        case 'n': out[at++] = '\n'; break;
        case 'r': out[at++] = '\r'; break;
        case 't': out[at++] = '\t'; break;
        case 'u': {
            int hi = (r->end - r->p >= 4) ? hex4(r->p) : -1;
            if (hi < 0) {
                jr_error(r, "bad \\u escape");
                goto fail;
            }
            r->p += 4;
            unsigned cp = (unsigned)hi;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                jr_error(r, "lone low surrogate");
                goto fail;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                int lo = (r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') ? hex4(r->p + 2)
                                                                                    : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    jr_error(r, "lone high surrogate");
                    goto fail;
                }
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
            }
            if (cp == 0) {
                jr_error(r, "NUL character in string");
                goto fail;
            }
            /* \uXXXX is 6 source bytes for at most 3 output bytes; a pair is 12 for 4. */
            at += put_utf8(out + at, cp);
            break;
        }
        default:
            jr_error(r, "bad escape");
            goto fail;
        }
    }
    r->p++; /* closing quote */
    out[at] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A repeated key is refused: Jackson keeps the last, cJSON lookups the first. Sorting keeps a
 * hostile object with many keys at n log n. */
static bool has_duplicate_key(const cJSON *obj, size_t count)
{
    if (count < 2) {
        return false;
    }
    const char **keys = malloc(count * sizeof *keys);
    if (!keys) {
        return true; /* the caller fails either way; the message says "repeats a key" */
    }
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        keys[i++] = c->string;
    }
    qsort(keys, count, sizeof *keys, cmp_keys);
    bool dup = false;
    for (i = 1; i < count && !dup; i++) {
        dup = strcmp(keys[i - 1], keys[i]) == 0;
    }
    free(keys);
    return dup;
}

static cJSON *parse_value(struct jr *r, int depth);

static cJSON *parse_container(struct jr *r, int depth, bool object)
{
    if (depth >= JSON_DEPTH_MAX) {
        return jr_error(r, "nesting deeper than %d levels", JSON_DEPTH_MAX);
    }
    cJSON *c = object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!c) {
        return jr_nomem(r);
    }
    char close = object ? '}' : ']';
    size_t count = 0;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return c;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(r);
        if (object) {
            if (r->p >= r->end || *r->p != '"') {
                jr_error(r, "expected a string key");
                goto fail;
            }
            key = parse_string_raw(r);
            if (!key) {
                goto fail;
            }
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                jr_error(r, "expected ':'");
                goto fail;
            }
            r->p++;
        }
        cJSON *v = parse_value(r, depth + 1);
        if (!v) {
            free(key);
            goto fail;
        }
        if (object) {
            /* cJSON_AddItemToObject copies the key; appending is O(1) (child->prev is the tail). */
            bool ok = cJSON_AddItemToObject(c, key, v);
            free(key);
            if (!ok) {
                cJSON_Delete(v);
                jr_nomem(r);
                goto fail;
            }
        } else if (!cJSON_AddItemToArray(c, v)) {
            cJSON_Delete(v);
            jr_nomem(r);
            goto fail;
        }
        count++;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            break;
        }
        jr_error(r, "expected ',' or '%c'", close);
        goto fail;
    }
    if (object && has_duplicate_key(c, count)) {
        jr_error(r, "an object repeats a key");
        goto fail;
    }
    return c;
fail:
    cJSON_Delete(c);
    return NULL;
}

static cJSON *parse_value(struct jr *r, int depth)
{
    skip_ws(r);
    if (r->p >= r->end) {
        return jr_error(r, "unexpected end of input");
    }
    switch (*r->p) {
    case '{':
        return parse_container(r, depth, true);
    case '[':
        return parse_container(r, depth, false);
    case '"': {
        char *s = parse_string_raw(r);
        if (!s) {
            return NULL;
        }
        cJSON *item = cJSON_CreateString(s);
        free(s);
        return item ? item : jr_nomem(r);
    }
    case 't':
        if (literal(r, "true")) {
            return cJSON_CreateTrue();
        }
        break;
    case 'f':
        if (literal(r, "false")) {
            return cJSON_CreateFalse();
        }
        break;
    case 'n':
        if (literal(r, "null")) {
            return cJSON_CreateNull();
        }
        break;
    default:
        if (*r->p == '-' || is_digit(*r->p)) {
            return parse_number(r);
        }
        break;
    }
    return jr_error(r, "unexpected character");
}

cJSON *floe_meta__json_parse(const char *text, size_t len, int *code, char *err,
                             size_t errcap)
{
    struct jr r = {.p = text, .start = text, .end = text + len, .err = err, .errcap = errcap,
                   .code = -EINVAL};
    *code = -EINVAL;
    if (!text) {
        floe_errbuf_fail(err, errcap, -EINVAL, "no metadata text");
        return NULL;
    }
    cJSON *root = parse_value(&r, 0);
    if (!root) {
        *code = r.code;
        return NULL;
    }
    skip_ws(&r);
    if (r.p != r.end) {
        jr_error(&r, "text after the document");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- numbers ---- */

bool floe_meta__is_number(const cJSON *item)
{
    if (!item) {
        return false;
    }
    if (cJSON_IsNumber(item)) {
        return true;
    }
    if (!cJSON_IsRaw(item) || !item->valuestring) {
        return false;
    }
    const char *s = item->valuestring;
    return *s == '-' || is_digit(*s);
}

int floe_meta__i64(const cJSON *item, int64_t *v)
{
    if (!item) {
        return -EINVAL;
    }
    if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        /* Only doubles that are exact integers within ±2^53 are trusted. */
        if (d != d || d > 9007199254740992.0 || d < -9007199254740992.0 ||
            (double)(int64_t)d != d) {
            return -EINVAL;
        }
        *v = (int64_t)d;
        return 0;
    }
    if (!cJSON_IsRaw(item) || !item->valuestring) {
        return -EINVAL;
    }
    const char *s = item->valuestring;
    bool neg = *s == '-';
    if (neg) {
        s++;
    }
    if (!is_digit(*s)) {
        return -EINVAL;
    }
    /* Accumulate as a negative number so INT64_MIN fits. */
    int64_t acc = 0;
    for (; is_digit(*s); s++) {
        int d = *s - '0';
        if (acc < (INT64_MIN + d) / 10) {
            return -EINVAL;
        }
        acc = acc * 10 - d;
    }
    if (*s != '\0') {
        return -EINVAL; /* a fraction or exponent: not an integer literal */
    }
    if (!neg) {
        if (acc == INT64_MIN) {
            return -EINVAL;
        }
        acc = -acc;
    }
    *v = acc;
    return 0;
}

int floe_meta__i32(const cJSON *item, int *v)
{
    int64_t w;
    if (floe_meta__i64(item, &w) != 0 || w < INT32_MIN || w > INT32_MAX) {
        return -EINVAL;
    }
    *v = (int)w;
    return 0;
}

cJSON *floe_meta__num(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return cJSON_CreateRaw(buf);
}

cJSON *floe_meta__get(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

int floe_meta__set_item(cJSON *obj, const char *key, cJSON *item)
{
    if (!item) {
        return -ENOMEM;
    }
    cJSON *old = floe_meta__get(obj, key);
    if (old) {
        /* In place, so the field keeps its position in the printed document. */
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
            cJSON_Delete(item);
            return -ENOMEM;
        }
        return 0;
    }
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return -ENOMEM;
    }
    return 0;
}

int floe_meta__set_num(cJSON *obj, const char *key, int64_t v)
{
    return floe_meta__set_item(obj, key, floe_meta__num(v));
}

int floe_meta__set_str(cJSON *obj, const char *key, const char *s)
{
    return floe_meta__set_item(obj, key, cJSON_CreateString(s));
}
