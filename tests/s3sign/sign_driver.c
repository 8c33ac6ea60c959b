/* sign_driver.c — signs requests read from stdin with floe_s3_sign, for test_botocore.py.
 *
 * One request per line, space-separated fields; a string field is "x" followed by the hex of
 * its bytes ("x" alone is ""), or "n" for NULL:
 *   method host path when region service akid secret token payload
 *   nquery (name value)*nquery nheaders (name value)*nheaders
 * when is "t<seconds since 1970>" or "d<YYYYMMDDTHHMMSSZ>"; payload is "u" (UNSIGNED-PAYLOAD),
 * "e" (none given: the empty-body hash) or "x<hex body>", which is hashed here with the
 * streaming SHA-256 in uneven pieces.
 *
 * For each line it prints one line: "ok<TAB>authorization<TAB>request-target<TAB>hex of the
 * canonical request<TAB>x-amz-date", or "error<TAB><negative errno>". A line it cannot read
 * ends the run with status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_sign.h"

#define MAX_FIELDS (13 + 2 * (FLOE_S3_SIGN_MAX_QUERY + FLOE_S3_SIGN_MAX_HEADERS))

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Decodes field f in place ("x…" → bytes + NUL, "n" → NULL); *n gets the byte count. Returns
 * 0, or -1 for a malformed field. */
static int field(char *f, char **out, size_t *n)
{
    if (strcmp(f, "n") == 0) {
        *out = NULL;
        *n = 0;
        return 0;
    }
    if (f[0] != 'x' || strlen(f + 1) % 2 != 0) {
        return -1;
    }
    size_t k = 0;
    for (const char *h = f + 1; *h; h += 2) {
        int a = hexval(h[0]), b = hexval(h[1]);
        if (a < 0 || b < 0) {
            return -1;
        }
        f[k++] = (char)(a * 16 + b);
    }
    f[k] = '\0';
    *out = f;
    *n = k;
    return 0;
}

static int text_field(char *f, const char **out)
{
    char *s;
    size_t n;
    if (field(f, &s, &n) < 0 || (s && strlen(s) != n)) {
        return -1; /* a NUL inside a string field */
    }
    *out = s;
    return 0;
}

static void print_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", (unsigned char)s[i]);
    }
}

/* Splits line on single spaces; returns the field count or -1. */
static int split(char *line, char **f)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == MAX_FIELDS) {
            return -1;
        }
        f[n++] = p;
        char *sp = strchr(p, ' ');
        if (!sp) {
            return n;
        }
        *sp = '\0';
        p = sp + 1;
    }
}

static int one(char *line, char *auth, size_t auth_cap, char *canon, size_t canon_cap)
{
    char *f[MAX_FIELDS];
    struct floe_s3_pair query[FLOE_S3_SIGN_MAX_QUERY], headers[FLOE_S3_SIGN_MAX_HEADERS];
    struct floe_s3_request req;
    struct floe_s3_credentials creds;
    struct floe_s3_scope scope;
    char hash[FLOE_S3_SHA256_HEX_SIZE];
    memset(&req, 0, sizeof(req));
    memset(&creds, 0, sizeof(creds));
    memset(&scope, 0, sizeof(scope));

    int nf = split(line, f);
    if (nf < 12) {
        return -1;
    }
    if (text_field(f[0], &req.method) < 0 || text_field(f[1], &req.host) < 0 ||
        text_field(f[2], &req.path) < 0 || text_field(f[4], &scope.region) < 0 ||
        text_field(f[5], &scope.service) < 0 || text_field(f[6], &creds.access_key_id) < 0 ||
        text_field(f[7], &creds.secret_access_key) < 0 ||
        text_field(f[8], &creds.session_token) < 0) {
        return -1;
    }
    if (f[3][0] == 't') {
        scope.time = (time_t)strtoll(f[3] + 1, NULL, 10);
    } else if (f[3][0] == 'd') {
        scope.amz_date = f[3] + 1;
    } else {
        return -1;
    }
    if (strcmp(f[9], "u") == 0) {
        req.payload_hash = FLOE_S3_UNSIGNED_PAYLOAD;
    } else if (strcmp(f[9], "e") != 0) {
        char *body;
        size_t n;
        if (field(f[9], &body, &n) < 0 || !body) {
            return -1;
        }
        struct floe_s3_sha256 h;
        int rc = floe_s3_sha256_init(&h);
        for (size_t at = 0, step = 1; at < n; at += step, step = step * 2 + 1) {
            size_t k = step < n - at ? step : n - at;
            rc |= floe_s3_sha256_update(&h, (const uint8_t *)body + at, k);
        }
        rc |= floe_s3_sha256_final(&h, hash);
        if (rc != 0) {
            return -1;
        }
        req.payload_hash = hash;
    }
    int i = 10;
    long nq = strtol(f[i++], NULL, 10);
    if (nq < 0 || nq > FLOE_S3_SIGN_MAX_QUERY || i + 2 * nq >= nf) {
        return -1;
    }
    for (long k = 0; k < nq; k++, i += 2) {
        if (text_field(f[i], &query[k].name) < 0 || text_field(f[i + 1], &query[k].value) < 0) {
            return -1;
        }
    }
    long nh = strtol(f[i++], NULL, 10);
    if (nh < 0 || nh > FLOE_S3_SIGN_MAX_HEADERS || i + 2 * nh != nf) {
        return -1;
    }
    for (long k = 0; k < nh; k++, i += 2) {
        if (text_field(f[i], &headers[k].name) < 0 || text_field(f[i + 1], &headers[k].value) < 0) {
            return -1;
        }
    }
    req.query = query;
    req.nquery = (size_t)nq;
    req.headers = headers;
    req.nheaders = (size_t)nh;

    struct floe_s3_signed out;
    memset(&out, 0, sizeof(out));
    out.authorization = auth;
    out.authorization_cap = auth_cap;
    out.canonical_request = canon;
    out.canonical_request_cap = canon_cap;
    int rc = floe_s3_sign(&req, &creds, &scope, &out);
    if (rc < 0) {
        printf("error\t%d\n", rc);
        return 0;
    }
    char target[16384];
    size_t tlen;
    rc = floe_s3_request_target(&req, target, sizeof(target), &tlen);
    if (rc < 0) {
        printf("error\t%d\n", rc);
        return 0;
    }
    printf("ok\t%s\t%s\t", auth, target);
    print_hex(canon, out.canonical_request_len);
    printf("\t%s\n", out.amz_date);
    return 0;
}

int main(void)
{
    static char auth[4096], canon[65536];
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = 0;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n') {
            line[n - 1] = '\0';
        }
        if (one(line, auth, sizeof(auth), canon, sizeof(canon)) < 0) {
            fprintf(stderr, "sign_driver: cannot read a request line\n");
            status = 2;
            break;
        }
        fflush(stdout);
    }
    free(line);
    return status;
}
