/* kafka.c — the librdkafka consumer on the loop (kafka.h): configuration, the queue bridge,
 * the drain in slices, rebalances, pause and resume, the non-blocking close.
 *
 * Every event of librdkafka reaches one queue: the consumer queue, to which the main queue is
 * forwarded (rd_kafka_poll_set_consumer) and where logs are sent (log.queue). The drain takes
 * events with rd_kafka_queue_poll(q, 0), which never waits. Fetch events are kept in a ring
 * of FLOE_KAFKA_AHEAD while their messages wait to be handed out (kafka.h, "Looking ahead"),
 * so a message the owner refuses (FLOE_KAFKA_HOLD) stays first, with those taken after it.
 */
#include "kafka.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* floe's defaults for librdkafka's buffers; rdkafka.<name> overrides them. librdkafka 2.0
 * stops fetching when the pre-fetch queue holds queued.max.messages.kbytes and looks again only
 * on its broker thread's next wake-up (up to about a second later); the refill nudge (kafka.h)
 * wakes it as soon as the queue is drained, so the queue only needs to cover a commit, during
 * which the drain is held. queued.min.messages is raised so that the byte cap, not a count,
 * decides. */
static const char *const defaults[][2] = {
    {"queued.max.messages.kbytes", "16384"},
    {"queued.min.messages", "1000000"},
    {"fetch.max.bytes", "4194304"},
    {"max.partition.fetch.bytes", "1048576"},
    {"receive.message.max.bytes", "5243392"},
    {"socket.keepalive.enable", "true"},
    {"enable.partition.eof", "true"}, /* catching up (kafka.h) */
    {NULL, NULL},
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static void on_ready(struct floe_rdkq *q);
static void on_nudge(uv_timer_t *t);
static void forget_taken(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *parts,
                         bool starts);
static void note_end(struct floe_kafka *k, int32_t id);
static void check_ends(struct floe_kafka *k, bool ask);
static void on_idle(uv_idle_t *h);
static void drain(struct floe_kafka *k);

/* Logs a broker or consumer error that the rate limit lets through. */
static void log_error(struct floe_rdkq *q, int code, bool fatal, const char *what,
                      uint64_t left_out)
{
    (void)q;
    FLOE_LOG(fatal ? FLOE_LOG_ERROR : FLOE_LOG_WARN, "kafka",
             "%s\terror=\"%s\" code=%d left_out=%" PRIu64, fatal ? "fatal error" : "broker error",
             what, code, left_out);
}

/* A numeric property of rk's configuration, or 0 if it cannot be read. */
static uint64_t conf_u64(rd_kafka_t *rk, const char *name)
{
    char buf[32];
    size_t len = sizeof(buf);
    if (rd_kafka_conf_get(rd_kafka_conf(rk), name, buf, &len) != RD_KAFKA_CONF_OK) {
        return 0;
    }
    return strtoull(buf, NULL, 10);
}

int floe_kafka_open(struct floe_kafka *k, uv_loop_t *loop, const struct floe_config *cfg,
                    const struct floe_kafka_handler *h, void *ctx, char *err, size_t cap)
{
    rd_kafka_topic_partition_list_t *topics = NULL;
    /* What floe's exactly-once rests on is not left to the pass-through. */
    const char *const forced[][2] = {
        {"group.id", cfg->kafka.group},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", cfg->kafka.start},
        {NULL, NULL},
    };
    const struct floe_rdkq_client client = {
        RD_KAFKA_CONSUMER, "consumer", defaults, forced,
        RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_OFFSET_COMMIT | RD_KAFKA_EVENT_ERROR};
    int rc = -EINVAL;

    memset(k, 0, sizeof(*k));
    floe_rdkq_init(&k->rq, loop, "kafka", FLOE_RDKQ_ERROR_KINDS, log_error);
    k->loop = loop;
    k->h = *h;
    k->ctx = ctx;
    if ((rc = floe_rdkq_new(&k->rk, &client, cfg, err, cap)) < 0) {
        goto fail;
    }
    rd_kafka_poll_set_consumer(k->rk);
    k->rq.queue = rd_kafka_queue_get_consumer(k->rk);
    if (!k->rq.queue || rd_kafka_set_log_queue(k->rk, NULL) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, cap, "cannot get the consumer queue");
        rc = -EIO;
        goto fail;
    }
    k->cooperative = strcmp(rd_kafka_rebalance_protocol(k->rk), "COOPERATIVE") == 0;
    k->nudge_bytes = conf_u64(k->rk, "queued.max.messages.kbytes") * 1024 / 2;
    k->nudge_msgs = conf_u64(k->rk, "queued.min.messages") / 2;
    k->behind_bytes = conf_u64(k->rk, "queued.max.messages.kbytes") * 1024;
    if ((rc = floe_rdkq_start(&k->rq, on_ready, err, cap)) < 0) {
        goto fail;
    }
    k->open_handles++;
    uv_idle_init(loop, &k->idle);
    k->open_handles++;
    k->idle.data = k;
    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, cfg->kafka.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t kerr = rd_kafka_subscribe(k->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kerr) {
        snprintf(err, cap, "cannot subscribe to %s: %s", cfg->kafka.topic, rd_kafka_err2str(kerr));
        rc = -EIO;
        goto fail_handles;
    }
    uv_timer_init(loop, &k->nudge);
    k->open_handles++;
    k->nudge.data = k;
    /* Events may already be queued (the pipe only tells about an empty queue filling up). */
    uv_idle_start(&k->idle, on_idle);
    k->idle_active = true;
    k->state = FLOE_KAFKA_RUNNING;
    return 0;

fail_handles:
    /* The idle handle was never started: closing it needs a loop turn, which the caller's
     * failure path does not give, so it is closed with no callback and the loop run once (by
     * floe_rdkq_close_now, with the poll handle). */
    uv_close((uv_handle_t *)&k->idle, NULL);
    k->open_handles = 0;
fail:
    floe_rdkq_release(&k->rq);
    if (k->rk) {
        rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        k->rk = NULL;
    }
    floe_rdkq_close_now(&k->rq);
    k->state = FLOE_KAFKA_CLOSED;
    return rc;
}

