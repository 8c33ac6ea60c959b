/* mockkafka.c — librdkafka's mock cluster behind a small floe interface (mockkafka.h).
 *
 * rd_kafka_mock_cluster_new needs a client handle for its bookkeeping; a producer handle that
 * never produces serves. librdkafka's log lines go through that handle: only errors are kept
 * (log_level 3), on stderr, where librdkafka writes them by default.
 */
#include "mockkafka.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void set_err(char *err, size_t cap, const char *what, const char *detail)
{
    if (cap > 0) {
        snprintf(err, cap, "%s%s%s", what, detail[0] ? ": " : "", detail);
    }
}

int floe_mockkafka_start(struct floe_mockkafka *m, int brokers, const char *topic, int partitions,
                         char *err, size_t cap)
{
    char errstr[256] = "";
    memset(m, 0, sizeof(*m));
    if (cap > 0) {
        err[0] = '\0';
    }
    if (brokers < 1 || brokers > FLOE_MOCKKAFKA_BROKERS_MAX || partitions < 1 ||
        partitions > FLOE_MOCKKAFKA_PARTITIONS_MAX || topic == NULL || topic[0] == '\0') {
        set_err(err, cap, "mock cluster: brokers, partitions or topic out of range", "");
        return -EINVAL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "floe-mockkafka", errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        set_err(err, cap, "mock cluster: configuration", errstr);
        return -EIO;
    }
    /* rd_kafka_new takes conf on success only. */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        set_err(err, cap, "mock cluster: client handle", errstr);
        return -EIO;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
    if (cluster == NULL) {
        rd_kafka_destroy(rk);
        set_err(err, cap, "mock cluster: could not start the brokers", "");
        return -EIO;
    }
    int replicas = brokers < 3 ? brokers : 3;
    rd_kafka_resp_err_t rc = rd_kafka_mock_topic_create(cluster, topic, partitions, replicas);
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_mock_cluster_destroy(cluster);
        rd_kafka_destroy(rk);
        set_err(err, cap, "mock cluster: creating the topic", rd_kafka_err2str(rc));
        return -EIO;
    }
    /* The mock picks leaders at random; partition p is led by broker 1 + p mod brokers, so a
     * test knows which partitions stall when it takes a broker down. */
    for (int p = 0; p < partitions && rc == RD_KAFKA_RESP_ERR_NO_ERROR; p++) {
        rc = rd_kafka_mock_partition_set_leader(cluster, topic, p, 1 + p % brokers);
    }
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_mock_cluster_destroy(cluster);
        rd_kafka_destroy(rk);
        set_err(err, cap, "mock cluster: setting partition leaders", rd_kafka_err2str(rc));
        return -EIO;
    }
    m->rk = rk;
    m->cluster = cluster;
    m->brokers = brokers;
    m->partitions = partitions;
    return 0;
}

const char *floe_mockkafka_bootstrap(const struct floe_mockkafka *m)
{
    return m->cluster != NULL ? rd_kafka_mock_cluster_bootstraps(m->cluster) : NULL;
}

static int set_broker(struct floe_mockkafka *m, int32_t id, int up)
{
    if (m->cluster == NULL || id < 1 || id > m->brokers) {
        return -EINVAL;
    }
    rd_kafka_resp_err_t rc = up ? rd_kafka_mock_broker_set_up(m->cluster, id)
                                : rd_kafka_mock_broker_set_down(m->cluster, id);
    return rc == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -EIO;
}

int floe_mockkafka_broker_down(struct floe_mockkafka *m, int32_t id)
{
    return set_broker(m, id, 0);
}

int floe_mockkafka_broker_up(struct floe_mockkafka *m, int32_t id)
{
    return set_broker(m, id, 1);
}

void floe_mockkafka_stop(struct floe_mockkafka *m)
{
    if (m->cluster != NULL) {
        rd_kafka_mock_cluster_destroy(m->cluster);
    }
    if (m->rk != NULL) {
        rd_kafka_destroy(m->rk);
    }
    memset(m, 0, sizeof(*m));
}
