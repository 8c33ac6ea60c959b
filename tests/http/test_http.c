/* test_http.c — unit tests of the HTTP client that need no server: the response parser fed
 * canned bytes (split at every position), its limits on hostile input, request validation,
 * cancel and close on a loop with no connection. The exchange with real servers (plain, TLS,
 * faults) is tests/http/test_http.py driving http_driver.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http.h"
#include "http_internal.h"

static const char *const capture[] = {"ETag", "x-amz-request-id", "Content-Type"};

static void req_init(struct floe_http_request *req, const char *method, uint8_t *buf, size_t cap)
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->host = "localhost";
    req->target = "/";
    req->resp_buf = buf;
    req->resp_cap = cap;
    req->capture = capture;
    req->ncapture = 3;
}

/* Feeds text in pieces of at most step bytes (0: all at once), then EOF if eof is set.
 * Returns the first failure or 0. */
static int feed(struct floe_http__resp *r, const char *text, size_t len, size_t step, bool eof)
{
    size_t off = 0;
    while (off < len) {
        size_t n = step && step < len - off ? step : len - off;
        int err = floe_http__resp_feed(r, (const uint8_t *)text + off, n);
        if (err < 0) {
            return err;
        }
        off += n;
    }
    return eof ? floe_http__resp_eof(r) : 0;
}

static void test_content_length(void)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\n"
                               "ETag:   \"abc\"  \r\n"
                               "X-Amz-Request-Id: req-1\r\n"
                               "Content-Length: 11\r\n"
                               "\r\n"
                               "hello world";
    for (size_t step = 0; step <= 7; step++) {
        struct floe_http_request req;
        struct floe_http__resp r;
        uint8_t buf[64];
        req_init(&req, "GET", buf, sizeof(buf));
        floe_http__resp_start(&r, &req);
        CHECK_INT(feed(&r, resp, sizeof(resp) - 1, step, false), 0);
        CHECK(r.complete);
        CHECK(r.keep_alive);
        CHECK_INT(r.extra, 0);
        CHECK_INT(req.status_code, 200);
        CHECK_INT(req.content_length, 11);
        CHECK_INT(req.resp_len, 11);
        CHECK_MEM(buf, "hello world", 11);
        CHECK_STR(floe_http_response_header(&req, "etag"), "\"abc\"");
        CHECK_STR(floe_http_response_header(&req, "X-AMZ-REQUEST-ID"), "req-1");
        CHECK(floe_http_response_header(&req, "Content-Type") == NULL);
        CHECK(floe_http_response_header(&req, "Location") == NULL);
    }
}

static void test_chunked_every_split(void)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\n"
                               "Transfer-Encoding: chunked\r\n"
                               "Content-Type: text/plain\r\n"
                               "\r\n"
                               "5;ext=1\r\nhello\r\n"
                               "1\r\n \r\n"
                               "5\r\nworld\r\n"
                               "0\r\n"
                               "Trailer: x\r\n"
                               "\r\n";
    size_t len = sizeof(resp) - 1;
    unsigned good = 0;
    for (size_t split = 1; split < len; split++) {
        struct floe_http_request req;
        struct floe_http__resp r;
        uint8_t buf[64];
        req_init(&req, "GET", buf, sizeof(buf));
        floe_http__resp_start(&r, &req);
        int e1 = floe_http__resp_feed(&r, (const uint8_t *)resp, split);
        int e2 = floe_http__resp_feed(&r, (const uint8_t *)resp + split, len - split);
        const char *ct = floe_http_response_header(&req, "content-type");
        good += e1 == 0 && e2 == 0 && r.complete && r.keep_alive && req.resp_len == 11 &&
                memcmp(buf, "hello world", 11) == 0 && req.content_length == -1 && ct &&
                strcmp(ct, "text/plain") == 0;
    }
    CHECK_INT(good, len - 1);
}