/* Logs a broker or consumer error at most once per FLOE_KAFKA_ERROR_EVERY_MS per code. */
static void report(struct floe_kafka *k, int code, bool fatal, const char *what)
{
    floe_rdkq_report(&k->rq, code, fatal, what);
}

static void rebalance(struct floe_kafka *k, rd_kafka_event_t *ev)
{
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_event_topic_partition_list(ev);
    /* The group's protocol is known once it has been joined (before, librdkafka says NONE
     * whatever the assignor): read it at each rebalance. */
    k->cooperative = strcmp(rd_kafka_rebalance_protocol(k->rk), "COOPERATIVE") == 0;
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
        /* Nothing is drained until the owner answers, now or later (floe_kafka_assign). */
        k->state = FLOE_KAFKA_ASSIGNING;
        k->h.assign(k->ctx, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        FLOE_INFO("kafka", "partitions revoked\tcount=%d", parts ? parts->cnt : 0);
        k->revoking = parts ? rd_kafka_topic_partition_list_copy(parts) : NULL;
        k->state = FLOE_KAFKA_REVOKING;
        k->h.revoke(k->ctx, parts);
    } else {
        report(k, err, false, rd_kafka_err2str(err));
        rd_kafka_assign(k->rk, NULL);
        forget_taken(k, NULL, false);
    }
}

/* One event that is not a fetch. */
static void other_event(struct floe_kafka *k, rd_kafka_event_t *ev)
{
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_ERROR &&
        rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* Comes as an error event, in order with the partition's messages. */
        rd_kafka_topic_partition_t *tp = rd_kafka_event_topic_partition(ev);
        if (tp) {
            if (k->state != FLOE_KAFKA_CLOSING) {
                note_end(k, tp->partition);
            }
            rd_kafka_topic_partition_destroy(tp);
        }
        return;
    }
    if (floe_rdkq_event(&k->rq, ev)) {
        return; /* an error or a log */
    }
    switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_REBALANCE:
        rebalance(k, ev);
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

