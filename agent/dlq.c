/* dlq.c — the dead-letter topic (dlq.h): the producer's configuration, the queue bridge,
 * delivery reports, retries of failed deliveries and the close.
 *
 * Every produced message is counted in pending until its delivery report: a success lowers
 * it, a failure moves the message (value, key and headers copied out of the report) to the
 * retry list, still pending, which the retry timer produces again. So pending reaches 0 only
 * when every dead letter taken has landed on the broker.
 */
#include "dlq.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define MODULE "dlq"
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000
#define ERROR_KINDS 4

/* floe's defaults for the producer; rdkafka.<name> overrides them. */
static const char *const defaults[][2] = {
    {"queue.buffering.max.kbytes", "4096"},
    {"queue.buffering.max.messages", "10000"},
    {"linger.ms", "50"},
    {"socket.keepalive.enable", "true"},
    {NULL, NULL},
};

/* What delivery rests on: set after rdkafka.* (and kafka.brokers). */
static const char *const forced[][2] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"message.timeout.ms", "300000"},
    {NULL, NULL},
};

static const struct floe_rdkq_client client = {RD_KAFKA_PRODUCER, "dead-letter producer", defaults,
                                               forced, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static void on_ready(struct floe_rdkq *q);

/* Errors of rd_kafka_producev() after which no dead letter can be delivered: a missing topic
 * (it is not created by floe) or a fatal producer error. */
static bool hopeless(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR__FATAL || e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
           e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
           e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
}

/* Logs an error that the rate limit (once per FLOE_RDKQ_ERROR_EVERY_MS for each code) lets
 * through. */
static void log_error(struct floe_rdkq *q, int code, bool fatal, const char *what,
                      uint64_t left_out)
{
    struct floe_dlq *d = container_of(q, struct floe_dlq, rq);
    FLOE_LOG(fatal ? FLOE_LOG_ERROR : FLOE_LOG_WARN, MODULE,
             "%s\ttopic=%s error=\"%s\" code=%d left_out=%" PRIu64,
             fatal ? "dead-letter producer failed: nothing more can be delivered"
                   : "dead-letter producer error",
             d->topic, what, code, left_out);
}

static void report(struct floe_dlq *d, int code, bool fatal, const char *what)
{
    floe_rdkq_report(&d->rq, code, fatal, what);
}

/* Releases librdkafka: purges what is queued (no delivery report comes for it any more). */
static void destroy_producer(struct floe_dlq *d)
{
    floe_rdkq_release(&d->rq);
    if (d->rk) {
        rd_kafka_purge(d->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy(d->rk);
        d->rk = NULL;
    }
    while (d->retry) {
        struct floe_dlq_retry *r = d->retry;
        d->retry = r->next;
        free(r->value);
        free(r->key);
        rd_kafka_headers_destroy(r->hdrs);
        free(r);
    }
    d->retry_tail = &d->retry;
}

int floe_dlq_open(struct floe_dlq *d, uv_loop_t *loop, const struct floe_config *cfg,
                  floe_dlq_fn progress, void *ctx, char *err, size_t cap)
{
    int rc = -EINVAL;

    memset(d, 0, sizeof(*d));
    floe_rdkq_init(&d->rq, loop, MODULE, ERROR_KINDS, log_error);
    /* The consumer's pass-through applies too (security settings, timeouts); consumer-only
     * properties are ignored by librdkafka with a CONFWARN log, kept at debug level. */
    d->rq.confwarn_quiet = true;
    d->loop = loop;
    d->progress = progress;
    d->ctx = ctx;
    d->retry_tail = &d->retry;
    if (!cfg->dead_letter.topic || !*cfg->dead_letter.topic) {
        snprintf(err, cap, "no dead_letter.topic");
        return -EINVAL;
    }
    d->topic = strdup(cfg->dead_letter.topic);
    if (!d->topic) {
        snprintf(err, cap, "out of memory");
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = floe_rdkq_new(&d->rk, &client, cfg, err, cap)) < 0) {
        goto fail;
    }
    d->rq.queue = rd_kafka_queue_get_main(d->rk);
    if (!d->rq.queue || rd_kafka_set_log_queue(d->rk, NULL) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, cap, "cannot get the producer's queue");
        rc = -EIO;
        goto fail;
    }
    if ((rc = floe_rdkq_start(&d->rq, on_ready, err, cap)) < 0) {
        goto fail;
    }
    uv_timer_init(loop, &d->retry_timer);
    d->retry_timer.data = d;
    /* Events queued before the pipe was set up would not wake the loop: write one byte. */
    floe_rdkq_wake(&d->rq);
    return 0;

fail:
    destroy_producer(d);
    floe_rdkq_close_now(&d->rq);
    free(d->topic);
    d->topic = NULL;
    return rc;
}

