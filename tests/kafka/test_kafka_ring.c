/* test_kafka_ring.c — the Kafka source's look-ahead (kafka.h, "Looking ahead") against an
 * in-process mock cluster: every message of every partition is handed exactly once and in
 * order, each in the slot that ahead() was given for it, while the owner refuses messages
 * (FLOE_KAFKA_HOLD, resumed from a timer), and after it restarts every partition from inside
 * a message callback (the restart drops what was taken ahead). It also checks that messages
 * were in fact taken ahead (more than one slot in use at once).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "kafka.h"
#include "mockkafka.h"
#include "mockproduce.h"

#define TOPIC "ring"
#define PARTITIONS 4
#define PER_PARTITION 3000
#define HOLD_EVERY 97   /* every this many messages, the first handing is refused */
#define RESTART_AT 5000 /* after this many messages, restart everything */

struct ring_test {
    uv_loop_t loop;
    struct floe_kafka k;
    uv_timer_t resume, finish, watchdog;
    int64_t next[PARTITIONS]; /* the offset expected next from each partition */
    const rd_kafka_message_t *slot_msg[FLOE_KAFKA_AHEAD];
    int busy, max_busy; /* slots given and not yet taken; the most at once */
    long taken, holds, aheads, wrong_slot, out_of_order, restarts;
    const rd_kafka_message_t *held; /* refused once already */
    bool done, closed;
};

static void on_resume(uv_timer_t *t)
{
    struct ring_test *r = t->data;
    floe_kafka_resume(&r->k);
}

static void on_closed(void *ctx)
{
    struct ring_test *r = ctx;
    r->closed = true;
    uv_close((uv_handle_t *)&r->resume, NULL);
    uv_close((uv_handle_t *)&r->finish, NULL);
    uv_close((uv_handle_t *)&r->watchdog, NULL);
}

static void on_finish(uv_timer_t *t)
{
    struct ring_test *r = t->data;
    floe_kafka_close(&r->k, on_closed, r);
}

static void on_watchdog(uv_timer_t *t)
{
    struct ring_test *r = t->data;
    fprintf(stderr, "timed out after %ld messages\n", r->taken);
    uv_timer_stop(&r->watchdog);
    floe_kafka_close(&r->k, on_closed, r);
}

static void on_ahead(void *ctx, const rd_kafka_message_t *m, unsigned slot, int step)
{
    struct ring_test *r = ctx;
    CHECK(slot < FLOE_KAFKA_AHEAD);
    if (slot >= FLOE_KAFKA_AHEAD) {
        return;
    }
    if (step == 0) {
        r->wrong_slot += r->slot_msg[slot] != NULL; /* still given to another message */
        r->slot_msg[slot] = m;
        r->aheads++;
        if (++r->busy > r->max_busy) {
            r->max_busy = r->busy;
        }
    } else {
        r->wrong_slot += r->slot_msg[slot] != m;
    }
}

