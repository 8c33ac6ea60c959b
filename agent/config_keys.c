/* config_keys.c — every configuration key floe knows, in one table.
 *
 * The parser, `floe check` and the README reference (`floe help config`) all read this table;
 * adding a key here is the whole of declaring it. Keys are printed in this order.
 */
#include <stddef.h>

#include "config.h"

#define F(field) offsetof(struct floe_config, field)

const struct floe_cfg_key floe_cfg_keys[] = {
    /* [kafka] */
    {"kafka", "brokers", FLOE_CFG_STRING, "localhost:9092",
     "Bootstrap brokers, comma-separated host:port.", F(kafka.brokers), 0, 0, 0, NULL},
    {"kafka", "topic", FLOE_CFG_STRING, NULL, "Topic to consume.", F(kafka.topic),
     FLOE_CFG_REQUIRED, 0, 0, NULL},
    {"kafka", "group", FLOE_CFG_STRING, "floe", "Consumer group id.", F(kafka.group), 0, 0, 0,
     NULL},
    {"kafka", "start", FLOE_CFG_ENUM, "earliest",
     "Where a partition the table has no offset for starts.", F(kafka.start), 0, 0, 0,
     "earliest|latest"},

    /* [table] */
    {"table", "warehouse", FLOE_CFG_STRING, NULL,
     "Warehouse root: file:///path, a plain path, or s3://bucket/prefix.", F(table.warehouse),
     FLOE_CFG_REQUIRED, 0, 0, NULL},
    {"table", "namespace", FLOE_CFG_STRING, "default", "Table namespace.", F(table.namespace_), 0,
     0, 0, NULL},
    {"table", "name", FLOE_CFG_STRING, NULL, "Table name (default: the topic).", F(table.name), 0,
     0, 0, NULL},
    {"table", "schema", FLOE_CFG_STRING, NULL,
     "Columns: `name type [required]`, comma-separated; types are Iceberg's primitives.",
     F(table.schema), FLOE_CFG_REQUIRED, 0, 0, NULL},
    {"table", "partition", FLOE_CFG_STRING, "",
     "Partition spec, e.g. `day(signup_ts), bucket(16, id)`; empty for none.", F(table.partition),
     0, 0, 0, NULL},
    {"table", "key", FLOE_CFG_STRING, "id", "Key column: one row per key is kept; empty to append every record.", F(table.key),
     0, 0, 0, NULL},
    {"table", "version", FLOE_CFG_STRING, "signup_ts",
     "Version column: a record replaces its key's row only if strictly newer; empty to keep "
     "the last record read.",
     F(table.version), 0, 0, 0, NULL},

    {"table", "snapshots_keep_last", FLOE_CFG_INT, "0",
     "floe table expire keeps at least this many newest snapshots; 0 with snapshots_max_age "
     "0 expires nothing.",
     F(table.snapshots_keep_last), 0, 0, 1000000000, NULL},
    {"table", "snapshots_max_age", FLOE_CFG_DURATION, "0",
     "floe table expire keeps snapshots younger than this; 0 keeps none by age.",
     F(table.snapshots_max_age_ms), 0, 0, 0, NULL},

    /* [dead_letter] */
    {"dead_letter", "file", FLOE_CFG_STRING, "dead-letter.ndjson",
     "Rejected records, one JSON object each (record, reason, source); relative to "
     "agent.state_dir; empty (or no state_dir for a relative name) for none.",
     F(dead_letter.file), 0, 0, 0, NULL},
    {"dead_letter", "max_size", FLOE_CFG_SIZE, "64M",
     "Size at which the file is rotated to FILE.1 (one previous file is kept).",
     F(dead_letter.max_size), 0, 4096, 0, NULL},
    {"dead_letter", "topic", FLOE_CFG_STRING, "",
     "Kafka topic on kafka.brokers that `floe run` produces rejected records to instead of the "
     "file: value the record, key the source message's key, headers floe.reason, "
     "floe.source.topic, floe.source.partition, floe.source.offset, floe.time; read at start; "
     "empty for the file.",
     F(dead_letter.topic), 0, 0, 0, NULL},

    /* [dedup] */
    {"dedup", "memory", FLOE_CFG_SIZE, "16M",
     "Fixed size of the key → version hash (24 bytes a key, about 650,000 keys in 16M), part "
     "of limits.memory. Exact while the keys fit; past that the least recently updated keys "
     "are forgotten (counted as evictions).",
     F(dedup.memory), 0, 4096, (int64_t)1 << 40, NULL},

    /* [s3] */
    {"s3", "endpoint", FLOE_CFG_STRING, "",
     "S3 endpoint URL; empty for AWS's regional endpoint.", F(s3.endpoint), 0, 0, 0, NULL},
    {"s3", "region", FLOE_CFG_STRING, "",
     "Signing region; empty: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.", F(s3.region),
     0, 0, 0, NULL},
    {"s3", "access_key_id", FLOE_CFG_STRING, "${AWS_ACCESS_KEY_ID:-}",
     "Access key id; when it or the secret is empty, both and the session token come from "
     "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.",
     F(s3.access_key_id), FLOE_CFG_SECRET, 0, 0, NULL},
    {"s3", "secret_access_key", FLOE_CFG_STRING, "${AWS_SECRET_ACCESS_KEY:-}", "Secret key.",
     F(s3.secret_access_key), FLOE_CFG_SECRET, 0, 0, NULL},
    {"s3", "session_token", FLOE_CFG_STRING, "${AWS_SESSION_TOKEN:-}",
     "Session token for temporary credentials.", F(s3.session_token), FLOE_CFG_SECRET, 0, 0,
     NULL},
    {"s3", "ca_file", FLOE_CFG_STRING, "",
     "CA bundle file or directory; empty for the system bundle.", F(s3.ca_file), 0, 0, 0, NULL},
    {"s3", "verify", FLOE_CFG_BOOL, "true",
     "Verify the server's certificate (false logs a warning at every start).", F(s3.verify), 0,
     0, 0, NULL},
    {"s3", "path_style", FLOE_CFG_BOOL, "false",
     "Path-style addressing (endpoint/bucket/key) instead of virtual-hosted.", F(s3.path_style),
     0, 0, 0, NULL},
    {"s3", "part_size", FLOE_CFG_SIZE, "8M",
     "Multipart part size; larger files use multipart (raised to fit 10,000 parts).",
     F(s3.part_size), 0, 5 << 20, (int64_t)5 << 30, NULL},
    {"s3", "max_in_flight", FLOE_CFG_INT, "4",
     "Parts of one upload in flight at once (connections: this + 2).", F(s3.max_in_flight), 0,
     1, 64, NULL},
    {"s3", "connect_timeout", FLOE_CFG_DURATION, "10s", "Deadline to connect (TCP and TLS).",
     F(s3.connect_timeout_ms), 0, 1, 0, NULL},
    {"s3", "request_timeout", FLOE_CFG_DURATION, "60s", "Deadline for one request.",
     F(s3.request_timeout_ms), 0, 1, 0, NULL},

    /* [limits] */
    {"limits", "memory", FLOE_CFG_SIZE, "64M",
     "All buffers together, dedup hash included.", F(limits.memory), 0, 4 << 20,
     (int64_t)1 << 40, NULL},
    {"limits", "flush_rows", FLOE_CFG_INT, "100000", "Flush a batch at this many rows.",
     F(limits.flush_rows), 0, 1, 1000000000, NULL},
    {"limits", "flush_bytes", FLOE_CFG_SIZE, "32M", "Flush a batch at this many buffered bytes.",
     F(limits.flush_bytes), 0, 1 << 16, 0, NULL},
    {"limits", "flush_every", FLOE_CFG_DURATION, "60s", "Flush a batch at this age.",
     F(limits.flush_every_ms), 0, 100, 0, NULL},

    /* [agent] */
    {"agent", "state_dir", FLOE_CFG_STRING, "",
     "Directory for state, created if missing (read at start); empty for none.", F(agent.state_dir), 0, 0, 0,
     NULL},
    {"agent", "pid_file", FLOE_CFG_STRING, "", "Pid file written at start and removed at exit; empty for none.",
     F(agent.pid_file), 0, 0, 0, NULL},
    {"agent", "shutdown_timeout", FLOE_CFG_DURATION, "30s",
     "Longest a graceful stop may take before floe exits anyway.", F(agent.shutdown_timeout_ms),
     0, 0, 0, NULL},
    {"agent", "log_level", FLOE_CFG_ENUM, "info", "Lowest severity logged.", F(agent.log_level),
     0, 0, 0, "error|warn|info|debug"},

    {NULL, NULL, 0, NULL, NULL, 0, 0, 0, 0, NULL},
};