/* The drain found the queue empty: if a queue's worth may have filled it since the last
 * nudge, look again in FLOE_KAFKA_NUDGE_MS (kafka.h, "The refill nudge"). */
static void nudge_arm(struct floe_kafka *k)
{
    if (k->nudge_armed || k->state != FLOE_KAFKA_RUNNING ||
        (k->taken_bytes < k->nudge_bytes && k->taken_msgs < k->nudge_msgs)) {
        return;
    }
    uv_timer_start(&k->nudge, on_nudge, FLOE_KAFKA_NUDGE_MS, 0);
    k->nudge_armed = true;
}

/* Partition id's record, grown as ids appear; NULL if id is negative or the table cannot
 * grow (that partition is then neither nudged nor tracked for catching up). */
static struct floe_kafka_part *part_of(struct floe_kafka *k, int32_t id)
{
    if (id < 0) {
        return NULL;
    }
    if ((size_t)id >= k->part_cap) {
        size_t cap = k->part_cap ? k->part_cap : 64;
        while (cap <= (size_t)id) {
            cap *= 2;
        }
        struct floe_kafka_part *n = realloc(k->part, cap * sizeof(*n));
        if (!n) {
            return NULL;
        }
        for (size_t i = k->part_cap; i < cap; i++) {
            n[i] = (struct floe_kafka_part){-1, 0, false};
        }
        k->part = n;
        k->part_cap = cap;
    }
    return &k->part[id];
}

/* Notes a message taken: the offset after it (what a nudge seeks to), and its bytes since the
 * partition last reached its end. */
static void note_taken(struct floe_kafka *k, int32_t partition, int64_t offset, size_t n)
{
    struct floe_kafka_part *q = part_of(k, partition);
    if (q) {
        q->next = offset + 1;
        q->at_end = false;
        q->since_end += n;
        k->since_end += n;
        if (k->since_end > k->behind_bytes) {
            k->behind = true;
        }
    }
}

static void mark_end(struct floe_kafka *k, struct floe_kafka_part *q)
{
    k->since_end -= q->since_end;
    q->since_end = 0;
    q->at_end = true;
}

/* Marks the assigned partitions that have reached their end; then, if the consumer was behind
 * and every one has, tells the owner (kafka.h, "Catching up"). With ask, a partition not known
 * to be at its end is asked for the high watermark of its last fetch response: having taken
 * everything below it is reaching the end too — known at once, where the end-of-partition
 * event waits for a fetch that the broker holds up to fetch.wait.max.ms for data that does
 * not come, and is not sent at all while data keeps coming. */