static void test_interim_and_head(void)
{
    struct floe_http_request req;
    struct floe_http__resp r;
    uint8_t buf[16];
    static const char cont[] = "HTTP/1.1 100 Continue\r\nETag: \"interim\"\r\n\r\n"
                               "HTTP/1.1 201 Created\r\nETag: \"final\"\r\nContent-Length: 2\r\n"
                               "\r\nok";
    req_init(&req, "PUT", buf, sizeof(buf));
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, cont, sizeof(cont) - 1, 3, false), 0);
    CHECK(r.complete);
    CHECK_INT(req.status_code, 201);
    CHECK_STR(floe_http_response_header(&req, "ETag"), "\"final\"");
    CHECK_INT(req.resp_len, 2);

    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
    req_init(&req, "HEAD", buf, sizeof(buf));
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, head, sizeof(head) - 1, 0, false), 0);
    CHECK(r.complete);
    CHECK(r.keep_alive);
    CHECK_INT(req.content_length, 1234);
    CHECK_INT(req.resp_len, 0);

    static const char nocontent[] = "HTTP/1.1 204 No Content\r\n\r\n";
    req_init(&req, "DELETE", buf, sizeof(buf));
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, nocontent, sizeof(nocontent) - 1, 0, false), 0);
    CHECK(r.complete);
    CHECK_INT(req.status_code, 204);

    /* Endless 1xx: an error, not a loop. */
    char many[1024] = "";
    for (int i = 0; i < 20; i++) {
        strcat(many, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    req_init(&req, "PUT", buf, sizeof(buf));
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, many, strlen(many), 0, false), FLOE_HTTP_EMALFORMED);
}

static void test_keep_alive_rules(void)
{
    static const struct {
        const char *text;
        bool keep;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
        {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct floe_http_request req;
        struct floe_http__resp r;
        req_init(&req, "GET", NULL, 0);
        floe_http__resp_start(&r, &req);
        CHECK_INT(feed(&r, cases[i].text, strlen(cases[i].text), 0, false), 0);
        CHECK(r.complete);
        CHECK_INT(r.keep_alive, cases[i].keep);
    }
    /* Bytes after the response are not ours: counted, so the connection is not reused. */
    static const char twice[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n";
    struct floe_http_request req;
    struct floe_http__resp r;
    uint8_t buf[4];
    req_init(&req, "GET", buf, sizeof(buf));
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, twice, sizeof(twice) - 1, 0, false), 0);
    CHECK(r.complete);
    CHECK_INT(r.extra, 17);
    CHECK_INT(req.resp_len, 1);
}

static void test_eof(void)
{
    static const struct {
        const char *text;
        int want;
        const char *reason;
    } cases[] = {
        {"", FLOE_HTTP_ETRUNCATED, "before any response byte"},
        {"HTTP/1.1 200 OK\r\nContent-Le", FLOE_HTTP_ETRUNCATED, "inside the response headers"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", FLOE_HTTP_ETRUNCATED,
         "after 5 of 10 body bytes"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
         FLOE_HTTP_ETRUNCATED, "before the last chunk"},
        {"HTTP/1.1 200 OK\r\n\r\nuntil the end", 0, ""},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct floe_http_request req;
        struct floe_http__resp r;
        uint8_t buf[64];
        req_init(&req, "GET", buf, sizeof(buf));
        floe_http__resp_start(&r, &req);
        CHECK_INT(feed(&r, cases[i].text, strlen(cases[i].text), 0, true), cases[i].want);
        if (!CHECK(strstr(req.reason, cases[i].reason) != NULL)) {
            fprintf(stderr, "    case %zu: reason \"%s\"\n", i, req.reason);
        }
    }
    struct floe_http_request req;
    struct floe_http__resp r;
    uint8_t buf[64];
    req_init(&req, "GET", buf, sizeof(buf));
    floe_http__resp_start(&r, &req);
    static const char eofbody[] = "HTTP/1.1 200 OK\r\n\r\nuntil the end";
    CHECK_INT(feed(&r, eofbody, sizeof(eofbody) - 1, 4, true), 0);
    CHECK(r.complete);
    CHECK(!r.keep_alive);
    CHECK_INT(req.resp_len, 13);
}

static int failing_sink(struct floe_http_request *req, const uint8_t *data, size_t len)
{
    (void)data;
    (void)len;
    return req->data ? -EPIPE : 0;
}

