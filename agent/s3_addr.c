/* s3_addr.c — the S3 client's pure parts that decide where a request goes and what it is made
 * of: endpoint URLs, path-style and virtual-hosted addressing, s3:// URIs, multipart planning,
 * the DeleteObjects body, settings and credentials from the config (contracts in s3.h).
 *
 * No I/O, no allocation, no logging: everything here is unit-tested without a server.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

/* ---- endpoint ----------------------------------------------------------------------------- */

static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
}

/* An IPv4 dotted quad or a name made only of digits and dots: not a DNS name. */
static bool is_ipv4_literal(const char *h)
{
    for (; *h; h++) {
        if (!((*h >= '0' && *h <= '9') || *h == '.')) {
            return false;
        }
    }
    return true;
}

static bool is_address_literal(const char *h)
{
    return strchr(h, ':') != NULL || is_ipv4_literal(h);
}

int floe_s3_endpoint_parse(const char *url, const char *region, struct floe_s3_endpoint *ep)
{
    memset(ep, 0, sizeof(*ep));
    if (!url || !*url) {
        if (!region || !*region || strlen(region) >= FLOE_S3_REGION_SIZE) {
            return -EINVAL;
        }
        for (const char *r = region; *r; r++) {
            if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-')) {
                return -EINVAL;
            }
        }
        ep->tls = true;
        ep->default_aws = true;
        snprintf(ep->host, sizeof(ep->host), "s3.%s.amazonaws.com", region);
        return 0;
    }
    const char *p;
    if (strncmp(url, "https://", 8) == 0) {
        ep->tls = true;
        p = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else {
        return -EINVAL;
    }
    const char *hs, *he;
    if (*p == '[') {
        hs = p + 1;
        he = strchr(hs, ']');
        if (!he || he == hs) {
            goto bad;
        }
        for (const char *q = hs; q < he; q++) {
            if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F') ||
                  *q == ':' || *q == '.')) {
                goto bad;
            }
        }
        p = he + 1;
    } else {
        hs = p;
        while (is_host_char(*p)) {
            p++;
        }
        he = p;
        if (he == hs) {
            goto bad;
        }
    }
    if ((size_t)(he - hs) > FLOE_HTTP_HOST_MAX) {
        goto bad;
    }
    memcpy(ep->host, hs, (size_t)(he - hs));
    ep->host[he - hs] = '\0';
    if (*p == ':') {
        p++;
        unsigned long port = 0;
        const char *d = p;
        while (*p >= '0' && *p <= '9' && port <= 65535) {
            port = port * 10 + (unsigned long)(*p - '0');
            p++;
        }
        if (p == d || port == 0 || port > 65535) {
            goto bad;
        }
        ep->port = (uint16_t)port;
        if (ep->port == (ep->tls ? 443 : 80)) {
            ep->port = 0;
        }
    }
    if (*p == '/') {
        p++;
    }
    if (*p != '\0') {
        goto bad; /* a path, query, fragment or user info */
    }
    return 0;
bad:
    memset(ep, 0, sizeof(*ep));
    return -EINVAL;
}

/* ---- addressing --------------------------------------------------------------------------- */

bool floe_s3_bucket_valid(const char *b)
{
    size_t n = b ? strlen(b) : 0;
    if (n < 3 || n > 63) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '-') {
            return false;
        }
        if ((i == 0 || i == n - 1) && !alnum) {
            return false;
        }
    }
    return true;
}

int floe_s3_address(const struct floe_s3_endpoint *ep, bool path_style, const char *bucket,
                    const char *key, struct floe_s3_address *out)
{
    memset(out, 0, sizeof(*out));
    if (!floe_s3_bucket_valid(bucket)) {
        return -EINVAL;
    }
    if (!key) {
        key = "";
    }
    if (strlen(key) >= FLOE_S3_KEY_SIZE) {
        return -ENAMETOOLONG;
    }
    bool vhost = !path_style && !is_address_literal(ep->host) &&
                 !(ep->tls && strchr(bucket, '.'));
    int n;
    if (vhost) {
        n = snprintf(out->host, sizeof(out->host), "%s.%s", bucket, ep->host);
        if (n < 0 || (size_t)n >= sizeof(out->host)) {
            memset(out, 0, sizeof(*out));
            return -ENAMETOOLONG;
        }
        snprintf(out->path, sizeof(out->path), "/%s", key);
    } else {
        snprintf(out->host, sizeof(out->host), "%s", ep->host);
        snprintf(out->path, sizeof(out->path), "/%s%s%s", bucket, *key ? "/" : "", key);
    }
    bool v6 = strchr(out->host, ':') != NULL;
    if (ep->port) {
        snprintf(out->host_header, sizeof(out->host_header), v6 ? "[%s]:%u" : "%s:%u", out->host,
                 (unsigned)ep->port);
    } else {
        snprintf(out->host_header, sizeof(out->host_header), v6 ? "[%s]" : "%s", out->host);
    }
    out->port = ep->port;
    out->tls = ep->tls;
    return 0;
}

