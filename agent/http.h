/* http.h — floe's HTTP/1.1 client on the libuv loop, for the S3 layer (DESIGN.md "upload").
 *
 * One struct floe_http_client owns a fixed set of connection slots (max_connections), each
 * plain TCP or TLS (mbedTLS 2.28, TLS 1.2 minimum, SNI, certificate and host name verified by
 * default), and the mbedTLS configuration they share. A request is a caller-owned struct
 * floe_http_request: it names method, scheme, host, port and target, carries the caller's
 * headers and a body (memory or a region of a file, always sent with Content-Length), and
 * says where the response body goes (a sink callback or a bounded buffer). Responses are
 * parsed by llhttp: Content-Length, chunked, read-until-close, HEAD, 1xx interim responses
 * skipped, a small table of response headers captured by name.
 *
 * Life of a request: floe_http_request() validates it and queues it; nothing else happens
 * inside the call. On the next loop turn it takes a kept-alive connection to the same
 * host:port:scheme, or opens one in a free slot (uv_getaddrinfo, each address in turn, TLS
 * handshake), or waits (FIFO) for a slot. Every request has a deadline for the whole exchange,
 * queueing included. The done callback runs exactly once, never from inside
 * floe_http_request(), floe_http_cancel() or floe_http_client_close().
 *
 * Keep-alive: after a response that was read to its end, whose request was fully sent and
 * which allows it (HTTP/1.1 without "Connection: close", or 1.0 with keep-alive, and no bytes
 * after it), the connection waits idle for the next request to the same host:port:scheme, up
 * to max_idle_per_host per key, and is closed after idle_timeout_ms or as soon as the server
 * sends anything or closes it. A connection that failed, or whose response was not read to the
 * end, is never reused.
 *
 * Retry: a request sent on a reused connection that fails before any byte of the response
 * because the connection was closed or reset (the server closed it while idle, a race no
 * client can avoid) is sent once more on a fresh connection, as HTTP clients commonly do.
 * The first attempt may still have reached a server that then closed without answering; a
 * request whose repetition would mislead (a conditional PUT, whose second attempt would answer
 * 412 to its own first) sets no_retry. req->retried tells whether it happened.
 *
 * TLS endpoints are addressed by DNS name: mbedTLS 2.28 checks DNS names only, not IP
 * addresses. A body delimited by the end of the connection (no Content-Length, not chunked) is
 * accepted when the peer closes even without TLS close_notify; S3 always frames its bodies.
 *
 * Memory: the client and its slots are allocated once by floe_http_client_new() (about 40 KiB
 * plus 100 KiB per slot: request head, read, TLS and file buffers); a slot's TLS context (about
 * 34 KiB more, allocated by mbedTLS) is set up the first time the slot carries TLS and reset,
 * not reallocated, for later connections. Requests never allocate.
 * libuv allocates inside uv_getaddrinfo and mbedTLS inside its handshake; Debian's mbedTLS is
 * built without MBEDTLS_PLATFORM_MEMORY, so mbedtls_platform_set_calloc_free() does not exist
 * and its allocations cannot be routed through an accounted hook.
 */
#ifndef FLOE_HTTP_H
#define FLOE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* The CA bundle used when the options name none (Debian's ca-certificates). */
#define FLOE_HTTP_DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"

#define FLOE_HTTP_HOST_MAX 253            /* bytes in a host name or address literal */
#define FLOE_HTTP_REQUEST_HEAD_MAX 8192   /* request line + headers as sent */
#define FLOE_HTTP_RESPONSE_HEAD_MAX 32768 /* status line + headers of one response */
#define FLOE_HTTP_CAPTURE_MAX 8           /* response headers one request can capture */
#define FLOE_HTTP_CAPTURE_BYTES 1024      /* room for their values, one NUL each */
#define FLOE_HTTP_REASON_MAX 192          /* bytes in req->reason, NUL included */

/* floe's own HTTP error codes (negative, outside the errno and libuv ranges). Other failures
 * are negative errnos: -ECONNREFUSED (and -ENETUNREACH, -EHOSTUNREACH…) when no address of the
 * host accepted the connection, -ECANCELED, -ENOSPC (response body larger than resp_cap),
 * -EIO (the body file ended early), a sink's own code. floe_http_strerror() names them all. */
enum floe_http_error {
    FLOE_HTTP_EDNS = -5001,          /* the host name did not resolve */
    FLOE_HTTP_ECONNTIMEDOUT = -5002, /* resolve + connect + TLS handshake passed connect_timeout */
    FLOE_HTTP_ETLS = -5003,          /* TLS handshake failed (alert, protocol, no shared cipher) */
    FLOE_HTTP_ETLSVERIFY = -5004,    /* the server's certificate was rejected (req->tls_verify) */
    FLOE_HTTP_EDEADLINE = -5005,     /* no complete response within the request's deadline */
    FLOE_HTTP_ETRUNCATED = -5006,    /* connection closed or reset before the response ended */
    FLOE_HTTP_EMALFORMED = -5007,    /* the response is not valid HTTP/1.x or breaks a limit */
};

