/* http.c — floe's HTTP/1.1 client: the client, its queue of requests, the pool of kept-alive
 * connections and the public API (contract in http.h; the design in DESIGN.md "upload").
 *
 * Requests wait in a FIFO queue until the dispatch timer hands them to a connection slot: an
 * IDLE one to the same host:port:scheme, else a FREE one, else they wait (closing an idle
 * connection to another host to make room). The connection state machine is in http_conn.c,
 * the bytes of HTTP/1.1 in http_wire.c, TLS in http_tls.c.
 *
 * User callbacks run from one place: the client's dispatch timer, which also fails queued
 * requests whose deadline passed. So no callback ever runs inside floe_http_request(),
 * floe_http_cancel() or floe_http_client_close(), and no connection code is on the stack when
 * one runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"
#include "log.h"

#define MODULE "http"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_REQUEST_TIMEOUT_MS 60000
#define DEFAULT_IDLE_TIMEOUT_MS 30000
#define DEFAULT_MAX_CONNECTIONS 8
#define DEFAULT_MAX_IDLE_PER_HOST 4

static void on_dispatch(uv_timer_t *t);

/* ---- errors ---- */

static const struct {
    int code;
    const char *msg;
} http_errors[] = {
    {FLOE_HTTP_EDNS, "host name did not resolve"},
    {FLOE_HTTP_ECONNTIMEDOUT, "connect timed out"},
    {FLOE_HTTP_ETLS, "TLS handshake or record failure"},
    {FLOE_HTTP_ETLSVERIFY, "server certificate rejected"},
    {FLOE_HTTP_EDEADLINE, "request deadline passed"},
    {FLOE_HTTP_ETRUNCATED, "connection closed before the response ended"},
    {FLOE_HTTP_EMALFORMED, "malformed response"},
};

const char *floe_http_strerror(int err)
{
    static char buf[80];
    for (size_t i = 0; i < sizeof(http_errors) / sizeof(http_errors[0]); i++) {
        if (http_errors[i].code == err) {
            return http_errors[i].msg;
        }
    }
    if (err == 0) {
        return "success";
    }
    if (err < 0 && err > -3000) {
        return strerror(-err);
    }
    /* libuv's own codes (UV_EOF, UV_EAI_…); the _r form never allocates. */
    return uv_strerror_r(err, buf, sizeof(buf));
}

/* ---- the client's lists and dispatch ---- */

void floe_http__kick(struct floe_http_client *client)
{
    if (!client->dispatch_closed) {
        client->kicked = true;
        uv_timer_start(&client->dispatch, on_dispatch, 0, 0);
    }
}

static void queue_push(struct floe_http_client *client, struct floe_http_request *req, bool front)
{
    req->priv.state = FLOE_HTTP__REQ_QUEUED;
    req->priv.next = NULL;
    if (!client->queue_head) {
        client->queue_head = client->queue_tail = req;
    } else if (front) {
        req->priv.next = client->queue_head;
        client->queue_head = req;
    } else {
        client->queue_tail->priv.next = req;
        client->queue_tail = req;
    }
}

static void queue_unlink(struct floe_http_client *client, struct floe_http_request *prev,
                         struct floe_http_request *req)
{
    if (prev) {
        prev->priv.next = req->priv.next;
    } else {
        client->queue_head = req->priv.next;
    }
    if (client->queue_tail == req) {
        client->queue_tail = prev;
    }
    req->priv.next = NULL;
}

void floe_http__requeue(struct floe_http_client *client, struct floe_http_request *req)
{
    queue_push(client, req, true);
    floe_http__kick(client);
}

/* Puts req in the done list; its callback runs from the dispatch timer. */
void floe_http__finish_req(struct floe_http_client *client, struct floe_http_request *req,
                           int status)
{
    req->priv.state = FLOE_HTTP__REQ_DONE;
    req->priv.status = status;
    req->priv.next = NULL;
    if (client->done_tail) {
        client->done_tail->priv.next = req;
    } else {
        client->done_head = req;
    }
    client->done_tail = req;
    floe_http__kick(client);
}

static bool same_key(const struct floe_http__conn *c, const struct floe_http_request *req)
{
    return c->port == floe_http__port_of(req) && c->is_tls == req->tls &&
           strcasecmp(c->host, req->host) == 0;
}

static struct floe_http__conn *find_conn(struct floe_http_client *client,
                                         const struct floe_http_request *req,
                                         enum floe_http__conn_state state)
{
    for (size_t i = 0; i < client->nconns; i++) {
        struct floe_http__conn *c = &client->conns[i];
        if (c->state == state &&
            (state != FLOE_HTTP__IDLE || (!c->req && (!req || same_key(c, req))))) {
            return c;
        }
    }
    return NULL;
}