int floe_s3_parse_uri(const char *uri, char *bucket, size_t bcap, const char **key)
{
    if (bcap > 0) {
        bucket[0] = '\0';
    }
    *key = NULL;
    if (!uri || strncmp(uri, "s3://", 5) != 0) {
        return -EINVAL;
    }
    const char *b = uri + 5;
    const char *slash = strchr(b, '/');
    size_t n = slash ? (size_t)(slash - b) : strlen(b);
    if (n + 1 > bcap || n >= FLOE_S3_BUCKET_SIZE) {
        return -EINVAL;
    }
    memcpy(bucket, b, n);
    bucket[n] = '\0';
    if (!floe_s3_bucket_valid(bucket)) {
        bucket[0] = '\0';
        return -EINVAL;
    }
    *key = slash ? slash + 1 : b + n;
    return 0;
}

/* ---- multipart planning ------------------------------------------------------------------- */

int floe_s3_plan_parts(uint64_t size, uint64_t part_size, struct floe_s3_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (size > FLOE_S3_MAX_OBJECT_SIZE) {
        return -EFBIG;
    }
    if (part_size < FLOE_S3_MIN_PART_SIZE) {
        part_size = FLOE_S3_MIN_PART_SIZE;
    }
    if (part_size > FLOE_S3_MAX_PART_SIZE) {
        part_size = FLOE_S3_MAX_PART_SIZE;
    }
    if (size <= part_size) {
        plan->part_size = size;
        plan->nparts = 1;
        plan->last_size = size;
        return 0;
    }
    if ((size + part_size - 1) / part_size > FLOE_S3_MAX_PARTS) {
        /* The smallest whole-MiB part size that fits the object in 10,000 parts. */
        uint64_t need = (size + FLOE_S3_MAX_PARTS - 1) / FLOE_S3_MAX_PARTS;
        part_size = (need + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
    }
    plan->multipart = true;
    plan->part_size = part_size;
    plan->nparts = (uint32_t)((size + part_size - 1) / part_size);
    plan->last_size = size - (uint64_t)(plan->nparts - 1) * part_size;
    return 0;
}

/* ---- DeleteObjects body ------------------------------------------------------------------- */

static int put(uint8_t *dst, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n >= cap) {
        return -ENOSPC;
    }
    memcpy(dst + *len, s, n);
    *len += n;
    return 0;
}

int floe_s3_delete_body(const char *const *keys, size_t n, uint8_t *dst, size_t cap,
                        size_t *len)
{
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                               "<Quiet>true</Quiet>";
    int rc;
    *len = 0;
    if (n == 0 || n > FLOE_S3_DELETE_MAX) {
        rc = -E2BIG;
        goto fail;
    }
    if ((rc = put(dst, cap, len, head, sizeof(head) - 1)) < 0) {
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *k = (const unsigned char *)keys[i];
        if (!k || !*k || strlen(keys[i]) >= FLOE_S3_KEY_SIZE) {
            rc = -EINVAL;
            goto fail;
        }
        if ((rc = put(dst, cap, len, "<Object><Key>", 13)) < 0) {
            goto fail;
        }
        for (; *k; k++) {
            char ref[8];
            const char *s = (const char *)k;
            size_t sl = 1;
            if (*k == '&') {
                s = "&amp;", sl = 5;
            } else if (*k == '<') {
                s = "&lt;", sl = 4;
            } else if (*k == '>') {
                s = "&gt;", sl = 4;
            } else if (*k == '\r' || *k == '\n' || *k == '\t') {
                /* XML normalises raw line ends and tabs inside text; a reference keeps them. */
                sl = (size_t)snprintf(ref, sizeof(ref), "&#%u;", (unsigned)*k);
                s = ref;
            } else if (*k < 0x20) {
                rc = -EINVAL; /* not a character XML 1.0 can carry */
                goto fail;
            }
            if ((rc = put(dst, cap, len, s, sl)) < 0) {
                goto fail;
            }
        }
        if ((rc = put(dst, cap, len, "</Key></Object>", 15)) < 0) {
            goto fail;
        }
    }
    if ((rc = put(dst, cap, len, "</Delete>", 9)) < 0) {
        goto fail;
    }
    dst[*len] = '\0';
    return 0;
fail:
    *len = 0;
    if (cap > 0) {
        dst[0] = '\0';
    }
    return rc;
}

