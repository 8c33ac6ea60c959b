/* test_kafka_start.c — floe_kafka_resolve_starts (kafka.h) against an in-process mock cluster:
 * "earliest" and "latest" become the offsets the partitions' leaders give (two brokers, so
 * two leaders are asked), a real offset is left alone, and when the leaders cannot be reached
 * in time, or a partition does not exist, the call fails with the offsets left logical (the
 * pipeline then lets librdkafka look them up).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "kafka.h"
#include "mockkafka.h"
#include "mockproduce.h"

#define TOPIC "starts"
#define PARTITIONS 4

static void on_closed(void *ctx)
{
    *(bool *)ctx = true;
}

/* Never called: nothing is drained before the loop runs, and the loop only closes. */
static enum floe_kafka_verdict on_message(void *ctx, const rd_kafka_message_t *m, unsigned slot)
{
    (void)ctx, (void)m, (void)slot;
    return FLOE_KAFKA_NEXT;
}

static void on_assign(void *ctx, rd_kafka_topic_partition_list_t *parts)
{
    (void)ctx, (void)parts;
}

static void on_revoke(void *ctx, const rd_kafka_topic_partition_list_t *parts)
{
    (void)ctx, (void)parts;
}

static rd_kafka_topic_partition_list_t *list_of(const int64_t *offsets, int n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++) {
        rd_kafka_topic_partition_list_add(l, TOPIC, p)->offset = offsets[p];
    }
    return l;
}

int main(void)
{
    struct floe_mockkafka mock = {0};
    char err[512] = "", text[1024];
    if (floe_mockkafka_start(&mock, 2, TOPIC, PARTITIONS, err, sizeof(err)) < 0) {
        fprintf(stderr, "mock cluster: %s\n", err);
        return 1;
    }
    CHECK_INT(mock_produce(floe_mockkafka_bootstrap(&mock), TOPIC, PARTITIONS, 10, 10), 0);
    snprintf(text, sizeof(text),
             "[kafka]\nbrokers = %s\ntopic = " TOPIC "\ngroup = start-test\n"
             "[table]\nwarehouse = /nonexistent\nschema = i int required\nkey = i\nversion =\n",
             floe_mockkafka_bootstrap(&mock));
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = floe_config_parse("start.conf", text, &errs);
    CHECK(cfg != NULL);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.items[i]);
    }
    floe_cfg_errors_free(&errs);
    uv_loop_t loop;
    struct floe_kafka k;
    static const struct floe_kafka_handler h = {on_message, on_assign, on_revoke, NULL, NULL};
    if (!cfg || uv_loop_init(&loop) != 0) {
        floe_config_free(cfg);
        floe_mockkafka_stop(&mock);
        return 1;
    }
    if (floe_kafka_open(&k, &loop, cfg, &h, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "consumer: %s\n", err);
        uv_loop_close(&loop);
        floe_config_free(cfg);
        floe_mockkafka_stop(&mock);
        return 1;
    }

    /* Two leaders (partition p on broker 1 + p % 2); a real offset is not asked for. */
    const int64_t asked[PARTITIONS] = {RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_END,
                                       RD_KAFKA_OFFSET_END, 7};
    rd_kafka_topic_partition_list_t *l = list_of(asked, PARTITIONS);
    CHECK_INT(floe_kafka_resolve_starts(&k, l, 10000), 0);
    CHECK_INT(l->elems[0].offset, 0);
    CHECK_INT(l->elems[1].offset, 20);
    CHECK_INT(l->elems[2].offset, 30);
    CHECK_INT(l->elems[3].offset, 7);
    rd_kafka_topic_partition_list_destroy(l);

    /* A partition the topic does not have: an error, and it stays logical. */
    l = list_of(asked, PARTITIONS);
    rd_kafka_topic_partition_list_add(l, TOPIC, PARTITIONS + 5)->offset = RD_KAFKA_OFFSET_END;
    CHECK_INT(floe_kafka_resolve_starts(&k, l, 5000), -EIO);
    CHECK_INT(l->elems[PARTITIONS].offset, RD_KAFKA_OFFSET_END);
    CHECK_INT(l->elems[3].offset, 7);
    rd_kafka_topic_partition_list_destroy(l);

    /* Leaders down: the call gives up after its timeout, nothing resolved. */
    CHECK_INT(floe_mockkafka_broker_down(&mock, 1), 0);
    CHECK_INT(floe_mockkafka_broker_down(&mock, 2), 0);
    l = list_of(asked, PARTITIONS);
    CHECK_INT(floe_kafka_resolve_starts(&k, l, 1000), -EIO);
    CHECK_INT(l->elems[0].offset, RD_KAFKA_OFFSET_BEGINNING);
    CHECK_INT(l->elems[1].offset, RD_KAFKA_OFFSET_END);
    CHECK_INT(l->elems[3].offset, 7);
    rd_kafka_topic_partition_list_destroy(l);
    CHECK_INT(floe_mockkafka_broker_up(&mock, 1), 0);
    CHECK_INT(floe_mockkafka_broker_up(&mock, 2), 0);

    /* Nothing logical: nothing asked, 0. */
    const int64_t real[1] = {3};
    l = list_of(real, 1);
    CHECK_INT(floe_kafka_resolve_starts(&k, l, 1000), 0);
    CHECK_INT(l->elems[0].offset, 3);
    rd_kafka_topic_partition_list_destroy(l);

    bool closed = false;
    floe_kafka_close(&k, on_closed, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(closed);
    CHECK_INT(uv_loop_close(&loop), 0);
    floe_config_free(cfg);
    floe_mockkafka_stop(&mock);
    return check_done();
}
