/* http_tls.c — mbedTLS under floe's HTTP client, driven by libuv reads and writes.
 *
 * mbedTLS never touches the socket. Its BIO callbacks work on memory:
 *
 *     socket --uv_read--> c->rbuf[in_off..in_len) --bio_recv--> mbedtls_ssl_* --bio_send-->
 *         tls.out[fill] --uv_write (one pending, from out[1 - fill])--> socket
 *
 * bio_recv hands out buffered ciphertext and answers WANT_READ when there is none (mbedTLS
 * keeps partial records itself); bio_send appends to the filling output buffer and answers
 * WANT_WRITE when it is full. After every mbedTLS call the filling buffer is written if no
 * write is pending, and the two buffers swap roles, so encryption continues while the previous
 * records are on their way. A call that got WANT_WRITE is repeated with the same arguments once
 * the pending write completes (floe_http__conn_tls_written). The handshake verifies the peer
 * (authmode REQUIRED, the client's CA chain, the request's host name, which is also sent as
 * SNI) and accepts TLS 1.2 at least. mbedTLS 2.28 matches DNS names only, so endpoints are
 * addressed by name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/error.h>

#include "http_internal.h"
#include "log.h"

#define MODULE "http"

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct floe_http__conn *c = ctx;
    struct floe_http__tls *t = &c->tls;
    size_t room = sizeof(t->out[0]) - t->out_len[t->fill];
    if (room == 0) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    size_t n = len < room ? len : room;
    memcpy(t->out[t->fill] + t->out_len[t->fill], buf, n);
    t->out_len[t->fill] += n;
    return (int)n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct floe_http__conn *c = ctx;
    struct floe_http__tls *t = &c->tls;
    size_t avail = t->in_len - t->in_off;
    if (avail == 0) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    size_t n = len < avail ? len : avail;
    memcpy(buf, c->rbuf + t->in_off, n);
    t->in_off += n;
    if (t->in_off == t->in_len) {
        t->in_off = t->in_len = 0;
    }
    return (int)n;
}

static int flush(struct floe_http__conn *c);

static void on_out_written(uv_write_t *w, int status)
{
    struct floe_http__conn *c = w->data;
    struct floe_http__tls *t = &c->tls;
    t->out_busy = false;
    t->out_len[t->fill ^ 1] = 0;
    if (status == 0) {
        status = flush(c);
    }
    floe_http__conn_tls_written(c, status);
}

/* Starts writing the filling buffer unless a write is pending or nothing is buffered. */
static int flush(struct floe_http__conn *c)
{
    struct floe_http__tls *t = &c->tls;
    if (t->out_busy || t->out_len[t->fill] == 0 || !c->tcp_open ||
        uv_is_closing((uv_handle_t *)&c->tcp)) {
        return 0;
    }
    uv_buf_t b = uv_buf_init((char *)t->out[t->fill], (unsigned)t->out_len[t->fill]);
    t->out_req.data = c;
    int r = uv_write(&t->out_req, (uv_stream_t *)&c->tcp, &b, 1, on_out_written);
    if (r < 0) {
        return r;
    }
    t->out_busy = true;
    t->fill ^= 1;
    return 0;
}

static void tls_failed(struct floe_http__conn *c, int r, const char *what)
{
    char msg[100];
    mbedtls_strerror(r, msg, sizeof(msg));
    c->req->cause = r;
    floe_http__set_reason(c->req, "TLS %s with %s:%u failed: %s (-0x%04x)", what, c->host,
                          (unsigned)c->port, msg, (unsigned)-r);
}

/* Names the reasons in flags, the common ones in plain words. */
static void describe_verify(struct floe_http__conn *c, uint32_t flags)
{
    static const struct {
        uint32_t flag;
        const char *what;
    } known[] = {
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, "unknown CA"},
        {MBEDTLS_X509_BADCERT_CN_MISMATCH, "hostname mismatch"},
        {MBEDTLS_X509_BADCERT_EXPIRED, "certificate expired"},
        {MBEDTLS_X509_BADCERT_FUTURE, "certificate not yet valid"},
        {MBEDTLS_X509_BADCERT_REVOKED, "certificate revoked"},
    };
    char list[120] = "";
    size_t len = 0;
    uint32_t rest = flags;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if ((flags & known[i].flag) && len < sizeof(list)) {
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
                                    known[i].what);
            rest &= ~known[i].flag;
        }
    }
    if (rest && len < sizeof(list)) {
        char info[80] = "";
        /* mbedTLS words the rest, one line each; keep the first. */
        mbedtls_x509_crt_verify_info(info, sizeof(info), "", rest);
        info[strcspn(info, "\n")] = '\0';
        snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", info[0] ? info : "other");
    }
    floe_http__set_reason(c->req, "certificate of %s rejected: %s (flags 0x%x)", c->host, list,
                          (unsigned)flags);
}

