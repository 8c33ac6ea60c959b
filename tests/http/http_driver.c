/* http_driver.c — runs floe's HTTP client against the servers test_http.py starts on loopback
 * (plain and TLS, good and bad certificates, faults) and checks each outcome with check.h.
 * Arguments are key=value pairs from the script: ports, the test CA, the upload file and its
 * SHA-256 as computed by Python. What only the server can see (bytes received, headers sent,
 * requests repeated) the script checks afterwards from the server's records.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>

#include "check.h"
#include "http.h"
#include "log.h"

static uv_loop_t loop;
static int in_api; /* set while a floe_http_* call runs: no callback may see it */

static struct {
    uint16_t plain, tls, unknown, wronghost, expired, silent, blackhole, refused, tls11, garbage;
    const char *ca, *file;
    int64_t file_offset;
    uint64_t file_len;
    const char *file_sha;
} arg;

static const char *const caps[] = {"ETag",     "X-Conn-Id",   "Content-Type",
                                   "X-Sha256", "Retry-After", "X-Body-Length"};

struct call {
    struct floe_http_request req;
    int status;
    int calls;
    uint64_t done_ms;
    mbedtls_sha256_context sha;
    unsigned chunks;
    uint8_t buf[4096];
};

static void on_done(struct floe_http_request *req, int status)
{
    struct call *c = req->data;
    CHECK(!in_api);
    c->status = status;
    c->calls++;
    c->done_ms = uv_now(&loop);
}

static void call_init(struct call *c, const char *method, bool tls, uint16_t port,
                      const char *target)
{
    memset(c, 0, sizeof(*c));
    c->req.method = method;
    c->req.tls = tls;
    c->req.host = "localhost";
    c->req.port = port;
    c->req.target = target;
    c->req.capture = caps;
    c->req.ncapture = sizeof(caps) / sizeof(caps[0]);
    c->req.resp_buf = c->buf;
    c->req.resp_cap = sizeof(c->buf) - 1;
    c->req.data = c;
}

static int start(struct floe_http_client *client, struct call *c)
{
    in_api = 1;
    int r = floe_http_request(client, &c->req, on_done);
    in_api = 0;
    CHECK_INT(r, 0);
    CHECK_INT(c->calls, 0);
    return r;
}

static size_t count_done(struct call **calls, size_t n)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        done += calls[i]->calls > 0;
    }
    return done;
}

/* Runs the loop until every call in calls[0..n) has its callback (20 s at most). */
static void wait_all(struct call **calls, size_t n)
{
    uint64_t until = uv_hrtime() + 20000000000ull;
    while (count_done(calls, n) < n) {
        if (uv_hrtime() > until || (uv_run(&loop, UV_RUN_ONCE) == 0 && count_done(calls, n) < n)) {
            CHECK(!"callback did not arrive");
            return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(calls[i]->calls, 1);
    }
}

/* Starts c, waits for it, and lists failures with their reasons (for the test log). */
static void run(struct floe_http_client *client, struct call *c)
{
    if (start(client, c) == 0) {
        wait_all(&c, 1);
    }
    if (c->status != 0) {
        printf("%s %s:%u%s -> %s: %s\n", c->req.method, c->req.tls ? "https" : "http",
               (unsigned)c->req.port, c->req.target, floe_http_strerror(c->status), c->req.reason);
    }
}

static int conn_id(const struct call *c)
{
    const char *v = floe_http_response_header(&c->req, "X-Conn-Id");
    return v ? atoi(v) : -1;
}

static const char *body(struct call *c)
{
    c->buf[c->req.resp_len < sizeof(c->buf) ? c->req.resp_len : sizeof(c->buf) - 1] = '\0';
    return (const char *)c->buf;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static int hash_sink(struct floe_http_request *req, const uint8_t *data, size_t len)
{
    struct call *c = req->data;
    c->chunks++;
    mbedtls_sha256_update_ret(&c->sha, data, len);
    return 0;
}

static void sink_init(struct call *c)
{
    mbedtls_sha256_init(&c->sha);
    mbedtls_sha256_starts_ret(&c->sha, 0);
    c->req.sink = hash_sink;
}

/* The hex SHA-256 the sink saw must equal the server's X-Sha256. */
static void check_sink_sha(struct call *c)
{
    uint8_t d[32];
    char h[65];
    mbedtls_sha256_finish_ret(&c->sha, d);
    mbedtls_sha256_free(&c->sha);
    hex(d, 32, h);
    CHECK_STR(floe_http_response_header(&c->req, "X-Sha256"), h);
}

static void etag_of(const uint8_t *data, size_t n, char *out)
{
    uint8_t d[32];
    mbedtls_sha256_ret(data, n, d, 0);
    out[0] = '"';
    hex(d, 32, out + 1);
    out[65] = '"';
    out[66] = '\0';
}

/* GETs n pattern bytes (Content-Length or chunked) through the hashing sink and checks them
 * against the server's SHA-256. Returns the server's connection id. */
static int get_big(struct floe_http_client *client, bool tls, uint16_t port, unsigned n,
                   bool chunked)
{
    char target[64];
    struct call c;
    snprintf(target, sizeof(target), "/big?n=%u%s", n, chunked ? "&chunked=1" : "");
    call_init(&c, "GET", tls, port, target);
    sink_init(&c);
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.resp_len, n);
    CHECK(c.chunks > 1);
    check_sink_sha(&c);
    return conn_id(&c);
}

/* The server drops a kept-alive connection as the next request (target) arrives: that request
 * is sent again on a fresh connection and succeeds. */
static void check_retry(struct floe_http_client *client, bool tls, uint16_t port,
                        const char *target)
{
    struct call c;
    call_init(&c, "GET", tls, port, "/drop-next");
    run(client, &c);
    CHECK_INT(c.status, 0);
    int id = conn_id(&c);
    call_init(&c, "GET", tls, port, target);
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 200);
    CHECK(c.req.retried);
    CHECK(conn_id(&c) != id);
}

