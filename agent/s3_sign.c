/* s3_sign.c — AWS Signature Version 4 for S3 (s3_sign.h; SPEC-NOTES §10).
 *
 * The canonical request is never held whole: it is written once, piece by piece, into a sink
 * that feeds SHA-256 and, when the caller asked for it, a copy. Query parameters and headers are
 * put in order by sorting small index arrays on the stack, so signing allocates nothing.
 *
 * HMAC-SHA256 is built here on mbedtls_sha256 (RFC 2104) rather than taken from mbedtls_md,
 * because mbedtls_md_setup() allocates its context on every call.
 *
 *   CanonicalRequest = Method '\n' EncodedPath '\n' CanonicalQuery '\n'
 *                      (name ':' value '\n')*  '\n'  SignedHeaders '\n'  PayloadHash
 *   StringToSign     = "AWS4-HMAC-SHA256\n" AmzDate '\n' Scope '\n' hex(SHA256(CanonicalRequest))
 *   Scope            = Date '/' Region '/' Service "/aws4_request"
 *   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" Secret, Date), Region), Service), "aws4_request")
 */
#include "s3_sign.h"

#include <errno.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>

/* mbedTLS 3 dropped the _ret suffix (and the old void functions) from the SHA-256 API. */
#if MBEDTLS_VERSION_MAJOR >= 3
#define sha256_starts mbedtls_sha256_starts
#define sha256_update mbedtls_sha256_update
#define sha256_finish mbedtls_sha256_finish
#else
#define sha256_starts mbedtls_sha256_starts_ret
#define sha256_update mbedtls_sha256_update_ret
#define sha256_finish mbedtls_sha256_finish_ret
#endif

#define SHA256_BLOCK 64
#define SHA256_LEN 32
#define ALGORITHM "AWS4-HMAC-SHA256"

static const char hexdigits_lower[] = "0123456789abcdef";
static const char hexdigits_upper[] = "0123456789ABCDEF";

/* ---- SHA-256 and HMAC-SHA256 ---------------------------------------------------------------- */

int floe_s3_sha256_init(struct floe_s3_sha256 *h)
{
    mbedtls_sha256_init(&h->ctx);
    return sha256_starts(&h->ctx, 0) == 0 ? 0 : -EIO;
}

