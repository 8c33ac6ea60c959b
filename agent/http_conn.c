/* http_conn.c — the connection state machine of floe's HTTP client: one per slot of struct
 * floe_http_client, carrying one request at a time (contract in http.h).
 *
 *     FREE → RESOLVING → CONNECTING ⟲ (next address) → [HANDSHAKE] → ACTIVE ⇄ IDLE
 *                 any state → CLOSING → FREE
 *
 * Callbacks record what happened and call conn_advance(), the one function that acts on the
 * state. Each slot has one timer: the connect timeout (resolve + connect + handshake, capped by
 * the request's deadline) while connecting, the request's deadline while ACTIVE, the idle
 * timeout while IDLE. A request finished on a slot (response complete, or failed) is released
 * only when no write or file read that borrows its memory is pending: conn_check() does that,
 * and turns a CLOSING slot FREE once its handles are closed and its getaddrinfo and fs
 * requests have returned. Released requests go to the client (http.c), which runs callbacks.
 *
 * Plain connections write the request head, then the body straight from the caller's memory or
 * from the connection's file buffer (one uv_fs_read of FLOE_HTTP__FILE_CHUNK at a time, one
 * write pending at most); TLS connections hand the same plaintext to http_tls.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"
#include "log.h"

#define MODULE "http"

#define WRITE_MAX (1u << 30) /* one uv_write of a memory body */

static void conn_advance(struct floe_http__conn *c);
static void conn_check(struct floe_http__conn *c);

static uint64_t remaining(const struct floe_http__conn *c)
{
    uint64_t now = uv_now(c->client->loop);
    return c->req->priv.deadline > now ? c->req->priv.deadline - now : 0;
}

/* ---- connection slots ---- */

static void on_timer(uv_timer_t *t);

/* Ends c's request with status: keep leaves the connection IDLE for the next request. */
static void conn_finish(struct floe_http__conn *c, int status, bool keep)
{
    if (!c->req || c->req_done) {
        return;
    }
    c->req_done = true;
    c->req_status = status;
    uv_timer_stop(&c->timer);
    c->served += status == 0;
    if (keep) {
        c->state = FLOE_HTTP__IDLE;
        uv_timer_start(&c->timer, on_timer, c->client->idle_timeout_ms, 0);
        /* An idle connection does not keep the loop alive. */
        uv_unref((uv_handle_t *)&c->timer);
        uv_unref((uv_handle_t *)&c->tcp);
        conn_check(c);
    } else {
        floe_http__conn_close(c);
    }
}

void floe_http__conn_failf(struct floe_http__conn *c, int status, int cause, const char *fmt, ...)
{
    if (!c->req || c->req_done) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->req->reason, sizeof(c->req->reason), fmt, ap);
    va_end(ap);
    c->req->cause = cause;
    conn_finish(c, status, false);
}

static void on_closed(uv_handle_t *h);

void floe_http__conn_close(struct floe_http__conn *c)
{
    if (c->state == FLOE_HTTP__CLOSING || c->state == FLOE_HTTP__FREE) {
        return;
    }
    FLOE_DEBUG(MODULE, "closing connection\thost=%s port=%u served=%u", c->host, (unsigned)c->port,
               c->served);
    c->state = FLOE_HTTP__CLOSING;
    if (c->req && !c->req_done) {
        c->req_done = true;
        c->req_status = -ECANCELED;
    }
    if (c->timer_open && !uv_is_closing((uv_handle_t *)&c->timer)) {
        uv_close((uv_handle_t *)&c->timer, on_closed);
    }
    if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp)) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
    }
    if (c->gai_busy) {
        uv_cancel((uv_req_t *)&c->gai);
    }
    if (c->fs_busy) {
        uv_cancel((uv_req_t *)&c->fs);
    }
    conn_check(c);
}

/* The request failed in a way a server closing an idle connection explains: send it again. */
static bool should_retry(const struct floe_http__conn *c, const struct floe_http_request *req)
{
    return c->req_status == FLOE_HTTP_ETRUNCATED && c->stale && req->reused && !req->retried &&
           !req->no_retry && !c->client->closing;
}