static void test_limits(void)
{
    struct floe_http_request req;
    struct floe_http__resp r;
    uint8_t buf[8];
    static const char body[] = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";

    /* Bounded buffer: an error, never an overflow. */
    req_init(&req, "GET", buf, 5);
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, body, sizeof(body) - 1, 0, false), -ENOSPC);
    CHECK(strstr(req.reason, "5-byte buffer") != NULL);

    /* A sink's code ends the request. */
    req_init(&req, "GET", NULL, 0);
    req.sink = failing_sink;
    req.data = &req;
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, body, sizeof(body) - 1, 0, false), -EPIPE);
    /* …and after a failure the parser stays failed. */
    CHECK_INT(floe_http__resp_feed(&r, (const uint8_t *)"x", 1), -EPIPE);

    /* Headers beyond FLOE_HTTP_RESPONSE_HEAD_MAX. */
    size_t big = FLOE_HTTP_RESPONSE_HEAD_MAX + 100;
    char *huge = malloc(big + 64);
    CHECK(huge != NULL);
    if (huge) {
        strcpy(huge, "HTTP/1.1 200 OK\r\nX-Big: ");
        size_t n = strlen(huge);
        memset(huge + n, 'a', big);
        strcpy(huge + n + big, "\r\n\r\n");
        req_init(&req, "GET", NULL, 0);
        floe_http__resp_start(&r, &req);
        CHECK_INT(feed(&r, huge, strlen(huge), 1000, false), FLOE_HTTP_EMALFORMED);
        CHECK(strstr(req.reason, "exceed") != NULL);

        /* A captured value larger than FLOE_HTTP_CAPTURE_BYTES. */
        strcpy(huge, "HTTP/1.1 200 OK\r\nETag: ");
        n = strlen(huge);
        memset(huge + n, 'e', 2000);
        strcpy(huge + n + 2000, "\r\n\r\n");
        req_init(&req, "GET", NULL, 0);
        floe_http__resp_start(&r, &req);
        CHECK_INT(feed(&r, huge, strlen(huge), 0, false), FLOE_HTTP_EMALFORMED);
        CHECK(strstr(req.reason, "ETag") != NULL);
        free(huge);
    }

    /* A repeated captured header keeps its first value. */
    static const char rep[] = "HTTP/1.1 200 OK\r\nETag: one\r\netag: two\r\n"
                              "Content-Length: 0\r\n\r\n";
    req_init(&req, "GET", NULL, 0);
    floe_http__resp_start(&r, &req);
    CHECK_INT(feed(&r, rep, sizeof(rep) - 1, 0, false), 0);
    CHECK_STR(floe_http_response_header(&req, "ETag"), "one");
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n",
        "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct floe_http_request req;
        struct floe_http__resp r;
        uint8_t buf[16];
        req_init(&req, "GET", buf, sizeof(buf));
        floe_http__resp_start(&r, &req);
        int err = feed(&r, bad[i], strlen(bad[i]), 0, false);
        if (!CHECK(err == FLOE_HTTP_EMALFORMED)) {
            fprintf(stderr, "    case %zu: got %d (%s)\n", i, err, req.reason);
        }
        CHECK(req.reason[0] != '\0');
    }
}

/* ---- the client on a loop, without servers ---- */

static int done_calls;
static int done_status;
static int in_call; /* set while a floe_http_* call runs: callbacks must not see it */

static void on_done(struct floe_http_request *req, int status)
{
    (void)req;
    CHECK(!in_call);
    done_calls++;
    done_status = status;
}

static int closed_calls;

static void on_closed(void *ctx)
{
    CHECK(ctx == &closed_calls);
    CHECK(!in_call);
    closed_calls++;
}