uint64_t floe_http__timeout_of(const struct floe_http_client *client,
                               const struct floe_http_request *req)
{
    return req->timeout_ms ? req->timeout_ms : client->request_timeout_ms;
}

/* ---- dispatch ---- */

static void deliver_done(struct floe_http_client *client)
{
    struct floe_http_request *req;
    while ((req = client->done_head) != NULL) {
        client->done_head = req->priv.next;
        if (!client->done_head) {
            client->done_tail = NULL;
        }
        req->priv.next = NULL;
        req->priv.state = FLOE_HTTP__REQ_IDLE;
        client->stats.requests++;
        req->priv.cb(req, req->priv.status);
    }
}

static void expire_queue(struct floe_http_client *client)
{
    uint64_t now = uv_now(client->loop);
    struct floe_http_request *prev = NULL, *req = client->queue_head;
    while (req) {
        struct floe_http_request *next = req->priv.next;
        if (req->priv.deadline <= now) {
            queue_unlink(client, prev, req);
            floe_http__set_reason(req,
                                  "request deadline (%" PRIu64 " ms) passed while "
                                  "waiting for a connection",
                                  floe_http__timeout_of(client, req));
            floe_http__finish_req(client, req, FLOE_HTTP_EDEADLINE);
        } else {
            prev = req;
        }
        req = next;
    }
}

/* Hands queued requests to idle or free slots; closes idle connections of other hosts when
 * requests wait for a slot. */
static void assign(struct floe_http_client *client)
{
    size_t closing = 0, blocked = 0;
    for (size_t i = 0; i < client->nconns; i++) {
        closing += client->conns[i].state == FLOE_HTTP__CLOSING;
    }
    struct floe_http_request *prev = NULL, *req = client->queue_head;
    while (req) {
        struct floe_http_request *next = req->priv.next;
        struct floe_http__conn *c = NULL;
        if (!req->priv.fresh) {
            c = find_conn(client, req, FLOE_HTTP__IDLE);
        }
        if (c || (c = find_conn(client, req, FLOE_HTTP__FREE)) != NULL) {
            queue_unlink(client, prev, req);
            if (c->state == FLOE_HTTP__IDLE) {
                floe_http__conn_take(c, req);
            } else {
                floe_http__conn_open(c, req);
            }
            /* Starting may have failed at once and put a request back at the head (a retry):
             * walk again from the head. Each pass starts one request or ends. */
            prev = NULL;
            req = client->queue_head;
            continue;
        } else {
            if (++blocked > closing && (c = find_conn(client, NULL, FLOE_HTTP__IDLE)) != NULL) {
                floe_http__conn_close(c);
                closing++;
            }
            prev = req;
        }
        req = next;
    }
}

static void on_client_closed(uv_handle_t *h)
{
    struct floe_http_client *client = h->data;
    floe_http_closed_fn cb = client->closed_cb;
    void *ctx = client->closed_ctx;
    for (size_t i = 0; i < client->nconns; i++) {
        floe_http__tls_free(&client->conns[i]);
    }
    floe_http__tls_conf_free(&client->tls);
    free(client->conns);
    free(client);
    if (cb) {
        cb(ctx);
    }
}

static void on_dispatch(uv_timer_t *t)
{
    struct floe_http_client *client = t->data;
    client->kicked = false;
    if (!client->closing) {
        expire_queue(client);
        assign(client);
    }
    deliver_done(client);
    if (client->closing) {
        for (size_t i = 0; i < client->nconns; i++) {
            if (client->conns[i].state != FLOE_HTTP__FREE) {
                return; /* its last close callback kicks us again */
            }
        }
        if (!client->done_head && !client->dispatch_closed) {
            client->dispatch_closed = true;
            uv_close((uv_handle_t *)&client->dispatch, on_client_closed);
        }
        return;
    }
    if (!client->kicked && client->queue_head) {
        uint64_t first = UINT64_MAX, now = uv_now(client->loop);
        for (struct floe_http_request *req = client->queue_head; req; req = req->priv.next) {
            first = req->priv.deadline < first ? req->priv.deadline : first;
        }
        uv_timer_start(&client->dispatch, on_dispatch, first > now ? first - now : 0, 0);
    }
}

/* ---- public API ---- */