static void format_time(char *dst, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(dst, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", (tm.tm_year + 1900) % 10000,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
}

/* Produces one message; hdrs is taken on success only. */
static rd_kafka_resp_err_t produce(struct floe_dlq *d, const uint8_t *value, size_t len,
                                   const void *key, size_t klen, rd_kafka_headers_t *hdrs)
{
    return rd_kafka_producev(d->rk, RD_KAFKA_V_TOPIC(d->topic),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_KEY(key, klen),
                             RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
}

/* Replaces the value by header floe.record.bytes = len (a record the broker refuses). */
static void drop_value(rd_kafka_headers_t *hdrs, uint64_t len)
{
    char n[24];
    snprintf(n, sizeof(n), "%" PRIu64, len);
    rd_kafka_header_remove(hdrs, "floe.record.bytes");
    rd_kafka_header_add(hdrs, "floe.record.bytes", -1, n, -1);
}

int floe_dlq_add(struct floe_dlq *d, const char *reason, const char *topic, int32_t partition,
                 int64_t offset, const void *key, size_t klen, const uint8_t *value, size_t len,
                 uint64_t value_len)
{
    char num[2][24], when[64];
    if (!d->rk || d->closing) {
        return -EIO;
    }
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(6);
    snprintf(num[0], sizeof(num[0]), "%" PRId32, partition);
    snprintf(num[1], sizeof(num[1]), "%" PRId64, offset);
    format_time(when, sizeof(when));
    rd_kafka_header_add(hdrs, "floe.reason", -1, reason, -1);
    rd_kafka_header_add(hdrs, "floe.source.topic", -1, topic, -1);
    rd_kafka_header_add(hdrs, "floe.source.partition", -1, num[0], -1);
    rd_kafka_header_add(hdrs, "floe.source.offset", -1, num[1], -1);
    rd_kafka_header_add(hdrs, "floe.time", -1, when, -1);
    if (!value) {
        drop_value(hdrs, value_len);
    }
    rd_kafka_resp_err_t e = produce(d, value, value ? len : 0, key, key ? klen : 0, hdrs);
    if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && value) {
        /* Larger than message.max.bytes: the headers still say what and where it was. */
        drop_value(hdrs, value_len);
        e = produce(d, NULL, 0, key, key ? klen : 0, hdrs);
    }
    if (e) {
        rd_kafka_headers_destroy(hdrs);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            return -ENOBUFS;
        }
        d->fatal = d->fatal || hopeless(e);
        report(d, e, hopeless(e), rd_kafka_err2str(e));
        return -EIO;
    }
    d->pending++;
    d->produced++;
    return 0;
}

uint64_t floe_dlq_pending(const struct floe_dlq *d)
{
    return d->pending;
}

static void on_retry(uv_timer_t *t);

static void arm_retry(struct floe_dlq *d)
{
    if (d->closing || uv_is_active((uv_handle_t *)&d->retry_timer)) {
        return;
    }
    uint64_t wait = (uint64_t)RETRY_FIRST_MS << (d->retry_round < 5 ? d->retry_round : 5);
    wait = wait > RETRY_MAX_MS ? RETRY_MAX_MS : wait;
    uv_timer_start(&d->retry_timer, on_retry, wait, 0);
}

/* A failed delivery report: the message is copied to the retry list (still pending). */
static void keep_for_retry(struct floe_dlq *d, const rd_kafka_message_t *m)
{
    struct floe_dlq_retry *r = calloc(1, sizeof(*r));
    rd_kafka_headers_t *h = NULL;
    if (!r) {
        goto fail;
    }
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h) {
        r->hdrs = rd_kafka_headers_copy(h);
    } else {
        r->hdrs = rd_kafka_headers_new(1);
    }
    if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && m->len) {
        drop_value(r->hdrs, m->len); /* the broker's limit is lower than ours */
    } else if (m->payload && m->len) {
        if (!(r->value = malloc(m->len))) {
            goto fail;
        }
        memcpy(r->value, m->payload, m->len);
        r->len = m->len;
    }
    if (m->key && m->key_len) {
        if (!(r->key = malloc(m->key_len))) {
            goto fail;
        }
        memcpy(r->key, m->key, m->key_len);
        r->klen = m->key_len;
    }
    *d->retry_tail = r;
    d->retry_tail = &r->next;
    arm_retry(d);
    return;