static void conn_check(struct floe_http__conn *c)
{
    struct floe_http_client *client = c->client;
    if (c->req && c->req_done && !c->write_busy && !c->fs_busy) {
        struct floe_http_request *req = c->req;
        c->req = NULL;
        if (should_retry(c, req)) {
            FLOE_DEBUG(MODULE, "kept-alive connection was closed; sending again\thost=%s port=%u",
                       c->host, (unsigned)c->port);
            client->stats.retries++;
            req->retried = true;
            req->reused = false;
            req->priv.fresh = true;
            floe_http__reset_out(req);
            floe_http__requeue(client, req);
        } else {
            floe_http__finish_req(client, req, c->req_status);
        }
    }
    if (c->state == FLOE_HTTP__CLOSING && c->handles == 0 && !c->gai_busy && !c->fs_busy &&
        !c->write_busy && !c->connect_busy && !c->tls.out_busy && !c->req) {
        if (c->ai) {
            uv_freeaddrinfo(c->ai);
            c->ai = c->ai_next = NULL;
        }
        c->state = FLOE_HTTP__FREE;
        floe_http__kick(client);
    }
}

static void conn_connect_next(struct floe_http__conn *c);

static void on_closed(uv_handle_t *h)
{
    struct floe_http__conn *c = h->data;
    c->handles--;
    if (h == (uv_handle_t *)&c->tcp) {
        c->tcp_open = false;
        if (c->reopen) {
            c->reopen = false;
            if (c->state == FLOE_HTTP__CONNECTING) {
                conn_connect_next(c);
                return;
            }
        }
    } else {
        c->timer_open = false;
    }
    conn_check(c);
}

static void on_timer(uv_timer_t *t)
{
    struct floe_http__conn *c = t->data;
    static const char *const phase[] = {
        [FLOE_HTTP__RESOLVING] = "resolving",
        [FLOE_HTTP__CONNECTING] = "connecting",
        [FLOE_HTTP__HANDSHAKE] = "in the TLS handshake",
    };
    switch (c->state) {
    case FLOE_HTTP__RESOLVING:
    case FLOE_HTTP__CONNECTING:
    case FLOE_HTTP__HANDSHAKE:
        if (remaining(c) == 0) {
            floe_http__conn_failf(
                c, FLOE_HTTP_EDEADLINE, 0, "request deadline (%" PRIu64 " ms) passed %s %s",
                floe_http__timeout_of(c->client, c->req), phase[c->state], c->host);
        } else {
            floe_http__conn_failf(
                c, FLOE_HTTP_ECONNTIMEDOUT, 0, "connect to %s:%u timed out after %" PRIu64 " ms %s",
                c->host, (unsigned)c->port, c->client->connect_timeout_ms, phase[c->state]);
        }
        break;
    case FLOE_HTTP__ACTIVE:
        floe_http__conn_failf(c, FLOE_HTTP_EDEADLINE, 0,
                              "no complete response from %s:%u within %" PRIu64 " ms (%" PRIu64
                              " body bytes received)",
                              c->host, (unsigned)c->port, floe_http__timeout_of(c->client, c->req),
                              c->req->resp_len);
        break;
    case FLOE_HTTP__IDLE:
        floe_http__conn_close(c);
        break;
    default:
        break;
    }
}

/* The connection is up (TCP, and TLS if any): the request's deadline takes over. */
static void conn_connected(struct floe_http__conn *c)
{
    c->client->stats.connections++;
    FLOE_DEBUG(MODULE, "connected\thost=%s port=%u tls=%d address=%s", c->host, (unsigned)c->port,
               c->is_tls, c->addr);
    c->state = FLOE_HTTP__ACTIVE;
}