/* A timer that ticks while a request stalls, to show the loop keeps running. */
static unsigned ticks;

static void on_tick(uv_timer_t *t)
{
    (void)t;
    ticks++;
}

static struct call *to_cancel;
static int cancel_result;

static void on_cancel_timer(uv_timer_t *t)
{
    in_api = 1;
    cancel_result = floe_http_cancel(&to_cancel->req);
    in_api = 0;
    CHECK_INT(to_cancel->calls, 0);
    uv_close((uv_handle_t *)t, NULL);
}

static int closed;

static void on_client_closed(void *ctx)
{
    CHECK(!in_api);
    (*(int *)ctx)++;
}

static void close_client(struct floe_http_client *client)
{
    int done = 0;
    in_api = 1;
    floe_http_client_close(client, on_client_closed, &done);
    in_api = 0;
    while (!done && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    CHECK_INT(done, 1);
    closed++;
}

static struct floe_http_client *client_new(struct floe_http_client_options o)
{
    struct floe_http_client *client = NULL;
    o.loop = &loop;
    if (!o.ca_file) {
        o.ca_file = arg.ca;
    }
    CHECK_INT(floe_http_client_new(&o, &client), 0);
    return client;
}

static void sleep_loop(uint64_t ms)
{
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, on_tick, ms, 0);
    unsigned before = ticks;
    while (ticks == before) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    ticks = before;
}

static const struct floe_http_header test_header[] = {{"X-Floe-Test", "yes"}};

/* ---- plain HTTP ---- */

static void test_plain(void)
{
    struct floe_http_client *client = client_new(
        (struct floe_http_client_options){.connect_timeout_ms = 2000, .request_timeout_ms = 5000});
    struct floe_http_stats st;
    struct call c;

    call_init(&c, "GET", false, arg.plain, "/hello");
    c.req.headers = test_header;
    c.req.nheaders = 1;
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 200);
    CHECK_STR(body(&c), "hello world\n");
    CHECK_STR(floe_http_response_header(&c.req, "etag"), "\"hello\"");
    CHECK_STR(floe_http_response_header(&c.req, "Content-Type"), "text/plain");
    CHECK_INT(c.req.content_length, 12);
    CHECK(!c.req.reused);
    int first = conn_id(&c);

    /* Keep-alive: the same server connection serves the next requests. */
    call_init(&c, "GET", false, arg.plain, "/hello");
    run(client, &c);
    CHECK_INT(c.req.status_code, 200);
    CHECK(c.req.reused);
    CHECK_INT(conn_id(&c), first);

    call_init(&c, "HEAD", false, arg.plain, "/hello");
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 200);
    CHECK_INT(c.req.content_length, 12);
    CHECK_INT(c.req.resp_len, 0);
    CHECK_INT(conn_id(&c), first);

    call_init(&c, "GET", false, arg.plain, "/chunked");
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_STR(body(&c), "hello chunked world");
    CHECK_INT(c.req.content_length, -1);
    CHECK_INT(conn_id(&c), first);

    CHECK_INT(get_big(client, false, arg.plain, 3000000, false), first);
    CHECK_INT(get_big(client, false, arg.plain, 2500000, true), first);

    /* A body larger than the buffer: -ENOSPC, and the connection is not reused. */
    call_init(&c, "GET", false, arg.plain, "/big?n=100000");
    run(client, &c);
    CHECK_INT(c.status, -ENOSPC);
    call_init(&c, "GET", false, arg.plain, "/hello");
    run(client, &c);
    CHECK_INT(c.req.status_code, 200);
    CHECK(!c.req.reused);
    CHECK(conn_id(&c) != first);

    floe_http_client_stats(client, &st);
    CHECK_INT(st.connections, 2);
    CHECK_INT(st.reused, 6);
    close_client(client);
}