struct floe_http_client;
struct floe_http_request;

/* The request's outcome: status 0 when a complete response arrived (whatever its HTTP status:
 * see req->status_code), else a negative code as above with req->reason saying why. Runs once
 * per accepted request; req and everything it points to are the caller's again from here on
 * (it may be reused or freed inside the callback). */
typedef void (*floe_http_done_fn)(struct floe_http_request *req, int status);

/* Receives the response body in order, in chunks of any size, data valid during the call only.
 * Returns 0 to go on, or a negative code that ends the request with that status. Not called
 * for an empty body nor for 1xx interim responses. */
typedef int (*floe_http_sink_fn)(struct floe_http_request *req, const uint8_t *data, size_t len);
/* (A sink must not call floe_http_cancel() or floe_http_client_close(): it returns an error
 * code instead.) */

/* Runs once, after every request's done callback and the last handle's close callback. */
typedef void (*floe_http_closed_fn)(void *ctx);

struct floe_http_client_options {
    uv_loop_t *loop;             /* required; must outlive the client */
    const char *ca_file;         /* PEM file or directory of PEM files; NULL or "" means
                                  * FLOE_HTTP_DEFAULT_CA (if that is missing, a warning is
                                  * logged and TLS servers fail verification); read by
                                  * floe_http_client_new only, a blocking read at startup */
    bool insecure_no_verify;     /* true turns off certificate and host name checks (a warning
                                  * is logged at each client created so); false verifies */
    uint64_t connect_timeout_ms; /* resolve + connect + TLS handshake; 0 means 10 s */
    uint64_t request_timeout_ms; /* whole request, queueing included; 0 means 60 s */
    unsigned max_connections;    /* slots, all hosts together; 0 means 8 */
    unsigned max_idle_per_host;  /* kept-alive connections per host:port:scheme; 0 means 4 */
    uint64_t idle_timeout_ms;    /* an idle connection is closed after this; 0 means 30 s */
};

struct floe_http_header {
    const char *name;  /* token characters only */
    const char *value; /* no CR, LF or NUL */
};

enum floe_http_body_kind {
    FLOE_HTTP_BODY_NONE = 0,
    FLOE_HTTP_BODY_MEMORY, /* body.data[0..body.len) */
    FLOE_HTTP_BODY_FILE,   /* body.len bytes of body.fd from body.offset, read in bounded chunks
                            * with uv_fs_read (pread: the file position is not used or moved) */
};

struct floe_http_stats {
    uint64_t requests;    /* done callbacks run */
    uint64_t connections; /* connections established (TCP connected and TLS handshake done) */
    uint64_t reused;      /* requests served on a kept-alive connection */
    uint64_t retries;     /* requests sent again on a fresh connection (see "Retry") */
};

struct floe_http_request {
    /* In: set by the caller before floe_http_request(); the request borrows every pointer
     * below, and what it points to must stay valid and unchanged until the done callback. */
    const char *method;                     /* "GET", "PUT", "HEAD", "POST", "DELETE"… */
    bool tls;                               /* https */
    const char *host;                       /* DNS name (or address literal, IPv6 bare) */
    uint16_t port;                          /* 0 means 443 with tls, 80 without */
    const char *target;                     /* path and query, encoded, starting with '/' */
    const struct floe_http_header *headers; /* nheaders entries, sent in order */
    size_t nheaders;
    struct {
        enum floe_http_body_kind kind;
        const uint8_t *data; /* MEMORY */
        uv_file fd;          /* FILE */
        int64_t offset;      /* FILE */
        uint64_t len;        /* bytes sent, either kind */
    } body;
    floe_http_sink_fn sink; /* response body goes here when set… */
    uint8_t *resp_buf;      /* …else here, at most resp_cap bytes (NULL: discarded) */
    size_t resp_cap;
    const char *const *capture; /* names of response headers to keep (case-insensitive) */
    size_t ncapture;            /* at most FLOE_HTTP_CAPTURE_MAX */
    uint64_t timeout_ms;        /* whole request; 0 means the client's request_timeout_ms */
    bool no_retry;              /* never send this request twice (see "Retry") */
    void *data;                 /* the caller's; untouched */

