/* http_wire.c — HTTP/1.1 as bytes, for floe's HTTP client: the request head it writes
 * (validated first: the caller's strings never inject a line) and the response it reads, parsed
 * by llhttp into a struct floe_http_request's out fields (status, Content-Length, captured
 * headers) with the body delivered to the sink or the bounded buffer.
 *
 * The parser is fed whatever the socket (or TLS) produced, split anywhere. Everything the
 * server controls is bounded: the status line and headers of one message
 * (FLOE_HTTP_RESPONSE_HEAD_MAX), the captured values (FLOE_HTTP_CAPTURE_BYTES, first value kept
 * when a header repeats), the number of 1xx interim responses (FLOE_HTTP__INTERIM_MAX), the
 * body (resp_cap, or whatever the sink accepts). Breaking a bound, or llhttp rejecting the
 * bytes, is an error code for the request — never an assert. There is no socket in here, so
 * the fuzz target (tests/http/fuzz_http_response.c) drives the parser directly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"

void floe_http__set_reason(struct floe_http_request *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->reason, sizeof(req->reason), fmt, ap);
    va_end(ap);
}

static struct floe_http__resp *resp_of(llhttp_t *p)
{
    return p->data;
}

/* Fails the current callback with our own code (llhttp then stops with a callback error). */
static int fail(struct floe_http__resp *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->req->reason, sizeof(r->req->reason), fmt, ap);
    va_end(ap);
    r->err = err;
    return -1;
}

static int count_head(struct floe_http__resp *r, size_t len)
{
    r->head_bytes += len;
    if (r->head_bytes > FLOE_HTTP_RESPONSE_HEAD_MAX) {
        return fail(r, FLOE_HTTP_EMALFORMED, "response headers exceed %d bytes",
                    FLOE_HTTP_RESPONSE_HEAD_MAX);
    }
    return 0;
}

static int on_message_begin(llhttp_t *p)
{
    struct floe_http__resp *r = resp_of(p);
    struct floe_http_request *req = r->req;
    /* A new message (the first, or the one after a 1xx): its headers replace the last. */
    r->head_bytes = 0;
    r->capture = -1;
    r->field_len = 0;
    r->field_long = false;
    req->priv.hdr_used = 0;
    req->priv.hdr_set = 0;
    return 0;
}

static int on_status(llhttp_t *p, const char *at, size_t len)
{
    (void)at;
    return count_head(resp_of(p), len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct floe_http__resp *r = resp_of(p);
    if (count_head(r, len) < 0) {
        return -1;
    }
    if (r->field_long || len > sizeof(r->field) - r->field_len) {
        r->field_long = true; /* longer than any name we capture */
        return 0;
    }
    memcpy(r->field + r->field_len, at, len);
    r->field_len += len;
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    struct floe_http__resp *r = resp_of(p);
    struct floe_http_request *req = r->req;
    r->capture = -1;
    if (!r->field_long) {
        for (size_t i = 0; i < req->ncapture; i++) {
            const char *name = req->capture[i];
            if (strlen(name) == r->field_len && strncasecmp(name, r->field, r->field_len) == 0) {
                /* A repeated header keeps its first value: the bit is set once it is whole. */
                if (!(req->priv.hdr_set & (1u << i))) {
                    r->capture = (int)i;
                    req->priv.hdr_off[i] = req->priv.hdr_used;
                    req->priv.hdr_len[i] = 0;
                }
                break;
            }
        }
    }
    r->field_len = 0;
    r->field_long = false;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct floe_http__resp *r = resp_of(p);
    struct floe_http_request *req = r->req;
    if (count_head(r, len) < 0) {
        return -1;
    }
    if (r->capture < 0) {
        return 0;
    }
    /* One byte stays free for the value's NUL. */
    size_t room = sizeof(req->priv.hdr_buf) - req->priv.hdr_used - 1;
    if (len > room) {
        return fail(r, FLOE_HTTP_EMALFORMED, "captured response headers exceed %d bytes (%s)",
                    FLOE_HTTP_CAPTURE_BYTES, req->capture[r->capture]);
    }
    memcpy(req->priv.hdr_buf + req->priv.hdr_used, at, len);
    req->priv.hdr_used = (uint16_t)(req->priv.hdr_used + len);
    req->priv.hdr_len[r->capture] = (uint16_t)(req->priv.hdr_len[r->capture] + len);
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct floe_http__resp *r = resp_of(p);
    struct floe_http_request *req = r->req;
    if (r->capture >= 0) {
        int i = r->capture;
        char *v = req->priv.hdr_buf + req->priv.hdr_off[i];
        size_t n = req->priv.hdr_len[i];
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
            n--;
        }
        v[n] = '\0';
        req->priv.hdr_len[i] = (uint16_t)n;
        req->priv.hdr_used = (uint16_t)(req->priv.hdr_off[i] + n + 1);
        req->priv.hdr_set |= (uint8_t)(1u << i);
        r->capture = -1;
    }
    return 0;
}