/* Restarts each partition where it stands: the restart drops what was taken ahead. */
static void restart_all(struct ring_test *r)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int p = 0; p < PARTITIONS; p++) {
        rd_kafka_topic_partition_list_add(parts, TOPIC, p)->offset = r->next[p];
    }
    memset(r->slot_msg, 0, sizeof(r->slot_msg));
    r->busy = 0;
    CHECK_INT(floe_kafka_restart(&r->k, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    r->restarts++;
}

static enum floe_kafka_verdict on_message(void *ctx, const rd_kafka_message_t *m, unsigned slot)
{
    struct ring_test *r = ctx;
    if (slot >= FLOE_KAFKA_AHEAD || r->slot_msg[slot] != m) {
        r->wrong_slot++;
    }
    if (m->partition < 0 || m->partition >= PARTITIONS || m->offset != r->next[m->partition]) {
        r->out_of_order++;
        fprintf(stderr, "partition %d: offset %lld, expected %lld\n", (int)m->partition,
                (long long)m->offset,
                (long long)(m->partition >= 0 && m->partition < PARTITIONS ? r->next[m->partition]
                                                                           : -1));
    }
    if ((r->taken + 1) % HOLD_EVERY == 0 && r->held != m) {
        r->held = m;
        r->holds++;
        floe_kafka_hold(&r->k);
        uv_timer_start(&r->resume, on_resume, 1, 0);
        return FLOE_KAFKA_HOLD;
    }
    if (m->partition >= 0 && m->partition < PARTITIONS) {
        r->next[m->partition] = m->offset + 1;
    }
    if (slot < FLOE_KAFKA_AHEAD) {
        r->slot_msg[slot] = NULL;
        r->busy--;
    }
    r->taken++;
    if (r->taken == RESTART_AT) {
        restart_all(r);
    }
    bool all = true;
    for (int p = 0; p < PARTITIONS; p++) {
        all = all && r->next[p] >= PER_PARTITION;
    }
    if (all && !r->done) {
        r->done = true;
        uv_timer_start(&r->finish, on_finish, 0, 0);
    }
    return FLOE_KAFKA_NEXT;
}

static void on_assign(void *ctx, rd_kafka_topic_partition_list_t *parts)
{
    struct ring_test *r = ctx;
    for (int i = 0; i < parts->cnt; i++) {
        int32_t p = parts->elems[i].partition;
        parts->elems[i].offset =
            p >= 0 && p < PARTITIONS && r->next[p] > 0 ? r->next[p] : RD_KAFKA_OFFSET_BEGINNING;
    }
    CHECK_INT(floe_kafka_assign(&r->k, parts), 0);
}

static void on_revoke(void *ctx, const rd_kafka_topic_partition_list_t *parts)
{
    struct ring_test *r = ctx;
    (void)parts;
    floe_kafka_revoke_done(&r->k);
}

int main(void)
{
    struct floe_mockkafka mock = {0};
    char err[512], text[1024];
    struct ring_test r;
    memset(&r, 0, sizeof(r));
    if (floe_mockkafka_start(&mock, 1, TOPIC, PARTITIONS, err, sizeof(err)) < 0) {
        fprintf(stderr, "mock cluster: %s\n", err);
        return 1;
    }
    CHECK_INT(mock_produce(floe_mockkafka_bootstrap(&mock), TOPIC, PARTITIONS, PER_PARTITION, 0),
              0);
    snprintf(
        text, sizeof(text),
        "[kafka]\nbrokers = %s\ntopic = " TOPIC "\ngroup = ring-test\n"
        "rdkafka.queued.max.messages.kbytes = 64\n"
        "[table]\nwarehouse = /nonexistent\nschema = p int, i int required\nkey = i\nversion =\n",
        floe_mockkafka_bootstrap(&mock));
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = floe_config_parse("ring.conf", text, &errs);
    CHECK(cfg != NULL);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.items[i]);
    }
    floe_cfg_errors_free(&errs);
    static const struct floe_kafka_handler h = {on_message, on_assign, on_revoke, NULL, on_ahead};
    if (!cfg || uv_loop_init(&r.loop) != 0) {
        floe_mockkafka_stop(&mock);
        return check_done();
    }
    uv_timer_init(&r.loop, &r.resume);
    uv_timer_init(&r.loop, &r.finish);
    uv_timer_init(&r.loop, &r.watchdog);
    r.resume.data = r.finish.data = r.watchdog.data = &r;
    int rc = floe_kafka_open(&r.k, &r.loop, cfg, &h, &r, err, sizeof(err));
    CHECK_INT(rc, 0);
    if (rc == 0) {
        uv_timer_start(&r.watchdog, on_watchdog, 120000, 0);
        uv_run(&r.loop, UV_RUN_DEFAULT);
    }
    CHECK(rc != 0 || r.closed);
    for (int p = 0; p < PARTITIONS; p++) {
        CHECK_INT(r.next[p], PER_PARTITION); /* every offset, once, in order */
    }
    CHECK_INT(r.out_of_order, 0);
    CHECK_INT(r.wrong_slot, 0);
    CHECK_INT(r.restarts, 1);
    CHECK(r.holds >= (PARTITIONS * PER_PARTITION) / HOLD_EVERY / 2);
    CHECK(r.aheads >= r.taken);
    CHECK(r.max_busy > 1); /* messages were taken ahead */
    printf("taken %ld, holds %ld, ahead calls %ld, most slots in use %d\n", r.taken, r.holds,
           r.aheads, r.max_busy);
    uv_loop_close(&r.loop);
    floe_config_free(cfg);
    floe_mockkafka_stop(&mock);
    return check_done();
}