int floe_s3_sha256_update(struct floe_s3_sha256 *h, const uint8_t *data, size_t n)
{
    if (n == 0) {
        return 0;
    }
    return sha256_update(&h->ctx, data, n) == 0 ? 0 : -EIO;
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits_lower[b[i] >> 4];
        out[2 * i + 1] = hexdigits_lower[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int floe_s3_sha256_final(struct floe_s3_sha256 *h, char out[FLOE_S3_SHA256_HEX_SIZE])
{
    uint8_t digest[SHA256_LEN];
    int rc = sha256_finish(&h->ctx, digest);
    mbedtls_sha256_free(&h->ctx);
    if (rc != 0) {
        out[0] = '\0';
        return -EIO;
    }
    to_hex(digest, sizeof(digest), out);
    return 0;
}

int floe_s3_sha256_hex(const uint8_t *data, size_t n, char out[FLOE_S3_SHA256_HEX_SIZE])
{
    struct floe_s3_sha256 h;
    int rc = floe_s3_sha256_init(&h);
    if (rc == 0) {
        rc = floe_s3_sha256_update(&h, data, n);
    }
    if (rc == 0) {
        return floe_s3_sha256_final(&h, out);
    }
    mbedtls_sha256_free(&h.ctx);
    out[0] = '\0';
    return rc;
}

/* HMAC-SHA256 (RFC 2104) in pieces: the inner hash runs while data arrives; the outer key pad
 * is kept for the end. Keys longer than a block are hashed first. */
struct hmac {
    mbedtls_sha256_context inner;
    uint8_t opad[SHA256_BLOCK];
    int err;
};

static void hmac_start(struct hmac *m, const uint8_t *key, size_t keylen)
{
    uint8_t k[SHA256_BLOCK] = {0};
    uint8_t ipad[SHA256_BLOCK];
    m->err = 0;
    mbedtls_sha256_init(&m->inner);
    if (keylen > SHA256_BLOCK) {
        mbedtls_sha256_context kh;
        mbedtls_sha256_init(&kh);
        if (sha256_starts(&kh, 0) || sha256_update(&kh, key, keylen) || sha256_finish(&kh, k)) {
            m->err = -EIO;
        }
        mbedtls_sha256_free(&kh);
    } else {
        memcpy(k, key, keylen);
    }
    for (size_t i = 0; i < SHA256_BLOCK; i++) {
        ipad[i] = (uint8_t)(k[i] ^ 0x36);
        m->opad[i] = (uint8_t)(k[i] ^ 0x5c);
    }
    if (sha256_starts(&m->inner, 0) || sha256_update(&m->inner, ipad, sizeof(ipad))) {
        m->err = -EIO;
    }
    mbedtls_platform_zeroize(k, sizeof(k));
    mbedtls_platform_zeroize(ipad, sizeof(ipad));
}

static void hmac_update(struct hmac *m, const void *data, size_t n)
{
    if (m->err == 0 && n > 0 && sha256_update(&m->inner, data, n) != 0) {
        m->err = -EIO;
    }
}

/* Writes the MAC to out[32] and wipes the state; returns 0 or -EIO. */
static int hmac_finish(struct hmac *m, uint8_t out[SHA256_LEN])
{
    uint8_t ih[SHA256_LEN];
    mbedtls_sha256_context outer;
    mbedtls_sha256_init(&outer);
    if (m->err == 0 && sha256_finish(&m->inner, ih) != 0) {
        m->err = -EIO;
    }
    if (m->err == 0 && (sha256_starts(&outer, 0) || sha256_update(&outer, m->opad, SHA256_BLOCK) ||
                        sha256_update(&outer, ih, sizeof(ih)) || sha256_finish(&outer, out))) {
        m->err = -EIO;
    }
    int err = m->err;
    mbedtls_sha256_free(&outer);
    mbedtls_sha256_free(&m->inner);
    mbedtls_platform_zeroize(m->opad, sizeof(m->opad));
    mbedtls_platform_zeroize(ih, sizeof(ih));
    return err;
}

static int hmac(const uint8_t *key, size_t keylen, const void *data, size_t n,
                uint8_t out[SHA256_LEN])
{
    struct hmac m;
    hmac_start(&m, key, keylen);
    hmac_update(&m, data, n);
    return hmac_finish(&m, out);
}

/* ---- output sink ---------------------------------------------------------------------------- */

/* Where canonical text goes: into a running SHA-256 (when h is set), a running HMAC (when mac
 * is set) and/or a caller buffer (when buf is set). Overflow of the buffer is remembered, not
 * fatal, so that the hash is still complete and the caller gets one -ENOSPC at the end. */
struct sink {
    struct floe_s3_sha256 *h;
    struct hmac *mac;
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
    int err;
};

static void sink_init(struct sink *s, struct floe_s3_sha256 *h, char *buf, size_t cap)
{
    s->h = h;
    s->mac = NULL;
    s->buf = buf;
    s->cap = cap;
    s->len = 0;
    s->overflow = false;
    s->err = 0;
}

static void sink_put(struct sink *s, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    if (s->h && s->err == 0) {
        s->err = floe_s3_sha256_update(s->h, p, n);
    }
    if (s->mac) {
        hmac_update(s->mac, p, n);
    }
    if (s->buf && !s->overflow) {
        if (n >= s->cap - s->len) { /* the NUL needs one more byte */
            s->overflow = true;
        } else {
            memcpy(s->buf + s->len, p, n);
            s->len += n;
        }
    }
}

static void sink_str(struct sink *s, const char *str)
{
    sink_put(s, str, strlen(str));
}

static void sink_char(struct sink *s, char c)
{
    sink_put(s, &c, 1);
}

/* Finishes the copy: NUL-terminates it (or empties it on overflow). 0 or -ENOSPC. */
static int sink_close(struct sink *s, size_t *len)
{
    if (!s->buf) {
        return 0;
    }
    if (s->overflow || s->cap == 0) {
        if (s->cap > 0) {
            s->buf[0] = '\0';
        }
        return -ENOSPC;
    }
    s->buf[s->len] = '\0';
    if (len) {
        *len = s->len;
    }
    return 0;
}

/* ---- URI encoding --------------------------------------------------------------------------- */

static bool unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* Writes the encoding of s[0..n) to the sink, in stack-sized batches. */
static void sink_encoded(struct sink *s, const uint8_t *src, size_t n, bool keep_slash)
{
    char batch[96];
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = src[i];
        if (at + 3 > sizeof(batch)) {
            sink_put(s, batch, at);
            at = 0;
        }
        if (unreserved(c) || (keep_slash && c == '/')) {
            batch[at++] = (char)c;
        } else {
            batch[at++] = '%';
            batch[at++] = hexdigits_upper[c >> 4];
            batch[at++] = hexdigits_upper[c & 15];
        }
    }
    sink_put(s, batch, at);
}

int floe_s3_uri_encode(const uint8_t *s, size_t n, bool keep_slash, char *dst, size_t cap,
                       size_t *len)
{
    struct sink k;
    sink_init(&k, NULL, dst, cap);
    sink_encoded(&k, s, n, keep_slash);
    return sink_close(&k, len);
}

/* Orders two raw strings as their query encodings would sort, without encoding them. An encoded
 * byte starts with '%' (0x25), which sorts before every unreserved character, and two encoded
 * bytes compare as their uppercase hex, i.e. as the bytes themselves; a raw prefix stays a
 * prefix. So comparing per-byte keys (encoded: the byte; kept: 256 + the byte) is the same as
 * comparing the encoded strings. */
static int encoded_cmp(const char *a, const char *b)
{
    const uint8_t *x = (const uint8_t *)a;
    const uint8_t *y = (const uint8_t *)b;
    for (;; x++, y++) {
        if (*x == '\0' || *y == '\0') {
            return (*x != '\0') - (*y != '\0');
        }
        unsigned kx = unreserved(*x) ? 256u + *x : *x;
        unsigned ky = unreserved(*y) ? 256u + *y : *y;
        if (kx != ky) {
            return kx < ky ? -1 : 1;
        }
    }
}

static const char *value_of(const struct floe_s3_pair *p)
{
    return p->value ? p->value : "";
}

/* Sorts idx[0..n) so that q[idx[i]] follow the canonical query order (stable insertion sort:
 * n is small and bounded). */
static void sort_query(const struct floe_s3_pair *q, size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i];
        size_t j = i;
        while (j > 0) {
            const struct floe_s3_pair *a = &q[idx[j - 1]], *b = &q[v];
            int c = encoded_cmp(a->name, b->name);
            if (c == 0) {
                c = encoded_cmp(value_of(a), value_of(b));
            }
            if (c <= 0) {
                break;
            }
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

static int check_query(const struct floe_s3_pair *q, size_t n)
{
    if (n > FLOE_S3_SIGN_MAX_QUERY) {
        return -E2BIG;
    }
    if (n > 0 && !q) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!q[i].name) {
            return -EINVAL;
        }
    }
    return 0;
}

