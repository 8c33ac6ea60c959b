/* s3_retry.c — when an S3 request is tried again and after how long (contracts in s3.h), and
 * the module's error messages.
 *
 * The verdict follows what AWS documents for its SDKs' "standard" retry mode: throttling and
 * server-side errors and every transport failure are transient; other client errors are not.
 * The delay is "full jitter" (uniform in [0, min(cap, base * 2^(n-1))]), which spreads clients
 * that failed together instead of making them retry in step.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "s3.h"

#define DEFAULT_ATTEMPTS 10
#define DEFAULT_BASE_MS 100
#define DEFAULT_CAP_MS 20000

static const char *const transient_codes[] = {
    "SlowDown",           "RequestTimeout",      "InternalError", "ServiceUnavailable",
    "Throttling",         "ThrottlingException", "RequestTimeTooSkewed", "OperationAborted",
    "RequestLimitExceeded", "BadDigest", /* a body damaged on the way: sending it again fixes it */
};

enum floe_s3_verdict floe_s3_classify(int status, int http_status, const char *s3_code)
{
    if (status < 0) {
        switch (status) {
        case -ECANCELED:
        case -EINVAL:
        case -EMSGSIZE:
        case -ENOSPC: /* the response does not fit the caller's buffer: it will not next time */
        case -EFBIG:
        case -ENOMEM:
        case FLOE_HTTP_ETLSVERIFY:
            return FLOE_S3_FAIL;
        default:
            /* DNS, refused or reset connections, timeouts, truncation, malformed responses,
             * TLS failures and a body file that ended early (-EIO: it may be growing). */
            return FLOE_S3_RETRY;
        }
    }
    if (http_status >= 200 && http_status < 300) {
        return FLOE_S3_DONE;
    }
    if (s3_code && *s3_code) {
        for (size_t i = 0; i < sizeof(transient_codes) / sizeof(transient_codes[0]); i++) {
            if (strcmp(s3_code, transient_codes[i]) == 0) {
                return FLOE_S3_RETRY;
            }
        }
    }
    if (http_status >= 500 || http_status == 429 || http_status == 408) {
        return FLOE_S3_RETRY;
    }
    return FLOE_S3_FAIL;
}

uint64_t floe_s3_backoff_ms(const struct floe_s3_retry *r, uint32_t attempt, uint32_t rnd)
{
    uint64_t base = r && r->base_ms ? r->base_ms : DEFAULT_BASE_MS;
    uint64_t cap = r && r->cap_ms ? r->cap_ms : DEFAULT_CAP_MS;
    uint64_t ceil = cap;
    if (attempt == 0) {
        attempt = 1;
    }
    if (attempt - 1 < 40) {
        uint64_t exp = base << (attempt - 1);
        if (exp < ceil) {
            ceil = exp;
        }
    }
    /* rnd / 2^32 * (ceil + 1), so every value of [0, ceil] can come out. */
    return ((uint64_t)rnd * (ceil + 1)) >> 32;
}

bool floe_s3_retry_allowed(const struct floe_s3_retry *r, uint32_t attempts)
{
    uint32_t max = r && r->max_attempts ? r->max_attempts : DEFAULT_ATTEMPTS;
    return max == FLOE_S3_RETRY_FOREVER || attempts < max;
}

static const struct {
    int code;
    const char *msg;
} s3_errors[] = {
    {FLOE_S3_EPRECONDITION, "precondition failed: the object exists"},
    {FLOE_S3_ECONFLICT, "conflicting concurrent write (ConditionalRequestConflict)"},
    {FLOE_S3_EREMOTE, "S3 refused the request"},
    {FLOE_S3_EETAG, "multipart ETag does not match the parts sent"},
    {FLOE_S3_ENOBUCKET, "no such bucket"},
    {FLOE_S3_ENOKEY, "no such key"},
    {FLOE_S3_EDENIED, "access denied"},
};

const char *floe_s3_strerror(int err)
{
    for (size_t i = 0; i < sizeof(s3_errors) / sizeof(s3_errors[0]); i++) {
        if (s3_errors[i].code == err) {
            return s3_errors[i].msg;
        }
    }
    return floe_http_strerror(err);
}