static void test_client(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct floe_http_client_options opts = {.loop = &loop, .max_connections = 1};
    struct floe_http_client *client = NULL;
    CHECK_INT(floe_http_client_new(&opts, &client), 0);
    struct floe_http_client_options bad = {.loop = &loop, .ca_file = "/nonexistent/ca.pem"};
    struct floe_http_client *none = NULL;
    CHECK_INT(floe_http_client_new(&bad, &none), -ENOENT);
    CHECK(none == NULL);

    struct floe_http_request req;
    struct floe_http_header hdr[2] = {{"X-Ok", "fine value"}, {"X-Bad", "a\r\nb"}};
    req_init(&req, "GET", NULL, 0);
    req.headers = hdr;
    req.nheaders = 2;
    CHECK_INT(floe_http_request(client, &req, on_done), -EINVAL);
    hdr[1] = (struct floe_http_header){"Content-Length", "5"};
    CHECK_INT(floe_http_request(client, &req, on_done), -EINVAL);
    hdr[1] = (struct floe_http_header){"Bad Name", "x"};
    CHECK_INT(floe_http_request(client, &req, on_done), -EINVAL);
    req.nheaders = 1;
    req.target = "/a b";
    CHECK_INT(floe_http_request(client, &req, on_done), -EINVAL);
    req.target = "no-slash";
    CHECK_INT(floe_http_request(client, &req, on_done), -EINVAL);
    req.target = "/";
    req.host = "bad host";
    CHECK_INT(floe_http_request(client, &req, on_done), -EINVAL);
    req.host = "localhost";
    req.body.kind = FLOE_HTTP_BODY_FILE;
    req.body.fd = -1;
    CHECK_INT(floe_http_request(client, &req, on_done), -EINVAL);
    req.body.kind = FLOE_HTTP_BODY_NONE;
    char *longv = malloc(FLOE_HTTP_REQUEST_HEAD_MAX);
    if (longv) {
        memset(longv, 'v', FLOE_HTTP_REQUEST_HEAD_MAX - 1);
        longv[FLOE_HTTP_REQUEST_HEAD_MAX - 1] = '\0';
        hdr[0] = (struct floe_http_header){"X-Long", longv};
        CHECK_INT(floe_http_request(client, &req, on_done), -EMSGSIZE);
        hdr[0] = (struct floe_http_header){"X-Ok", "fine"};
        free(longv);
    }
    CHECK_INT(done_calls, 0);

    /* Accepted, then canceled before the loop ran: the callback comes from the loop. */
    in_call = 1;
    CHECK_INT(floe_http_request(client, &req, on_done), 0);
    CHECK_INT(floe_http_request(client, &req, on_done), -EBUSY);
    CHECK_INT(floe_http_cancel(&req), 0);
    CHECK_INT(floe_http_cancel(&req), -EALREADY);
    in_call = 0;
    CHECK_INT(done_calls, 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_INT(done_calls, 1);
    CHECK_INT(done_status, -ECANCELED);
    CHECK_INT(floe_http_cancel(&req), -EINVAL);

    /* Close with a request queued: it is canceled, then the client goes. */
    CHECK_INT(floe_http_request(client, &req, on_done), 0);
    in_call = 1;
    floe_http_client_close(client, on_closed, &closed_calls);
    in_call = 0;
    CHECK_INT(floe_http_request(client, &req, on_done), -EBUSY);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(done_calls, 2);
    CHECK_INT(done_status, -ECANCELED);
    CHECK_INT(closed_calls, 1);
    CHECK_INT(uv_loop_close(&loop), 0);
}

static void test_strerror(void)
{
    const int codes[] = {FLOE_HTTP_EDNS,       FLOE_HTTP_ECONNTIMEDOUT, FLOE_HTTP_ETLS,
                         FLOE_HTTP_ETLSVERIFY, FLOE_HTTP_EDEADLINE,     FLOE_HTTP_ETRUNCATED,
                         FLOE_HTTP_EMALFORMED};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        for (size_t j = 0; j < i; j++) {
            CHECK(strcmp(floe_http_strerror(codes[i]), floe_http_strerror(codes[j])) != 0);
        }
    }
    CHECK_STR(floe_http_strerror(-ECONNREFUSED), strerror(ECONNREFUSED));
    CHECK(floe_http_strerror(UV_EAI_NONAME) != NULL);
    CHECK(floe_http_strerror(-4999) != NULL);
}

int main(void)
{
    test_content_length();
    test_chunked_every_split();
    test_interim_and_head();
    test_keep_alive_rules();
    test_eof();
    test_limits();
    test_malformed();
    test_client();
    test_strerror();
    return check_done();
}