static void test_uploads(bool tls)
{
    uint16_t port = tls ? arg.tls : arg.plain;
    struct floe_http_client *client = client_new((struct floe_http_client_options){0});
    struct call c;
    char etag[67];

    size_t n = 1 << 20;
    uint8_t *mem = malloc(n);
    for (size_t i = 0; i < n; i++) {
        mem[i] = (uint8_t)(i * 131 + 7);
    }
    etag_of(mem, n, etag);
    call_init(&c, "PUT", tls, port, tls ? "/upload?name=tls-mem" : "/upload?name=mem");
    c.req.headers = test_header;
    c.req.nheaders = 1;
    c.req.body.kind = FLOE_HTTP_BODY_MEMORY;
    c.req.body.data = mem;
    c.req.body.len = n;
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 200);
    CHECK_STR(floe_http_response_header(&c.req, "ETag"), etag);

    int fd = open(arg.file, O_RDONLY);
    CHECK(fd >= 0);
    call_init(&c, "PUT", tls, port, tls ? "/upload?name=tls-file" : "/upload?name=file");
    c.req.headers = test_header;
    c.req.nheaders = 1;
    c.req.body.kind = FLOE_HTTP_BODY_FILE;
    c.req.body.fd = fd;
    c.req.body.offset = arg.file_offset;
    c.req.body.len = arg.file_len;
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 200);
    snprintf(etag, sizeof(etag), "\"%s\"", arg.file_sha);
    CHECK_STR(floe_http_response_header(&c.req, "ETag"), etag);
    char len[32];
    snprintf(len, sizeof(len), "%" PRIu64, arg.file_len);
    CHECK_STR(floe_http_response_header(&c.req, "X-Body-Length"), len);
    CHECK(lseek(fd, 0, SEEK_CUR) == 0); /* pread only: the position is untouched */

    /* A file shorter than the stated length: an error, not a hang. */
    call_init(&c, "PUT", tls, port, "/upload?name=short");
    c.req.body.kind = FLOE_HTTP_BODY_FILE;
    c.req.body.fd = fd;
    c.req.body.offset = arg.file_offset;
    c.req.body.len = arg.file_len + 100000;
    run(client, &c);
    CHECK_INT(c.status, -EIO);
    close(fd);

    if (!tls) {
        /* The server answers 413 before reading the body: the status arrives, the connection
         * is dropped. */
        size_t big = 4 << 20;
        uint8_t *zeros = calloc(1, big);
        call_init(&c, "PUT", false, port, "/reject-early");
        c.req.body.kind = FLOE_HTTP_BODY_MEMORY;
        c.req.body.data = zeros;
        c.req.body.len = big;
        run(client, &c);
        CHECK_INT(c.status, 0);
        CHECK_INT(c.req.status_code, 413);
        free(zeros);
    }
    free(mem);
    close_client(client);
}

