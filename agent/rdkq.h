/* rdkq.h — a librdkafka queue on the libuv loop: what the consumer (kafka.c) and the
 * dead-letter producer (dlq.c) share.
 *
 * - The client (floe_rdkq_new): floe's defaults for it, then the config's rdkafka.<name>
 *   pass-through, then kafka.brokers, what the owner rests on and log.queue (logs come as
 *   events), which the pass-through cannot change.
 * - The bridge: rd_kafka_queue_io_event_enable() makes librdkafka write a byte to a pipe
 *   (non-blocking, close-on-exec ends) when the queue becomes non-empty; a uv_poll watches the
 *   read end, reads it empty and calls the owner's ready callback, which drains the queue with
 *   rd_kafka_queue_poll(q, 0). The pipe only tells about an empty queue filling up: events
 *   queued before the start are the owner's to look at (an idle handle, or floe_rdkq_wake).
 * - Error logging: each error code is logged at most once per FLOE_RDKQ_ERROR_EVERY_MS (fatal
 *   ones always), with the count of those left out since; the owner writes the log line.
 * - librdkafka's own log events (log.queue): warnings and worse are rate-limited like errors,
 *   keyed by facility; the rest is logged at debug level.
 *
 * The owner embeds struct floe_rdkq and finds itself from the callbacks with container_of.
 * No callback runs from inside the call that started it. floe_rdkq_close closes the poll
 * handle together with one handle of the owner's; when both close callbacks have run, the
 * pipe is closed and the owner's closed callback called, where the owner frees its memory.
 * The struct holds nothing allocated besides the queue, which it owns.
 */
#ifndef FLOE_RDKQ_H
#define FLOE_RDKQ_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"

#define FLOE_RDKQ_ERROR_EVERY_MS 10000
#define FLOE_RDKQ_ERROR_KINDS 8 /* error codes rate-limited at once; more share the last slot */

struct floe_rdkq;

/* The owner's callbacks; q is the struct it embeds. */
typedef void (*floe_rdkq_fn)(struct floe_rdkq *q);
/* Writes the log line for an error to be logged now (what borrowed for the call); left_out
 * counts the same code's errors not logged since the last line. */
typedef void (*floe_rdkq_error_fn)(struct floe_rdkq *q, int code, bool fatal, const char *what,
                                   uint64_t left_out);

struct floe_rdkq {
    uv_loop_t *loop;
    const char *module;      /* the log module of the owner (a literal) */
    rd_kafka_queue_t *queue; /* owned; NULL once released */
    int fds[2];              /* the wake-up pipe: librdkafka writes [1], the loop reads [0] */
    uv_poll_t poll;
    bool poll_open;      /* poll initialized and not yet closed */
    bool confwarn_quiet; /* librdkafka's CONFWARN logs at debug level (set by the owner) */
    int closing;         /* handles whose close callback has not run yet */
    floe_rdkq_fn ready;
    floe_rdkq_fn closed;
    floe_rdkq_error_fn log_error;
    size_t kinds; /* slots of errs in use, 1..FLOE_RDKQ_ERROR_KINDS */
    /* The last time each error code was logged, and how many were not since. */
    struct {
        int code;
        uint64_t last_ms;
        uint64_t suppressed;
    } errs[FLOE_RDKQ_ERROR_KINDS];
    uint64_t errors; /* errors reported (floe_rdkq_report), logged or not */
};

/* floe_rdkq_init(q, loop, module, kinds, log_error): zeroes q for loop; module (a literal)
 * names the owner in log lines, kinds (clamped to 1..FLOE_RDKQ_ERROR_KINDS) is how many error
 * codes are rate-limited separately, log_error writes the error lines. Opens nothing. */
void floe_rdkq_init(struct floe_rdkq *q, uv_loop_t *loop, const char *module, size_t kinds,
                    floe_rdkq_error_fn log_error);

/* What a client is made of: lists of (name, value) property pairs ending with {NULL, NULL};
 * all borrowed for the call. */
struct floe_rdkq_client {
    rd_kafka_type_t type;
    const char *what;                 /* for errors: "consumer", … */
    const char *const (*defaults)[2]; /* floe's defaults, before rdkafka.<name> */
    const char *const (*forced)[2];   /* after rdkafka.<name> and bootstrap.servers */
    int events;                       /* rd_kafka_conf_set_events(); logs are added */
};

/* floe_rdkq_new(rk, c, cfg, err, cap): creates the client c describes, configured with
 * c->defaults, then cfg's rdkafka.<name> pass-through, then bootstrap.servers =
 * cfg->kafka.brokers, c->forced and log.queue = true, and stores it in *rk (owned by the
 * caller; its log events still need rd_kafka_set_log_queue). Returns 0; -ENOMEM, or -EINVAL
 * ("librdkafka property <name>: <why>" or "cannot create the <what>: <why>") with the reason
 * in err[0..cap); *rk is then NULL. */
int floe_rdkq_new(rd_kafka_t **rk, const struct floe_rdkq_client *c, const struct floe_config *cfg,
                  char *err, size_t cap);

/* floe_rdkq_start(q, ready, err, cap): q->queue must be set (the queue is then q's: released
 * by floe_rdkq_release/close/close_now). Creates the pipe, watches it on the loop and enables
 * librdkafka's wake-ups; ready(q) runs on the loop each time the pipe was written to (after
 * reading it empty). Returns 0; -errno with the reason in err[0..cap), and then nothing of the
 * bridge is left open (the queue is still q's). */
int floe_rdkq_start(struct floe_rdkq *q, floe_rdkq_fn ready, char *err, size_t cap);

/* floe_rdkq_wake(q): makes ready(q) run at the next loop iteration (for events queued before
 * the start), never from inside this call. */
void floe_rdkq_wake(struct floe_rdkq *q);

/* floe_rdkq_release(q): stops librdkafka's wake-ups and destroys the queue (before the client
 * is destroyed). Idempotent; the handle and the pipe stay open. */
void floe_rdkq_release(struct floe_rdkq *q);

/* floe_rdkq_close(q, other, closed): after a successful start: releases the queue and closes
 * the poll handle and other (a handle of the owner's, open and not closing, or NULL; its data
 * is taken over); once both close callbacks have run, closes the pipe and calls closed(q) (may
 * be NULL), where the owner may free what q is part of. */
void floe_rdkq_close(struct floe_rdkq *q, uv_handle_t *other, floe_rdkq_fn closed);

/* floe_rdkq_close_now(q): for an owner's failed open: releases the queue and closes the
 * handle (if any) with no callback, running the loop once (UV_RUN_NOWAIT) to finish it, and
 * the pipe. Nothing of q is left open. */
void floe_rdkq_close_now(struct floe_rdkq *q);

/* floe_rdkq_report(q, code, fatal, what): counts an error and has it logged through
 * log_error unless the same code was logged less than FLOE_RDKQ_ERROR_EVERY_MS ago (a fatal
 * one is always logged). what is borrowed for the call. */
void floe_rdkq_report(struct floe_rdkq *q, int code, bool fatal, const char *what);

/* floe_rdkq_event(q, ev): handles what every client's queue carries (ev borrowed, not
 * destroyed): an error event is reported (floe_rdkq_report, fatal as librdkafka says); a log
 * event of level warning or worse is reported as an error with code -1000 - the facility's
 * first byte (unless it is a CONFWARN and q->confwarn_quiet), the rest logged at debug level
 * as "librdkafka". Returns true for those two types, false for any other (left to the owner).
 */
bool floe_rdkq_event(struct floe_rdkq *q, rd_kafka_event_t *ev);

#endif