int floe_http_client_new(const struct floe_http_client_options *opts, struct floe_http_client **out)
{
    if (!opts || !opts->loop || !out) {
        return -EINVAL;
    }
    struct floe_http_client *client = calloc(1, sizeof(*client));
    if (!client) {
        return -ENOMEM;
    }
    client->loop = opts->loop;
    client->connect_timeout_ms =
        opts->connect_timeout_ms ? opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    client->request_timeout_ms =
        opts->request_timeout_ms ? opts->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
    client->idle_timeout_ms =
        opts->idle_timeout_ms ? opts->idle_timeout_ms : DEFAULT_IDLE_TIMEOUT_MS;
    client->max_idle_per_host =
        opts->max_idle_per_host ? opts->max_idle_per_host : DEFAULT_MAX_IDLE_PER_HOST;
    client->nconns = opts->max_connections ? opts->max_connections : DEFAULT_MAX_CONNECTIONS;
    client->conns = calloc(client->nconns, sizeof(*client->conns));
    if (!client->conns) {
        free(client);
        return -ENOMEM;
    }
    int r = floe_http__tls_conf_init(&client->tls, opts->ca_file, !opts->insecure_no_verify);
    if (r < 0) {
        free(client->conns);
        free(client);
        return r;
    }
    if (opts->insecure_no_verify) {
        FLOE_WARN(MODULE, "TLS certificate verification is off: servers are not authenticated");
    }
    for (size_t i = 0; i < client->nconns; i++) {
        client->conns[i].client = client;
        client->conns[i].state = FLOE_HTTP__FREE;
    }
    uv_timer_init(client->loop, &client->dispatch);
    client->dispatch.data = client;
    *out = client;
    return 0;
}

void floe_http_client_close(struct floe_http_client *client, floe_http_closed_fn cb, void *ctx)
{
    client->closing = true;
    client->closed_cb = cb;
    client->closed_ctx = ctx;
    struct floe_http_request *req;
    while ((req = client->queue_head) != NULL) {
        queue_unlink(client, NULL, req);
        floe_http__set_reason(req, "HTTP client closed");
        floe_http__finish_req(client, req, -ECANCELED);
    }
    for (size_t i = 0; i < client->nconns; i++) {
        struct floe_http__conn *c = &client->conns[i];
        if (c->req && !c->req_done) {
            floe_http__conn_failf(c, -ECANCELED, 0, "HTTP client closed");
        } else {
            floe_http__conn_close(c);
        }
    }
    floe_http__kick(client);
}

int floe_http_request(struct floe_http_client *client, struct floe_http_request *req,
                      floe_http_done_fn cb)
{
    if (!client || !req || !cb) {
        return -EINVAL;
    }
    if (req->priv.state != FLOE_HTTP__REQ_IDLE) {
        return -EBUSY;
    }
    floe_http__reset_out(req);
    req->reused = false;
    req->retried = false;
    if (client->closing) {
        return -ECANCELED;
    }
    int r = floe_http__validate(req);
    if (r < 0) {
        return r;
    }
    req->priv.client = client;
    req->priv.cb = cb;
    req->priv.fresh = false;
    uint64_t now = uv_now(client->loop), timeout = floe_http__timeout_of(client, req);
    req->priv.deadline = timeout < UINT64_MAX - now ? now + timeout : UINT64_MAX;
    queue_push(client, req, false);
    floe_http__kick(client);
    return 0;
}

int floe_http_cancel(struct floe_http_request *req)
{
    struct floe_http_client *client = req->priv.client;
    switch (req->priv.state) {
    case FLOE_HTTP__REQ_QUEUED: {
        struct floe_http_request *prev = NULL, *q = client->queue_head;
        while (q && q != req) {
            prev = q;
            q = q->priv.next;
        }
        if (q) {
            queue_unlink(client, prev, req);
        }
        floe_http__set_reason(req, "canceled");
        floe_http__finish_req(client, req, -ECANCELED);
        return 0;
    }
    case FLOE_HTTP__REQ_ACTIVE:
        for (size_t i = 0; i < client->nconns; i++) {
            struct floe_http__conn *c = &client->conns[i];
            if (c->req == req) {
                if (c->req_done) {
                    return -EALREADY;
                }
                floe_http__conn_failf(c, -ECANCELED, 0, "canceled");
                return 0;
            }
        }
        return -EALREADY;
    case FLOE_HTTP__REQ_DONE:
        return -EALREADY;
    default:
        return -EINVAL;
    }
}

void floe_http_client_stats(const struct floe_http_client *client, struct floe_http_stats *stats)
{
    *stats = client->stats;
}