static void sink_query(struct sink *s, const struct floe_s3_pair *q, size_t n)
{
    size_t idx[FLOE_S3_SIGN_MAX_QUERY];
    sort_query(q, idx, n);
    for (size_t i = 0; i < n; i++) {
        const struct floe_s3_pair *p = &q[idx[i]];
        const char *v = value_of(p);
        if (i > 0) {
            sink_char(s, '&');
        }
        sink_encoded(s, (const uint8_t *)p->name, strlen(p->name), false);
        sink_char(s, '=');
        sink_encoded(s, (const uint8_t *)v, strlen(v), false);
    }
}

static void empty(char *dst, size_t cap)
{
    if (dst && cap > 0) {
        dst[0] = '\0';
    }
}

int floe_s3_canonical_query(const struct floe_s3_pair *q, size_t n, char *dst, size_t cap,
                            size_t *len)
{
    int rc = check_query(q, n);
    if (rc < 0) {
        empty(dst, cap);
        return rc;
    }
    struct sink k;
    sink_init(&k, NULL, dst, cap);
    sink_query(&k, q, n);
    return sink_close(&k, len);
}

static void sink_path(struct sink *s, const char *path)
{
    if (!path || !*path) {
        sink_char(s, '/');
        return;
    }
    sink_encoded(s, (const uint8_t *)path, strlen(path), true);
}

int floe_s3_request_target(const struct floe_s3_request *req, char *dst, size_t cap, size_t *len)
{
    int rc = check_query(req->query, req->nquery);
    if (rc < 0) {
        empty(dst, cap);
        return rc;
    }
    struct sink k;
    sink_init(&k, NULL, dst, cap);
    sink_path(&k, req->path);
    if (req->nquery > 0) {
        sink_char(&k, '?');
        sink_query(&k, req->query, req->nquery);
    }
    return sink_close(&k, len);
}

/* ---- time ----------------------------------------------------------------------------------- */

