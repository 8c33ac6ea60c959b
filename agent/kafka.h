/* kafka.h — the Kafka source: a librdkafka consumer group bridged onto the libuv loop.
 *
 * librdkafka runs its broker threads; everything it reports (messages, rebalances, errors,
 * logs, offset-commit results) arrives on the consumer queue, which is bridged onto the loop
 * with rd_kafka_queue_io_event_enable(): librdkafka writes a byte to a pipe when the queue
 * becomes non-empty, a uv_poll watches the pipe, and the queue is drained without blocking, in
 * slices of at most FLOE_KAFKA_SLICE events so timers and signals keep running (an idle
 * handle continues a drain that a slice cut short).
 *
 * Rebalances go to the owner: on an assignment it decides each partition's start offset (the
 * pipeline reads them from the table, off the loop) and calls floe_kafka_assign(), before
 * returning or later from another callback; until then nothing is drained (ASSIGNING). On a
 * revocation it flushes what it holds for those partitions and calls floe_kafka_revoke_done()
 * when that has landed. Neither rebalance completes before. The protocol is librdkafka's
 * default, eager (range,roundrobin: every partition is revoked, then the new assignment
 * given); a cooperative assignor set through rdkafka.partition.assignment.strategy is handled
 * too (incremental assign and unassign).
 *
 * The owner can stop draining (floe_kafka_pause(): the assignment's fetchers pause as well)
 * and resume later; a message handed to it can be refused (FLOE_KAFKA_HOLD) and is handed
 * again first after the next resume. Offsets are never stored or committed by librdkafka on
 * its own: the table holds them; floe_kafka_commit() reports them to the group afterwards,
 * asynchronously, for lag tools.
 *
 * Looking ahead: the drain takes up to FLOE_KAFKA_AHEAD messages from the queue before it
 * hands the first of them, and shows each one to the owner as it is taken (ahead), so that
 * the owner can start on it — decode it, and ask for the cache lines its key will touch —
 * while the messages before it are handed. A record's dedup entry and the row it replaces lie
 * anywhere in memory, and fetching them one record at a time was a large part of each
 * record's cost. Events other than messages (rebalances, errors, end-of-partition) stop the
 * look-ahead and are taken up in order, once the messages before them have been handed.
 * Messages taken ahead are past librdkafka's position: a restart (floe_kafka_restart, or
 * floe_kafka_assign outside a rebalance) drops those of its partitions, and
 * floe_kafka_drop_held drops them all.
 *
 * Memory: librdkafka's buffers are capped by the defaults below (overridable with
 * rdkafka.<name>): queued.max.messages.kbytes 16384 (the pre-fetch queue), fetch.max.bytes
 * 4M, max.partition.fetch.bytes 1M, receive.message.max.bytes 5M — about 24 MiB in the worst
 * case, outside limits.memory (README "Running the pipeline"; kafka.c says why 16 MiB).
 *
 * The refill nudge: librdkafka 2.0 stops fetching once its pre-fetch queue holds
 * queued.max.messages.kbytes (or queued.min.messages) and decides again only when its broker
 * thread next wakes up — up to a second later, with nothing else to wake it. So when the drain
 * has emptied the queue after taking at least half a queue's worth since the last nudge, and
 * the queue is still empty FLOE_KAFKA_NUDGE_MS later, every assigned partition from which a
 * message was taken since its assignment is sought to the offset after that message
 * (rd_kafka_seek_partitions, asynchronous): the queue is empty, so nothing is dropped, and the
 * seek wakes the broker threads, which fetch at once. A
 * fetch in flight at that moment is discarded and made again; that is the price, at most once
 * per queue's worth. A stream that never fills the queue is never nudged.
 *
 * Catching up: each partition counts the bytes taken since it last reached its end (its
 * end-of-partition event — enable.partition.eof, on by default here — or, when the queue runs
 * dry, having taken everything below the high watermark of its last fetch response). When
 * the partitions' counts add up to more than the pre-fetch queue holds
 * (queued.max.messages.kbytes), what was read had been waiting in Kafka, not only in the
 * queue: the consumer is behind (a start after downtime, an outage, a slow store). Once every
 * assigned partition has reached its end again the owner hears it (caught_up), once per
 * catch-up, and can commit the backlog at once instead of waiting for a timer. A consumer
 * that reads records as they arrive, or that only drains what its queue gathered during a
 * commit, is never behind. (A partition whose last offsets are transaction markers, which are
 * not messages, reaches its end only by the event, which comes when the stream pauses.)
 *
 * Broker errors are logged at most once per FLOE_KAFKA_ERROR_EVERY_MS for each error code
 * (the next line counts those left out); librdkafka reconnects on its own.
 */