static void test_statuses_and_faults(void)
{
    struct floe_http_client *client = client_new((struct floe_http_client_options){0});
    struct call c;

    call_init(&c, "GET", false, arg.plain, "/status/503");
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 503);
    CHECK_STR(floe_http_response_header(&c.req, "Retry-After"), "2");
    CHECK_STR(body(&c), "slow down");

    call_init(&c, "GET", false, arg.plain, "/truncate");
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_ETRUNCATED);
    CHECK(strstr(c.req.reason, "100 of 1000") != NULL);

    call_init(&c, "GET", false, arg.plain, "/truncate-chunked");
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_ETRUNCATED);
    CHECK(strstr(c.req.reason, "last chunk") != NULL);

    call_init(&c, "GET", false, arg.plain, "/malformed");
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_EMALFORMED);
    CHECK(c.req.reason[0] != '\0');

    call_init(&c, "GET", false, arg.plain, "/close");
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_STR(body(&c), "bye");
    call_init(&c, "GET", false, arg.plain, "/hello");
    run(client, &c);
    CHECK(!c.req.reused);

    call_init(&c, "GET", false, arg.plain, "/http10");
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_STR(body(&c), "old-style body");

    call_init(&c, "GET", false, arg.plain, "/continue");
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 200);
    CHECK_STR(body(&c), "after continue");

    /* The server closes a kept-alive connection as the next request arrives: sent again on a
     * fresh connection, once. */
    check_retry(client, false, arg.plain, "/hello?after=drop");
    struct floe_http_stats st;
    floe_http_client_stats(client, &st);
    CHECK_INT(st.retries, 1);

    /* …unless the request says no. */
    call_init(&c, "GET", false, arg.plain, "/drop-next");
    run(client, &c);
    call_init(&c, "GET", false, arg.plain, "/hello?after=drop-noretry");
    c.req.no_retry = true;
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_ETRUNCATED);
    CHECK(!c.req.retried);
    CHECK(strstr(c.req.reason, "before any response byte") != NULL);
    close_client(client);
}

static void test_deadlines(void)
{
    struct floe_http_client *client = client_new((struct floe_http_client_options){0});
    struct call c;

    /* Nothing arrives: the deadline ends it, and the loop kept serving a timer meanwhile. */
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 20, 20);
    ticks = 0;
    call_init(&c, "GET", false, arg.plain, "/stall?s=3");
    c.req.timeout_ms = 500;
    uint64_t t0 = uv_now(&loop);
    run(client, &c);
    uint64_t took = c.done_ms - t0;
    CHECK_INT(c.status, FLOE_HTTP_EDEADLINE);
    CHECK(took >= 450 && took < 2000);
    if (!CHECK(ticks >= 15)) {
        fprintf(stderr, "    ticks %u in %" PRIu64 " ms\n", ticks, took);
    }
    uv_close((uv_handle_t *)&tick, NULL);

    /* Headers and part of the body, then silence. */
    call_init(&c, "GET", false, arg.plain, "/stall-body");
    c.req.timeout_ms = 400;
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_EDEADLINE);
    CHECK_INT(c.req.resp_len, 10);

    /* Canceled while waiting for the response. */
    struct call s;
    uv_timer_t ct;
    call_init(&s, "GET", false, arg.plain, "/stall?s=3");
    to_cancel = &s;
    cancel_result = 1;
    uv_timer_init(&loop, &ct);
    uv_timer_start(&ct, on_cancel_timer, 100, 0);
    run(client, &s);
    CHECK_INT(cancel_result, 0);
    CHECK_INT(s.status, -ECANCELED);
    close_client(client);

    /* One slot: the second request waits in the queue and its deadline passes there. */
    client = client_new((struct floe_http_client_options){.max_connections = 1});
    struct call a, b;
    call_init(&a, "GET", false, arg.plain, "/stall?s=2");
    call_init(&b, "GET", false, arg.plain, "/hello");
    b.req.timeout_ms = 300;
    start(client, &a);
    start(client, &b);
    struct call *bp = &b;
    wait_all(&bp, 1);
    CHECK_INT(b.status, FLOE_HTTP_EDEADLINE);
    CHECK(strstr(b.req.reason, "waiting for a connection") != NULL);
    CHECK_INT(a.calls, 0);
    CHECK_INT(floe_http_cancel(&a.req), 0);
    struct call *ap = &a;
    wait_all(&ap, 1);
    CHECK_INT(a.status, -ECANCELED);

    /* The only slot is idle with another host's connection: it is closed to make room. */
    call_init(&a, "GET", false, arg.plain, "/hello");
    run(client, &a);
    CHECK_INT(a.req.status_code, 200);
    call_init(&b, "GET", true, arg.tls, "/hello");
    run(client, &b);
    CHECK_INT(b.req.status_code, 200);
    call_init(&a, "GET", false, arg.plain, "/hello");
    run(client, &a);
    CHECK_INT(a.req.status_code, 200);
    CHECK(!a.req.reused);
    close_client(client);

    /* Two slots, six requests at once: all served, on at most two connections. */
    client = client_new((struct floe_http_client_options){.max_connections = 2});
    struct call many[6];
    struct call *mp[6];
    for (int i = 0; i < 6; i++) {
        call_init(&many[i], "GET", false, arg.plain, "/slow?ms=100");
        mp[i] = &many[i];
        start(client, &many[i]);
    }
    wait_all(mp, 6);
    int ids[6], distinct = 0;
    for (int i = 0; i < 6; i++) {
        CHECK_INT(many[i].req.status_code, 200);
        ids[i] = conn_id(&many[i]);
        int seen = 0;
        for (int j = 0; j < i; j++) {
            seen |= ids[j] == ids[i];
        }
        distinct += !seen;
    }
    CHECK(distinct >= 1 && distinct <= 2);
    close_client(client);

    /* Idle connections are closed after idle_timeout_ms. */
    client = client_new((struct floe_http_client_options){.idle_timeout_ms = 200});
    call_init(&c, "GET", false, arg.plain, "/hello");
    run(client, &c);
    int id = conn_id(&c);
    sleep_loop(450);
    call_init(&c, "GET", false, arg.plain, "/hello");
    run(client, &c);
    CHECK_INT(c.req.status_code, 200);
    CHECK(!c.req.reused);
    CHECK(conn_id(&c) != id);

    /* The server closes a kept-alive connection while it is idle: it is dropped at once, and
     * the next request opens another without a retry. */
    call_init(&c, "GET", false, arg.plain, "/close-later");
    run(client, &c);
    CHECK_INT(c.req.status_code, 200);
    sleep_loop(300);
    call_init(&c, "GET", false, arg.plain, "/hello");
    run(client, &c);
    CHECK_INT(c.req.status_code, 200);
    CHECK(!c.req.reused);
    CHECK(!c.req.retried);

    /* Closing the client with a request running cancels it. */
    struct call r;
    call_init(&r, "GET", false, arg.plain, "/stall?s=3");
    start(client, &r);
    uv_run(&loop, UV_RUN_NOWAIT);
    close_client(client);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, -ECANCELED);
}