int floe_s3_amz_date(time_t t, char out[FLOE_S3_AMZ_DATE_SIZE])
{
    struct tm tm;
    out[0] = '\0';
    if (!gmtime_r(&t, &tm) || tm.tm_year < 0 - 1900 || tm.tm_year > 9999 - 1900) {
        return -EINVAL;
    }
    int v[6] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    int width[6] = {4, 2, 2, 2, 2, 2};
    size_t at = 0;
    for (int f = 0; f < 6; f++) {
        for (int d = width[f] - 1; d >= 0; d--) {
            out[at + (size_t)d] = (char)('0' + v[f] % 10);
            v[f] /= 10;
        }
        at += (size_t)width[f];
        if (f == 2) {
            out[at++] = 'T';
        }
    }
    out[at++] = 'Z';
    out[at] = '\0';
    return 0;
}

static bool amz_date_ok(const char *d)
{
    for (int i = 0; i < 16; i++) {
        char c = d[i];
        bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : (c >= '0' && c <= '9');
        if (!ok) {
            return false;
        }
    }
    return d[16] == '\0';
}

/* ---- validation ----------------------------------------------------------------------------- */

/* A credential-scope component: printable ASCII without '/', ',' or blanks. */
static bool scope_part_ok(const char *s)
{
    if (!s || !*s) {
        return false;
    }
    for (; *s; s++) {
        if (*s <= ' ' || *s >= 0x7f || *s == '/' || *s == ',') {
            return false;
        }
    }
    return true;
}

/* An HTTP token (RFC 9110 §5.6.2), used for header names and the method. */
static bool token_ok(const char *s)
{
    if (!s || !*s) {
        return false;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* A header value: no control characters other than HTAB (so no CR/LF header injection). */
static bool value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* 64 lowercase hex digits, UNSIGNED-PAYLOAD, or one of S3's STREAMING-… constants. */
static bool payload_hash_ok(const char *s)
{
    size_t n = strlen(s);
    if (strcmp(s, FLOE_S3_UNSIGNED_PAYLOAD) == 0) {
        return true;
    }
    bool streaming = n > 10 && n <= 64 && strncmp(s, "STREAMING-", 10) == 0;
    bool hex = n == 64;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        streaming = streaming && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-');
    }
    return hex || streaming;
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        if (x != *b) {
            return false;
        }
    }
    return *a == *b;
}

/* Header names the signer sets itself; the caller may not pass them. */
static bool owned_header(const char *name)
{
    static const char *const owned[] = {"host", "x-amz-date", "x-amz-content-sha256",
                                        "x-amz-security-token", "authorization"};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
        if (ieq(name, owned[i])) {
            return true;
        }
    }
    return false;
}

/* ---- headers -------------------------------------------------------------------------------- */

struct header {
    const char *name; /* any case; compared and written lowercased */
    const char *value;
};

static int lower_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        x = (x >= 'A' && x <= 'Z') ? (unsigned char)(x + 32) : x;
        y = (y >= 'A' && y <= 'Z') ? (unsigned char)(y + 32) : y;
        if (x != y || x == '\0') {
            return (int)x - (int)y;
        }
    }
}

/* Stable: headers that repeat a name keep the caller's order, which is the order their values
 * are joined in. */
static void sort_headers(struct header *h, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct header v = h[i];
        size_t j = i;
        while (j > 0 && lower_cmp(h[j - 1].name, v.name) > 0) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = v;
    }
}

static void sink_lower(struct sink *s, const char *name)
{
    char batch[64];
    size_t at = 0;
    for (; *name; name++) {
        if (at == sizeof(batch)) {
            sink_put(s, batch, at);
            at = 0;
        }
        batch[at++] = (*name >= 'A' && *name <= 'Z') ? (char)(*name + 32) : *name;
    }
    sink_put(s, batch, at);
}

/* The value trimmed of blanks (SP, HTAB) at both ends, inner runs of blanks as one space. */
static void sink_trimmed(struct sink *s, const char *v)
{
    bool blank = false, started = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            blank = started;
            continue;
        }
        if (blank) {
            sink_char(s, ' ');
            blank = false;
        }
        started = true;
        sink_put(s, v, 1);
    }
}

/* "name:value\n" per distinct name (repeated names: values joined by ','), then the blank line.
 * h is sorted. */