/* ---- settings ----------------------------------------------------------------------------- */

static int copy(char *dst, size_t cap, const char *src, const char *what, char *err, size_t ecap)
{
    if (!src) {
        src = "";
    }
    if (strlen(src) >= cap) {
        snprintf(err, ecap, "s3.%s is too long (at most %zu bytes)", what, cap - 1);
        return -EINVAL;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

static const char *env_or_empty(floe_s3_getenv_fn getenv_fn, const char *name)
{
    const char *v = getenv_fn(name);
    return v ? v : "";
}

int floe_s3_settings_from_config(const struct floe_config *cfg, floe_s3_getenv_fn getenv_fn,
                                 struct floe_s3_settings *out, char *err, size_t cap)
{
    int rc;
    if (!getenv_fn) {
        getenv_fn = floe_env_get;
    }
    if (cap > 0) {
        err[0] = '\0';
    }
    memset(out, 0, sizeof(*out));
    const char *region = cfg->s3.region;
    if (!region || !*region) {
        region = env_or_empty(getenv_fn, "AWS_REGION");
    }
    if (!*region) {
        region = env_or_empty(getenv_fn, "AWS_DEFAULT_REGION");
    }
    if (!*region) {
        region = "us-east-1";
    }
    if ((rc = copy(out->region, sizeof(out->region), region, "region", err, cap)) < 0) {
        goto fail;
    }
    if (floe_s3_endpoint_parse(cfg->s3.endpoint, out->region, &out->endpoint) < 0) {
        snprintf(err, cap,
                 "s3.endpoint \"%s\" is not an http:// or https:// URL with a host and an "
                 "optional port (region \"%s\")",
                 cfg->s3.endpoint ? cfg->s3.endpoint : "", out->region);
        rc = -EINVAL;
        goto fail;
    }
    const char *akid = cfg->s3.access_key_id, *secret = cfg->s3.secret_access_key;
    const char *token = cfg->s3.session_token;
    if (!akid || !*akid || !secret || !*secret) {
        /* The config gives no complete pair: take all three from the environment. */
        akid = env_or_empty(getenv_fn, "AWS_ACCESS_KEY_ID");
        secret = env_or_empty(getenv_fn, "AWS_SECRET_ACCESS_KEY");
        token = env_or_empty(getenv_fn, "AWS_SESSION_TOKEN");
    }
    if (!*akid || !*secret) {
        snprintf(err, cap,
                 "no S3 credentials: set s3.access_key_id and s3.secret_access_key, or "
                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        rc = -EINVAL;
        goto fail;
    }
    if ((rc = copy(out->access_key_id, sizeof(out->access_key_id), akid, "access_key_id", err,
                   cap)) < 0 ||
        (rc = copy(out->secret_access_key, sizeof(out->secret_access_key), secret,
                   "secret_access_key", err, cap)) < 0 ||
        (rc = copy(out->session_token, sizeof(out->session_token), token, "session_token", err,
                   cap)) < 0 ||
        (rc = copy(out->ca_file, sizeof(out->ca_file), cfg->s3.ca_file, "ca_file", err, cap)) <
            0) {
        goto fail;
    }
    out->verify = cfg->s3.verify;
    out->path_style = cfg->s3.path_style;
    out->part_size = cfg->s3.part_size ? cfg->s3.part_size : (8u << 20);
    out->max_in_flight = cfg->s3.max_in_flight > 0 ? (unsigned)cfg->s3.max_in_flight : 4;
    if (out->max_in_flight > FLOE_S3_MAX_IN_FLIGHT) {
        out->max_in_flight = FLOE_S3_MAX_IN_FLIGHT;
    }
    out->connect_timeout_ms = cfg->s3.connect_timeout_ms;
    out->request_timeout_ms = cfg->s3.request_timeout_ms;
    return 0;
fail:
    /* Never leave a copy of a secret behind in a struct the caller may not wipe. */
    memset(out, 0, sizeof(*out));
    return rc;
}