static void test_connect_errors(void)
{
    struct floe_http_client *client =
        client_new((struct floe_http_client_options){.connect_timeout_ms = 300});
    struct call c;

    call_init(&c, "GET", false, 80, "/");
    c.req.host = "nonexistent.invalid";
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_EDNS);
    CHECK(strstr(c.req.reason, "nonexistent.invalid") != NULL);

    call_init(&c, "GET", false, arg.refused, "/");
    run(client, &c);
    CHECK_INT(c.status, -ECONNREFUSED);

    call_init(&c, "GET", false, arg.blackhole, "/");
    uint64_t t0 = uv_now(&loop);
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_ECONNTIMEDOUT);
    CHECK(c.done_ms - t0 >= 250 && c.done_ms - t0 < 2000);

    call_init(&c, "GET", true, arg.silent, "/");
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_ECONNTIMEDOUT);
    CHECK(strstr(c.req.reason, "TLS handshake") != NULL);
    close_client(client);
}

/* ---- TLS ---- */

static void test_tls(void)
{
    struct floe_http_client *client = client_new((struct floe_http_client_options){0});
    struct call c;

    call_init(&c, "GET", true, arg.tls, "/hello");
    run(client, &c);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.req.status_code, 200);
    CHECK_STR(body(&c), "hello world\n");
    int id = conn_id(&c);
    call_init(&c, "GET", true, arg.tls, "/hello");
    run(client, &c);
    CHECK(c.req.reused);
    CHECK_INT(conn_id(&c), id);

    call_init(&c, "HEAD", true, arg.tls, "/hello");
    run(client, &c);
    CHECK_INT(c.req.content_length, 12);
    CHECK_INT(conn_id(&c), id);

    CHECK_INT(get_big(client, true, arg.tls, 3000000, false), id);
    CHECK_INT(get_big(client, true, arg.tls, 1000000, true), id);

    call_init(&c, "GET", true, arg.tls, "/truncate");
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_ETRUNCATED);

    call_init(&c, "GET", true, arg.tls, "/stall-body");
    c.req.timeout_ms = 300;
    run(client, &c);
    CHECK_INT(c.status, FLOE_HTTP_EDEADLINE);
    CHECK_INT(c.req.resp_len, 10);

    check_retry(client, true, arg.tls, "/hello?after=tls-drop");

    /* Below TLS 1.2, and not TLS at all: handshake failures with mbedTLS's reason. */
    const uint16_t *no_tls[] = {&arg.tls11, &arg.garbage};
    for (size_t i = 0; i < 2; i++) {
        call_init(&c, "GET", true, *no_tls[i], "/hello");
        run(client, &c);
        CHECK_INT(c.status, FLOE_HTTP_ETLS);
        CHECK(c.req.cause < 0);
        if (!CHECK(strstr(c.req.reason, "TLS handshake") != NULL)) {
            fprintf(stderr, "    reason: %s\n", c.req.reason);
        }
    }

    static const struct {
        uint16_t *port;
        uint32_t flag;
        const char *words;
    } refused[] = {
        {&arg.unknown, MBEDTLS_X509_BADCERT_NOT_TRUSTED, "unknown CA"},
        {&arg.wronghost, MBEDTLS_X509_BADCERT_CN_MISMATCH, "hostname mismatch"},
        {&arg.expired, MBEDTLS_X509_BADCERT_EXPIRED, "expired"},
    };
    for (size_t i = 0; i < 3; i++) {
        call_init(&c, "GET", true, *refused[i].port, "/hello");
        run(client, &c);
        CHECK_INT(c.status, FLOE_HTTP_ETLSVERIFY);
        CHECK_INT(c.req.tls_verify, refused[i].flag);
        if (!CHECK(strstr(c.req.reason, refused[i].words) != NULL)) {
            fprintf(stderr, "    reason: %s\n", c.req.reason);
        }
    }
    close_client(client);

    /* Verification off: explicit, warned about, and the same servers are accepted. */
    char logpath[] = "/tmp/floe-http-log-XXXXXX";
    int logfd = mkstemp(logpath);
    CHECK(logfd >= 0);
    floe_log_set_sink(logfd);
    client = client_new((struct floe_http_client_options){.insecure_no_verify = true});
    floe_log_set_sink(2);
    char text[4096] = "";
    ssize_t got = pread(logfd, text, sizeof(text) - 1, 0);
    text[got > 0 ? got : 0] = '\0';
    CHECK(strstr(text, "level=warn") != NULL && strstr(text, "verification is off") != NULL);
    close(logfd);
    unlink(logpath);
    for (size_t i = 0; i < 3; i++) {
        call_init(&c, "GET", true, *refused[i].port, "/hello");
        run(client, &c);
        CHECK_INT(c.status, 0);
        CHECK_INT(c.req.status_code, 200);
    }
    close_client(client);

    /* The CA as a directory works too. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", arg.ca);
    char *slash = strrchr(dir, '/');
    if (slash) {
        snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/cadir");
        client = client_new((struct floe_http_client_options){.ca_file = dir});
        call_init(&c, "GET", true, arg.tls, "/hello");
        run(client, &c);
        CHECK_INT(c.req.status_code, 200);
        close_client(client);
    }
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            continue;
        }
        *eq = '\0';
        const char *k = argv[i], *v = eq + 1;
        uint16_t port = (uint16_t)atoi(v);
        if (!strcmp(k, "plain")) {
            arg.plain = port;
        } else if (!strcmp(k, "tls")) {
            arg.tls = port;
        } else if (!strcmp(k, "unknown")) {
            arg.unknown = port;
        } else if (!strcmp(k, "wronghost")) {
            arg.wronghost = port;
        } else if (!strcmp(k, "expired")) {
            arg.expired = port;
        } else if (!strcmp(k, "silent")) {
            arg.silent = port;
        } else if (!strcmp(k, "blackhole")) {
            arg.blackhole = port;
        } else if (!strcmp(k, "tls11")) {
            arg.tls11 = port;
        } else if (!strcmp(k, "garbage")) {
            arg.garbage = port;
        } else if (!strcmp(k, "refused")) {
            arg.refused = port;
        } else if (!strcmp(k, "ca")) {
            arg.ca = v;
        } else if (!strcmp(k, "file")) {
            arg.file = v;
        } else if (!strcmp(k, "file_offset")) {
            arg.file_offset = strtoll(v, NULL, 10);
        } else if (!strcmp(k, "file_len")) {
            arg.file_len = strtoull(v, NULL, 10);
        } else if (!strcmp(k, "file_sha")) {
            arg.file_sha = v;
        } else if (!strcmp(k, "debug")) {
            floe_log_set_level(FLOE_LOG_DEBUG); /* by hand: every connection event logged */
        }
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (!arg.plain || !arg.tls || !arg.ca || !arg.file || !arg.file_sha) {
        fprintf(stderr, "usage: run by test_http.py\n");
        return 2;
    }
    uv_loop_init(&loop);
    test_plain();
    test_uploads(false);
    test_uploads(true);
    test_statuses_and_faults();
    test_deadlines();
    test_connect_errors();
    test_tls();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    return check_done();
}