#ifndef FLOE_KAFKA_H
#define FLOE_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "rdkq.h"

#define FLOE_KAFKA_SLICE 512
#define FLOE_KAFKA_AHEAD 8          /* messages taken from the queue ahead of the one handed */
#define FLOE_KAFKA_NUDGE_MS 5       /* how long the queue stays empty before a nudge */
#define FLOE_KAFKA_ENDS_EVERY_MS 10 /* high watermarks looked at when not behind (above) */
#define FLOE_KAFKA_ERROR_EVERY_MS FLOE_RDKQ_ERROR_EVERY_MS

/* What the owner's message callback did with a message. */
enum floe_kafka_verdict {
    FLOE_KAFKA_NEXT = 0,  /* taken; hand the next one */
    FLOE_KAFKA_PAUSE = 1, /* taken; stop draining (the owner has called floe_kafka_pause or
                             floe_kafka_hold) */
    FLOE_KAFKA_HOLD = 2,  /* not taken; stop draining and hand it again after the resume */
};

struct floe_kafka_handler {
    /* A message (m->err is 0; borrowed for the call) and its slot, the one ahead() was called
     * with for it. Returns a verdict. */
    enum floe_kafka_verdict (*message)(void *ctx, const rd_kafka_message_t *m, unsigned slot);
    /* Partitions assigned (borrowed for the call; the owner copies them if it answers later):
     * the owner sets each one's offset and calls floe_kafka_assign(k, parts), before returning
     * or later from another callback (or with NULL to refuse them all). Until then nothing is
     * drained: no message, and no other rebalance, reaches the owner. */
    void (*assign)(void *ctx, rd_kafka_topic_partition_list_t *parts);
    /* Partitions revoked (borrowed for the call): draining stops until the owner calls
     * floe_kafka_revoke_done(), possibly later, from another callback. */
    void (*revoke)(void *ctx, const rd_kafka_topic_partition_list_t *parts);
    /* The consumer was behind and has now read every assigned partition to its end (above,
     * "Catching up"); may be NULL. Called from the drain: the owner may hold or pause k. */
    void (*caught_up)(void *ctx);
    /* A message (m->err is 0) taken from the queue ahead of its turn (above, "Looking
     * ahead"), in a slot below FLOE_KAFKA_AHEAD: with step 0 as it is taken, and with step 1
     * once more when half of the look-ahead lies between it and its turn (so the owner can ask
     * for memory that depends on what step 0 asked for). message() is called for it with the
     * same slot, after the messages taken before it, and no other message is given that slot
     * before message() has taken this one (or it was dropped: floe_kafka_drop_held, a close).
     * m stays valid until then. May be NULL. Called from the drain; the owner must not pause,
     * hold or close k. */
    void (*ahead)(void *ctx, const rd_kafka_message_t *m, unsigned slot, int step);
};

/* A fetch event taken from the queue and not yet handed out in full. */
struct floe_kafka_slot {
    rd_kafka_event_t *ev;
    const rd_kafka_message_t *msg; /* its next message, not yet taken */
};

/* What k knows of one partition since its last (re)assignment. */
struct floe_kafka_part {
    int64_t next;       /* the offset after the last message taken, or -1 */
    uint64_t since_end; /* bytes taken since the partition last reached its end */
    bool at_end;        /* reached its end, and nothing taken since */
};

