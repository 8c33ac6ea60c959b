/* http_internal.h — what the http module's files share: the client and its queue (http.c),
 * the connection slot (the state machine of http_conn.c), the request head and response parser
 * (http_wire.c) and the TLS glue (http_tls.c). Nothing here is for other modules; they use
 * http.h.
 *
 * A connection slot is one state machine (enum floe_http__conn_state, advanced by
 * conn_advance() in http_conn.c) that embeds its handles (TCP, deadline timer), its requests
 * (getaddrinfo, connect, write, fs read), its response parser and its TLS context. Buffers
 * handed to libuv belong to the pending request until its callback: a request's done callback
 * is therefore held back until no write or file read that borrows its memory is pending.
 */
#ifndef FLOE_HTTP_INTERNAL_H
#define FLOE_HTTP_INTERNAL_H

#include <llhttp.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "http.h"

#define FLOE_HTTP__READ_BUF 16384   /* one socket read: plaintext, or ciphertext under TLS */
#define FLOE_HTTP__PLAIN_BUF 8192   /* one TLS read of plaintext */
#define FLOE_HTTP__FILE_CHUNK 32768 /* one uv_fs_read of a file body */
#define FLOE_HTTP__TLS_OUT 16384    /* each of the two ciphertext output buffers */
#define FLOE_HTTP__FIELD_MAX 64     /* longest response header name we compare */
#define FLOE_HTTP__INTERIM_MAX 8    /* 1xx responses tolerated before the final one */

/* The life of a struct floe_http_request (req->priv.state). */
enum floe_http__req_state {
    FLOE_HTTP__REQ_IDLE = 0, /* not submitted, or its callback has run */
    FLOE_HTTP__REQ_QUEUED,   /* in the client's queue */
    FLOE_HTTP__REQ_ACTIVE,   /* on a connection */
    FLOE_HTTP__REQ_DONE,     /* in the done list, callback pending */
};

/* ---- the request head (http_wire.c) ---- */

/* floe_http__validate(req): -EINVAL or -EMSGSIZE as floe_http_request() documents, else 0. */
int floe_http__validate(const struct floe_http_request *req);

/* floe_http__format_head(req, dst, cap, &len): writes the request line and headers of a
 * validated req into dst (or, with dst NULL, only measures them); *len is their size. Returns
 * 0, or -EMSGSIZE past cap (dst then holds a prefix). */
int floe_http__format_head(const struct floe_http_request *req, uint8_t *dst, size_t cap,
                           size_t *len);

/* floe_http__port_of(req): req->port, or the scheme's default. */
uint16_t floe_http__port_of(const struct floe_http_request *req);

/* floe_http__reset_out(req): clears the out fields a response or failure fills in. */
void floe_http__reset_out(struct floe_http_request *req);

/* ---- response parsing (http_wire.c) ---- */

struct floe_http__resp {
    llhttp_t parser;
    struct floe_http_request *req; /* where status, headers and body go */
    bool head;                     /* response to HEAD: no body whatever the headers say */
    bool begun;                    /* a byte of the response arrived */
    bool headers_done;             /* the final response's headers are complete */
    bool complete;                 /* the final response ended */
    bool keep_alive;               /* …and allows another request on the connection */
    bool interim;                  /* the message being parsed is a 1xx */
    bool chunked;
    int interims;
    int err;           /* own error raised inside a callback, 0 if none */
    size_t head_bytes; /* status line + headers of the current message */
    size_t extra;      /* bytes received after the final response */
    int capture;       /* index in req->capture of the value being read, or -1 */
    bool field_long;   /* the header name overflowed field[]: matches nothing */
    size_t field_len;
    char field[FLOE_HTTP__FIELD_MAX];
};

/* floe_http__resp_start(r, req): prepares r for the response to req (zeroes r, resets req's
 * out fields that come from the response). */
void floe_http__resp_start(struct floe_http__resp *r, struct floe_http_request *req);

/* floe_http__resp_feed(r, data, len): parses received bytes. Returns 0 (r->complete tells
 * whether the final response has ended; bytes after it are counted in r->extra), or
 * FLOE_HTTP_EMALFORMED, -ENOSPC, or a sink's code, with req->reason and req->cause set. After
 * a failure r must not be fed again. */
int floe_http__resp_feed(struct floe_http__resp *r, const uint8_t *data, size_t len);

/* floe_http__resp_eof(r): the connection ended (EOF or close_notify). Returns 0 when the
 * final response is complete (possibly completed now: a body delimited by the end of the
 * connection), else FLOE_HTTP_ETRUNCATED (or the parser's error) with req->reason set. */