static void check_ends(struct floe_kafka *k, bool ask)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if ((!ask && !k->behind) || rd_kafka_assignment(k->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        !parts) {
        return;
    }
    bool all = parts->cnt > 0;
    for (int i = 0; i < parts->cnt && (all || ask); i++) {
        struct floe_kafka_part *q = part_of(k, parts->elems[i].partition);
        int64_t lo, hi;
        if (q && !q->at_end && ask && q->next >= 0 &&
            rd_kafka_get_watermark_offsets(k->rk, parts->elems[i].topic, parts->elems[i].partition,
                                           &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            hi >= 0 && q->next >= hi) {
            mark_end(k, q);
        }
        all = all && q && q->at_end;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    if (all && k->behind) {
        k->behind = false;
        k->catch_ups++;
        FLOE_INFO("kafka", "caught up\tmessages=%" PRIu64, k->messages);
        if (k->h.caught_up) {
            k->h.caught_up(k->ctx);
        }
    }
}

/* Partition id has reached its end (its end-of-partition event). */
static void note_end(struct floe_kafka *k, int32_t id)
{
    struct floe_kafka_part *q = part_of(k, id);
    if (q) {
        mark_end(k, q);
        check_ends(k, false);
    }
}

/* Forgets what was taken from the partitions of parts (from every partition, and whether the
 * consumer is behind, with parts NULL): the assignment changed or restarts there. With
 * starts, a listed partition's offset, when it is a real one, is where it now stands. */
static void forget_taken(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *parts,
                         bool starts)
{
    if (!parts) {
        for (size_t i = 0; i < k->part_cap; i++) {
            k->part[i] = (struct floe_kafka_part){-1, 0, false};
        }
        k->since_end = 0;
        k->behind = false;
        return;
    }
    for (int i = 0; i < parts->cnt; i++) {
        struct floe_kafka_part *q = part_of(k, parts->elems[i].partition);
        if (q) {
            k->since_end -= q->since_end;
            int64_t at = parts->elems[i].offset;
            *q = (struct floe_kafka_part){starts && at >= 0 ? at : -1, 0, false};
        }
    }
}

/* Still empty: seek every assigned partition with a known position to that position, which
 * drops nothing (the queue is empty) and wakes the broker threads. */
static void on_nudge(uv_timer_t *t)
{
    struct floe_kafka *k = t->data;
    rd_kafka_topic_partition_list_t *parts = NULL;
    k->nudge_armed = false;
    if (k->state != FLOE_KAFKA_RUNNING || k->paused || k->ring_n > 0 || k->barrier ||
        rd_kafka_queue_length(k->rq.queue) > 0) {
        return; /* the drain goes on; it arms the nudge again when the queue is empty */
    }
    if (rd_kafka_assignment(k->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts) {
        return;
    }
    /* Offsets from what was taken, not rd_kafka_position(): after floe_kafka_assign restarts
     * a partition at an earlier offset, the consumer's position can still be the old one. */
    rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++) {
        int32_t id = parts->elems[i].partition;
        if (id >= 0 && (size_t)id < k->part_cap && k->part[id].next >= 0) {
            rd_kafka_topic_partition_list_add(seek, parts->elems[i].topic, id)->offset =
                k->part[id].next;
        }
    }
    if (seek->cnt > 0) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(k->rk, seek, 0);
        if (e) {
            FLOE_DEBUG("kafka", "refill nudge failed\terror=\"%s\"", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        k->nudges++;
        k->taken_bytes = k->taken_msgs = 0;
    }
    rd_kafka_topic_partition_list_destroy(seek);
    rd_kafka_topic_partition_list_destroy(parts);
}

/* Whether partition id is in parts (every partition when parts is NULL). */
static bool listed(const rd_kafka_topic_partition_list_t *parts, int32_t id)
{
    for (int i = 0; parts && i < parts->cnt; i++) {
        if (parts->elems[i].partition == id) {
            return true;
        }
    }
    return !parts;
}

/* Takes slots emptied by drop_taken off both ends of the ring (one in the middle is passed
 * over when it comes first). */
static void trim_holes(struct floe_kafka *k)
{
    while (k->ring_n > 0 && !k->ring[k->ring_head].ev) {
        k->ring_head = (k->ring_head + 1) % FLOE_KAFKA_AHEAD;
        k->ring_n--;
    }
    while (k->ring_n > 0 && !k->ring[(k->ring_head + k->ring_n - 1) % FLOE_KAFKA_AHEAD].ev) {
        k->ring_n--;
    }
}

/* Drops the messages taken ahead from the partitions of parts (all with NULL) and an
 * end-of-partition event of one of them waiting behind the ring: those partitions restart
 * elsewhere. The others keep their slots, as the owner's ahead() was told them. */
static void drop_taken(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
    for (unsigned i = 0; i < k->ring_n; i++) {
        struct floe_kafka_slot *s = &k->ring[(k->ring_head + i) % FLOE_KAFKA_AHEAD];
        if (s->ev && listed(parts, s->msg->partition)) {
            rd_kafka_event_destroy(s->ev);
            *s = (struct floe_kafka_slot){NULL, NULL};
        }
    }
    trim_holes(k);
    if (k->ring_n == 0) {
        k->ring_head = 0;
    }
    if (k->barrier && rd_kafka_event_type(k->barrier) == RD_KAFKA_EVENT_ERROR &&
        rd_kafka_event_error(k->barrier) == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_topic_partition_t *tp = rd_kafka_event_topic_partition(k->barrier);
        if (!tp || listed(parts, tp->partition)) {
            rd_kafka_event_destroy(k->barrier);
            k->barrier = NULL;
        }
        if (tp) {
            rd_kafka_topic_partition_destroy(tp);
        }
    }
}

/* Shows the owner message m of slot ahead of its turn (kafka.h, "Looking ahead"), unless it is
 * an error or the drain is stopped or closing. */
static void show_ahead(struct floe_kafka *k, const rd_kafka_message_t *m, unsigned slot, int step)
{
    if (m && !m->err && k->state == FLOE_KAFKA_RUNNING && !k->paused && k->h.ahead) {
        k->h.ahead(k->ctx, m, slot, step);
    }
}

/* Takes events from the queue into the ring (kafka.h, "Looking ahead") until it is full, an
 * event other than a fetch is taken (it waits as the barrier) or the queue is empty; the
 * owner sees each message as it comes in. */
static void fill(struct floe_kafka *k)
{
    while (k->ring_n < FLOE_KAFKA_AHEAD && !k->barrier) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(k->rq.queue, 0);
        if (!ev) {
            return;
        }
        if (rd_kafka_event_type(ev) != RD_KAFKA_EVENT_FETCH) {
            k->barrier = ev;
            return;
        }
        const rd_kafka_message_t *m = rd_kafka_event_message_next(ev);
        if (!m) {
            rd_kafka_event_destroy(ev);
            continue;
        }
        unsigned slot = (k->ring_head + k->ring_n++) % FLOE_KAFKA_AHEAD;
        k->ring[slot] = (struct floe_kafka_slot){ev, m};
        show_ahead(k, m, slot, 0);
    }
}

/* The first slot's message has been dealt with: its event's next message, else the next
 * slot. */
static void ring_next(struct floe_kafka *k)
{
    struct floe_kafka_slot *s = &k->ring[k->ring_head];
    s->msg = rd_kafka_event_message_next(s->ev);
    if (s->msg) {
        show_ahead(k, s->msg, k->ring_head, 0);
        return;
    }
    rd_kafka_event_destroy(s->ev);
    *s = (struct floe_kafka_slot){NULL, NULL};
    k->ring_head = (k->ring_head + 1) % FLOE_KAFKA_AHEAD;
    k->ring_n--;
    trim_holes(k);
}

static void drain(struct floe_kafka *k)
{
    int budget = FLOE_KAFKA_SLICE;
    while (draining(k) && budget-- > 0) {
        fill(k);
        if (k->ring_n == 0) {
            rd_kafka_event_t *ev = k->barrier;
            if (ev) {
                k->barrier = NULL;
                other_event(k, ev);
                rd_kafka_event_destroy(ev);
                continue;
            }
            if (k->state != FLOE_KAFKA_CLOSING) {
                idle_stop(k); /* the pipe says when more comes */
                nudge_arm(k);
                /* Behind: at every pause of the stream; otherwise now and then, so that a
                 * busy stream's counts restart (its end-of-partition events may never come). */
                uint64_t now = uv_now(k->loop);
                if (k->behind || now - k->ends_checked >= FLOE_KAFKA_ENDS_EVERY_MS) {
                    k->ends_checked = now;
                    check_ends(k, true);
                }
            }
            break; /* closing: the idle handle polls until the consumer has closed */
        }
        const rd_kafka_message_t *m = k->ring[k->ring_head].msg;
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (k->state != FLOE_KAFKA_CLOSING) {
                    note_end(k, m->partition);
                }
            } else {
                report(k, m->err, false, rd_kafka_message_errstr(m));
            }
        } else if (k->state != FLOE_KAFKA_CLOSING) {
            if (k->ring_n > FLOE_KAFKA_AHEAD / 2) {
                unsigned mid = (k->ring_head + FLOE_KAFKA_AHEAD / 2) % FLOE_KAFKA_AHEAD;
                show_ahead(k, k->ring[mid].msg, mid, 1); /* (none in a dropped slot) */
            }
            /* Read before the call: the owner may drop the ring meanwhile (a close). */
            int32_t partition = m->partition;
            int64_t offset = m->offset;
            size_t bytes = m->len + m->key_len;
            enum floe_kafka_verdict v = k->h.message(k->ctx, m, k->ring_head);
            if (v == FLOE_KAFKA_HOLD) {
                idle_stop(k);
                return; /* handed again after the resume */
            }
            k->messages++;
            k->taken_msgs++;
            k->taken_bytes += bytes;
            if (k->state != FLOE_KAFKA_CLOSING && k->state != FLOE_KAFKA_CLOSED) {
                note_taken(k, partition, offset, bytes);
            }
        }
        if (k->ring_n > 0 && k->ring[k->ring_head].msg == m) {
            ring_next(k); /* (unless the owner dropped the ring meanwhile) */
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

static void on_ready(struct floe_rdkq *q)
{
    drain(container_of(q, struct floe_kafka, rq));
}

static void on_idle(uv_idle_t *h)
{
    drain((struct floe_kafka *)h->data);
}

/* Hands parts to librdkafka as the assignment (added to it when cooperative). 0 or -EIO. */
static int assign_now(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
    if (k->cooperative) {
        rd_kafka_error_t *e = parts ? rd_kafka_incremental_assign(k->rk, parts) : NULL;
        if (e) {
            FLOE_ERROR("kafka", "cannot assign partitions\terror=\"%s\"", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            return -EIO;
        }
        return 0;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(k->rk, parts);
    if (err) {
        FLOE_ERROR("kafka", "cannot assign partitions\terror=\"%s\"", rd_kafka_err2str(err));
        return -EIO;
    }
    return 0;
}

/* Answers a pending assignment with no partitions, so that the rebalance completes: eager, an
 * empty assignment; cooperative, an empty increment (what is already assigned stays). */
static void assign_none(struct floe_kafka *k)
{
    if (k->cooperative) {
        rd_kafka_topic_partition_list_t *none = rd_kafka_topic_partition_list_new(0);
        rd_kafka_error_t *e = rd_kafka_incremental_assign(k->rk, none);
        if (e) {
            FLOE_WARN("kafka", "cannot answer the assignment\terror=\"%s\"",
                      rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        rd_kafka_topic_partition_list_destroy(none);
    } else {
        rd_kafka_assign(k->rk, NULL);
    }
}

/* The pending assignment is answered: back to RUNNING. */
static void assign_done(struct floe_kafka *k)
{
    k->state = FLOE_KAFKA_RUNNING;
    if (!k->paused) {
        idle_start(k);
    }
}

int floe_kafka_assign(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
    if (k->state == FLOE_KAFKA_CLOSING || k->state == FLOE_KAFKA_CLOSED) {
        return 0; /* a pending assignment was answered by floe_kafka_close */
    }
    bool answer = k->state == FLOE_KAFKA_ASSIGNING;
    if (k->cooperative && !answer && k->state != FLOE_KAFKA_RUNNING) {
        return -EIO;
    }
    if (!k->cooperative) {
        forget_taken(k, NULL, false); /* the assignment is replaced */
        drop_taken(k, NULL);
    }
    if (parts) {
        forget_taken(k, parts, true);
    }
    int rc = assign_now(k, parts);
    if (answer) {
        if (rc < 0 && parts) {
            assign_none(k); /* the rebalance still completes, without these partitions */
        }
        assign_done(k);
    }
    return rc;
}

int floe_kafka_restart(struct floe_kafka *k, rd_kafka_topic_partition_list_t *parts)
{
    if (!k->cooperative) {
        return floe_kafka_assign(k, parts); /* the whole assignment, given again */
    }
    if (k->state == FLOE_KAFKA_CLOSING || k->state == FLOE_KAFKA_CLOSED) {
        return 0;
    }
    /* Cooperative: the partitions stay assigned and are sought, without waiting (messages
     * fetched before are dropped by librdkafka); what was taken from them is forgotten, so
     * that no refill nudge seeks them forward again. */
    forget_taken(k, parts, true);
    drop_taken(k, parts);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(k->rk, parts, 0);
    if (e) {
        FLOE_ERROR("kafka", "cannot seek\terror=\"%s\"", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return -EIO;
    }
    return 0;
}

int floe_kafka_resolve_starts(struct floe_kafka *k, rd_kafka_topic_partition_list_t *parts,
                              int timeout_ms)
{
    rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_new(parts->cnt + 1);
    for (int i = 0; i < parts->cnt; i++) {
        int64_t at = parts->elems[i].offset;
        if (at == RD_KAFKA_OFFSET_BEGINNING || at == RD_KAFKA_OFFSET_END) {
            /* ListOffsets reads -2 and -1 as "the log start" and "the end" (KIP-79). */
            rd_kafka_topic_partition_list_add(ask, parts->elems[i].topic,
                                              parts->elems[i].partition)->offset = at;
        }
    }
    int rc = 0;
    if (ask->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(k->rk, ask, timeout_ms);
        if (err) {
            FLOE_DEBUG("kafka", "start offsets not all resolved\terror=\"%s\"",
                       rd_kafka_err2str(err));
            rc = -EIO;
        }
        /* Whatever the call's result, an element answered without an error has its offset;
         * the others keep -2/-1. */
        for (int i = 0; i < ask->cnt; i++) {
            const rd_kafka_topic_partition_t *a = &ask->elems[i];
            rd_kafka_topic_partition_t *tp =
                rd_kafka_topic_partition_list_find(parts, a->topic, a->partition);
            if (a->err || a->offset < 0 || !tp) {
                rc = -EIO;
                if (a->err) {
                    FLOE_DEBUG("kafka", "start offset not resolved\tpartition=%" PRId32
                                        " error=\"%s\"",
                               a->partition, rd_kafka_err2str(a->err));
                }
            } else {
                tp->offset = a->offset;
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(ask);
    return rc;
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
    forget_taken(k, k->cooperative ? k->revoking : NULL, false);
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
    drop_taken(k, NULL);
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

static void on_closed(struct floe_rdkq *q)
{
    struct floe_kafka *k = container_of(q, struct floe_kafka, rq);
    k->open_handles = 0;
    if (k->closed_cb) {
        k->closed_cb(k->closed_ctx);
    }
}

static void on_nudge_closed(uv_handle_t *h);

/* Releases the client and what k holds besides its handles; k is CLOSED after. */
static void release_client(struct floe_kafka *k, int destroy_flags)
{
    floe_kafka_drop_held(k);
    if (k->barrier) {
        rd_kafka_event_destroy(k->barrier);
        k->barrier = NULL;
    }
    floe_rdkq_release(&k->rq);
    if (k->revoking) {
        rd_kafka_topic_partition_list_destroy(k->revoking);
        k->revoking = NULL;
    }
    rd_kafka_destroy_flags(k->rk, destroy_flags);
    k->rk = NULL;
    free(k->part);
    k->part = NULL;
    k->part_cap = 0;
    k->state = FLOE_KAFKA_CLOSED;
}

/* The consumer has left the group: release librdkafka, then the handles. */
static void finish_close(struct floe_kafka *k)
{
    release_client(k, 0);
    k->idle_active = false;
    k->nudge_armed = false;
    FLOE_INFO("kafka",
              "consumer closed\tmessages=%" PRIu64 " errors=%" PRIu64 " nudges=%" PRIu64
              " catch_ups=%" PRIu64,
              k->messages, k->rq.errors, k->nudges, k->catch_ups);
    /* The timer first, then the pipe's poll and the idle handle together: the owner hears
     * once all three have closed. */
    uv_close((uv_handle_t *)&k->nudge, on_nudge_closed);
}

static void on_nudge_closed(uv_handle_t *h)
{
    struct floe_kafka *k = h->data;
    floe_rdkq_close(&k->rq, (uv_handle_t *)&k->idle, on_closed);
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
    if (k->state == FLOE_KAFKA_ASSIGNING) {
        /* The group waits for the answer before it lets this member leave: none is taken. */
        assign_none(k);
    }
    k->state = FLOE_KAFKA_CLOSING;
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(k->rk, k->rq.queue);
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
    release_client(k, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}