enum floe_kafka_state {
    FLOE_KAFKA_RUNNING,
    FLOE_KAFKA_REVOKING,  /* waiting for floe_kafka_revoke_done */
    FLOE_KAFKA_ASSIGNING, /* waiting for the owner's floe_kafka_assign */
    FLOE_KAFKA_CLOSING,   /* leaving the group; messages are dropped */
    FLOE_KAFKA_CLOSED,
};

typedef void (*floe_kafka_closed_fn)(void *ctx);

struct floe_kafka {
    uv_loop_t *loop;
    rd_kafka_t *rk;
    struct floe_rdkq rq; /* the consumer queue (the main queue is forwarded to it) on the loop,
                          * and the error rate limit */
    uv_idle_t idle;
    uv_timer_t nudge; /* the refill nudge (above) */
    int open_handles;
    enum floe_kafka_state state;
    bool paused;                               /* by the owner: not draining */
    bool fetch_paused;                         /* …and the assignment's fetchers paused */
    bool idle_active;                          /* a drain is continued by the idle handle */
    bool cooperative;                          /* the group's rebalance protocol */
    bool nudge_armed;                          /* the nudge timer runs */
    /* Taken ahead, in order from ring[ring_head]: ring_n slots; the first one's message is
     * held while the drain is stopped. */
    struct floe_kafka_slot ring[FLOE_KAFKA_AHEAD];
    unsigned ring_head, ring_n;
    rd_kafka_event_t *barrier; /* an event other than a fetch, taken behind the ring, or NULL */
    rd_kafka_topic_partition_list_t *revoking; /* partitions being revoked (owned) */
    struct floe_kafka_handler h;
    void *ctx;
    floe_kafka_closed_fn closed_cb;
    void *closed_ctx;
    uint64_t messages; /* handed to the owner and taken; errors: rq.errors */
    /* Taken since the last nudge, and the amounts past which librdkafka may have stopped
     * fetching (half of queued.max.messages.kbytes and of queued.min.messages). */
    uint64_t taken_bytes, taken_msgs;
    uint64_t nudge_bytes, nudge_msgs;
    uint64_t nudges; /* nudges made */
    /* By partition id (grown as ids appear; owned): where a nudge seeks to, and what says
     * whether the consumer is catching up. */
    struct floe_kafka_part *part;
    size_t part_cap;
    uint64_t since_end;    /* the partitions' since_end, added up */
    uint64_t behind_bytes; /* since_end past which the consumer is behind */
    uint64_t ends_checked; /* loop time of the last look at the high watermarks */
    bool behind;           /* behind since the consumer was last caught up */
    uint64_t catch_ups;    /* caught_up calls */
};

/* floe_kafka_open(k, loop, cfg, h, ctx, err, cap): creates the consumer for cfg's [kafka]
 * (brokers, group, start, rdkafka.* after floe's defaults; enable.auto.commit and
 * enable.auto.offset.store forced off), subscribes to kafka.topic and starts watching the
 * queue on loop. h and ctx are copied/borrowed for k's life. Returns 0; -EINVAL (a property
 * librdkafka refuses) or -EIO/-errno, with the reason in err[0..cap). On failure nothing is
 * left open. */
int floe_kafka_open(struct floe_kafka *k, uv_loop_t *loop, const struct floe_config *cfg,
                    const struct floe_kafka_handler *h, void *ctx, char *err, size_t cap);

/* floe_kafka_assign(k, parts): takes parts (borrowed; offsets set: an offset, or
 * RD_KAFKA_OFFSET_BEGINNING/END) as the assignment — added to it under a cooperative
 * protocol. NULL: no partitions. The answer to the assign callback, from inside it or later
 * (draining then resumes unless paused); a consumer closed meanwhile has answered it itself
 * (floe_kafka_close), and then this does nothing. Under the eager protocol it also restarts
 * the current assignment at new offsets outside a rebalance (messages already fetched are
 * dropped); floe_kafka_restart does that for either protocol. Returns 0 or -EIO (the
 * rebalance is answered all the same: the partitions are not taken). */