int floe_http__resp_eof(struct floe_http__resp *r);

/* floe_http__set_reason(req, fmt, …): formats req->reason (truncated to fit). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void floe_http__set_reason(struct floe_http_request *req, const char *fmt, ...);

/* ---- TLS state (http_tls.c) ---- */

struct floe_http__tls_conf {
    bool ready;
    bool verify;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_ssl_config conf;
};

struct floe_http__tls {
    bool setup;    /* ssl has been set up on the shared config */
    bool out_busy; /* out_req is pending with out[1 - fill] */
    int fill;      /* the output buffer mbedTLS appends to */
    size_t out_len[2];
    size_t in_off; /* ciphertext consumed from the connection's read buffer */
    size_t in_len;
    mbedtls_ssl_context ssl;
    uv_write_t out_req;
    uint8_t out[2][FLOE_HTTP__TLS_OUT];
};

/* ---- client and connection ---- */

enum floe_http__conn_state {
    FLOE_HTTP__FREE,       /* slot unused; no handle open, no request pending */
    FLOE_HTTP__RESOLVING,  /* uv_getaddrinfo pending */
    FLOE_HTTP__CONNECTING, /* uv_tcp_connect to one address pending (or reopening the socket) */
    FLOE_HTTP__HANDSHAKE,  /* TLS handshake */
    FLOE_HTTP__ACTIVE,     /* sending the request and reading the response */
    FLOE_HTTP__IDLE,       /* kept alive between requests */
    FLOE_HTTP__CLOSING,    /* handles closing; waits for its pending requests, then FREE */
};

enum floe_http__send_phase {
    FLOE_HTTP__SEND_HEAD,
    FLOE_HTTP__SEND_BODY,
    FLOE_HTTP__SEND_DONE,
};

struct floe_http__conn {
    struct floe_http_client *client;
    enum floe_http__conn_state state;
    uv_tcp_t tcp;
    uv_timer_t timer; /* connect timeout, request deadline or idle timeout, by state */
    uv_getaddrinfo_t gai;
    uv_connect_t connect;
    uv_write_t write;
    uv_fs_t fs;
    int handles; /* open handles among tcp and timer */
    bool tcp_open;
    bool timer_open;
    bool reopen; /* tcp is closing to try the next address */
    bool gai_busy;
    bool connect_busy;
    bool write_busy;
    bool fs_busy;
    bool eof; /* the peer closed its side */

    /* Key of the pool: host:port:scheme. */
    char host[FLOE_HTTP_HOST_MAX + 1];
    uint16_t port;
    bool is_tls;
    unsigned served;          /* responses completed on this connection */
    struct addrinfo *ai;      /* owned until connected */
    struct addrinfo *ai_next; /* next address to try */
    int last_err;             /* last connect error, for the message */
    char addr[64];            /* address being tried, for messages */

    /* The request on this connection. */
    struct floe_http_request *req;
    bool req_done; /* finished with req_status; released when its borrowed I/O is over */
    bool stale;    /* failed before any response byte in a way a closed idle connection
                    * explains (EOF, reset, broken pipe): eligible for the retry */
    int req_status;
    enum floe_http__send_phase phase;
    size_t head_len;
    size_t head_off;
    size_t inflight;  /* bytes in the pending plain write */
    size_t rlen;      /* received plaintext not yet parsed (plain connections) */
    int read_err;     /* a read failed (reset…): the connection is over */
    bool send_failed; /* a write failed after the response began: stop sending */
    uint64_t body_sent;
    size_t chunk_len; /* file chunk in fbuf */
    size_t chunk_off;
    struct floe_http__resp resp;

    struct floe_http__tls tls;
    uint8_t head[FLOE_HTTP_REQUEST_HEAD_MAX];
    uint8_t rbuf[FLOE_HTTP__READ_BUF];
    uint8_t plain[FLOE_HTTP__PLAIN_BUF];
    uint8_t fbuf[FLOE_HTTP__FILE_CHUNK];
};

