/* dlq.h — the dead-letter topic: rejected records produced to dead_letter.topic on the
 * consumer's brokers, by a librdkafka producer bridged onto the libuv loop.
 *
 * Each rejected record becomes one message: value = the record's bytes as received (none for a
 * record with no value or one too long to keep, then header floe.record.bytes gives its length),
 * key = the source message's key, headers
 *
 *     floe.reason            why it was rejected (text)
 *     floe.source.topic      where it was read
 *     floe.source.partition  decimal
 *     floe.source.offset     decimal
 *     floe.time              when it was rejected, RFC 3339 UTC with milliseconds
 *
 * Delivery: the producer is idempotent (enable.idempotence) with message.timeout.ms 300000, so
 * librdkafka retries on its own for five minutes; a message whose delivery finally fails is
 * kept and produced again after a backoff (1 s doubling to 30 s), forever. A message the broker
 * refuses as too large is produced again without its value. floe_dlq_pending() counts what is
 * not yet acknowledged, retries included: the pipeline commits offsets only when it is 0, so an
 * offset never passes a dead letter that did not land (at least once: after a crash a record may
 * be dead-lettered again).
 *
 * The bridge is the consumer's (rdkq.h, shared with kafka.c): delivery reports, errors and logs
 * arrive on the producer's main queue, rd_kafka_queue_io_event_enable() writes a byte to a pipe
 * when it becomes non-empty, a uv_poll drains it without blocking. The owner's progress callback
 * runs after each drain that acknowledged something, never from inside floe_dlq_add().
 *
 * Memory: the producer's queue is capped at queue.buffering.max.kbytes 4096 and
 * queue.buffering.max.messages 10000 (rdkafka.<name> overrides them); when it is full,
 * floe_dlq_add() refuses the record (-ENOBUFS) and the owner waits for progress.
 */
#ifndef FLOE_DLQ_H
#define FLOE_DLQ_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "rdkq.h"

typedef void (*floe_dlq_fn)(void *ctx);

/* A message whose delivery failed, waiting for the retry timer (owned by the list). */
struct floe_dlq_retry {
    struct floe_dlq_retry *next;
    uint8_t *value; /* NULL: none */
    size_t len;
    uint8_t *key; /* NULL: none */
    size_t klen;
    rd_kafka_headers_t *hdrs;
};

struct floe_dlq {
    uv_loop_t *loop;
    rd_kafka_t *rk;
    struct floe_rdkq rq; /* the producer's main queue on the loop, and the error rate limit */
    char *topic;         /* dead_letter.topic (owned) */
    uv_timer_t retry_timer;
    bool closing;
    bool fatal; /* a fatal error, or the topic is missing: nothing can be delivered any more */
    uint64_t pending; /* produced and not acknowledged, retries included */
    struct floe_dlq_retry *retry, **retry_tail;
    unsigned retry_round;
    floe_dlq_fn progress;
    void *ctx;
    floe_dlq_fn closed_cb;
    void *closed_ctx;
    uint64_t produced;  /* records taken */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failures;  /* failed deliveries (each retried) */
};

/* floe_dlq_open(d, loop, cfg, progress, ctx, err, cap): creates the producer for
 * cfg->dead_letter.topic on cfg->kafka.brokers (floe's defaults, then rdkafka.*, then the
 * settings delivery rests on) and starts watching its queue on loop. progress(ctx) runs on the
 * loop after deliveries were acknowledged (ctx borrowed for d's life). Returns 0; -EINVAL (a
 * property librdkafka refuses, an empty topic) or -EIO/-errno, with the reason in err[0..cap).
 * On failure nothing is left open. */
int floe_dlq_open(struct floe_dlq *d, uv_loop_t *loop, const struct floe_config *cfg,
                  floe_dlq_fn progress, void *ctx, char *err, size_t cap);

/* floe_dlq_add(d, reason, topic, partition, offset, key, klen, value, len, value_len): produces
 * one dead letter (every argument borrowed for the call and copied). value[0..len) is the
 * record, NULL when not kept (value_len its full length); key may be NULL. Returns 0 (pending
 * grows by one); -ENOBUFS when the producer's queue is full (nothing taken: wait for progress
 * and add it again); -EIO when the producer cannot take it (logged; d->fatal is set when no
 * later one can be taken either: a fatal error, the topic missing or not authorized). */
int floe_dlq_add(struct floe_dlq *d, const char *reason, const char *topic, int32_t partition,
                 int64_t offset, const void *key, size_t klen, const uint8_t *value, size_t len,
                 uint64_t value_len);

/* floe_dlq_pending(d): dead letters taken and not yet acknowledged. */
uint64_t floe_dlq_pending(const struct floe_dlq *d);

/* floe_dlq_close(d, cb, ctx): drops what is still undelivered (logged; the owner has not
 * committed those records' offsets, so they are read again on the next start), destroys the
 * producer and closes the handles; cb(ctx) runs once everything is released. */
void floe_dlq_close(struct floe_dlq *d, floe_dlq_fn cb, void *ctx);

/* floe_dlq_abandon(d): after the loop was stopped with d still open (shutdown timeout):
 * destroys the producer at once, dropping what is undelivered. Handles are left for
 * floe_agent_close_rest(). */
void floe_dlq_abandon(struct floe_dlq *d);

#endif
