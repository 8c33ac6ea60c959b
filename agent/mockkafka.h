/* mockkafka.h — an in-process Kafka cluster for tests and `floe demo`: librdkafka's mock
 * cluster (rdkafka_mock.h) with N brokers and one topic of P partitions, listening on loopback.
 *
 * The mock speaks the real wire protocol over TCP, so any client (floe, kcat, another process)
 * connects to it like to a broker, through the bootstrap string. Its limits in librdkafka 2.0.2:
 * random ports, PLAINTEXT only, each partition keeps only about 5 MiB (or 100,000 batches) and
 * silently drops older data, no admin APIs, and taking a broker down does not move partition
 * leadership (its partitions stall until it is up again).
 *
 * The cluster runs on librdkafka's own threads; these calls block only while librdkafka applies
 * them. One struct per cluster; none of the calls are meant to be made from two threads at once.
 */
#ifndef FLOE_MOCKKAFKA_H
#define FLOE_MOCKKAFKA_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>
#include <stdint.h>

/* Limits accepted by floe_mockkafka_start. */
#define FLOE_MOCKKAFKA_BROKERS_MAX 32
#define FLOE_MOCKKAFKA_PARTITIONS_MAX 1024

struct floe_mockkafka {
    rd_kafka_t *rk;                   /* the handle the mock cluster is attached to */
    rd_kafka_mock_cluster_t *cluster; /* NULL: not started */
    int brokers;                      /* broker ids are 1..brokers */
    int partitions;
};

/* floe_mockkafka_start(m, brokers, topic, partitions, err, cap): starts a cluster of brokers
 * brokers (ids 1..brokers) and creates topic (borrowed) with partitions partitions, replicated
 * on min(brokers, 3) brokers; partition p is led by broker 1 + p % brokers. Returns 0; -EINVAL
 * for counts out of range (1..FLOE_MOCKKAFKA_BROKERS_MAX, 1..FLOE_MOCKKAFKA_PARTITIONS_MAX) or
 * an empty topic name; -EIO if librdkafka fails, with its message in err[0..cap)
 * (NUL-terminated; err may be NULL when cap is 0). On failure *m holds nothing to stop. */
int floe_mockkafka_start(struct floe_mockkafka *m, int brokers, const char *topic, int partitions,
                         char *err, size_t cap);

/* floe_mockkafka_bootstrap(m): the cluster's bootstrap list, "127.0.0.1:port,…", a view valid
 * until floe_mockkafka_stop; NULL if m is not started. */
const char *floe_mockkafka_bootstrap(const struct floe_mockkafka *m);

/* floe_mockkafka_broker_down(m, id): disconnects broker id (1..brokers) and refuses new
 * connections; leadership stays. floe_mockkafka_broker_up(m, id) accepts connections again.
 * Both return 0 (also when the broker already was in that state); -EINVAL for an unknown id
 * or a cluster not started; -EIO if librdkafka refuses. */
int floe_mockkafka_broker_down(struct floe_mockkafka *m, int32_t id);
int floe_mockkafka_broker_up(struct floe_mockkafka *m, int32_t id);

/* floe_mockkafka_stop(m): closes every connection, destroys the cluster and its handle, and
 * zeroes *m. m may be zeroed or already stopped. */
void floe_mockkafka_stop(struct floe_mockkafka *m);

#endif
