/* mockproduce.h — test data for the in-process mock cluster tests (test_kafka_*.c): produces
 * base + step * p messages to each partition p of a topic, each valued
 * {"partition":p,"i":i} (i counting from 0 in the partition), and waits until all are
 * delivered. Header-only: one test executable includes it once.
 */
#ifndef FLOE_TESTS_MOCKPRODUCE_H
#define FLOE_TESTS_MOCKPRODUCE_H

#include <librdkafka/rdkafka.h>
#include <stdio.h>

/* mock_produce(bootstrap, topic, partitions, base, step): 0, or -1 if a message could not be
 * produced or delivered within 30 s. */
static int mock_produce(const char *bootstrap, const char *topic, int partitions, int base,
                        int step)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    int rc = 0;
    for (int p = 0; p < partitions && rc == 0; p++) {
        for (int i = 0; i < base + step * p && rc == 0; i++) {
            char value[64];
            int n = snprintf(value, sizeof(value), "{\"partition\":%d,\"i\":%d}", p, i);
            rd_kafka_resp_err_t e;
            while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                                          RD_KAFKA_V_VALUE(value, (size_t)n),
                                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                          RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
            }
            rc = e ? -1 : 0;
        }
    }
    if (rc == 0 && rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = -1;
    }
    rd_kafka_destroy(rk);
    return rc;
}

#endif
