/* s3.c — the S3 client on the loop: the client (HTTP client, settings, credentials, retry
 * timer) and the single-request operation's state machine (contracts in s3.h).
 *
 * An operation goes through
 *
 *     QUEUED ──► HASHING ──► SENDING ──► (done) ──► FINISHED
 *        ▲  (thread pool)        │
 *        └──── WAITING ◄─────────┘ transient failure, retry budget left
 *
 * QUEUED and WAITING ops sit in the client's queue, ordered by due time, served by one timer:
 * that is also how floe_s3_op_start defers all work to the loop, so no callback runs inside
 * it. Bodies are hashed once (MD5 for Content-MD5; SHA-256 too over plain http, see s3.h) on
 * libuv's thread pool; each attempt is then signed afresh and handed to floe_http_client.
 * Responses other than 2xx are collected (bounded) for their XML <Error>, whose Code decides
 * the verdict (s3_retry.c) and whose Code and Message go into op->err.
 *
 * A conditional PUT (If-None-Match: *) that answers 412 after an earlier attempt of the same op
 * may have been refused because that earlier attempt succeeded: the op then asks HEAD for the
 * object's ETag and reports success when it is the MD5 of our own body.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/md5.h>

#include "fsutil.h"
#include "log.h"
#include "s3_internal.h"

#define MODULE "s3"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

enum op_state {
    OP_IDLE = 0,
    OP_QUEUED,   /* in the client's queue, due now */
    OP_HASHING,  /* body hashing on the thread pool */
    OP_SENDING,  /* an HTTP request in flight */
    OP_WAITING,  /* in the queue until the backoff delay has passed */
    OP_CHECKING, /* conditional PUT: HEAD to tell our own earlier write from another's */
};

/* ---- client ------------------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

int floe_s3_client_new(uv_loop_t *loop, const struct floe_s3_settings *settings,
                       struct floe_s3_client **out, char *err, size_t cap)
{
    struct floe_s3_client *c = calloc(1, sizeof(*c));
    int rc;
    if (!c) {
        snprintf(err, cap, "out of memory");
        return -ENOMEM;
    }
    c->loop = loop;
    c->settings = *settings;
    struct floe_http_client_options ho = {
        .loop = loop,
        .ca_file = settings->ca_file[0] ? settings->ca_file : NULL,
        .insecure_no_verify = !settings->verify,
        .connect_timeout_ms = settings->connect_timeout_ms,
        .request_timeout_ms = settings->request_timeout_ms,
        .max_connections = settings->max_in_flight + 2,
        .max_idle_per_host = settings->max_in_flight + 2,
    };
    if (!settings->verify) {
        FLOE_WARN(MODULE, "TLS certificate verification is off (s3.verify = false): the S3 "
                          "endpoint is not authenticated");
    }
    if ((rc = floe_http_client_new(&ho, &c->http)) < 0) {
        snprintf(err, cap, "S3 client: %s%s%s", floe_http_strerror(rc),
                 settings->ca_file[0] ? " (s3.ca_file " : "",
                 settings->ca_file[0] ? "unusable)" : "");
        goto fail;
    }
    if ((rc = uv_timer_init(loop, &c->timer)) < 0) {
        snprintf(err, cap, "S3 client: %s", uv_strerror(rc));
        floe_http_client_close(c->http, NULL, NULL);
        /* The HTTP client frees itself on the loop; c must outlive nothing of it. */
        goto fail;
    }
    c->timer.data = c;
    *out = c;
    return 0;
fail:
    explicit_wipe(&c->settings, sizeof(c->settings));
    free(c);
    return rc;
}

static void on_timer_closed(uv_handle_t *h);

/* Once closing, no op is live and the HTTP client is gone: close the timer, whose close
 * callback frees the client and reports. */
