/* s3_sign.h — AWS Signature Version 4 for S3 requests, header-based ("Authorization: AWS4-HMAC-
 * SHA256 …"), plus the SHA-256 functions the S3 client needs for payload hashes.
 *
 * Everything here is pure: no I/O, no allocation, no logging. The caller describes a request
 * (method, Host, raw object path, raw query parameters, extra headers, payload hash) and gets
 * back the Authorization and x-amz-date header values. The same functions that build the
 * canonical form also build the request-target that goes on the wire, so what is sent is what
 * was signed.
 *
 * Rules (SPEC-NOTES §10, the S3 API reference "sig-v4-header-based-auth"):
 *   - the path is percent-encoded once, '/' kept, never normalised ("//", ".", ".." stay);
 *   - query names and values are encoded ('/' too), sorted by encoded name then encoded value,
 *     an empty value is written "name=";
 *   - signed headers are host, x-amz-content-sha256, x-amz-date, x-amz-security-token (when a
 *     session token is set) and the caller's extra headers, lowercased, values trimmed and inner
 *     runs of blanks collapsed to one space, repeated names joined with ',' in the given order.
 *
 * Secrets (the secret access key, derived keys, the session token) are never written anywhere
 * but the outputs named below; derived keys are wiped from the stack before returning.
 */
#ifndef FLOE_S3_SIGN_H
#define FLOE_S3_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/sha256.h>

/* Sizes of the fixed outputs, terminating NUL included. */
#define FLOE_S3_SHA256_HEX_SIZE 65 /* 64 lowercase hex digits */
#define FLOE_S3_AMZ_DATE_SIZE 17   /* "YYYYMMDDTHHMMSSZ" */

/* Limits on one request; more is -E2BIG. They bound the fixed sort workspace on the stack. */
#define FLOE_S3_SIGN_MAX_QUERY 64
#define FLOE_S3_SIGN_MAX_HEADERS 32
#define FLOE_S3_SIGN_MAX_SECRET 128 /* bytes of the secret access key */

/* The payload-hash placeholder for bodies that are not hashed (use over TLS only). */
#define FLOE_S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* sha256("") — the payload hash of GET, HEAD, DELETE and other bodiless requests. */
#define FLOE_S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A name/value pair: a query parameter (raw, unencoded) or a header (as it will be sent).
 * Both strings are borrowed for the duration of the call that receives them. */
struct floe_s3_pair {
    const char *name;
    const char *value; /* NULL is the same as "" */
};

/* The request to sign. Every pointer is borrowed for the duration of the call. */
struct floe_s3_request {
    const char *method; /* "GET", "PUT", "POST", "HEAD", "DELETE": used as given */
    const char *host;   /* the Host header value as sent: "bucket.s3.eu-west-1.amazonaws.com",
                           "127.0.0.1:9000" (with the port when it is not the scheme's default) */
    const char *path;   /* the raw, unencoded path, e.g. "/bucket/dir/a b.parquet"; encoded once
                           by the signer with '/' kept; NULL or "" is "/" */
    const struct floe_s3_pair *query; /* raw query parameters, in any order; may repeat */
    size_t nquery;
    const struct floe_s3_pair *headers; /* extra headers to sign (Range, Content-Type,
                                           If-None-Match, x-amz-meta-…); not host, x-amz-date,
                                           x-amz-content-sha256, x-amz-security-token or
                                           authorization, which the signer owns */
    size_t nheaders;
    const char *payload_hash; /* 64 lowercase hex digits, FLOE_S3_UNSIGNED_PAYLOAD or one of
                                 S3's "STREAMING-…" constants; NULL is FLOE_S3_EMPTY_SHA256.
                                 The caller sends the same value as x-amz-content-sha256. */
};

/* Credentials. The strings are borrowed for the duration of the call. */
struct floe_s3_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "" when the credentials are not temporary */
};

/* Where and when the signature is valid. */
struct floe_s3_scope {
    const char *region;       /* "us-east-1", or what an S3-compatible store expects */
    const char *service;      /* NULL is "s3"; other names exist for the generic SigV4 vectors */
    time_t time;              /* signing time, UTC seconds; ignored when amz_date is set */
    const char *amz_date;     /* NULL, or the exact "YYYYMMDDTHHMMSSZ" to sign with */
    bool omit_content_sha256; /* leave x-amz-content-sha256 out of the signed headers: only for
                                 non-S3 services and their test vectors; S3 requires it */
};

/* The results. Each buffer is the caller's: cap is its size in bytes, len receives the string
 * length (without the NUL). The optional buffers are skipped when their pointer is NULL. */