struct floe_http_client {
    uv_loop_t *loop;
    bool closing; /* floe_http_client_close() was called */
    bool kicked;  /* the dispatch timer is due now */
    bool dispatch_closed;
    uint64_t connect_timeout_ms;
    uint64_t request_timeout_ms;
    uint64_t idle_timeout_ms;
    unsigned max_idle_per_host;
    size_t nconns;
    struct floe_http__conn *conns; /* nconns slots, allocated once */
    uv_timer_t dispatch; /* starts queued requests, runs done callbacks, expires the queue */
    struct floe_http_request *queue_head; /* waiting for a connection, FIFO */
    struct floe_http_request *queue_tail;
    struct floe_http_request *done_head; /* finished, callback not yet run */
    struct floe_http_request *done_tail;
    floe_http_closed_fn closed_cb;
    void *closed_ctx;
    struct floe_http_stats stats;
    struct floe_http__tls_conf tls;
};

/* ---- between the client (http.c) and its connections (http_conn.c) ---- */

/* floe_http__kick(client): runs the dispatch timer on the next loop turn. */
void floe_http__kick(struct floe_http_client *client);

/* floe_http__finish_req(client, req, status): req is over; its callback runs from dispatch. */
void floe_http__finish_req(struct floe_http_client *client, struct floe_http_request *req,
                           int status);

/* floe_http__requeue(client, req): puts req back at the head of the queue (the retry). */
void floe_http__requeue(struct floe_http_client *client, struct floe_http_request *req);

/* floe_http__timeout_of(client, req): req's whole-request timeout in ms. */
uint64_t floe_http__timeout_of(const struct floe_http_client *client,
                               const struct floe_http_request *req);

/* floe_http__conn_open(c, req): opens a connection in the FREE slot c to carry req. */
void floe_http__conn_open(struct floe_http__conn *c, struct floe_http_request *req);

/* floe_http__conn_take(c, req): sends req on the IDLE connection c. */
void floe_http__conn_take(struct floe_http__conn *c, struct floe_http_request *req);

/* floe_http__conn_close(c): closes c (CLOSING, then FREE); a request on it ends -ECANCELED
 * unless it already had a status. Does nothing to a FREE or CLOSING slot. */
void floe_http__conn_close(struct floe_http__conn *c);

/* floe_http__conn_failf(c, status, cause, fmt, …): ends c's request with status, cause and a
 * formatted reason, and closes c. Does nothing when c has no running request. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void floe_http__conn_failf(struct floe_http__conn *c, int status, int cause, const char *fmt,
                           ...);

/* ---- TLS (http_tls.c) ---- */

/* floe_http__tls_conf_init(t, ca_file, verify): seeds the generator, loads the CA file or
 * directory (when verifying) and builds the client configuration (TLS 1.2 minimum). Returns 0,
 * or a negative errno with the reason logged; t is then released. */
int floe_http__tls_conf_init(struct floe_http__tls_conf *t, const char *ca_file, bool verify);

/* floe_http__tls_conf_free(t): releases what tls_conf_init built; t may be zeroed. */
void floe_http__tls_conf_free(struct floe_http__tls_conf *t);

/* floe_http__tls_begin(c): prepares c->tls for a new connection to c->host (context set up on
 * first use, reset after), SNI and the name to verify. Returns 0 or a negative errno. */
int floe_http__tls_begin(struct floe_http__conn *c);

/* floe_http__tls_handshake(c): one handshake step over the buffered ciphertext. Returns 0 when
 * the handshake is complete, -EAGAIN when it needs more bytes from the peer (or output space),
 * else FLOE_HTTP_ETLS or FLOE_HTTP_ETLSVERIFY with c->req's reason, cause and tls_verify set.
 * Starts a write of whatever it produced. */
int floe_http__tls_handshake(struct floe_http__conn *c);

/* floe_http__tls_write(c, data, len, &used): encrypts up to len bytes of plaintext and starts
 * writing them. Returns 0 with *used > 0, -EAGAIN when the output buffers are full (call again
 * with the same data after the pending write completes), or FLOE_HTTP_ETLS. */
int floe_http__tls_write(struct floe_http__conn *c, const uint8_t *data, size_t len, size_t *used);

/* floe_http__tls_read(c, dst, cap, &n): decrypts buffered ciphertext. Returns 0 with *n > 0,
 * -EAGAIN when more ciphertext is needed, UV_EOF on close_notify, or FLOE_HTTP_ETLS. */
int floe_http__tls_read(struct floe_http__conn *c, uint8_t *dst, size_t cap, size_t *n);

/* floe_http__tls_free(c): releases the slot's TLS context, if it was ever set up. */
void floe_http__tls_free(struct floe_http__conn *c);

/* floe_http__conn_tls_written(c, status): http_tls.c reports a finished ciphertext write. */
void floe_http__conn_tls_written(struct floe_http__conn *c, int status);

#endif