/* Returns 1 ("no body") for HEAD and interim responses, as llhttp's contract allows. */
static int on_headers_complete(llhttp_t *p)
{
    struct floe_http__resp *r = resp_of(p);
    struct floe_http_request *req = r->req;
    int status = llhttp_get_status_code(p);
    if (llhttp_get_http_major(p) != 1) {
        return fail(r, FLOE_HTTP_EMALFORMED, "response version HTTP/%d.%d is not HTTP/1.x",
                    llhttp_get_http_major(p), llhttp_get_http_minor(p));
    }
    if (status < 100 || status > 999) {
        return fail(r, FLOE_HTTP_EMALFORMED, "response status %d out of range", status);
    }
    if (status < 200) {
        if (status == 101) {
            return fail(r, FLOE_HTTP_EMALFORMED, "unexpected 101 Switching Protocols");
        }
        if (++r->interims > FLOE_HTTP__INTERIM_MAX) {
            return fail(r, FLOE_HTTP_EMALFORMED, "more than %d interim (1xx) responses",
                        FLOE_HTTP__INTERIM_MAX);
        }
        r->interim = true;
        return 1;
    }
    r->interim = false;
    r->headers_done = true;
    r->chunked = (p->flags & F_CHUNKED) != 0;
    req->status_code = status;
    req->content_length = (p->flags & F_CONTENT_LENGTH) ? (int64_t)p->content_length : -1;
    return r->head ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct floe_http__resp *r = resp_of(p);
    struct floe_http_request *req = r->req;
    if (req->sink) {
        int err = req->sink(req, (const uint8_t *)at, len);
        if (err < 0) {
            return fail(r, err, "response sink refused the body: %d", err);
        }
    } else if (req->resp_buf) {
        if (len > req->resp_cap - req->resp_len) {
            return fail(r, -ENOSPC, "response body larger than the %zu-byte buffer", req->resp_cap);
        }
        memcpy(req->resp_buf + req->resp_len, at, len);
    }
    req->resp_len += len;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct floe_http__resp *r = resp_of(p);
    if (r->interim) {
        r->interim = false;
        return 0; /* go on with the final response */
    }
    r->complete = true;
    r->keep_alive = llhttp_should_keep_alive(p) != 0;
    /* Stop right after the response: what follows is not ours. */
    return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
    .on_message_begin = on_message_begin,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void floe_http__resp_start(struct floe_http__resp *r, struct floe_http_request *req)
{
    memset(r, 0, sizeof(*r));
    r->req = req;
    r->capture = -1;
    r->head = strcmp(req->method, "HEAD") == 0;
    llhttp_init(&r->parser, HTTP_RESPONSE, &settings);
    r->parser.data = r;
    req->status_code = 0;
    req->content_length = -1;
    req->resp_len = 0;
    req->priv.hdr_used = 0;
    req->priv.hdr_set = 0;
}

static int parser_failed(struct floe_http__resp *r, llhttp_errno_t e)
{
    struct floe_http_request *req = r->req;
    req->cause = (int)e;
    if (r->err) {
        return r->err; /* our own, reason already set */
    }
    const char *why = llhttp_get_error_reason(&r->parser);
    floe_http__set_reason(req, "llhttp: %s (%s)", why ? why : "?", llhttp_errno_name(e));
    r->err = FLOE_HTTP_EMALFORMED;
    return r->err;
}

int floe_http__resp_feed(struct floe_http__resp *r, const uint8_t *data, size_t len)
{
    if (r->err) {
        return r->err;
    }
    if (r->complete) {
        r->extra += len;
        return 0;
    }
    if (len == 0) {
        return 0;
    }
    r->begun = true;
    llhttp_errno_t e = llhttp_execute(&r->parser, (const char *)data, len);
    if (e == HPE_OK) {
        return 0;
    }
    if (e == HPE_PAUSED && r->complete) {
        const char *pos = llhttp_get_error_pos(&r->parser);
        size_t used = pos ? (size_t)((const uint8_t *)pos - data) : len;
        r->extra += len - (used <= len ? used : len);
        return 0;
    }
    return parser_failed(r, e);
}

int floe_http__resp_eof(struct floe_http__resp *r)
{
    struct floe_http_request *req = r->req;
    if (r->err) {
        return r->err;
    }
    if (r->complete) {
        return 0;
    }
    if (!r->begun) {
        floe_http__set_reason(req, "connection closed before any response byte");
        return FLOE_HTTP_ETRUNCATED;
    }
    llhttp_errno_t e = llhttp_finish(&r->parser);
    if (r->complete && (e == HPE_OK || e == HPE_PAUSED)) {
        return 0; /* a body delimited by the end of the connection */
    }
    if (e != HPE_OK && e != HPE_INVALID_EOF_STATE) {
        return parser_failed(r, e);
    }
    req->cause = (int)e;
    if (!r->headers_done) {
        floe_http__set_reason(req, "connection closed inside the response headers");
    } else if (r->chunked) {
        floe_http__set_reason(
            req, "connection closed before the last chunk (%" PRIu64 " body bytes received)",
            req->resp_len);
    } else if (req->content_length >= 0) {
        floe_http__set_reason(req, "connection closed after %" PRIu64 " of %" PRId64 " body bytes",
                              req->resp_len, req->content_length);
    } else {
        floe_http__set_reason(req, "connection closed inside the response");
    }
    return FLOE_HTTP_ETRUNCATED;
}

/* ---- the request: validation and head ---- */

static bool is_tchar(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool is_token(const char *s)
{
    if (!s || !*s) {
        return false;
    }
    for (; *s; s++) {
        if (!is_tchar((unsigned char)*s)) {
            return false;
        }
    }
    return true;
}

/* Visible characters, and blanks inside a header value. */
static bool is_clean(const char *s, bool blanks)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == 0x7f || (ch < 0x21 && !(blanks && (ch == ' ' || ch == '\t')))) {
            return false;
        }
    }
    return true;
}