struct floe_s3_signed {
    char amz_date[FLOE_S3_AMZ_DATE_SIZE]; /* the x-amz-date value to send */
    char *authorization;                  /* the Authorization value to send (required) */
    size_t authorization_cap;
    size_t authorization_len;
    char *canonical_request; /* optional, for tests and debugging */
    size_t canonical_request_cap;
    size_t canonical_request_len;
    char *string_to_sign; /* optional, for tests and debugging */
    size_t string_to_sign_cap;
    size_t string_to_sign_len;
};

/* Streaming SHA-256 (a body read from a file in pieces). The context holds no resources: it may
 * be abandoned at any point without a call. */
struct floe_s3_sha256 {
    mbedtls_sha256_context ctx;
};

/* floe_s3_uri_encode(s, n, keep_slash, dst, cap, &len): writes the SigV4 URI encoding of the n
 * bytes at s to dst: A–Z a–z 0–9 - _ . ~ are kept, '/' is kept when keep_slash (paths) and
 * encoded otherwise (query names and values), every other byte becomes %XX with uppercase hex.
 * dst receives a NUL-terminated string and *len its length. Returns 0, or -ENOSPC when the
 * result and its NUL do not fit in cap (dst then holds "" if cap > 0). */
int floe_s3_uri_encode(const uint8_t *s, size_t n, bool keep_slash, char *dst, size_t cap,
                       size_t *len);

/* floe_s3_canonical_query(q, n, dst, cap, &len): writes the canonical query string of the n raw
 * parameters at q: "name=value" pairs encoded by floe_s3_uri_encode (without keep_slash),
 * sorted by encoded name then encoded value, joined by '&'; "" when n == 0. This is also the
 * query to send, so the sent request matches the signed one. Returns 0, -E2BIG past
 * FLOE_S3_SIGN_MAX_QUERY parameters, -EINVAL for a NULL name, -ENOSPC when it does not fit (dst
 * then holds "" if cap > 0). */
int floe_s3_canonical_query(const struct floe_s3_pair *q, size_t n, char *dst, size_t cap,
                            size_t *len);

/* floe_s3_request_target(req, dst, cap, &len): writes the request-target for the request line,
 * "<encoded path>" or "<encoded path>?<canonical query>", exactly as it is signed. Returns 0 or
 * the errors of floe_s3_canonical_query. */
int floe_s3_request_target(const struct floe_s3_request *req, char *dst, size_t cap, size_t *len);

/* floe_s3_amz_date(t, out): formats UTC time t as "YYYYMMDDTHHMMSSZ". Returns 0, or -EINVAL if
 * t is not representable with a four-digit year (out then holds ""). */
int floe_s3_amz_date(time_t t, char out[FLOE_S3_AMZ_DATE_SIZE]);

/* floe_s3_sign(req, creds, scope, out): signs req. On success returns 0 and fills
 * out->amz_date, out->authorization (+_len) and, when given, out->canonical_request and
 * out->string_to_sign. The request must then go out with exactly what was signed: the target
 * from floe_s3_request_target, Host: req->host, x-amz-date: out->amz_date,
 * x-amz-content-sha256: the payload hash, x-amz-security-token: the session token (when set),
 * the extra headers, and Authorization. Authorization and the token are credentials: never
 * log them. Errors:
 *   -EINVAL  a missing method, host, region or key; a secret over FLOE_S3_SIGN_MAX_SECRET bytes;
 *            a malformed amz_date or payload hash; a header name that is empty, not an HTTP
 *            token, or one the signer owns; a header value or host with CR, LF or NUL; a NULL
 *            query name;
 *   -E2BIG   more than FLOE_S3_SIGN_MAX_QUERY parameters or FLOE_S3_SIGN_MAX_HEADERS headers;
 *   -ENOSPC  an output buffer is too small;
 *   -EIO     mbedTLS failed.
 * On failure every output string given is "" (when its cap > 0). */
int floe_s3_sign(const struct floe_s3_request *req, const struct floe_s3_credentials *creds,
                 const struct floe_s3_scope *scope, struct floe_s3_signed *out);

/* floe_s3_sha256_hex(data, n, out): out receives the lowercase hex SHA-256 of the n bytes at
 * data. Returns 0 or -EIO (out then holds ""). */
int floe_s3_sha256_hex(const uint8_t *data, size_t n, char out[FLOE_S3_SHA256_HEX_SIZE]);

/* floe_s3_sha256_init(h) / _update(h, data, n) / _final(h, out): the same hash over data given
 * in pieces. _final writes the hex digest and leaves h wiped; call _init again to reuse it. Each
 * returns 0 or -EIO; after an error the hash is unusable until _init, and _final's out holds "". */
int floe_s3_sha256_init(struct floe_s3_sha256 *h);
int floe_s3_sha256_update(struct floe_s3_sha256 *h, const uint8_t *data, size_t n);
int floe_s3_sha256_final(struct floe_s3_sha256 *h, char out[FLOE_S3_SHA256_HEX_SIZE]);

#endif