int floe_http__tls_conf_init(struct floe_http__tls_conf *t, const char *ca_file, bool verify)
{
    static const unsigned char pers[] = "floe-http";
    char msg[100];
    int err = 0;
    memset(t, 0, sizeof(*t));
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_ssl_config_init(&t->conf);
    t->ready = true;
    t->verify = verify;

    int r =
        mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, pers, sizeof(pers) - 1);
    if (r != 0) {
        mbedtls_strerror(r, msg, sizeof(msg));
        FLOE_ERROR(MODULE, "cannot seed the TLS random generator\terror=\"%s\"", msg);
        err = -EIO;
        goto fail;
    }
    if (verify) {
        bool given = ca_file && ca_file[0];
        const char *path = given ? ca_file : FLOE_HTTP_DEFAULT_CA;
        struct stat st;
        if (stat(path, &st) < 0) {
            if (!given && errno == ENOENT) {
                /* Plain-HTTP endpoints still work; TLS ones will fail verification. */
                FLOE_WARN(MODULE,
                          "no system CA bundle: TLS servers cannot be verified\t"
                          "ca_file=\"%s\"",
                          path);
                goto config;
            }
            err = -errno;
            FLOE_ERROR(MODULE, "cannot read the CA certificates\tca_file=\"%s\" error=\"%s\"", path,
                       strerror(errno));
            goto fail;
        }
        r = S_ISDIR(st.st_mode) ? mbedtls_x509_crt_parse_path(&t->ca, path)
                                : mbedtls_x509_crt_parse_file(&t->ca, path);
        if (r < 0 || t->ca.version == 0) {
            mbedtls_strerror(r, msg, sizeof(msg));
            FLOE_ERROR(MODULE, "no usable CA certificate\tca_file=\"%s\" error=\"%s\"", path,
                       r < 0 ? msg : "none parsed");
            err = r == MBEDTLS_ERR_X509_FILE_IO_ERROR ? -EACCES : -EBADMSG;
            goto fail;
        }
        if (r > 0) {
            FLOE_DEBUG(MODULE, "some CA certificates were skipped\tca_file=\"%s\" skipped=%d", path,
                       r);
        }
    }
config:
    r = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0) {
        err = -ENOMEM;
        goto fail;
    }
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_authmode(&t->conf,
                              verify ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
    if (verify && t->ca.version != 0) {
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    }
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    return 0;

fail:
    floe_http__tls_conf_free(t);
    return err;
}

void floe_http__tls_conf_free(struct floe_http__tls_conf *t)
{
    if (!t->ready) {
        return;
    }
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    t->ready = false;
}

int floe_http__tls_begin(struct floe_http__conn *c)
{
    struct floe_http__tls *t = &c->tls;
    int r;
    if (!t->setup) {
        mbedtls_ssl_init(&t->ssl);
        r = mbedtls_ssl_setup(&t->ssl, &c->client->tls.conf);
        if (r != 0) {
            mbedtls_ssl_free(&t->ssl);
            return -ENOMEM;
        }
        t->setup = true;
    } else if ((r = mbedtls_ssl_session_reset(&t->ssl)) != 0) {
        return -ENOMEM;
    }
    r = mbedtls_ssl_set_hostname(&t->ssl, c->host);
    if (r != 0) {
        return r == MBEDTLS_ERR_SSL_ALLOC_FAILED ? -ENOMEM : -EINVAL;
    }
    mbedtls_ssl_set_bio(&t->ssl, c, bio_send, bio_recv, NULL);
    t->fill = 0;
    t->out_len[0] = t->out_len[1] = 0;
    t->in_off = t->in_len = 0;
    return 0;
}

int floe_http__tls_handshake(struct floe_http__conn *c)
{
    struct floe_http__tls *t = &c->tls;
    int r = mbedtls_ssl_handshake(&t->ssl);
    int fr = flush(c);
    if (r == 0 || r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
        if (fr < 0) {
            c->req->cause = fr;
            floe_http__set_reason(c->req, "TLS handshake with %s: write failed: %s", c->host,
                                  floe_http_strerror(fr));
            return FLOE_HTTP_ETLS;
        }
        return r == 0 ? 0 : -EAGAIN;
    }
    if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
        c->req->cause = r;
        c->req->tls_verify = flags;
        describe_verify(c, flags);
        return FLOE_HTTP_ETLSVERIFY;
    }
    tls_failed(c, r, "handshake");
    return FLOE_HTTP_ETLS;
}

int floe_http__tls_write(struct floe_http__conn *c, const uint8_t *data, size_t len, size_t *used)
{
    /* One record at most per call keeps the int return of mbedtls_ssl_write in range. */
    size_t n = len < 16384 ? len : 16384;
    for (int tries = 0;; tries++) {
        int r = mbedtls_ssl_write(&c->tls.ssl, data, n);
        int fr = flush(c);
        if (fr < 0) {
            return fr;
        }
        if (r > 0) {
            *used = (size_t)r;
            return 0;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE && tries == 0 && c->tls.out_len[c->tls.fill] == 0) {
            continue; /* flush() just freed a buffer: no need to wait */
        }
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) {
            return -EAGAIN;
        }
        tls_failed(c, r, "write");
        return FLOE_HTTP_ETLS;
    }
}

int floe_http__tls_read(struct floe_http__conn *c, uint8_t *dst, size_t cap, size_t *n)
{
    int r = mbedtls_ssl_read(&c->tls.ssl, dst, cap);
    /* Reading may queue an alert; send it along. */
    (void)flush(c);
    if (r > 0) {
        *n = (size_t)r;
        return 0;
    }
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return -EAGAIN;
    }
    if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r == MBEDTLS_ERR_SSL_CONN_EOF) {
        return UV_EOF;
    }
    tls_failed(c, r, "read");
    return FLOE_HTTP_ETLS;
}

void floe_http__tls_free(struct floe_http__conn *c)
{
    if (c->tls.setup) {
        mbedtls_ssl_free(&c->tls.ssl);
        c->tls.setup = false;
    }
}