static void maybe_free(struct floe_s3_client *c)
{
    if (!c->closing || c->live > 0 || !c->http_closed || c->timer_closing) {
        return;
    }
    c->timer_closing = true;
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void on_http_closed(void *ctx)
{
    struct floe_s3_client *c = ctx;
    c->http_closed = true;
    maybe_free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct floe_s3_client *c = h->data;
    void (*cb)(void *) = c->close_cb;
    void *ctx = c->close_ctx;
    explicit_wipe(&c->settings, sizeof(c->settings));
    free(c);
    if (cb) {
        cb(ctx);
    }
}

void floe_s3_client_close(struct floe_s3_client *c, void (*cb)(void *ctx), void *ctx)
{
    c->closing = true;
    c->close_cb = cb;
    c->close_ctx = ctx;
    /* Queued ops are failed from the timer (never from inside this call). */
    uv_timer_start(&c->timer, on_timer, 0, 0);
    floe_http_client_close(c->http, on_http_closed, c);
}

int floe_s3_client_set_credentials(struct floe_s3_client *c,
                                   const struct floe_s3_credentials *creds)
{
    const char *tok = creds->session_token ? creds->session_token : "";
    if (!creds->access_key_id || !*creds->access_key_id || !creds->secret_access_key ||
        !*creds->secret_access_key ||
        strlen(creds->access_key_id) >= sizeof(c->settings.access_key_id) ||
        strlen(creds->secret_access_key) >= sizeof(c->settings.secret_access_key) ||
        strlen(tok) >= sizeof(c->settings.session_token)) {
        return -EINVAL;
    }
    snprintf(c->settings.access_key_id, sizeof(c->settings.access_key_id), "%s",
             creds->access_key_id);
    snprintf(c->settings.secret_access_key, sizeof(c->settings.secret_access_key), "%s",
             creds->secret_access_key);
    snprintf(c->settings.session_token, sizeof(c->settings.session_token), "%s", tok);
    FLOE_INFO(MODULE, "credentials replaced\tsession_token=%s", *tok ? "yes" : "no");
    return 0;
}

void floe_s3_client_stats(const struct floe_s3_client *c, struct floe_s3_stats *out)
{
    struct floe_http_stats hs;
    *out = c->stats;
    floe_http_client_stats(c->http, &hs);
    out->connections = hs.connections;
}

const struct floe_s3_settings *floe_s3_client_settings(const struct floe_s3_client *c)
{
    return &c->settings;
}

/* ---- the queue ---------------------------------------------------------------------------- */

/* Inserts op by due time (FIFO among equals) and re-arms the timer. */
static void enqueue(struct floe_s3_client *c, struct floe_s3_op *op, uint64_t delay_ms)
{
    op->priv.due = uv_now(c->loop) + delay_ms;
    struct floe_s3_op **pp = &c->queue;
    while (*pp && (*pp)->priv.due <= op->priv.due) {
        pp = &(*pp)->priv.next;
    }
    op->priv.next = *pp;
    *pp = op;
    uint64_t first = c->queue->priv.due, now = uv_now(c->loop);
    uv_timer_start(&c->timer, on_timer, first > now ? first - now : 0, 0);
}

static void dequeue(struct floe_s3_client *c, struct floe_s3_op *op)
{
    for (struct floe_s3_op **pp = &c->queue; *pp; pp = &(*pp)->priv.next) {
        if (*pp == op) {
            *pp = op->priv.next;
            op->priv.next = NULL;
            return;
        }
    }
}

static void advance(struct floe_s3_op *op);
static void finish(struct floe_s3_op *op, int status);

static void on_timer(uv_timer_t *t)
{
    struct floe_s3_client *c = t->data;
    uint64_t now = uv_now(c->loop);
    while (c->queue && (c->closing || c->queue->priv.due <= now)) {
        struct floe_s3_op *op = c->queue;
        c->queue = op->priv.next;
        op->priv.next = NULL;
        if (c->closing || op->priv.cancelled) {
            finish(op, -ECANCELED);
            continue;
        }
        advance(op);
    }
    if (c->queue) {
        uint64_t first = c->queue->priv.due;
        uv_timer_start(&c->timer, on_timer, first > now ? first - now : 0, 0);
    }
}

/* ---- requests ----------------------------------------------------------------------------- */

static const char *method_of(enum floe_s3_op_kind k)
{
    switch (k) {
    case FLOE_S3_PUT:
    case FLOE_S3_MP_PART:
    case FLOE_S3_CREATE_BUCKET:
        return "PUT";
    case FLOE_S3_GET:
    case FLOE_S3_LIST:
        return "GET";
    case FLOE_S3_HEAD:
        return "HEAD";
    case FLOE_S3_DELETE_BATCH:
    case FLOE_S3_MP_CREATE:
    case FLOE_S3_MP_COMPLETE:
        return "POST";
    case FLOE_S3_MP_ABORT:
        return "DELETE";
    }
    return "GET";
}

static bool has_body(const struct floe_s3_op *op)
{
    return op->kind == FLOE_S3_PUT || op->kind == FLOE_S3_MP_PART ||
           op->kind == FLOE_S3_MP_COMPLETE || op->kind == FLOE_S3_DELETE_BATCH ||
           (op->kind == FLOE_S3_CREATE_BUCKET && op->priv.body_len > 0);
}

/* Whether the body gets Content-MD5: every write of data (S3 requires it for DeleteObjects). */
static bool wants_md5(const struct floe_s3_op *op)
{
    return op->kind == FLOE_S3_PUT || op->kind == FLOE_S3_MP_PART ||
           op->kind == FLOE_S3_DELETE_BATCH;
}

const char *floe_s3__op_name(enum floe_s3_op_kind k)
{
    static const char *const names[] = {
        "?", "PUT", "GET", "HEAD", "LIST", "DELETE", "CREATE-BUCKET", "CREATE-MULTIPART",
        "UPLOAD-PART", "COMPLETE-MULTIPART", "ABORT-MULTIPART",
    };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void set_err(struct floe_s3_op *op, const char *fmt, const char *detail)
{
    snprintf(op->err, sizeof(op->err), "%s s3://%s/%s: ", floe_s3__op_name(op->kind),
             op->bucket ? op->bucket : "", op->key ? op->key : "");
    size_t n = strlen(op->err);
    snprintf(op->err + n, sizeof(op->err) - n, fmt, detail);
}

static int sink(struct floe_http_request *req, const uint8_t *data, size_t len)
{
    struct floe_s3_op *op = container_of(req, struct floe_s3_op, priv.http);
    if (req->status_code < 200 || req->status_code >= 300) {
        size_t room = sizeof(op->priv.err_body) - op->priv.err_len;
        size_t n = len < room ? len : room; /* an error body beyond 2 KiB is cut: fine */
        memcpy(op->priv.err_body + op->priv.err_len, data, n);
        op->priv.err_len += n;
        return 0;
    }
    op->size += len;
    if (op->sink) {
        return op->sink(op, data, len);
    }
    if (!op->resp_buf) {
        return 0;
    }
    if (len > op->resp_cap - op->resp_len) {
        return -ENOSPC;
    }
    memcpy(op->resp_buf + op->resp_len, data, len);
    op->resp_len += len;
    return 0;
}

static void on_http_done(struct floe_http_request *req, int status);

/* Signs the attempt and hands it to the HTTP client. Returns 0 or a code that ends the op. */
static int send_attempt(struct floe_s3_op *op, bool head_check)
{
    struct floe_s3_client *c = op->priv.client;
    const struct floe_s3_settings *st = &c->settings;
    struct floe_s3_pair query[4];
    size_t nq = 0;
    char max_keys[16];
    char partno[16];
    enum floe_s3_op_kind kind = head_check ? FLOE_S3_HEAD : op->kind;

    switch (kind) {
    case FLOE_S3_LIST:
        query[nq++] = (struct floe_s3_pair){"list-type", "2"};
        query[nq++] = (struct floe_s3_pair){"prefix", op->key ? op->key : ""};
        if (op->list_token && *op->list_token) {
            query[nq++] = (struct floe_s3_pair){"continuation-token", op->list_token};
        }
        if (op->max_keys) {
            snprintf(max_keys, sizeof(max_keys), "%" PRIu32, op->max_keys);
            query[nq++] = (struct floe_s3_pair){"max-keys", max_keys};
        }
        break;
    case FLOE_S3_DELETE_BATCH:
        query[nq++] = (struct floe_s3_pair){"delete", ""};
        break;
    case FLOE_S3_MP_CREATE:
        query[nq++] = (struct floe_s3_pair){"uploads", ""};
        break;
    case FLOE_S3_MP_PART:
        snprintf(partno, sizeof(partno), "%" PRIu32, op->part_number);
        query[nq++] = (struct floe_s3_pair){"partNumber", partno};
        query[nq++] = (struct floe_s3_pair){"uploadId", op->upload_id};
        break;
    case FLOE_S3_MP_COMPLETE:
    case FLOE_S3_MP_ABORT:
        query[nq++] = (struct floe_s3_pair){"uploadId", op->upload_id};
        break;
    default:
        break;
    }

    /* Extra signed headers, in the order they are sent. */
    struct floe_s3_pair extra[3];
    size_t nx = 0;
    bool body = !head_check && has_body(op);
    if (body && wants_md5(op)) {
        extra[nx++] = (struct floe_s3_pair){"Content-MD5", op->priv.md5_b64};
    }
    if (!head_check && kind == FLOE_S3_PUT && op->if_none_match) {
        extra[nx++] = (struct floe_s3_pair){"If-None-Match", "*"};
    }
    const char *payload = FLOE_S3_EMPTY_SHA256;
    if (body) {
        payload = op->priv.payload_hash;
    }
    struct floe_s3_request sreq = {
        .method = method_of(kind),
        .host = op->priv.addr.host_header,
        .path = op->priv.addr.path,
        .query = query,
        .nquery = nq,
        .headers = extra,
        .nheaders = nx,
        .payload_hash = payload,
    };
    struct floe_s3_credentials creds = {st->access_key_id, st->secret_access_key,
                                        st->session_token};
    struct floe_s3_scope scope = {.region = st->region, .time = time(NULL)};
    struct floe_s3_signed sig = {.authorization = op->priv.auth,
                                 .authorization_cap = sizeof(op->priv.auth)};
    size_t tlen;
    int rc = floe_s3_request_target(&sreq, op->priv.target, sizeof(op->priv.target), &tlen);
    if (rc < 0) {
        set_err(op, "cannot build the request target: %s", strerror(-rc));
        return rc;
    }
    if ((rc = floe_s3_sign(&sreq, &creds, &scope, &sig)) < 0) {
        set_err(op, "cannot sign the request: %s", strerror(-rc));
        return rc;
    }
    memcpy(op->priv.amz_date, sig.amz_date, sizeof(op->priv.amz_date));

    struct floe_http_header *h = op->priv.headers;
    size_t nh = 0;
    h[nh++] = (struct floe_http_header){"Host", op->priv.addr.host_header};
    h[nh++] = (struct floe_http_header){"x-amz-date", op->priv.amz_date};
    h[nh++] = (struct floe_http_header){"x-amz-content-sha256", payload};
    if (st->session_token[0]) {
        h[nh++] = (struct floe_http_header){"x-amz-security-token", st->session_token};
    }
    for (size_t i = 0; i < nx; i++) {
        h[nh++] = (struct floe_http_header){extra[i].name, extra[i].value};
    }
    if (body && (kind == FLOE_S3_MP_COMPLETE || kind == FLOE_S3_DELETE_BATCH ||
                 kind == FLOE_S3_CREATE_BUCKET)) {
        h[nh++] = (struct floe_http_header){"Content-Type", "application/xml"};
    }
    h[nh++] = (struct floe_http_header){"Authorization", op->priv.auth};

    static const char *const capture[] = {"ETag", "Content-Length"};
    struct floe_http_request *req = &op->priv.http;
    req->method = sreq.method;
    req->tls = op->priv.addr.tls;
    req->host = op->priv.addr.host;
    req->port = op->priv.addr.port;
    req->target = op->priv.target;
    req->headers = h;
    req->nheaders = nh;
    memset(&req->body, 0, sizeof(req->body));
    if (body) {
        req->body.kind = op->body.kind;
        req->body.data = op->body.data;
        req->body.fd = op->body.fd;
        req->body.offset = op->body.offset;
        req->body.len = op->priv.body_len;
    }
    req->sink = sink;
    req->resp_buf = NULL;
    req->resp_cap = 0;
    req->capture = capture;
    req->ncapture = 2;
    req->timeout_ms = 0;
    /* A conditional PUT sent twice would be refused by its own first attempt: the client's
     * own retries of it go through the HEAD check below instead. */
    req->no_retry = op->if_none_match;
    op->priv.err_len = 0;
    op->size = 0;
    op->resp_len = 0;
    if (op->restart && kind == FLOE_S3_GET && op->attempts > 0 && (rc = op->restart(op)) < 0) {
        set_err(op, "cannot restart the download: %s", strerror(-rc));
        return rc;
    }
    op->attempts++;
    if ((rc = floe_http_request(c->http, req, on_http_done)) < 0) {
        set_err(op, "request refused: %s", floe_http_strerror(rc));
        op->attempts--;
        return rc;
    }
    op->priv.state = head_check ? OP_CHECKING : OP_SENDING;
    return 0;
}

/* ---- hashing on the thread pool ----------------------------------------------------------- */

static int hash_body(struct floe_s3_op *op)
{
    mbedtls_md5_context md5;
    struct floe_s3_sha256 sha;
    bool want_sha = !op->priv.addr.tls;
    uint8_t buf[65536];
    int rc = 0;
    mbedtls_md5_init(&md5);
    if (mbedtls_md5_starts_ret(&md5) != 0 || (want_sha && floe_s3_sha256_init(&sha) < 0)) {
        rc = -EIO;
        goto done;
    }
    uint64_t left = op->priv.body_len, off = 0;
    while (left > 0) {
        const uint8_t *p;
        size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        if (op->body.kind == FLOE_HTTP_BODY_MEMORY) {
            p = op->body.data + off;
            n = (size_t)left;
        } else {
            ssize_t got = pread(op->body.fd, buf, n, (off_t)(op->body.offset + (int64_t)off));
            if (got < 0) {
                if (errno == EINTR) {
                    continue;
                }
                rc = -errno;
                goto done;
            }
            if (got == 0) {
                rc = -EIO; /* the file is shorter than the region to send */
                goto done;
            }
            n = (size_t)got;
            p = buf;
        }
        if (mbedtls_md5_update_ret(&md5, p, n) != 0 ||
            (want_sha && floe_s3_sha256_update(&sha, p, n) < 0)) {
            rc = -EIO;
            goto done;
        }
        off += n;
        left -= n;
    }
    if (mbedtls_md5_finish_ret(&md5, op->md5) != 0) {
        rc = -EIO;
        goto done;
    }
    if (want_sha) {
        if (floe_s3_sha256_final(&sha, op->priv.payload_hash) < 0) {
            rc = -EIO;
            goto done;
        }
    } else {
        snprintf(op->priv.payload_hash, sizeof(op->priv.payload_hash), "%s",
                 FLOE_S3_UNSIGNED_PAYLOAD);
    }
    size_t olen;
    if (mbedtls_base64_encode((unsigned char *)op->priv.md5_b64, sizeof(op->priv.md5_b64), &olen,
                              op->md5, 16) != 0) {
        rc = -EIO;
    }
done:
    mbedtls_md5_free(&md5);
    return rc;
}

static void work_cb(uv_work_t *w)
{
    struct floe_s3_op *op = container_of(w, struct floe_s3_op, priv.work);
    op->priv.work_status = hash_body(op);
}

static void after_work_cb(uv_work_t *w, int status)
{
    struct floe_s3_op *op = container_of(w, struct floe_s3_op, priv.work);
    if (status < 0) {
        op->priv.work_status = status;
    }
    if (op->priv.client->closing || op->priv.cancelled) {
        finish(op, -ECANCELED);
        return;
    }
    if (op->priv.work_status < 0) {
        set_err(op, "cannot read the body: %s", strerror(-op->priv.work_status));
        finish(op, op->priv.work_status);
        return;
    }
    op->priv.hashed = true;
    advance(op);
}

/* ---- the state machine -------------------------------------------------------------------- */

static void advance(struct floe_s3_op *op)
{
    int rc;
    switch (op->priv.state) {
    case OP_QUEUED:
    case OP_WAITING:
        if (has_body(op) && !op->priv.hashed) {
            if (op->priv.body_len <= 65536) {
                /* Small bodies are hashed here: cheaper than a trip to the thread pool. */
                if ((rc = hash_body(op)) < 0) {
                    set_err(op, "cannot read the body: %s", strerror(-rc));
                    finish(op, rc);
                    return;
                }
                op->priv.hashed = true;
            } else {
                op->priv.state = OP_HASHING;
                rc = uv_queue_work(op->priv.client->loop, &op->priv.work, work_cb,
                                   after_work_cb);
                if (rc < 0) {
                    set_err(op, "cannot queue the body hash: %s", uv_strerror(rc));
                    finish(op, rc);
                }
                return;
            }
        }
        /* fall through */
    case OP_HASHING:
        if ((rc = send_attempt(op, false)) < 0) {
            finish(op, rc);
        }
        return;
    default:
        return;
    }
}

/* Fills op->s3_code and op->err from the last response. */
static void describe_response(struct floe_s3_op *op, int status)
{
    struct floe_http_request *req = &op->priv.http;
    char detail[FLOE_S3_ERR_SIZE];
    op->s3_code[0] = '\0';
    if (status < 0) {
        snprintf(detail, sizeof(detail), "%s%s%s", floe_http_strerror(status),
                 req->reason[0] ? ": " : "", req->reason);
        set_err(op, "%s", detail);
        return;
    }
    struct floe_s3_error e;
    if (op->priv.err_len > 0 &&
        floe_s3_parse_error(op->priv.err_body, op->priv.err_len, &e) == 0) {
        snprintf(op->s3_code, sizeof(op->s3_code), "%s", e.code);
        snprintf(detail, sizeof(detail), "HTTP %d %s: %s", req->status_code, e.code,
                 e.message[0] ? e.message : "(no message)");
    } else if (req->status_code == 404 && op->kind == FLOE_S3_HEAD) {
        snprintf(op->s3_code, sizeof(op->s3_code), "NotFound");
        snprintf(detail, sizeof(detail), "HTTP 404 NotFound");
    } else {
        snprintf(detail, sizeof(detail), "HTTP %d (no S3 error document)", req->status_code);
    }
    set_err(op, "%s", detail);
}

/* The op's final code for a response that will not be retried. */
static int failure_code(struct floe_s3_op *op, int status)
{
    if (status < 0) {
        return status;
    }
    int sc = op->priv.http.status_code;
    const char *code = op->s3_code;
    if (sc == 412) {
        return FLOE_S3_EPRECONDITION;
    }
    if (sc == 409 && strcmp(code, "ConditionalRequestConflict") == 0) {
        return FLOE_S3_ECONFLICT;
    }
    if (sc == 404 && strcmp(code, "NoSuchBucket") == 0) {
        return FLOE_S3_ENOBUCKET;
    }
    if (sc == 404 && (strcmp(code, "NoSuchKey") == 0 || strcmp(code, "NotFound") == 0)) {
        return FLOE_S3_ENOKEY;
    }
    if (sc == 403) {
        return FLOE_S3_EDENIED;
    }
    return FLOE_S3_EREMOTE;
}

/* Whether the ETag (as sent, quotes included) is the hex MD5 of our body. */
static bool etag_is_md5(const char *etag, const uint8_t md5[16])
{
    char hex[35];
    hex[0] = '"';
    for (int i = 0; i < 16; i++) {
        snprintf(hex + 1 + 2 * i, 3, "%02x", md5[i]);
    }
    hex[33] = '"';
    hex[34] = '\0';
    return strcasecmp(etag, hex) == 0 || strncasecmp(etag, hex + 1, 32) == 0;
}

static void on_http_done(struct floe_http_request *req, int status)
{
    struct floe_s3_op *op = container_of(req, struct floe_s3_op, priv.http);
    struct floe_s3_client *c = op->priv.client;
    bool checking = op->priv.state == OP_CHECKING;
    const char *etag = floe_http_response_header(req, "ETag");

    c->stats.requests++;
    op->http_status = req->status_code;
    if (checking) {
        /* The HEAD after a 412: our own earlier attempt, or another writer's object? */
        if (status == 0 && req->status_code == 200 && etag && etag_is_md5(etag, op->md5)) {
            snprintf(op->etag, sizeof(op->etag), "%s", etag);
            FLOE_INFO(MODULE, "conditional PUT found its own earlier attempt\tbucket=%s key=\"%s\"",
                      op->bucket, op->key);
            finish(op, 0);
        } else {
            set_err(op, "%s", "HTTP 412 PreconditionFailed: the object exists");
            snprintf(op->s3_code, sizeof(op->s3_code), "PreconditionFailed");
            op->http_status = 412;
            finish(op, FLOE_S3_EPRECONDITION);
        }
        return;
    }
    if (status == 0 && req->status_code >= 200 && req->status_code < 300) {
        op->s3_code[0] = '\0';
        op->err[0] = '\0';
        if (etag) {
            snprintf(op->etag, sizeof(op->etag), "%s", etag);
        }
        if (op->kind == FLOE_S3_HEAD) {
            op->size = req->content_length >= 0 ? (uint64_t)req->content_length : 0;
        }
        if (op->kind == FLOE_S3_GET && req->content_length >= 0 &&
            op->size != (uint64_t)req->content_length) {
            status = FLOE_HTTP_ETRUNCATED;
        } else {
            c->stats.bytes_sent += op->priv.body_len;
            c->stats.bytes_received += op->kind == FLOE_S3_HEAD ? 0 : op->size;
            finish(op, 0);
            return;
        }
    }
    describe_response(op, status);
    enum floe_s3_verdict v = floe_s3_classify(status, req->status_code, op->s3_code);
    if (op->kind == FLOE_S3_PUT && op->if_none_match && status == 0 &&
        req->status_code == 412 && op->attempts > 1) {
        int rc = send_attempt(op, true);
        if (rc < 0) {
            finish(op, rc);
        }
        return;
    }
    if (v == FLOE_S3_RETRY && !c->closing && !op->priv.cancelled &&
        floe_s3_retry_allowed(&op->retry, op->attempts)) {
        uint32_t rnd = 0;
        (void)floe_random(&rnd, sizeof(rnd));
        uint64_t delay = floe_s3_backoff_ms(&op->retry, op->attempts, rnd);
        c->stats.retries++;
        FLOE_WARN(MODULE, "retrying\top=%s bucket=%s attempt=%" PRIu32 " delay_ms=%" PRIu64
                          " error=\"%s\"",
                  floe_s3__op_name(op->kind), op->bucket, op->attempts + 1, delay, op->err);
        op->priv.state = OP_WAITING;
        enqueue(c, op, delay);
        return;
    }
    if (v == FLOE_S3_RETRY && op->attempts > 1) {
        size_t n = strlen(op->err);
        snprintf(op->err + n, sizeof(op->err) - n, " (after %" PRIu32 " attempts)",
                 op->attempts);
    }
    finish(op, c->closing || op->priv.cancelled ? -ECANCELED : failure_code(op, status));
}

static void finish(struct floe_s3_op *op, int status)
{
    struct floe_s3_client *c = op->priv.client;
    floe_s3_op_done_fn cb = op->priv.cb;
    if (status == -ECANCELED && !op->err[0]) {
        set_err(op, "%s", "cancelled");
    }
    op->priv.state = OP_IDLE;
    op->priv.status = status;
    c->live--;
    cb(op, status);
    maybe_free(c);
}

int floe_s3_op_start(struct floe_s3_client *c, struct floe_s3_op *op, floe_s3_op_done_fn cb)
{
    int rc;
    if (op->priv.state != OP_IDLE) {
        return -EBUSY;
    }
    op->err[0] = '\0';
    op->s3_code[0] = '\0';
    op->etag[0] = '\0';
    op->http_status = 0;
    op->attempts = 0;
    op->size = 0;
    op->resp_len = 0;
    if (c->closing) {
        return -ECANCELED;
    }
    op->priv.client = c;
    op->priv.cb = cb;
    op->priv.hashed = false;
    op->priv.cancelled = false;
    op->priv.body_len = 0;
    const char *key = op->key ? op->key : "";
    bool object = op->kind == FLOE_S3_PUT || op->kind == FLOE_S3_GET ||
                  op->kind == FLOE_S3_HEAD || op->kind == FLOE_S3_MP_CREATE ||
                  op->kind == FLOE_S3_MP_PART || op->kind == FLOE_S3_MP_COMPLETE ||
                  op->kind == FLOE_S3_MP_ABORT;
    if (!cb || op->kind < FLOE_S3_PUT || op->kind > FLOE_S3_MP_ABORT) {
        set_err(op, "%s", "invalid operation");
        return -EINVAL;
    }
    if (object && !*key) {
        set_err(op, "%s", "an object operation needs a key");
        return -EINVAL;
    }
    if ((rc = floe_s3_address(&c->settings.endpoint, c->settings.path_style, op->bucket,
                              object ? key : "", &op->priv.addr)) < 0) {
        set_err(op, "%s", rc == -EINVAL ? "invalid bucket name" : "key or host name too long");
        return rc;
    }
    if ((op->kind == FLOE_S3_MP_PART || op->kind == FLOE_S3_MP_COMPLETE ||
         op->kind == FLOE_S3_MP_ABORT) &&
        (!op->upload_id || !*op->upload_id)) {
        set_err(op, "%s", "no upload id");
        return -EINVAL;
    }
    if (op->kind == FLOE_S3_MP_PART && (op->part_number < 1 || op->part_number > 10000)) {
        set_err(op, "%s", "part number out of 1..10000");
        return -EINVAL;
    }
    if (op->kind == FLOE_S3_CREATE_BUCKET) {
        /* Outside us-east-1, S3 wants the region in the body; elsewhere it refuses one. */
        op->priv.body_len = 0;
        if (strcmp(c->settings.region, "us-east-1") != 0) {
            int n = snprintf(op->priv.extra, sizeof(op->priv.extra),
                             "<CreateBucketConfiguration><LocationConstraint>%s"
                             "</LocationConstraint></CreateBucketConfiguration>",
                             c->settings.region);
            op->priv.body_len = (uint64_t)n;
            op->body.kind = FLOE_HTTP_BODY_MEMORY;
            op->body.data = (const uint8_t *)op->priv.extra;
            op->body.len = (uint64_t)n;
        }
    } else if (has_body(op)) {
        if (op->body.kind == FLOE_HTTP_BODY_MEMORY && !op->body.data && op->body.len > 0) {
            set_err(op, "%s", "no body data");
            return -EINVAL;
        }
        if (op->body.kind == FLOE_HTTP_BODY_FILE && (op->body.fd < 0 || op->body.offset < 0)) {
            set_err(op, "%s", "bad body file");
            return -EINVAL;
        }
        op->priv.body_len = op->body.kind == FLOE_HTTP_BODY_NONE ? 0 : op->body.len;
        if (op->priv.body_len == 0) {
            static const uint8_t empty[1];
            op->body.kind = FLOE_HTTP_BODY_MEMORY;
            op->body.data = empty;
        }
    }
    if ((op->kind == FLOE_S3_LIST || op->kind == FLOE_S3_DELETE_BATCH ||
         op->kind == FLOE_S3_MP_CREATE || op->kind == FLOE_S3_MP_COMPLETE) &&
        (!op->resp_buf || op->resp_cap == 0)) {
        set_err(op, "%s", "no response buffer");
        return -EINVAL;
    }
    c->live++;
    op->priv.state = OP_QUEUED;
    enqueue(c, op, 0);
    return 0;
}

int floe_s3_op_cancel(struct floe_s3_op *op)
{
    switch (op->priv.state) {
    case OP_QUEUED:
    case OP_WAITING:
        op->priv.cancelled = true;
        dequeue(op->priv.client, op);
        enqueue(op->priv.client, op, 0);
        return 0;
    case OP_HASHING:
        op->priv.cancelled = true;
        return 0;
    case OP_SENDING:
    case OP_CHECKING:
        op->priv.cancelled = true;
        (void)floe_http_cancel(&op->priv.http);
        return 0;
    default:
        return -EINVAL;
    }
}