static void sink_headers(struct sink *s, const struct header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || lower_cmp(h[i - 1].name, h[i].name) != 0) {
            if (i > 0) {
                sink_char(s, '\n');
            }
            sink_lower(s, h[i].name);
            sink_char(s, ':');
        } else {
            sink_char(s, ',');
        }
        sink_trimmed(s, h[i].value);
    }
    sink_char(s, '\n');
}

/* The signed-header list: distinct lowercased names joined by ';'. h is sorted. */
static void sink_signed_list(struct sink *s, const struct header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || lower_cmp(h[i - 1].name, h[i].name) != 0) {
            if (i > 0) {
                sink_char(s, ';');
            }
            sink_lower(s, h[i].name);
        }
    }
}

/* ---- signing -------------------------------------------------------------------------------- */

static int check_request(const struct floe_s3_request *req, const struct floe_s3_credentials *c,
                         const struct floe_s3_scope *scope)
{
    if (!token_ok(req->method) || !req->host || !*req->host || !value_ok(req->host) ||
        !scope_part_ok(c->access_key_id) || !c->secret_access_key ||
        !scope_part_ok(scope->region) || (scope->service && !scope_part_ok(scope->service))) {
        return -EINVAL;
    }
    if (strlen(c->secret_access_key) > FLOE_S3_SIGN_MAX_SECRET) {
        return -EINVAL;
    }
    if (c->session_token && !value_ok(c->session_token)) {
        return -EINVAL;
    }
    if (scope->amz_date && !amz_date_ok(scope->amz_date)) {
        return -EINVAL;
    }
    if (req->payload_hash && !payload_hash_ok(req->payload_hash)) {
        return -EINVAL;
    }
    if (req->nheaders > FLOE_S3_SIGN_MAX_HEADERS) {
        return -E2BIG;
    }
    if (req->nheaders > 0 && !req->headers) {
        return -EINVAL;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct floe_s3_pair *p = &req->headers[i];
        if (!token_ok(p->name) || owned_header(p->name) || !value_ok(value_of(p))) {
            return -EINVAL;
        }
    }
    return check_query(req->query, req->nquery);
}

/* kSigning for date (8 chars), region and service; wipes the intermediate keys. */
static int signing_key(const char *secret, const char *date, const char *region,
                       const char *service, uint8_t out[SHA256_LEN])
{
    uint8_t k[4 + FLOE_S3_SIGN_MAX_SECRET];
    uint8_t a[SHA256_LEN], b[SHA256_LEN];
    size_t n = strlen(secret);
    memcpy(k, "AWS4", 4);
    memcpy(k + 4, secret, n);
    int rc = hmac(k, 4 + n, date, 8, a);
    if (rc == 0) {
        rc = hmac(a, sizeof(a), region, strlen(region), b);
    }
    if (rc == 0) {
        rc = hmac(b, sizeof(b), service, strlen(service), a);
    }
    if (rc == 0) {
        rc = hmac(a, sizeof(a), "aws4_request", 12, out);
    }
    mbedtls_platform_zeroize(k, sizeof(k));
    mbedtls_platform_zeroize(a, sizeof(a));
    mbedtls_platform_zeroize(b, sizeof(b));
    return rc;
}

/* The credential scope: date/region/service/aws4_request. */
static void sink_scope(struct sink *s, const char *date, const char *region, const char *service)
{
    sink_str(s, date);
    sink_char(s, '/');
    sink_str(s, region);
    sink_char(s, '/');
    sink_str(s, service);
    sink_str(s, "/aws4_request");
}

static void clear_outputs(struct floe_s3_signed *out)
{
    out->amz_date[0] = '\0';
    empty(out->authorization, out->authorization_cap);
    empty(out->canonical_request, out->canonical_request_cap);
    empty(out->string_to_sign, out->string_to_sign_cap);
    out->authorization_len = out->canonical_request_len = out->string_to_sign_len = 0;
}

/* Collects the headers to sign, the caller's and the signer's own, in canonical order; returns
 * their number. */
static size_t collect_headers(const struct floe_s3_request *req, const struct floe_s3_scope *scope,
                              const char *payload, const char *token, const char *amz_date,
                              struct header *hdr)
{
    size_t nh = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        hdr[nh++] = (struct header){req->headers[i].name, value_of(&req->headers[i])};
    }
    hdr[nh++] = (struct header){"host", req->host};
    if (!scope->omit_content_sha256) {
        hdr[nh++] = (struct header){"x-amz-content-sha256", payload};
    }
    hdr[nh++] = (struct header){"x-amz-date", amz_date};
    if (token) {
        hdr[nh++] = (struct header){"x-amz-security-token", token};
    }
    sort_headers(hdr, nh);
    return nh;
}