static bool is_host(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > FLOE_HTTP_HOST_MAX) {
        return false;
    }
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.' || ch == ':' || ch == '_' || ch == '%')) {
            return false;
        }
    }
    return true;
}

uint16_t floe_http__port_of(const struct floe_http_request *req)
{
    return req->port ? req->port : (req->tls ? 443 : 80);
}

static bool wants_length(const struct floe_http_request *req)
{
    static const char *const bodyless[] = {"GET", "HEAD", "DELETE", "OPTIONS"};
    if (req->body.kind != FLOE_HTTP_BODY_NONE) {
        return true;
    }
    for (size_t i = 0; i < sizeof(bodyless) / sizeof(bodyless[0]); i++) {
        if (strcmp(req->method, bodyless[i]) == 0) {
            return false;
        }
    }
    return true;
}

struct head_out {
    uint8_t *dst; /* NULL: measure only */
    size_t cap;
    size_t len;
};

static void put(struct head_out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->dst && o->len + n <= o->cap) {
        memcpy(o->dst + o->len, s, n);
    }
    o->len += n;
}

/* Writes (or, with dst NULL, measures) the request line and headers; *len is the size.
 * -EMSGSIZE past cap. The request must have been validated. */
int floe_http__format_head(const struct floe_http_request *req, uint8_t *dst, size_t cap,
                           size_t *len)
{
    struct head_out o = {dst, cap, 0};
    char num[32];
    bool has_host = false;
    put(&o, req->method);
    put(&o, " ");
    put(&o, req->target);
    put(&o, " HTTP/1.1\r\n");
    for (size_t i = 0; i < req->nheaders; i++) {
        has_host = has_host || strcasecmp(req->headers[i].name, "host") == 0;
    }
    if (!has_host) {
        bool v6 = strchr(req->host, ':') != NULL;
        put(&o, v6 ? "Host: [" : "Host: ");
        put(&o, req->host);
        put(&o, v6 ? "]" : "");
        if (req->port && req->port != (req->tls ? 443 : 80)) {
            snprintf(num, sizeof(num), ":%u", (unsigned)req->port);
            put(&o, num);
        }
        put(&o, "\r\n");
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        put(&o, req->headers[i].name);
        put(&o, ": ");
        put(&o, req->headers[i].value);
        put(&o, "\r\n");
    }
    if (wants_length(req)) {
        snprintf(num, sizeof(num), "%" PRIu64, req->body.kind ? req->body.len : 0);
        put(&o, "Content-Length: ");
        put(&o, num);
        put(&o, "\r\n");
    }
    put(&o, "\r\n");
    *len = o.len;
    return o.len <= cap ? 0 : -EMSGSIZE;
}

