/* kafka.c — the librdkafka consumer on the loop (kafka.h): configuration, the queue bridge,
 * the drain in slices, rebalances, pause and resume, the non-blocking close.
 *
 * Every event of librdkafka reaches one queue: the consumer queue, to which the main queue is
 * forwarded (rd_kafka_poll_set_consumer) and where logs are sent (log.queue). The drain takes
 * events with rd_kafka_queue_poll(q, 0), which never waits. A fetch event is kept while its
 * message is being handed out, so a message the owner refuses (FLOE_KAFKA_HOLD) stays where
 * it was and nothing is read past it.
 */
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* floe's defaults for librdkafka's buffers; rdkafka.<name> overrides them. The pre-fetch
 * queue is what bounds the consume rate: librdkafka 2.0 stops fetching when the queue holds
 * queued.max.messages.kbytes and looks again only on its broker thread's next wake-up (up to
 * about a second later), so each wake-up moves at most one queue's worth. Measured with
 * tools/bench/pipeline (170-byte records): 4 MiB ~35,000 records/s, 16 MiB ~130,000/s.
 * queued.min.messages is raised so that the byte cap, not a count, decides. */
static const char *const defaults[][2] = {
    {"queued.max.messages.kbytes", "16384"}, {"queued.min.messages", "1000000"},
    {"fetch.max.bytes", "4194304"},          {"max.partition.fetch.bytes", "1048576"},
    {"receive.message.max.bytes", "5243392"}, {"socket.keepalive.enable", "true"},
};

static void on_poll(uv_poll_t *h, int status, int events);
static void on_idle(uv_idle_t *h);
static void drain(struct floe_kafka *k);

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t cap)
{
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        snprintf(err, cap, "librdkafka property %s: %s", name, why);
        return -EINVAL;
    }
    return 0;
}