int floe_s3_sign(const struct floe_s3_request *req, const struct floe_s3_credentials *creds,
                 const struct floe_s3_scope *scope, struct floe_s3_signed *out)
{
    struct header hdr[FLOE_S3_SIGN_MAX_HEADERS + 4];
    struct floe_s3_sha256 h;
    struct hmac mac;
    struct sink canon, sts, auth;
    char canon_hex[FLOE_S3_SHA256_HEX_SIZE], sig_hex[FLOE_S3_SHA256_HEX_SIZE], date[9];
    uint8_t key[SHA256_LEN] = {0}, sig[SHA256_LEN] = {0};
    const char *service = scope->service ? scope->service : "s3";
    const char *payload = req->payload_hash ? req->payload_hash : FLOE_S3_EMPTY_SHA256;
    const char *token = creds->session_token && *creds->session_token ? creds->session_token : NULL;
    int rc = check_request(req, creds, scope);
    clear_outputs(out);
    if (rc == 0 && !out->authorization) {
        rc = -EINVAL;
    }
    if (rc < 0) {
        return rc;
    }
    if (scope->amz_date) {
        memcpy(out->amz_date, scope->amz_date, FLOE_S3_AMZ_DATE_SIZE);
    } else if ((rc = floe_s3_amz_date(scope->time, out->amz_date)) < 0) {
        return rc;
    }
    memcpy(date, out->amz_date, 8);
    date[8] = '\0';
    size_t nh = collect_headers(req, scope, payload, token, out->amz_date, hdr);

    /* The canonical request, hashed as it is written. */
    if ((rc = floe_s3_sha256_init(&h)) < 0) {
        goto fail;
    }
    sink_init(&canon, &h, out->canonical_request, out->canonical_request_cap);
    sink_str(&canon, req->method);
    sink_char(&canon, '\n');
    sink_path(&canon, req->path);
    sink_char(&canon, '\n');
    sink_query(&canon, req->query, req->nquery);
    sink_char(&canon, '\n');
    sink_headers(&canon, hdr, nh);
    sink_char(&canon, '\n');
    sink_signed_list(&canon, hdr, nh);
    sink_char(&canon, '\n');
    sink_str(&canon, payload);
    if (canon.err == 0) {
        rc = floe_s3_sha256_final(&h, canon_hex);
    } else {
        mbedtls_sha256_free(&h.ctx);
        rc = canon.err;
    }
    int canon_rc = sink_close(&canon, &out->canonical_request_len);
    if (rc < 0) {
        goto fail;
    }

    /* The string to sign, MACed as it is written. */
    if ((rc = signing_key(creds->secret_access_key, date, scope->region, service, key)) < 0) {
        goto fail;
    }
    hmac_start(&mac, key, sizeof(key));
    sink_init(&sts, NULL, out->string_to_sign, out->string_to_sign_cap);
    sts.mac = &mac;
    sink_str(&sts, ALGORITHM "\n");
    sink_str(&sts, out->amz_date);
    sink_char(&sts, '\n');
    sink_scope(&sts, date, scope->region, service);
    sink_char(&sts, '\n');
    sink_str(&sts, canon_hex);
    int sts_rc = sink_close(&sts, &out->string_to_sign_len);
    if ((rc = hmac_finish(&mac, sig)) < 0) {
        goto fail;
    }
    to_hex(sig, sizeof(sig), sig_hex);

    /* Authorization: AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=…, Signature=… */
    sink_init(&auth, NULL, out->authorization, out->authorization_cap);
    sink_str(&auth, ALGORITHM " Credential=");
    sink_str(&auth, creds->access_key_id);
    sink_char(&auth, '/');
    sink_scope(&auth, date, scope->region, service);
    sink_str(&auth, ", SignedHeaders=");
    sink_signed_list(&auth, hdr, nh);
    sink_str(&auth, ", Signature=");
    sink_str(&auth, sig_hex);
    rc = sink_close(&auth, &out->authorization_len);
    if (rc == 0) {
        rc = canon_rc < 0 ? canon_rc : sts_rc;
    }

fail:
    mbedtls_platform_zeroize(key, sizeof(key));
    mbedtls_platform_zeroize(sig, sizeof(sig));
    if (rc < 0) {
        clear_outputs(out);
    }
    return rc;
}