    /* Out: reset by floe_http_request(), meaningful in and after the done callback. */
    int status_code;        /* HTTP status of the final response; 0 if none arrived */
    int64_t content_length; /* its Content-Length header, -1 if it had none */
    uint64_t resp_len;      /* body bytes received (delivered to the sink or the buffer) */
    bool reused;            /* sent on a kept-alive connection */
    bool retried;           /* sent a second time on a fresh connection */
    uint32_t tls_verify;    /* mbedTLS verify flags (MBEDTLS_X509_BADCERT_…) on ETLSVERIFY */
    int cause;              /* the original code behind a failure: libuv, mbedTLS or llhttp */
    char reason[FLOE_HTTP_REASON_MAX]; /* why it failed, for logs; "" on success */

    /* Private to the http module. */
    struct {
        struct floe_http_client *client;
        struct floe_http_request *next;
        floe_http_done_fn cb;
        uint64_t deadline; /* uv_now() value */
        int state;
        int status;
        bool fresh; /* must not use a kept-alive connection */
        uint16_t hdr_off[FLOE_HTTP_CAPTURE_MAX];
        uint16_t hdr_len[FLOE_HTTP_CAPTURE_MAX];
        uint16_t hdr_used;
        uint8_t hdr_set; /* bit i: capture[i] was seen */
        char hdr_buf[FLOE_HTTP_CAPTURE_BYTES];
    } priv;
};

/* floe_http_client_new(opts, &client): loads the CA certificates (unless verification is off),
 * seeds the TLS random generator and allocates every connection slot. opts is read during the
 * call only. Returns 0 and *client, or a negative errno with the reason logged: -EINVAL (no
 * loop), -ENOENT / -EACCES / -EBADMSG (the CA file or directory given is missing, unreadable
 * or holds no usable certificate), -EIO (no entropy), -ENOMEM; *client is then unchanged and
 * nothing is left allocated. */
int floe_http_client_new(const struct floe_http_client_options *opts,
                         struct floe_http_client **client);

/* floe_http_client_close(client, cb, ctx): fails every queued and running request with
 * -ECANCELED (their callbacks run after this call returns), closes every connection and
 * handle, then calls cb(ctx) (cb may be NULL) and frees the client: client is invalid once cb
 * has run. uv_loop_close() succeeds after that. New requests are refused from the moment of
 * the call. A lookup stuck in the resolver delays cb until the resolver gives up. Calling it
 * twice is a programming error. */
void floe_http_client_close(struct floe_http_client *client, floe_http_closed_fn cb, void *ctx);

/* floe_http_request(client, req, cb): starts req (see its "In" fields). req must be zeroed
 * (memset or = {0}) before its first use; after its callback it may be started again as is,
 * without zeroing (only its in fields need setting). Returns 0 when
 * accepted: cb(req, status) will run exactly once, later, from the loop. Returns without
 * calling cb, req's out fields reset and nothing else changed, when refused:
 *   -EINVAL   missing or invalid method, host, target, header or body (CR/LF, non-token
 *             characters, Content-Length or Transfer-Encoding among the headers — the client
 *             writes those), capture names beyond FLOE_HTTP_CAPTURE_MAX;
 *   -EMSGSIZE the request line and headers exceed FLOE_HTTP_REQUEST_HEAD_MAX;
 *   -EBUSY    req is already in flight;
 *   -ECANCELED the client is closing.
 * Headers sent: the request line, "Host" (host, or host:port when port is not the scheme's
 * default, IPv6 literals in brackets) unless the caller gives one, the caller's headers, then
 * "Content-Length" whenever there is a body or the method is neither GET, HEAD, DELETE nor
 * OPTIONS. No chunked requests, no "Expect: 100-continue". */
int floe_http_request(struct floe_http_client *client, struct floe_http_request *req,
                      floe_http_done_fn cb);

/* floe_http_cancel(req): ends an in-flight request with -ECANCELED; its connection, if it had
 * one, is closed. The callback runs later, after any file read or socket write that borrows
 * req's buffers has finished. Returns 0, or -EALREADY when req has already finished and its
 * callback is about to run with its real status, or -EINVAL when req is not in flight. */
int floe_http_cancel(struct floe_http_request *req);

/* floe_http_response_header(req, name): the value of a captured response header (name must be
 * one of req->capture, compared case-insensitively), NUL-terminated, inside req; NULL if the
 * response had no such header or name was not captured. A header that repeats keeps its
 * first value. Leading and trailing blanks are removed. Valid until req is started again. */
const char *floe_http_response_header(const struct floe_http_request *req, const char *name);

/* floe_http_strerror(err): a short message for a code from this module (floe's own, libuv's or
 * an errno); never NULL. */
const char *floe_http_strerror(int err);

/* floe_http_client_stats(client, &stats): counters since floe_http_client_new. */
void floe_http_client_stats(const struct floe_http_client *client, struct floe_http_stats *stats);

#endif