int floe_kafka_open(struct floe_kafka *k, uv_loop_t *loop, const struct floe_config *cfg,
                    const struct floe_kafka_handler *h, void *ctx, char *err, size_t cap)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_topic_partition_list_t *topics = NULL;
    char why[512];
    int rc = -EINVAL;

    memset(k, 0, sizeof(*k));
    k->fds[0] = k->fds[1] = -1;
    k->loop = loop;
    k->h = *h;
    k->ctx = ctx;
    if (!conf) {
        snprintf(err, cap, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if ((rc = set(conf, defaults[i][0], defaults[i][1], err, cap)) < 0) {
            goto fail;
        }
    }
    for (size_t i = 0; i < cfg->kafka.nrdkafka; i++) {
        if ((rc = set(conf, cfg->kafka.rdkafka[i].name, cfg->kafka.rdkafka[i].value, err, cap)) <
            0) {
            goto fail;
        }
    }
    /* What floe's exactly-once rests on is not left to the pass-through. */
    if ((rc = set(conf, "bootstrap.servers", cfg->kafka.brokers, err, cap)) < 0 ||
        (rc = set(conf, "group.id", cfg->kafka.group, err, cap)) < 0 ||
        (rc = set(conf, "enable.auto.commit", "false", err, cap)) < 0 ||
        (rc = set(conf, "enable.auto.offset.store", "false", err, cap)) < 0 ||
        (rc = set(conf, "auto.offset.reset", cfg->kafka.start, err, cap)) < 0 ||
        (rc = set(conf, "log.queue", "true", err, cap)) < 0) {
        goto fail;
    }
    rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_OFFSET_COMMIT |
                                       RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG);
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!k->rk) {
        snprintf(err, cap, "cannot create the consumer: %s", why);
        rc = -EINVAL;
        goto fail;
    }
    conf = NULL; /* the handle owns it */
    rd_kafka_poll_set_consumer(k->rk);
    k->queue = rd_kafka_queue_get_consumer(k->rk);
    if (!k->queue || rd_kafka_set_log_queue(k->rk, NULL) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, cap, "cannot get the consumer queue");
        rc = -EIO;
        goto fail;
    }
    k->cooperative = strcmp(rd_kafka_rebalance_protocol(k->rk), "COOPERATIVE") == 0;
    if (pipe(k->fds) < 0) {
        rc = -errno;
        snprintf(err, cap, "pipe: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(k->fds[i], F_SETFL, fcntl(k->fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(k->fds[i], F_SETFD, FD_CLOEXEC);
    }
    if ((rc = uv_poll_init(loop, &k->poll, k->fds[0])) < 0) {
        snprintf(err, cap, "uv_poll_init: %s", uv_strerror(rc));
        goto fail;
    }
    k->open_handles++;
    uv_idle_init(loop, &k->idle);
    k->open_handles++;
    k->poll.data = k;
    k->idle.data = k;
    rd_kafka_queue_io_event_enable(k->queue, k->fds[1], "1", 1);
    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, cfg->kafka.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t kerr = rd_kafka_subscribe(k->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kerr) {
        snprintf(err, cap, "cannot subscribe to %s: %s", cfg->kafka.topic, rd_kafka_err2str(kerr));
        rc = -EIO;
        goto fail_handles;
    }
    uv_poll_start(&k->poll, UV_READABLE, on_poll);
    /* Events may already be queued (the pipe only tells about an empty queue filling up). */
    uv_idle_start(&k->idle, on_idle);
    k->idle_active = true;
    k->state = FLOE_KAFKA_RUNNING;
    return 0;

fail_handles:
    /* The handles were never started: closing them needs a loop turn, which the caller's
     * failure path does not give, so they are closed with no callback and the loop run once. */
    uv_close((uv_handle_t *)&k->poll, NULL);
    uv_close((uv_handle_t *)&k->idle, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    k->open_handles = 0;
fail:
    if (conf) {
        rd_kafka_conf_destroy(conf);
    }
    if (k->queue) {
        rd_kafka_queue_io_event_enable(k->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(k->queue);
        k->queue = NULL;
    }
    if (k->rk) {
        rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        k->rk = NULL;
    }
    if (k->open_handles) {
        uv_close((uv_handle_t *)&k->poll, NULL);
        uv_close((uv_handle_t *)&k->idle, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        k->open_handles = 0;
    }
    for (int i = 0; i < 2; i++) {
        if (k->fds[i] >= 0) {
            close(k->fds[i]);
            k->fds[i] = -1;
        }
    }
    k->state = FLOE_KAFKA_CLOSED;
    return rc;
}

static uint64_t now_ms(struct floe_kafka *k)
{
    return uv_now(k->loop);
}

/* Logs a broker or consumer error at most once per FLOE_KAFKA_ERROR_EVERY_MS per code. */
static void report(struct floe_kafka *k, int code, bool fatal, const char *what)
{
    k->errors++;
    uint64_t now = now_ms(k);
    size_t n = sizeof(k->errs) / sizeof(k->errs[0]), slot = n - 1;
    for (size_t i = 0; i < n; i++) {
        if (k->errs[i].code == code || k->errs[i].last_ms == 0) {
            slot = i;
            break;
        }
    }
    if (k->errs[slot].code != code) {
        k->errs[slot].code = code;
        k->errs[slot].last_ms = 0;
        k->errs[slot].suppressed = 0;
    }
    if (!fatal && k->errs[slot].last_ms &&
        now - k->errs[slot].last_ms < FLOE_KAFKA_ERROR_EVERY_MS) {
        k->errs[slot].suppressed++;
        return;
    }
    FLOE_LOG(fatal ? FLOE_LOG_ERROR : FLOE_LOG_WARN, "kafka",
             "%s\terror=\"%s\" code=%d left_out=%" PRIu64, fatal ? "fatal error" : "broker error",
             what, code, k->errs[slot].suppressed);
    k->errs[slot].last_ms = now ? now : 1;
    k->errs[slot].suppressed = 0;
}

static void log_event(struct floe_kafka *k, rd_kafka_event_t *ev)
{
    const char *fac = "", *str = "";
    int level = 7;
    if (rd_kafka_event_log(ev, &fac, &str, &level) != 0) {
        return;
    }
    if (level <= 4) {
        /* Connection failures repeat every retry: rate-limited like errors, keyed by facility. */
        int code = -1000 - (int)(fac[0] ? (unsigned char)fac[0] : 0);
        char what[512];
        snprintf(what, sizeof(what), "%s: %s", fac, str);
        report(k, code, false, what);
    } else {
        FLOE_DEBUG("kafka", "librdkafka\tfacility=%s text=\"%s\"", fac, str);
    }
}

static void rebalance(struct floe_kafka *k, rd_kafka_event_t *ev)
{
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_event_topic_partition_list(ev);
    if (k->state == FLOE_KAFKA_CLOSING) {
        /* The owner flushed before closing: let the group go at once. */
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            if (k->cooperative) {
                rd_kafka_error_t *e = rd_kafka_incremental_unassign(k->rk, parts);
                if (e) {
                    rd_kafka_error_destroy(e);
                }
            } else {
                rd_kafka_assign(k->rk, NULL);
            }
        }
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        FLOE_INFO("kafka", "partitions assigned\tcount=%d protocol=%s", parts ? parts->cnt : 0,
                  k->cooperative ? "cooperative" : "eager");
        k->h.assign(k->ctx, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        FLOE_INFO("kafka", "partitions revoked\tcount=%d", parts ? parts->cnt : 0);
        k->revoking = parts ? rd_kafka_topic_partition_list_copy(parts) : NULL;
        k->state = FLOE_KAFKA_REVOKING;
        k->h.revoke(k->ctx, parts);
    } else {
        report(k, err, false, rd_kafka_err2str(err));
        rd_kafka_assign(k->rk, NULL);
    }
}

/* One event that is not a fetch. */
static void other_event(struct floe_kafka *k, rd_kafka_event_t *ev)
{
    switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_REBALANCE:
        rebalance(k, ev);
        break;
    case RD_KAFKA_EVENT_ERROR:
        report(k, rd_kafka_event_error(ev), rd_kafka_event_error_is_fatal(ev),
               rd_kafka_event_error_string(ev));
        break;
    case RD_KAFKA_EVENT_LOG:
        log_event(k, ev);
        break;
    case RD_KAFKA_EVENT_OFFSET_COMMIT:
        if (rd_kafka_event_error(ev) && rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            FLOE_DEBUG("kafka", "offsets not committed to the group\terror=\"%s\"",
                       rd_kafka_event_error_string(ev));
        }
        break;
    default:
        break;
    }
}

/* Can the drain go on? */
static bool draining(const struct floe_kafka *k)
{
    return k->state == FLOE_KAFKA_CLOSING || (k->state == FLOE_KAFKA_RUNNING && !k->paused);
}

static void idle_stop(struct floe_kafka *k)
{
    if (k->idle_active) {
        uv_idle_stop(&k->idle);
        k->idle_active = false;
    }
}

static void idle_start(struct floe_kafka *k)
{
    if (!k->idle_active && k->state != FLOE_KAFKA_CLOSED) {
        uv_idle_start(&k->idle, on_idle);
        k->idle_active = true;
    }
}

static void finish_close(struct floe_kafka *k);

static void drain(struct floe_kafka *k)
{
    int budget = FLOE_KAFKA_SLICE;
    while (draining(k) && budget-- > 0) {
        if (!k->ev) {
            rd_kafka_event_t *ev = rd_kafka_queue_poll(k->queue, 0);
            if (!ev) {
                if (k->state != FLOE_KAFKA_CLOSING) {
                    idle_stop(k); /* the pipe says when more comes */
                }
                break; /* closing: the idle handle polls until the consumer has closed */
            }
            if (rd_kafka_event_type(ev) != RD_KAFKA_EVENT_FETCH) {
                other_event(k, ev);
                rd_kafka_event_destroy(ev);
                continue;
            }
            k->ev = ev;
            k->msg = rd_kafka_event_message_next(ev);
        }
        while (k->msg && draining(k)) {
            const rd_kafka_message_t *m = k->msg;
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    report(k, m->err, false, rd_kafka_message_errstr(m));
                }
            } else if (k->state != FLOE_KAFKA_CLOSING) {
                enum floe_kafka_verdict v = k->h.message(k->ctx, m);
                if (v == FLOE_KAFKA_HOLD) {
                    idle_stop(k);
                    return; /* handed again after the resume */
                }
                k->messages++;
            }
            k->msg = rd_kafka_event_message_next(k->ev);
        }
        if (!k->msg && k->ev) {
            rd_kafka_event_destroy(k->ev);
            k->ev = NULL;
        }
    }
    if (k->state == FLOE_KAFKA_CLOSING && rd_kafka_consumer_closed(k->rk)) {
        finish_close(k);
        return;
    }
    if (draining(k) && (budget < 0 || k->state == FLOE_KAFKA_CLOSING)) {
        idle_start(k); /* more may be waiting: go on at the next loop iteration */
    } else if (!draining(k)) {
        idle_stop(k);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct floe_kafka *k = h->data;
    (void)events;
    if (status < 0) {
        return;
    }
    uint8_t buf[256];
    while (read(k->fds[0], buf, sizeof(buf)) > 0) {
    }
    drain(k);
}

static void on_idle(uv_idle_t *h)
{
    drain((struct floe_kafka *)h->data);
}

int floe_kafka_assign(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (k->cooperative && k->state != FLOE_KAFKA_RUNNING) {
        return -EIO;
    }
    if (k->cooperative) {
        rd_kafka_error_t *e = parts ? rd_kafka_incremental_assign(k->rk, parts) : NULL;
        if (e) {
            FLOE_ERROR("kafka", "cannot assign partitions\terror=\"%s\"", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            return -EIO;
        }
        return 0;
    }
    err = rd_kafka_assign(k->rk, parts);
    if (err) {
        FLOE_ERROR("kafka", "cannot assign partitions\terror=\"%s\"", rd_kafka_err2str(err));
        return -EIO;
    }
    return 0;
}

void floe_kafka_revoke_done(struct floe_kafka *k)
{
    if (k->state != FLOE_KAFKA_REVOKING) {
        return;
    }
    if (k->cooperative) {
        rd_kafka_error_t *e =
            k->revoking ? rd_kafka_incremental_unassign(k->rk, k->revoking) : NULL;
        if (e) {
            FLOE_WARN("kafka", "cannot unassign partitions\terror=\"%s\"",
                      rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(k->rk, NULL);
    }
    if (k->revoking) {
        rd_kafka_topic_partition_list_destroy(k->revoking);
        k->revoking = NULL;
    }
    k->state = FLOE_KAFKA_RUNNING;
    if (!k->paused) {
        idle_start(k);
    }
}

static void pause_resume(struct floe_kafka *k, bool pause)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(k->rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR && parts) {
        if (parts->cnt) {
            rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(k->rk, parts)
                                            : rd_kafka_resume_partitions(k->rk, parts);
            if (err) {
                FLOE_WARN("kafka", "cannot %s partitions\terror=\"%s\"", pause ? "pause" : "resume",
                          rd_kafka_err2str(err));
            }
        }
        rd_kafka_topic_partition_list_destroy(parts);
    }
}

void floe_kafka_pause(struct floe_kafka *k)
{
    if (k->fetch_paused || k->state == FLOE_KAFKA_CLOSED) {
        return;
    }
    k->paused = true;
    idle_stop(k);
    if (k->state != FLOE_KAFKA_CLOSING) {
        pause_resume(k, true);
        k->fetch_paused = true;
    }
}

void floe_kafka_hold(struct floe_kafka *k)
{
    if (k->paused || k->state == FLOE_KAFKA_CLOSED) {
        return;
    }
    k->paused = true;
    idle_stop(k);
}

void floe_kafka_resume(struct floe_kafka *k)
{
    if (!k->paused || k->state == FLOE_KAFKA_CLOSED) {
        return;
    }
    k->paused = false;
    if (k->fetch_paused && k->state != FLOE_KAFKA_CLOSING) {
        pause_resume(k, false);
    }
    k->fetch_paused = false;
    idle_start(k);
}

void floe_kafka_drop_held(struct floe_kafka *k)
{
    if (k->ev) {
        rd_kafka_event_destroy(k->ev);
        k->ev = NULL;
        k->msg = NULL;
    }
}

void floe_kafka_commit(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *offsets)
{
    if (k->state == FLOE_KAFKA_CLOSED || !offsets || offsets->cnt == 0) {
        return;
    }
    rd_kafka_resp_err_t err = rd_kafka_commit(k->rk, offsets, 1);
    if (err) {
        FLOE_DEBUG("kafka", "offsets not committed to the group\terror=\"%s\"",
                   rd_kafka_err2str(err));
    }
}

static void on_closed(uv_handle_t *h)
{
    struct floe_kafka *k = h->data;
    if (--k->open_handles > 0) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (k->fds[i] >= 0) {
            close(k->fds[i]);
            k->fds[i] = -1;
        }
    }
    if (k->closed_cb) {
        k->closed_cb(k->closed_ctx);
    }
}

/* The consumer has left the group: release librdkafka, then the handles. */
static void finish_close(struct floe_kafka *k)
{
    floe_kafka_drop_held(k);
    rd_kafka_queue_io_event_enable(k->queue, -1, NULL, 0);
    rd_kafka_queue_destroy(k->queue);
    k->queue = NULL;
    if (k->revoking) {
        rd_kafka_topic_partition_list_destroy(k->revoking);
        k->revoking = NULL;
    }
    rd_kafka_destroy(k->rk);
    k->rk = NULL;
    k->state = FLOE_KAFKA_CLOSED;
    k->idle_active = false;
    FLOE_INFO("kafka", "consumer closed\tmessages=%" PRIu64 " errors=%" PRIu64, k->messages,
              k->errors);
    uv_close((uv_handle_t *)&k->poll, on_closed);
    uv_close((uv_handle_t *)&k->idle, on_closed);
}

void floe_kafka_close(struct floe_kafka *k, floe_kafka_closed_fn cb, void *ctx)
{
    if (k->state == FLOE_KAFKA_CLOSING || k->state == FLOE_KAFKA_CLOSED) {
        return;
    }
    k->closed_cb = cb;
    k->closed_ctx = ctx;
    floe_kafka_drop_held(k);
    if (k->revoking) {
        rd_kafka_assign(k->rk, NULL);
        rd_kafka_topic_partition_list_destroy(k->revoking);
        k->revoking = NULL;
    }
    k->state = FLOE_KAFKA_CLOSING;
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(k->rk, k->queue);
    if (e) {
        FLOE_WARN("kafka", "cannot leave the group cleanly\terror=\"%s\"",
                  rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    idle_start(k); /* drains until rd_kafka_consumer_closed() */
}

void floe_kafka_abandon(struct floe_kafka *k)
{
    if (!k->rk) {
        return;
    }
    floe_kafka_drop_held(k);
    rd_kafka_queue_io_event_enable(k->queue, -1, NULL, 0);
    rd_kafka_queue_destroy(k->queue);
    k->queue = NULL;
    if (k->revoking) {
        rd_kafka_topic_partition_list_destroy(k->revoking);
        k->revoking = NULL;
    }
    rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    k->rk = NULL;
    k->state = FLOE_KAFKA_CLOSED;
}