/* Prepares c to send c->req and read its response. */
static void conn_begin_request(struct floe_http__conn *c)
{
    struct floe_http_request *req = c->req;
    req->priv.state = FLOE_HTTP__REQ_ACTIVE;
    floe_http__resp_start(&c->resp, req);
    floe_http__format_head(req, c->head, sizeof(c->head), &c->head_len);
    c->head_off = 0;
    c->phase = FLOE_HTTP__SEND_HEAD;
    c->body_sent = 0;
    c->chunk_len = c->chunk_off = 0;
    c->inflight = 0;
    c->req_done = false;
    c->stale = false;
    c->send_failed = false;
    uv_timer_start(&c->timer, on_timer, remaining(c), 0);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct floe_http__conn *c = h->data;
    size_t used = c->is_tls ? c->tls.in_len : c->rlen;
    (void)hint;
    buf->base = (char *)c->rbuf + used;
    buf->len = sizeof(c->rbuf) - used;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct floe_http__conn *c = s->data;
    (void)buf;
    if (nread == 0) {
        return;
    }
    if (c->state == FLOE_HTTP__IDLE) {
        /* Bytes or EOF on an idle connection: the server is done with it. */
        FLOE_DEBUG(MODULE, "idle connection ended by the server\thost=%s port=%u", c->host,
                   (unsigned)c->port);
        floe_http__conn_close(c);
        return;
    }
    if (!c->req || c->req_done || c->state == FLOE_HTTP__CLOSING) {
        uv_read_stop(s);
        return;
    }
    if (nread < 0) {
        c->eof = true;
        if (nread != UV_EOF) {
            c->read_err = (int)nread;
        }
        uv_read_stop(s);
    } else if (c->is_tls) {
        c->tls.in_len += (size_t)nread;
    } else {
        c->rlen += (size_t)nread;
    }
    conn_advance(c);
}