int floe_http__validate(const struct floe_http_request *req)
{
    if (!is_token(req->method) || !is_host(req->host) || !req->target || req->target[0] != '/' ||
        !is_clean(req->target, false)) {
        return -EINVAL;
    }
    if (req->nheaders && !req->headers) {
        return -EINVAL;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct floe_http_header *h = &req->headers[i];
        if (!is_token(h->name) || !h->value || !is_clean(h->value, true) ||
            strcasecmp(h->name, "content-length") == 0 ||
            strcasecmp(h->name, "transfer-encoding") == 0) {
            return -EINVAL;
        }
    }
    switch (req->body.kind) {
    case FLOE_HTTP_BODY_NONE:
        break;
    case FLOE_HTTP_BODY_MEMORY:
        if (!req->body.data && req->body.len) {
            return -EINVAL;
        }
        break;
    case FLOE_HTTP_BODY_FILE:
        if (req->body.fd < 0 || req->body.offset < 0 ||
            req->body.len > (uint64_t)INT64_MAX - (uint64_t)req->body.offset) {
            return -EINVAL;
        }
        break;
    default:
        return -EINVAL;
    }
    if (req->ncapture > FLOE_HTTP_CAPTURE_MAX || (req->ncapture && !req->capture)) {
        return -EINVAL;
    }
    for (size_t i = 0; i < req->ncapture; i++) {
        if (!is_token(req->capture[i]) || strlen(req->capture[i]) > FLOE_HTTP__FIELD_MAX) {
            return -EINVAL;
        }
    }
    size_t len;
    return floe_http__format_head(req, NULL, FLOE_HTTP_REQUEST_HEAD_MAX, &len);
}

void floe_http__reset_out(struct floe_http_request *req)
{
    req->status_code = 0;
    req->content_length = -1;
    req->resp_len = 0;
    req->tls_verify = 0;
    req->cause = 0;
    req->reason[0] = '\0';
    req->priv.hdr_used = 0;
    req->priv.hdr_set = 0;
}

const char *floe_http_response_header(const struct floe_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->ncapture; i++) {
        if (strcasecmp(req->capture[i], name) == 0) {
            return (req->priv.hdr_set & (1u << i)) ? req->priv.hdr_buf + req->priv.hdr_off[i]
                                                   : NULL;
        }
    }
    return NULL;
}