int floe_kafka_assign(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *parts);

/* floe_kafka_restart(k, parts): restarts the partitions of parts (borrowed; each an offset, or
 * RD_KAFKA_OFFSET_BEGINNING/END; librdkafka may set their errors), all currently assigned, at
 * those offsets: eager, the whole assignment is given again (floe_kafka_assign); cooperative,
 * they are sought without waiting. Messages fetched before are dropped either way, and no
 * refill nudge seeks a partition past its new offset. A closing consumer does nothing.
 * Returns 0 or -EIO. */
int floe_kafka_restart(struct floe_kafka *k, rd_kafka_topic_partition_list_t *parts);

/* floe_kafka_revoke_done(k): the owner has flushed the revoked partitions: they are
 * unassigned and draining resumes (unless paused). */
void floe_kafka_revoke_done(struct floe_kafka *k);

/* floe_kafka_pause(k): stops draining and pauses fetching of the current assignment.
 * floe_kafka_hold(k): stops draining only: librdkafka keeps fetching until its pre-fetch queue
 * is full (queued.max.messages.kbytes), and what it fetched stays queued — for short waits such
 * as a commit, where a pause would make librdkafka drop its queue and fetch it again.
 * floe_kafka_resume(k) undoes either (a held message is handed first). All idempotent; a pause
 * after a hold also pauses the fetchers. */
void floe_kafka_pause(struct floe_kafka *k);
void floe_kafka_hold(struct floe_kafka *k);
void floe_kafka_resume(struct floe_kafka *k);

/* floe_kafka_drop_held(k): forgets the held message and every message taken ahead, and an
 * end-of-partition event waiting behind them: for an owner about to restart every assigned
 * partition at other offsets (they are past librdkafka's position, so they are not fetched
 * again otherwise). */
void floe_kafka_drop_held(struct floe_kafka *k);

/* floe_kafka_resolve_starts(k, parts, timeout_ms): replaces each RD_KAFKA_OFFSET_BEGINNING or
 * RD_KAFKA_OFFSET_END offset in parts (the caller's; other offsets are left alone) by the offset
 * the partition's leader gives for it now (one ListOffsets request per leader). Blocks up to
 * timeout_ms: call it off the loop, while the owner does not close k. Why: a partition assigned
 * at a logical offset has librdkafka look that offset up itself, and when the partition's leader
 * is not known yet at that instant (right after a group join) librdkafka waits a fixed 500 ms
 * before asking, and the answer can then wait behind a fetch that the broker holds for
 * fetch.wait.max.ms — a pause of up to a second at a first start. Returns 0, or -EIO if any
 * could not be resolved (each of those stays logical, for librdkafka to resolve on assignment;
 * the others are resolved all the same). Callable from any thread. */
int floe_kafka_resolve_starts(struct floe_kafka *k, rd_kafka_topic_partition_list_t *parts,
                              int timeout_ms);

/* floe_kafka_commit(k, offsets): commits offsets (borrowed: next offsets to read) to the
 * group, asynchronously; a failure is logged at debug level only (the table holds the truth).
 */
void floe_kafka_commit(struct floe_kafka *k, const rd_kafka_topic_partition_list_t *offsets);

/* floe_kafka_close(k, cb, ctx): leaves the group without blocking the loop (messages still
 * queued are dropped, a revocation or an assignment the owner has not answered yet is
 * answered at once, taking no partition), then closes the handles and destroys
 * the consumer; cb(ctx) runs once everything is released. Not from inside k's callbacks. */
void floe_kafka_close(struct floe_kafka *k, floe_kafka_closed_fn cb, void *ctx);

/* floe_kafka_abandon(k): after the loop was stopped with k still open (shutdown
 * timeout): destroys the consumer at once without leaving the group. Handles are left for
 * floe_agent_close_rest(). */
void floe_kafka_abandon(struct floe_kafka *k);

#endif