static void on_connected(uv_connect_t *creq, int status)
{
    struct floe_http__conn *c = creq->data;
    c->connect_busy = false;
    if (c->state != FLOE_HTTP__CONNECTING) {
        conn_check(c);
        return;
    }
    if (status < 0) {
        c->last_err = status;
        c->reopen = true;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    uv_freeaddrinfo(c->ai);
    c->ai = c->ai_next = NULL;
    int r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (r < 0) {
        floe_http__conn_failf(c, r, r, "cannot read from %s:%u: %s", c->host, (unsigned)c->port,
                              floe_http_strerror(r));
        return;
    }
    if (c->is_tls) {
        r = floe_http__tls_begin(c);
        if (r < 0) {
            floe_http__conn_failf(c, FLOE_HTTP_ETLS, r, "cannot set up TLS for %s: %s", c->host,
                                  floe_http_strerror(r));
            return;
        }
        c->state = FLOE_HTTP__HANDSHAKE;
    } else {
        conn_connected(c);
        conn_begin_request(c);
    }
    conn_advance(c);
}

/* Connects to the next usable address; after the last one fails, fails the request with the
 * last connect error. Runs with no TCP handle open. */
static void conn_connect_next(struct floe_http__conn *c)
{
    struct addrinfo *ai = c->ai_next;
    while (ai && ai->ai_family != AF_INET && ai->ai_family != AF_INET6) {
        ai = ai->ai_next;
    }
    if (!ai) {
        if (c->last_err) {
            floe_http__conn_failf(c, c->last_err, c->last_err, "connect to %s:%u (%s) failed: %s",
                                  c->host, (unsigned)c->port, c->addr,
                                  floe_http_strerror(c->last_err));
        } else {
            floe_http__conn_failf(c, FLOE_HTTP_EDNS, 0, "%s has no IPv4 or IPv6 address", c->host);
        }
        return;
    }
    c->ai_next = ai->ai_next;
    if (ai->ai_family == AF_INET) {
        uv_ip4_name((const struct sockaddr_in *)ai->ai_addr, c->addr, sizeof(c->addr));
    } else {
        uv_ip6_name((const struct sockaddr_in6 *)ai->ai_addr, c->addr, sizeof(c->addr));
    }
    int r = uv_tcp_init(c->client->loop, &c->tcp);
    if (r < 0) {
        floe_http__conn_failf(c, r, r, "cannot open a socket: %s", floe_http_strerror(r));
        return;
    }
    c->tcp.data = c;
    c->tcp_open = true;
    c->handles++;
    uv_tcp_nodelay(&c->tcp, 1);
    c->connect.data = c;
    r = uv_tcp_connect(&c->connect, &c->tcp, ai->ai_addr, on_connected);
    if (r < 0) {
        c->last_err = r;
        c->reopen = true;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    c->connect_busy = true;
}

/* The name to look up for host: RFC 6761 §6.3 reserves localhost and every name under it for
 * the loopback, and asks resolvers to answer them so; the system's may not (glibc resolves
 * "localhost" from /etc/hosts but not "bucket.localhost"), so a name under localhost is looked
 * up as "localhost" itself. The request keeps its own name for SNI, the certificate check and
 * the Host header: this is what makes virtual-hosted S3 addressing work against a local server. */
static const char *lookup_name(const char *host)
{
    size_t n = strlen(host);
    if (n > 0 && host[n - 1] == '.') {
        n--; /* a fully qualified name */
    }
    static const char local[] = ".localhost";
    size_t k = sizeof(local) - 1;
    if (n > k && strncasecmp(host + n - k, local, k) == 0) {
        return "localhost";
    }
    return host;
}

static void on_resolved(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
    struct floe_http__conn *c = gai->data;
    c->gai_busy = false;
    if (c->state != FLOE_HTTP__RESOLVING) {
        if (res) {
            uv_freeaddrinfo(res);
        }
        conn_check(c);
        return;
    }
    if (status < 0) {
        floe_http__conn_failf(c, FLOE_HTTP_EDNS, status, "cannot resolve %s: %s", c->host,
                              floe_http_strerror(status));
        return;
    }
    c->ai = c->ai_next = res;
    c->state = FLOE_HTTP__CONNECTING;
    conn_connect_next(c);
}

/* Opens a connection in the FREE slot c for req. */
void floe_http__conn_open(struct floe_http__conn *c, struct floe_http_request *req)
{
    struct floe_http_client *client = c->client;
    char port[8];
    snprintf(c->host, sizeof(c->host), "%s", req->host);
    c->port = floe_http__port_of(req);
    c->is_tls = req->tls;
    c->served = 0;
    c->eof = false;
    c->read_err = 0;
    c->last_err = 0;
    c->rlen = 0;
    c->addr[0] = '\0';
    c->req = req;
    c->req_done = false;
    c->stale = false;
    req->priv.state = FLOE_HTTP__REQ_ACTIVE;
    c->state = FLOE_HTTP__RESOLVING;

    uv_timer_init(client->loop, &c->timer);
    c->timer.data = c;
    c->timer_open = true;
    c->handles++;
    uint64_t left = remaining(c);
    uv_timer_start(&c->timer, on_timer,
                   client->connect_timeout_ms < left ? client->connect_timeout_ms : left, 0);

    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    snprintf(port, sizeof(port), "%u", (unsigned)c->port);
    c->gai.data = c;
    int r = uv_getaddrinfo(client->loop, &c->gai, on_resolved, lookup_name(c->host), port, &hints);
    if (r < 0) {
        floe_http__conn_failf(c, FLOE_HTTP_EDNS, r, "cannot resolve %s: %s", c->host,
                              floe_http_strerror(r));
        return;
    }
    c->gai_busy = true;
}

/* Takes the IDLE connection c for req. */
void floe_http__conn_take(struct floe_http__conn *c, struct floe_http_request *req)
{
    c->client->stats.reused++;
    req->reused = true;
    c->req = req;
    c->state = FLOE_HTTP__ACTIVE;
    uv_ref((uv_handle_t *)&c->timer);
    uv_ref((uv_handle_t *)&c->tcp);
    conn_begin_request(c);
    conn_advance(c);
}

/* ---- sending ---- */

static void consumed(struct floe_http__conn *c, size_t n)
{
    if (c->phase == FLOE_HTTP__SEND_HEAD) {
        c->head_off += n;
    } else {
        c->body_sent += n;
        if (c->req->body.kind == FLOE_HTTP_BODY_FILE) {
            c->chunk_off += n;
        }
    }
}

/* A write failed. Before any response byte, the request fails (and may be retried); after,
 * sending stops and the response is read to its end (a server may answer early and close). */
static void send_failed(struct floe_http__conn *c, int status)
{
    if (c->resp.begun) {
        c->send_failed = true;
        return;
    }
    c->stale = status == UV_EPIPE || status == UV_ECONNRESET || status == UV_ECONNABORTED ||
               status == UV_EOF;
    floe_http__conn_failf(c, FLOE_HTTP_ETRUNCATED, status,
                          "sending the request to %s:%u failed: %s", c->host, (unsigned)c->port,
                          floe_http_strerror(status));
}

static void on_written(uv_write_t *w, int status)
{
    struct floe_http__conn *c = w->data;
    size_t n = c->inflight;
    c->write_busy = false;
    c->inflight = 0;
    if (c->state != FLOE_HTTP__ACTIVE || !c->req || c->req_done) {
        conn_check(c);
        return;
    }
    if (status < 0) {
        send_failed(c, status);
        return;
    }
    consumed(c, n);
    conn_advance(c);
}

void floe_http__conn_tls_written(struct floe_http__conn *c, int status)
{
    if (c->state == FLOE_HTTP__CLOSING || !c->req || c->req_done) {
        conn_check(c);
        return;
    }
    if (status < 0) {
        if (c->state == FLOE_HTTP__HANDSHAKE) {
            floe_http__conn_failf(c, FLOE_HTTP_ETLS, status,
                                  "TLS handshake with %s: write failed: %s", c->host,
                                  floe_http_strerror(status));
        } else {
            send_failed(c, status);
        }
        return;
    }
    conn_advance(c);
}

static void on_file_read(uv_fs_t *fs)
{
    struct floe_http__conn *c = fs->data;
    ssize_t res = fs->result;
    uv_fs_req_cleanup(fs);
    c->fs_busy = false;
    if (c->state != FLOE_HTTP__ACTIVE || !c->req || c->req_done) {
        conn_check(c);
        return;
    }
    if (res < 0) {
        floe_http__conn_failf(c, (int)res, (int)res, "reading the request body file: %s",
                              floe_http_strerror((int)res));
        return;
    }
    if (res == 0) {
        floe_http__conn_failf(c, -EIO, 0, "request body file ended %" PRIu64 " bytes short",
                              c->req->body.len - c->body_sent);
        return;
    }
    c->chunk_len = (size_t)res;
    c->chunk_off = 0;
    conn_advance(c);
}

/* Moves request bytes toward the socket as far as buffers allow. Returns 0 or a failure. */
static int conn_send(struct floe_http__conn *c)
{
    struct floe_http_request *req = c->req;
    for (;;) {
        const uint8_t *p = NULL;
        size_t n = 0;
        if (c->write_busy || c->fs_busy || c->send_failed) {
            return 0;
        }
        if (c->phase == FLOE_HTTP__SEND_DONE) {
            return 0;
        }
        if (c->phase == FLOE_HTTP__SEND_HEAD) {
            if (c->head_off == c->head_len) {
                c->phase = FLOE_HTTP__SEND_BODY;
                continue;
            }
            p = c->head + c->head_off;
            n = c->head_len - c->head_off;
        } else if (req->body.kind == FLOE_HTTP_BODY_NONE || c->body_sent == req->body.len) {
            c->phase = FLOE_HTTP__SEND_DONE;
            continue;
        } else if (req->body.kind == FLOE_HTTP_BODY_MEMORY) {
            p = req->body.data + c->body_sent;
            n = (size_t)(req->body.len - c->body_sent);
        } else if (c->chunk_off < c->chunk_len) {
            p = c->fbuf + c->chunk_off;
            n = c->chunk_len - c->chunk_off;
        } else {
            uint64_t left = req->body.len - c->body_sent;
            uv_buf_t b = uv_buf_init((char *)c->fbuf,
                                     (unsigned)(left < sizeof(c->fbuf) ? left : sizeof(c->fbuf)));
            c->fs.data = c;
            int r = uv_fs_read(c->client->loop, &c->fs, req->body.fd, &b, 1,
                               req->body.offset + (int64_t)c->body_sent, on_file_read);
            if (r < 0) {
                floe_http__conn_failf(c, r, r, "reading the request body file: %s",
                                      floe_http_strerror(r));
                return 0;
            }
            c->fs_busy = true;
            return 0;
        }
        if (!c->is_tls) {
            uv_buf_t b = uv_buf_init((char *)p, (unsigned)(n < WRITE_MAX ? n : WRITE_MAX));
            c->write.data = c;
            int r = uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_written);
            if (r < 0) {
                return r;
            }
            c->write_busy = true;
            c->inflight = b.len;
            return 0;
        }
        size_t used = 0;
        int r = floe_http__tls_write(c, p, n, &used);
        if (r == -EAGAIN) {
            return 0;
        }
        if (r < 0) {
            return r;
        }
        consumed(c, used);
    }
}

/* ---- receiving ---- */

static unsigned idle_count(const struct floe_http__conn *c)
{
    unsigned n = 0;
    for (size_t i = 0; i < c->client->nconns; i++) {
        const struct floe_http__conn *o = &c->client->conns[i];
        n += o != c && o->state == FLOE_HTTP__IDLE && o->port == c->port &&
             o->is_tls == c->is_tls && strcasecmp(o->host, c->host) == 0;
    }
    return n;
}

/* The final response has ended: keep the connection when all of it is ours to reuse. */
static void conn_response_done(struct floe_http__conn *c)
{
    bool keep = c->resp.keep_alive && c->phase == FLOE_HTTP__SEND_DONE && !c->send_failed &&
                c->resp.extra == 0 && !c->eof && !c->client->closing &&
                idle_count(c) < c->client->max_idle_per_host;
    conn_finish(c, 0, keep);
}

/* Parses what has arrived. Returns 0 or a failure (reason set). */
static int conn_receive(struct floe_http__conn *c)
{
    int r;
    if (!c->is_tls) {
        size_t n = c->rlen;
        c->rlen = 0;
        return floe_http__resp_feed(&c->resp, c->rbuf, n);
    }
    size_t n;
    while ((r = floe_http__tls_read(c, c->plain, sizeof(c->plain), &n)) == 0) {
        int fr = floe_http__resp_feed(&c->resp, c->plain, n);
        if (fr < 0) {
            return fr;
        }
    }
    if (r == UV_EOF) {
        c->eof = true;
        return 0;
    }
    return r == -EAGAIN ? 0 : r;
}

/* ---- the state machine ---- */

static void conn_advance(struct floe_http__conn *c)
{
    int r;
    for (;;) {
        switch (c->state) {
        case FLOE_HTTP__HANDSHAKE:
            r = floe_http__tls_handshake(c);
            if (r == -EAGAIN) {
                if (c->eof) {
                    floe_http__conn_failf(c, FLOE_HTTP_ETLS, c->read_err ? c->read_err : UV_EOF,
                                          "connection to %s:%u closed during the TLS handshake",
                                          c->host, (unsigned)c->port);
                }
                return;
            }
            if (r < 0) {
                conn_finish(c, r, false);
                return;
            }
            conn_connected(c);
            conn_begin_request(c);
            continue;
        case FLOE_HTTP__ACTIVE:
            if (!c->req || c->req_done) {
                return;
            }
            r = conn_receive(c);
            if (r < 0) {
                conn_finish(c, r, false);
                return;
            }
            if (!c->req || c->req_done) {
                return;
            }
            if (c->resp.complete) {
                conn_response_done(c);
                return;
            }
            if (c->read_err) {
                c->stale = !c->resp.begun;
                floe_http__conn_failf(c, FLOE_HTTP_ETRUNCATED, c->read_err,
                                      "connection to %s:%u %s after %" PRIu64 " body bytes",
                                      c->host, (unsigned)c->port, floe_http_strerror(c->read_err),
                                      c->req->resp_len);
                return;
            }
            if (c->eof) {
                r = floe_http__resp_eof(&c->resp);
                if (r == 0) {
                    conn_response_done(c);
                } else {
                    c->stale = !c->resp.begun;
                    conn_finish(c, r, false);
                }
                return;
            }
            r = conn_send(c);
            if (r == FLOE_HTTP_ETLS) {
                conn_finish(c, r, false);
            } else if (r < 0) {
                send_failed(c, r);
            }
            return;
        case FLOE_HTTP__FREE:
        case FLOE_HTTP__RESOLVING:
        case FLOE_HTTP__CONNECTING:
        case FLOE_HTTP__IDLE:
        case FLOE_HTTP__CLOSING:
            return; /* waiting for a callback */
        }
        return;
    }
}