fail:
    /* Out of memory: the dead letter is lost, but pending stays up, so the owner never
     * commits past it (it stops with the record read again on the next start). */
    FLOE_ERROR(MODULE, "out of memory keeping a failed dead letter for retry; the pipeline "
                       "cannot commit until restarted");
    if (r) {
        free(r->value);
        free(r->key);
        if (r->hdrs) {
            rd_kafka_headers_destroy(r->hdrs);
        }
        free(r);
    }
}

static void on_retry(uv_timer_t *t)
{
    struct floe_dlq *d = t->data;
    uint64_t n = 0;
    d->retry_round++;
    while (d->retry && d->rk) {
        struct floe_dlq_retry *r = d->retry;
        rd_kafka_resp_err_t e = produce(d, r->value, r->len, r->key, r->klen, r->hdrs);
        if (e) {
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                report(d, e, hopeless(e), rd_kafka_err2str(e));
            }
            if (hopeless(e) && !d->fatal) {
                d->fatal = true;
                if (d->progress) {
                    d->progress(d->ctx); /* the owner is told */
                }
            }
            break; /* the rest waits for the next round */
        }
        d->retry = r->next; /* the headers now belong to the message */
        free(r->value);
        free(r->key);
        free(r);
        n++;
    }
    if (!d->retry) {
        d->retry_tail = &d->retry;
    } else {
        arm_retry(d);
    }
    FLOE_INFO(MODULE, "dead letters produced again\tcount=%" PRIu64 " pending=%" PRIu64, n,
              d->pending);
}

/* Delivery reports: acknowledged messages leave pending, failed ones go to the retry list. */
static bool delivery(struct floe_dlq *d, rd_kafka_event_t *ev)
{
    const rd_kafka_message_t *m;
    bool acked = false;
    while ((m = rd_kafka_event_message_next(ev)) != NULL) {
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            d->pending--;
            d->delivered++;
            acked = true;
            continue;
        }
        d->failures++;
        if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
            m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
            continue; /* closing */
        }
        report(d, m->err, false, rd_kafka_err2str(m->err));
        keep_for_retry(d, m);
    }
    if (acked) {
        d->retry_round = 0;
    }
    return acked;
}

static void drain(struct floe_dlq *d)
{
    bool acked = false;
    rd_kafka_event_t *ev;
    /* The queue holds at most queue.buffering.max.messages reports: drained to the end. */
    while (d->rq.queue && (ev = rd_kafka_queue_poll(d->rq.queue, 0)) != NULL) {
        switch (rd_kafka_event_type(ev)) {
        case RD_KAFKA_EVENT_DR:
            acked = delivery(d, ev) || acked;
            break;
        case RD_KAFKA_EVENT_ERROR:
            if (rd_kafka_event_error_is_fatal(ev)) {
                d->fatal = true;
                acked = true; /* the owner is told */
            }
            floe_rdkq_event(&d->rq, ev); /* logged */
            break;
        default:
            floe_rdkq_event(&d->rq, ev); /* a log, or ignored */
            break;
        }
        rd_kafka_event_destroy(ev);
    }
    if (acked && d->progress && !d->closing) {
        d->progress(d->ctx);
    }
}

static void on_ready(struct floe_rdkq *q)
{
    drain(container_of(q, struct floe_dlq, rq));
}

static void on_closed(struct floe_rdkq *q)
{
    struct floe_dlq *d = container_of(q, struct floe_dlq, rq);
    free(d->topic);
    d->topic = NULL;
    if (d->closed_cb) {
        d->closed_cb(d->closed_ctx);
    }
}

void floe_dlq_close(struct floe_dlq *d, floe_dlq_fn cb, void *ctx)
{
    if (d->closing) {
        return;
    }
    d->closing = true;
    d->closed_cb = cb;
    d->closed_ctx = ctx;
    drain(d); /* reports already there still count */
    if (d->pending) {
        FLOE_WARN(MODULE,
                  "dead letters not delivered at the stop; their records were not committed and "
                  "are read again at the next start\tcount=%" PRIu64,
                  d->pending);
    }
    FLOE_INFO(MODULE,
              "dead-letter producer closed\tproduced=%" PRIu64 " delivered=%" PRIu64
              " failures=%" PRIu64,
              d->produced, d->delivered, d->failures);
    destroy_producer(d);
    floe_rdkq_close(&d->rq, (uv_handle_t *)&d->retry_timer, on_closed);
}

void floe_dlq_abandon(struct floe_dlq *d)
{
    d->closing = true;
    destroy_producer(d);
    free(d->topic);
    d->topic = NULL;
}
