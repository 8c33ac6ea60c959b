/* rdkq.c — a librdkafka queue on the loop (rdkq.h): the client configuration shared by the
 * consumer and the dead-letter producer, the pipe + uv_poll wake-up bridge, the rate-limited
 * error report and librdkafka's log events.
 */
#include "rdkq.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

void floe_rdkq_init(struct floe_rdkq *q, uv_loop_t *loop, const char *module, size_t kinds,
                    floe_rdkq_error_fn log_error)
{
    memset(q, 0, sizeof(*q));
    q->fds[0] = q->fds[1] = -1;
    q->loop = loop;
    q->module = module;
    q->kinds = kinds < 1 ? 1 : kinds > FLOE_RDKQ_ERROR_KINDS ? FLOE_RDKQ_ERROR_KINDS : kinds;
    q->log_error = log_error;
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t cap)
{
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        snprintf(err, cap, "librdkafka property %s: %s", name, why);
        return -EINVAL;
    }
    return 0;
}

int floe_rdkq_new(rd_kafka_t **rk, const struct floe_rdkq_client *c, const struct floe_config *cfg,
                  char *err, size_t cap)
{
    int rc = 0;
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    *rk = NULL;
    if (!conf) {
        snprintf(err, cap, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; c->defaults[i][0]; i++) {
        if ((rc = set(conf, c->defaults[i][0], c->defaults[i][1], err, cap)) < 0) {
            goto fail;
        }
    }
    for (size_t i = 0; i < cfg->kafka.nrdkafka; i++) {
        if ((rc = set(conf, cfg->kafka.rdkafka[i].name, cfg->kafka.rdkafka[i].value, err, cap)) <
            0) {
            goto fail;
        }
    }
    if ((rc = set(conf, "bootstrap.servers", cfg->kafka.brokers, err, cap)) < 0) {
        goto fail;
    }
    for (size_t i = 0; c->forced[i][0]; i++) {
        if ((rc = set(conf, c->forced[i][0], c->forced[i][1], err, cap)) < 0) {
            goto fail;
        }
    }
    if ((rc = set(conf, "log.queue", "true", err, cap)) < 0) {
        goto fail;
    }
    rd_kafka_conf_set_events(conf, c->events | RD_KAFKA_EVENT_LOG);
    *rk = rd_kafka_new(c->type, conf, why, sizeof(why));
    if (!*rk) {
        snprintf(err, cap, "cannot create the %s: %s", c->what, why);
        rc = -EINVAL;
        goto fail;
    }
    return 0; /* the handle owns conf */

fail:
    rd_kafka_conf_destroy(conf);
    return rc;
}

static void close_fds(struct floe_rdkq *q)
{
    for (int i = 0; i < 2; i++) {
        if (q->fds[i] >= 0) {
            close(q->fds[i]);
            q->fds[i] = -1;
        }
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct floe_rdkq *q = container_of(h, struct floe_rdkq, poll);
    (void)events;
    if (status < 0) {
        return;
    }
    uint8_t buf[256];
    while (read(q->fds[0], buf, sizeof(buf)) > 0) {
    }
    q->ready(q);
}

int floe_rdkq_start(struct floe_rdkq *q, floe_rdkq_fn ready, char *err, size_t cap)
{
    int rc;
    q->ready = ready;
    if (pipe(q->fds) < 0) {
        rc = -errno;
        snprintf(err, cap, "pipe: %s", strerror(errno));
        q->fds[0] = q->fds[1] = -1;
        return rc;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(q->fds[i], F_SETFL, fcntl(q->fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(q->fds[i], F_SETFD, FD_CLOEXEC);
    }
    if ((rc = uv_poll_init(q->loop, &q->poll, q->fds[0])) < 0) {
        snprintf(err, cap, "uv_poll_init: %s", uv_strerror(rc));
        close_fds(q);
        return rc;
    }
    q->poll_open = true;
    rd_kafka_queue_io_event_enable(q->queue, q->fds[1], "1", 1);
    uv_poll_start(&q->poll, UV_READABLE, on_poll);
    return 0;
}

void floe_rdkq_wake(struct floe_rdkq *q)
{
    if (q->fds[1] >= 0 && write(q->fds[1], "1", 1) < 0) {
        /* A full pipe already wakes the loop: nothing to do. */
    }
}

void floe_rdkq_release(struct floe_rdkq *q)
{
    if (q->queue) {
        rd_kafka_queue_io_event_enable(q->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(q->queue);
        q->queue = NULL;
    }
}

static void on_closed(uv_handle_t *h)
{
    struct floe_rdkq *q = h->data;
    if (--q->closing > 0) {
        return;
    }
    close_fds(q);
    if (q->closed) {
        q->closed(q);
    }
}

void floe_rdkq_close(struct floe_rdkq *q, uv_handle_t *other, floe_rdkq_fn closed)
{
    floe_rdkq_release(q);
    q->closed = closed;
    q->poll_open = false;
    q->closing = other ? 2 : 1;
    q->poll.data = q;
    uv_close((uv_handle_t *)&q->poll, on_closed);
    if (other) {
        other->data = q;
        uv_close(other, on_closed);
    }
}

void floe_rdkq_close_now(struct floe_rdkq *q)
{
    floe_rdkq_release(q);
    if (q->poll_open) {
        /* The caller's failure path gives no loop turn for a close callback. */
        q->poll_open = false;
        uv_close((uv_handle_t *)&q->poll, NULL);
        uv_run(q->loop, UV_RUN_NOWAIT);
    }
    close_fds(q);
}

void floe_rdkq_report(struct floe_rdkq *q, int code, bool fatal, const char *what)
{
    q->errors++;
    uint64_t now = uv_now(q->loop);
    size_t n = q->kinds, slot = n - 1;
    for (size_t i = 0; i < n; i++) {
        if (q->errs[i].code == code || q->errs[i].last_ms == 0) {
            slot = i;
            break;
        }
    }
    if (q->errs[slot].code != code) {
        q->errs[slot].code = code;
        q->errs[slot].last_ms = 0;
        q->errs[slot].suppressed = 0;
    }
    if (!fatal && q->errs[slot].last_ms && now - q->errs[slot].last_ms < FLOE_RDKQ_ERROR_EVERY_MS) {
        q->errs[slot].suppressed++;
        return;
    }
    q->log_error(q, code, fatal, what, q->errs[slot].suppressed);
    q->errs[slot].last_ms = now ? now : 1;
    q->errs[slot].suppressed = 0;
}

static void log_event(struct floe_rdkq *q, rd_kafka_event_t *ev)
{
    const char *fac = "", *str = "";
    int level = 7;
    if (rd_kafka_event_log(ev, &fac, &str, &level) != 0) {
        return;
    }
    if (level <= 4 && !(q->confwarn_quiet && strcmp(fac, "CONFWARN") == 0)) {
        /* Connection failures repeat every retry: rate-limited like errors, by facility. */
        char what[512];
        snprintf(what, sizeof(what), "%s: %s", fac, str);
        floe_rdkq_report(q, -1000 - (int)(unsigned char)fac[0], false, what);
    } else {
        FLOE_DEBUG(q->module, "librdkafka\tfacility=%s text=\"%s\"", fac, str);
    }
}

bool floe_rdkq_event(struct floe_rdkq *q, rd_kafka_event_t *ev)
{
    switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_ERROR:
        floe_rdkq_report(q, rd_kafka_event_error(ev), rd_kafka_event_error_is_fatal(ev),
                         rd_kafka_event_error_string(ev));
        return true;
    case RD_KAFKA_EVENT_LOG:
        log_event(q, ev);
        return true;
    default:
        return false;
    }
}
